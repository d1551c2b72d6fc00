/* sim.h: the simulation kernel: clock, future event list, random streams.
 *
 * Models (traffic, serving, power, cost) talk to each other only through
 * events scheduled here and through their own public interfaces; the kernel
 * knows nothing about them. */
#ifndef IC_SIM_H
#define IC_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "infercost/evq.h"
#include "infercost/simtime.h"
#include "infercost/status.h"

typedef struct ic_sim ic_sim;

/* A simulation at time 0 whose random streams derive from (seed, run);
 * NULL when out of memory. */
ic_sim *ic_sim_alloc(uint64_t seed, uint64_t run);

/* Schedules fn(sim, ctx, arg) at absolute time `at_ns`, which must not be in
 * the past. Returns the event id, or 0 when out of memory. */
ic_event_id ic_sim_schedule_at(ic_sim *sim, ic_time_ns at_ns, ic_event_fn *fn, void *ctx,
                               uint64_t arg);

/* As ic_sim_schedule_at, at_ns being a lower bound of the time the event
 * is due, which fn's refine hook (ic_sim_set_refine) makes exact. */
ic_event_id ic_sim_schedule_bound(ic_sim *sim, ic_time_ns at_ns, ic_event_fn *fn, void *ctx,
                                  uint64_t arg);
/* Same, `delay_ns` (>= 0) after now. */
ic_event_id ic_sim_schedule_in(ic_sim *sim, ic_time_ns delay_ns, ic_event_fn *fn, void *ctx,
                               uint64_t arg);

/* Schedules the next event of the simulation's one stream (an open
 * load's arrivals: each schedules the next): as ic_sim_schedule_at, and it
 * runs in the same (time, sequence) order, but it is held beside the
 * queue instead of in it, which saves an arrival two passes through a
 * tree of thousands of events. It cannot be cancelled or moved. False when
 * a stream event is already pending (at most one at a time) or at_ns is
 * in the past. */
bool ic_sim_schedule_stream(ic_sim *sim, ic_time_ns at_ns, ic_event_fn *fn, void *ctx, uint64_t arg);

/* IC_OK, or IC_EINTERNAL once an event was scheduled or moved into the
 * past (asserted in debug builds; reported and the run stopped in release
 * builds, where such a call returns 0). */
ic_status ic_sim_status(const ic_sim *sim);

/* Moves a pending event to `at_ns` (not in the past), as cancelling it and
 * scheduling its action again would; returns its id (unchanged), or 0 when
 * it already ran or is unknown. */
ic_event_id ic_sim_reschedule(ic_sim *sim, ic_event_id id, ic_time_ns at_ns);
/* The same, its argument replaced by arg: as cancelling it and scheduling
 * its handler and context again with arg would. */
ic_event_id ic_sim_reschedule_arg(ic_sim *sim, ic_event_id id, ic_time_ns at_ns, uint64_t arg);
/* Starts the loads a later move or cancel of event id makes (ic_evq_prefetch); changes nothing. */
void ic_sim_prefetch_event(const ic_sim *sim, ic_event_id id);

/* Cancels a pending event; false when it already ran or is unknown. */
bool ic_sim_cancel(ic_sim *sim, ic_event_id id);

/* Runs the earliest pending event; false when none is pending or the run was
 * stopped. */
bool ic_sim_step(ic_sim *sim);

/* A hint for events of `fn`: when the next event to run is one of fn's,
 * hint(ctx, arg) is called with its context and argument just before the
 * current event runs, so that it can prefetch the memory that event will
 * touch while this one runs (a large fleet's replicas do not fit in the
 * cache). A hint must change nothing. At most IC_SIM_HINTS handlers have
 * one; false when full. */
typedef void ic_hint_fn(const void *ctx, uint64_t arg);
enum { IC_SIM_HINTS = 4 };
bool ic_sim_set_hint(ic_sim *sim, ic_event_fn *fn, ic_hint_fn *hint);

/* A refine hook for events of `fn` scheduled with ic_sim_schedule_bound,
 * whose time is a lower bound of the time they are due (a decode span's
 * end, whose steps are summed only as far as needed: most spans are cut by
 * an arrival long before their planned end). Before such an event would be
 * the next to run (or be compared with a run's end), refine(ctx, arg,
 * &at_ns) is called with at_ns its time in the queue; it sets at_ns to the
 * exact time or a later bound (never earlier) and returns true when at_ns
 * is exact. The event keeps its sequence number, so events run in the order
 * their exact times would have given, and a refinement is not an event
 * (events_run). ic_sim_reschedule makes an event's time exact. At most
 * IC_SIM_HINTS handlers have a hint or a refine hook; false when full. */
typedef bool ic_refine_fn(void *ctx, uint64_t arg, ic_time_ns *at_ns);
bool ic_sim_set_refine(ic_sim *sim, ic_event_fn *fn, ic_refine_fn *refine);
/* Runs every event whose time is <= end_ns, then sets the clock to end_ns.
 * Returns the number of events run. */
uint64_t ic_sim_run_until(ic_sim *sim, ic_time_ns end_ns);

/* Asks the running loop to return after the current event. */
void ic_sim_stop(ic_sim *sim);

/* The clock: the first member of every ic_sim, so that reading it is one
 * load in the caller (ic_sim_now is called several times an event). Only
 * sim.c writes it. */
struct ic_sim_clock {
  ic_time_ns now_ns;
};

/* Current simulated time. */
static inline ic_time_ns ic_sim_now(const ic_sim *sim) {
  return ((const struct ic_sim_clock *)(const void *)sim)->now_ns;
}

/* Events run so far, and events pending now. */
uint64_t ic_sim_events_run(const ic_sim *sim);
size_t ic_sim_pending(const ic_sim *sim);

/* The random stream `name` of this run (see rng.h); owned by the simulation.
 * NULL only when out of memory. */
gsl_rng *ic_sim_rng(ic_sim *sim, const char *name);

/* Frees the simulation; NULL does nothing. */
void ic_sim_free(ic_sim *sim);

#endif
