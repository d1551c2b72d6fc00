/* plot_impl.h: shared between plot.c (running gnuplot) and plot_data.c
 * (reading the tables, frontier and ledger files). Not public. */
#ifndef IC_PLOT_IMPL_H
#define IC_PLOT_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "infercost/plot.h"
#include "infercost/status.h"

/* A small CSV table as infercost writes it: `#` comment lines, one header
 * row, rows of unquoted fields. Sweeps and ledgers are a few hundred rows at
 * most, so it is read whole. */
struct ic__plot_table {
  char *comment;      /* first `#` line without the marker, or NULL */
  char *header_line;  /* the header row as read (no newline) */
  long header_lineno; /* 1-based line of the header in the file */
  char **columns;     /* header names, trimmed */
  size_t ncolumns;
  char **rows;        /* data rows as read (no newline) */
  long *row_linenos;
  size_t nrows;
};

/* Reads `path`. IC_EINVAL (reported as path[:line]: message) when the file is
 * missing, empty, has no header or a quoted field; IC_ENOMEM. */
ic_status ic__plot_table_read(const char *path, struct ic__plot_table *t);
void ic__plot_table_free(struct ic__plot_table *t);

/* Index of column `name`, or -1. */
long ic__plot_table_column(const struct ic__plot_table *t, const char *name);

/* Reports the first of `names` (n of them, NULLs skipped) missing from the
 * header as "path:line: column 'x' not found (columns: ...)"; false then. */
bool ic__plot_table_require(const struct ic__plot_table *t, const char *path, const char *const *names, size_t n);

/* Field `col` of data row `row` parsed as a number; NaN when empty or not a number. */
double ic__plot_table_number(const struct ic__plot_table *t, size_t row, size_t col);

/* Copies field `col` of data row `row` into buf (trimmed; "" when absent). */
void ic__plot_table_field(const struct ic__plot_table *t, size_t row, size_t col, char *buf, size_t size);

/* The distinct values of column `col` in order of first appearance,
 * space-separated into buf; their count, and whether all are numbers.
 * false (reported at path) when a value has a space or buf is too small. */
bool ic__plot_distinct(const struct ic__plot_table *t, size_t col, const char *path, char *buf, size_t size,
                       size_t *count, bool *numeric);

/* Writes `t` with two more columns to `path`: ic_fails (1 when the row
 * violates any of targets[0..n), a non-number counting as a violation) and
 * ic_unstable (1 when the table has a `stable` column and it is 0 there).
 * IC_EIO (reported). */
ic_status ic__plot_write_marked(const struct ic__plot_table *t, const struct ic_plot_target *targets, size_t n,
                                const char *path);

/* Writes the header and the frontier rows (by x_col latency, y_col cost) of
 * `t` to `path`. IC_EIO / IC_ENOMEM, reported. */
ic_status ic__plot_write_front(const struct ic__plot_table *t, size_t x_col, size_t y_col, const char *path);

/* Turns a run's ledger.csv (group,item,kwh_per_day,usd_per_day rows) into one row
 * of the sweep's cost columns at `path`, labelled by the scenario named in its provenance sidecar. */
ic_status ic__plot_write_run_ledger(const struct ic__plot_table *t, const char *src, const char *path);

#endif
