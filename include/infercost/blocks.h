/* blocks.h: prefix-block identities of prompts.
 *
 * A prompt is cut into blocks of B tokens (the last one may be partial).
 * Block i is named by a chained 64-bit hash h_i = ic_block_chain(h_{i-1},
 * id_i) with h_{-1} = a salt, where id_i names the block's content (a trace's
 * hash id, or a generator's content id). Equal h_i then means equal first
 * i + 1 blocks, which is what a prefix cache can reuse (up to 64-bit
 * collisions: about n^2 / 2^65 for n distinct blocks, 4e-10 for 10^5).
 *
 * A source hands the hashes of each request's blocks to the simulator
 * through a ring of fixed capacity that it owns (struct ic_request carries
 * the position of its first block and the count), so memory does not grow
 * with the number of requests. Positions are absolute (they never wrap), so
 * a reader can tell when a request's blocks have been overwritten: a
 * consumer (a prefix cache) must copy what it keeps at arrival. */
#ifndef IC_BLOCKS_H
#define IC_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IC_BLOCK_TOKENS_DEFAULT 512 /* Mooncake's block size */
#define IC_BLOCK_RING_DEFAULT (1u << 18) /* hashes kept: 2 MiB; 4x the most blocks of one request */

/* The chained hash of a block whose predecessor has hash `prev` (the salt
 * for the first block) and whose content is `id`. A bijective 64-bit mixer
 * (splitmix64's finaliser) of a combination of the two. */
uint64_t ic_block_chain(uint64_t prev, uint64_t id);

/* Tokens of a prompt of `prompt_tokens` covered by its first `blocks`
 * blocks of `block_tokens`: min(blocks x block_tokens, prompt_tokens). */
int64_t ic_block_tokens_covered(uint64_t blocks, int64_t block_tokens, int64_t prompt_tokens);

/* --- the ring ------------------------------------------------------------- */

typedef struct ic_block_ring ic_block_ring;

/* A ring of `capacity` hashes (rounded up to a power of two) for blocks of
 * `block_tokens` tokens. NULL when out of memory. */
ic_block_ring *ic_block_ring_alloc(size_t capacity, int64_t block_tokens);

/* Appends a hash; returns its absolute position. */
uint64_t ic_block_ring_push(ic_block_ring *r, uint64_t hash);

/* The hash at absolute position `pos`: true, or false when it has been
 * overwritten (or was never written). */
bool ic_block_ring_get(const ic_block_ring *r, uint64_t pos, uint64_t *hash);

/* Position the next push will get; tokens per block; capacity. */
uint64_t ic_block_ring_end(const ic_block_ring *r);
int64_t ic_block_ring_block_tokens(const ic_block_ring *r);
size_t ic_block_ring_capacity(const ic_block_ring *r);

/* Frees the ring; NULL does nothing. */
void ic_block_ring_free(ic_block_ring *r);

/* --- an unbounded cache, for statistics -------------------------------------- */

/* The set of every block hash seen (open addressing; grows with the
 * distinct blocks, 16 bytes each at most: for trace statistics, not for a
 * simulation). */
typedef struct ic_block_set ic_block_set;

ic_block_set *ic_block_set_alloc(void);

/* Counts the leading blocks of `hashes[0..n)` already in the set (a prefix
 * match: it stops at the first miss), then adds all n. Returns the count,
 * or SIZE_MAX when out of memory. */
size_t ic_block_set_match_insert(ic_block_set *s, const uint64_t *hashes, size_t n);

/* Distinct hashes in the set. */
uint64_t ic_block_set_size(const ic_block_set *s);

void ic_block_set_free(ic_block_set *s);

#endif
