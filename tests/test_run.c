/* test_run.c: a run's resource bounds. An overloaded fleet stops with a
 * verdict when requests in flight pass the scenario's limit (instead of
 * exhausting memory); derived sizes are checked before anything runs. */
#include <math.h>
#include <string.h>

#include "ic_test_diag.h"
#include "infercost/run.h"
#include "infercost/scenario.h"

static struct ic_scenario s;
static struct ic_run_result r;

/* Defaults plus the given overrides (NULL-terminated), checked. */
static void scenario(const char *const *sets) {
  ic_scenario_defaults(&s);
  for (size_t i = 0; sets[i]; i++) assert_int_equal(ic_scenario_set(&s, sets[i], "test"), IC_OK);
  assert_int_equal(ic_scenario_check(&s), IC_OK);
}

static void limit_follows_the_fleet_within_caps(void **state) {
  (void)state;
  /* 100 nodes x 8 GPUs / 8 per replica = 100 replicas; x 8 per batch x 64 = 51,200. */
  scenario((const char *[]){"fleet.nodes=100", "serving.max_batch=8", NULL});
  assert_int_equal(ic_run_in_flight_limit(&s), 51200);
  /* 2 replicas x 32 x 64 = 4,096: raised to the floor of 10,000. */
  scenario((const char *[]){"fleet.nodes=2", NULL});
  assert_int_equal(ic_run_in_flight_limit(&s), 10000);
  /* 1,000 x 64 x 64 = 4,096,000: cut to the ceiling of 2,000,000. */
  scenario((const char *[]){"fleet.nodes=1000", "serving.max_batch=64", NULL});
  assert_int_equal(ic_run_in_flight_limit(&s), 2000000);
}

static void overloaded_fleet_stops_with_a_verdict(void **state) {
  (void)state;
  /* 2 replicas of batch 1 against 20,000 requests a second: the queue
   * passes 10,000 after about half a second of a 3,600 s window. */
  scenario((const char *[]){"fleet.nodes=2", "serving.max_batch=1", "traffic.queries_per_day=1.728e9",
                            "run.duration_s=3600", NULL});
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
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
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_false(r.overloaded);
  assert_true(r.span_s == 120.0);
  assert_true(r.stable == 1.0);
}

static void derived_sizes_are_capped_before_running(void **state) {
  (void)state;
  /* 200,000 nodes x 8 one-GPU replicas = 1.6 M replicas. */
  scenario((const char *[]){"fleet.nodes=200000", "fleet.gpus_per_replica=1", NULL});
  assert_int_equal(ic_run_scenario(&s, &r), IC_EINVAL);
  assert_non_null(strstr(diag.text, "fleet.nodes: 200000 nodes make 1600000 replicas; at most 1000000 are simulated"));
  /* A day in 0.01 s rows is 8.64 M rows of timeseries.csv. */
  scenario((const char *[]){"run.duration_s=86400", "run.series_interval_s=0.01", NULL});
  assert_int_equal(ic_run_scenario_series(&s, &r, "/proc/never-written"), IC_EINVAL);
  assert_non_null(strstr(diag.text, "run.series_interval_s: 0.01 s over run.duration_s = 86400 s makes 8640000 rows"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(limit_follows_the_fleet_within_caps),
      cmocka_unit_test(overloaded_fleet_stops_with_a_verdict),
      cmocka_unit_test(stable_fleet_is_not_overloaded),
      cmocka_unit_test_setup_teardown(derived_sizes_are_capped_before_running, diag_capture, diag_release),
  };
  return cmocka_run_group_tests_name("run", tests, NULL, NULL);
}
