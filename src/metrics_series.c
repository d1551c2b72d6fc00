/* metrics_series.c: per-interval time series of counters and gauges.
 *
 * Only the open interval is live state (a running sum per counter, a
 * time-weighted average per gauge); when time passes a boundary the open
 * interval is closed into a row of doubles and the state restarts. Memory is
 * therefore rows x fields, set by simulated time / interval, never by the
 * number of events. */
#include "infercost/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_impl.h"

struct column {
  char *name;
  enum ic_series_kind kind;
  size_t field; /* index of its first field in a row */
  double sum, sum_comp;   /* counter: amounts so far in the open interval */
  struct ic_time_avg avg; /* gauge: the open interval's window */
};

struct ic_series {
  ic_time_ns start_ns, interval_ns;
  struct column *cols;
  size_t ncols, cols_cap;
  size_t nfields;  /* doubles per row: 1 per counter, 2 per gauge */
  double *rows;    /* nrows x nfields, closed intervals in time order */
  size_t nrows, rows_cap;
  ic_time_ns last_ns; /* latest time recorded; start_ns before any */
  ic_time_ns close_ns; /* the open interval's end, start_ns + (nrows + 1) x interval_ns: advance has nothing to close before it */
  bool recorded;
};

/* start_ns + (nrows + 1) x interval_ns, IC_TIME_NEVER past the clock's range. */
static ic_time_ns next_close(const ic_series *s) {
  ic_time_ns span, end;
  if (__builtin_mul_overflow((ic_time_ns)(s->nrows + 1), s->interval_ns, &span) ||
      __builtin_add_overflow(s->start_ns, span, &end))
    return IC_TIME_NEVER;
  return end;
}

ic_series *ic_series_alloc(ic_time_ns start_ns, ic_time_ns interval_ns) {
  if (interval_ns <= 0) return NULL;
  ic_series *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->start_ns = start_ns;
  s->interval_ns = interval_ns;
  s->last_ns = start_ns;
  s->close_ns = next_close(s);
  return s;
}

static bool name_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

/* True when output column `a` collides with column `b` or its "_max". */
static bool collides(const char *a, const char *b, enum ic_series_kind b_kind) {
  size_t lb = strlen(b);
  if (strcmp(a, b) == 0) return true;
  return b_kind == IC_SERIES_GAUGE && strncmp(a, b, lb) == 0 && strcmp(a + lb, "_max") == 0;
}

static bool name_ok(const ic_series *s, const char *name, enum ic_series_kind kind) {
  if (!name || !*name) return false;
  for (const char *p = name; *p; p++)
    if (!name_char_ok(*p)) return false;
  for (size_t i = 0; i < s->ncols; i++) {
    const struct column *c = &s->cols[i];
    if (collides(name, c->name, c->kind) || collides(c->name, name, kind)) return false;
  }
  return strcmp(name, "interval_start_s") != 0 && strcmp(name, "interval_end_s") != 0;
}

ic_status ic_series_add_column(ic_series *s, const char *name, enum ic_series_kind kind,
                               size_t *col_out) {
  if (s->recorded || (kind != IC_SERIES_COUNTER && kind != IC_SERIES_GAUGE) ||
      !name_ok(s, name, kind))
    return IC_EINVAL;
  if (s->ncols == s->cols_cap) {
    size_t cap = s->cols_cap ? 2 * s->cols_cap : 8;
    struct column *c = realloc(s->cols, cap * sizeof *c);
    if (!c) return IC_ENOMEM;
    s->cols = c;
    s->cols_cap = cap;
  }
  size_t len = strlen(name);
  char *copy = malloc(len + 1);
  if (!copy) return IC_ENOMEM;
  memcpy(copy, name, len + 1);
  struct column *c = &s->cols[s->ncols];
  *c = (struct column){.name = copy, .kind = kind, .field = s->nfields};
  ic_time_avg_init(&c->avg, s->start_ns, 0.0);
  s->nfields += kind == IC_SERIES_GAUGE ? 2 : 1;
  *col_out = s->ncols++;
  return IC_OK;
}

/* Writes the open interval's fields, as of `boundary_ns`, into out[], then
 * restarts every column at boundary_ns. Used both to close rows and, on a
 * copy of the columns, to write the rows still open. */
static void close_interval(struct column *cols, size_t ncols, ic_time_ns boundary_ns, double *out) {
  for (size_t i = 0; i < ncols; i++) {
    struct column *c = &cols[i];
    if (c->kind == IC_SERIES_COUNTER) {
      out[c->field] = c->sum + c->sum_comp;
      c->sum = c->sum_comp = 0.0;
    } else {
      out[c->field] = ic_time_avg_mean(&c->avg, boundary_ns);
      out[c->field + 1] = ic_time_avg_max(&c->avg);
      ic_time_avg_restart(&c->avg, boundary_ns);
    }
  }
}

/* Closes every interval that ends at or before now_ns: none before close_ns
 * (a compare where the index of now's interval is a 64-bit division, at
 * every change the series hears: several a request). */
static ic_status advance(ic_series *s, ic_time_ns now_ns) {
  if (now_ns < s->close_ns) return IC_OK;
  uint64_t k = (uint64_t)((now_ns - s->start_ns) / s->interval_ns); /* index of now's interval */
  while (s->nrows < k) {
    if (s->nrows == s->rows_cap) {
      size_t cap = s->rows_cap ? 2 * s->rows_cap : 64;
      double *r = realloc(s->rows, cap * (s->nfields ? s->nfields : 1) * sizeof *r);
      if (!r) return IC_ENOMEM;
      s->rows = r;
      s->rows_cap = cap;
    }
    ic_time_ns boundary = s->start_ns + (ic_time_ns)(s->nrows + 1) * s->interval_ns;
    close_interval(s->cols, s->ncols, boundary, s->rows + s->nrows * s->nfields);
    s->nrows++;
  }
  s->close_ns = next_close(s);
  return IC_OK;
}

/* Common checks and the advance for count and gauge. */
static ic_status record(ic_series *s, size_t col, enum ic_series_kind kind, ic_time_ns now_ns,
                        double x) {
  if (col >= s->ncols || s->cols[col].kind != kind || !isfinite(x)) return IC_EINVAL;
  if (now_ns < s->last_ns) return IC_ERANGE; /* last_ns >= start_ns */
  ic_status st = advance(s, now_ns);
  if (st != IC_OK) return st;
  s->last_ns = now_ns;
  s->recorded = true;
  return IC_OK;
}

ic_status ic_series_count(ic_series *s, size_t col, ic_time_ns now_ns, double amount) {
  ic_status st = record(s, col, IC_SERIES_COUNTER, now_ns, amount);
  if (st != IC_OK) return st;
  struct column *c = &s->cols[col];
  ic__metrics_sum_add(&c->sum, &c->sum_comp, amount);
  return IC_OK;
}

ic_status ic_series_gauge(ic_series *s, size_t col, ic_time_ns now_ns, double value) {
  ic_status st = record(s, col, IC_SERIES_GAUGE, now_ns, value);
  if (st != IC_OK) return st;
  ic_time_avg_set(&s->cols[col].avg, now_ns, value);
  return IC_OK;
}

static bool write_row(FILE *out, ic_time_ns from_ns, ic_time_ns to_ns, const double *fields,
                      size_t nfields) {
  if (fprintf(out, IC_SERIES_CSV_FMT "," IC_SERIES_CSV_FMT, ic_time_to_s(from_ns),
              ic_time_to_s(to_ns)) < 0)
    return false;
  for (size_t i = 0; i < nfields; i++)
    if (fprintf(out, "," IC_SERIES_CSV_FMT, fields[i]) < 0) return false;
  return fputc('\n', out) != EOF;
}

static bool write_header(const ic_series *s, FILE *out) {
  if (fputs("interval_start_s,interval_end_s", out) == EOF) return false;
  for (size_t i = 0; i < s->ncols; i++) {
    const struct column *c = &s->cols[i];
    if (fprintf(out, ",%s", c->name) < 0) return false;
    if (c->kind == IC_SERIES_GAUGE && fprintf(out, ",%s_max", c->name) < 0) return false;
  }
  return fputc('\n', out) != EOF;
}

/* The rows still open, from a copy of the live state so the series is left
 * untouched. */
static ic_status write_open_rows(const ic_series *s, FILE *out, ic_time_ns end_ns) {
  struct column *tmp = malloc((s->ncols ? s->ncols : 1) * sizeof *tmp);
  double *fields = malloc((s->nfields ? s->nfields : 1) * sizeof *fields);
  ic_status st = IC_OK;
  if (!tmp || !fields) {
    st = IC_ENOMEM;
    goto done;
  }
  if (s->ncols) memcpy(tmp, s->cols, s->ncols * sizeof *tmp);
  for (ic_time_ns from = s->start_ns + (ic_time_ns)s->nrows * s->interval_ns; from < end_ns;
       from += s->interval_ns) {
    ic_time_ns to = end_ns - from > s->interval_ns ? from + s->interval_ns : end_ns;
    close_interval(tmp, s->ncols, to, fields);
    if (!write_row(out, from, to, fields, s->nfields)) {
      st = IC_EIO;
      goto done;
    }
  }
done:
  free(tmp);
  free(fields);
  return st;
}

ic_status ic_series_write_csv(const ic_series *s, FILE *out, ic_time_ns end_ns) {
  if (end_ns < s->last_ns) return IC_ERANGE;
  if (!write_header(s, out)) return IC_EIO;
  /* A closed row may end after end_ns only if end_ns < last_ns, refused above. */
  for (size_t r = 0; r < s->nrows; r++) {
    ic_time_ns from = s->start_ns + (ic_time_ns)r * s->interval_ns;
    if (!write_row(out, from, from + s->interval_ns, s->rows + r * s->nfields, s->nfields))
      return IC_EIO;
  }
  ic_status st = write_open_rows(s, out, end_ns);
  if (st != IC_OK) return st;
  return ferror(out) ? IC_EIO : IC_OK;
}

size_t ic_series_rows(const ic_series *s) { return s->nrows; }

void ic_series_free(ic_series *s) {
  if (!s) return;
  for (size_t i = 0; i < s->ncols; i++) free(s->cols[i].name);
  free(s->cols);
  free(s->rows);
  free(s);
}
