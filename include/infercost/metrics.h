/* metrics.h: streaming statistics whose memory never grows with the number
 * of requests: a quantile sketch, a running summary, a time-weighted average
 * and a per-interval time series written as CSV.
 *
 * See docs/metrics.md for the error bound, the rank convention and the
 * memory bounds. */
#ifndef IC_METRICS_H
#define IC_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "infercost/simtime.h"
#include "infercost/status.h"

/* ---- Quantile sketch (log-bucketed, in the spirit of DDSketch) ---------- */

/* Default and allowed relative error of the sketch's quantiles. The lower
 * limit caps memory (see IC_SKETCH_MIN_VALUE); the upper one is the
 * project's accuracy requirement. */
#define IC_SKETCH_DEFAULT_REL_ERR 0.005
#define IC_SKETCH_MIN_REL_ERR 1e-4
#define IC_SKETCH_MAX_REL_ERR 0.01

/* Positive values are bucketed within [MIN_VALUE, MAX_VALUE]. Smaller
 * positive values count as zeros (below the clock's 1 ns resolution, absolute
 * error < 1e-9); larger ones go to the top bucket. Both are counted by
 * ic_sketch_clamped_count(), and the bound of rel_err does not hold for them.
 * 1e15 leaves room for byte counts of a whole cluster's memory. */
#define IC_SKETCH_MIN_VALUE 1e-9
#define IC_SKETCH_MAX_VALUE 1e15

typedef struct ic_sketch ic_sketch;

/* An empty sketch whose quantiles are within relative error `rel_err` of the
 * true nearest-rank quantile (for values in [MIN_VALUE, MAX_VALUE]). NULL
 * when rel_err is outside [IC_SKETCH_MIN_REL_ERR, IC_SKETCH_MAX_REL_ERR] or
 * out of memory. */
ic_sketch *ic_sketch_alloc(double rel_err);

/* Adds one value x >= 0 (finite). IC_EINVAL for a negative, NaN or infinite
 * x (the sketch is unchanged), IC_ENOMEM when the bucket range cannot grow. */
ic_status ic_sketch_add(ic_sketch *s, double x);

/* Adds `count` copies of x; same errors as ic_sketch_add. count 0 is a no-op. */
ic_status ic_sketch_add_n(ic_sketch *s, double x, uint64_t count);

/* Adds x to both sketches, as ic_sketch_add on each, finding its bucket once
 * when they share rel_err (a fleet-wide and a per-class record). */
ic_status ic_sketch_add2(ic_sketch *a, ic_sketch *b, double x);

/* Adds every value of `src` to `dst`, as if they had been added one by one
 * (bucket counts add exactly). IC_EINVAL when the two rel_err differ,
 * IC_ENOMEM when dst cannot grow (dst is then unchanged). src is not
 * modified and stays owned by the caller. */
ic_status ic_sketch_merge(ic_sketch *dst, const ic_sketch *src);

/* The q-quantile, q in [0, 1], nearest-rank: the k-th smallest value with
 * k = max(1, ceil(q * n)), where q * n within a relative 1e-12 of an integer
 * counts as that integer. q = 0 gives the exact min, q = 1 the exact max;
 * every answer lies in [min, max]. NaN when the sketch is empty or q is
 * outside [0, 1]. */
double ic_sketch_quantile(const ic_sketch *s, double q);

/* Number of values added. */
uint64_t ic_sketch_count(const ic_sketch *s);

/* Exact mean (compensated running sum / count); NaN when empty. */
double ic_sketch_mean(const ic_sketch *s);

/* Exact smallest and largest value added; NaN when empty. */
double ic_sketch_min(const ic_sketch *s);
double ic_sketch_max(const ic_sketch *s);

/* The relative error the sketch was made with. */
double ic_sketch_rel_err(const ic_sketch *s);

/* Positive values outside [IC_SKETCH_MIN_VALUE, IC_SKETCH_MAX_VALUE] that
 * were counted in the zero or the top bucket. */
uint64_t ic_sketch_clamped_count(const ic_sketch *s);

/* Buckets allocated now, and the most this sketch can ever allocate (fixed
 * by rel_err alone, never by the number of values). */
size_t ic_sketch_bucket_count(const ic_sketch *s);
size_t ic_sketch_bucket_limit(const ic_sketch *s);

/* Writes the whole sketch to `out` (binary, native byte order: for the
 * processes of one run, e.g. run.shards workers); IC_EIO when writing fails. */
ic_status ic_sketch_write(const ic_sketch *s, FILE *out);

/* A sketch read back from what ic_sketch_write wrote: equal in every
 * answer. NULL when the bytes end early or are inconsistent (counts that do
 * not add up, buckets outside the limits) or out of memory. */
ic_sketch *ic_sketch_read(FILE *in);

/* Frees the sketch; NULL does nothing. */
void ic_sketch_free(ic_sketch *s);

/* ---- Running summary (Welford) ------------------------------------------ */

/* Count, mean, spread and extremes of a stream. A zero-initialised struct
 * (or IC_SUMMARY_INIT) is an empty summary. count, min and max are fair game
 * to read; the mean and variance are read through the functions below, and
 * every field is updated only through them. Welford's recurrence runs on
 * x - shift (shift = the first value), so a large common offset (absolute
 * timestamps, 1e9 + noise) costs no digits. */
struct ic_summary {
  uint64_t count;
  double shift;    /* the first value added */
  double mean_dev; /* mean of (x - shift) */
  double m2;       /* sum of squared deviations from the mean */
  double min;      /* meaningful only when count > 0 */
  double max;
};
#define IC_SUMMARY_INIT {0, 0.0, 0.0, 0.0, 0.0, 0.0}

/* Adds one value (finite; NaN would poison every statistic). */
void ic_summary_add(struct ic_summary *s, double x);

/* Folds src into dst (Chan, Golub and LeVeque's pairwise formula), as if
 * src's values had been added to dst. */
void ic_summary_merge(struct ic_summary *dst, const struct ic_summary *src);

/* Mean; NaN when empty. */
double ic_summary_mean(const struct ic_summary *s);

/* Sample variance (divides by count - 1, like gsl_stats_variance) and its
 * square root; NaN when count < 2. */
double ic_summary_variance(const struct ic_summary *s);
double ic_summary_stddev(const struct ic_summary *s);

/* ---- Time-weighted average ---------------------------------------------- */

/* The average over time of a piecewise-constant quantity (number in system,
 * queue length, busy replicas). The area is a compensated sum of
 * value x nanoseconds in double: deterministic on every IEEE platform and
 * within a few ulps of exact however many changes there are (docs/metrics.md).
 * Fields are readable; update them only through the functions below. */
struct ic_time_avg {
  ic_time_ns start_ns; /* start of the averaging window */
  ic_time_ns last_ns;  /* time of the latest change */
  double value;        /* current value, held since last_ns */
  double max;          /* largest value held for a positive time before last_ns;
                          -HUGE_VAL when none */
  double area;         /* integral of value over [start_ns, last_ns], value x ns */
  double area_comp;    /* Neumaier compensation term of area */
};

/* Starts a window at start_ns with `value` held from then on. */
void ic_time_avg_init(struct ic_time_avg *a, ic_time_ns start_ns, double value);

/* The value changes to `value` at now_ns, which must not be before the
 * latest change (asserted; a release build treats it as the latest change). */
void ic_time_avg_set(struct ic_time_avg *a, ic_time_ns now_ns, double value);

/* Mean over [start_ns, end_ns) with the current value held up to end_ns
 * (>= the latest change); NaN when the window is empty. Does not modify a. */
double ic_time_avg_mean(const struct ic_time_avg *a, ic_time_ns end_ns);

/* Largest value held for a positive time in the window, or the current
 * value if larger. A value replaced at the instant it was set (two changes at
 * one time) does not count. */
double ic_time_avg_max(const struct ic_time_avg *a);

/* Starts a new window at at_ns (>= the latest change), keeping the current
 * value: discards a warm-up, or closes one interval of a time series. */
void ic_time_avg_restart(struct ic_time_avg *a, ic_time_ns at_ns);

/* ---- Per-interval time series ------------------------------------------- */

/* Rows are the intervals [start + k*interval, start + (k+1)*interval): an
 * event exactly on a boundary belongs to the later interval. */
typedef struct ic_series ic_series;

enum ic_series_kind {
  IC_SERIES_COUNTER, /* sum of the amounts counted in the interval: one CSV column */
  IC_SERIES_GAUGE    /* time-weighted mean and max over the interval: columns
                        `name` and `name_max`; starts at 0 at start_ns */
};

/* Number format of every CSV field: deterministic, and exact for integers
 * below 1e9. */
#define IC_SERIES_CSV_FMT "%.9g"

/* An empty series with no columns, starting at start_ns, with rows
 * `interval_ns` (> 0) long. NULL when interval_ns <= 0 or out of memory. */
ic_series *ic_series_alloc(ic_time_ns start_ns, ic_time_ns interval_ns);

/* Adds a column and stores its index in *col_out. The name is copied; it
 * must be non-empty and hold only letters, digits, '_', '.' and '-' (so the
 * CSV needs no quoting). IC_EINVAL for a bad name or kind, or once anything
 * has been recorded; IC_ENOMEM when out of memory. */
ic_status ic_series_add_column(ic_series *s, const char *name, enum ic_series_kind kind,
                               size_t *col_out);

/* Adds `amount` (finite) to counter `col` in the interval holding now_ns.
 * IC_EINVAL for an unknown column, a gauge column or a non-finite amount;
 * IC_ERANGE when now_ns is before start_ns or before the latest time
 * recorded; IC_ENOMEM when a new row cannot be stored. */
ic_status ic_series_count(ic_series *s, size_t col, ic_time_ns now_ns, double amount);

/* Gauge `col` takes `value` (finite) from now_ns on. Same errors as
 * ic_series_count, with counter and gauge swapped. */
ic_status ic_series_gauge(ic_series *s, size_t col, ic_time_ns now_ns, double value);

/* Writes a header row and one row per interval up to end_ns (the last row
 * is cut at end_ns; no row starts at or after end_ns) to `out`:
 * interval_start_s,interval_end_s,<columns>. Gauges are averaged over the
 * part of the interval before end_ns. Does not modify the series, so the run
 * may go on. IC_ERANGE when end_ns is before the latest time recorded,
 * IC_EIO when writing fails. The caller writes any provenance line first. */
ic_status ic_series_write_csv(const ic_series *s, FILE *out, ic_time_ns end_ns);

/* Rows stored now (closed intervals): grows with simulated time divided by
 * interval_ns, never with the number of events. */
size_t ic_series_rows(const ic_series *s);

/* Frees the series; NULL does nothing. */
void ic_series_free(ic_series *s);

#endif
