/* ic_test_fixture.h: small input files written by a test. */
#ifndef IC_TEST_FIXTURE_H
#define IC_TEST_FIXTURE_H

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

#endif
