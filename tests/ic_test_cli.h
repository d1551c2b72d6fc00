/* ic_test_cli.h: running the infercost binary from a test. Needs
 * _POSIX_C_SOURCE (popen) defined before the first include. */
#ifndef IC_TEST_CLI_H
#define IC_TEST_CLI_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

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
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs `infercost ARGS` (shell syntax) with stderr folded into `out`. */
static inline int ic_test_infercost(const char *args, char *out, size_t size) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s 2>&1", ic_test_bin(), args);
  return ic_test_shell(cmd, out, size);
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
