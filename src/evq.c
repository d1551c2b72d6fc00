/* evq.c: a tournament tree over a pool of event records.
 *
 * The pool's slots are the leaves of a complete binary tree (slot s is
 * node L + s, L the pool's size, a power of two); every inner node holds
 * the slot of its subtree's earliest key, (time, seq), so the root (node
 * 1) is the next event. A key stays in its slot: the times in an array of
 * their own (8 bytes a slot, +infinity = IC_TIME_NEVER when free), the
 * sequence number, read only on a tie of times, in the pool record with
 * the action and the bound flag (a free slot's seq is UINT64_MAX, so its
 * leaf comes after an event pending at IC_TIME_NEVER). An inner node is
 * 4 bytes: tree and times together take 12 bytes a slot, about what the
 * binary heap this replaced took (docs/performance.md).
 *
 * Any change of one slot's key is a replay (replay): from its leaf to the
 * root, each node becomes the earlier of the node below on the path and
 * that node's sibling. Unlike a heap's sift, whose every level's address
 * depends on the comparison before it, the path's siblings are known
 * before any comparison, so their loads issue together and the
 * comparisons run on registers. A pop takes the root and replays its leaf
 * with +infinity; a push (a free leaf gets a key) or a move earlier only
 * climbs while the new key beats the node above (climb), since a node's
 * key never gets later there. The slot of a popped event heads the free
 * list (LIFO), so the handler's push of its next event, which follows
 * almost every pop, climbs the path the pop has just replayed. Events
 * leave in (time, seq) order, a total order, so the order does not depend
 * on the tree's shape. */
#include "infercost/evq.h"

#include <assert.h>
#include <stdlib.h>

/* The largest slot index: at most 2^31 events are pending. */
#define SLOT_MASK 0x7fffffffu
/* A slot's seq field: the sequence number in bits 0-62, bit 63 set where
 * the event's time is a bound (ic_evq_push_bound); all ones where the slot
 * is free, so that its +infinity leaf comes after an event pending at
 * IC_TIME_NEVER (sequence numbers never reach 2^63 - 1). */
#define SEQ_FREE UINT64_MAX
#define SEQ_BOUND (UINT64_C(1) << 63)
#define SEQ_MASK (SEQ_BOUND - 1)

/* A pending event's record, 32 bytes on a 32-byte boundary: what the run
 * loop reads of the next event (peek_bound's flag, peek's action, the
 * pop) and what a move reads (the generation) lie on one cache line. The
 * context is an index into the queue's table of contexts (a handful: one
 * a model). A free slot's arg is the next free slot. */
struct slot {
  ic_event_fn *fn;
  uint64_t arg;
  uint64_t seq;        /* SEQ_FREE, or the sequence number and SEQ_BOUND */
  uint32_t ctx;        /* index in ctxs */
  uint32_t generation; /* bumped at each push into the slot, so that stale ids fail */
};
_Static_assert(sizeof(struct slot) == 32, "an event record is half a cache line");

struct ic_evq {
  ic_time_ns *time; /* per slot (leaf): its key's time; +infinity when free */
  uint32_t *win;    /* inner nodes 1 .. slot_cap - 1: the slot of the subtree's earliest key */
  struct slot *slots;
  void **ctxs;       /* the contexts events were pushed with, each once; ctxs[0] NULL */
  uint32_t ctx_count, ctx_cap, ctx_last; /* ctx_last: the last push's index */
  uint32_t slot_cap; /* L: a power of two; slot s is leaf L + s */
  uint32_t free_head; /* UINT32_MAX when the free list is empty */
  size_t live;        /* pending events */
  uint64_t next_seq;
};

/* Key of slot a comes before key of slot b (times ta, tb): a flag, the
 * seqs read only on a tie of times (rare). */
static inline bool before(const ic_evq *q, ic_time_ns ta, uint32_t a, ic_time_ns tb, uint32_t b) {
  if (__builtin_expect(ta == tb, 0)) return (q->slots[a].seq & SEQ_MASK) < (q->slots[b].seq & SEQ_MASK);
  return ta < tb;
}

/* A replay from a path node (index i; r and t its winner's slot and time,
 * sr its sibling's winner) to the root: every inner node above is
 * recomputed from its sibling, right whatever the change. Branch-free but
 * for ties. Returns the root's time, the earliest. One index, i, is the
 * path node's sibling after each level's store: a node and its sibling
 * have the same parent (i >> 1), and past the root i is 0, which ends the
 * loop. The empty asm hides that 0 means i was 1, or GCC keeps both i and
 * i ^ 1 and compares with 1: 11 instructions a level, not 12
 * (docs/performance.md, item 230). masked: the selects by a mask (item
 * 233), 17 instructions a level. */
static inline __attribute__((always_inline)) ic_time_ns replay_up(ic_evq *q, size_t i, size_t r, ic_time_ns t,
                                                                    size_t sr, bool masked) {
  ic_time_ns *time = q->time;
  uint32_t *win = q->win;
  do {
    ic_time_ns st = time[sr];
    /* as likely as not: selects, never a branch (PGO's profile made one) */
    bool sib = __builtin_expect_with_probability(before(q, st, (uint32_t)sr, t, (uint32_t)r), 1, 0.5);
    if (masked) { /* a mask the compiler cannot see through: PGO made the out-of-line copy's select a
                   * branch, mispredicted about 4.5 times a replay (the delays of the first event) */
      uint64_t m = (uint64_t)0 - (uint64_t)sib;
      __asm__("" : "+r"(m));
      t = (ic_time_ns)((uint64_t)t ^ (((uint64_t)t ^ (uint64_t)st) & m));
      r ^= (r ^ sr) & m;
    } else {
      t = sib ? st : t;
      r = sib ? sr : r;
    }
    i >>= 1;
    win[i] = (uint32_t)r;
    i ^= 1;
    __asm__("" : "+r"(i));
    sr = win[i]; /* past the root, win[0]: read, unused */
  } while (i);
  return t;
}
/* Slot s's key changed to time t (its seq already set): the replay from
 * its leaf, out of line (the moves, cancels and delays; the pop has its
 * own), its selects by a mask. */
static __attribute__((noinline)) ic_time_ns replay(ic_evq *q, uint32_t s, ic_time_ns t) {
  q->time[s] = t;
  /* 64-bit r and sr: no zero extension at each level; the leaf's sibling
   * is a leaf, above it an inner node's winner */
  return replay_up(q, (size_t)q->slot_cap + s, s, t, s ^ 1, true);
}

/* Slot s's key became earlier, time t (a free leaf's +infinity, or a move
 * earlier): an inner node on its path becomes s where s's key is the
 * earlier, and once a node's key is the earlier, so is every key above
 * it. Every node that held s is rewritten (all the nodes below one it
 * wins did too). */
static inline __attribute__((always_inline)) void climb(ic_evq *q, uint32_t s, ic_time_ns t) {
  ic_time_ns *time = q->time;
  uint32_t *win = q->win;
  time[s] = t;
  for (size_t i = ((size_t)q->slot_cap + s) >> 1; i; i >>= 1) {
    uint32_t w = win[i];
    if (w != s && !before(q, t, s, time[w], w)) break;
    win[i] = s;
  }
}

/* The inner nodes for slot_cap = cap leaves in a fresh array, from the
 * slots' times (the new slots free). */
static bool build_tree(ic_evq *q, uint32_t old_cap, uint32_t cap) {
  ic_time_ns *time = aligned_alloc(64, ((size_t)cap * sizeof *time + 63) / 64 * 64);
  uint32_t *win = aligned_alloc(64, ((size_t)cap * sizeof *win + 63) / 64 * 64);
  if (!time || !win) {
    free(time);
    free(win);
    return false;
  }
  for (uint32_t s = 0; s < cap; s++) time[s] = s < old_cap ? q->time[s] : IC_TIME_NEVER;
  free(q->time);
  free(q->win);
  q->time = time;
  q->win = win;
  for (size_t i = cap - 1; i >= 1; i--) {
    uint32_t a, b; /* the children's winners */
    if (2 * i >= cap) {
      a = (uint32_t)(2 * i - cap);
      b = a + 1;
    } else {
      a = win[2 * i];
      b = win[2 * i + 1];
    }
    win[i] = before(q, time[b], b, time[a], a) ? b : a;
  }
  win[0] = 0; /* unused */
  return true;
}

static bool grow_slots(ic_evq *q) {
  uint32_t old = q->slot_cap;
  uint32_t cap = old ? 2 * old : 64;
  if (cap <= old || cap - 1 > SLOT_MASK) return false;
  struct slot *s = aligned_alloc(64, (size_t)cap * sizeof *s);
  if (!s) return false;
  for (uint32_t i = 0; i < old; i++) s[i] = q->slots[i];
  free(q->slots);
  q->slots = s;
  for (uint32_t i = old; i < cap; i++) s[i] = (struct slot){.seq = SEQ_FREE, .arg = i + 1 < cap ? i + 1 : q->free_head};
  if (!build_tree(q, old, cap)) return false; /* the new slots stay unused: slot_cap is old's */
  q->free_head = old;
  q->slot_cap = cap;
  return true;
}

ic_evq *ic_evq_alloc(size_t capacity) {
  ic_evq *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->free_head = UINT32_MAX;
  if (!(q->ctxs = malloc(8 * sizeof *q->ctxs))) goto fail;
  q->ctxs[0] = NULL; /* the table is never empty: push compares with ctxs[ctx_last] at once */
  q->ctx_count = 1;
  q->ctx_cap = 8;
  while (q->slot_cap < capacity || q->slot_cap == 0)
    if (!grow_slots(q)) goto fail;
  return q;
fail:
  ic_evq_free(q);
  return NULL;
}

/* Frees slot idx; its leaf is made +infinity by the caller (replay). */
static void release_slot(ic_evq *q, uint32_t idx) {
  struct slot *s = &q->slots[idx];
  s->seq = SEQ_FREE;
  s->arg = q->free_head;
  q->free_head = idx;
  q->live--;
}

/* ctx's index in the table, added when new (a scan: the table holds a
 * handful); UINT32_MAX when out of memory. */
static __attribute__((noinline)) uint32_t ctx_find(ic_evq *q, void *ctx) {
  uint32_t c = 0;
  while (c < q->ctx_count && q->ctxs[c] != ctx) c++;
  if (c == q->ctx_count) {
    if (c == q->ctx_cap) {
      uint32_t cap = q->ctx_cap ? 2 * q->ctx_cap : 8;
      void **t = cap > q->ctx_cap ? realloc(q->ctxs, (size_t)cap * sizeof *t) : NULL;
      if (!t) return UINT32_MAX;
      q->ctxs = t;
      q->ctx_cap = cap;
    }
    q->ctxs[q->ctx_count++] = ctx;
  }
  return q->ctx_last = c;
}

/* A push into the free slot at the free list's head (one there), its
 * context's index c known: no call, so no register saved. */
static inline __attribute__((always_inline)) ic_event_id push_free(ic_evq *q, ic_time_ns time_ns, bool bound,
                                                                   ic_event_fn *fn, uint32_t c, uint64_t arg) {
  uint32_t idx = q->free_head;
  struct slot *s = &q->slots[idx];
  q->free_head = (uint32_t)s->arg;
  s->fn = fn;
  s->ctx = c;
  s->arg = arg;
  s->seq = q->next_seq++ | (bound ? SEQ_BOUND : 0);
  uint32_t g = s->generation + 1;
  g += g == 0; /* 0 is never a generation: no id is 0 */
  s->generation = g;
  q->live++;
  climb(q, idx, time_ns);
  return ((uint64_t)g << 32) | idx;
}

/* A push that finds no free slot (the pool doubles first) or a context
 * other than the last push's (rare): out of line, so that the common
 * push makes no call. */
static __attribute__((noinline, cold)) ic_event_id push_slow(ic_evq *q, ic_time_ns time_ns, bool bound,
                                                             ic_event_fn *fn, void *ctx, uint64_t arg) {
  if (q->free_head == UINT32_MAX && !grow_slots(q)) return 0;
  uint32_t c = q->ctx_last;
  if (q->ctxs[c] != ctx && (c = ctx_find(q, ctx)) == UINT32_MAX) return 0;
  return push_free(q, time_ns, bound, fn, c, arg);
}

static inline __attribute__((always_inline)) ic_event_id push(ic_evq *q, ic_time_ns time_ns, bool bound,
                                                              ic_event_fn *fn, void *ctx, uint64_t arg) {
  if (__builtin_expect(q->free_head == UINT32_MAX || q->ctxs[q->ctx_last] != ctx, 0))
    return push_slow(q, time_ns, bound, fn, ctx, arg);
  return push_free(q, time_ns, bound, fn, q->ctx_last, arg);
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
  if (s->generation != (uint32_t)(id >> 32) || s->seq == SEQ_FREE) return NULL;
  return s;
}

bool ic_evq_cancel(ic_evq *q, ic_event_id id) {
  if (!pending_slot(q, id)) return false;
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  release_slot(q, idx);
  replay(q, idx, IC_TIME_NEVER);
  return true;
}

/* A pending event's new key (the next seq, time_ns exact) and argument. */
static inline ic_event_id move(ic_evq *q, struct slot *s, ic_event_id id, ic_time_ns time_ns, uint64_t arg) {
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  bool earlier = time_ns < q->time[idx]; /* else later: the new seq is larger */
  s->arg = arg;
  s->seq = q->next_seq++; /* exact */
  if (earlier)
    climb(q, idx, time_ns);
  else
    replay(q, idx, time_ns);
  return id;
}

ic_event_id ic_evq_reschedule(ic_evq *q, ic_event_id id, ic_time_ns time_ns) {
  struct slot *s = pending_slot(q, id);
  return s ? move(q, s, id, time_ns, s->arg) : 0;
}

ic_event_id ic_evq_reschedule_arg(ic_evq *q, ic_event_id id, ic_time_ns time_ns, uint64_t arg) {
  struct slot *s = pending_slot(q, id);
  return s ? move(q, s, id, time_ns, arg) : 0;
}

void ic_evq_prefetch(const ic_evq *q, ic_event_id id) {
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  if (idx >= q->slot_cap) return;
  __builtin_prefetch(&q->slots[idx]);
  __builtin_prefetch(&q->time[idx]);
  __builtin_prefetch(&q->win[((size_t)q->slot_cap + idx) >> 1]);
}

/* The earliest pending event's slot (live > 0). */
static inline uint32_t top(const ic_evq *q) { return q->win[1]; }

ic_time_ns ic_evq_peek_bound(const ic_evq *q, bool *bound) {
  *bound = q->live && (q->slots[top(q)].seq & SEQ_BOUND); /* live: top's slot is pending */
  return q->live ? q->time[top(q)] : IC_TIME_NEVER;
}

void ic_evq_delay_top(ic_evq *q, ic_time_ns time_ns, bool exact) {
  if (!q->live) return;
  uint32_t idx = top(q);
  assert(time_ns >= q->time[idx] && "event queue: delay_top moved an event earlier");
  q->slots[idx].seq = (q->slots[idx].seq & SEQ_MASK) | (exact ? 0 : SEQ_BOUND);
  if (time_ns != q->time[idx]) replay(q, idx, time_ns);
}

bool ic_evq_pop(ic_evq *q, struct ic_event *out) {
  if (!q->live) return false;
  uint32_t idx = top(q);
  struct slot *s = &q->slots[idx];
  assert(s->seq != SEQ_FREE && "event queue: popped a free slot");
  *out = (struct ic_event){q->time[idx], s->seq & SEQ_MASK, ((uint64_t)s->generation << 32) | idx, s->fn, q->ctxs[s->ctx], s->arg, 0};
  release_slot(q, idx);
  /* No prefetch of the records of the events that may come after the next
   * (the siblings on its path): GCC deleted the one written here from the
   * ninth round on, and made live it measured no gain (docs/performance.md,
   * item 88). */
  /* The replay of idx's leaf with +infinity, its first level without a
   * compare: the sibling leaf wins, or is free too (a key as late). */
  q->time[idx] = IC_TIME_NEVER;
  size_t i = ((size_t)q->slot_cap + idx) >> 1, r = idx ^ 1;
  q->win[i] = (uint32_t)r;
  out->next_ns = replay_up(q, i, r, q->time[r], q->win[i ^ 1], false); /* slot_cap >= 64: i > 1 */
  return true;
}

ic_time_ns ic_evq_peek_time(ic_evq *q) { return q->live ? q->time[top(q)] : IC_TIME_NEVER; }

bool ic_evq_peek(const ic_evq *q, ic_event_fn **fn, void **ctx, uint64_t *arg) {
  if (!q->live) return false;
  const struct slot *s = &q->slots[top(q)];
  *fn = s->fn;
  *ctx = q->ctxs[s->ctx];
  *arg = s->arg;
  return true;
}

uint64_t ic_evq_take_seq(ic_evq *q) { return q->next_seq++; }

uint64_t ic_evq_peek_seq(const ic_evq *q) { return q->live ? q->slots[top(q)].seq & SEQ_MASK : 0; }

size_t ic_evq_size(const ic_evq *q) { return q->live; }

void ic_evq_free(ic_evq *q) {
  if (!q) return;
  free(q->time);
  free(q->win);
  free(q->slots);
  free(q->ctxs);
  free(q);
}
