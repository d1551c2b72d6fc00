/* serve.c: the public fleet: allocation with its policy and listeners,
 * submission and rejection, the counted window, the figures, and freeing.
 * The top of the serving files (serve_impl.h lists their layers). */
#include "infercost/serve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve_impl.h"

static void reject(ic_fleet *f) {
  f->stats.rejected++;
  ic__emit(f, IC__REJECTION, -1, -1, 1.0);
}

/* The arriving request's block hashes, copied out of the source's ring
 * (it may overwrite them before the request runs). False when out of
 * memory or when they are gone already (a ring too small: a bug). */
static bool copy_blocks(ic_fleet *f, const struct ic_request *req) {
  struct ic__req_blocks *a = &f->arriving;
  a->n = 0;
  a->pinned = 0;
  if (req->block_count == 0) return true;
  if (!f->blocks) f->blocks = ic_source_blocks(f->block_src);
  if (!ic__check(f, f->blocks && ic_block_ring_block_tokens(f->blocks) == f->block_tokens ? IC_OK : IC_EINTERNAL,
                 "finding the ring of a request's prefix blocks"))
    return false;
  if (req->block_count > a->cap) {
    uint64_t *h = realloc(a->h, req->block_count * sizeof *h);
    if (!ic__check(f, h ? IC_OK : IC_ENOMEM, "copying a request's prefix blocks")) return false;
    a->h = h;
    a->cap = req->block_count;
  }
  for (uint32_t i = 0; i < req->block_count; i++)
    if (!ic__check(f, ic_block_ring_get(f->blocks, req->block_pos + i, &a->h[i]) ? IC_OK : IC_EINTERNAL,
                   "reading a request's prefix blocks from the ring"))
      return false;
  a->n = req->block_count;
  return true;
}

/* Pool slot idx takes the arriving request's blocks (the buffers swap). */
static bool keep_blocks(ic_fleet *f, uint32_t idx) {
  if (idx >= f->req_blocks_cap) {
    uint32_t cap = f->pool_cap;
    struct ic__req_blocks *b = realloc(f->req_blocks, (size_t)cap * sizeof *b);
    if (!b) return false;
    for (uint32_t i = f->req_blocks_cap; i < cap; i++) b[i] = (struct ic__req_blocks){0};
    f->req_blocks = b;
    f->req_blocks_cap = cap;
  }
  struct ic__req_blocks t = f->req_blocks[idx];
  f->req_blocks[idx] = f->arriving;
  f->arriving = t;
  return true;
}

ic_status ic_fleet_submit(ic_fleet *f, const struct ic_request *req) {
  if (f->status != IC_OK) return f->status;
  if (req->prompt_tokens > IC_REQUEST_TOKENS_MAX || req->output_tokens > IC_REQUEST_TOKENS_MAX) return IC_EINVAL;
  if (f->block_src && !copy_blocks(f, req)) return f->status;
  f->stats.arrived++;
  ic__emit(f, IC__ARRIVAL, -1, -1, 1.0);
  /* A request whose whole context cannot sit in one replica's KV cache
   * would never finish. */
  if (req->prompt_tokens + req->output_tokens > f->kv_capacity) {
    reject(f);
    return IC_OK;
  }
  int64_t max_queue = f->serving.max_queue;
  /* power_of_two without power-down (its fit tree): the default's router, inline */
  int64_t r = f->serving.router == IC_ROUTER_POWER_OF_TWO && !f->fit_tree ? ic__route_two(f)
              : f->serving.router == IC_ROUTER_CENTRAL                   ? ic__router_top(f)
                                                                        : ic__route(f);
  if (max_queue > 0 && (f->serving.router == IC_ROUTER_CENTRAL ? f->central_len : f->replicas[r].queue_len) >= max_queue) {
    reject(f);
    return IC_OK;
  }
  if (f->pool_free == IC__NONE && !ic__take_fresh(f)) return IC_ENOMEM;
  uint32_t idx = f->pool_free;
  if (f->block_src && !keep_blocks(f, idx)) return IC_ENOMEM;
  struct ic__request *pr = &f->pool[idx];
  f->pool_free = pr->next;
  if (f->pool_free != IC__NONE) /* the next arrival's entry, a first touch while the pool fills (its free list runs
                                   through fresh entries) */
    __builtin_prefetch(&f->pool[f->pool_free], 1);
  int cls = req->class_id >= 0 && (size_t)req->class_id < f->stats.class_count ? req->class_id : 0;
  *pr = (struct ic__request){*req, -1, IC__NONE, 0}; /* its second record unused (ic__more) */
  pr->req.class_id = cls;
  ic__in_system(f, +1);
  if (f->serving.router == IC_ROUTER_CENTRAL) {
    if (f->central_tail == IC__NONE)
      f->central_head = idx;
    else
      f->pool[f->central_tail].next = idx;
    f->central_tail = idx;
    f->central_len++;
    ic__count_queued(f, +1);
    bool was_empty = f->replicas[r].queue_len == 0;
    ic__refill(f, r);
    if (f->replicas[r].queue_len > 0) ic__pool_of(f, r)->policy->kick(f, r, was_empty);
    return f->status;
  }
  bool was_empty = f->replicas[r].queue_len == 0;
  ic__queue_push_back(f, r, idx);
  ic__add_load(f, r, 1, req->prompt_tokens + req->output_tokens);
  ic__pool_of(f, r)->policy->kick(f, r, was_empty);
  return f->status;
}

/* Class c's four latency sketches and, in the same order, the fleet's. */
static void class_sketches(struct ic_fleet_stats *st, size_t c, ic_sketch **own[4], ic_sketch *fleet[4]) {
  struct ic_class_stats *cs = &st->classes[c];
  own[0] = &cs->e2e_s, own[1] = &cs->ttft_s, own[2] = &cs->tpot_s, own[3] = &cs->wait_s;
  fleet[0] = st->e2e_s, fleet[1] = st->ttft_s, fleet[2] = st->tpot_s, fleet[3] = st->wait_s;
}

static void free_stats(struct ic_fleet_stats *st) {
  for (size_t c = 0; c < IC_TRAFFIC_MAX_CLASSES; c++) {
    ic_sketch **own[4], *fleet[4];
    class_sketches(st, c, own, fleet);
    for (int i = 0; i < 4; i++)
      if (*own[i] != fleet[i]) ic_sketch_free(*own[i]); /* a shared one is the fleet's (share_class_sketches) */
  }
  ic_sketch_free(st->e2e_s);
  ic_sketch_free(st->ttft_s);
  ic_sketch_free(st->wait_s);
  ic_sketch_free(st->tpot_s);
  ic_sketch_free(st->transfer_s);
  free(st->batch_hist);
}

/* With one request class, the class's latency sketches would take every
 * value the fleet's take, in the same order, and so hold the same state:
 * they are the fleet's own sketches (one update a value instead of two:
 * add_latency); with more, each class has its own. Before any value is
 * added (ic_fleet_set_classes, ic_fleet_start_window). False when out of
 * memory. */
static bool share_class_sketches(struct ic_fleet_stats *st) {
  ic_sketch **own[4], *fleet[4];
  class_sketches(st, 0, own, fleet);
  bool ok = true;
  for (int i = 0; i < 4; i++) {
    bool shared = *own[i] == fleet[i];
    if (st->class_count <= 1 && !shared) {
      ic_sketch_free(*own[i]);
      *own[i] = fleet[i];
    } else if (st->class_count > 1 && shared) {
      ok = (*own[i] = ic_sketch_alloc(IC_SKETCH_DEFAULT_REL_ERR)) != NULL && ok;
    }
  }
  return ok;
}

static bool alloc_stats(struct ic_fleet_stats *st) {
  double e = IC_SKETCH_DEFAULT_REL_ERR;
  st->e2e_s = ic_sketch_alloc(e);
  st->ttft_s = ic_sketch_alloc(e);
  st->wait_s = ic_sketch_alloc(e);
  st->tpot_s = ic_sketch_alloc(e);
  st->transfer_s = ic_sketch_alloc(e);
  bool ok = st->e2e_s && st->ttft_s && st->wait_s && st->tpot_s && st->transfer_s;
  for (size_t c = 0; c < IC_TRAFFIC_MAX_CLASSES; c++) {
    struct ic_class_stats *cs = &st->classes[c];
    cs->e2e_s = ic_sketch_alloc(e);
    cs->ttft_s = ic_sketch_alloc(e);
    cs->tpot_s = ic_sketch_alloc(e);
    cs->wait_s = ic_sketch_alloc(e);
    ok = ok && cs->e2e_s && cs->ttft_s && cs->tpot_s && cs->wait_s;
  }
  return ok;
}

ic_fleet *ic_fleet_alloc(ic_sim *sim, const struct ic_fleet_config *fleet,
                         const struct ic_serving_config *serving, const struct ic_perf *perf,
                         struct ic_ledger *ledger) {
  struct ic_pool_spec one = {"default", fleet, serving, perf, ledger, 0.0, IC_ROLE_MIXED, 0, 0.0};
  return ic_fleet_alloc_pools(sim, &one, 1, serving);
}

/* Places pool i's replicas and nodes after those of the pools before it. */
static bool place_pool(ic_fleet *f, int32_t i, const struct ic_pool_spec *spec, int64_t *replica, int64_t *node) {
  struct ic__pool *pl = &f->pools[i];
  const struct ic_fleet_config *fc = spec->fleet;
  *pl = (struct ic__pool){.serving = *spec->serving, .perf = spec->perf, .ledger = spec->ledger,
                          .role = spec->role, .gpus_per_node = fc->gpus_per_node,
                          .gpus_per_replica = fc->gpus_per_replica,
                          .replicas_per_node = fc->gpus_per_node / fc->gpus_per_replica,
                          .first_replica = *replica, .first_node = *node, .node_count = fc->nodes,
                          .kv_capacity = (int64_t)floor(spec->perf->kv_capacity_tokens),
                          .ns_per_token = spec->seconds_per_token > 0 ? spec->seconds_per_token * 1e9 : 1.0,
                          .nvlink_domain = spec->nvlink_domain, .nvlink_bytes_per_s = spec->nvlink_bytes_per_s,
                          .policy = spec->serving->batching == IC_BATCHING_STATIC ? &ic__static_policy
                                                                                : &ic__continuous_policy};
  pl->replica_count = fc->nodes * pl->replicas_per_node;
  for (int64_t n = 0; n < pl->node_count; n++)
    f->nodes[*node + n] = (struct ic__node){.first_replica = *replica + n * pl->replicas_per_node,
                                            .replicas = pl->replicas_per_node, .pool = i};
  for (int64_t k = 0; k < pl->replica_count; k++) {
    int64_t r = *replica + k;
    f->replicas[r] = (struct ic__replica){.queue_head = IC__NONE, .queue_tail = IC__NONE, .gpu_state = IC_GPU_IDLE,
                                          .node = *node + k / pl->replicas_per_node, .pool = i};
    f->heap[r] = (struct ic__heap_entry){0, r}; /* all loads 0: index order is already a heap */
    f->heap_pos[r] = r;
  }
  *replica += pl->replica_count;
  *node += pl->node_count;
  return (pl->wait_s = ic_sketch_alloc(IC_SKETCH_DEFAULT_REL_ERR)) && pl->policy->init(f, pl);
}

ic_fleet *ic_fleet_alloc_pools(ic_sim *sim, const struct ic_pool_spec *pools, size_t pool_count,
                               const struct ic_serving_config *serving) {
  if (pool_count > IC_FLEET_MAX_POOLS) return NULL;
  ic_fleet *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->sim = sim;
  f->serving = *serving;
  f->pool_count = (int32_t)pool_count;
  f->has_ledger = pool_count > 0;
  f->kv_capacity = INT64_MAX;
  int64_t max_batch = 0;
  bool decode_seen = false, roles_ok = true;
  size_t role_count[3] = {0, 0, 0};
  f->handoff_head = f->handoff_tail = IC__NONE;
  for (size_t i = 0; i < pool_count; i++) {
    const struct ic_fleet_config *fc = pools[i].fleet;
    int role = pools[i].role;
    role_count[role >= 0 && role <= IC_ROLE_DECODE ? role : IC_ROLE_MIXED]++;
    if (role == IC_ROLE_DECODE) decode_seen = true;
    else if (decode_seen) roles_ok = false; /* arrivals' pools first */
    else f->entry_replicas += fc->nodes * (fc->gpus_per_node / fc->gpus_per_replica);
    if (role != IC_ROLE_MIXED && pools[i].serving->batching != IC_BATCHING_CONTINUOUS) roles_ok = false;
    f->node_count += fc->nodes;
    f->replica_count += fc->nodes * (fc->gpus_per_node / fc->gpus_per_replica);
    f->has_ledger = f->has_ledger && pools[i].ledger;
    int64_t kv = (int64_t)floor(pools[i].perf->kv_capacity_tokens);
    if (kv < f->kv_capacity) f->kv_capacity = kv;
    if (pools[i].serving->max_batch > max_batch) max_batch = pools[i].serving->max_batch;
  }
  f->stats.batch_bins = (size_t)max_batch + 1;
  f->disaggregated = role_count[IC_ROLE_PREFILL] > 0;
  if ((role_count[IC_ROLE_PREFILL] > 0) != (role_count[IC_ROLE_DECODE] > 0) ||
      (f->disaggregated && role_count[IC_ROLE_MIXED] > 0))
    roles_ok = false;
  f->pool_free = IC__NONE;
  f->central_head = f->central_tail = IC__NONE;
  f->use_heap = serving->router == IC_ROUTER_LEAST_OUTSTANDING || serving->router == IC_ROUTER_LEAST_TOKENS ||
                serving->router == IC_ROUTER_CENTRAL || serving->router == IC_ROUTER_LEAST_WORK ||
                serving->router == IC_ROUTER_PREFIX_AWARE;
  f->rng = ic_sim_rng(sim, "serving.router");
  f->pools = calloc(pool_count ? pool_count : 1, sizeof *f->pools);
  size_t replica_bytes = (size_t)f->replica_count * sizeof *f->replicas;
  f->replicas = aligned_alloc(64, (replica_bytes + 63) / 64 * 64 + 64);
  if (f->replicas) memset(f->replicas, 0, replica_bytes);
  f->link_free_ns = calloc((size_t)f->replica_count + 1, sizeof *f->link_free_ns);
  f->nodes = calloc((size_t)f->node_count, sizeof *f->nodes);
  f->heap = malloc((size_t)f->replica_count * sizeof *f->heap);
  f->heap_pos = malloc((size_t)f->replica_count * sizeof *f->heap_pos);
  ic_time_avg_init(&f->stats.in_system, 0, 0.0);
  bool ok = roles_ok && pool_count > 0 && f->pools && f->replicas && f->link_free_ns && f->nodes && f->heap && f->heap_pos && f->rng &&
            alloc_stats(&f->stats) && (f->stats.batch_hist = calloc(f->stats.batch_bins, sizeof *f->stats.batch_hist));
  int64_t replica = 0, node = 0;
  for (size_t i = 0; ok && i < pool_count; i++) ok = place_pool(f, (int32_t)i, &pools[i], &replica, &node);
  if (!ok || !ic__grow_pool(f)) {
    ic_fleet_free(f);
    return NULL;
  }
  struct ic_traffic_class one = {.name = "default", .share = 1.0, .ttft_target_s = (double)NAN,
                                 .tpot_target_s = (double)NAN};
  ic_fleet_set_classes(f, &one, 1);
  ic__power_listen(f); /* first: the ledger moves before anything reads its power */
  ic__later_update(f);
  return f;
}

ic_status ic_fleet_set_blocks(ic_fleet *f, const ic_source *src, int64_t block_tokens) {
  f->block_src = src;
  ic__later_update(f);
  f->blocks = ic_source_blocks(src);
  f->block_tokens = block_tokens;
  if (f->serving.router == IC_ROUTER_PREFIX_AWARE) {
    if (!(f->hints = malloc(IC__HINTS * sizeof *f->hints))) return IC_ENOMEM;
    for (size_t i = 0; i < IC__HINTS; i++) f->hints[i] = (struct ic__hint){0, -1};
  }
  for (int32_t i = 0; i < f->pool_count; i++) {
    struct ic__pool *pl = &f->pools[i];
    if (!pl->serving.prefix_cache || pl->policy != &ic__continuous_policy || pl->role == IC_ROLE_DECODE) continue;
    pl->kv_bytes_per_token = ic_model_kv_bytes_per_token(pl->perf->model, pl->perf->prec.kv);
    double block_bytes = pl->kv_bytes_per_token * (double)f->block_tokens;
    int64_t caps[IC_PREFIX_TIERS] = {
        pl->serving.prefix_cache_blocks > 0 ? pl->serving.prefix_cache_blocks : pl->kv_capacity / f->block_tokens,
        (int64_t)floor(pl->serving.prefix_dram_gb * 1e9 / block_bytes),
        (int64_t)floor(pl->serving.prefix_ssd_gb * 1e9 / block_bytes)};
    if (caps[0] < 1) caps[0] = 1;
    for (int64_t r = pl->first_replica; r < pl->first_replica + pl->replica_count; r++)
      if (!(f->replicas[r].prefix = ic_prefix_cache_alloc(caps))) return IC_ENOMEM;
  }
  return IC_OK;
}

void ic_fleet_set_observer(ic_fleet *f, ic_serve_observer_fn *fn, void *ctx) {
  f->observer = fn;
  f->observer_ctx = ctx;
  ic__later_update(f);
}

void ic_fleet_set_classes(ic_fleet *f, const struct ic_traffic_class *classes, size_t count) {
  if (count > IC_TRAFFIC_MAX_CLASSES) count = IC_TRAFFIC_MAX_CLASSES;
  f->stats.class_count = count;
  for (size_t c = 0; c < count; c++) {
    struct ic_class_stats *cs = &f->stats.classes[c];
    snprintf(cs->name, sizeof cs->name, "%s", classes[c].name);
    cs->ttft_target_s = isnan(classes[c].ttft_target_s) ? f->serving.slo_ttft_s : classes[c].ttft_target_s;
    cs->tpot_target_s = isnan(classes[c].tpot_target_s) ? f->serving.slo_tpot_s : classes[c].tpot_target_s;
    cs->e2e_target_s = f->serving.slo_e2e_s;
  }
  if (!share_class_sketches(&f->stats)) ic__check(f, IC_ENOMEM, "setting the request classes");
}

void ic_fleet_close(ic_fleet *f, ic_time_ns end_ns) {
  for (int32_t i = 0; i < f->pool_count; i++) f->pools[i].policy->close(f, &f->pools[i], end_ns);
}

void ic_fleet_pool_work(const ic_fleet *f, int32_t pool, struct ic_fleet_work *out) {
  const struct ic__pool *pl = &f->pools[pool];
  struct ic__open o = {pl->work, 0, 0, 0};
  for (int64_t r = pl->first_replica; r < pl->first_replica + pl->replica_count; r++)
    pl->policy->open(f, r, ic_sim_now(f->sim), &o);
  *out = o.work;
}

void ic_fleet_work_so_far(const ic_fleet *f, struct ic_fleet_work *out) {
  *out = (struct ic_fleet_work){0};
  for (int32_t i = 0; i < f->pool_count; i++) {
    struct ic_fleet_work w;
    ic_fleet_pool_work(f, i, &w);
    ic_fleet_work_add(out, &w, 1.0);
  }
}

void ic_fleet_work_add(struct ic_fleet_work *to, const struct ic_fleet_work *w, double sign) {
  to->output_tokens += sign * w->output_tokens;
  to->prompt_tokens += sign * w->prompt_tokens;
  to->flops += sign * w->flops;
  to->bytes += sign * w->bytes;
  to->slot_s += sign * w->slot_s;
  to->kv_token_s += sign * w->kv_token_s;
  to->busy_replica_s += sign * w->busy_replica_s;
}

int32_t ic_fleet_pool_count(const ic_fleet *f) { return f->pool_count; }

/* Requests that pool `pool`'s replicas completed in the window. */
uint64_t ic_fleet_pool_completed(const ic_fleet *f, int32_t pool) { return f->pools[pool].completed; }
uint64_t ic_fleet_pool_routed(const ic_fleet *f, int32_t pool) { return f->pools[pool].routed; }

void ic_fleet_pool_figures(const ic_fleet *f, int32_t pool, struct ic_fleet_pool_figures *out) {
  const struct ic__pool *pl = &f->pools[pool];
  *out = (struct ic_fleet_pool_figures){pl->batches, pl->batched_requests,
                                        f->pool_count > 1 ? pl->wait_s : f->stats.wait_s};
}

ic_status ic_fleet_start_window(ic_fleet *f) {
  ic_time_ns now = ic_sim_now(f->sim);
  struct ic_fleet_stats *st = &f->stats;
  struct ic_fleet_stats fresh = {0};
  struct ic_sketch *waits[IC_FLEET_MAX_POOLS] = {0};
  bool ok = alloc_stats(&fresh);
  for (int32_t i = 0; i < f->pool_count; i++) ok = ok && (waits[i] = ic_sketch_alloc(IC_SKETCH_DEFAULT_REL_ERR));
  if (!ok) {
    for (int32_t i = 0; i < f->pool_count; i++) ic_sketch_free(waits[i]);
    free_stats(&fresh);
    ic__check(f, IC_ENOMEM, "starting the counted window");
    return IC_ENOMEM;
  }
  fresh.batch_hist = st->batch_hist;
  st->batch_hist = NULL;
  memset(fresh.batch_hist, 0, st->batch_bins * sizeof *fresh.batch_hist);
  fresh.batch_bins = st->batch_bins;
  fresh.in_system = st->in_system;
  ic_time_avg_restart(&fresh.in_system, now);
  fresh.class_count = st->class_count;
  for (size_t c = 0; c < st->class_count; c++) {
    struct ic_class_stats *cs = &fresh.classes[c];
    memcpy(cs->name, st->classes[c].name, sizeof cs->name);
    cs->ttft_target_s = st->classes[c].ttft_target_s;
    cs->tpot_target_s = st->classes[c].tpot_target_s;
    cs->e2e_target_s = st->classes[c].e2e_target_s;
  }
  free_stats(st);
  *st = fresh;
  share_class_sketches(st); /* only frees: the fresh sketches are each their own */
  st->in_flight_at_start = f->in_flight;
  for (int32_t i = 0; i < f->pool_count; i++) {
    struct ic__pool *pl = &f->pools[i];
    ic_sketch_free(pl->wait_s);
    pl->wait_s = waits[i];
    pl->routed = pl->completed = pl->batches = pl->batched_requests = 0;
  }
  /* Busy time of what is running counts from now: start each replica's
   * account below zero by the part already run. */
  for (int64_t r = 0; r < f->replica_count; r++) {
    struct ic__open o = {{0}, 0, 0, 0};
    const struct ic__policy *policy = ic__pool_of(f, r)->policy;
    policy->open(f, r, now, &o);
    if (o.iters) policy->uncount(f, r, o.iters);
    f->replicas[r].busy_ns = -o.busy_ns;
    st->busy_replica_s -= ic_time_to_s(o.busy_ns);
    st->prefill_replica_s -= ic_time_to_s(o.prefill_ns);
  }
  f->window_start_ns = now;
  return IC_OK;
}

void ic_fleet_utilisation(const ic_fleet *f, ic_time_ns end_ns, double *min, double *mean, double *max) {
  double lo = HUGE_VAL, hi = 0.0, sum = 0.0, span = ic_time_to_s(end_ns - f->window_start_ns);
  for (int64_t r = 0; r < f->replica_count; r++) {
    double u = span > 0 ? ic_time_to_s(f->replicas[r].busy_ns) / span : 0.0;
    if (u < lo) lo = u;
    if (u > hi) hi = u;
    sum += u;
  }
  *min = f->replica_count ? lo : 0.0;
  *max = hi;
  *mean = f->replica_count ? sum / (double)f->replica_count : 0.0;
}

double ic_fleet_hist_quantile(const uint64_t *counts, size_t bins, double w, double q) {
  uint64_t n = 0;
  for (size_t i = 0; i < bins; i++) n += counts[i];
  if (n == 0 || !(q >= 0 && q <= 1)) return (double)NAN;
  uint64_t rank = (uint64_t)ceil(q * (double)n), seen = 0;
  if (rank < 1) rank = 1;
  for (size_t i = 0; i < bins; i++) {
    seen += counts[i];
    if (seen >= rank) return (double)i * w;
  }
  return (double)(bins - 1) * w;
}

const struct ic_fleet_stats *ic_fleet_stats(const ic_fleet *f) { return &f->stats; }
ic_status ic_fleet_status(const ic_fleet *f) { return f->status; }
uint64_t ic_fleet_in_flight(const ic_fleet *f) { return f->in_flight; }
int64_t ic_fleet_replica_count(const ic_fleet *f) { return f->replica_count; }

void ic_fleet_free(ic_fleet *f) {
  if (!f) return;
  if (f->pools)
    for (int32_t i = 0; i < f->pool_count; i++) {
      if (f->pools[i].policy) f->pools[i].policy->free(f, &f->pools[i]);
      ic_sketch_free(f->pools[i].wait_s);
    }
  free(f->pools);
  if (f->replicas)
    for (int64_t r = 0; r < f->replica_count; r++) ic_prefix_cache_free(f->replicas[r].prefix);
  for (uint32_t i = 0; i < f->req_blocks_cap; i++) free(f->req_blocks[i].h);
  free(f->req_blocks);
  free(f->arriving.h);
  free(f->hints);
  free(f->replicas);
  free(f->link_free_ns);
  free(f->nodes);
  free(f->heap);
  free(f->heap_pos);
  free(f->fit_tree);
  free(f->busy_w);
  ic__free_pool(f);
  free_stats(&f->stats);
  free(f);
}
