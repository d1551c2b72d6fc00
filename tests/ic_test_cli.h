/* ic_test_cli.h: running the infercost binary from a test. Needs
 * _POSIX_C_SOURCE (popen) defined before the first include. */
#ifndef IC_TEST_CLI_H
#define IC_TEST_CLI_H

#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ic_test.h"

/* The binary under test: $IC_BIN (CTest sets it), else the default build. */
static inline const char *ic_test_bin(void) {
  const char *b = getenv("IC_BIN");
  return b ? b : "build/infercost";
}

/* Runs a shell command with its stdout into `out` (NUL-terminated, cut
 * at size - 1); returns its exit code, or -1 when it did not exit. */
static inline int ic_test_shell(const char *cmd, char *out, size_t size) {
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, size - 1, p);
  out[n] = '\0';
  /* Read what does not fit too, so that a long output ends in its exit
   * status rather than SIGPIPE. */
  char rest[4096];
  while (fread(rest, 1, sizeof rest, p) > 0) {
  }
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs `infercost ARGS` (shell syntax) with stderr folded into `out`. */
static inline int ic_test_infercost(const char *args, char *out, size_t size) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s 2>&1", ic_test_bin(), args);
  return ic_test_shell(cmd, out, size);
}

/* Starts `infercost ARGS` (shell syntax, output to /dev/null) without
 * waiting; returns its pid (the shell execs it, so the pid is infercost's). */
static inline pid_t ic_test_spawn(const char *args) {
  static char cmd[16384 + 512];
  snprintf(cmd, sizeof cmd, "exec %s %s >/dev/null 2>&1", ic_test_bin(), args);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* Whether `pid` is alive: it exists and is not a zombie. */
static inline bool ic_test_alive(pid_t pid) {
  char path[64], stat[256];
  snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
  FILE *f = fopen(path, "r");
  if (!f) return false;
  size_t n = fread(stat, 1, sizeof stat - 1, f);
  fclose(f);
  stat[n] = '\0';
  const char *paren = strrchr(stat, ')'); /* "pid (comm) S ..." */
  return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* Up to `max` child pids of `pid` (Linux /proc), how many found. */
static inline size_t ic_test_children(pid_t pid, pid_t *out, size_t max) {
  char path[96];
  snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
  FILE *f = fopen(path, "r");
  size_t n = 0;
  long c;
  while (f && n < max && fscanf(f, "%ld", &c) == 1) out[n++] = (pid_t)c;
  if (f) fclose(f);
  return n;
}

/* Waits (polling every 10 ms, at most `limit_s` seconds) until done(arg);
 * returns whether it happened. A bound against hanging, not a timing. */
static inline bool ic_test_wait_for(bool (*done)(const void *arg), const void *arg, double limit_s) {
  for (long i = 0; i < (long)(limit_s * 100); i++) {
    if (done(arg)) return true;
    struct timespec ten_ms = {0, 10000000};
    nanosleep(&ten_ms, NULL);
  }
  return done(arg);
}

/* Reads dir/name whole into `buf` (NUL-terminated, cut at size - 1). */
static inline void ic_test_read_file(const char *dir, const char *name, char *buf, size_t size) {
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
}

#endif
