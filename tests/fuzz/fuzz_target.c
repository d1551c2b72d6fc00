/* fuzz_target.c: search and sweep targets (`--target METRIC<=VALUE`). */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */
#include "infercost/search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  char *text = fuzz_string(data, size);
  struct ic_search_target t;
  ic_search_target_parse(text, "--target", &t);
  free(text);
  return 0;
}
