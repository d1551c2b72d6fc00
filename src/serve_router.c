/* serve_router.c: which replica a request joins.
 *
 * Load-aware routers keep an indexed min-heap of replicas ordered by
 * (powered down, load, index): a sleeping replica sorts after every awake
 * one. With power-down on, routing packs load instead (route_packed) and
 * falls back to the configured router only when every node is awake and
 * every replica is at the wake threshold (docs/serving.md). */
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "infercost/rng.h"
#include "serve_impl.h"

/* least_work: the time r needs for its outstanding tokens at its pool's
 * speed, so that a faster pool takes proportionally more (mixed hardware). */
static int64_t load(const ic_fleet *f, int64_t r) {
  const struct ic__replica *rep = &f->replicas[r];
  switch (f->serving.router) {
  case IC_ROUTER_LEAST_TOKENS:
  case IC_ROUTER_PREFIX_AWARE: return rep->outstanding_tokens;
  case IC_ROUTER_LEAST_WORK: return (int64_t)((double)rep->outstanding_tokens * ic__pool_of(f, r)->ns_per_token);
  default: return rep->outstanding;
  }
}

/* The heap's key: the load, and sleeping replicas after every awake one;
 * with autoscaling, replicas out of service after all of those. */
static int64_t router_key(const ic_fleet *f, int64_t r) {
  const struct ic__node *n = &f->nodes[f->replicas[r].node];
  bool asleep = f->powerdown.enabled && n->off;
  if (f->scaling) return load(f, r) + (n->out ? INT64_MAX / 2 : asleep || n->off ? INT64_MAX / 4 : 0);
  return load(f, r) + (asleep ? INT64_MAX / 2 : 0);
}

bool ic__router_less(const ic_fleet *f, int64_t a, int64_t b) {
  int64_t ka = router_key(f, a), kb = router_key(f, b);
  return ka != kb ? ka < kb : a < b;
}

static bool entry_less(struct ic__heap_entry a, struct ic__heap_entry b) {
  return a.key != b.key ? a.key < b.key : a.replica < b.replica;
}

static void heap_swap(ic_fleet *f, int64_t i, int64_t j) {
  struct ic__heap_entry a = f->heap[i], b = f->heap[j];
  f->heap[i] = b;
  f->heap[j] = a;
  f->heap_pos[b.replica] = i;
  f->heap_pos[a.replica] = j;
}

int64_t ic__router_top(const ic_fleet *f) { return f->heap[0].replica; }

/* Restores heap order around replica r after its key changed. */
void ic__heap_fix(ic_fleet *f, int64_t r) {
  if (!f->use_heap || r >= f->entry_replicas) return; /* decode pools take no arrivals */
  int64_t i = f->heap_pos[r];
  f->heap[i].key = router_key(f, r);
  while (i > 0 && entry_less(f->heap[i], f->heap[(i - 1) / 2])) {
    heap_swap(f, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
  for (;;) {
    int64_t c = 2 * i + 1, best = i;
    if (c < f->entry_replicas && entry_less(f->heap[c], f->heap[best])) best = c;
    if (c + 1 < f->entry_replicas && entry_less(f->heap[c + 1], f->heap[best])) best = c + 1;
    if (best == i) break;
    heap_swap(f, i, best);
    i = best;
  }
}

/* Requests on node's replicas. Summed when asked (power-down, autoscaling)
 * rather than kept per node: a count in the node's record cost every
 * arrival and completion a cache miss on a large fleet. */
int64_t ic__node_outstanding(const ic_fleet *f, int64_t node) {
  const struct ic__node *n = &f->nodes[node];
  int64_t sum = 0;
  for (int64_t r = n->first_replica; r < n->first_replica + n->replicas; r++) sum += f->replicas[r].outstanding;
  return sum;
}

/* ic__add_load's rest: r's load has changed. */
void ic__load_followed(ic_fleet *f, int64_t r) {
  ic__heap_fix(f, r);
  ic__fit_update(f, r);
  if (f->listen_mask & IC__KIND(IC__LOAD)) {
    int64_t node = f->replicas[r].node;
    ic__emit(f, IC__LOAD, r, node, (double)ic__node_outstanding(f, node));
  }
}

/* Central router: hands queued requests to replica r while its policy says
 * it has room. */
void ic__refill(ic_fleet *f, int64_t r) {
  if (f->serving.router != IC_ROUTER_CENTRAL || r >= f->entry_replicas) return;
  while (f->central_len > 0 && ic__pool_of(f, r)->policy->has_room(f, r)) {
    uint32_t idx = f->central_head;
    f->central_head = f->pool[idx].next;
    if (f->central_head == IC__NONE) f->central_tail = IC__NONE;
    f->central_len--;
    ic__count_queued(f, -1);
    ic__queue_push(f, r, idx, false);
    ic__add_load(f, r, 1, f->pool[idx].req.prompt_tokens + f->pool[idx].req.output_tokens);
  }
}

/* Request idx completed on replica r: its load leaves r, then its record. */
void ic__request_done(ic_fleet *f, int64_t r, uint32_t idx) {
  ic__add_load(f, r, -1, -(f->pool[idx].req.prompt_tokens + f->pool[idx].req.output_tokens));
  ic__finish(f, r, idx);
}

/* Power-down packs load: a request goes to the lowest-numbered awake replica
 * holding fewer than wake_threshold requests, so high-numbered nodes run dry
 * and can sleep. A segment tree over replica indices counts such replicas,
 * so the first is found in O(log replicas). */
static bool fits(const ic_fleet *f, int64_t r) {
  const struct ic__node *n = &f->nodes[f->replicas[r].node];
  return !n->off && !n->out && f->replicas[r].outstanding < f->powerdown.wake_threshold;
}

/* After node's power or service changed: its replicas' heap keys and fit. */
void ic__node_refit(ic_fleet *f, int64_t node) {
  const struct ic__node *n = &f->nodes[node];
  for (int64_t r = n->first_replica; r < n->first_replica + n->replicas; r++) {
    ic__heap_fix(f, r);
    ic__fit_update(f, r);
  }
}

void ic__fit_update(ic_fleet *f, int64_t r) {
  if (!f->fit_tree) return;
  int64_t i = f->fit_leaves + r;
  int32_t v = r < f->entry_replicas && fits(f, r) ? 1 : 0;
  if (f->fit_tree[i] == v) return;
  f->fit_tree[i] = v;
  for (i /= 2; i >= 1; i /= 2) f->fit_tree[i] = f->fit_tree[2 * i] + f->fit_tree[2 * i + 1];
}

static int64_t first_fit(const ic_fleet *f) {
  if (f->fit_tree[1] == 0) return -1;
  int64_t i = 1;
  while (i < f->fit_leaves) i = f->fit_tree[2 * i] > 0 ? 2 * i : 2 * i + 1;
  return i - f->fit_leaves;
}

static int64_t route_packed(ic_fleet *f) {
  int64_t r = first_fit(f);
  if (r >= 0) return r;
  for (int64_t node = 0; node < f->node_count; node++)
    if (f->nodes[node].off && !f->nodes[node].out && f->nodes[node].first_replica < f->entry_replicas)
      return f->nodes[node].first_replica; /* wake the first sleeping node that takes arrivals */
  return -1;
}

/* prefix_aware: of two candidates, the replica with the fewest outstanding
 * tokens (the heap's top) and the one the hints say holds the request's
 * deepest block, the higher score = cached prompt tokens (whole blocks, any
 * tier) - prefix_route_weight x outstanding prompt + output tokens; a tie
 * to the fewer outstanding tokens. O(log R + blocks) per arrival. */
static double prefix_score(const ic_fleet *f, int64_t r) {
  return (double)ic__prefix_cached(f, r) - f->serving.prefix_route_weight * (double)f->replicas[r].outstanding_tokens;
}

static int64_t route_prefix(ic_fleet *f) {
  int64_t best = ic__router_top(f), hint = ic__prefix_hint(f);
  if (hint >= 0 && hint != best && hint < f->entry_replicas) {
    double sh = prefix_score(f, hint), sb = prefix_score(f, best);
    if (sh > sb || (sh == sb && f->replicas[hint].outstanding_tokens < f->replicas[best].outstanding_tokens)) best = hint;
  }
  ic__prefix_note(f, best);
  return best;
}

/* power_of_two: the next arrival's two candidates are drawn one arrival
 * early (the router's stream serves nothing else, so the draws come in the
 * same order), so that the replica records the choice compares, and the
 * batch records its kick reads, are on their way to the cache while the
 * events in between run. */
void ic__draw_two(ic_fleet *f) {
  const gsl_rng *rng = f->rng;
  uint64_t n = (uint64_t)f->entry_replicas;
  int64_t a = (int64_t)ic_rng_uniform_int(rng, n); /* gsl_rng_uniform_int, inline */
  int64_t b = (int64_t)ic_rng_uniform_int(rng, n); /* the same rule: its scale found once */
  f->two_next[0] = a;
  f->two_next[1] = b;
  f->two_drawn = true;
  __builtin_prefetch(&f->replicas[a]);
  __builtin_prefetch(&f->replicas[b]);
  void (*prefetch)(const ic_fleet *, int64_t) = f->pool_count == 1 ? f->pools[0].policy->prefetch : NULL;
  if (prefetch) {
    prefetch(f, a);
    prefetch(f, b);
  }
}

int64_t ic__route(ic_fleet *f) {
  uint64_t n = (uint64_t)f->entry_replicas;
  if (f->fit_tree) {
    int64_t r = route_packed(f);
    if (r >= 0) return r;
  }
  switch (f->serving.router) {
  case IC_ROUTER_LEAST_OUTSTANDING:
  case IC_ROUTER_LEAST_TOKENS:
  case IC_ROUTER_LEAST_WORK:
  case IC_ROUTER_CENTRAL: return ic__router_top(f);
  case IC_ROUTER_PREFIX_AWARE: return route_prefix(f);
  case IC_ROUTER_RANDOM: return (int64_t)ic_rng_uniform_int(f->rng, n);
  case IC_ROUTER_POWER_OF_TWO: {
    if (!f->powerdown.enabled) return ic__route_two(f);
    if (!f->two_drawn) ic__draw_two(f);
    int64_t a = f->two_next[0], b = f->two_next[1];
    ic__draw_two(f);
    return ic__router_less(f, b, a) ? b : a;
  }
  case IC_ROUTER_ROUND_ROBIN:
  default: return (int64_t)(f->round_robin_next++ % n);
  }
}
