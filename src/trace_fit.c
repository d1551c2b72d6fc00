/* trace_fit.c: the arrival model `trace fit` derives from a trace, and the
 * [traffic] section it writes.
 *
 * Burstiness comes from the dispersion of arrival counts in windows (60 s,
 * or 10 grid steps when timestamps sit on a coarser grid) about the trace's
 * own rate profile, not from the raw gaps: a coarse timestamp grid turns
 * gaps into zeros and multiples of the grid and inflates their CV, while
 * window counts do not change. For a renewal process the index of
 * dispersion of counts, Var N / E N, tends to the squared CV of its gaps,
 * so the fitted gamma process has CV = sqrt(dispersion), and it is time-
 * changed through the profile so the rate follows the trace bin by bin. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/keys.h"
#include "trace_stats_impl.h"

#define DAY_S 86400.0

/* --- counts ---------------------------------------------------------------- */

bool ic__counts_add(struct ic__arrival_counts *c, ic_time_ns t_ns) {
  if (!c->bin_ns) c->bin_ns = IC_NS_PER_S;
  size_t i = (size_t)(t_ns / c->bin_ns);
  while (i >= IC__COUNTS_MAX) { /* merge pairs: bins twice as long */
    for (size_t k = 0; k < c->len; k += 2) c->n[k / 2] = c->n[k] + (k + 1 < c->len ? c->n[k + 1] : 0);
    size_t half = (c->len + 1) / 2;
    memset(c->n + half, 0, (c->cap - half) * sizeof *c->n);
    c->len = half;
    c->bin_ns *= 2;
    i = (size_t)(t_ns / c->bin_ns);
  }
  if (i >= c->cap) {
    size_t cap = c->cap ? c->cap : 4096;
    while (cap <= i) cap *= 2;
    if (cap > IC__COUNTS_MAX) cap = IC__COUNTS_MAX;
    uint32_t *p = realloc(c->n, cap * sizeof *p);
    if (!p) return false;
    memset(p + c->cap, 0, (cap - c->cap) * sizeof *p);
    c->n = p;
    c->cap = cap;
  }
  if (i >= c->len) c->len = i + 1;
  c->n[i]++;
  return true;
}

/* Arrivals in [from_s, to_s), both multiples of the bin length. */
static double count_between(const struct ic__arrival_counts *c, double from_s, double to_s) {
  double bin_s = ic_time_to_s(c->bin_ns), sum = 0;
  size_t a = (size_t)llround(from_s / bin_s), b = (size_t)llround(to_s / bin_s);
  for (size_t i = a; i < b && i < c->len; i++) sum += c->n[i];
  return sum;
}

/* --- the rate profile --------------------------------------------------------- */

/* Sub-day traces: bins of P = max(6 W, span / 24 rounded up to W) from the
 * first arrival; the last bin runs to the last arrival (P/2 to 3P/2). */
static void profile_bins(const struct ic__arrival_counts *c, const struct ic_trace_stats *st, double w_s,
                         struct ic_trace_fit *f) {
  double span = st->span_s;
  double p = fmax(6 * w_s, ceil(span / IC_TRACE_PROFILE_MAX / w_s) * w_s);
  size_t n = (size_t)llround(span / p);
  if (n < 1) n = 1;
  if (n > IC_TRACE_PROFILE_MAX) n = IC_TRACE_PROFILE_MAX;
  double sum = 0, rate[IC_TRACE_PROFILE_MAX];
  for (size_t b = 0; b < n; b++) {
    double from = (double)b * p, end = (double)c->len * ic_time_to_s(c->bin_ns);
    double covered = b + 1 < n ? p : fmax(span - from, w_s);
    double k = count_between(c, from, b + 1 < n ? from + p : end); /* the last bin: to the end */
    rate[b] = k / covered;
    sum += rate[b];
  }
  f->profile_bins = n;
  f->profile_bin_s = p;
  f->rate_per_s = sum / (double)n;
  for (size_t b = 0; b < n; b++) f->profile[b] = f->rate_per_s > 0 ? rate[b] / f->rate_per_s : 1;
}

/* Share of [0, span) in each hour-of-day (or day-of-week) slot, s. */
static void slot_cover(double span, double slot_s, size_t slots, double *cover) {
  for (size_t i = 0; i < slots; i++) cover[i] = 0;
  for (double t = 0; t < span; t += slot_s) cover[(size_t)(t / slot_s) % slots] += fmin(slot_s, span - t);
}

/* Least squares of ln(daily count) on the day, over whole days with
 * arrivals. */
static void trend(const struct ic__arrival_counts *c, int days, struct ic_trace_fit *f) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, n = 0;
  for (int d = 0; d < days; d++) {
    double k = count_between(c, d * DAY_S, (d + 1) * DAY_S);
    if (k <= 0) continue;
    double y = log(k);
    sx += d, sy += y, sxx += (double)d * d, sxy += d * y, syy += y * y, n++;
  }
  double vxx = sxx - sx * sx / n;
  if (n < 3 || vxx <= 0) return;
  double slope = (sxy - sx * sy / n) / vxx;
  double sse = fmax(0, syy - sy * sy / n - slope * (sxy - sx * sy / n));
  f->has_trend = true;
  f->trend_days = (int)n;
  f->growth_log_per_day = slope;
  f->growth_log_se = sqrt(sse / (n - 2) / vxx);
}

/* Multi-day traces: hour-of-day weights (hours from the first arrival's),
 * day-of-week weights from 14 days, and a growth trend over whole days. */
static void profile_days(const struct ic__arrival_counts *c, const struct ic_trace_stats *st, struct ic_trace_fit *f) {
  double span = st->span_s, bin_s = ic_time_to_s(c->bin_ns), cover[24], hcount[24] = {0};
  f->multi_day = true;
  f->rate_per_s = (double)st->rows / span;
  for (size_t i = 0; i < c->len; i++) {
    double t = (double)i * bin_s;
    hcount[(size_t)(t / 3600) % 24] += c->n[i];
  }
  slot_cover(span, 3600, 24, cover);
  for (int h = 0; h < 24; h++) f->hourly[h] = cover[h] > 0 ? hcount[h] / cover[h] / f->rate_per_s : 1;
  int days = (int)floor(span / DAY_S);
  f->has_weekly = span >= 14 * DAY_S;
  if (days >= 14) trend(c, days, f);
  if (!f->has_weekly) return;
  /* day-of-week volumes, over whole days and without the trend when there
   * is one (else the weights would repeat a week's growth every week) */
  double sum[7] = {0}, cnt[7] = {0}, mean = 0;
  for (int d = 0; d < days; d++) {
    double k = count_between(c, d * DAY_S, (d + 1) * DAY_S);
    if (f->has_trend) k /= exp(f->growth_log_per_day * d);
    sum[d % 7] += k;
    cnt[d % 7]++;
  }
  for (int d = 0; d < 7; d++) mean += sum[d] / cnt[d] / 7;
  for (int d = 0; d < 7; d++) f->weekly[d] = mean > 0 ? sum[d] / cnt[d] / mean : 1;
}

/* Expected rate at t (from the first arrival), /s. */
static double rate_at(const struct ic_trace_fit *f, double t) {
  if (!f->multi_day) {
    size_t b = (size_t)(t / f->profile_bin_s);
    return f->rate_per_s * f->profile[b < f->profile_bins ? b : f->profile_bins - 1];
  }
  double r = f->rate_per_s * f->hourly[(size_t)(t / 3600) % 24];
  return f->has_weekly ? r * f->weekly[(size_t)(t / DAY_S) % 7] : r;
}

void ic__fit_arrivals(const struct ic__arrival_counts *c, double grid_s, const struct ic_trace_stats *st,
                      struct ic_trace_fit *f) {
  memset(f, 0, sizeof *f);
  f->grid_s = grid_s;
  f->quantised = grid_s >= 1e-3 && (st->zero_gap_frac > 0.01 || grid_s > st->iat_mean_s / 20);
  double bin_s = c->bin_ns ? ic_time_to_s(c->bin_ns) : 1;
  f->window_s = ceil(fmax(60, 10 * grid_s) / bin_s) * bin_s;
  if (st->span_s >= 2 * DAY_S) profile_days(c, st, f);
  else profile_bins(c, st, f->window_s, f);
  /* dispersion of whole windows about the profile; with sub-day bins the
   * profile is fitted from the same windows, w per bin, which takes 1/w of
   * the variance: corrected by w / (w - 1) */
  double num = 0, den = 0, w = f->multi_day ? 0 : f->profile_bin_s / f->window_s;
  for (double t = 0; t + f->window_s <= st->span_s; t += f->window_s) {
    double n = count_between(c, t, t + f->window_s), m = rate_at(f, t + 0.5 * f->window_s) * f->window_s;
    num += (n - m) * (n - m);
    den += m;
    f->windows++;
  }
  f->dispersion = den > 0 ? num / den * (w > 1 ? w / (w - 1) : 1) : (double)NAN;
  f->cv = f->windows >= 2 && isfinite(f->dispersion) ? fmin(100, fmax(0.05, sqrt(f->dispersion))) : 1;
  /* the volume is the trace's own (bins weigh equally in the profile's
   * mean, and the last one may be short) */
  if (st->span_s > 0) f->rate_per_s = (double)st->rows / st->span_s;
}

/* --- the [traffic] section ---------------------------------------------------------- */

/* Writes `key = w0|w1|...` with as many decimals (3, 2, 1, 0) as fit in a
 * text value (weights have mean 1, so none is above 24 and 0 decimals
 * always fit). */
static void weights(FILE *out, const char *key, const double *w, size_t n) {
  char text[IC_KEY_TEXT_MAX];
  for (int digits = 3; digits >= 0; digits--) {
    size_t used = 0;
    bool fits = true;
    for (size_t i = 0; i < n && fits; i++) {
      int k = snprintf(text + used, sizeof text - used, "%s%.*f", i ? "|" : "", digits, w[i]);
      fits = k >= 0 && used + (size_t)k < sizeof text;
      if (fits) used += (size_t)k;
    }
    if (fits) break;
  }
  fprintf(out, "%s = %s\n", key, text);
}

static void format_keys(FILE *out, const char *path, const struct ic_trace_options *o) {
  fprintf(out, "trace_path = %s\n", path);
  if (o->format != IC_TRACE_AUTO) fprintf(out, "trace_format = %s\n", ic_trace_format_name(o->format));
  if (o->format == IC_TRACE_GENERIC || o->format == IC_TRACE_JSONL) {
    static const char *const units[] = {"s", "ms", "us", "ns", "datetime"};
    fprintf(out, "trace_time_column = %s\ntrace_prompt_column = %s\ntrace_output_column = %s\n", o->time_column,
            o->prompt_column, o->output_column);
    fprintf(out, "trace_time_unit = %s\ntrace_time_relative = %s\n", units[o->time_unit],
            o->time_relative ? "true" : "false");
  }
  if (o->skip_bad_rows) fprintf(out, "trace_skip_bad_rows = true\n");
}

static void lengths(FILE *out, const char *name, const struct ic_token_summary *t, bool lognormal) {
  if (!lognormal) {
    fprintf(out, "%s_dist = empirical\n", name);
    return;
  }
  /* mean-preserving: sigma by maximum likelihood, mu so that
   * exp(mu + sigma^2 / 2) is the trace's mean */
  double mean = fmax(1, t->mean);
  fprintf(out, "%s_dist = lognormal\n%s_tokens = %.0f\n", name, name, round(mean));
  fprintf(out, "%s_lognormal_mu = %.6f\n%s_lognormal_sigma = %.6f\n", name, log(mean) - 0.5 * t->lognormal_sigma * t->lognormal_sigma,
          name, t->lognormal_sigma);
}

ic_status ic_trace_fit_write(FILE *out, const char *path, const struct ic_trace_options *opt,
                             const struct ic_trace_stats *st, const struct ic_trace_fit_options *fo) {
  const struct ic_trace_fit *f = &st->fit;
  static const struct ic_trace_options none = {0};
  if (!opt) opt = &none;
  double grow = fo->grow > 0 ? fo->grow : 1;
  if (fo->horizon_days > 0 && !f->has_trend) {
    ic_diag(path, 0, "--horizon-days needs a growth trend, fitted from 14 whole days or more; the trace spans %.2f days",
            st->span_s / DAY_S);
    return IC_EINVAL;
  }
  if (!(st->span_s > 0)) {
    ic_diag(path, 0, "all %llu arrivals are at one instant: no rate to fit", (unsigned long long)st->rows);
    return IC_EINVAL;
  }
  if (f->windows < 2)
    ic_diag(path, 0, "note: the trace spans %.1f s, under two %g s windows: no burstiness measured, CV 1 (Poisson) "
                     "assumed", st->span_s, f->window_s);
  if (!fo->lognormal && strcmp(path, "-") == 0) {
    ic_diag(path, 0, "lengths from the trace's histogram need a file to read again; use --lengths lognormal");
    return IC_EINVAL;
  }
  double trend = fo->horizon_days > 0 ? exp(f->growth_log_per_day * (st->span_s / DAY_S / 2 + fo->horizon_days)) : 1;
  fprintf(out, "# infercost trace fit: %s (%llu rows over %.1f s)\n", path, (unsigned long long)st->rows, st->span_s);
  if (f->windows < 2)
    fprintf(out, "# Arrivals: gamma renewal with CV 1 (Poisson) assumed: the trace is shorter than two windows of %g s;\n",
            f->window_s);
  else
    fprintf(out, "# Arrivals: gamma renewal with CV %.3f = sqrt(dispersion %.3f of counts in %llu windows of %g s about\n",
            f->cv, f->dispersion, (unsigned long long)f->windows, f->window_s);
  fprintf(out, "# %stime-changed through the profile. Raw gaps: CV %.3f (moments), %.3f (gamma ML).\n",
          f->windows < 2 ? "" : "the rate profile), ", st->iat_cv, st->iat_gamma_mle_cv);
  if (f->quantised)
    fprintf(out, "# Note: timestamps sit on a grid of %g s (%.1f%% of gaps are 0): the raw-gap CV is distorted;\n"
                 "# window counts are not, so the CV above stands.\n", f->grid_s, 100 * st->zero_gap_frac);
  if (f->multi_day)
    fprintf(out, "# Profile: by hour from the first arrival's hour%s (simulated time 0 = that hour).\n",
            f->has_weekly ? " and by day of the week" : "");
  else
    fprintf(out, "# Profile: %zu bins of %g s from the first arrival, repeated.\n", f->profile_bins, f->profile_bin_s);
  if (f->has_trend)
    fprintf(out, "# Trend over %d whole days: %+.3f%% a day (standard error %.3f%%), %+.1f%% over 90 days.\n",
            f->trend_days, 100 * expm1(f->growth_log_per_day), 100 * f->growth_log_se,
            100 * expm1(90 * f->growth_log_per_day));
  else
    fprintf(out, "# No growth trend: the trace spans %.2f days (14 whole days needed).\n", st->span_s / DAY_S);
  fprintf(out, "# Volume: the trace's mean rate %.6g /s x 86,400 s", f->rate_per_s);
  if (grow != 1) fprintf(out, " x %g (--grow)", grow);
  if (trend != 1) fprintf(out, " x %.4f (trend to %g days past the end)", trend, fo->horizon_days);
  fprintf(out, ".\n# Lengths: %s.\n", fo->lognormal ? "lognormal, sigma by maximum likelihood, mean kept"
                                                    : "the trace's own histogram (empirical)");
  fprintf(out, "[traffic]\n");
  fprintf(out, "queries_per_day = %.6g\n", f->rate_per_s * DAY_S * grow * trend);
  fprintf(out, "arrival = gamma\narrival_cv = %.4g\n", f->cv);
  if (f->multi_day) {
    weights(out, "diurnal_hourly_weights", f->hourly, 24);
    if (f->has_weekly) weights(out, "weekly_weights", f->weekly, 7);
  } else {
    weights(out, "rate_profile", f->profile, f->profile_bins);
    fprintf(out, "rate_profile_bin_s = %g\n", f->profile_bin_s);
  }
  lengths(out, "prompt", &st->prompt, fo->lognormal);
  lengths(out, "output", &st->output, fo->lognormal);
  if (!fo->lognormal) format_keys(out, path, opt);
  return IC_OK;
}
