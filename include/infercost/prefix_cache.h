/* prefix_cache.h: a replica's cache of prompt KV blocks, by chained hash.
 *
 * Blocks are named by the chained hashes of blocks.h (equal hash = equal
 * prefix). The cache has up to IC_PREFIX_TIERS tiers: tier 0 is the
 * accelerator's memory (HBM), tiers 1 and 2 slower ones (host DRAM, local
 * SSD), each with a capacity in blocks (0: the tier is absent). Blocks of
 * running requests are pinned in tier 0 and never evicted; unpinned blocks
 * of each tier sit in a least-recently-used list. A tier that needs room
 * evicts its least recently used unpinned block into the next tier (which
 * may evict its own), and the last tier drops it. Memory is bounded by the
 * capacities, never by the requests seen: the table grows with the blocks
 * held, up to the sum of the capacities. */
#ifndef IC_PREFIX_CACHE_H
#define IC_PREFIX_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define IC_PREFIX_TIERS 3 /* HBM, host DRAM, local SSD */

typedef struct ic_prefix_cache ic_prefix_cache;

/* A cache whose tier t holds at most capacity_blocks[t] blocks (tier 0 at
 * least 1; a tier of 0 is absent, and so is every tier after it). NULL
 * when out of memory or when tier 0 has no room. */
ic_prefix_cache *ic_prefix_cache_alloc(const int64_t capacity_blocks[IC_PREFIX_TIERS]);

/* The leading blocks of h[0..n) held in any tier (a prefix match: it stops
 * at the first block not held), in hits[t] how many of those are in tier t
 * and in *last_tier the tier of the last of them (-1 when none). Changes
 * nothing. */
size_t ic_prefix_cache_match(const ic_prefix_cache *c, const uint64_t *h, size_t n, size_t hits[IC_PREFIX_TIERS],
                             int *last_tier);

/* The leading blocks of h[0..n) pinned in tier 0 (by running requests).
 * Changes nothing. */
size_t ic_prefix_cache_pinned_prefix(const ic_prefix_cache *c, const uint64_t *h, size_t n);

/* A request starts running with blocks h[0..n): each block in turn is
 * pinned in tier 0, moved up from a slower tier or inserted, making room
 * by evicting tier 0's least recently used unpinned block. Stops at the
 * first block it cannot place (tier 0 full of pinned blocks). Returns the
 * count k of leading blocks now pinned (release exactly h[0..k)), or
 * SIZE_MAX when out of memory (then nothing of this call stays pinned). */
size_t ic_prefix_cache_acquire(ic_prefix_cache *c, const uint64_t *h, size_t n);

/* The request holding h[0..k) pinned ended (or was preempted): each block
 * loses one pin; a block with none left becomes tier 0's most recently used,
 * released from the last block to the first so that a prompt's tail is
 * evicted before its head (vLLM frees a sequence's blocks in reverse). */
void ic_prefix_cache_release(ic_prefix_cache *c, const uint64_t *h, size_t k);

/* Evicts tier 0's least recently used unpinned blocks (into tier 1, if
 * any) until tier 0 holds at most max_blocks or only pinned blocks. */
void ic_prefix_cache_trim(ic_prefix_cache *c, int64_t max_blocks);

/* Blocks held in tier t, of which pinned (tier 0 only). */
int64_t ic_prefix_cache_held(const ic_prefix_cache *c, int tier);
int64_t ic_prefix_cache_pinned(const ic_prefix_cache *c);

/* Frees the cache; NULL does nothing. */
void ic_prefix_cache_free(ic_prefix_cache *c);

#endif
