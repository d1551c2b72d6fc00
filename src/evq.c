/* evq.c: binary heap of (time, seq, slot) over a pool of event records.
 *
 * The heap holds small keys by value so that sift operations touch little
 * memory; the action (handler, context, argument) stays in the pool slot. */
#include "infercost/evq.h"

#include <assert.h>
#include <stdlib.h>

struct heap_key {
  ic_time_ns time_ns;
  uint64_t seq;
  uint32_t slot;
};

enum slot_state { SLOT_FREE, SLOT_PENDING, SLOT_CANCELLED };

struct slot {
  ic_event_fn *fn;
  void *ctx;
  uint64_t arg;
  uint32_t generation; /* bumped each time the slot is reused: stale ids fail */
  uint32_t state;
  uint32_t next_free;
};

struct ic_evq {
  struct heap_key *heap;
  size_t heap_len, heap_cap;
  struct slot *slots;
  uint32_t slot_cap;
  uint32_t free_head; /* UINT32_MAX when the free list is empty */
  uint64_t next_seq;
  size_t live;
};

static bool key_less(const struct heap_key *a, const struct heap_key *b) {
  if (a->time_ns != b->time_ns) return a->time_ns < b->time_ns;
  return a->seq < b->seq;
}

static void sift_up(struct heap_key *h, size_t i) {
  struct heap_key k = h[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!key_less(&k, &h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = k;
}

static void sift_down(struct heap_key *h, size_t len, size_t i) {
  struct heap_key k = h[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= len) break;
    if (child + 1 < len && key_less(&h[child + 1], &h[child])) child++;
    if (!key_less(&h[child], &k)) break;
    h[i] = h[child];
    i = child;
  }
  h[i] = k;
}

static bool grow_slots(ic_evq *q) {
  uint32_t old = q->slot_cap;
  uint32_t cap = old ? 2 * old : 64;
  if (cap <= old) return false;
  struct slot *s = realloc(q->slots, (size_t)cap * sizeof *s);
  if (!s) return false;
  for (uint32_t i = old; i < cap; i++)
    s[i] = (struct slot){.generation = 1, .state = SLOT_FREE, .next_free = i + 1 < cap ? i + 1 : q->free_head};
  q->slots = s;
  q->free_head = old;
  q->slot_cap = cap;
  return true;
}

ic_evq *ic_evq_alloc(size_t capacity) {
  ic_evq *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->free_head = UINT32_MAX;
  q->heap_cap = capacity ? capacity : 64;
  q->heap = malloc(q->heap_cap * sizeof *q->heap);
  if (!q->heap) goto fail;
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

ic_event_id ic_evq_push(ic_evq *q, ic_time_ns time_ns, ic_event_fn *fn, void *ctx, uint64_t arg) {
  if (q->free_head == UINT32_MAX && !grow_slots(q)) return 0;
  if (q->heap_len == q->heap_cap) {
    size_t cap = 2 * q->heap_cap;
    struct heap_key *h = realloc(q->heap, cap * sizeof *h);
    if (!h) return 0;
    q->heap = h;
    q->heap_cap = cap;
  }
  uint32_t idx = q->free_head;
  struct slot *s = &q->slots[idx];
  q->free_head = s->next_free;
  s->fn = fn;
  s->ctx = ctx;
  s->arg = arg;
  s->state = SLOT_PENDING;
  q->heap[q->heap_len] = (struct heap_key){time_ns, q->next_seq++, idx};
  sift_up(q->heap, q->heap_len++);
  q->live++;
  return ((uint64_t)s->generation << 32) | idx;
}

bool ic_evq_cancel(ic_evq *q, ic_event_id id) {
  uint32_t idx = (uint32_t)(id & 0xffffffffu);
  uint32_t gen = (uint32_t)(id >> 32);
  if (id == 0 || idx >= q->slot_cap) return false;
  struct slot *s = &q->slots[idx];
  if (s->generation != gen || s->state != SLOT_PENDING) return false;
  s->state = SLOT_CANCELLED; /* the heap key stays as a tombstone */
  q->live--;
  return true;
}

static void drop_top(ic_evq *q) {
  q->heap[0] = q->heap[--q->heap_len];
  if (q->heap_len) sift_down(q->heap, q->heap_len, 0);
}

/* Pops tombstones off the top so the top, if any, is live. */
static void purge_top(ic_evq *q) {
  while (q->heap_len && q->slots[q->heap[0].slot].state == SLOT_CANCELLED) {
    uint32_t idx = q->heap[0].slot;
    drop_top(q);
    release_slot(q, idx);
  }
}

bool ic_evq_pop(ic_evq *q, struct ic_event *out) {
  purge_top(q);
  if (!q->heap_len) return false;
  struct heap_key top = q->heap[0];
  struct slot *s = &q->slots[top.slot];
  assert(s->state == SLOT_PENDING && "event queue: popped a non-pending slot");
  *out = (struct ic_event){top.time_ns, top.seq, ((uint64_t)s->generation << 32) | top.slot,
                           s->fn, s->ctx, s->arg};
  drop_top(q);
  release_slot(q, top.slot);
  q->live--;
  return true;
}

ic_time_ns ic_evq_peek_time(ic_evq *q) {
  purge_top(q);
  return q->heap_len ? q->heap[0].time_ns : IC_TIME_NEVER;
}

size_t ic_evq_size(const ic_evq *q) { return q->live; }

void ic_evq_free(ic_evq *q) {
  if (!q) return;
  free(q->heap);
  free(q->slots);
  free(q);
}
