/* blocks.c: chained block hashes, the ring that carries them, and the
 * unbounded set used by trace statistics. */
#include "infercost/blocks.h"

#include <stdlib.h>

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

uint64_t ic_block_chain(uint64_t prev, uint64_t id) {
  /* the id is mixed first so that (prev, id) and (id, prev) differ */
  return mix64(prev * UINT64_C(0x9e3779b97f4a7c15) + mix64(id + UINT64_C(0x632be59bd9b4e019)));
}

int64_t ic_block_tokens_covered(uint64_t blocks, int64_t block_tokens, int64_t prompt_tokens) {
  if (blocks >= (uint64_t)(prompt_tokens / block_tokens + 1)) return prompt_tokens;
  int64_t t = (int64_t)blocks * block_tokens;
  return t < prompt_tokens ? t : prompt_tokens;
}

/* --- ring ------------------------------------------------------------------ */

struct ic_block_ring {
  uint64_t *hash;
  size_t mask;       /* capacity - 1 */
  uint64_t end;      /* absolute position of the next push */
  int64_t block_tokens;
};

ic_block_ring *ic_block_ring_alloc(size_t capacity, int64_t block_tokens) {
  size_t cap = 1;
  while (cap < capacity) cap <<= 1;
  ic_block_ring *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  if (!(r->hash = malloc(cap * sizeof *r->hash))) {
    free(r);
    return NULL;
  }
  r->mask = cap - 1;
  r->block_tokens = block_tokens;
  return r;
}

uint64_t ic_block_ring_push(ic_block_ring *r, uint64_t hash) {
  r->hash[r->end & r->mask] = hash;
  return r->end++;
}

bool ic_block_ring_get(const ic_block_ring *r, uint64_t pos, uint64_t *hash) {
  if (pos >= r->end || r->end - pos > r->mask + 1) return false;
  *hash = r->hash[pos & r->mask];
  return true;
}

uint64_t ic_block_ring_end(const ic_block_ring *r) { return r->end; }
int64_t ic_block_ring_block_tokens(const ic_block_ring *r) { return r->block_tokens; }
size_t ic_block_ring_capacity(const ic_block_ring *r) { return r->mask + 1; }

void ic_block_ring_free(ic_block_ring *r) {
  if (!r) return;
  free(r->hash);
  free(r);
}

/* --- set ------------------------------------------------------------------- */

struct ic_block_set {
  uint64_t *slot;    /* 0 = empty; the hash 0 is kept in has_zero */
  size_t mask;
  uint64_t size;
  bool has_zero;
};

ic_block_set *ic_block_set_alloc(void) {
  ic_block_set *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  if (!(s->slot = calloc(1024, sizeof *s->slot))) {
    free(s);
    return NULL;
  }
  s->mask = 1023;
  return s;
}

/* The slot of h, or the empty slot where it would go (linear probing). */
static size_t find(const ic_block_set *s, uint64_t h) {
  size_t i = (size_t)mix64(h) & s->mask;
  while (s->slot[i] && s->slot[i] != h) i = (i + 1) & s->mask;
  return i;
}

static bool grow(ic_block_set *s) {
  size_t cap = 2 * (s->mask + 1);
  uint64_t *old = s->slot;
  size_t old_cap = s->mask + 1;
  if (!(s->slot = calloc(cap, sizeof *s->slot))) {
    s->slot = old;
    return false;
  }
  s->mask = cap - 1;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i]) s->slot[find(s, old[i])] = old[i];
  free(old);
  return true;
}

static bool contains(const ic_block_set *s, uint64_t h) { return h ? s->slot[find(s, h)] == h : s->has_zero; }

static bool insert(ic_block_set *s, uint64_t h) {
  if (!h) {
    s->size += !s->has_zero;
    s->has_zero = true;
    return true;
  }
  if (4 * (s->size + 1) > 3 * (uint64_t)(s->mask + 1) && !grow(s)) return false; /* load <= 3/4 */
  size_t i = find(s, h);
  if (!s->slot[i]) {
    s->slot[i] = h;
    s->size++;
  }
  return true;
}

size_t ic_block_set_match_insert(ic_block_set *s, const uint64_t *hashes, size_t n) {
  size_t k = 0;
  while (k < n && contains(s, hashes[k])) k++;
  for (size_t i = k; i < n; i++)
    if (!insert(s, hashes[i])) return SIZE_MAX;
  return k;
}

uint64_t ic_block_set_size(const ic_block_set *s) { return s->size; }

void ic_block_set_free(ic_block_set *s) {
  if (!s) return;
  free(s->slot);
  free(s);
}
