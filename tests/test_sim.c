/* test_sim.c: the run loop: clock, step, run-until, cancel from a handler. */
#include "ic_test.h"

#include "infercost/sim.h"

struct trace_log {
  ic_time_ns at[16];
  uint64_t arg[16];
  int n;
};

static void record(ic_sim *sim, void *ctx, uint64_t arg) {
  struct trace_log *log = ctx;
  log->at[log->n] = ic_sim_now(sim);
  log->arg[log->n++] = arg;
}

static void reschedule_twice(ic_sim *sim, void *ctx, uint64_t arg) {
  record(sim, ctx, arg);
  if (arg < 3) ic_sim_schedule_in(sim, 250, reschedule_twice, ctx, arg + 1);
}

static void run_until_stops_at_horizon(void **state) {
  (void)state;
  struct trace_log log = {0};
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_sim_schedule_at(sim, 100, reschedule_twice, &log, 1);
  ic_sim_schedule_at(sim, 5000, record, &log, 9);
  assert_int_equal(ic_sim_run_until(sim, 600), 3); /* 100, 350, 600 (inclusive) */
  assert_int_equal(ic_sim_now(sim), 600);
  assert_int_equal(log.at[2], 600);
  assert_int_equal(ic_sim_pending(sim), 1);
  assert_int_equal(ic_sim_run_until(sim, 10000), 1);
  assert_int_equal(ic_sim_now(sim), 10000);
  assert_int_equal(log.arg[3], 9);
  ic_sim_free(sim);
}

static ic_event_id victim;
static void cancel_victim(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)ctx; (void)arg;
  assert_true(ic_sim_cancel(sim, victim));
}

static void handler_can_cancel_a_later_event(void **state) {
  (void)state;
  struct trace_log log = {0};
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_sim_schedule_at(sim, 10, cancel_victim, NULL, 0);
  victim = ic_sim_schedule_at(sim, 20, record, &log, 1);
  ic_sim_schedule_at(sim, 30, record, &log, 2);
  while (ic_sim_step(sim)) {}
  assert_int_equal(log.n, 1);
  assert_int_equal(log.arg[0], 2);
  assert_int_equal(ic_sim_events_run(sim), 2);
  ic_sim_free(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(run_until_stops_at_horizon),
      cmocka_unit_test(handler_can_cancel_a_later_event),
  };
  return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
