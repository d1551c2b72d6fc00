/* fuzz_scenario.c: the scenario file parser and the cross-key checks, and
 * the resolved scenario written out and read back. */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */

#include "infercost/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  char *text = fuzz_string(data, size);
  static struct ic_scenario s, back;
  ic_scenario_defaults(&s);
  if (ic_scenario_load_text(&s, text, "fuzz.ini") == IC_OK && ic_scenario_check(&s) == IC_OK) {
    /* What `infercost scenario` prints must load again, to the same digest. */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) abort();
    ic_scenario_write(&s, f);
    fclose(f);
    ic_scenario_defaults(&back);
    if (ic_scenario_load_text(&back, out, "written.ini") != IC_OK) abort();
    free(out);
  }
  free(text);
  return 0;
}
