/* evq.c: the future event list as a radix heap over (time, seq) keys.
 *
 * Events leave in (time, seq) order, a total order (seq grows on every
 * schedule), so the order does not depend on the structure. A simulation
 * schedules only at or after its clock, and every new seq is larger than
 * every earlier one, so every key pushed is larger than the last key
 * popped: a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) keeps the
 * pending keys in buckets by the highest bit in which they differ from
 * that last key (129 buckets for a 128-bit key: time, then seq), each an
 * array. A push appends to one bucket; a pop moves the keys of the one
 * bucket the popped key came from into lower buckets. A key moves down a
 * bucket at a time at most, so its moves are bounded by the bits between
 * its time and the clock, and each is a copy within a small array, where
 * the binary heap it replaced sifted through 12-13 levels of a 100-KB
 * array at every pop (measured in docs/performance.md, fifth round).
 *
 * The earliest key is kept outside the buckets (`front`) so that the
 * peeks, called several times an event, are loads: it is found (a scan of
 * the lowest non-empty bucket) when the earlier front leaves or is moved.
 * A push earlier than the last pop (allowed, but never made by ic_sim)
 * re-buckets every key against the smallest key: correct, only slower.
 *
 * Each slot's place (bucket, index) sits in an array of its own, so cancel
 * and reschedule take the key out at once: no tombstones. */
#include "infercost/evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define DIGIT 8                      /* bits of a key compared at a level */
#define VALUES (1u << DIGIT)         /* buckets of a level: the key's digit there */
#define LEVELS (128 / DIGIT)         /* seq's digits (low), then time's */
#define BUCKETS (LEVELS * VALUES)
#define WORDS (BUCKETS / 64)
#define IN_FRONT UINT32_MAX /* place: the key is the front */
#define SIGN (UINT64_C(1) << 63)
#define MIN_KEYS 16u /* a bucket's first room */

struct key {
  uint64_t t; /* time_ns with its sign bit flipped: unsigned order is time order */
  uint64_t seq;
  uint32_t slot;
  uint32_t bound; /* t is a lower bound (ic_evq_push_bound) */
};

struct bucket {
  struct key *k;
  uint32_t len, cap;
};

enum slot_state { SLOT_FREE, SLOT_PENDING };

struct slot {
  ic_event_fn *fn;
  void *ctx;
  uint64_t arg;
  uint32_t generation; /* bumped each time the slot is reused: stale ids fail */
  uint32_t state;
  uint32_t next_free;
};

struct ic_evq {
  struct key front; /* the earliest pending key, when size > 0 */
  uint64_t last_t, last_seq; /* the last key popped: every key in a bucket is larger */
  uint64_t nonempty[WORDS];  /* bit b: bucket b holds keys */
  uint64_t words;            /* bit w: nonempty[w] is not 0 */
  size_t size;
  uint64_t next_seq;
  struct slot *slots;
  uint64_t *place; /* per slot, pending: bucket << 32 | index, or IN_FRONT << 32 */
  uint32_t slot_cap;
  uint32_t free_head; /* UINT32_MAX when the free list is empty */
  struct bucket b[BUCKETS];
};

static inline bool key_less(const struct key *a, const struct key *b) {
  return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

/* The bucket of a key above the last pop: the highest digit in which they
 * differ (its level: the time's above the seq's) and the key's value of
 * that digit. Keys in a lower bucket are smaller; the last key itself
 * would be bucket 0. */
static inline unsigned bucket_of(const ic_evq *q, const struct key *k) {
  uint64_t x = k->t ^ q->last_t, v = k->t;
  unsigned base = 64 / DIGIT;
  if (!x) {
    x = k->seq ^ q->last_seq;
    v = k->seq;
    base = 0;
    if (!x) return 0;
  }
  unsigned d = (63u - (unsigned)__builtin_clzll(x)) / DIGIT;
  return (base + d) * VALUES + (unsigned)(v >> (DIGIT * d) & (VALUES - 1));
}

/* Room in bucket bi for `extra` more keys; false (nothing changed) when
 * out of memory. Every growth happens here, before a key moves, so that
 * no operation fails halfway with a key out of the queue. */
static __attribute__((noinline)) bool grow_bucket(ic_evq *q, unsigned bi, uint32_t extra) {
  struct bucket *b = &q->b[bi];
  uint64_t need = (uint64_t)b->len + extra, cap = b->cap ? b->cap : MIN_KEYS;
  while (cap < need) cap *= 2;
  if (cap > UINT32_MAX) return false;
  struct key *grown = realloc(b->k, (size_t)cap * sizeof *grown);
  if (!grown) return false;
  b->k = grown;
  b->cap = (uint32_t)cap;
  return true;
}

static inline bool room(ic_evq *q, unsigned bi, uint32_t extra) {
  return q->b[bi].cap - q->b[bi].len >= extra || grow_bucket(q, bi, extra);
}

/* Appends k to bucket bi, which has room. */
static inline void bucket_add(ic_evq *q, unsigned bi, const struct key *k) {
  struct bucket *b = &q->b[bi];
  q->place[k->slot] = (uint64_t)bi << 32 | b->len;
  b->k[b->len++] = *k;
  q->nonempty[bi >> 6] |= UINT64_C(1) << (bi & 63);
  q->words |= UINT64_C(1) << (bi >> 6);
}

static inline void mark_empty(ic_evq *q, unsigned bi) {
  if (!(q->nonempty[bi >> 6] &= ~(UINT64_C(1) << (bi & 63)))) q->words &= ~(UINT64_C(1) << (bi >> 6));
}

static void bucket_remove(ic_evq *q, unsigned bi, uint32_t i) {
  struct bucket *b = &q->b[bi];
  if (i != --b->len) {
    b->k[i] = b->k[b->len];
    q->place[b->k[i].slot] = (uint64_t)bi << 32 | i;
  }
  if (!b->len) mark_empty(q, bi);
}

static int lowest_bucket(const ic_evq *q) {
  if (!q->words) return -1;
  int w = __builtin_ctzll(q->words);
  return 64 * w + __builtin_ctzll(q->nonempty[w]);
}

/* The front from the lowest non-empty bucket (its smallest key); only when
 * the front left and keys are pending. */
static void pull_front(ic_evq *q) {
  int bi = lowest_bucket(q);
  assert(bi >= 0 && "event queue: pull from empty buckets");
  const struct bucket *b = &q->b[bi];
  uint32_t m = 0;
  for (uint32_t i = 1; i < b->len; i++)
    if (key_less(&b->k[i], &b->k[m])) m = i;
  q->front = b->k[m];
  q->place[q->front.slot] = (uint64_t)IN_FRONT << 32;
  bucket_remove(q, (unsigned)bi, m);
}

/* Re-buckets the keys of buckets lo..hi against the current last key, in
 * two passes: the first counts where they go and makes room there, so that
 * on false (out of memory) no key has moved. */
static bool rebucket(ic_evq *q, unsigned lo, unsigned hi) { /* hi < BUCKETS */
  uint32_t in[BUCKETS];
  memset(in, 0, sizeof in);
  for (unsigned bi = lo; bi <= hi; bi++)
    for (uint32_t i = 0; i < q->b[bi].len; i++) in[bucket_of(q, &q->b[bi].k[i])]++;
  for (unsigned bi = 0; bi < BUCKETS; bi++)
    if (in[bi] && !room(q, bi, in[bi])) return false;
  for (unsigned bi = lo; bi <= hi; bi++) {
    struct bucket *b = &q->b[bi];
    uint32_t i = 0;
    while (i < b->len) {
      unsigned to = bucket_of(q, &b->k[i]);
      if (to == bi) {
        i++;
        continue;
      }
      struct key k = b->k[i];
      bucket_remove(q, bi, i);
      bucket_add(q, to, &k);
    }
  }
  return true;
}

/* Moves the keys of bucket bi, that of the key just popped (the new last),
 * to the lower buckets, all empty (a key there would be below the popped
 * one). Out of memory, they go back (their records are still in bi's
 * array) and the result is false. */
static bool spill(ic_evq *q, unsigned bi) {
  struct bucket *b = &q->b[bi];
  uint32_t n = b->len;
  b->len = 0;
  mark_empty(q, bi);
  for (uint32_t i = 0; i < n; i++) {
    unsigned to = bucket_of(q, &b->k[i]);
    assert(to < bi && "event queue: a popped key's bucket spilled upwards");
    if (__builtin_expect(!room(q, to, 1), 0)) {
      for (unsigned lo = 0; lo < bi; lo++) {
        q->b[lo].len = 0;
        if (q->nonempty[lo >> 6] >> (lo & 63) & 1) mark_empty(q, lo);
      }
      for (uint32_t j = 0; j < n; j++) bucket_add(q, bi, &b->k[j]); /* in place: bi's own records */
      return false;
    }
    bucket_add(q, to, &b->k[i]);
  }
  return true;
}

static inline bool below_last(const ic_evq *q, const struct key *k) {
  return k->t < q->last_t || (k->t == q->last_t && k->seq < q->last_seq);
}

/* Adds key k (its slot about to be pending), the earliest kept in front:
 * false, nothing changed, when out of memory. A key below the last pop
 * (never from ic_sim, which schedules at or after its clock) first
 * re-buckets every key against last = (0, 0). */
static inline bool insert(ic_evq *q, struct key k) {
  if (!q->size) {
    q->front = k;
    q->place[k.slot] = (uint64_t)IN_FRONT << 32;
    q->size = 1;
    return true;
  }
  bool first = key_less(&k, &q->front);
  struct key out = first ? q->front : k; /* the one that goes to a bucket */
  if (__builtin_expect(below_last(q, &out), 0)) {
    uint64_t t = q->last_t, seq = q->last_seq;
    q->last_t = q->last_seq = 0;
    if (!rebucket(q, 0, BUCKETS - 1)) {
      q->last_t = t;
      q->last_seq = seq;
      return false;
    }
  }
  unsigned bi = bucket_of(q, &out);
  if (!room(q, bi, 1)) return false;
  if (first) {
    q->front = k;
    q->place[k.slot] = (uint64_t)IN_FRONT << 32;
  }
  bucket_add(q, bi, &out);
  q->size++;
  return true;
}

/* Takes the key of a pending slot out (the front: the next one replaces it). */
static void take_out(ic_evq *q, uint32_t slot) {
  uint64_t p = q->place[slot];
  q->size--;
  if ((p >> 32) == IN_FRONT) {
    if (q->size) {
    pull_front(q);
    __builtin_prefetch(&q->slots[q->front.slot]); /* the next event's action, which the hint reads */
  }
  } else
    bucket_remove(q, (unsigned)(p >> 32), (uint32_t)p);
}

static bool grow_slots(ic_evq *q) {
  uint32_t old = q->slot_cap;
  uint32_t cap = old ? 2 * old : 64;
  if (cap <= old) return false;
  struct slot *s = realloc(q->slots, (size_t)cap * sizeof *s);
  if (!s) return false;
  q->slots = s;
  uint64_t *place = realloc(q->place, (size_t)cap * sizeof *place);
  if (!place) return false;
  q->place = place;
  for (uint32_t i = old; i < cap; i++)
    s[i] = (struct slot){.generation = 1, .state = SLOT_FREE, .next_free = i + 1 < cap ? i + 1 : q->free_head};
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
  uint32_t idx = q->free_head;
  struct slot *s = &q->slots[idx];
  if (!insert(q, (struct key){(uint64_t)time_ns ^ SIGN, q->next_seq, idx, bound})) return 0;
  q->next_seq++;
  q->free_head = s->next_free;
  s->fn = fn;
  s->ctx = ctx;
  s->arg = arg;
  s->state = SLOT_PENDING;
  return ((uint64_t)s->generation << 32) | idx;
}

ic_event_id ic_evq_push(ic_evq *q, ic_time_ns time_ns, ic_event_fn *fn, void *ctx, uint64_t arg) {
  return push(q, time_ns, false, fn, ctx, arg);
}

ic_event_id ic_evq_push_bound(ic_evq *q, ic_time_ns time_ns, ic_event_fn *fn, void *ctx, uint64_t arg) {
  return push(q, time_ns, true, fn, ctx, arg);
}

static struct slot *pending(ic_evq *q, ic_event_id id) {
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  if (id == 0 || idx >= q->slot_cap) return NULL;
  struct slot *s = &q->slots[idx];
  return s->generation == (uint32_t)(id >> 32) && s->state == SLOT_PENDING ? s : NULL;
}

bool ic_evq_cancel(ic_evq *q, ic_event_id id) {
  if (!pending(q, id)) return false;
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  take_out(q, idx);
  release_slot(q, idx);
  return true;
}

ic_event_id ic_evq_reschedule(ic_evq *q, ic_event_id id, ic_time_ns time_ns) {
  if (!pending(q, id)) return 0;
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  struct key old = q->place[idx] >> 32 == IN_FRONT ? q->front : q->b[q->place[idx] >> 32].k[(uint32_t)q->place[idx]];
  take_out(q, idx);
  struct key k = old;
  k.t = (uint64_t)time_ns ^ SIGN;
  k.seq = q->next_seq;
  k.bound = false;
  if (!insert(q, k)) {
    /* Out of memory: the old key back where it was (its place is free
     * again; it cannot be below the last pop), and 0. */
    bool back = insert(q, old); /* cannot fail: its bucket, or the front's, just gave up a place */
    assert(back);
    (void)back;
    return 0;
  }
  q->next_seq++;
  return id;
}

ic_time_ns ic_evq_peek_bound(const ic_evq *q, bool *bound) {
  *bound = q->size && q->front.bound;
  return q->size ? (ic_time_ns)(q->front.t ^ SIGN) : IC_TIME_NEVER;
}

bool ic_evq_delay_top(ic_evq *q, ic_time_ns time_ns, bool exact) {
  if (!q->size) return true;
  uint64_t t = (uint64_t)time_ns ^ SIGN;
  assert(t >= q->front.t && "event queue: delay_top moved an event earlier");
  if (t == q->front.t) {
    q->front.bound = !exact;
    return true;
  }
  struct key k = q->front;
  k.t = t;
  k.bound = !exact;
  if (q->size == 1) {
    q->front = k;
    return true;
  }
  /* Later than before, so not below the last pop: into its bucket (room
   * first), and the earliest of all to the front, perhaps itself again. */
  unsigned bi = bucket_of(q, &k);
  if (!room(q, bi, 1)) return false;
  pull_front(q);
  bucket_add(q, bi, &k);
  if (key_less(&k, &q->front)) {
    struct key f = q->front;
    uint64_t p = q->place[k.slot];
    bucket_remove(q, (unsigned)(p >> 32), (uint32_t)p);
    q->front = k;
    q->place[k.slot] = (uint64_t)IN_FRONT << 32;
    q->size--;
    insert(q, f); /* above k: back into the bucket pull_front took it from, which has room */
  }
  return true;
}

bool ic_evq_pop(ic_evq *q, struct ic_event *out) {
  if (!q->size) return false;
  struct key top = q->front;
  struct slot *s = &q->slots[top.slot];
  assert(s->state == SLOT_PENDING && "event queue: popped a non-pending slot");
  *out = (struct ic_event){(ic_time_ns)(top.t ^ SIGN), top.seq, ((uint64_t)s->generation << 32) | top.slot,
                           s->fn, s->ctx, s->arg};
  release_slot(q, top.slot);
  q->size--;
  /* The popped key becomes the last: only the bucket it belongs to (no
   * lower one holds keys, which would be smaller) is re-bucketed, into
   * lower buckets; the higher ones differ from it in the same bit. */
  unsigned bi = bucket_of(q, &top);
  uint64_t t = q->last_t, seq = q->last_seq;
  q->last_t = top.t;
  q->last_seq = top.seq;
  if (bi && q->b[bi].len && !spill(q, bi)) {
    q->last_t = t; /* out of memory: the keys stay against the older last key, in order, only slower */
    q->last_seq = seq;
  }
  if (q->size) {
    pull_front(q);
    __builtin_prefetch(&q->slots[q->front.slot]); /* the next event's action, which the hint reads */
  }
  return true;
}

ic_time_ns ic_evq_peek_time(ic_evq *q) { return q->size ? (ic_time_ns)(q->front.t ^ SIGN) : IC_TIME_NEVER; }

bool ic_evq_peek(const ic_evq *q, ic_event_fn **fn, void **ctx, uint64_t *arg) {
  if (!q->size) return false;
  const struct slot *s = &q->slots[q->front.slot];
  *fn = s->fn;
  *ctx = s->ctx;
  *arg = s->arg;
  return true;
}

uint64_t ic_evq_take_seq(ic_evq *q) { return q->next_seq++; }

uint64_t ic_evq_peek_seq(const ic_evq *q) { return q->size ? q->front.seq : 0; }

size_t ic_evq_size(const ic_evq *q) { return q->size; }

void ic_evq_free(ic_evq *q) {
  if (!q) return;
  for (unsigned bi = 0; bi < BUCKETS; bi++) free(q->b[bi].k);
  free(q->slots);
  free(q->place);
  free(q);
}
