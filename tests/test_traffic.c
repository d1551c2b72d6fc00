#define _POSIX_C_SOURCE 200809L /* mkdtemp, popen */
/* test_traffic.c: every generator against its distribution, the diurnal
 * profile, classes, trace replay, and the section's checks.
 *
 * Statistical tests run at a fixed seed with significance level alpha =
 * 0.01: a test fails if p < 0.01. Continuous draws use the one-sample
 * Kolmogorov-Smirnov test against GSL's CDFs (p from the Kolmogorov
 * distribution with Stephens' small-sample correction); discrete draws use
 * Pearson's chi-square test (KS is not exact for discrete data), with GSL's
 * chi-square tail. Set IC_TEST_VERBOSE=1 to print the p-values. */
#include "ic_test.h"
#include "ic_test_diag.h"
#include "ic_test_cli.h"
#include "ic_test_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "infercost/scenario.h"
#include "infercost/sim.h"
#include "infercost/status.h"
#include "infercost/traffic.h"

#define ALPHA 0.01
#define DATA IC_SOURCE_DIR "/tests/data/"

static void show(const char *what, double p) {
  const char *v = getenv("IC_TEST_VERBOSE");
  if (v && *v == '1') printf("  %s: p = %.4f\n", what, p);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Kolmogorov's limiting distribution: P(D_n > d) (Numerical Recipes'
 * probks with Stephens' correction). */
static double ks_p(double d, size_t n) {
  double en = sqrt((double)n), lambda = (en + 0.12 + 0.11 / en) * d;
  double sum = 0, sign = 1;
  for (int k = 1; k <= 100; k++) {
    double term = sign * 2 * exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (fabs(term) < 1e-12) return sum < 0 ? 0 : sum > 1 ? 1 : sum;
    sign = -sign;
  }
  return 1;
}

/* One-sample KS p-value of x[0..n) (sorted here) against cdf. */
static double ks_test(double *x, size_t n, double (*cdf)(double, const void *), const void *ctx) {
  qsort(x, n, sizeof *x, cmp_double);
  double d = 0;
  for (size_t i = 0; i < n; i++) {
    double f = cdf(x[i], ctx);
    d = fmax(d, fmax((double)(i + 1) / (double)n - f, f - (double)i / (double)n));
  }
  return ks_p(d, n);
}

/* Pearson chi-square p-value of observed counts against expected counts
 * (bins with expected < 5 are pooled into the next). */
static double chi2_test(const double *obs, const double *expect, size_t bins) {
  double chi2 = 0, o = 0, e = 0;
  size_t df = 0;
  for (size_t i = 0; i < bins; i++) {
    o += obs[i];
    e += expect[i];
    if (e >= 5 || i == bins - 1) {
      chi2 += (o - e) * (o - e) / e;
      df++;
      o = e = 0;
    }
  }
  return gsl_cdf_chisq_Q(chi2, (double)(df - 1));
}

/* A default [traffic] section, from the scenario's own defaults. */
static struct ic_traffic_config defaults(void) {
  struct ic_scenario *s = malloc(sizeof *s);
  assert_non_null(s);
  ic_scenario_defaults(s);
  struct ic_traffic_config c = s->traffic;
  free(s);
  return c;
}

static ic_source *open_source(const struct ic_traffic_config *c, ic_sim *sim, double end_s, int64_t ctx) {
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(c, sim, ic_time_from_s(end_s), ctx, &src), IC_OK);
  assert_non_null(src);
  return src;
}

/* --- arrivals ------------------------------------------------------------------ */

struct gap_ctx {
  double mean_s, cv;
};

static double exp_cdf(double x, const void *ctx) { return gsl_cdf_exponential_P(x, ((const struct gap_ctx *)ctx)->mean_s); }
/* The reference gamma CDF from its textbook parameters, not the code
 * under test's mapping: CV^2 = 1/k for shape k, mean = k theta, so
 * k = 1/CV^2 and theta = mean CV^2 (GSL's gsl_cdf_gamma_P(x, k, theta)). */
static double gamma_cdf(double x, const void *ctx) {
  const struct gap_ctx *g = ctx;
  double k = 1.0 / (g->cv * g->cv), theta = g->mean_s * g->cv * g->cv;
  return gsl_cdf_gamma_P(x, k, theta);
}

/* Gaps between the first n arrivals of a source. */
static double *gaps(ic_source *src, size_t n) {
  double *g = malloc(n * sizeof *g);
  assert_non_null(g);
  struct ic_request r;
  ic_time_ns prev = 0;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    g[i] = ic_time_to_s(r.arrival_ns - prev);
    prev = r.arrival_ns;
  }
  return g;
}

static void poisson_gaps_are_exponential(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.queries_per_day = 2.385e6;
  ic_sim *sim = ic_sim_alloc(20240611, 0);
  ic_source *src = open_source(&c, sim, 86400, 0);
  size_t n = 20000;
  double *g = gaps(src, n);
  struct gap_ctx ctx = {86400 / 2.385e6, 1};
  double p = ks_test(g, n, exp_cdf, &ctx);
  show("poisson gaps vs exponential (KS)", p);
  assert_true(p > ALPHA);
  free(g);
  ic_source_free(src);
  ic_sim_free(sim);
}

/* Gamma renewal gaps of the source, CV 1.385 (shape 1/CV^2), against GSL's
 * gamma CDF. (At larger CVs a visible share of gaps is below the 1 ns
 * resolution of simulated time, so the sampler itself is tested there.) */
static void gamma_gaps_are_gamma(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.arrival = IC_ARRIVAL_GAMMA;
  c.arrival_cv = 1.385;
  c.queries_per_day = 1e6;
  ic_sim *sim = ic_sim_alloc(7, 3);
  ic_source *src = open_source(&c, sim, 86400 * 2, 0);
  size_t n = 20000;
  double *g = gaps(src, n);
  struct gap_ctx ctx = {0.0864, 1.385};
  double p = ks_test(g, n, gamma_cdf, &ctx);
  show("gamma source gaps (CV 1.385) vs gamma (KS)", p);
  assert_true(p > ALPHA);
  /* the CV itself, from the moments of the gaps */
  double m = 0, v = 0;
  for (size_t i = 0; i < n; i++) m += g[i] / (double)n;
  for (size_t i = 0; i < n; i++) v += (g[i] - m) * (g[i] - m) / (double)n;
  assert_true(fabs(sqrt(v) / m - 1.385) < 0.05);
  free(g);
  ic_source_free(src);
  ic_sim_free(sim);
}

static void gamma_sampler_cv_2385(void **state) {
  (void)state;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 2385);
  size_t n = 20000;
  double *g = malloc(n * sizeof *g);
  for (size_t i = 0; i < n; i++) g[i] = ic_ran_gamma_gap(r, 0.0864, 2.385);
  struct gap_ctx ctx = {0.0864, 2.385};
  double p = ks_test(g, n, gamma_cdf, &ctx);
  show("gamma sampler (CV 2.385) vs gamma (KS)", p);
  assert_true(p > ALPHA);
  free(g);
  gsl_rng_free(r);
}

/* Expected arrivals in hour h of the sinusoid, from its integral:
 * Q/24 + (Q/86400) a (86400/2pi) [sin(2pi(h+1-p)/24) - sin(2pi(h-p)/24)]. */
static double sine_hour(double q, double ratio, double peak, int h) {
  double a = (ratio - 1) / (ratio + 1), w = 2 * 3.14159265358979323846 / 24;
  return q / 24 + q * a / (w * 24) * (sin(w * (h + 1 - peak)) - sin(w * (h - peak)));
}

struct diurnal_case {
  const char *name;
  const char *hourly; /* or "none" */
  double ratio, peak;
  double weights[24];
};

static struct diurnal_case diurnal_cases[] = {
    {"sine_ratio_3_peak_14h", "none", 3, 14, {0}},
    {"sine_ratio_1.7_peak_20.5h", "none", 1.7, 20.5, {0}},
    {"hourly_weights", "1|1|1|1|1|2|3|4|5|6|7|8|8|8|7|6|5|4|3|2|1|1|1|1", 0, 0,
     {1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1, 1, 1, 1}},
};

static void run_diurnal_case(void **state) {
  const struct diurnal_case *dc = *state;
  struct ic_traffic_config c = defaults();
  c.arrival = IC_ARRIVAL_DIURNAL;
  c.queries_per_day = 1e6;
  c.diurnal_peak_to_trough = dc->ratio ? dc->ratio : 2;
  c.diurnal_peak_hour = dc->peak;
  snprintf(c.diurnal_hourly_weights, sizeof c.diurnal_hourly_weights, "%s", dc->hourly);
  ic_sim *sim = ic_sim_alloc(99, 0);
  ic_source *src = open_source(&c, sim, 86400, 0);
  double obs[24] = {0}, expect[24], total = 0, wsum = 0;
  struct ic_request r;
  while (ic_source_next(src, &r) == IC_OK) obs[r.arrival_ns / (3600 * IC_NS_PER_S)]++, total++;
  for (int h = 0; h < 24; h++) wsum += dc->weights[h];
  for (int h = 0; h < 24; h++)
    expect[h] = dc->ratio ? sine_hour(1e6, dc->ratio, dc->peak, h) : 1e6 * dc->weights[h] / wsum;
  double p = chi2_test(obs, expect, 24);
  show(dc->name, p);
  assert_true(p > ALPHA);
  assert_true(fabs(total - 1e6) / 1e6 < 0.01); /* the day's total within 1% */
  ic_source_free(src);
  ic_sim_free(sim);
}

/* Three weeks of Poisson arrivals with a weekly pattern: daily counts follow
 * the weights, each week totals 7 x queries_per_day. */
static void weekly_pattern(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.queries_per_day = 2e4;
  snprintf(c.weekly_weights, sizeof c.weekly_weights, "1.2|1.1|1|1|0.9|0.5|0.3");
  ic_sim *sim = ic_sim_alloc(5, 0);
  ic_source *src = open_source(&c, sim, 86400 * 21, 0);
  double w[7] = {1.2, 1.1, 1, 1, 0.9, 0.5, 0.3}, obs[21] = {0}, expect[21];
  struct ic_request r;
  while (ic_source_next(src, &r) == IC_OK) obs[r.arrival_ns / (86400 * IC_NS_PER_S)]++;
  for (int d = 0; d < 21; d++) expect[d] = 2e4 * 7 * w[d % 7] / 6.0;
  double p = chi2_test(obs, expect, 21);
  show("weekly daily counts", p);
  assert_true(p > ALPHA);
  ic_source_free(src);
  ic_sim_free(sim);
}

/* --- lengths --------------------------------------------------------------------------- */

/* Lognormal lengths are rounded to integers; adding U(-1/2, 1/2) makes them
 * continuous again with a CDF that interpolates F linearly between
 * half-integers, F = GSL's lognormal CDF: an exact KS test of the draws. */
struct ln_ctx {
  double mu, sigma;
};
static double jittered_lognormal_cdf(double x, const void *ctx) {
  const struct ln_ctx *l = ctx;
  double k = floor(x + 0.5), lo = gsl_cdf_lognormal_P(k - 0.5, l->mu, l->sigma);
  double hi = gsl_cdf_lognormal_P(k + 0.5, l->mu, l->sigma);
  return lo + (x - (k - 0.5)) * (hi - lo);
}

static void lognormal_lengths(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.prompt_dist = IC_LENGTH_LOGNORMAL;
  c.prompt_tokens = 2385;
  c.prompt_tokens_cv = 0.8;
  c.output_dist = IC_LENGTH_LOGNORMAL; /* by mu, sigma */
  c.output_lognormal_mu = 4.6;
  c.output_lognormal_sigma = 1.1;
  ic_sim *sim = ic_sim_alloc(11, 0);
  ic_source *src = open_source(&c, sim, 86400, 0);
  gsl_rng *jit = gsl_rng_alloc(gsl_rng_mt19937);
  size_t n = 20000;
  double *xp = malloc(n * sizeof *xp), *xo = malloc(n * sizeof *xo);
  struct ic_request r;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    xp[i] = (double)r.prompt_tokens + gsl_rng_uniform(jit) - 0.5;
    xo[i] = (double)r.output_tokens + gsl_rng_uniform(jit) - 0.5;
  }
  /* mean 2385, CV 0.8: sigma^2 = ln(1.64), mu = ln(2385) - sigma^2/2 */
  struct ln_ctx lp = {log(2385) - 0.5 * log(1.64), sqrt(log(1.64))}, lo = {4.6, 1.1};
  double p1 = ks_test(xp, n, jittered_lognormal_cdf, &lp), p2 = ks_test(xo, n, jittered_lognormal_cdf, &lo);
  show("lognormal prompt by mean/CV (KS)", p1);
  show("lognormal output by mu/sigma (KS)", p2);
  assert_true(p1 > ALPHA);
  assert_true(p2 > ALPHA);
  free(xp);
  free(xo);
  gsl_rng_free(jit);
  ic_source_free(src);
  ic_sim_free(sim);
}

/* Discrete length distributions, by chi-square over their support. */
struct discrete_case {
  const char *name;
  int kind;
  int64_t lo, hi;
  double zipf_s;
};

static struct discrete_case discrete_cases[] = {
    {"uniform_17_to_60", IC_LENGTH_UNIFORM, 17, 60, 0},
    {"zipf_s_1.2385_n_200", IC_LENGTH_ZIPF, 1, 200, 1.2385},
    {"zipf_s_0.7_n_50", IC_LENGTH_ZIPF, 1, 50, 0.7},
    {"zipf_s_2.5_n_1000", IC_LENGTH_ZIPF, 1, 1000, 2.5},
};

static void run_discrete_case(void **state) {
  const struct discrete_case *dc = *state;
  struct ic_traffic_config c = defaults();
  c.prompt_dist = dc->kind;
  c.prompt_tokens_min = dc->lo;
  c.prompt_tokens_max = dc->hi;
  c.prompt_zipf_s = dc->zipf_s;
  ic_sim *sim = ic_sim_alloc(2385, 1);
  ic_source *src = open_source(&c, sim, 86400, 0);
  size_t bins = (size_t)(dc->hi + 1), n = 50000;
  double *obs = calloc(bins, sizeof *obs), *expect = calloc(bins, sizeof *expect);
  struct ic_request r;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    assert_true(r.prompt_tokens >= dc->lo && r.prompt_tokens <= dc->hi);
    obs[r.prompt_tokens]++;
  }
  /* uniform: 1 / (hi - lo + 1); zipf: k^-s / sum_{i<=n} i^-s */
  double h = 0;
  for (int64_t k = 1; k <= dc->hi; k++) h += pow((double)k, -dc->zipf_s);
  for (int64_t k = dc->lo; k <= dc->hi; k++)
    expect[k] = (double)n * (dc->kind == IC_LENGTH_UNIFORM ? 1.0 / (double)(dc->hi - dc->lo + 1)
                                                         : pow((double)k, -dc->zipf_s) / h);
  if (dc->kind == IC_LENGTH_ZIPF)
    assert_true(fabs(ic_ran_zipf_pdf(3, dc->zipf_s, (unsigned long)dc->hi) - pow(3, -dc->zipf_s) / h) < 1e-12);
  double p = chi2_test(obs + dc->lo, expect + dc->lo, (size_t)(dc->hi - dc->lo + 1));
  show(dc->name, p);
  assert_true(p > ALPHA);
  free(obs);
  free(expect);
  ic_source_free(src);
  ic_sim_free(sim);
}

/* Empirical lengths follow the fixture's histogram: trace_vidur.csv has
 * rows (1234, 56), (2385, 7), (99, 400), so each prompt comes a third of
 * the time; with `pairs` (empirical_sampling = rows) each with its own
 * output. */
static void vidur_draws(int sampling, unsigned seed, bool pairs, const char *what) {
  struct ic_traffic_config c = defaults();
  c.prompt_dist = c.output_dist = IC_LENGTH_EMPIRICAL;
  c.empirical_sampling = sampling;
  snprintf(c.trace_path, sizeof c.trace_path, DATA "trace_vidur.csv");
  ic_sim *sim = ic_sim_alloc(seed, 0);
  ic_source *src = open_source(&c, sim, 86400, 0);
  double obs[3] = {0}, expect[3] = {10000, 10000, 10000};
  struct ic_request r;
  for (int i = 0; i < 30000; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    int k = r.prompt_tokens == 99 ? 0 : r.prompt_tokens == 1234 ? 1 : r.prompt_tokens == 2385 ? 2 : -1;
    assert_true(k >= 0);
    assert_true(r.output_tokens == 56 || r.output_tokens == 7 || r.output_tokens == 400);
    if (pairs) assert_int_equal(r.output_tokens, k == 0 ? 400 : k == 1 ? 56 : 7);
    obs[k]++;
  }
  double p = chi2_test(obs, expect, 3);
  show(what, p);
  assert_true(p > ALPHA);
  ic_source_free(src);
  ic_sim_free(sim);
}

static void empirical_lengths(void **state) {
  (void)state;
  vidur_draws(IC_EMPIRICAL_COLUMNS, 3, false, "empirical prompt lengths");
}

static void empirical_rows_keep_pairs(void **state) {
  (void)state;
  vidur_draws(IC_EMPIRICAL_ROWS, 5, true, "empirical rows");
}

/* empirical_sampling = each_once: every pass of 3 requests is the 3 rows
 * (pairs kept) in some order, and the orders differ between passes; a
 * fixed prompt length rides along while the output comes from the rows. */
static void empirical_each_once_is_the_set(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.output_dist = IC_LENGTH_EMPIRICAL;
  c.prompt_tokens = 77;
  c.empirical_sampling = IC_EMPIRICAL_EACH_ONCE;
  snprintf(c.trace_path, sizeof c.trace_path, DATA "trace_vidur.csv");
  ic_sim *sim = ic_sim_alloc(6, 0);
  ic_source *src = open_source(&c, sim, 86400, 0);
  struct ic_request r;
  int orders[6] = {0}; /* which of the 3! orders each pass took */
  for (int pass = 0; pass < 60; pass++) {
    int seen = 0, first = -1, second = -1;
    for (int i = 0; i < 3; i++) {
      assert_int_equal(ic_source_next(src, &r), IC_OK);
      assert_int_equal(r.prompt_tokens, 77);
      int k = r.output_tokens == 400 ? 0 : r.output_tokens == 56 ? 1 : r.output_tokens == 7 ? 2 : -1;
      assert_true(k >= 0 && !(seen & (1 << k)));
      seen |= 1 << k;
      if (i == 0) first = k;
      if (i == 1) second = k;
    }
    orders[first * 2 + (second > first ? second - 1 : second)]++;
  }
  int distinct = 0;
  for (int i = 0; i < 6; i++) distinct += orders[i] > 0;
  assert_true(distinct >= 4); /* 60 uniform shuffles miss 3 of 6 orders with p < 1e-9 */
  ic_source_free(src);
  ic_sim_free(sim);
}

/* The MLPerf data sets drawn whole: the oracle is datasets.csv's mean
 * prompt and mean output (computed from the per-sample files by
 * tests/published_dataset_lengths.py, which CTest runs with --check; to 4
 * decimals). One each_once pass is the exact set: its means equal the
 * oracle to its rounding. rows draws 20,000 with replacement: the means
 * are within 4 standard errors (estimated from the draws) of the oracle.
 * A scale of 1.5 multiplies the pass's mean output by 1.5 within the
 * rounding of each draw (0.5 token). */
struct dataset_case {
  const char *name, *file;
  long samples;
  double mean_prompt, mean_output;
};

static struct dataset_case dataset_cases[] = {
    {"openorca", "llama2-70b-99.csv.gz", 24576, 222.3298, 218.8946},
    {"mixtral", "mixtral-8x7b.csv.gz", 15000, 427.3937, 144.8429},
    {"llama3_405b", "llama3-1-405b.csv.gz", 8313, 9428.6447, 684.6846},
    {"cnn_dailymail", "llama3-1-8b-datacenter.csv.gz", 13368, 870.7297, 81.6327},
};

static void draw_means(const struct ic_traffic_config *c, unsigned seed, long n, double mean[2], double se[2]) {
  ic_sim *sim = ic_sim_alloc(seed, 0);
  ic_source *src = open_source(c, sim, 86400, 0);
  double sum[2] = {0}, sq[2] = {0};
  struct ic_request r;
  for (long i = 0; i < n; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    double v[2] = {(double)r.prompt_tokens, (double)r.output_tokens};
    for (int k = 0; k < 2; k++) sum[k] += v[k], sq[k] += v[k] * v[k];
  }
  for (int k = 0; k < 2; k++) {
    mean[k] = sum[k] / (double)n;
    se[k] = sqrt((sq[k] / (double)n - mean[k] * mean[k]) / (double)n);
  }
  ic_source_free(src);
  ic_sim_free(sim);
}

static void run_dataset_case(void **state) {
  const struct dataset_case *dc = *state;
  struct ic_traffic_config c = defaults();
  c.prompt_dist = c.output_dist = IC_LENGTH_EMPIRICAL;
  snprintf(c.trace_path, sizeof c.trace_path, DATA "published/datasets/%s", dc->file);
  c.trace_format = IC_TRACE_GENERIC;
  snprintf(c.trace_prompt_column, sizeof c.trace_prompt_column, "input_length");
  snprintf(c.trace_output_column, sizeof c.trace_output_column, "output_length");
  double mean[2], se[2];
  c.empirical_sampling = IC_EMPIRICAL_EACH_ONCE;
  draw_means(&c, 11, dc->samples, mean, se);
  assert_true(fabs(mean[0] - dc->mean_prompt) <= 5e-5 + 1e-9);
  assert_true(fabs(mean[1] - dc->mean_output) <= 5e-5 + 1e-9);
  c.empirical_sampling = IC_EMPIRICAL_ROWS;
  draw_means(&c, 12, 20000, mean, se);
  if (getenv("IC_TEST_VERBOSE"))
    printf("  %s rows: prompt %.2f (oracle %.4f, 4 SE %.2f), output %.2f (oracle %.4f, 4 SE %.2f)\n", dc->name, mean[0],
           dc->mean_prompt, 4 * se[0], mean[1], dc->mean_output, 4 * se[1]);
  assert_true(fabs(mean[0] - dc->mean_prompt) <= 4 * se[0]);
  assert_true(fabs(mean[1] - dc->mean_output) <= 4 * se[1]);
  c.empirical_sampling = IC_EMPIRICAL_EACH_ONCE;
  c.empirical_output_scale = 1.5;
  draw_means(&c, 13, dc->samples, mean, se);
  assert_true(fabs(mean[0] - dc->mean_prompt) <= 5e-5 + 1e-9);
  assert_true(fabs(mean[1] - 1.5 * dc->mean_output) <= 0.5 + 1.5 * 5e-5);
}

/* over_context = clamp: prompt <= context - 1 and prompt + output <=
 * context, and every cut request counted. */
static void lengths_clamped_to_context(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.over_context = IC_OVER_CONTEXT_CLAMP;
  c.prompt_dist = c.output_dist = IC_LENGTH_LOGNORMAL;
  c.prompt_tokens = 3000;
  c.output_tokens = 1500;
  c.prompt_tokens_cv = c.output_tokens_cv = 1.5;
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_source *src = open_source(&c, sim, 86400, 4096);
  struct ic_request r;
  int clamped = 0;
  for (int i = 0; i < 5000; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    assert_true(r.prompt_tokens >= 1 && r.output_tokens >= 1);
    assert_true(r.prompt_tokens + r.output_tokens <= 4096);
    clamped += r.prompt_tokens + r.output_tokens == 4096;
  }
  assert_true(clamped > 0);
  /* a request cut to fit ends exactly at the context; one that fitted
   * there by chance would be counted here but not there (none with these draws) */
  assert_int_equal(ic_source_over_context(src)->requests, clamped);
  ic_source_free(src);
  ic_sim_free(sim);
}

/* --- classes -------------------------------------------------------------------------- */

static void classes_shares_lengths_targets(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  snprintf(c.class_names, sizeof c.class_names, "chat|code|api");
  snprintf(c.class_shares, sizeof c.class_shares, "0.6|0.3|0.1");
  snprintf(c.class_prompt_tokens, sizeof c.class_prompt_tokens, "800|2048|333");
  snprintf(c.class_output_tokens, sizeof c.class_output_tokens, "250|28|77");
  snprintf(c.class_ttft_target_s, sizeof c.class_ttft_target_s, "0.5|2|1.5");
  struct ic_traffic_class cls[IC_TRAFFIC_MAX_CLASSES];
  size_t n = 0;
  assert_int_equal(ic_traffic_classes(&c, cls, &n), IC_OK);
  assert_int_equal(n, 3);
  assert_string_equal(cls[1].name, "code");
  assert_true(cls[1].ttft_target_s == 2 && isnan(cls[1].tpot_target_s));
  ic_sim *sim = ic_sim_alloc(8, 0);
  ic_source *src = open_source(&c, sim, 86400, 0);
  double obs[3] = {0}, expect[3] = {18000, 9000, 3000};
  static const int64_t p[3] = {800, 2048, 333}, o[3] = {250, 28, 77};
  struct ic_request r;
  for (int i = 0; i < 30000; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    assert_true(r.class_id >= 0 && r.class_id < 3);
    assert_int_equal(r.prompt_tokens, p[r.class_id]);
    assert_int_equal(r.output_tokens, o[r.class_id]);
    obs[r.class_id]++;
  }
  double pv = chi2_test(obs, expect, 3);
  show("class shares", pv);
  assert_true(pv > ALPHA);
  ic_source_free(src);
  ic_sim_free(sim);
}

static void default_is_one_class(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  struct ic_traffic_class cls[IC_TRAFFIC_MAX_CLASSES];
  size_t n = 0;
  assert_int_equal(ic_traffic_classes(&c, cls, &n), IC_OK);
  assert_int_equal(n, 1);
  assert_string_equal(cls[0].name, "default");
  assert_true(cls[0].share == 1 && cls[0].prompt_tokens == 1000 && cls[0].output_tokens == 350);
}

/* --- determinism and compatibility ------------------------------------------------- */

/* The default section (Poisson, 1000/350, 195e6/day) draws exactly what the
 * original ic_source_poisson_fixed draws from the same stream. */
static void default_matches_poisson_fixed(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  assert_int_equal(c.arrival, IC_ARRIVAL_POISSON);
  ic_sim *a = ic_sim_alloc(42, 0), *b = ic_sim_alloc(42, 0);
  ic_source *s1 = open_source(&c, a, 60, 0);
  ic_source *s2 = ic_source_poisson_fixed(ic_sim_rng(b, "traffic.arrivals"), 195e6 / 86400, 1000, 350,
                                          ic_time_from_s(60));
  struct ic_request r1, r2;
  size_t n = 0;
  ic_status st;
  while ((st = ic_source_next(s1, &r1)) == IC_OK) {
    assert_int_equal(ic_source_next(s2, &r2), IC_OK);
    assert_true(r1.id == r2.id && r1.arrival_ns == r2.arrival_ns && r1.prompt_tokens == r2.prompt_tokens &&
                r1.output_tokens == r2.output_tokens && r1.class_id == r2.class_id);
    n++;
  }
  assert_int_equal(st, IC_ENOENT);
  assert_int_equal(ic_source_next(s2, &r2), IC_ENOENT);
  assert_true(n > 100000); /* 2257 per second for 60 s */
  ic_source_free(s1);
  ic_source_free(s2);
  ic_sim_free(a);
  ic_sim_free(b);
}

/* The generator's Poisson gaps are GSL's exponential draws, draw for draw:
 * the arrival times against gsl_ran_exponential itself on a stream seeded
 * alike (traffic.c computes the draw inline, by GSL's operations). Many
 * short gaps, then gaps of about 10^6 s over 9 x 10^9 s, where the clock's
 * nanoseconds show most differences of an ulp in a gap. */
static void poisson_gaps_are_gsl_draws(void **state) {
  (void)state;
  const struct {
    double queries_per_day, end_s;
    size_t at_least;
  } cases[] = {{2.5e9, 30, 800000}, {0.0864, 9e9, 8000}}; /* 28,935 a second; one a 10^6 s */
  for (size_t k = 0; k < 2; k++) {
    struct ic_traffic_config c = defaults();
    c.queries_per_day = cases[k].queries_per_day;
    ic_sim *a = ic_sim_alloc(7, 3), *b = ic_sim_alloc(7, 3);
    ic_source *src = open_source(&c, a, cases[k].end_s, 0);
    gsl_rng *ref = ic_sim_rng(b, "traffic.arrivals");
    double clock_s = 0.0;
    struct ic_request r;
    size_t n = 0;
    while (ic_source_next(src, &r) == IC_OK) {
      clock_s += gsl_ran_exponential(ref, 86400.0 / c.queries_per_day);
      assert_true(r.arrival_ns == ic_time_from_s(clock_s));
      n++;
    }
    assert_true(n > cases[k].at_least);
    ic_source_free(src);
    ic_sim_free(a);
    ic_sim_free(b);
  }
}

/* --- trace replay ----------------------------------------------------------------- */

/* trace_azure_ok.csv: arrivals at 0, 4.314579, 4.541877 s. */
struct replay_case {
  const char *name;
  double speedup, start_s, end_s;
  bool loop;
  size_t n;
  double expect_s[8];
};

static struct replay_case replay_cases[] = {
    {"as_is", 1, 0, 100, false, 3, {0, 4.314579, 4.541877}},
    {"twice_as_fast", 2, 0, 100, false, 3, {0, 2.1572895, 2.2709385}},
    {"start_offset_4s", 1, 4, 100, false, 2, {0.314579, 0.541877}},
    /* one loop = 4.541877 s + the mean gap 2.2709385 s = 6.8128155 s */
    {"loop_until_end", 1, 0, 12, true, 6, {0, 4.314579, 4.541877, 6.8128155, 11.1273945, 11.3546925}},
    {"end_cuts_replay", 1, 0, 4.4, false, 2, {0, 4.314579}},
};

static void run_replay_case(void **state) {
  const struct replay_case *rc = *state;
  struct ic_traffic_config c = defaults();
  c.arrival = IC_ARRIVAL_TRACE;
  snprintf(c.trace_path, sizeof c.trace_path, DATA "trace_azure_ok.csv");
  c.trace_speedup = rc->speedup;
  c.trace_start_s = rc->start_s;
  c.trace_loop = rc->loop;
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_source *src = open_source(&c, sim, rc->end_s, 0);
  struct ic_request r;
  for (size_t i = 0; i < rc->n; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    assert_int_equal(r.id, i);
    assert_true(llabs(r.arrival_ns - ic_time_from_s(rc->expect_s[i])) <= 2);
  }
  assert_int_equal(ic_source_next(src, &r), IC_ENOENT);
  ic_source_free(src);
  ic_sim_free(sim);
}

/* Looping the shipped code trace (8,819 rows in 3,435.9 s) and rescaling it
 * to 2e6 queries/day gives 2e6 arrivals in a day, within 1%. */
static void replay_match_volume(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.arrival = IC_ARRIVAL_TRACE;
  snprintf(c.trace_path, sizeof c.trace_path, IC_SOURCE_DIR "/traces/azure2023_code.csv");
  c.trace_loop = c.trace_match_volume = true;
  c.queries_per_day = 2e6;
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_source *src = open_source(&c, sim, 86400, 8192);
  struct ic_request r;
  double n = 0;
  ic_time_ns prev = 0;
  while (ic_source_next(src, &r) == IC_OK) {
    assert_true(r.arrival_ns >= prev);
    prev = r.arrival_ns;
    n++;
  }
  assert_true(fabs(n - 2e6) / 2e6 < 0.01);
  ic_source_free(src);
  ic_sim_free(sim);
}

/* traffic.over_context on trace_long_context.csv (llama2-7b's context of
 * 4,096 tokens), by hand: rows 1000+100, 4000+200, 5000+50, 2000+2096 (=
 * 4,096, fits), 300+30. Two rows are too long. clamp: 4000+200 -> 4000+96
 * (104 output tokens cut), 5000+50 -> 4095+1 (905 prompt, 49 output cut).
 * reject: both left out (9,000 prompt + 250 output tokens), the rest
 * numbered 0, 1, 2. error: the first one, at its line. */
struct context_case {
  const char *name;
  int policy;
  size_t n;
  int64_t prompt[5], output[5];
  uint64_t over;
  int64_t over_prompt, over_output;
};

static struct context_case context_cases[] = {
    {"over_context_clamp", IC_OVER_CONTEXT_CLAMP, 5, {1000, 4000, 4095, 2000, 300}, {100, 96, 1, 2096, 30}, 2, 905, 153},
    {"over_context_reject", IC_OVER_CONTEXT_REJECT, 3, {1000, 2000, 300}, {100, 2096, 30}, 2, 9000, 250},
};

static void run_context_case(void **state) {
  const struct context_case *cc = *state;
  struct ic_traffic_config c = defaults();
  c.arrival = IC_ARRIVAL_TRACE;
  snprintf(c.trace_path, sizeof c.trace_path, DATA "trace_long_context.csv");
  c.over_context = cc->policy;
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_source *src = open_source(&c, sim, 100, 4096);
  struct ic_request r;
  for (size_t i = 0; i < cc->n; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    assert_int_equal(r.id, i);
    assert_int_equal(r.prompt_tokens, cc->prompt[i]);
    assert_int_equal(r.output_tokens, cc->output[i]);
  }
  assert_int_equal(ic_source_next(src, &r), IC_ENOENT);
  const struct ic_request_count *oc = ic_source_over_context(src);
  assert_int_equal(oc->requests, cc->over);
  assert_int_equal(oc->prompt_tokens, cc->over_prompt);
  assert_int_equal(oc->output_tokens, cc->over_output);
  ic_source_free(src);
  ic_sim_free(sim);
}

static void over_context_error_names_the_row(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.arrival = IC_ARRIVAL_TRACE;
  snprintf(c.trace_path, sizeof c.trace_path, DATA "trace_long_context.csv");
  c.over_context = IC_OVER_CONTEXT_ERROR;
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_source *src = NULL;
  /* The trace is read once (issue 20): the replay checks each row as it
   * reads it, so the first row is delivered and the second fails. */
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(100), 4096, &src), IC_OK);
  struct ic_request r;
  assert_int_equal(ic_source_next(src, &r), IC_OK);
  assert_int_equal(r.prompt_tokens, 1000);
  assert_string_equal(diag.text, "");
  assert_int_equal(ic_source_next(src, &r), IC_EINVAL);
  ic_source_free(src);
  assert_string_equal(diag.text, DATA "trace_long_context.csv:3: 4000 prompt + 200 output tokens exceed the model's "
                                      "context of 4096 (model.context_max; traffic.over_context = error: clamp or "
                                      "reject count such rows instead)\n");
  ic_sim_free(sim);
}

/* The whole path, as a user meets it (issue 11 item 3): a trace replayed on
 * Llama-2-7B (context 4,096) with the defaults rejects the two long rows,
 * says so on stderr even with -q, and writes the counts to summary.json. */
static void over_context_reported_by_the_cli(void **state) {
  (void)state;
  char dir[] = "/tmp/ic_ctx_XXXXXX", args[1024], out[8192];
  assert_non_null(mkdtemp(dir));
  snprintf(args, sizeof args, "run -q -o %s -s model.name=llama2-7b -s fleet.gpu=h100-sxm -s fleet.nodes=1 "
           "-s fleet.gpus_per_replica=1 -s traffic.arrival=trace -s traffic.trace_path=tests/data/trace_long_context.csv "
           "-s run.duration_s=60 -s run.warmup_s=0", dir);
  assert_int_equal(ic_test_infercost(args, out, sizeof out), 0);
  assert_non_null(strstr(out, "warning: 2 of 5 requests (40.00%) had prompt + output above the model's 4,096 tokens: "
                              "rejected"));
  static char json[65536];
  ic_test_read_file(dir, "summary.json", json, sizeof json);
  assert_non_null(strstr(json, "\"over_context_requests\":\t2,"));
  assert_non_null(strstr(json, "\"over_context_prompt_tokens\":\t9000,"));
  assert_non_null(strstr(json, "\"over_context_output_tokens\":\t250"));
  assert_non_null(strstr(json, "\"arrived\":\t3,"));
  snprintf(args, sizeof args, "rm -r %s", dir);
  assert_int_equal(system(args), 0);
}

/* The trace is read once (issue 20): so a replay can read standard input,
 * and gives what the same file gives, trace hash included (the scenario
 * digest differs: it covers trace_path). A bad row after the run's end
 * still fails the run, and nothing is written. */
static void replay_reads_the_trace_once(void **state) {
  (void)state;
  char dir_file[] = "/tmp/ic_once_XXXXXX", dir_pipe[] = "/tmp/ic_once_XXXXXX", cmd[2048], out[8192];
  assert_non_null(mkdtemp(dir_file));
  assert_non_null(mkdtemp(dir_pipe));
  const char *keys = "-s traffic.arrival=trace -s fleet.nodes=2 -s fleet.gpu=h100-sxm -s fleet.server=dgx-h100 "
                     "-s model.name=llama2-70b -s fleet.gpus_per_replica=4 -s run.duration_s=120";
  snprintf(cmd, sizeof cmd, "%s run -q -o %s/o %s -s traffic.trace_path=traces/azure2023_conv.csv 2>&1", ic_test_bin(),
           dir_file, keys);
  assert_int_equal(ic_test_shell(cmd, out, sizeof out), 0);
  snprintf(cmd, sizeof cmd, "cat traces/azure2023_conv.csv | %s run -q -o %s/o %s -s traffic.trace_path=- 2>&1",
           ic_test_bin(), dir_pipe, keys);
  int rc = ic_test_shell(cmd, out, sizeof out);
  if (rc != 0) fprintf(stderr, "%s\n", out);
  assert_int_equal(rc, 0);
  static char a[65536], b[65536];
  char pa[600], pb[600];
  snprintf(pa, sizeof pa, "%s/o", dir_file);
  snprintf(pb, sizeof pb, "%s/o", dir_pipe);
  ic_test_read_file(pa, "summary.json", a, sizeof a);
  ic_test_read_file(pb, "summary.json", b, sizeof b);
  /* everything after the provenance line is the same */
  const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
  assert_non_null(ea);
  assert_non_null(eb);
  assert_string_equal(strchr(ea + 1, '\n'), strchr(eb + 1, '\n'));
  const char *ta = strstr(a, "; trace "), *tb = strstr(b, "; trace ");
  assert_non_null(ta);
  assert_non_null(tb);
  assert_memory_equal(ta, tb, 8 + 16);
  /* row 3 exceeds the context, after a window that ends at 0.75 s */
  snprintf(cmd, sizeof cmd, "%s run -q -o %s/bad -s model.name=llama2-7b -s fleet.gpu=h100-sxm -s fleet.nodes=1 "
           "-s fleet.gpus_per_replica=1 -s traffic.arrival=trace -s traffic.trace_path=tests/data/trace_long_context.csv "
           "-s traffic.over_context=error -s run.duration_s=0.75 -s run.warmup_s=0 2>&1", ic_test_bin(), dir_file);
  assert_int_equal(ic_test_shell(cmd, out, sizeof out), 2);
  assert_non_null(strstr(out, "trace_long_context.csv:3: 4000 prompt + 200 output tokens exceed the model's context"));
  snprintf(cmd, sizeof cmd, "%s/bad", dir_file);
  assert_int_equal(access(cmd, F_OK), -1);
  snprintf(cmd, sizeof cmd, "rm -r %s %s", dir_file, dir_pipe);
  assert_int_equal(system(cmd), 0);
}

/* Trace runs (issue 11 item 11). The report's Traffic line gives what the
 * trace held in the window, not the generator's defaults (195 M/day,
 * 1000 + 350 tokens): trace_long_context.csv has 5 rows in 60 s = 7,200 a
 * day, mean prompt (1000 + 4000 + 5000 + 2000 + 300) / 5 = 2460.0, output
 * (100 + 200 + 50 + 2096 + 30) / 5 = 495.2. The provenance digest covers
 * the trace's bytes: the same path with other content gives another
 * digest, and the "trace" field is FNV-1a 64 of the file, computed here
 * by a loop of our own. */
static void trace_runs_report_the_trace(void **state) {
  (void)state;
  char dir[] = "/tmp/ic_trrun_XXXXXX", trace[256], args[1024], out[8192], digest[2][17];
  assert_non_null(mkdtemp(dir));
  snprintf(trace, sizeof trace, "%s/t.csv", dir);
  for (int k = 0; k < 2; k++) {
    snprintf(args, sizeof args, "cp tests/data/%s %s", k ? "trace_vidur.csv" : "trace_long_context.csv", trace);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "run -s model.name=llama2-7b -s fleet.gpu=h100-sxm -s fleet.nodes=1 "
             "-s fleet.gpus_per_replica=1 -s traffic.arrival=trace -s traffic.trace_path=%s -s run.duration_s=60 "
             "-s run.warmup_s=0 -o %s/out 2>/dev/null", trace, dir);
    assert_int_equal(ic_test_infercost(args, out, sizeof out), 0);
    const char *d = strstr(out, "; digest ");
    assert_non_null(d);
    snprintf(digest[k], sizeof digest[k], "%.16s", d + 9);
    char expect[64];
    snprintf(expect, sizeof expect, "; trace %016llx;", (unsigned long long)ic_test_fnv1a_file(trace));
    assert_non_null(strstr(out, expect));
    /* The output directory's provenance.json carries the same digest and trace hash. */
    char path[300], side[4096], field[80];
    snprintf(path, sizeof path, "%s/out/provenance.json", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    side[fread(side, 1, sizeof side - 1, f)] = '\0';
    fclose(f);
    snprintf(field, sizeof field, "\"digest\":\t\"%s\"", digest[k]);
    assert_non_null(strstr(side, field));
    snprintf(field, sizeof field, "\"trace\":\t\"%016llx\"", (unsigned long long)ic_test_fnv1a_file(trace));
    assert_non_null(strstr(side, field));
    if (k == 0) {
      char line[512];
      snprintf(line, sizeof line, "Traffic   trace %s: 5 requests in the window (7,200 queries/day), mean 2460.0 "
               "prompt + 495.2 output tokens\n", trace);
      assert_non_null(strstr(out, line));
    }
  }
  assert_string_not_equal(digest[0], digest[1]);
  snprintf(args, sizeof args, "rm -r %s", dir);
  assert_int_equal(system(args), 0);
}

/* A relative trace cut from day 225 of a longer one (first row at
 * 19,440,000 s) would replay nothing in an hour: an error naming the row
 * and the key to set, and with that key set it replays its 3 rows. */
static void trace_far_from_zero_is_refused(void **state) {
  (void)state;
  char out[8192];
  const char *args = "run -q -s model.name=llama2-7b -s fleet.gpu=h100-sxm -s fleet.nodes=1 -s fleet.gpus_per_replica=1 "
                     "-s traffic.arrival=trace -s traffic.trace_path=tests/data/trace_day225.csv -s run.duration_s=3540 "
                     "-s run.warmup_s=60";
  assert_int_equal(ic_test_infercost(args, out, sizeof out), 2);
  assert_non_null(strstr(out, "tests/data/trace_day225.csv:2: the first row replayed arrives at 19440000 s (trace time "
                              "19440000 s), after the run ends at 3600 s (run.warmup_s + run.duration_s): nothing would arrive. Set "
                              "traffic.trace_start_s = 19440000 to replay from this row"));
  char with_start[1024];
  snprintf(with_start, sizeof with_start, "%s -s traffic.trace_start_s=19440000", args);
  assert_int_equal(ic_test_infercost(with_start, out, sizeof out), 0);
}

/* --- bad sections: message asserted ------------------------------------------------- */

struct check_case {
  const char *name;
  const char *key, *value;
  const char *message;
};

static struct check_case check_cases[] = {
    {"shares_count", "class_shares", "0.6|0.4", "traffic.class_shares: expected 3 '|'-separated numbers, got 2 in '0.6|0.4'\n"},
    {"shares_sum", "class_shares", "0.6|0.3|0.3", "traffic.class_shares: the shares sum to 1.2, expected 1\n"},
    {"shares_not_number", "class_shares", "0.6|x|0.1", "traffic.class_shares: item 2: expected a number >= 0, got 'x'\n"},
    {"hourly_count", "diurnal_hourly_weights", "1|2|3",
     "traffic.diurnal_hourly_weights: expected 24 '|'-separated numbers, got 3 in '1|2|3'\n"},
    {"weekly_negative", "weekly_weights", "1|1|1|1|1|1|-1",
     "traffic.weekly_weights: item 7: expected a number >= 0, got '-1'\n"},
    {"empirical_without_trace", "prompt_dist", "empirical", "traffic.prompt_dist = empirical needs traffic.trace_path\n"},
    {"trace_without_path", "arrival", "trace", "traffic.arrival = trace needs traffic.trace_path\n"},
    {"sampling_without_empirical", "empirical_sampling", "rows",
     "traffic.empirical_sampling: rows and each_once draw trace rows for empirical lengths: set traffic.prompt_dist or "
     "traffic.output_dist = empirical\n"},
    {"scale_without_empirical", "empirical_output_scale", "2",
     "traffic.empirical_output_scale: scales empirical outputs: has no effect without traffic.output_dist = "
     "empirical\n"},
};

static void run_check_case(void **state) {
  const struct check_case *cc = *state;
  struct ic_traffic_config c = defaults();
  snprintf(c.class_names, sizeof c.class_names, "chat|code|api");
  if (strcmp(cc->key, "class_shares") == 0) snprintf(c.class_shares, sizeof c.class_shares, "%s", cc->value);
  if (strcmp(cc->key, "diurnal_hourly_weights") == 0)
    snprintf(c.diurnal_hourly_weights, sizeof c.diurnal_hourly_weights, "%s", cc->value);
  if (strcmp(cc->key, "weekly_weights") == 0) snprintf(c.weekly_weights, sizeof c.weekly_weights, "%s", cc->value);
  if (strcmp(cc->key, "prompt_dist") == 0) c.prompt_dist = IC_LENGTH_EMPIRICAL;
  if (strcmp(cc->key, "arrival") == 0) c.arrival = IC_ARRIVAL_TRACE;
  if (strcmp(cc->key, "empirical_sampling") == 0) c.empirical_sampling = IC_EMPIRICAL_ROWS;
  if (strcmp(cc->key, "empirical_output_scale") == 0) c.empirical_output_scale = 2;
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(10), 0, &src), IC_EINVAL);
  assert_null(src);
  assert_string_equal(diag.text, cc->message);
  ic_sim_free(sim);
}

/* A bad trace fails at open, before any request is handed out. */
static void bad_trace_fails_at_open(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.arrival = IC_ARRIVAL_TRACE;
  snprintf(c.trace_path, sizeof c.trace_path, DATA "trace_backwards.csv");
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(10), 0, &src), IC_EINVAL);
  assert_null(src);
  assert_non_null(strstr(diag.text, "trace_backwards.csv:4: column 1 (TIMESTAMP): timestamp goes backwards"));
  ic_sim_free(sim);
}

#define ROWS(cases, fn)                                                        \
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)                 \
  tests[n++] = (struct CMUnitTest){cases[i].name, fn, diag_capture, diag_release, &cases[i]}
#define ONE(fn) tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(fn, diag_capture, diag_release)

int main(void) {
  ic_gsl_quiet();
  struct CMUnitTest tests[96];
  size_t n = 0;
  ONE(poisson_gaps_are_exponential);
  ONE(gamma_gaps_are_gamma);
  ONE(gamma_sampler_cv_2385);
  ROWS(diurnal_cases, run_diurnal_case);
  ONE(weekly_pattern);
  ONE(lognormal_lengths);
  ROWS(discrete_cases, run_discrete_case);
  ONE(empirical_lengths);
  ONE(empirical_rows_keep_pairs);
  ONE(empirical_each_once_is_the_set);
  ROWS(dataset_cases, run_dataset_case);
  ONE(lengths_clamped_to_context);
  ONE(classes_shares_lengths_targets);
  ONE(default_is_one_class);
  ONE(default_matches_poisson_fixed);
  ONE(poisson_gaps_are_gsl_draws);
  ROWS(replay_cases, run_replay_case);
  ONE(replay_match_volume);
  ROWS(check_cases, run_check_case);
  ONE(bad_trace_fails_at_open);
  ROWS(context_cases, run_context_case);
  ONE(over_context_error_names_the_row);
  ONE(over_context_reported_by_the_cli);
  ONE(trace_runs_report_the_trace);
  ONE(replay_reads_the_trace_once);
  ONE(trace_far_from_zero_is_refused);
  return _cmocka_run_group_tests("traffic", tests, n, NULL, NULL);
}
