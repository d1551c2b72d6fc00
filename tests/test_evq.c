/* test_evq.c: the future event list against a reference sort. */
#include "ic_test.h"

#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "infercost/evq.h"

/* Table of (time, label) pushes; expected pop order worked out by hand:
 * earliest time first, equal times in push order. */
struct order_case {
  const char *name;
  size_t n;
  ic_time_ns times[8];
  uint64_t expect_labels[8];
};

static struct order_case order_cases[] = {
    {"ascending", 4, {10, 20, 30, 40}, {0, 1, 2, 3}},
    {"descending", 4, {40, 30, 20, 10}, {3, 2, 1, 0}},
    {"all_tied_fifo", 5, {7, 7, 7, 7, 7}, {0, 1, 2, 3, 4}},
    {"ties_interleaved", 6, {5, 3, 5, 3, 1, 5}, {4, 1, 3, 0, 2, 5}},
    {"negative_and_zero", 4, {0, -5, 0, -5}, {1, 3, 0, 2}},
};

static void run_order_case(void **state) {
  const struct order_case *c = *state;
  ic_evq *q = ic_evq_alloc(2);
  assert_non_null(q);
  for (size_t i = 0; i < c->n; i++) assert_int_not_equal(ic_evq_push(q, c->times[i], NULL, NULL, i), 0);
  struct ic_event ev;
  for (size_t i = 0; i < c->n; i++) {
    assert_true(ic_evq_pop(q, &ev));
    assert_int_equal(ev.arg, c->expect_labels[i]);
  }
  assert_false(ic_evq_pop(q, &ev));
  ic_evq_free(q);
}

static void cancel_skips_event(void **state) {
  (void)state;
  ic_evq *q = ic_evq_alloc(4);
  ic_event_id a = ic_evq_push(q, 100, NULL, NULL, 1);
  ic_event_id b = ic_evq_push(q, 50, NULL, NULL, 2);
  ic_event_id c = ic_evq_push(q, 75, NULL, NULL, 3);
  (void)a;
  assert_int_equal(ic_evq_size(q), 3);
  assert_true(ic_evq_cancel(q, b));
  assert_false(ic_evq_cancel(q, b)); /* twice: no */
  assert_int_equal(ic_evq_size(q), 2);
  assert_int_equal(ic_evq_peek_time(q), 75);
  struct ic_event ev;
  assert_true(ic_evq_pop(q, &ev));
  assert_int_equal(ev.arg, 3);
  assert_int_equal(ev.id, c);
  assert_false(ic_evq_cancel(q, c)); /* already ran */
  assert_false(ic_evq_cancel(q, 0));
  assert_true(ic_evq_pop(q, &ev));
  assert_int_equal(ev.arg, 1);
  assert_int_equal(ic_evq_peek_time(q), IC_TIME_NEVER);
  ic_evq_free(q);
}

/* Every pop and peek hands back the context its event was pushed with,
 * whichever contexts came before (the queue keeps each once in a table
 * that grows): the oracle is the context table this test indexes by arg. */
static void contexts_come_back(void **state) {
  (void)state;
  static int ctx[37];
  ic_evq *q = ic_evq_alloc(2);
  assert_non_null(q);
  for (uint64_t k = 0; k < 300; k++) { /* contexts in runs and at random, NULL among them */
    void *c = k % 5 == 0 ? NULL : &ctx[(k * k / 3) % 37];
    assert_int_not_equal(ic_evq_push(q, (ic_time_ns)((k * 7919) % 301), NULL, c, k), 0);
  }
  struct ic_event ev;
  for (int n = 0; n < 300; n++) {
    ic_event_fn *fn;
    void *peeked;
    uint64_t arg;
    assert_true(ic_evq_peek(q, &fn, &peeked, &arg));
    assert_true(ic_evq_pop(q, &ev));
    void *expect = ev.arg % 5 == 0 ? NULL : &ctx[(ev.arg * ev.arg / 3) % 37];
    assert_ptr_equal(ev.ctx, expect);
    assert_ptr_equal(peeked, expect);
  }
  ic_evq_free(q);
}

static void stale_id_after_slot_reuse(void **state) {
  (void)state;
  ic_evq *q = ic_evq_alloc(1);
  ic_event_id a = ic_evq_push(q, 1, NULL, NULL, 1);
  struct ic_event ev;
  assert_true(ic_evq_pop(q, &ev));
  ic_event_id b = ic_evq_push(q, 2, NULL, NULL, 2); /* reuses a's slot */
  assert_int_not_equal(a, b);
  assert_false(ic_evq_cancel(q, a));
  assert_int_equal(ic_evq_size(q), 1);
  ic_evq_free(q);
}

static void grows_far_past_initial_capacity(void **state) {
  (void)state;
  ic_evq *q = ic_evq_alloc(1);
  const uint64_t n = 50000;
  for (uint64_t i = 0; i < n; i++) assert_int_not_equal(ic_evq_push(q, (ic_time_ns)(n - i), NULL, NULL, i), 0);
  assert_int_equal(ic_evq_size(q), n);
  struct ic_event ev;
  ic_time_ns last = 0;
  for (uint64_t i = 0; i < n; i++) {
    assert_true(ic_evq_pop(q, &ev));
    assert_true(ev.time_ns > last);
    last = ev.time_ns;
  }
  ic_evq_free(q);
}

struct ref_event {
  ic_time_ns t;
  uint64_t seq;
  int cancelled;
};

static int ref_cmp(const void *pa, const void *pb) {
  const struct ref_event *a = pa, *b = pb;
  if (a->t != b->t) return a->t < b->t ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* 100,000 random events (coarse times, so many ties), a tenth cancelled,
 * popped in the same order as a reference sort on (time, push order). */
static void random_events_match_reference_sort(void **state) {
  (void)state;
  const size_t n = 100000;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 20231116);
  ic_evq *q = ic_evq_alloc(16);
  struct ref_event *ref = malloc(n * sizeof *ref);
  ic_event_id *ids = malloc(n * sizeof *ids);
  assert_non_null(ref);
  assert_non_null(ids);
  for (size_t i = 0; i < n; i++) {
    ref[i] = (struct ref_event){(ic_time_ns)gsl_rng_uniform_int(r, 5000), i, 0};
    ids[i] = ic_evq_push(q, ref[i].t, NULL, NULL, i);
  }
  for (size_t i = 0; i < n; i += 10) {
    size_t k = (size_t)gsl_rng_uniform_int(r, n);
    if (!ref[k].cancelled) {
      assert_true(ic_evq_cancel(q, ids[k]));
      ref[k].cancelled = 1;
    }
  }
  qsort(ref, n, sizeof *ref, ref_cmp); /* keys are unique: qsort's instability is harmless */
  struct ic_event ev;
  for (size_t i = 0; i < n; i++) {
    if (ref[i].cancelled) continue;
    assert_true(ic_evq_pop(q, &ev));
    assert_int_equal(ev.arg, ref[i].seq);
    assert_int_equal(ev.time_ns, ref[i].t);
  }
  assert_false(ic_evq_pop(q, &ev));
  free(ref);
  free(ids);
  ic_evq_free(q);
  gsl_rng_free(r);
}

/* Rescheduling moves an event as cancel + push would: interleaved with pops
 * and pushes, with many equal times, two queues driven the two ways pop
 * the same (time, action) sequence; a moved event keeps its id, and an id
 * that already ran is refused. */
static void reschedule_equals_cancel_and_push(void **state) {
  (void)state;
  const size_t n = 20000;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 77);
  ic_evq *a = ic_evq_alloc(8), *b = ic_evq_alloc(8);
  ic_event_id *ida = malloc(n * sizeof *ida), *idb = malloc(n * sizeof *idb);
  assert_non_null(ida);
  assert_non_null(idb);
  for (size_t i = 0; i < n; i++) {
    ic_time_ns t = (ic_time_ns)gsl_rng_uniform_int(r, 3000);
    ida[i] = ic_evq_push(a, t, NULL, NULL, i);
    idb[i] = ic_evq_push(b, t, NULL, NULL, i);
  }
  struct ic_event ea, eb;
  ic_time_ns now = 0;
  for (size_t step = 0; step < 4 * n; step++) {
    size_t k = (size_t)gsl_rng_uniform_int(r, n);
    ic_time_ns t = now + (ic_time_ns)gsl_rng_uniform_int(r, 3000);
    if (step % 3 == 0) {
      assert_true(ic_evq_pop(a, &ea));
      assert_true(ic_evq_pop(b, &eb));
      assert_int_equal(ea.time_ns, eb.time_ns);
      assert_int_equal(ea.arg, eb.arg);
      now = ea.time_ns;
      assert_int_equal(ic_evq_reschedule(a, ea.id, now + 1), 0); /* already ran */
      ida[ea.arg] = ic_evq_push(a, t, NULL, NULL, ea.arg);
      idb[eb.arg] = ic_evq_push(b, t, NULL, NULL, eb.arg);
    } else if (ic_evq_cancel(b, idb[k])) {
      if (step % 3 == 1)
        assert_int_equal(ic_evq_reschedule(a, ida[k], t), ida[k]);
      else /* the same through the move that sets an argument (the oracle test replaces it) */
        assert_int_equal(ic_evq_reschedule_arg(a, ida[k], t, k), ida[k]);
      idb[k] = ic_evq_push(b, t, NULL, NULL, k);
    }
  }
  while (ic_evq_pop(b, &eb)) {
    assert_true(ic_evq_pop(a, &ea));
    assert_int_equal(ea.time_ns, eb.time_ns);
    assert_int_equal(ea.arg, eb.arg);
  }
  assert_false(ic_evq_pop(a, &ea));
  free(ida);
  free(idb);
  ic_evq_free(a);
  ic_evq_free(b);
  gsl_rng_free(r);
}

/* Keys pushed earlier than the last one popped (a queue may be driven so
 * by hand, not by ic_sim), a bound delayed past other events, at large and
 * negative times: popped in the order worked out by hand. */
static void earlier_pushes_and_delays_keep_order(void **state) {
  (void)state;
  ic_evq *q = ic_evq_alloc(2);
  struct ic_event ev;
  assert_int_not_equal(ic_evq_push(q, 1000000000000, NULL, NULL, 1), 0);
  assert_int_not_equal(ic_evq_push(q, 2000, NULL, NULL, 2), 0);
  assert_int_not_equal(ic_evq_push(q, 3000, NULL, NULL, 3), 0);
  assert_true(ic_evq_pop(q, &ev));
  assert_int_equal(ev.arg, 2);
  assert_int_not_equal(ic_evq_push(q, -7, NULL, NULL, 4), 0);   /* before the last pop */
  assert_int_not_equal(ic_evq_push(q, 2500, NULL, NULL, 5), 0);
  assert_int_not_equal(ic_evq_push_bound(q, 2500, NULL, NULL, 6), 0); /* ties 5, after it */
  assert_true(ic_evq_pop(q, &ev));
  assert_int_equal(ev.arg, 4);
  assert_true(ic_evq_pop(q, &ev));
  assert_int_equal(ev.arg, 5);
  bool bound;
  assert_int_equal(ic_evq_peek_bound(q, &bound), 2500);
  assert_true(bound);
  ic_evq_delay_top(q, 3000, false); /* still a bound; ties 3, which was pushed first */
  assert_int_equal(ic_evq_peek_bound(q, &bound), 3000);
  assert_int_equal(ic_evq_peek_seq(q), 2);
  assert_true(ic_evq_pop(q, &ev));
  assert_int_equal(ev.arg, 3);
  ic_evq_delay_top(q, 5000, true);
  assert_int_equal(ic_evq_peek_bound(q, &bound), 5000);
  assert_false(bound);
  assert_int_not_equal(ic_evq_push(q, 4000, NULL, NULL, 7), 0);
  uint64_t expect[] = {7, 6, 1};
  for (size_t i = 0; i < 3; i++) {
    assert_true(ic_evq_pop(q, &ev));
    assert_int_equal(ev.arg, expect[i]);
  }
  assert_false(ic_evq_pop(q, &ev));
  ic_evq_free(q);
}

/* The queue grows past two powers of two while events are pending (64
 * slots, then 128, then 256), with many ties, events at IC_TIME_NEVER
 * (they must still leave, after every earlier one, in push order, not be
 * taken for free slots) and at INT64_MIN, the first event cancelled, the
 * next one moved later, another moved earlier, and the first one's bound
 * flag changed without its time. The order is worked out from the rule
 * (time, then push order, a move taking a new place in that order). */
static void growth_ties_and_never(void **state) {
  (void)state;
  ic_evq *q = ic_evq_alloc(1);
  struct ic_event ev;
  ic_event_id id[70];
  assert_int_not_equal(ic_evq_push(q, IC_TIME_NEVER, NULL, NULL, 100), 0);
  for (int k = 0; k < 70; k++) { /* the 64th push grows the pool */
    id[k] = ic_evq_push(q, (ic_time_ns)(k % 3) * 100, NULL, NULL, (uint64_t)k);
    assert_int_not_equal(id[k], 0);
  }
  assert_true(ic_evq_cancel(q, id[0]));                  /* the first event */
  assert_int_equal(ic_evq_reschedule(q, id[3], 100), id[3]); /* the new first, later */
  assert_int_equal(ic_evq_reschedule(q, id[68], 0), id[68]);  /* earlier: last of time 0 */
  assert_int_not_equal(ic_evq_push(q, INT64_MIN, NULL, NULL, 2000), 0);
  assert_int_not_equal(ic_evq_push(q, IC_TIME_NEVER, NULL, NULL, 1000), 0);
  assert_int_not_equal(ic_evq_push(q, IC_TIME_NEVER, NULL, NULL, 1001), 0);
  assert_int_equal(ic_evq_size(q), 73);
  uint64_t expect[256];
  size_t n = 0;
  expect[n++] = 2000;
  for (int k = 6; k < 70; k += 3) expect[n++] = (uint64_t)k; /* time 0 */
  expect[n++] = 68;
  size_t split = n; /* the time-150 events pushed after the first pops go here */
  for (int k = 1; k < 70; k += 3) expect[n++] = (uint64_t)k; /* time 100 */
  expect[n++] = 3;
  for (int j = 0; j < 70; j++) expect[n++] = 3000 + (uint64_t)j; /* time 150 */
  for (int k = 2; k < 68; k += 3) expect[n++] = (uint64_t)k; /* time 200 */
  expect[n++] = 100; /* time IC_TIME_NEVER */
  expect[n++] = 1000;
  expect[n++] = 1001;
  size_t i = 0;
  for (; i < 6; i++) { /* the event at INT64_MIN and five of time 0 */
    assert_true(ic_evq_pop(q, &ev));
    assert_int_equal(ev.arg, expect[i]);
  }
  bool bound;
  ic_evq_delay_top(q, 0, false); /* the same time, now a bound: the order stays */
  assert_int_equal(ic_evq_peek_bound(q, &bound), 0);
  assert_true(bound);
  assert_int_equal(ic_evq_peek_seq(q), 1 + 21); /* k = 21, pushed after the first and k = 0 .. 20 */
  ic_evq_delay_top(q, 0, true);
  assert_int_equal(ic_evq_peek_bound(q, &bound), 0);
  assert_false(bound);
  for (int j = 0; j < 70; j++) /* past 128 slots */
    assert_int_not_equal(ic_evq_push(q, 150, NULL, NULL, 3000 + (uint64_t)j), 0);
  assert_true(split > i);
  for (; i < n - 3; i++) {
    assert_true(ic_evq_pop(q, &ev));
    assert_int_equal(ev.arg, expect[i]);
  }
  assert_int_equal(ic_evq_size(q), 3); /* the three at IC_TIME_NEVER */
  assert_int_equal(ic_evq_peek_time(q), IC_TIME_NEVER);
  for (; i < n; i++) {
    assert_true(ic_evq_pop(q, &ev));
    assert_int_equal(ev.arg, expect[i]);
    assert_int_equal(ev.time_ns, IC_TIME_NEVER);
  }
  assert_false(ic_evq_pop(q, &ev));
  assert_int_equal(ic_evq_size(q), 0);
  ic_evq_free(q);
}

/* The reference queue of oracle_random_operations: every pending event in
 * an unsorted array, the earliest found by a linear scan on (time, seq),
 * sequence numbers counted here as the interface says (each push,
 * reschedule and take_seq takes the next; a delay keeps it). */
struct oracle_event {
  ic_time_ns t;
  uint64_t seq, arg;
  ic_event_id id;
  bool bound;
};
struct oracle {
  struct oracle_event *ev;
  size_t n;
  uint64_t next_seq;
};

static size_t oracle_first(const struct oracle *o) {
  size_t best = 0;
  for (size_t i = 1; i < o->n; i++)
    if (o->ev[i].t < o->ev[best].t || (o->ev[i].t == o->ev[best].t && o->ev[i].seq < o->ev[best].seq)) best = i;
  return best;
}

static void oracle_remove(struct oracle *o, size_t i) { o->ev[i] = o->ev[--o->n]; }

/* The queue against the reference under 400,000 random operations: pushes
 * (exact and bounds; at, after and before the last pop's time; coarse
 * times, so many ties), pops (most followed at once by a push, as a
 * handler that schedules its next event does), cancels (pending and stale
 * ids), reschedules (earlier and later, keeping the argument or
 * replacing it), delays of the first event, taken
 * sequence numbers and peeks, while the queue grows to thousands of
 * events and drains to none, again and again. Every pop, peek and size
 * must be the reference's, and a pop's next_ns the first time left. */
static void oracle_random_operations(void **state) {
  (void)state;
  const size_t ops = 400000, cap = 5000;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 2026112620);
  ic_evq *q = ic_evq_alloc(4);
  struct oracle o = {malloc(cap * sizeof *o.ev), 0, 0};
  assert_non_null(q);
  assert_non_null(o.ev);
  ic_event_id *dead = calloc(64, sizeof *dead); /* ids that ran or were cancelled */
  assert_non_null(dead);
  size_t target = 3;
  ic_time_ns now = 0;
  uint64_t arg = 0;
  struct ic_event ev;
  for (size_t step = 0; step < ops; step++) {
    if (step % 20000 == 0) target = target > 100 ? 1 + gsl_rng_uniform_int(r, 4) : 500 + gsl_rng_uniform_int(r, 3000);
    unsigned op = (unsigned)gsl_rng_uniform_int(r, 100);
    bool fill = o.n < target;
    if ((fill && op < 45) || (!fill && op < 10) || o.n == 0) { /* push */
      ic_time_ns t = now + (ic_time_ns)gsl_rng_uniform_int(r, 400) - (op % 9 == 0 ? 200 : 0);
      bool bound = op % 4 == 0;
      ic_event_id id = bound ? ic_evq_push_bound(q, t, NULL, NULL, arg) : ic_evq_push(q, t, NULL, NULL, arg);
      assert_int_not_equal(id, 0);
      assert_true(o.n < cap);
      o.ev[o.n++] = (struct oracle_event){t, o.next_seq++, arg++, id, bound};
    } else if (op < 75) { /* pop, and most often a push at once */
      size_t i = oracle_first(&o);
      assert_true(ic_evq_pop(q, &ev));
      assert_int_equal(ev.time_ns, o.ev[i].t);
      assert_int_equal(ev.seq, o.ev[i].seq);
      assert_int_equal(ev.arg, o.ev[i].arg);
      assert_int_equal(ev.id, o.ev[i].id);
      dead[step % 64] = ev.id;
      now = ev.time_ns;
      oracle_remove(&o, i);
      assert_int_equal(ev.next_ns, o.n ? o.ev[oracle_first(&o)].t : IC_TIME_NEVER); /* the first left */
      if (op < 65) {
        ic_time_ns t = now + (ic_time_ns)gsl_rng_uniform_int(r, 600);
        ic_event_id id = ic_evq_push(q, t, NULL, NULL, arg);
        assert_int_not_equal(id, 0);
        o.ev[o.n++] = (struct oracle_event){t, o.next_seq++, arg++, id, false};
      }
    } else if (op < 82) { /* cancel a pending or a stale id */
      if (op % 2) {
        size_t i = (size_t)gsl_rng_uniform_int(r, o.n);
        assert_true(ic_evq_cancel(q, o.ev[i].id));
        dead[step % 64] = o.ev[i].id;
        oracle_remove(&o, i);
      } else
        assert_false(ic_evq_cancel(q, dead[gsl_rng_uniform_int(r, 64)]));
    } else if (op < 92) { /* reschedule, earlier or later; or a stale id */
      size_t i = (size_t)gsl_rng_uniform_int(r, o.n);
      ic_time_ns t = now + (ic_time_ns)gsl_rng_uniform_int(r, 500) - 100;
      /* prefetches change nothing, whatever the id (pending, stale, 0, past the slots): the oracle checks */
      ic_evq_prefetch(q, o.ev[i].id);
      ic_evq_prefetch(q, dead[step % 64]);
      ic_evq_prefetch(q, 0);
      ic_evq_prefetch(q, UINT64_MAX);
      if (op == 82) {
        ic_event_id d = dead[gsl_rng_uniform_int(r, 64)];
        if (d) assert_int_equal(ic_evq_reschedule(q, d, t), 0);
        if (d) assert_int_equal(ic_evq_reschedule_arg(q, d, t, arg), 0);
      } else if (op % 2) { /* a move with a new argument: as a cancel and a push of it */
        assert_int_equal(ic_evq_reschedule_arg(q, o.ev[i].id, t, arg), o.ev[i].id);
        o.ev[i].t = t;
        o.ev[i].seq = o.next_seq++;
        o.ev[i].arg = arg++;
        o.ev[i].bound = false;
      } else {
        assert_int_equal(ic_evq_reschedule(q, o.ev[i].id, t), o.ev[i].id);
        o.ev[i].t = t;
        o.ev[i].seq = o.next_seq++;
        o.ev[i].bound = false;
      }
    } else if (op < 96) { /* delay the first event, keeping its seq */
      size_t i = oracle_first(&o);
      ic_time_ns t = o.ev[i].t + (ic_time_ns)gsl_rng_uniform_int(r, 300);
      bool exact = op % 2;
      ic_evq_delay_top(q, t, exact);
      o.ev[i].t = t;
      o.ev[i].bound = !exact;
    } else if (op < 98)
      assert_int_equal(ic_evq_take_seq(q), o.next_seq++);
    else {
      size_t i = oracle_first(&o);
      bool bound;
      assert_int_equal(ic_evq_peek_bound(q, &bound), o.ev[i].t);
      assert_int_equal(bound, o.ev[i].bound);
      assert_int_equal(ic_evq_peek_seq(q), o.ev[i].seq);
      uint64_t a;
      ic_event_fn *fn;
      void *ctx;
      assert_true(ic_evq_peek(q, &fn, &ctx, &a));
      assert_int_equal(a, o.ev[i].arg);
    }
    assert_int_equal(ic_evq_size(q), o.n);
    assert_int_equal(ic_evq_peek_time(q), o.n ? o.ev[oracle_first(&o)].t : IC_TIME_NEVER);
  }
  while (o.n) {
    size_t i = oracle_first(&o);
    assert_true(ic_evq_pop(q, &ev));
    assert_int_equal(ev.arg, o.ev[i].arg);
    oracle_remove(&o, i);
  }
  assert_false(ic_evq_pop(q, &ev));
  free(dead);
  free(o.ev);
  ic_evq_free(q);
  gsl_rng_free(r);
}

int main(void) {
  struct CMUnitTest tests[16];
  size_t n = 0;
  for (size_t i = 0; i < sizeof order_cases / sizeof order_cases[0]; i++)
    tests[n++] = (struct CMUnitTest){order_cases[i].name, run_order_case, NULL, NULL, (void *)&order_cases[i]};
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(cancel_skips_event);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(earlier_pushes_and_delays_keep_order);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(reschedule_equals_cancel_and_push);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(stale_id_after_slot_reuse);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(contexts_come_back);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(grows_far_past_initial_capacity);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(random_events_match_reference_sort);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(oracle_random_operations);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(growth_ties_and_never);
  return _cmocka_run_group_tests("evq", tests, n, NULL, NULL);
}
