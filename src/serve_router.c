/* serve_router.c: which replica a request joins.
 *
 * Load-aware routers keep an indexed min-heap of replicas ordered by
 * (powered down, load, index): a sleeping replica sorts after every awake
 * one, so with power-down on it is picked only when every awake replica is
 * at the wake threshold (docs/serving.md). */
#include <gsl/gsl_rng.h>

#include "serve_impl.h"

static int64_t load(const ic_fleet *f, int64_t r) {
  const struct ic__replica *rep = &f->replicas[r];
  return f->serving.router == IC_ROUTER_LEAST_TOKENS ? rep->outstanding_tokens : rep->outstanding;
}

bool ic__router_less(const ic_fleet *f, int64_t a, int64_t b) {
  bool sa = f->nodes[f->replicas[a].node].off, sb = f->nodes[f->replicas[b].node].off;
  if (sa != sb) return sb;
  int64_t la = load(f, a), lb = load(f, b);
  return la != lb ? la < lb : a < b;
}

static void heap_swap(ic_fleet *f, int64_t i, int64_t j) {
  int64_t a = f->heap[i], b = f->heap[j];
  f->heap[i] = b;
  f->heap[j] = a;
  f->heap_pos[b] = i;
  f->heap_pos[a] = j;
}

/* Restores heap order around replica r after its key changed. */
void ic__heap_fix(ic_fleet *f, int64_t r) {
  if (!f->use_heap) return;
  int64_t i = f->heap_pos[r];
  while (i > 0 && ic__router_less(f, f->heap[i], f->heap[(i - 1) / 2])) {
    heap_swap(f, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
  for (;;) {
    int64_t c = 2 * i + 1, best = i;
    if (c < f->replica_count && ic__router_less(f, f->heap[c], f->heap[best])) best = c;
    if (c + 1 < f->replica_count && ic__router_less(f, f->heap[c + 1], f->heap[best])) best = c + 1;
    if (best == i) break;
    heap_swap(f, i, best);
    i = best;
  }
}

void ic__add_load(ic_fleet *f, int64_t r, int64_t requests, int64_t tokens) {
  struct ic__replica *rep = &f->replicas[r];
  rep->outstanding += requests;
  rep->outstanding_tokens += tokens;
  ic__heap_fix(f, r);
  f->nodes[rep->node].outstanding += requests;
  ic__power_load_changed(f, rep->node);
}

/* With power-down, a sleeping node is woken only when every awake replica
 * holds wake_threshold requests or more (or none is awake). */
static int64_t prefer_awake(ic_fleet *f, int64_t r) {
  if (!f->powerdown.enabled || !f->nodes[f->replicas[r].node].off) return r;
  int64_t best = -1;
  for (int64_t i = 0; i < f->replica_count; i++) {
    if (f->nodes[f->replicas[i].node].off) continue;
    if (best < 0 || f->replicas[i].outstanding < f->replicas[best].outstanding) best = i;
  }
  return best >= 0 && f->replicas[best].outstanding < f->powerdown.wake_threshold ? best : r;
}

int64_t ic__route(ic_fleet *f) {
  uint64_t n = (uint64_t)f->replica_count;
  switch (f->serving.router) {
  case IC_ROUTER_LEAST_OUTSTANDING:
  case IC_ROUTER_LEAST_TOKENS:
  case IC_ROUTER_CENTRAL: {
    int64_t top = f->heap[0];
    bool asleep = f->nodes[f->replicas[top].node].off;
    /* The heap puts awake replicas first: wake a node only past the threshold. */
    if (f->powerdown.enabled && !asleep && f->replicas[top].outstanding >= f->powerdown.wake_threshold) {
      for (int64_t i = 0; i < f->replica_count; i++)
        if (f->nodes[f->replicas[i].node].off) return i;
    }
    return top;
  }
  case IC_ROUTER_RANDOM: return prefer_awake(f, (int64_t)gsl_rng_uniform_int(f->rng, n));
  case IC_ROUTER_POWER_OF_TWO: {
    int64_t a = (int64_t)gsl_rng_uniform_int(f->rng, n), b = (int64_t)gsl_rng_uniform_int(f->rng, n);
    if (!f->powerdown.enabled) return f->replicas[b].outstanding < f->replicas[a].outstanding ? b : a;
    return ic__router_less(f, b, a) ? b : a;
  }
  case IC_ROUTER_ROUND_ROBIN:
  default: return prefer_awake(f, (int64_t)(f->round_robin_next++ % n));
  }
}
