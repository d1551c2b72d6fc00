/* fuzz_sweep.c: sweep value ranges (`--vary key=VALUES`): lists, linear,
 * geometric and log ranges, on integer, real and name keys. */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */
#include "infercost/scenario.h"
#include "infercost/sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  static struct ic_scenario base;
  static int ready;
  if (!ready) ic_scenario_defaults(&base), ready = 1;
  char *text = fuzz_string(data, size);
  struct ic_sweep_axis axis = {0};
  if (ic_sweep_axis_parse(&axis, text, &base) == IC_OK && axis.count == 0) abort(); /* an axis has values */
  ic_sweep_axis_fini(&axis);
  free(text);
  return 0;
}
