/* fuzz_plot.c: plot column selection. The first line names the columns
 * (x|y|target), the rest is the CSV table they are looked up in; every
 * selected column is read as numbers and the Pareto front computed. */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */

#include "infercost/plot.h"
#include "plot_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  char *text = fuzz_string(data, size);
  char *table = fuzz_split(text);
  const char *path = fuzz_file(table, strlen(table));
  const char *names[3] = {NULL, NULL, NULL};
  char *p = text;
  for (int i = 0; i < 3 && p; i++) {
    names[i] = p;
    p = strchr(p, '|');
    if (p) *p++ = '\0';
  }
  struct ic__plot_table t;
  if (ic__plot_table_read(path, &t) == IC_OK) {
    if (ic__plot_table_require(&t, path, names, 3) && names[0] && names[1]) {
      long x = ic__plot_table_column(&t, names[0]), y = ic__plot_table_column(&t, names[1]);
      double *xy = malloc(2 * (t.nrows + 1) * sizeof *xy);
      size_t *front = malloc((t.nrows + 1) * sizeof *front);
      if (!xy || !front) abort();
      for (size_t r = 0; r < t.nrows; r++) {
        xy[r] = ic__plot_table_number(&t, r, (size_t)x);
        xy[t.nrows + r] = ic__plot_table_number(&t, r, (size_t)y);
      }
      size_t k = ic_plot_pareto_front(xy, xy + t.nrows, t.nrows, front);
      if (k != (size_t)-1 && k > t.nrows) abort();
      free(xy);
      free(front);
    }
    ic__plot_table_free(&t);
  }
  free(text);
  return 0;
}
