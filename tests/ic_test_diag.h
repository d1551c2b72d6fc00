/* ic_test_diag.h: diagnostics captured into a buffer for a test to read
 * (`diag.text`), through cmocka setup / teardown functions. */
#ifndef IC_TEST_DIAG_H
#define IC_TEST_DIAG_H

#include <string.h>

#include "ic_test.h"
#include "infercost/status.h"

static struct ic_diag_buffer diag;

/* Routes diagnostics into an empty `diag` and restarts their count. */
static int diag_capture(void **state) {
  (void)state;
  memset(&diag, 0, sizeof diag);
  ic_diag_set_sink(ic_diag_buffer_sink, &diag);
  ic_diag_reset_count();
  return 0;
}

/* Back to the default sink (stderr). */
static int diag_release(void **state) {
  (void)state;
  ic_diag_set_sink(NULL, NULL);
  return 0;
}

#endif
