/* sim.c: the run loop over the event queue. */
#include "infercost/sim.h"

#include <assert.h>
#include <stdlib.h>

#include "infercost/rng.h"
#include "infercost/status.h"

struct ic_sim {
  struct ic_sim_clock clock; /* first: ic_sim_now reads it from sim.h */
  ic_evq *queue;
  ic_rng_set *rngs;
  uint64_t events_run;
  bool stop_requested;
  ic_status status; /* IC_EINTERNAL once a model scheduled into the past */
  struct { /* the pending stream event (ic_sim_schedule_stream), beside the queue */
    bool pending;
    ic_time_ns time_ns;
    uint64_t seq;
    ic_event_fn *fn;
    void *ctx;
    uint64_t arg;
  } stream;
  int hooks;
  struct {
    ic_event_fn *fn;
    ic_hint_fn *hint;     /* NULL: none */
    ic_refine_fn *refine; /* NULL: none */
  } hook[IC_SIM_HINTS];
};

ic_sim *ic_sim_alloc(uint64_t seed, uint64_t run) {
  ic_sim *sim = calloc(1, sizeof *sim);
  if (!sim) return NULL;
  sim->queue = ic_evq_alloc(1024);
  sim->rngs = ic_rng_set_alloc(seed, run);
  if (!sim->queue || !sim->rngs) {
    ic_sim_free(sim);
    return NULL;
  }
  return sim;
}

/* An event in the past is a bug in a model: an assert in debug builds; in
 * release builds the run is refused loudly (stopped, IC_EINTERNAL), never
 * quietly clamped into a wrong timing. */
static __attribute__((noinline, cold)) ic_event_id refuse_past(ic_sim *sim, ic_time_ns at_ns, const char *what) {
  assert(at_ns >= sim->clock.now_ns && "sim: event scheduled in the past");
  if (sim->status == IC_OK)
    ic_diag("infercost", 0, "internal error: %s %lld ns before the clock (t = %lld ns); run refused", what,
            (long long)(sim->clock.now_ns - at_ns), (long long)sim->clock.now_ns);
  sim->status = IC_EINTERNAL;
  sim->stop_requested = true;
  return 0;
}

/* Whether at_ns is in the past; the refusal out of line, called last (a
 * tail call): a schedule's fast path then calls nothing and keeps no
 * register on the stack. */
static inline __attribute__((always_inline)) bool past(const ic_sim *sim, ic_time_ns at_ns) {
  return __builtin_expect(at_ns < sim->clock.now_ns, 0);
}

ic_event_id ic_sim_schedule_at(ic_sim *sim, ic_time_ns at_ns, ic_event_fn *fn, void *ctx,
                               uint64_t arg) {
  if (past(sim, at_ns)) return refuse_past(sim, at_ns, "event scheduled");
  return ic_evq_push(sim->queue, at_ns, fn, ctx, arg);
}

ic_event_id ic_sim_schedule_bound(ic_sim *sim, ic_time_ns at_ns, ic_event_fn *fn, void *ctx, uint64_t arg) {
  if (past(sim, at_ns)) return refuse_past(sim, at_ns, "event scheduled");
  return ic_evq_push_bound(sim->queue, at_ns, fn, ctx, arg);
}

bool ic_sim_schedule_stream(ic_sim *sim, ic_time_ns at_ns, ic_event_fn *fn, void *ctx, uint64_t arg) {
  if (sim->stream.pending) return false;
  if (past(sim, at_ns)) return refuse_past(sim, at_ns, "event scheduled");
  sim->stream.pending = true;
  sim->stream.time_ns = at_ns;
  sim->stream.seq = ic_evq_take_seq(sim->queue);
  sim->stream.fn = fn;
  sim->stream.ctx = ctx;
  sim->stream.arg = arg;
  return true;
}

ic_event_id ic_sim_schedule_in(ic_sim *sim, ic_time_ns delay_ns, ic_event_fn *fn, void *ctx,
                               uint64_t arg) {
  ic_time_ns at_ns;
  if (__builtin_add_overflow(sim->clock.now_ns, delay_ns, &at_ns)) at_ns = delay_ns > 0 ? IC_TIME_NEVER : INT64_MIN;
  return ic_sim_schedule_at(sim, at_ns, fn, ctx, arg);
}

ic_event_id ic_sim_reschedule(ic_sim *sim, ic_event_id id, ic_time_ns at_ns) {
  if (past(sim, at_ns)) return refuse_past(sim, at_ns, "event moved");
  return ic_evq_reschedule(sim->queue, id, at_ns);
}

ic_event_id ic_sim_reschedule_arg(ic_sim *sim, ic_event_id id, ic_time_ns at_ns, uint64_t arg) {
  if (past(sim, at_ns)) return refuse_past(sim, at_ns, "event moved");
  return ic_evq_reschedule_arg(sim->queue, id, at_ns, arg);
}

void ic_sim_prefetch_event(const ic_sim *sim, ic_event_id id) { ic_evq_prefetch(sim->queue, id); }

ic_status ic_sim_status(const ic_sim *sim) { return sim->status; }

bool ic_sim_cancel(ic_sim *sim, ic_event_id id) { return ic_evq_cancel(sim->queue, id); }

/* Whether the stream event comes before the queue's first, whose time
 * (a bound or exact) is at_ns: the order the queue itself would give it. */
static bool stream_first(const ic_sim *sim, ic_time_ns at_ns) {
  if (!sim->stream.pending) return false;
  if (sim->stream.time_ns != at_ns) return sim->stream.time_ns < at_ns;
  return ic_evq_size(sim->queue) == 0 || sim->stream.seq < ic_evq_peek_seq(sim->queue);
}

/* The first event's time at_ns is a bound: its handler's refine hook
 * makes it exact or moves it to a later bound (rare: out of the loop). */
static __attribute__((noinline)) void refine_top(ic_sim *sim, ic_time_ns at_ns) {
  ic_event_fn *fn;
  void *ctx;
  uint64_t arg;
  ic_evq_peek(sim->queue, &fn, &ctx, &arg);
  int i = 0;
  while (i < sim->hooks && (sim->hook[i].fn != fn || !sim->hook[i].refine)) i++;
  assert(i < sim->hooks && "sim: an event scheduled with a bound has no refine hook");
  bool exact = i == sim->hooks || sim->hook[i].refine(ctx, arg, &at_ns);
  ic_evq_delay_top(sim->queue, at_ns, exact);
}

/* The earliest pending event's exact time, and in *stream whether it is
 * the stream event: while the first is an event whose time is a bound
 * (ic_sim_schedule_bound), refine_top makes it exact or moves it to a
 * later bound, where another event may come first. Inline, as the rest of
 * an event's step, in the run loop: one frame for the loop. */
static inline __attribute__((always_inline)) ic_time_ns settle_top(ic_sim *sim, bool *stream) {
  for (;;) {
    bool bound;
    ic_time_ns at_ns = ic_evq_peek_bound(sim->queue, &bound);
    if ((*stream = stream_first(sim, at_ns))) return sim->stream.time_ns;
    if (!bound) return at_ns;
    refine_top(sim, at_ns);
  }
}

/* The hint of the event to run after the current one, if its handler has
 * one (a handler has one entry in the table); first_ns: the queue's first
 * time. */
static inline __attribute__((always_inline)) void hint_next(const ic_sim *sim, ic_time_ns first_ns) {
  ic_event_fn *fn;
  void *ctx;
  uint64_t arg;
  if (stream_first(sim, first_ns)) {
    fn = sim->stream.fn;
    ctx = sim->stream.ctx;
    arg = sim->stream.arg;
  } else if (!ic_evq_peek(sim->queue, &fn, &ctx, &arg))
    return;
  for (int i = 0; i < sim->hooks; i++)
    if (sim->hook[i].fn == fn) {
      if (sim->hook[i].hint) sim->hook[i].hint(ctx, arg);
      return;
    }
}

/* ic_sim_step once the first event's time is exact; stream: settle_top's
 * answer, whether that event is the stream event (nothing has changed
 * since). */
static inline __attribute__((always_inline)) bool step_settled(ic_sim *sim, bool stream) {
  struct ic_event ev;
  if (sim->stop_requested) return false;
  if (stream) {
    /* next_ns unused: with no stream event pending, the queue's first is next (hint_next) */
    ev = (struct ic_event){sim->stream.time_ns, sim->stream.seq, 0, sim->stream.fn, sim->stream.ctx, sim->stream.arg, 0};
    sim->stream.pending = false;
  } else if (!ic_evq_pop(sim->queue, &ev))
    return false;
  assert(ev.time_ns >= sim->clock.now_ns && "sim: time went backwards");
  sim->clock.now_ns = ev.time_ns;
  sim->events_run++;
  if (sim->hooks) hint_next(sim, ev.next_ns);
  ev.fn(sim, ev.ctx, ev.arg);
  return true;
}

bool ic_sim_step(ic_sim *sim) {
  if (sim->stop_requested) return false;
  bool stream;
  settle_top(sim, &stream);
  return step_settled(sim, stream);
}

uint64_t ic_sim_run_until(ic_sim *sim, ic_time_ns end_ns) {
  uint64_t before = sim->events_run;
  sim->stop_requested = false;
  bool stream;
  while (!sim->stop_requested && settle_top(sim, &stream) <= end_ns)
    if (!step_settled(sim, stream)) break;
  if (!sim->stop_requested && end_ns > sim->clock.now_ns && end_ns != IC_TIME_NEVER) sim->clock.now_ns = end_ns;
  return sim->events_run - before;
}

/* fn's entry in the hook table, added when new; NULL when full. */
static int hook_of(ic_sim *sim, ic_event_fn *fn) {
  for (int i = 0; i < sim->hooks; i++)
    if (sim->hook[i].fn == fn) return i;
  if (sim->hooks == IC_SIM_HINTS) return -1;
  sim->hook[sim->hooks].fn = fn;
  return sim->hooks++;
}

bool ic_sim_set_hint(ic_sim *sim, ic_event_fn *fn, ic_hint_fn *hint) {
  int i = hook_of(sim, fn);
  if (i >= 0) sim->hook[i].hint = hint;
  return i >= 0;
}

bool ic_sim_set_refine(ic_sim *sim, ic_event_fn *fn, ic_refine_fn *refine) {
  int i = hook_of(sim, fn);
  if (i >= 0) sim->hook[i].refine = refine;
  return i >= 0;
}

void ic_sim_stop(ic_sim *sim) { sim->stop_requested = true; }
uint64_t ic_sim_events_run(const ic_sim *sim) { return sim->events_run; }
size_t ic_sim_pending(const ic_sim *sim) { return ic_evq_size(sim->queue) + sim->stream.pending; }
gsl_rng *ic_sim_rng(ic_sim *sim, const char *name) { return ic_rng_stream(sim->rngs, name); }

void ic_sim_free(ic_sim *sim) {
  if (!sim) return;
  ic_evq_free(sim->queue);
  ic_rng_set_free(sim->rngs);
  free(sim);
}
