/* evq.c: a tournament tree of (time, slot) over a pool of event records.
 *
 * The pool's slots are the leaves of a complete binary tree (slot s is
 * node L + s, L the pool's size, a power of two); every inner node holds
 * the earliest key of its subtree, so the root (node 1) is the next event,
 * and a free slot's leaf holds +infinity (IC_TIME_NEVER, with the
 * sequence number UINT64_MAX, after any pending event). The tree is two
 * arrays in step: the nodes' times (8 bytes), which every level compares,
 * and their slot indices (4 bytes, the top bit the bound flag); the
 * sequence number, read only on a tie of times, and the action (handler,
 * context, argument) stay in the pool slot.
 *
 * Any change of one slot's key is a replay (replay): from its leaf to the
 * root, each node becomes the earlier of the node below on the path and
 * that node's sibling. Unlike a heap's sift, whose every level's address
 * depends on the comparison before it, the path's nodes and siblings are
 * known before any comparison, so their loads issue together and the
 * comparisons run on registers. A pop takes the root and replays its leaf
 * with +infinity (all its path held it); a push (a free leaf gets a key)
 * or a move earlier only climbs while the new key beats the node above
 * (climb), since a node's key never gets later there. The slot of a
 * popped event heads the free list (LIFO), so the handler's push of its
 * next event, which follows almost every pop, climbs the path the pop has
 * just written. Events leave in (time, seq) order, a total order, so the
 * order does not depend on the tree's shape (docs/performance.md). */
#include "infercost/evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A node's slot index, and in the top bit whether its time is a lower
 * bound (ic_evq_push_bound): so at most 2^31 events are pending. */
#define BOUND_BIT 0x80000000u
#define SLOT_MASK 0x7fffffffu
/* A free slot's sequence number: its +infinity leaf comes after an event
 * pending at IC_TIME_NEVER. */
#define SEQ_FREE UINT64_MAX

enum slot_state { SLOT_FREE, SLOT_PENDING };

struct slot {
  ic_event_fn *fn;
  void *ctx;
  uint64_t arg;
  uint64_t seq;
  uint32_t generation; /* bumped each time the slot is reused: stale ids fail */
  uint32_t state;
  uint32_t next_free;
};

struct ic_evq {
  ic_time_ns *time; /* the tree's times, nodes 1 .. 2 * slot_cap - 1; time[1] is the root's */
  uint32_t *ref;    /* the tree's slot indices (| BOUND_BIT), in step with time */
  struct slot *slots;
  uint32_t slot_cap; /* L: a power of two; slot s is leaf L + s */
  uint32_t free_head; /* UINT32_MAX when the free list is empty */
  size_t live;        /* pending events */
  uint64_t next_seq;
};

static inline uint64_t seq_of(const ic_evq *q, uint32_t ref) { return q->slots[ref & SLOT_MASK].seq; }

/* Key (t2, r2) comes before key (t1, r1): a flag, the seqs read only on a
 * tie of times (rare). */
static inline bool before(const ic_evq *q, ic_time_ns t2, uint32_t r2, ic_time_ns t1, uint32_t r1) {
  if (__builtin_expect(t2 == t1, 0)) return seq_of(q, r2) < seq_of(q, r1);
  return t2 < t1;
}

/* Leaf i gets key (t, r) and every node on its path is recomputed from its
 * sibling: right whatever the change. Branch-free but for ties. */
static void replay(ic_evq *q, size_t i, ic_time_ns t, uint32_t r) {
  ic_time_ns *time = q->time;
  uint32_t *ref = q->ref;
  time[i] = t;
  ref[i] = r;
  for (; i > 1; i >>= 1) {
    ic_time_ns st = time[i ^ 1];
    uint32_t sr = ref[i ^ 1];
    bool sib = before(q, st, sr, t, r);
    t = sib ? st : t;
    r = sib ? sr : r;
    time[i >> 1] = t;
    ref[i >> 1] = r;
  }
}

/* Leaf i's key becomes (t, r), earlier than before (a free leaf's
 * +infinity, or a move earlier): a node on its path becomes the earlier of
 * its key and (t, r), and once a node's key is the earlier, so is every
 * key above it. Every node that held the leaf's old key is rewritten. */
static void climb(ic_evq *q, size_t i, ic_time_ns t, uint32_t r) {
  ic_time_ns *time = q->time;
  uint32_t *ref = q->ref;
  do {
    time[i] = t;
    ref[i] = r;
    i >>= 1;
  } while (i && before(q, t, r, time[i], ref[i]));
}

/* The tree for slot_cap leaves in fresh arrays from the slots' keys in the
 * old tree (old_cap leaves, or none), the new leaves free. */
static bool build_tree(ic_evq *q, uint32_t old_cap, uint32_t cap) {
  ic_time_ns *time = aligned_alloc(64, ((2 * (size_t)cap * sizeof *time) + 63) / 64 * 64);
  uint32_t *ref = aligned_alloc(64, ((2 * (size_t)cap * sizeof *ref) + 63) / 64 * 64);
  if (!time || !ref) {
    free(time);
    free(ref);
    return false;
  }
  for (uint32_t s = 0; s < cap; s++) {
    time[cap + s] = s < old_cap ? q->time[old_cap + s] : IC_TIME_NEVER;
    ref[cap + s] = s < old_cap ? q->ref[old_cap + s] : s;
  }
  free(q->time);
  free(q->ref);
  q->time = time;
  q->ref = ref;
  for (size_t i = cap - 1; i >= 1; i--) {
    bool right = before(q, time[2 * i + 1], ref[2 * i + 1], time[2 * i], ref[2 * i]);
    time[i] = time[2 * i + right];
    ref[i] = ref[2 * i + right];
  }
  time[0] = IC_TIME_NEVER; /* unused */
  ref[0] = 0;
  return true;
}

static bool grow_slots(ic_evq *q) {
  uint32_t old = q->slot_cap;
  uint32_t cap = old ? 2 * old : 64;
  if (cap <= old || cap - 1 > SLOT_MASK) return false;
  struct slot *s = realloc(q->slots, (size_t)cap * sizeof *s);
  if (!s) return false;
  q->slots = s;
  for (uint32_t i = old; i < cap; i++)
    s[i] = (struct slot){.seq = SEQ_FREE, .generation = 1, .state = SLOT_FREE, .next_free = i + 1 < cap ? i + 1 : q->free_head};
  if (!build_tree(q, old, cap)) return false; /* the new slots stay unused: slot_cap is old's */
  q->free_head = old;
  q->slot_cap = cap;
  return true;
}

ic_evq *ic_evq_alloc(size_t capacity) {
  ic_evq *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->free_head = UINT32_MAX;
  while (q->slot_cap < capacity || q->slot_cap == 0)
    if (!grow_slots(q)) goto fail;
  return q;
fail:
  ic_evq_free(q);
  return NULL;
}

/* Frees slot idx; its leaf is made +infinity by the caller. */
static void release_slot(ic_evq *q, uint32_t idx) {
  struct slot *s = &q->slots[idx];
  s->state = SLOT_FREE;
  s->seq = SEQ_FREE;
  s->generation++;
  if (s->generation == 0) s->generation = 1;
  s->next_free = q->free_head;
  q->free_head = idx;
  q->live--;
}

static ic_event_id push(ic_evq *q, ic_time_ns time_ns, bool bound, ic_event_fn *fn, void *ctx, uint64_t arg) {
  if (q->free_head == UINT32_MAX && !grow_slots(q)) return 0;
  uint32_t idx = q->free_head;
  struct slot *s = &q->slots[idx];
  q->free_head = s->next_free;
  s->fn = fn;
  s->ctx = ctx;
  s->arg = arg;
  s->seq = q->next_seq++;
  s->state = SLOT_PENDING;
  q->live++;
  climb(q, (size_t)q->slot_cap + idx, time_ns, idx | (bound ? BOUND_BIT : 0));
  return ((uint64_t)s->generation << 32) | idx;
}

ic_event_id ic_evq_push(ic_evq *q, ic_time_ns time_ns, ic_event_fn *fn, void *ctx, uint64_t arg) {
  return push(q, time_ns, false, fn, ctx, arg);
}

ic_event_id ic_evq_push_bound(ic_evq *q, ic_time_ns time_ns, ic_event_fn *fn, void *ctx, uint64_t arg) {
  return push(q, time_ns, true, fn, ctx, arg);
}

/* The pending slot of id, or NULL. */
static struct slot *pending_slot(ic_evq *q, ic_event_id id) {
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  if (id == 0 || idx >= q->slot_cap) return NULL;
  struct slot *s = &q->slots[idx];
  if (s->generation != (uint32_t)(id >> 32) || s->state != SLOT_PENDING) return NULL;
  return s;
}

bool ic_evq_cancel(ic_evq *q, ic_event_id id) {
  if (!pending_slot(q, id)) return false;
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  release_slot(q, idx);
  replay(q, (size_t)q->slot_cap + idx, IC_TIME_NEVER, idx);
  return true;
}

ic_event_id ic_evq_reschedule(ic_evq *q, ic_event_id id, ic_time_ns time_ns) {
  struct slot *s = pending_slot(q, id);
  if (!s) return 0;
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  size_t leaf = (size_t)q->slot_cap + idx;
  bool earlier = time_ns < q->time[leaf]; /* else later: the new seq is larger */
  s->seq = q->next_seq++;
  if (earlier)
    climb(q, leaf, time_ns, idx);
  else
    replay(q, leaf, time_ns, idx);
  return id;
}

ic_time_ns ic_evq_peek_bound(const ic_evq *q, bool *bound) {
  *bound = q->live && (q->ref[1] & BOUND_BIT);
  return q->live ? q->time[1] : IC_TIME_NEVER;
}

void ic_evq_delay_top(ic_evq *q, ic_time_ns time_ns, bool exact) {
  if (!q->live) return;
  assert(time_ns >= q->time[1] && "event queue: delay_top moved an event earlier");
  uint32_t idx = q->ref[1] & SLOT_MASK;
  replay(q, (size_t)q->slot_cap + idx, time_ns, idx | (exact ? 0 : BOUND_BIT));
}

/* The event after the next one is the earliest of the siblings on the
 * next one's path, most likely one near the root: the records of the
 * siblings on its top three levels start on their way to the cache now,
 * an event ahead of the run loop's peek at them. */
static inline void prefetch_after_next(const ic_evq *q) {
  size_t leaf = (size_t)q->slot_cap + (q->ref[1] & SLOT_MASK);
  int h = __builtin_ctzll((unsigned long long)q->slot_cap); /* the leaves' depth */
  for (int d = 1; d <= 3 && d <= h; d++) __builtin_prefetch(&q->slots[q->ref[(leaf >> (h - d)) ^ 1] & SLOT_MASK]);
}

bool ic_evq_pop(ic_evq *q, struct ic_event *out) {
  if (!q->live) return false;
  uint32_t idx = q->ref[1] & SLOT_MASK;
  struct slot *s = &q->slots[idx];
  assert(s->state == SLOT_PENDING && "event queue: popped a non-pending slot");
  *out = (struct ic_event){q->time[1], s->seq, ((uint64_t)s->generation << 32) | idx, s->fn, s->ctx, s->arg};
  release_slot(q, idx);
  replay(q, (size_t)q->slot_cap + idx, IC_TIME_NEVER, idx);
  prefetch_after_next(q);
  return true;
}

ic_time_ns ic_evq_peek_time(ic_evq *q) { return q->live ? q->time[1] : IC_TIME_NEVER; }

bool ic_evq_peek(const ic_evq *q, ic_event_fn **fn, void **ctx, uint64_t *arg) {
  if (!q->live) return false;
  const struct slot *s = &q->slots[q->ref[1] & SLOT_MASK];
  *fn = s->fn;
  *ctx = s->ctx;
  *arg = s->arg;
  return true;
}

uint64_t ic_evq_take_seq(ic_evq *q) { return q->next_seq++; }

uint64_t ic_evq_peek_seq(const ic_evq *q) { return q->live ? seq_of(q, q->ref[1]) : 0; }

size_t ic_evq_size(const ic_evq *q) { return q->live; }

void ic_evq_free(ic_evq *q) {
  if (!q) return;
  free(q->time);
  free(q->ref);
  free(q->slots);
  free(q);
}
