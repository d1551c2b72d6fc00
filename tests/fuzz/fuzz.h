/* fuzz.h: what every fuzz target shares. A target defines
 * LLVMFuzzerTestOneInput; built with clang's libFuzzer it is a fuzzer, built
 * with any other compiler replay_main.c turns it into a program that runs
 * the corpus files named on its command line (CTest does this). */
#ifndef IC_FUZZ_H
#define IC_FUZZ_H

/* First include of every target: memfd_create needs it before any system header. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Diagnostics are expected by the thousand: dropped. */
static void fuzz_discard(void *ctx, const char *line) { (void)ctx, (void)line; }

static inline void fuzz_quiet(void) {
  static int done;
  if (!done) {
    ic_gsl_quiet();
    ic_diag_set_sink(fuzz_discard, NULL);
    done = 1;
  }
}

/* The input as a NUL-terminated string (malloc'd; NULs inside end it early). */
static inline char *fuzz_string(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* Splits `s` at its first newline: returns the rest, or "" when there is none. */
static inline char *fuzz_split(char *s) {
  char *nl = strchr(s, '\n');
  if (!nl) return s + strlen(s);
  *nl = '\0';
  return nl + 1;
}

/* Puts `data` in an in-memory file and returns its path (one file per
 * process, rewritten on each call). */
static inline const char *fuzz_file(const void *data, size_t size) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    fd = memfd_create("fuzz-input", 0);
    if (fd < 0) abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) abort();
  return path;
}

#endif
