/* serve.c: replicas, routing and static batching.
 *
 * Requests live in a pool and are chained into per-replica FIFO queues and
 * batches by index, so memory follows the number of requests in flight, not
 * the number simulated. */
#include "infercost/serve.h"

#include <assert.h>
#include <stdlib.h>

#include "infercost/cost.h"
#include "infercost/metrics.h"

#define NONE UINT32_MAX

struct pooled_request {
  struct ic_request req;
  ic_time_ns start_ns; /* batch start */
  uint32_t next;       /* next in queue or batch, or NONE */
};

struct replica {
  uint32_t queue_head, queue_tail;
  int64_t queue_len;
  uint32_t batch_head;   /* NONE when idle */
  int64_t batch_len;
  ic_time_ns batch_start_ns, prefill_end_ns;
  ic_time_ns decode_ns;  /* decode time of the running batch, fixed at its start */
  ic_event_id timer;     /* pending batch-timeout event, 0 if none */
  int64_t outstanding;   /* queued + in batch: the router's load measure */
  int64_t node;
};

/* Memoised service time of a static batch, by (size, prompt, output). */
struct service_entry {
  int64_t batch, prompt, output;
  ic_time_ns prefill_ns, decode_ns;
};
#define SERVICE_CACHE 4096

struct ic_fleet {
  ic_sim *sim;
  struct ic_serving_config serving;
  const struct ic_perf *perf;
  struct ic_ledger *ledger;
  int64_t gpus_per_replica;
  struct replica *replicas;
  int64_t replica_count;
  /* Least-outstanding router: min-heap of replica indices keyed by
   * (outstanding, index); heap_pos maps replica to heap slot. */
  int64_t *heap, *heap_pos;
  uint64_t round_robin_next;
  struct pooled_request *pool;
  uint32_t pool_cap, pool_free;
  uint64_t in_flight;
  ic_time_ns timeout_ns;
  struct service_entry *service_cache;
  struct ic_fleet_stats stats;
  ic_serve_observer_fn *observer;
  void *observer_ctx;
};

static bool heap_less(const ic_fleet *f, int64_t a, int64_t b) {
  int64_t la = f->replicas[a].outstanding, lb = f->replicas[b].outstanding;
  return la != lb ? la < lb : a < b;
}

static void heap_swap(ic_fleet *f, int64_t i, int64_t j) {
  int64_t a = f->heap[i], b = f->heap[j];
  f->heap[i] = b;
  f->heap[j] = a;
  f->heap_pos[b] = i;
  f->heap_pos[a] = j;
}

/* Restores heap order around replica r after its load changed. */
static void heap_fix(ic_fleet *f, int64_t r) {
  int64_t i = f->heap_pos[r];
  while (i > 0 && heap_less(f, f->heap[i], f->heap[(i - 1) / 2])) {
    heap_swap(f, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
  for (;;) {
    int64_t c = 2 * i + 1, best = i;
    if (c < f->replica_count && heap_less(f, f->heap[c], f->heap[best])) best = c;
    if (c + 1 < f->replica_count && heap_less(f, f->heap[c + 1], f->heap[best])) best = c + 1;
    if (best == i) break;
    heap_swap(f, i, best);
    i = best;
  }
}

static void set_outstanding(ic_fleet *f, int64_t r, int64_t delta) {
  f->replicas[r].outstanding += delta;
  if (f->serving.router == IC_ROUTER_LEAST_OUTSTANDING) heap_fix(f, r);
}

static void notify(ic_fleet *f, enum ic_serve_event_kind kind, int64_t r) {
  if (!f->observer) return;
  const struct replica *rep = &f->replicas[r];
  struct ic_serve_event ev = {kind, ic_sim_now(f->sim), r, rep->batch_len,
                              rep->batch_head != NONE ? f->pool[rep->batch_head].req.id : 0};
  f->observer(f->observer_ctx, &ev);
}

static void power(ic_fleet *f, const struct replica *rep, enum ic_gpu_state from, enum ic_gpu_state to) {
  if (f->ledger) ic_ledger_set_state(f->ledger, rep->node, f->gpus_per_replica, from, to, ic_sim_now(f->sim));
}

/* Prefill of the whole batch, then decode steps until the longest member
 * is done: a static batch runs padded to its longest prompt and output. */
static struct service_entry service_time(ic_fleet *f, int64_t batch, int64_t prompt, int64_t output) {
  uint64_t h = (uint64_t)batch * 0x9e3779b97f4a7c15u ^ (uint64_t)prompt * 0xbf58476d1ce4e5b9u ^
               (uint64_t)output * 0x94d049bb133111ebu;
  struct service_entry *e = &f->service_cache[h % SERVICE_CACHE];
  if (e->batch == batch && e->prompt == prompt && e->output == output) return *e;
  struct ic_iter_shape shape = ic_iter_shape_prefill(prompt, batch);
  double prefill_s = ic_perf_iter_s(f->perf, &shape, NULL);
  double decode_s = 0.0;
  /* The prefill yields the first token; each decode step one more. */
  for (int64_t step = 1; step < output; step++) {
    shape = ic_iter_shape_decode(batch, prompt + step);
    decode_s += ic_perf_iter_s(f->perf, &shape, NULL);
  }
  *e = (struct service_entry){batch, prompt, output, ic_time_from_s(prefill_s), ic_time_from_s(decode_s)};
  return *e;
}

static void on_first_token(ic_sim *sim, void *ctx, uint64_t arg);
static void on_batch_end(ic_sim *sim, void *ctx, uint64_t arg);
static void on_timeout(ic_sim *sim, void *ctx, uint64_t arg);

static void start_batch(ic_fleet *f, int64_t r) {
  struct replica *rep = &f->replicas[r];
  ic_time_ns now = ic_sim_now(f->sim);
  if (rep->timer) {
    ic_sim_cancel(f->sim, rep->timer);
    rep->timer = 0;
  }
  int64_t n = rep->queue_len < f->serving.max_batch ? rep->queue_len : f->serving.max_batch;
  int64_t prompt = 0, output = 0;
  uint32_t head = rep->queue_head, last = NONE, cur = head;
  for (int64_t i = 0; i < n; i++) {
    struct pooled_request *pr = &f->pool[cur];
    pr->start_ns = now;
    ic_sketch_add(f->stats.wait_s, ic_time_to_s(now - pr->req.arrival_ns));
    if (pr->req.prompt_tokens > prompt) prompt = pr->req.prompt_tokens;
    if (pr->req.output_tokens > output) output = pr->req.output_tokens;
    last = cur;
    cur = pr->next;
  }
  f->pool[last].next = NONE;
  rep->queue_head = cur;
  if (cur == NONE) rep->queue_tail = NONE;
  rep->queue_len -= n;
  rep->batch_head = head;
  rep->batch_len = n;
  rep->batch_start_ns = now;
  struct service_entry svc = service_time(f, n, prompt, output);
  rep->prefill_end_ns = now + svc.prefill_ns;
  rep->decode_ns = svc.decode_ns;
  f->stats.batches++;
  f->stats.batched_requests += (uint64_t)n;
  power(f, rep, IC_GPU_IDLE, IC_GPU_PREFILL);
  notify(f, IC_SERVE_BATCH_START, r);
  ic_sim_schedule_at(f->sim, rep->prefill_end_ns, on_first_token, f, (uint64_t)r);
}

/* Starts a batch if the replica is idle and the batch is full or its oldest
 * request has waited the timeout; otherwise arms the timeout. */
static void try_start(ic_fleet *f, int64_t r) {
  struct replica *rep = &f->replicas[r];
  if (rep->batch_head != NONE || rep->queue_len == 0) return;
  ic_time_ns deadline = f->pool[rep->queue_head].req.arrival_ns + f->timeout_ns;
  if (rep->queue_len >= f->serving.max_batch || deadline <= ic_sim_now(f->sim)) {
    start_batch(f, r);
  } else if (!rep->timer) {
    rep->timer = ic_sim_schedule_at(f->sim, deadline, on_timeout, f, (uint64_t)r);
  }
}

static void on_timeout(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  ic_fleet *f = ctx;
  f->replicas[arg].timer = 0;
  try_start(f, (int64_t)arg);
}

static void on_first_token(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  int64_t r = (int64_t)arg;
  struct replica *rep = &f->replicas[r];
  ic_time_ns now = ic_sim_now(sim);
  for (uint32_t i = rep->batch_head; i != NONE; i = f->pool[i].next)
    ic_sketch_add(f->stats.ttft_s, ic_time_to_s(now - f->pool[i].req.arrival_ns));
  f->stats.prefill_replica_s += ic_time_to_s(now - rep->batch_start_ns);
  power(f, rep, IC_GPU_PREFILL, IC_GPU_DECODE);
  notify(f, IC_SERVE_FIRST_TOKEN, r);
  ic_sim_schedule_at(sim, now + rep->decode_ns, on_batch_end, f, arg);
}

static void on_batch_end(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  int64_t r = (int64_t)arg;
  struct replica *rep = &f->replicas[r];
  ic_time_ns now = ic_sim_now(sim);
  power(f, rep, IC_GPU_DECODE, IC_GPU_IDLE);
  notify(f, IC_SERVE_BATCH_END, r);
  f->stats.busy_replica_s += ic_time_to_s(now - rep->batch_start_ns);
  uint32_t i = rep->batch_head;
  while (i != NONE) {
    struct pooled_request *pr = &f->pool[i];
    uint32_t next = pr->next;
    ic_sketch_add(f->stats.e2e_s, ic_time_to_s(now - pr->req.arrival_ns));
    f->stats.completed++;
    f->stats.prompt_tokens_done += pr->req.prompt_tokens;
    f->stats.output_tokens_done += pr->req.output_tokens;
    pr->next = f->pool_free;
    f->pool_free = i;
    i = next;
  }
  f->in_flight -= (uint64_t)rep->batch_len;
  set_outstanding(f, r, -rep->batch_len);
  rep->batch_head = NONE;
  rep->batch_len = 0;
  try_start(f, r);
}

static bool grow_pool(ic_fleet *f) {
  uint32_t old = f->pool_cap, cap = old ? old * 2 : 1024;
  if (cap <= old || cap >= NONE) return false;
  struct pooled_request *p = realloc(f->pool, (size_t)cap * sizeof *p);
  if (!p) return false;
  for (uint32_t i = old; i < cap; i++) p[i].next = i + 1 < cap ? i + 1 : f->pool_free;
  f->pool = p;
  f->pool_free = old;
  f->pool_cap = cap;
  return true;
}

static int64_t route(ic_fleet *f) {
  switch (f->serving.router) {
  case IC_ROUTER_LEAST_OUTSTANDING: return f->heap[0];
  case IC_ROUTER_ROUND_ROBIN:
  default: return (int64_t)(f->round_robin_next++ % (uint64_t)f->replica_count);
  }
}

ic_status ic_fleet_submit(ic_fleet *f, const struct ic_request *req) {
  if (f->pool_free == NONE && !grow_pool(f)) return IC_ENOMEM;
  uint32_t idx = f->pool_free;
  struct pooled_request *pr = &f->pool[idx];
  f->pool_free = pr->next;
  *pr = (struct pooled_request){*req, 0, NONE};
  int64_t r = route(f);
  struct replica *rep = &f->replicas[r];
  if (rep->queue_tail == NONE)
    rep->queue_head = idx;
  else
    f->pool[rep->queue_tail].next = idx;
  rep->queue_tail = idx;
  rep->queue_len++;
  f->stats.arrived++;
  f->in_flight++;
  set_outstanding(f, r, +1);
  try_start(f, r);
  return IC_OK;
}

ic_fleet *ic_fleet_alloc(ic_sim *sim, const struct ic_fleet_config *fleet,
                         const struct ic_serving_config *serving, const struct ic_perf *perf,
                         struct ic_ledger *ledger) {
  ic_fleet *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->sim = sim;
  f->serving = *serving;
  f->perf = perf;
  f->ledger = ledger;
  f->gpus_per_replica = fleet->gpus_per_replica;
  int64_t per_node = fleet->gpus_per_node / fleet->gpus_per_replica;
  f->replica_count = fleet->nodes * per_node;
  f->timeout_ns = ic_time_from_s(serving->batch_timeout_s);
  f->pool_free = NONE;
  f->replicas = calloc((size_t)f->replica_count, sizeof *f->replicas);
  f->heap = malloc((size_t)f->replica_count * sizeof *f->heap);
  f->heap_pos = malloc((size_t)f->replica_count * sizeof *f->heap_pos);
  f->service_cache = calloc(SERVICE_CACHE, sizeof *f->service_cache);
  f->stats.e2e_s = ic_sketch_alloc(0.005);
  f->stats.ttft_s = ic_sketch_alloc(0.005);
  f->stats.wait_s = ic_sketch_alloc(0.005);
  if (!f->replicas || !f->heap || !f->heap_pos || !f->service_cache || !f->stats.e2e_s ||
      !f->stats.ttft_s || !f->stats.wait_s || !grow_pool(f)) {
    ic_fleet_free(f);
    return NULL;
  }
  for (int64_t r = 0; r < f->replica_count; r++) {
    f->replicas[r] = (struct replica){.queue_head = NONE, .queue_tail = NONE, .batch_head = NONE,
                                      .node = r / per_node};
    f->heap[r] = r; /* all loads 0: index order is already a heap */
    f->heap_pos[r] = r;
  }
  for (size_t i = 0; i < SERVICE_CACHE; i++) f->service_cache[i].batch = -1;
  return f;
}

void ic_fleet_set_observer(ic_fleet *f, ic_serve_observer_fn *fn, void *ctx) {
  f->observer = fn;
  f->observer_ctx = ctx;
}

void ic_fleet_close(ic_fleet *f, ic_time_ns end_ns) {
  for (int64_t r = 0; r < f->replica_count; r++) {
    const struct replica *rep = &f->replicas[r];
    if (rep->batch_head == NONE) continue;
    f->stats.busy_replica_s += ic_time_to_s(end_ns - rep->batch_start_ns);
    /* A prefill that ended by end_ns was counted at its first token. */
    if (rep->prefill_end_ns > end_ns) f->stats.prefill_replica_s += ic_time_to_s(end_ns - rep->batch_start_ns);
  }
}

const struct ic_fleet_stats *ic_fleet_stats(const ic_fleet *f) { return &f->stats; }
uint64_t ic_fleet_in_flight(const ic_fleet *f) { return f->in_flight; }
int64_t ic_fleet_replica_count(const ic_fleet *f) { return f->replica_count; }

void ic_fleet_free(ic_fleet *f) {
  if (!f) return;
  free(f->replicas);
  free(f->heap);
  free(f->heap_pos);
  free(f->service_cache);
  free(f->pool);
  ic_sketch_free(f->stats.e2e_s);
  ic_sketch_free(f->stats.ttft_s);
  ic_sketch_free(f->stats.wait_s);
  free(f);
}
