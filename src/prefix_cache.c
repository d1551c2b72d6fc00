/* prefix_cache.c: tiers of LRU lists over one chained hash table of block
 * entries, taken from a pool that grows (doubling) up to the tiers' total
 * capacity. */
#include "infercost/prefix_cache.h"

#include <stdbool.h>
#include <stdlib.h>

#define NONE UINT32_MAX

struct ent {
  uint64_t h;
  uint32_t prev, next;   /* its tier's LRU list (unpinned only); next: also the free list */
  uint32_t chain;        /* next in its hash bucket */
  uint32_t pins;         /* running requests holding it (tier 0 only) */
  int tier;              /* -1: free */
};

struct tier {
  uint32_t head, tail;   /* least, most recently used unpinned block */
  int64_t held, cap;     /* blocks, pinned included */
};

struct ic_prefix_cache {
  struct ent *e;
  uint32_t ecap, used, free_head; /* entries allocated, ever used, free list */
  uint64_t elimit;       /* most entries ever needed: the total capacity */
  uint32_t *bucket;
  size_t mask;
  struct tier tier[IC_PREFIX_TIERS];
  int tiers;
  int64_t pinned;
};

static size_t slot_of(const ic_prefix_cache *c, uint64_t h) { return (size_t)(h ^ (h >> 29)) & c->mask; }

static uint32_t find(const ic_prefix_cache *c, uint64_t h) {
  uint32_t i = c->bucket[slot_of(c, h)];
  while (i != NONE && c->e[i].h != h) i = c->e[i].chain;
  return i;
}

ic_prefix_cache *ic_prefix_cache_alloc(const int64_t capacity_blocks[IC_PREFIX_TIERS]) {
  if (capacity_blocks[0] < 1) return NULL;
  ic_prefix_cache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->elimit = 0;
  for (int t = 0; t < IC_PREFIX_TIERS && capacity_blocks[t] > 0; t++) {
    c->tier[t] = (struct tier){NONE, NONE, 0, capacity_blocks[t]};
    c->tiers = t + 1;
    uint64_t add = (uint64_t)capacity_blocks[t];
    c->elimit = add > UINT32_MAX - 1 - c->elimit ? UINT32_MAX - 1 : c->elimit + add;
  }
  c->ecap = c->elimit < 64 ? (uint32_t)c->elimit : 64; /* small: a fleet has thousands */
  c->e = malloc(c->ecap * sizeof *c->e);
  c->bucket = malloc(64 * sizeof *c->bucket);
  if (!c->e || !c->bucket) {
    ic_prefix_cache_free(c);
    return NULL;
  }
  c->mask = 63;
  for (size_t i = 0; i <= c->mask; i++) c->bucket[i] = NONE;
  c->free_head = NONE;
  return c;
}

/* Doubles the entry pool (up to the limit) and keeps at least as many
 * buckets as entries. */
static bool grow(ic_prefix_cache *c) {
  if (c->ecap >= c->elimit) return false;
  uint64_t want = 2 * (uint64_t)c->ecap;
  uint32_t cap = want > c->elimit ? (uint32_t)c->elimit : (uint32_t)want;
  struct ent *e = realloc(c->e, cap * sizeof *e);
  if (!e) return false;
  c->e = e;
  c->ecap = cap;
  if (cap <= c->mask + 1) return true;
  size_t nb = c->mask + 1;
  while (nb < cap) nb *= 2;
  uint32_t *b = malloc(nb * sizeof *b);
  if (!b) return false;
  free(c->bucket);
  c->bucket = b;
  c->mask = nb - 1;
  for (size_t i = 0; i < nb; i++) b[i] = NONE;
  for (uint32_t i = 0; i < c->used; i++) {
    if (c->e[i].tier < 0) continue;
    size_t s = slot_of(c, c->e[i].h);
    c->e[i].chain = b[s];
    b[s] = i;
  }
  return true;
}

static void unlink_lru(ic_prefix_cache *c, uint32_t i) {
  struct ent *x = &c->e[i];
  struct tier *t = &c->tier[x->tier];
  if (x->prev != NONE) c->e[x->prev].next = x->next; else t->head = x->next;
  if (x->next != NONE) c->e[x->next].prev = x->prev; else t->tail = x->prev;
}

static void push_mru(ic_prefix_cache *c, int tier, uint32_t i) {
  struct ent *x = &c->e[i];
  struct tier *t = &c->tier[tier];
  x->tier = tier;
  x->prev = t->tail;
  x->next = NONE;
  if (t->tail != NONE) c->e[t->tail].next = i; else t->head = i;
  t->tail = i;
}

static void drop(ic_prefix_cache *c, uint32_t i) {
  uint32_t *p = &c->bucket[slot_of(c, c->e[i].h)];
  while (*p != i) p = &c->e[*p].chain;
  *p = c->e[i].chain;
  c->e[i].tier = -1;
  c->e[i].next = c->free_head;
  c->free_head = i;
}

/* Tier t's least recently used unpinned block goes down a tier (or out).
 * False when t has none. */
static bool evict_one(ic_prefix_cache *c, int t) {
  uint32_t i = c->tier[t].head;
  if (i == NONE) return false;
  unlink_lru(c, i);
  c->tier[t].held--;
  if (t + 1 < c->tiers && t + 1 < IC_PREFIX_TIERS) { /* the second bound: tiers never exceeds it */
    while (c->tier[t + 1].held >= c->tier[t + 1].cap) evict_one(c, t + 1); /* lower tiers hold no pins */
    push_mru(c, t + 1, i);
    c->tier[t + 1].held++;
  } else {
    drop(c, i);
  }
  return true;
}

/* Tier 0 can take one more block: it has room, or an unpinned block to evict. */
static bool can_place(const ic_prefix_cache *c) { return c->tier[0].held < c->tier[0].cap || c->tier[0].head != NONE; }

static uint32_t new_entry(ic_prefix_cache *c, uint64_t h) {
  uint32_t i = c->free_head;
  if (i != NONE) {
    c->free_head = c->e[i].next;
  } else {
    if (c->used == c->ecap && !grow(c)) return NONE;
    i = c->used++;
  }
  size_t s = slot_of(c, h);
  c->e[i] = (struct ent){h, NONE, NONE, c->bucket[s], 0, 0};
  c->bucket[s] = i;
  return i;
}

size_t ic_prefix_cache_match(const ic_prefix_cache *c, const uint64_t *h, size_t n, size_t hits[IC_PREFIX_TIERS],
                             int *last_tier) {
  for (int t = 0; t < IC_PREFIX_TIERS; t++) hits[t] = 0;
  *last_tier = -1;
  size_t k = 0;
  for (; k < n; k++) {
    uint32_t i = find(c, h[k]);
    if (i == NONE) break;
    hits[c->e[i].tier]++;
    *last_tier = c->e[i].tier;
  }
  return k;
}

size_t ic_prefix_cache_pinned_prefix(const ic_prefix_cache *c, const uint64_t *h, size_t n) {
  size_t k = 0;
  for (uint32_t i; k < n && (i = find(c, h[k])) != NONE && c->e[i].pins > 0; k++) {
  }
  return k;
}

size_t ic_prefix_cache_acquire(ic_prefix_cache *c, const uint64_t *h, size_t n) {
  for (size_t j = 0; j < n; j++) {
    uint32_t i = find(c, h[j]);
    if (i != NONE && c->e[i].tier == 0) {
      if (c->e[i].pins++ == 0) {
        unlink_lru(c, i);
        c->pinned++;
      }
      continue;
    }
    if (!can_place(c)) return j;
    if (i != NONE) { /* up from a slower tier: its place there frees first */
      unlink_lru(c, i);
      c->tier[c->e[i].tier].held--;
      c->e[i].tier = 0;
    }
    while (c->tier[0].held >= c->tier[0].cap) evict_one(c, 0);
    if (i == NONE && (i = new_entry(c, h[j])) == NONE) {
      ic_prefix_cache_release(c, h, j);
      return SIZE_MAX;
    }
    c->e[i].pins = 1;
    c->tier[0].held++;
    c->pinned++;
  }
  return n;
}

void ic_prefix_cache_release(ic_prefix_cache *c, const uint64_t *h, size_t k) {
  for (size_t j = k; j-- > 0;) {
    uint32_t i = find(c, h[j]);
    if (i == NONE || c->e[i].pins == 0) continue; /* never: a pinned block stays */
    if (--c->e[i].pins == 0) {
      c->pinned--;
      push_mru(c, 0, i);
    }
  }
}

void ic_prefix_cache_trim(ic_prefix_cache *c, int64_t max_blocks) {
  while (c->tier[0].held > max_blocks && evict_one(c, 0)) {
  }
}

int64_t ic_prefix_cache_held(const ic_prefix_cache *c, int tier) {
  return tier >= 0 && tier < c->tiers ? c->tier[tier].held : 0;
}

int64_t ic_prefix_cache_pinned(const ic_prefix_cache *c) { return c->pinned; }

void ic_prefix_cache_free(ic_prefix_cache *c) {
  if (!c) return;
  free(c->e);
  free(c->bucket);
  free(c);
}
