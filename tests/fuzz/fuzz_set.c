/* fuzz_set.c: `-s section.key=value` overrides (one per input line) on the
 * default scenario, then the cross-key checks. */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */

#include "infercost/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  char *text = fuzz_string(data, size);
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  char *line = text;
  for (int i = 1; i <= 16 && *line; i++) {
    char *rest = fuzz_split(line);
    char where[32];
    snprintf(where, sizeof where, "-s #%d", i);
    ic_scenario_set(&s, line, where);
    line = rest;
  }
  ic_scenario_check(&s);
  free(text);
  return 0;
}
