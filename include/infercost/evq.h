/* evq.h: the future event list.
 *
 * A tournament tree over a pool of event records, keyed by (time,
 * sequence): the sequence number grows on every schedule, so events at
 * equal times leave in the order they were scheduled, identically on every
 * platform. Records come from a pool with a free list; cancel takes the
 * event out of the tree at once. At most 2^31 events are pending at once.
 * The queue keeps each context it is given once, for its life (a record
 * names its context by index): contexts are meant to be a model's, a
 * handful, not one an event. */
#ifndef IC_EVQ_H
#define IC_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infercost/simtime.h"

struct ic_sim;

/* An event's handler: runs at the event's time with the simulation's clock
 * already advanced to it. */
typedef void ic_event_fn(struct ic_sim *sim, void *ctx, uint64_t arg);

/* Identifies a scheduled event for cancel; 0 is never a valid id. */
typedef uint64_t ic_event_id;

typedef struct ic_evq ic_evq;

/* What pop hands back. */
struct ic_event {
  ic_time_ns time_ns;
  uint64_t seq;
  ic_event_id id;
  ic_event_fn *fn;
  void *ctx;
  uint64_t arg;
  ic_time_ns next_ns; /* the earliest event left's time (ic_evq_peek_time after the pop) */
};

/* An empty queue with room for `capacity` events before it grows; NULL when
 * out of memory. */
ic_evq *ic_evq_alloc(size_t capacity);

/* Adds an event; returns its id, or 0 when out of memory (or 2^31 events
 * are pending). A push right after a pop reuses the popped event's record
 * and its tree path (the handler of a popped event most often schedules
 * its next one). */
ic_event_id ic_evq_push(ic_evq *q, ic_time_ns time_ns, ic_event_fn *fn, void *ctx,
                        uint64_t arg);

/* Cancels a pending event. False when the id is unknown, already ran or was
 * already cancelled. */
bool ic_evq_cancel(ic_evq *q, ic_event_id id);

/* Moves a pending event to time_ns, exactly as cancelling it and pushing
 * the same action would (it takes the next sequence number; the new time is
 * exact), but in one pass up the tree. Returns its id, which stays the same, or 0 when the id is not
 * pending. */
ic_event_id ic_evq_reschedule(ic_evq *q, ic_event_id id, ic_time_ns time_ns);
/* As ic_evq_reschedule, the event's argument replaced by arg in the same
 * pass: what a cancel and a push of the same handler and context with arg
 * would do (the same order), at a move's cost. */
ic_event_id ic_evq_reschedule_arg(ic_evq *q, ic_event_id id, ic_time_ns time_ns, uint64_t arg);
/* Prefetches what moving or cancelling event id reads first (its record,
 * its leaf's time and the leaf's parent in the tree), so that a caller can
 * start those loads well before the move; changes nothing (any id). */
void ic_evq_prefetch(const ic_evq *q, ic_event_id id);

/* Adds an event whose time is a lower bound of when it is due, to be
 * refined (ic_evq_delay_top) before it leaves; as ic_evq_push otherwise. */
ic_event_id ic_evq_push_bound(ic_evq *q, ic_time_ns time_ns, ic_event_fn *fn, void *ctx,
                              uint64_t arg);

/* ic_evq_peek_time, and in *bound whether that time is a bound
 * (ic_evq_push_bound, not made exact since). */
ic_time_ns ic_evq_peek_bound(const ic_evq *q, bool *bound);

/* Moves the earliest pending event to time_ns, not earlier than its time,
 * keeping its sequence number, and marks that time exact or still a bound:
 * an event pushed with a bound thus leaves in the order its exact time and
 * its first scheduling give. Nothing when the queue is empty. */
void ic_evq_delay_top(ic_evq *q, ic_time_ns time_ns, bool exact);

/* Removes the earliest live event into *out; false when none is pending. */
bool ic_evq_pop(ic_evq *q, struct ic_event *out);

/* Time of the earliest live event, or IC_TIME_NEVER when none. */
ic_time_ns ic_evq_peek_time(ic_evq *q);

/* The earliest pending event's handler, context and argument, without
 * taking it out; false when none. */
bool ic_evq_peek(const ic_evq *q, ic_event_fn **fn, void **ctx, uint64_t *arg);

/* The next sequence number, taken as a push would take it but without
 * adding an event: for an event kept outside the queue (ic_sim's stream
 * event) that must order against the queue's events as if pushed now. */
uint64_t ic_evq_take_seq(ic_evq *q);
/* The earliest pending event's sequence number (ties of time); 0 when none. */
uint64_t ic_evq_peek_seq(const ic_evq *q);
/* Number of live (not cancelled) pending events. */
size_t ic_evq_size(const ic_evq *q);

/* Frees the queue; NULL does nothing. */
void ic_evq_free(ic_evq *q);

#endif
