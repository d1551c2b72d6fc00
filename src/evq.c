/* evq.c: binary min-heap of (time, slot) over a pool of event records.
 *
 * The heap is two arrays in step: the keys' times (8 bytes each), which
 * every level of a sift compares, and their slot indices (4 bytes, the
 * top bit the bound flag), which a sift only moves; the sequence number,
 * needed only to break ties, and the action (handler, context, argument)
 * stay in the pool slot. A pop leaves its hole at a leaf for the next push
 * to fill (fill_hole). (A 4-ary heap with a child group per cache line
 * and a radix heap measured slower here, and 16-byte keys or a node's two
 * children side by side ran more instructions: docs/performance.md.)
 * Each slot's heap position sits in an array of its own (4 bytes a slot,
 * which a sift writes at every step: with thousands of events pending, a
 * write into the 40-byte slots missed the cache at almost every step), so
 * cancel removes the key at once:
 * no tombstones are left to grow the heap and be popped later. Events
 * leave in (time, seq) order, a total order, so the order does not depend
 * on the heap's shape. */
#include "infercost/evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A heap entry's slot index, and in the top bit whether its time is a
 * lower bound (ic_evq_push_bound): so at most 2^31 events are pending. */
#define BOUND_BIT 0x80000000u
#define SLOT_MASK 0x7fffffffu

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
  ic_time_ns *time; /* the heap's times; time[0] is the root's */
  uint32_t *ref;    /* the heap's slot indices (| BOUND_BIT), in step with time */
  size_t heap_len, heap_cap;
  struct slot *slots;
  uint32_t *heap_pos; /* per slot, pending: index of its key in the heap */
  uint32_t slot_cap;
  uint32_t free_head; /* UINT32_MAX when the free list is empty */
  uint64_t next_seq;
  size_t hole; /* 0, or a leaf position that a pop emptied, counted in heap_len (fill_hole) */
};

static inline uint64_t seq_of(const ic_evq *q, uint32_t ref) { return q->slots[ref & SLOT_MASK].seq; }

/* (t, r) comes before heap entry j. */
static inline bool less_than(const ic_evq *q, ic_time_ns t, uint32_t r, size_t j) {
  if (t != q->time[j]) return t < q->time[j];
  return seq_of(q, r) < seq_of(q, q->ref[j]);
}

static inline void place(ic_evq *q, size_t i, ic_time_ns t, uint32_t r) {
  q->time[i] = t;
  q->ref[i] = r;
  q->heap_pos[r & SLOT_MASK] = (uint32_t)i;
}

static void sift_up(ic_evq *q, size_t i) {
  ic_time_ns t = q->time[i];
  uint32_t r = q->ref[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!less_than(q, t, r, parent)) break;
    place(q, i, q->time[parent], q->ref[parent]);
    i = parent;
  }
  place(q, i, t, r);
}

/* The smaller of the children c and c + 1, both present, without a
 * branch (which one it is is a coin toss); the seqs only on a tie of
 * times, which is rare. */
static inline size_t smaller_child(const ic_evq *q, size_t c) {
  ic_time_ns t0 = q->time[c], t1 = q->time[c + 1];
  if (__builtin_expect(t1 == t0, 0)) return c + (seq_of(q, q->ref[c + 1]) < seq_of(q, q->ref[c]));
  return c + (t1 < t0); /* a flag added */
}

static void sift_down(ic_evq *q, size_t i) {
  size_t len = q->heap_len, c;
  ic_time_ns t = q->time[i];
  uint32_t r = q->ref[i];
  while ((c = 2 * i + 1) < len) {
    if (c + 1 < len) c = smaller_child(q, c);
    if (t < q->time[c] || (t == q->time[c] && seq_of(q, r) < seq_of(q, q->ref[c]))) break;
    place(q, i, q->time[c], q->ref[c]);
    i = c;
  }
  place(q, i, t, r);
}

/* A pop's hole, moved from the root to a leaf: each level's smaller child
 * moves up, one comparison a level and none with a key from the bottom
 * (Floyd's bottom-up deletion). Needs heap_len >= 2; returns the leaf. */
static size_t descend(ic_evq *q) {
  size_t len = q->heap_len, i = 0, c;
  while ((c = 2 * i + 1) + 1 < len) {
    c = smaller_child(q, c);
    place(q, i, q->time[c], q->ref[c]);
    i = c;
  }
  if (c < len) { /* a last, lone child */
    place(q, i, q->time[c], q->ref[c]);
    i = c;
  }
  return i;
}

/* Almost every pop is followed by the handler's push of its next event
 * (a span end schedules the replica's next span end), so a pop leaves its
 * hole at a leaf and that push fills it and sifts up from there: neither
 * the last key's nor the new key's full sift. Any other operation first
 * fills the hole with the last key. */
static void fill_hole(ic_evq *q) {
  size_t i = q->hole, last = --q->heap_len;
  q->hole = 0;
  if (i == last) return;
  place(q, i, q->time[last], q->ref[last]);
  sift_up(q, i);
}

static bool grow_slots(ic_evq *q) {
  uint32_t old = q->slot_cap;
  uint32_t cap = old ? 2 * old : 64;
  if (cap <= old || cap - 1 > SLOT_MASK) return false;
  struct slot *s = realloc(q->slots, (size_t)cap * sizeof *s);
  if (!s) return false;
  q->slots = s;
  uint32_t *pos = realloc(q->heap_pos, (size_t)cap * sizeof *pos);
  if (!pos) return false;
  q->heap_pos = pos;
  for (uint32_t i = old; i < cap; i++)
    s[i] = (struct slot){.generation = 1, .state = SLOT_FREE, .next_free = i + 1 < cap ? i + 1 : q->free_head};
  q->free_head = old;
  q->slot_cap = cap;
  return true;
}

/* Each array sits one entry into a 64-byte-aligned block, so that the two
 * children of a key (2i+1, 2i+2), which a sift-down compares, always share
 * a cache line. Prefetching the grandchildren's line a level ahead
 * measured no faster. */
#define HEAP_SKEW 1
static void *aligned_block(size_t size, size_t cap) {
  char *block = aligned_alloc(64, ((cap + HEAP_SKEW) * size + 63) / 64 * 64);
  return block ? block + HEAP_SKEW * size : NULL;
}

static bool grow_heap(ic_evq *q, size_t cap) {
  ic_time_ns *time = aligned_block(sizeof *time, cap);
  uint32_t *ref = aligned_block(sizeof *ref, cap);
  if (!time || !ref) {
    if (time) free(time - HEAP_SKEW);
    if (ref) free(ref - HEAP_SKEW);
    return false;
  }
  if (q->time) {
    memcpy(time, q->time, q->heap_len * sizeof *time);
    memcpy(ref, q->ref, q->heap_len * sizeof *ref);
    free(q->time - HEAP_SKEW);
    free(q->ref - HEAP_SKEW);
  }
  q->time = time;
  q->ref = ref;
  q->heap_cap = cap;
  return true;
}

ic_evq *ic_evq_alloc(size_t capacity) {
  ic_evq *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->free_head = UINT32_MAX;
  if (!grow_heap(q, capacity ? capacity : 64)) goto fail;
  while (q->slot_cap < capacity || q->slot_cap == 0)
    if (!grow_slots(q)) goto fail;
  return q;
fail:
  ic_evq_free(q);
  return NULL;
}

static void release_slot(ic_evq *q, uint32_t idx) {
  struct slot *s = &q->slots[idx];
  s->state = SLOT_FREE;
  s->generation++;
  if (s->generation == 0) s->generation = 1;
  s->next_free = q->free_head;
  q->free_head = idx;
}

static ic_event_id push(ic_evq *q, ic_time_ns time_ns, bool bound, ic_event_fn *fn, void *ctx, uint64_t arg) {
  if (q->free_head == UINT32_MAX && !grow_slots(q)) return 0;
  if (!q->hole && q->heap_len == q->heap_cap && !grow_heap(q, 2 * q->heap_cap)) return 0;
  uint32_t idx = q->free_head;
  struct slot *s = &q->slots[idx];
  q->free_head = s->next_free;
  s->fn = fn;
  s->ctx = ctx;
  s->arg = arg;
  s->seq = q->next_seq++;
  s->state = SLOT_PENDING;
  size_t i = q->hole ? q->hole : q->heap_len++;
  q->hole = 0;
  q->time[i] = time_ns;
  q->ref[i] = idx | (bound ? BOUND_BIT : 0);
  sift_up(q, i);
  return ((uint64_t)s->generation << 32) | idx;
}

ic_event_id ic_evq_push(ic_evq *q, ic_time_ns time_ns, ic_event_fn *fn, void *ctx, uint64_t arg) {
  return push(q, time_ns, false, fn, ctx, arg);
}

ic_event_id ic_evq_push_bound(ic_evq *q, ic_time_ns time_ns, ic_event_fn *fn, void *ctx, uint64_t arg) {
  return push(q, time_ns, true, fn, ctx, arg);
}

/* Takes the key at heap position i out, keeping the heap order. */
static void remove_at(ic_evq *q, size_t i) {
  size_t last = --q->heap_len;
  if (i == last) return;
  ic_time_ns t = q->time[last];
  uint32_t r = q->ref[last];
  bool up = i > 0 && less_than(q, t, r, (i - 1) / 2);
  place(q, i, t, r);
  if (up)
    sift_up(q, i);
  else
    sift_down(q, i);
}

bool ic_evq_cancel(ic_evq *q, ic_event_id id) {
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  uint32_t gen = (uint32_t)(id >> 32);
  if (id == 0 || idx >= q->slot_cap) return false;
  struct slot *s = &q->slots[idx];
  if (s->generation != gen || s->state != SLOT_PENDING) return false;
  if (q->hole) fill_hole(q);
  remove_at(q, q->heap_pos[idx]);
  release_slot(q, idx);
  return true;
}

ic_event_id ic_evq_reschedule(ic_evq *q, ic_event_id id, ic_time_ns time_ns) {
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  if (id == 0 || idx >= q->slot_cap) return 0;
  struct slot *s = &q->slots[idx];
  if (s->generation != (uint32_t)(id >> 32) || s->state != SLOT_PENDING) return 0;
  if (q->hole) fill_hole(q);
  size_t i = q->heap_pos[idx];
  bool earlier = time_ns < q->time[i]; /* else later: the new seq is larger */
  s->seq = q->next_seq++;
  q->time[i] = time_ns;
  q->ref[i] = idx;
  if (earlier)
    sift_up(q, i);
  else
    sift_down(q, i);
  return id;
}

ic_time_ns ic_evq_peek_bound(const ic_evq *q, bool *bound) {
  *bound = q->heap_len && (q->ref[0] & BOUND_BIT);
  return q->heap_len ? q->time[0] : IC_TIME_NEVER;
}

void ic_evq_delay_top(ic_evq *q, ic_time_ns time_ns, bool exact) {
  if (!q->heap_len) return;
  if (q->hole) fill_hole(q);
  assert(time_ns >= q->time[0] && "event queue: delay_top moved an event earlier");
  q->ref[0] = (q->ref[0] & SLOT_MASK) | (exact ? 0 : BOUND_BIT);
  if (time_ns == q->time[0]) return;
  q->time[0] = time_ns;
  sift_down(q, 0);
}

bool ic_evq_pop(ic_evq *q, struct ic_event *out) {
  if (q->hole) fill_hole(q);
  if (!q->heap_len) return false;
  uint32_t idx = q->ref[0] & SLOT_MASK;
  struct slot *s = &q->slots[idx];
  assert(s->state == SLOT_PENDING && "event queue: popped a non-pending slot");
  *out = (struct ic_event){q->time[0], s->seq, ((uint64_t)s->generation << 32) | idx, s->fn, s->ctx, s->arg};
  if (q->heap_len == 1)
    q->heap_len = 0;
  else
    q->hole = descend(q);
  release_slot(q, idx);
  /* The event after the next one is the new root's child, or one pushed
   * meanwhile: its action starts on its way to the cache now. */
  for (size_t c = 1; c <= 2 && c < q->heap_len; c++)
    if (c != q->hole) __builtin_prefetch(&q->slots[q->ref[c] & SLOT_MASK]);
  return true;
}

ic_time_ns ic_evq_peek_time(ic_evq *q) { return q->heap_len ? q->time[0] : IC_TIME_NEVER; }

bool ic_evq_peek(const ic_evq *q, ic_event_fn **fn, void **ctx, uint64_t *arg) {
  if (!q->heap_len) return false;
  const struct slot *s = &q->slots[q->ref[0] & SLOT_MASK];
  *fn = s->fn;
  *ctx = s->ctx;
  *arg = s->arg;
  return true;
}

uint64_t ic_evq_take_seq(ic_evq *q) { return q->next_seq++; }

uint64_t ic_evq_peek_seq(const ic_evq *q) { return q->heap_len ? seq_of(q, q->ref[0]) : 0; }

size_t ic_evq_size(const ic_evq *q) { return q->heap_len - (q->hole != 0); }

void ic_evq_free(ic_evq *q) {
  if (!q) return;
  if (q->time) free(q->time - HEAP_SKEW);
  if (q->ref) free(q->ref - HEAP_SKEW);
  free(q->slots);
  free(q->heap_pos);
  free(q);
}
