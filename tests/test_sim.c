/* test_sim.c: the run loop: clock, step, run-until, cancel from a handler,
 * events whose time is a bound. */
#define _POSIX_C_SOURCE 200809L /* fork */
#include "ic_test.h"
#include "ic_test_diag.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void schedule_in_the_past(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)arg;
  *(ic_event_id *)ctx = ic_sim_schedule_at(sim, ic_sim_now(sim) - 5, record, NULL, 0);
}

/* An event in the past is never clamped: debug builds abort on the assert,
 * release builds refuse it, stop the run and say so. */
static void past_event_is_refused_not_clamped(void **state) {
  (void)state;
#ifdef NDEBUG
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_event_id got = 1;
  ic_sim_schedule_at(sim, 100, schedule_in_the_past, &got, 0);
  ic_sim_schedule_at(sim, 200, record, NULL, 0);
  ic_sim_run_until(sim, 1000);
  assert_int_equal(got, 0);
  assert_int_equal(ic_sim_status(sim), IC_EINTERNAL);
  assert_int_equal(ic_sim_now(sim), 100); /* stopped there: the event at 200 never ran */
  assert_int_equal(ic_sim_events_run(sim), 1);
  assert_non_null(strstr(diag.text, "internal error: event scheduled 5 ns before the clock (t = 100 ns); run refused"));
  ic_sim_free(sim);
#else
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(STDERR_FILENO); /* the assert's message is expected */
    ic_sim *sim = ic_sim_alloc(1, 0);
    ic_event_id got;
    ic_sim_schedule_at(sim, 100, schedule_in_the_past, &got, 0);
    ic_sim_run_until(sim, 1000);
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
#endif
}

/* A hint sees the next event of its handler before the current one runs:
 * events at 10 (record, 1), 20 (other, 2), 30 (record, 3). Running 10 hints
 * nothing (next is `other`), running 20 hints arg 3, running 30 nothing. */
static void other(ic_sim *sim, void *ctx, uint64_t arg) { record(sim, ctx, arg + 100); }
static uint64_t hinted[8];
static int hints;
static const void *hinted_ctx;
static void note_hint(const void *ctx, uint64_t arg) {
  hinted_ctx = ctx;
  hinted[hints++] = arg;
}

static void hint_sees_the_next_event(void **state) {
  (void)state;
  ic_sim *sim = ic_sim_alloc(1, 0);
  struct trace_log log = {0};
  assert_true(ic_sim_set_hint(sim, record, note_hint));
  ic_sim_schedule_at(sim, 30, record, &log, 3);
  ic_sim_schedule_at(sim, 10, record, &log, 1);
  ic_sim_schedule_at(sim, 20, other, &log, 2);
  ic_sim_run_until(sim, IC_TIME_NEVER);
  assert_int_equal(hints, 1);
  assert_int_equal(hinted[0], 3);
  assert_ptr_equal(hinted_ctx, &log);
  assert_int_equal(log.n, 3);
  assert_int_equal(log.arg[0], 1);
  assert_int_equal(log.arg[1], 102);
  assert_int_equal(log.arg[2], 3);
  /* a handler's hint is replaced, not added; the table has a bound */
  assert_true(ic_sim_set_hint(sim, record, note_hint));
  assert_true(ic_sim_set_hint(sim, other, note_hint));
  assert_true(ic_sim_set_hint(sim, reschedule_twice, note_hint));
  assert_true(ic_sim_set_hint(sim, schedule_in_the_past, note_hint));
  assert_false(ic_sim_set_hint(sim, cancel_victim, note_hint));
  ic_sim_free(sim);
}

/* Events scheduled with a bound of their time (ic_sim_schedule_bound):
 * `staged` reveals each one's exact time 15 ns at a time. */
struct staged_log {
  struct trace_log log; /* first: record() takes it */
  ic_time_ns exact[8];  /* per arg */
  int refines;
};

static void staged(ic_sim *sim, void *ctx, uint64_t arg) { record(sim, ctx, arg); }

static bool staged_refine(void *ctx, uint64_t arg, ic_time_ns *at_ns) {
  struct staged_log *s = ctx;
  s->refines++;
  *at_ns = *at_ns + 15 < s->exact[arg] ? *at_ns + 15 : s->exact[arg];
  return *at_ns == s->exact[arg];
}

/* The order is the one the exact times give, ties broken by first
 * scheduling (A before B at 50); a bound before the run's end whose exact
 * time is after it does not run (E); a moved event's time is exact (F);
 * refinements are not events. Worked out by hand. */
static void bounded_events_run_in_exact_order(void **state) {
  (void)state;
  ic_sim *sim = ic_sim_alloc(1, 0);
  struct staged_log s = {.exact = {0, 50, 0, 0, 20, 200, 1000}};
  assert_true(ic_sim_set_refine(sim, staged, staged_refine));
  ic_sim_schedule_bound(sim, 10, staged, &s, 1);       /* A: exact 50 */
  ic_sim_schedule_at(sim, 50, record, &s, 2);          /* B */
  ic_sim_schedule_at(sim, 30, record, &s, 3);          /* C */
  ic_sim_schedule_bound(sim, 5, staged, &s, 4);        /* D: exact 20 */
  ic_sim_schedule_bound(sim, 40, staged, &s, 5);       /* E: exact 200 */
  ic_event_id f = ic_sim_schedule_bound(sim, 60, staged, &s, 6); /* F: exact 1000, moved to 70 */
  assert_int_equal(ic_sim_reschedule(sim, f, 70), f);
  assert_int_equal(ic_sim_run_until(sim, 100), 5);
  assert_int_equal(ic_sim_now(sim), 100);
  assert_int_equal(s.log.n, 5);
  const uint64_t args[] = {4, 3, 1, 2, 6};
  const ic_time_ns at[] = {20, 30, 50, 50, 70};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(s.log.arg[i], args[i]);
    assert_int_equal(s.log.at[i], at[i]);
  }
  assert_int_equal(ic_sim_pending(sim), 1);
  assert_int_equal(ic_sim_run_until(sim, IC_TIME_NEVER), 1);
  assert_int_equal(s.log.arg[5], 5);
  assert_int_equal(s.log.at[5], 200);
  assert_int_equal(ic_sim_events_run(sim), 6);
  /* D: 5 -> 20 (exact) once; A: 10 -> 25 -> 40 -> 50; E: 40 -> ... -> 200 in 11 steps */
  assert_int_equal(s.refines, 1 + 3 + 11);
  ic_sim_free(sim);
}

/* Stream events (ic_sim_schedule_stream) run in the order the queue would
 * give them: by time, then by scheduling. `streamed` records and schedules
 * the next one (arg 10 at 20 -> 11 at 40 -> 12 at 55). Worked out by hand:
 * at 20 record(1) was scheduled first; at 40 record(2) was scheduled before
 * 11; the bound event (3, at 30, exact 55, revealed 15 ns a time) is refined
 * to 45 when it is first, not while 11 comes before it, then made exact
 * (compared with the run's end at 50) and run before 12, scheduled after it. */
static void streamed(ic_sim *sim, void *ctx, uint64_t arg) {
  struct staged_log *s = ctx;
  record(sim, ctx, arg);
  const ic_time_ns next[] = {40, 55};
  if (arg == 12) return;
  assert_true(ic_sim_schedule_stream(sim, next[arg - 10], streamed, s, arg + 1));
  assert_false(ic_sim_schedule_stream(sim, 1000, streamed, s, 99)); /* one at a time */
}

static void stream_events_run_in_queue_order(void **state) {
  (void)state;
  ic_sim *sim = ic_sim_alloc(1, 0);
  struct staged_log s = {.exact = {[3] = 55}};
  assert_true(ic_sim_set_refine(sim, staged, staged_refine));
  ic_sim_schedule_at(sim, 20, record, &s, 1);
  assert_true(ic_sim_schedule_stream(sim, 20, streamed, &s, 10));
  ic_sim_schedule_at(sim, 40, record, &s, 2);
  ic_sim_schedule_bound(sim, 30, staged, &s, 3);
  assert_int_equal(ic_sim_pending(sim), 4);
  assert_int_equal(ic_sim_run_until(sim, 50), 4);
  assert_int_equal(s.refines, 2); /* 30 -> 45 before 40's events; 45 -> 55 after them, against the end */
  assert_int_equal(ic_sim_pending(sim), 2);
  assert_int_equal(ic_sim_run_until(sim, IC_TIME_NEVER), 2);
  const uint64_t args[] = {1, 10, 2, 11, 3, 12};
  const ic_time_ns at[] = {20, 20, 40, 40, 55, 55};
  assert_int_equal(s.log.n, 6);
  for (int i = 0; i < 6; i++) {
    assert_int_equal(s.log.arg[i], args[i]);
    assert_int_equal(s.log.at[i], at[i]);
  }
  assert_int_equal(s.refines, 2);
  assert_int_equal(ic_sim_events_run(sim), 6);
  assert_int_equal(ic_sim_pending(sim), 0);
  ic_sim_free(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(run_until_stops_at_horizon),
      cmocka_unit_test(hint_sees_the_next_event),
      cmocka_unit_test(handler_can_cancel_a_later_event),
      cmocka_unit_test(bounded_events_run_in_exact_order),
      cmocka_unit_test(stream_events_run_in_queue_order),
      cmocka_unit_test_setup_teardown(past_event_is_refused_not_clamped, diag_capture, diag_release),
  };
  return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
