/* test_trace_fit.c: `trace fit`: burstiness robust to a coarse timestamp
 * grid, the day / week profile and growth trend of multi-day traces, the
 * time change that follows a rate profile, --grow and --horizon-days, and
 * the reproduction of the shipped traces (--check). */
#define _POSIX_C_SOURCE 200809L
#include "ic_test.h"
#include "ic_test_cli.h"
#include "ic_test_diag.h"
#include "ic_test_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "infercost/scenario.h"
#include "infercost/sim.h"
#include "infercost/status.h"
#include "infercost/trace.h"
#include "infercost/traffic.h"

#define CONV IC_SOURCE_DIR "/traces/azure2023_conv.csv"
#define MOONCAKE IC_SOURCE_DIR "/traces/mooncake_synthetic.jsonl"
#define DIR "/tmp/ic_test_trace_fit/"

static const struct ic_trace_options generic = {
    .format = IC_TRACE_GENERIC, .time_column = "t", .prompt_column = "in", .output_column = "out",
    .time_unit = IC_TRACE_UNIT_S, .time_relative = true};

/* The conversation trace with its times cut to whole seconds (as BurstGPT
 * records them): raw gaps become 0 and multiples of 1 s and their CV jumps;
 * the counts in 60 s windows barely move, nor does the fitted CV. */
static void coarse_grid(void **state) {
  (void)state;
  mkdir(DIR, 0700);
  ic_status st;
  ic_trace *t = ic_trace_open(CONV, NULL, &st);
  FILE *f = fopen(DIR "conv_1s.csv", "w");
  assert_non_null(t);
  assert_non_null(f);
  fputs("t,in,out\n", f);
  struct ic_trace_record r;
  while (ic_trace_next(t, &r) == IC_OK)
    fprintf(f, "%lld,%lld,%lld\n", (long long)(r.time_ns / IC_NS_PER_S), (long long)r.prompt_tokens,
            (long long)r.output_tokens);
  ic_trace_free(t);
  fclose(f);
  struct ic_trace_stats fine, coarse;
  assert_int_equal(ic_trace_stats_compute(CONV, NULL, &fine), IC_OK);
  assert_int_equal(ic_trace_stats_compute(DIR "conv_1s.csv", &generic, &coarse), IC_OK);
  assert_false(fine.fit.quantised);
  assert_true(coarse.fit.quantised);
  assert_true(coarse.fit.grid_s == 1);
  assert_true(coarse.iat_cv > 1.5 * fine.iat_cv);                        /* the raw gaps mislead */
  assert_true(fabs(coarse.fit.cv / fine.fit.cv - 1) < 0.05);             /* the counts do not */
  char out[4096];
  assert_int_equal(ic_test_infercost("trace fit --format generic --time-column t --prompt-column in "
                                     "--output-column out --relative " DIR "conv_1s.csv",
                                     out, sizeof out), 0);
  assert_non_null(strstr(out, "# Note: timestamps sit on a grid of 1 s ("));
}

/* 21 days of a generic trace made here: day d has round(400 x 1.03^d)
 * arrivals, evenly spread, 3 times as dense from 12:00 as before. The fit
 * finds ln 1.03 a day, the hourly ratio 3, and a weekly profile. */
static void multi_day(void **state) {
  (void)state;
  mkdir(DIR, 0700);
  FILE *f = fopen(DIR "days.csv", "w");
  assert_non_null(f);
  fputs("t,in,out\n", f);
  for (int d = 0; d < 21; d++) {
    long n = lround(400 * pow(1.03, d)), lo = lround((double)n * 0.25), hi = n - lo;
    for (long i = 0; i < lo; i++) fprintf(f, "%.3f,100,10\n", d * 86400.0 + 43200.0 * ((double)i + 0.5) / (double)lo);
    for (long i = 0; i < hi; i++)
      fprintf(f, "%.3f,100,10\n", d * 86400.0 + 43200 + 43200.0 * ((double)i + 0.5) / (double)hi);
  }
  fclose(f);
  struct ic_trace_stats st;
  assert_int_equal(ic_trace_stats_compute(DIR "days.csv", &generic, &st), IC_OK);
  assert_true(st.fit.multi_day);
  assert_true(st.fit.has_weekly);
  assert_true(st.fit.has_trend);
  assert_int_equal(st.fit.trend_days, 20); /* whole days before the last arrival */
  assert_true(fabs(st.fit.growth_log_per_day - log(1.03)) < 1e-3);
  /* hours count from the first arrival (216 s into day 0), so hours 0 and
   * 12 lie wholly in the sparse and dense halves */
  assert_true(fabs(st.fit.hourly[12] / st.fit.hourly[0] - 3) < 0.1);
  /* the weekly weights come without the trend: all days alike */
  for (int d = 0; d < 7; d++) assert_true(fabs(st.fit.weekly[d] - 1) < 0.01);
  /* --horizon-days 90: the volume grows by exp(g (span / 2 + 90 days)) */
  char out[8192];
  assert_int_equal(ic_test_infercost("trace fit --format generic --time-column t --prompt-column in "
                                     "--output-column out --relative --horizon-days 90 " DIR "days.csv",
                                     out, sizeof out), 0);
  double qpd = 0;
  const char *q = strstr(out, "queries_per_day = ");
  assert_non_null(q);
  assert_int_equal(sscanf(q, "queries_per_day = %lf", &qpd), 1);
  double want = (double)st.rows / st.span_s * 86400 * exp(log(1.03) * (st.span_s / 86400 / 2 + 90));
  assert_true(fabs(qpd / want - 1) < 0.01);
  assert_non_null(strstr(out, "diurnal_hourly_weights = "));
  assert_non_null(strstr(out, "weekly_weights = "));
}

/* The time change: gamma arrivals (CV 3) through rate_profile 1|3 of 100 s
 * bins at 10 requests/s: the busy bins get 3 times the quiet ones' count
 * (expected 15,000 and 5,000 over 20 periods; the ratio's standard deviation
 * is about 0.15 with counts' dispersion 9, allowed 0.7). */
static void profile_time_change(void **state) {
  (void)state;
  struct ic_scenario *s = malloc(sizeof *s);
  assert_non_null(s);
  ic_scenario_defaults(s);
  assert_int_equal(ic_scenario_load_text(s,
                                         "[traffic]\nqueries_per_day = 864000\narrival = gamma\narrival_cv = 3\n"
                                         "rate_profile = 1|3\nrate_profile_bin_s = 100\n",
                                         "t"),
                   IC_OK);
  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(&s->traffic, sim, ic_time_from_s(4000), 0, &src), IC_OK);
  double n[2] = {0, 0};
  struct ic_request r;
  while (ic_source_next(src, &r) == IC_OK) n[(long)(ic_time_to_s(r.arrival_ns) / 100) % 2]++;
  assert_true(fabs(n[1] / n[0] - 3) < 0.7);
  assert_true(fabs((n[0] + n[1]) / 40000 - 1) < 0.1);
  ic_source_free(src);
  ic_sim_free(sim);
  free(s);
}

/* --grow scales the volume; asking for what the trace cannot give fails
 * by name. */
static void grow_and_refusals(void **state) {
  (void)state;
  char out[8192];
  assert_int_equal(ic_test_infercost("trace fit --grow 2 " CONV, out, sizeof out), 0);
  double qpd = 0;
  assert_int_equal(sscanf(strstr(out, "queries_per_day = "), "queries_per_day = %lf", &qpd), 1);
  assert_true(fabs(qpd / (2 * 19366 / 3501.722 * 86400) - 1) < 1e-5); /* trace_stats.py's span */
  assert_int_equal(ic_test_infercost("trace fit --horizon-days 30 " CONV, out, sizeof out), 2);
  assert_non_null(strstr(out, "azure2023_conv.csv: --horizon-days needs a growth trend, fitted from 14 whole days "
                              "or more; the trace spans 0.04 days\n"));
  assert_int_equal(ic_test_infercost("trace fit - < " CONV, out, sizeof out), 2);
  assert_non_null(strstr(out, "-: lengths from the trace's histogram need a file to read again; use --lengths "
                              "lognormal\n"));
  assert_int_equal(ic_test_infercost("trace fit --lengths lognormal - < " CONV, out, sizeof out), 0);
  assert_int_equal(ic_test_infercost("trace stats --grow 2 " CONV, out, sizeof out), 2);
  assert_non_null(strstr(out, "trace stats: --grow is only for fit\n"));
  /* no rate from one instant; no burstiness from under two windows */
  ic_test_fixture(DIR, "instant.csv", "t,in,out\n5,10,3\n5,12,4\n");
  ic_test_fixture(DIR, "short.csv", "t,in,out\n5,10,3\n50,12,4\n");
#define GENERIC "trace fit --format generic --time-column t --prompt-column in --output-column out --relative "
  assert_int_equal(ic_test_infercost(GENERIC DIR "instant.csv", out, sizeof out), 2);
  assert_non_null(strstr(out, DIR "instant.csv: all 2 arrivals are at one instant: no rate to fit\n"));
  assert_int_equal(ic_test_infercost(GENERIC DIR "short.csv", out, sizeof out), 0);
  assert_non_null(strstr(out, DIR "short.csv: note: the trace spans 45.0 s, under two 450 s windows: no burstiness "
                              "measured, CV 1 (Poisson) assumed\n"));
  assert_non_null(strstr(out, "arrival_cv = 1\n"));
  assert_int_equal(ic_test_infercost("trace fit --grow -1 " CONV, out, sizeof out), 2);
  assert_non_null(strstr(out, "trace: --grow: expected a number from 1e-06 to 1e+06, got '-1'\n"));
}

/* A fitted model reproduces its trace (--check, seed 42, 20 periods): the
 * rate and both token volumes within 2% (the bar), the median and
 * p99 lengths within 2% for the conversation and Mooncake traces. */
static double check_error(const char *text, const char *label) {
  const char *p = strstr(text, label);
  assert_non_null(p);
  double trace, fitted, err;
  assert_int_equal(sscanf(p + strlen(label), "%lf %lf %lf%%", &trace, &fitted, &err), 3);
  return err;
}

static void reproduction(void **state) {
  (void)state;
  static const char *const traces[] = {CONV, MOONCAKE};
  static const char *const labels[] = {"rate, req/s", "prompt tokens/s", "output tokens/s", "prompt p50, tokens",
                                       "prompt p99, tokens", "output p50, tokens", "output p99, tokens"};
  for (int i = 0; i < 2; i++) {
    char cmd[512], out[8192];
    snprintf(cmd, sizeof cmd, "%s trace fit --check %s 2>&1 >/dev/null", ic_test_bin(), traces[i]);
    assert_int_equal(ic_test_shell(cmd, out, sizeof out), 0);
    for (size_t k = 0; k < sizeof labels / sizeof *labels; k++) assert_true(fabs(check_error(out, labels[k])) < 2);
    assert_true(fabs(check_error(out, "peak 1-min, req/s")) < 10);
  }
}

#define ONE(fn) cmocka_unit_test_setup_teardown(fn, diag_capture, diag_release)

int main(void) {
  const struct CMUnitTest tests[] = {
      ONE(coarse_grid), ONE(multi_day), ONE(profile_time_change), ONE(grow_and_refusals), ONE(reproduction),
  };
  return cmocka_run_group_tests_name("trace_fit", tests, NULL, NULL);
}
