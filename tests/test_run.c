/* test_run.c: how load is offered (traffic.mode): offline, closed-loop
 * clients, and the end of a run with a fixed number of requests. */
#include <math.h>
#include <stdio.h>

#include "ic_test_diag.h"
#include "infercost/run.h"
#include "infercost/scenario.h"

static void set(struct ic_scenario *s, const char *kv) { assert_int_equal(ic_scenario_set(s, kv, "test"), IC_OK); }

/* One Llama-2-7B replica on one H100, fixed lengths 300 + 40 tokens. */
static void one_replica(struct ic_scenario *s, const char *batching, int64_t max_batch) {
  ic_scenario_defaults(s);
  static const char *const keys[] = {
      "model.name=llama2-7b", "fleet.gpu=h100-sxm", "fleet.server=test-host",
      "power.node_base_w=1500", "cost.server_price_usd=100000", "fleet.nodes=1",
      "fleet.gpus_per_node=1", "fleet.gpus_per_replica=1", "serving.batch_timeout_s=0",
      "traffic.prompt_tokens=300", "traffic.output_tokens=40", "run.seed=31337"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) set(s, keys[i]);
  char kv[96];
  snprintf(kv, sizeof kv, "serving.batching=%s", batching);
  set(s, kv);
  snprintf(kv, sizeof kv, "serving.max_batch=%lld", (long long)max_batch);
  set(s, kv);
}

/* Offline by hand: N = 7 requests at time 0 on one replica serving one at a
 * time, each taking the same service time D. The k-th (k = 1..N) starts at
 * (k - 1) D and ends at k D, so the run lasts N D, the mean wait is
 * (N - 1) D / 2, and the throughput over the run is N x 40 / (N D) = 40 / D
 * tokens/s, whatever the run's nominal length. */
static void offline_one_at_a_time_by_hand(void **state) {
  (void)state;
  static struct ic_scenario s;
  one_replica(&s, "static", 1);
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
  one_replica(&s, "static", 1);
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
  one_replica(&s, "continuous", 64);
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
  one_replica(&s, "continuous", 64);
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
  one_replica(&s, "continuous", 16);
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
  one_replica(&s, "continuous", 32);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(offline_one_at_a_time_by_hand),
      cmocka_unit_test(offline_rejection_still_ends),
      cmocka_unit_test(closed_loop_holds_n_in_flight),
      cmocka_unit_test(closed_loop_response_time_law),
      cmocka_unit_test(closed_loop_fixed_requests_end),
      cmocka_unit_test(closed_loop_is_deterministic),
      cmocka_unit_test_setup_teardown(offline_needs_requests, diag_capture, diag_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
