/* ic_test_fixture.h: small input files written by a test. */
#ifndef IC_TEST_FIXTURE_H
#define IC_TEST_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "ic_test.h"

/* Writes `text` to dir/name (dir ends with '/', made if missing) and
 * returns the path, in static storage until the next call. */
static inline const char *ic_test_fixture(const char *dir, const char *name, const char *text) {
  static char path[128]; /* fits a scenario text value */
  mkdir(dir, 0700);
  snprintf(path, sizeof path, "%s%s", dir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* FNV-1a 64 of a file's bytes, by a loop of the tests' own (an oracle for
 * the trace content hash). */
static inline uint64_t ic_test_fnv1a_file(const char *path) {
  uint64_t h = UINT64_C(14695981039346656037);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  for (int ch; (ch = fgetc(f)) != EOF;) h = (h ^ (uint64_t)ch) * UINT64_C(1099511628211);
  fclose(f);
  return h;
}

#endif
