/* test_run.c: how load is offered (traffic.mode): offline, closed-loop
 * clients, and the end of a run with a fixed number of requests; and a
 * run's resource bounds: an overloaded fleet stops with a verdict when
 * requests in flight pass the scenario's limit (instead of exhausting
 * memory), derived sizes are checked before anything runs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ic_test_diag.h"
#include "ic_test_scenario.h"
#include "infercost/run.h"
#include "infercost/scenario.h"

static void set(struct ic_scenario *s, const char *kv) { ic_test_set(s, kv); }

/* Offline by hand: N = 7 requests at time 0 on one replica serving one at a
 * time, each taking the same service time D. The k-th (k = 1..N) starts at
 * (k - 1) D and ends at k D, so the run lasts N D, the mean wait is
 * (N - 1) D / 2, and the throughput over the run is N x 40 / (N D) = 40 / D
 * tokens/s, whatever the run's nominal length. */
static void offline_one_at_a_time_by_hand(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_test_one_replica(&s, "static", 1);
  set(&s, "traffic.mode=offline");
  set(&s, "traffic.requests=7");
  set(&s, "run.duration_s=3600");
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  double d = r.service_time_batch1_s;
  /* Each step is rounded to the nanosecond clock: 40 steps a request. */
  double tick = 7 * 40 * 1e-9;
  assert_int_equal(r.arrived, 7);
  assert_int_equal(r.completed, 7);
  assert_int_equal(r.in_flight_at_end, 0);
  assert_true(fabs(r.span_s - 7 * d) <= tick);
  assert_true(fabs(r.wait_mean_s - 3 * d) <= tick);
  assert_true(fabs(r.output_tokens_per_s - 40.0 / d) <= 40.0 / d * 1e-6);
  assert_true(fabs(r.e2e_mean_s - 4 * d) <= tick); /* (1 + ... + 7) D / 7 */
}

/* Offline with a bounded queue: what does not fit the queue at time 0 is
 * rejected and counted, and the run still ends with the last accepted one. */
static void offline_rejection_still_ends(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_test_one_replica(&s, "static", 1);
  set(&s, "traffic.mode=offline");
  set(&s, "traffic.requests=5");
  set(&s, "serving.max_queue=2");
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_int_equal(r.arrived, 5);
  assert_true(r.rejected >= 1);
  assert_int_equal(r.completed + r.rejected, 5);
  assert_int_equal(r.in_flight_at_end, 0);
  assert_true(fabs(r.span_s - (double)r.completed * r.service_time_batch1_s) < 1e-6);
}

/* Closed loop, no think time: the N clients keep exactly N requests in
 * flight at every instant, so the time average of requests in system is N
 * (to rounding), N are in flight at the end, and throughput X and mean
 * response time R obey the interactive response-time law X = N / (R + Z)
 * (Denning and Buzen 1978, with Z = 0) up to the requests cut by the end
 * of the window: at most N partial cycles of at most R_max over the span T,
 * a relative error below R_max / R x N / completed. */
static void closed_loop_holds_n_in_flight(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_test_one_replica(&s, "continuous", 64);
  set(&s, "traffic.mode=closed");
  set(&s, "traffic.clients=23");
  set(&s, "traffic.prompt_dist=uniform");
  set(&s, "traffic.prompt_tokens_min=50");
  set(&s, "traffic.prompt_tokens_max=900");
  set(&s, "run.duration_s=300");
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_true(r.completed > 1000);
  assert_int_equal(r.in_flight_at_end, 23);
  /* Conservation over the counted window (after the warm-up). */
  assert_int_equal(r.in_flight_at_start, 23);
  assert_int_equal(r.in_flight_at_start + r.arrived, r.completed + 23);
  assert_true(fabs(r.mean_in_system - 23.0) < 1e-9);
  double x = (double)r.completed / r.span_s, law = 23.0 / r.e2e_mean_s;
  double bound = r.e2e_p999_s / r.e2e_mean_s * 23.0 / (double)r.completed;
  assert_true(fabs(x - law) / law < bound);
}

/* Closed loop with think time Z: the law X = N / (R + Z) and, by Little's
 * law on the thinking clients, requests in system N - X Z, both within the
 * window-edge bound (R_max + Z) / (R + Z) x N / completed. */
static void closed_loop_response_time_law(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_test_one_replica(&s, "continuous", 64);
  set(&s, "traffic.mode=closed");
  set(&s, "traffic.clients=40");
  set(&s, "traffic.think_time_s=2.375");
  set(&s, "traffic.output_dist=uniform");
  set(&s, "traffic.output_tokens_min=5");
  set(&s, "traffic.output_tokens_max=120");
  set(&s, "run.duration_s=600");
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_true(r.completed > 3000);
  double z = 2.375, x = (double)r.completed / r.span_s, law = 40.0 / (r.e2e_mean_s + z);
  double bound = (r.e2e_p999_s + z) / (r.e2e_mean_s + z) * 40.0 / (double)r.completed;
  assert_true(fabs(x - law) / law < bound);
  assert_true(fabs(r.mean_in_system - (40.0 - x * z)) / 40.0 < bound);
  /* Never more than N in flight: the end count is at most N. */
  assert_true(r.in_flight_at_end <= 40);
}

/* A closed loop with a fixed number of requests ends with the last one. */
static void closed_loop_fixed_requests_end(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_test_one_replica(&s, "continuous", 16);
  set(&s, "traffic.mode=closed");
  set(&s, "traffic.clients=5");
  set(&s, "traffic.requests=53");
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_int_equal(r.arrived, 53);
  assert_int_equal(r.completed, 53);
  assert_true(r.span_s < 3600);
  assert_true(fabs(r.mean_in_system - 5.0) < 0.5); /* 5 in flight until the last 4 drain */
}

/* Same seed, same scenario: the same figures. */
static void closed_loop_is_deterministic(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_test_one_replica(&s, "continuous", 32);
  set(&s, "traffic.mode=closed");
  set(&s, "traffic.clients=9");
  set(&s, "traffic.prompt_dist=lognormal");
  set(&s, "run.duration_s=60");
  struct ic_run_result a, b;
  assert_int_equal(ic_run_scenario(&s, &a), IC_OK);
  assert_int_equal(ic_run_scenario(&s, &b), IC_OK);
  assert_int_equal(a.completed, b.completed);
  assert_true(a.e2e_mean_s == b.e2e_mean_s);
}

static void offline_needs_requests(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  set(&s, "traffic.mode=offline");
  assert_int_equal(ic_scenario_check(&s), IC_EINVAL);
  assert_non_null(strstr(diag.text, "traffic.mode = offline needs traffic.requests >= 1"));
}

static struct ic_scenario bs;
static struct ic_run_result r;

/* Defaults plus the given overrides (NULL-terminated), checked, into bs. */
static void scenario(const char *const *sets) {
  ic_scenario_defaults(&bs);
  for (size_t i = 0; sets[i]; i++) assert_int_equal(ic_scenario_set(&bs, sets[i], "test"), IC_OK);
  assert_int_equal(ic_scenario_check(&bs), IC_OK);
}

static void limit_follows_the_fleet_within_caps(void **state) {
  (void)state;
  /* 100 nodes x 8 GPUs / 8 per replica = 100 replicas; x 8 per batch x 64 = 51,200. */
  scenario((const char *[]){"fleet.nodes=100", "serving.max_batch=8", NULL});
  assert_int_equal(ic_run_in_flight_limit(&bs), 51200);
  /* 2 replicas x 32 x 64 = 4,096: raised to the floor of 10,000. */
  scenario((const char *[]){"fleet.nodes=2", NULL});
  assert_int_equal(ic_run_in_flight_limit(&bs), 10000);
  /* 1,000 x 64 x 64 = 4,096,000: cut to the ceiling of 2,000,000. */
  scenario((const char *[]){"fleet.nodes=1000", "serving.max_batch=64", NULL});
  assert_int_equal(ic_run_in_flight_limit(&bs), 2000000);
}

static void overloaded_fleet_stops_with_a_verdict(void **state) {
  (void)state;
  /* 2 replicas of batch 1 against 20,000 requests a second: the queue
   * passes 10,000 after about half a second of a 3,600 s window. */
  scenario((const char *[]){"fleet.nodes=2", "serving.max_batch=1", "traffic.queries_per_day=1.728e9",
                            "run.duration_s=3600", NULL});
  assert_int_equal(ic_run_scenario(&bs, &r), IC_OK);
  assert_true(r.overloaded);
  assert_true(r.stable == 0.0);
  assert_int_equal(r.in_flight_limit, 10000);
  /* It stopped on the arrival that passed the limit. */
  assert_int_equal(r.in_flight_at_end, 10001);
  assert_int_equal(r.arrived, r.completed + r.rejected + r.in_flight_at_end);
  /* Figures cover the simulated span only, which ends where it stopped. */
  assert_true(r.span_s == r.overloaded_at_s);
  assert_true(r.span_s > 0.0 && r.span_s < 3600.0);
  /* Arrival rate as offered: 20,000/s; about 10,000 arrivals, so the
   * Poisson count's relative sd is 1%; 6% is 6 sd. */
  assert_true(fabs(r.arrival_rate_per_s / 20000.0 - 1.0) < 0.06);
  assert_true(r.completion_rate_per_s < r.arrival_rate_per_s);
  /* The count in flight is what arrived faster than it was served. */
  assert_true(fabs((r.arrival_rate_per_s - r.completion_rate_per_s) * r.span_s - 10001.0) < 10001.0 * 1e-6 + 1.0);
}

static void stable_fleet_is_not_overloaded(void **state) {
  (void)state;
  scenario((const char *[]){"fleet.nodes=2", "traffic.queries_per_day=2e5", "traffic.prompt_tokens=512",
                            "traffic.output_tokens=128", "run.duration_s=120", NULL});
  assert_int_equal(ic_run_scenario(&bs, &r), IC_OK);
  assert_false(r.overloaded);
  assert_true(r.span_s == 120.0);
  assert_true(r.stable == 1.0);
}

static void derived_sizes_are_capped_before_running(void **state) {
  (void)state;
  /* 200,000 nodes x 8 one-GPU replicas = 1.6 M replicas. */
  scenario((const char *[]){"fleet.nodes=200000", "fleet.gpus_per_replica=1", NULL});
  assert_int_equal(ic_run_scenario(&bs, &r), IC_EINVAL);
  assert_non_null(strstr(diag.text, "fleet.nodes: 200000 nodes make 1600000 replicas; at most 1000000 are simulated"));
  /* A day in 0.01 s rows is 8.64 M rows of timeseries.csv. */
  scenario((const char *[]){"run.duration_s=86400", "run.series_interval_s=0.01", NULL});
  assert_int_equal(ic_run_scenario_series(&bs, &r, "/proc/never-written"), IC_EINVAL);
  assert_non_null(strstr(diag.text, "run.series_interval_s: 0.01 s over run.duration_s = 86400 s makes 8640000 rows"));
}

/* The requests a run simulates, the warm-up's included (what the benchmarks' rates per CPU second count):
 * a run of warm-up W and window D draws the same arrivals as one of no warm-up and window W + D (same seed,
 * the same traffic stream), whose window counts them all. */
static void requests_simulated_include_the_warm_up(void **state) {
  (void)state;
  const char *common[] = {"fleet.nodes=4", "traffic.queries_per_day=2e6", "traffic.prompt_tokens=256",
                          "traffic.output_tokens=64"};
  struct ic_run_result whole, split;
  scenario((const char *[]){common[0], common[1], common[2], common[3], "run.warmup_s=0", "run.duration_s=90", NULL});
  assert_int_equal(ic_run_scenario(&bs, &whole), IC_OK);
  assert_true(whole.arrived > 1000);
  assert_int_equal(whole.requests_simulated, whole.arrived); /* no warm-up: the window holds every arrival */
  scenario((const char *[]){common[0], common[1], common[2], common[3], "run.warmup_s=30", "run.duration_s=60", NULL});
  assert_int_equal(ic_run_scenario(&bs, &split), IC_OK);
  assert_true(split.arrived < whole.arrived);
  assert_int_equal(split.requests_simulated, whole.arrived);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(requests_simulated_include_the_warm_up),
      cmocka_unit_test(offline_one_at_a_time_by_hand),
      cmocka_unit_test(offline_rejection_still_ends),
      cmocka_unit_test(closed_loop_holds_n_in_flight),
      cmocka_unit_test(closed_loop_response_time_law),
      cmocka_unit_test(closed_loop_fixed_requests_end),
      cmocka_unit_test(closed_loop_is_deterministic),
      cmocka_unit_test_setup_teardown(offline_needs_requests, diag_capture, diag_release),
      cmocka_unit_test(limit_follows_the_fleet_within_caps),
      cmocka_unit_test(overloaded_fleet_stops_with_a_verdict),
      cmocka_unit_test(stable_fleet_is_not_overloaded),
      cmocka_unit_test_setup_teardown(derived_sizes_are_capped_before_running, diag_capture, diag_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
