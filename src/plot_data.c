/* plot_data.c: the data side of plotting: reading infercost's small CSV
 * tables, checking their headers, the Pareto frontier, and the one-row ledger
 * table a run's ledger.csv becomes for the stacked-bar chart. */
#define _POSIX_C_SOURCE 200809L /* getline, strdup */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/meta.h"
#include "infercost/plot.h"
#include "plot_impl.h"

/* Strips trailing CR/LF and surrounding blanks in place. */
static char *trim(char *s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

static bool push(void *arr_ptr, size_t elem, size_t *n, size_t *cap, const void *value) {
  char **arr = arr_ptr;
  if (*n == *cap) {
    size_t grown = *cap ? 2 * *cap : 16;
    char *p = realloc(*arr, grown * elem);
    if (!p) return false;
    *arr = p;
    *cap = grown;
  }
  memcpy(*arr + *n * elem, value, elem);
  (*n)++;
  return true;
}

/* Splits the header row into trimmed column names. */
static ic_status split_header(struct ic__plot_table *t) {
  char *copy = strdup(t->header_line);
  if (!copy) return IC_ENOMEM;
  size_t cap = 0;
  ic_status st = IC_OK;
  for (char *field = copy, *next; field && st == IC_OK; field = next) {
    next = strchr(field, ',');
    if (next) *next++ = '\0';
    char *name = strdup(trim(field));
    if (!name || !push(&t->columns, sizeof name, &t->ncolumns, &cap, &name)) {
      free(name);
      st = IC_ENOMEM;
    }
  }
  free(copy);
  return st;
}

void ic__plot_table_free(struct ic__plot_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->ncolumns; i++) free(t->columns[i]);
  for (size_t i = 0; i < t->nrows; i++) free(t->rows[i]);
  free(t->columns);
  free(t->rows);
  free(t->row_linenos);
  free(t->comment);
  free(t->header_line);
  memset(t, 0, sizeof *t);
}

/* Files one line: the first comment, the header, or a data row. */
static ic_status take_line(struct ic__plot_table *t, const char *path, char *line, long lineno, size_t *cap) {
  char *text = trim(line);
  if (*text == '\0') return IC_OK;
  if (*text == '#') {
    if (!t->comment && !t->header_line) t->comment = strdup(trim(text + 1));
    return IC_OK;
  }
  if (strchr(text, '"')) {
    ic_diag(path, lineno, "quoted fields are not supported in a table to plot");
    return IC_EINVAL;
  }
  if (!t->header_line) {
    t->header_line = strdup(text);
    t->header_lineno = lineno;
    return t->header_line ? split_header(t) : IC_ENOMEM;
  }
  char *row = strdup(text);
  size_t n = t->nrows, lcap = *cap;
  if (!row || !push(&t->rows, sizeof row, &t->nrows, cap, &row) ||
      !push(&t->row_linenos, sizeof lineno, &n, &lcap, &lineno)) {
    free(row);
    return IC_ENOMEM;
  }
  return IC_OK;
}

ic_status ic__plot_table_read(const char *path, struct ic__plot_table *t) {
  memset(t, 0, sizeof *t);
  FILE *f = fopen(path, "r");
  if (!f) {
    ic_diag(path, 0, "cannot read the table to plot: %s", strerror(errno));
    return IC_EINVAL;
  }
  char *line = NULL;
  size_t size = 0, cap = 0;
  long lineno = 0;
  ic_status st = IC_OK;
  while (st == IC_OK && getline(&line, &size, f) >= 0) st = take_line(t, path, line, ++lineno, &cap);
  free(line);
  fclose(f);
  if (st == IC_OK && !t->header_line) {
    ic_diag(path, 0, "no header row (expected `#` comments, then a row of column names)");
    st = IC_EINVAL;
  } else if (st == IC_OK && t->nrows == 0) {
    ic_diag(path, t->header_lineno, "no data rows after the header, nothing to plot");
    st = IC_EINVAL;
  }
  if (st != IC_OK) ic__plot_table_free(t);
  if (st == IC_ENOMEM) ic_diag(path, 0, "out of memory reading the table");
  return st;
}

long ic__plot_table_column(const struct ic__plot_table *t, const char *name) {
  for (size_t i = 0; i < t->ncolumns; i++)
    if (!strcmp(t->columns[i], name)) return (long)i;
  return -1;
}

bool ic__plot_table_require(const struct ic__plot_table *t, const char *path, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!names[i] || ic__plot_table_column(t, names[i]) >= 0) continue;
    ic_diag(path, t->header_lineno, "column '%s' not found (columns: %s)", names[i], t->header_line);
    return false;
  }
  return true;
}

double ic__plot_table_number(const struct ic__plot_table *t, size_t row, size_t col) {
  const char *p = t->rows[row];
  for (size_t c = 0; c < col && p; c++) {
    p = strchr(p, ',');
    if (p) p++;
  }
  if (!p) return (double)NAN;
  char *end;
  double v = strtod(p, &end);
  while (*end == ' ' || *end == '\t') end++;
  return (end == p || (*end != ',' && *end != '\0')) ? (double)NAN : v;
}

void ic__plot_table_field(const struct ic__plot_table *t, size_t row, size_t col, char *buf, size_t size) {
  const char *p = t->rows[row];
  for (size_t c = 0; c < col && p; c++)
    if ((p = strchr(p, ','))) p++;
  size_t n = p ? strcspn(p, ",") : 0;
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
  while (n > 0 && (*p == ' ' || *p == '\t')) p++, n--;
  snprintf(buf, size, "%.*s", (int)n, p ? p : "");
}

bool ic__plot_distinct(const struct ic__plot_table *t, size_t col, const char *path, char *buf, size_t size,
                       size_t *count, bool *numeric) {
  buf[0] = '\0';
  *count = 0;
  *numeric = true;
  for (size_t r = 0; r < t->nrows; r++) {
    char v[256], padded[260];
    ic__plot_table_field(t, r, col, v, sizeof v);
    if (strchr(v, ' ') || !*v) {
      ic_diag(path, t->row_linenos[r], "column '%s': value '%s' cannot label a series or a tick", t->columns[col], v);
      return false;
    }
    snprintf(padded, sizeof padded, " %s ", v);
    char have[8192];
    snprintf(have, sizeof have, " %s ", buf);
    if (strstr(have, padded)) continue;
    size_t o = strlen(buf);
    if (o + strlen(v) + 2 >= size) {
      ic_diag(path, 0, "column '%s' has too many distinct values to draw", t->columns[col]);
      return false;
    }
    snprintf(buf + o, size - o, "%s%s", o ? " " : "", v);
    (*count)++;
    char *end;
    strtod(v, &end);
    if (*end) *numeric = false;
  }
  return true;
}

/* Whether row r violates target k (a non-number always does). */
static bool violates(const struct ic__plot_table *t, size_t r, const struct ic_plot_target *tg) {
  long c = ic__plot_table_column(t, tg->column);
  double v = c >= 0 ? ic__plot_table_number(t, r, (size_t)c) : (double)NAN;
  return isnan(v) || (!isnan(tg->max) && v > tg->max) || (!isnan(tg->min) && v < tg->min);
}

ic_status ic__plot_write_marked(const struct ic__plot_table *t, const struct ic_plot_target *targets, size_t n,
                                const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    ic_diag(path, 0, "cannot write: %s", strerror(errno));
    return IC_EIO;
  }
  long stable = ic__plot_table_column(t, "stable");
  fprintf(f, "%s,ic_fails,ic_unstable\n", t->header_line);
  for (size_t r = 0; r < t->nrows; r++) {
    bool fails = false;
    for (size_t k = 0; k < n && !fails; k++) fails = violates(t, r, &targets[k]);
    bool unstable = stable >= 0 && ic__plot_table_number(t, r, (size_t)stable) == 0.0;
    fprintf(f, "%s,%d,%d\n", t->rows[r], fails, unstable);
  }
  if (fclose(f) != 0) {
    ic_diag(path, 0, "cannot write: %s", strerror(errno));
    return IC_EIO;
  }
  return IC_OK;
}

/* Sort order for the frontier: latency, then cost, then index (stable by construction). */
struct pareto_sort {
  const double *latency, *cost;
};
static struct pareto_sort sort_ctx; /* qsort has no context argument; single-threaded use only */

static int by_latency_then_cost(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  const double *x = sort_ctx.latency, *y = sort_ctx.cost;
  if (x[i] != x[j]) return x[i] < x[j] ? -1 : 1;
  if (y[i] != y[j]) return y[i] < y[j] ? -1 : 1;
  return i < j ? -1 : (i > j);
}

size_t ic_plot_pareto_front(const double *latency, const double *cost, size_t n, size_t *front) {
  size_t *order = malloc((n ? n : 1) * sizeof *order);
  if (!order) return (size_t)-1;
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(latency[i]) && !isnan(cost[i])) order[m++] = i;
  sort_ctx = (struct pareto_sort){latency, cost};
  qsort(order, m, sizeof *order, by_latency_then_cost);
  size_t kept = 0;
  double cheapest = (double)INFINITY;
  for (size_t k = 0; k < m; k++) {
    if (cost[order[k]] < cheapest) {
      cheapest = cost[order[k]];
      front[kept++] = order[k];
    }
  }
  free(order);
  return kept;
}

ic_status ic__plot_write_front(const struct ic__plot_table *t, size_t x_col, size_t y_col, const char *path) {
  double *xy = malloc(2 * t->nrows * sizeof *xy);
  size_t *front = malloc(t->nrows * sizeof *front);
  ic_status st = IC_ENOMEM;
  if (xy && front) {
    for (size_t r = 0; r < t->nrows; r++) {
      xy[r] = ic__plot_table_number(t, r, x_col);
      xy[t->nrows + r] = ic__plot_table_number(t, r, y_col);
    }
    size_t n = ic_plot_pareto_front(xy, xy + t->nrows, t->nrows, front);
    FILE *f = n == (size_t)-1 ? NULL : fopen(path, "w");
    st = n == (size_t)-1 ? IC_ENOMEM : IC_EIO;
    if (f) {
      fprintf(f, "# Pareto frontier (%s, %s) of: %s\n%s\n", t->columns[x_col], t->columns[y_col],
              t->comment ? t->comment : "", t->header_line);
      for (size_t k = 0; k < n; k++) fprintf(f, "%s\n", t->rows[front[k]]);
      st = (fclose(f) == 0) ? IC_OK : IC_EIO;
    }
  }
  if (st != IC_OK) ic_diag(path, 0, "cannot write the Pareto frontier: %s", ic_strerror(st));
  free(xy);
  free(front);
  return st;
}

/* Which sweep cost column a run ledger item adds to (ledger.csv holds
 * components only: energy, cooling, the amortization parts, opex). */
static int ledger_part(const char *item) {
  if (!strcmp(item, "it_energy")) return 0;
  if (!strcmp(item, "cooling_facility")) return 1;
  if (!strncmp(item, "amortization_", 13)) return 2;
  return 3;
}

ic_status ic__plot_write_run_ledger(const struct ic__plot_table *t, const char *src, const char *path) {
  long item = ic__plot_table_column(t, "item"), usd = ic__plot_table_column(t, "usd_per_day");
  double parts[4] = {0, 0, 0, 0};
  for (size_t r = 0; r < t->nrows; r++) {
    const char *p = t->rows[r];
    for (long c = 0; c < item && p; c++)
      if ((p = strchr(p, ','))) p++;
    char name[64];
    snprintf(name, sizeof name, "%.*s", p ? (int)strcspn(p, ",") : 0, p ? p : "");
    double v = ic__plot_table_number(t, r, (size_t)usd);
    if (isnan(v)) {
      ic_diag(src, t->row_linenos[r], "column 'usd_per_day': expected a number");
      return IC_EINVAL;
    }
    int k = ledger_part(trim(name));
    if (k >= 0) parts[k] += v;
  }
  char label[256];
  if (ic_meta_caption(src, label, sizeof label)) label[strcspn(label, ",")] = '\0';
  else snprintf(label, sizeof label, "this run");
  FILE *f = fopen(path, "w");
  if (!f) {
    ic_diag(path, 0, "cannot write: %s", strerror(errno));
    return IC_EIO;
  }
  fprintf(f, "scenario,energy_usd_per_day,cooling_usd_per_day,amortization_usd_per_day,"
          "other_usd_per_day\n%s,%.6f,%.6f,%.6f,%.6f\n", label, parts[0], parts[1], parts[2], parts[3]);
  return fclose(f) == 0 ? IC_OK : IC_EIO;
}
