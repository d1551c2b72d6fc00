/* serve_prefix.c: the replicas' prefix caches as the serving model uses
 * them. At a request's admission its prompt's leading cached blocks are
 * found (any tier) and every block of the prompt is pinned in HBM; the
 * prefill then starts after the cached tokens (their attention is still
 * computed: the chunk attends to them), and a block found in a slower tier
 * costs its transfer into HBM. The pins go when the request leaves the
 * batch. Sharing the KV budget, a pinned block is counted once in the
 * replica's KV use, not in each request's reservation (vLLM's automatic
 * prefix caching shares the physical blocks), and the unpinned blocks are
 * trimmed to the KV tokens the batch leaves free. What the prefix_aware router asks (cached
 * tokens, the hint table) lives here too; its rule is in serve_router.c.
 * Calls only serve_core.c (serve_impl.h lists the layers). */
#include <math.h>

#include "serve_impl.h"

/* Tokens of the matched blocks that tier t held: whole blocks, less the
 * part of a partial last block beyond the prompt. */
static int64_t tier_tokens(const size_t hits[IC_PREFIX_TIERS], int t, int last_tier, size_t matched, int64_t B,
                           int64_t prompt) {
  int64_t tokens = (int64_t)hits[t] * B;
  if (t == last_tier) tokens -= (int64_t)matched * B - ic_block_tokens_covered(matched, B, prompt);
  return tokens;
}

static void count_lookup(ic_fleet *f, int64_t prompt, const size_t hits[IC_PREFIX_TIERS], int last_tier,
                         size_t matched) {
  struct ic_fleet_stats *st = &f->stats;
  st->prefix_requests++;
  st->prefix_prompt_tokens += prompt;
  st->prefix_hit_tokens += ic_block_tokens_covered(matched, f->block_tokens, prompt);
  st->prefix_hit_requests += matched > 0;
  for (int t = 0; t < IC_PREFIX_TIERS; t++) {
    st->prefix_tier_requests[t] += hits[t] > 0;
    st->prefix_tier_tokens[t] += tier_tokens(hits, t, last_tier, matched, f->block_tokens, prompt);
  }
}

/* Whether r's pinned blocks are counted once in its KV use rather than in
 * each request's reservation: only where the cache shares the batch's
 * memory. With prefix_cache_blocks the cache has memory of its own (a
 * what-if) and the batch keeps whole prompts in the KV budget; a prefill
 * pool's prompt stays in HBM after its pins go, until it has moved to a
 * decode pool, so its reservation keeps the whole prompt. */
static bool shares_kv(const ic_fleet *f, int64_t r) {
  const struct ic__pool *pl = ic__pool_of(f, r);
  return f->replicas[r].prefix && pl->serving.prefix_cache_blocks == 0 && pl->role == IC_ROLE_MIXED;
}

/* Request idx, not yet admitted on r, adds at most this to r's KV use
 * beyond its target_prefill: each block it will pin that no running
 * request pins yet costs a whole block, and the prompt tokens its blocks
 * cover leave its reservation. An upper bound: acquire may pin fewer. */
int64_t ic__prefix_admit_kv(const ic_fleet *f, int64_t r, uint32_t idx) {
  if (!shares_kv(f, r) || idx >= f->req_blocks_cap || f->req_blocks[idx].n == 0 || ic__context(f, idx) > 0) return 0;
  const struct ic__req_blocks *b = &f->req_blocks[idx];
  size_t held = ic_prefix_cache_pinned_prefix(f->replicas[r].prefix, b->h, b->n);
  return (int64_t)(b->n - held) * f->block_tokens -
         ic_block_tokens_covered(b->n, f->block_tokens, f->pool[idx].req.prompt_tokens);
}

/* Request idx is admitted on r with target_prefill tokens to compute:
 * returns the tokens already cached (at most target_prefill - 1: the last
 * position is always computed, it yields the next token), in *load_ns the
 * time to bring those of slower tiers into HBM, and in *kv_delta the
 * change of r's KV use beyond target_prefill (shares_kv: + a block per
 * block newly pinned, - the prompt tokens of the blocks it pins). */
int64_t ic__prefix_admit(ic_fleet *f, int64_t r, uint32_t idx, int64_t target_prefill, ic_time_ns *load_ns,
                         int64_t *kv_delta) {
  *load_ns = 0;
  *kv_delta = 0;
  ic_prefix_cache *c = f->replicas[r].prefix;
  if (!c || idx >= f->req_blocks_cap || f->req_blocks[idx].n == 0) return 0;
  struct ic__req_blocks *b = &f->req_blocks[idx];
  bool first = !(f->pool[idx].flags & IC__REQ_ADMITTED); /* a re-admission is not counted or billed again */
  int64_t prompt = f->pool[idx].req.prompt_tokens, B = f->block_tokens;
  size_t hits[IC_PREFIX_TIERS];
  int last_tier;
  size_t matched = ic_prefix_cache_match(c, b->h, b->n, hits, &last_tier);
  if (first) count_lookup(f, prompt, hits, last_tier, matched);
  int64_t pinned_before = ic_prefix_cache_pinned(c);
  size_t pinned = ic_prefix_cache_acquire(c, b->h, b->n);
  if (!ic__check(f, pinned == SIZE_MAX ? IC_ENOMEM : IC_OK, "pinning a prompt's prefix blocks")) return 0;
  b->pinned = (uint32_t)pinned;
  if (shares_kv(f, r))
    *kv_delta = (ic_prefix_cache_pinned(c) - pinned_before) * B - ic_block_tokens_covered(pinned, B, prompt);
  size_t used = matched < pinned ? matched : pinned;
  int64_t cached = ic_block_tokens_covered(used, B, prompt);
  if (cached > target_prefill - 1) cached = target_prefill - 1;
  if (cached <= 0) return 0;
  f->stats.prefill_tokens_saved += cached;
  if (first) ic__more(f, idx)->cached_tokens = cached;
  /* Transfers: the slower tiers' tokens, within what is used. */
  const struct ic__pool *pl = ic__pool_of(f, r);
  double gbps[IC_PREFIX_TIERS] = {0.0, pl->serving.prefix_dram_gb_per_s, pl->serving.prefix_ssd_gb_per_s};
  double load_s = 0.0;
  int64_t left = cached;
  for (int t = 1; t < IC_PREFIX_TIERS && left > 0; t++) {
    int64_t tokens = tier_tokens(hits, t, last_tier, matched, B, prompt);
    if (tokens > left) tokens = left;
    left -= tokens;
    if (tokens > 0) load_s += (double)tokens * pl->kv_bytes_per_token / (gbps[t] * 1e9);
  }
  *load_ns = ic_duration_from_s(load_s);
  return cached;
}

/* Request idx leaves r's batch (completed, preempted or handed off): its
 * blocks stay cached, unpinned. Returns the change of r's KV use beyond
 * the request's own reservation (shares_kv: + the prompt tokens of the
 * blocks it pinned, - a block per block no request pins any more). */
int64_t ic__prefix_release(ic_fleet *f, int64_t r, uint32_t idx) {
  ic_prefix_cache *c = f->replicas[r].prefix;
  if (!c || idx >= f->req_blocks_cap) return 0;
  struct ic__req_blocks *b = &f->req_blocks[idx];
  int64_t pinned_before = ic_prefix_cache_pinned(c), B = f->block_tokens;
  ic_prefix_cache_release(c, b->h, b->pinned);
  int64_t delta = shares_kv(f, r) ? ic_block_tokens_covered(b->pinned, B, f->pool[idx].req.prompt_tokens) -
                                        (pinned_before - ic_prefix_cache_pinned(c)) * B
                                  : 0;
  b->pinned = 0;
  return delta;
}

/* Sharing the KV budget: unpinned blocks fit in the tokens the batch
 * (kv_reserved, which includes the pinned blocks) leaves free. */
void ic__prefix_trim(ic_fleet *f, int64_t r, int64_t kv_reserved) {
  ic_prefix_cache *c = f->replicas[r].prefix;
  const struct ic__pool *pl = ic__pool_of(f, r);
  if (!c || pl->serving.prefix_cache_blocks > 0) return;
  int64_t free_tokens = pl->kv_capacity - kv_reserved;
  if (free_tokens < 0) free_tokens = 0;
  ic_prefix_cache_trim(c, ic_prefix_cache_pinned(c) + free_tokens / f->block_tokens);
}

/* Tokens of the arriving request's prompt (whole blocks) whose blocks r's
 * cache holds, in any tier. */
int64_t ic__prefix_cached(const ic_fleet *f, int64_t r) {
  const struct ic__req_blocks *a = &f->arriving;
  if (!f->replicas[r].prefix || a->n == 0) return 0;
  size_t hits[IC_PREFIX_TIERS];
  int last_tier;
  return (int64_t)ic_prefix_cache_match(f->replicas[r].prefix, a->h, a->n, hits, &last_tier) * f->block_tokens;
}

/* The prefix_aware router's hint: a direct-mapped table (IC__HINTS
 * entries, a collision overwrites) from a block's hash to the replica the
 * last request with that block went to, so that a replica holding a
 * request's prefix is found without asking every replica. */
static size_t hint_slot(uint64_t h) { return (size_t)(h ^ (h >> 31)) & (IC__HINTS - 1); }

int64_t ic__prefix_hint(const ic_fleet *f) {
  const struct ic__req_blocks *a = &f->arriving;
  if (!f->hints) return -1;
  for (uint32_t j = a->n; j-- > 0;) { /* the deepest block first */
    const struct ic__hint *e = &f->hints[hint_slot(a->h[j])];
    if (e->h == a->h[j] && e->replica >= 0) return e->replica;
  }
  return -1;
}

void ic__prefix_note(ic_fleet *f, int64_t r) {
  const struct ic__req_blocks *a = &f->arriving;
  if (!f->hints) return;
  for (uint32_t j = 0; j < a->n; j++) f->hints[hint_slot(a->h[j])] = (struct ic__hint){a->h[j], r};
}
