/* serve_static.c: static batching: wait for B requests or the timeout, then
 * run the batch to its longest member (prefill, then decode steps). */
#include <stdlib.h>

#include "serve_impl.h"

/* Memoised service time of a static batch, by (size, prompt, output). */
struct ic__service_entry {
  int64_t batch, prompt, output;
  ic_time_ns prefill_ns, decode_ns;
  double prefill_flops, prefill_bytes, decode_flops, decode_bytes;
};
#define SERVICE_CACHE 4096

/* A static replica's batch. */
struct batch {
  uint32_t head;             /* IC__NONE when idle */
  int64_t len;
  ic_time_ns start_ns, prefill_end_ns;
  ic_time_ns decode_ns;      /* decode time of the running batch, fixed at its start */
  int64_t prompt, output;    /* its longest prompt and output */
  double prefill_flops, prefill_bytes, decode_flops, decode_bytes; /* its cost by phase */
  ic_event_id timer;         /* pending batch-timeout event, 0 if none */
};

struct static_state {
  struct batch *batch;       /* per replica */
  struct ic__service_entry *service_cache;
  ic_time_ns timeout_ns;
};

/* Replica r's pool's static state, and r's batch. */
static struct static_state *state(const ic_fleet *f, int64_t r) { return ic__pool_of(f, r)->policy_state; }

static struct batch *batch_of(const ic_fleet *f, int64_t r) {
  const struct ic__pool *pl = ic__pool_of(f, r);
  return &((struct static_state *)pl->policy_state)->batch[r - pl->first_replica];
}

static void static_free(ic_fleet *f, struct ic__pool *pl) {
  (void)f;
  struct static_state *st = pl->policy_state;
  if (!st) return;
  free(st->batch);
  free(st->service_cache);
  free(st);
  pl->policy_state = NULL;
}

static bool static_init(ic_fleet *f, struct ic__pool *pl) {
  (void)f;
  struct static_state *st = calloc(1, sizeof *st);
  if (!st) return false;
  pl->policy_state = st;
  st->batch = calloc((size_t)pl->replica_count, sizeof *st->batch);
  st->service_cache = calloc(SERVICE_CACHE, sizeof *st->service_cache);
  if (!st->batch || !st->service_cache) return false;
  for (size_t i = 0; i < SERVICE_CACHE; i++) st->service_cache[i].batch = -1;
  for (int64_t i = 0; i < pl->replica_count; i++) st->batch[i].head = IC__NONE;
  st->timeout_ns = ic_duration_from_s(pl->serving.batch_timeout_s);
  return true;
}

/* Prefill of the whole batch, then decode steps until the longest member
 * is done: a static batch runs padded to its longest prompt and output. */
static struct ic__service_entry service_time(ic_fleet *f, int64_t r, int64_t batch, int64_t prompt, int64_t output) {
  const struct ic_perf *perf = ic__pool_of(f, r)->perf;
  uint64_t h = (uint64_t)batch * 0x9e3779b97f4a7c15u ^ (uint64_t)prompt * 0xbf58476d1ce4e5b9u ^
               (uint64_t)output * 0x94d049bb133111ebu;
  struct ic__service_entry *e = &state(f, r)->service_cache[h % SERVICE_CACHE];
  if (e->batch == batch && e->prompt == prompt && e->output == output) return *e;
  struct ic_iter_shape shape = ic_iter_shape_prefill(prompt, batch);
  double prefill_s = ic_perf_iter_s(perf, &shape, NULL);
  struct ic_iter_cost c = ic_model_iter_cost(perf->model, &perf->prec, &shape);
  double decode_s = 0.0, decode_flops = 0.0, decode_bytes = 0.0;
  /* The prefill yields the first token; each decode step one more. */
  for (int64_t step = 1; step < output; step++) {
    shape = ic_iter_shape_decode(batch, prompt + step);
    decode_s += ic_perf_iter_s(perf, &shape, NULL);
    struct ic_iter_cost d = ic_model_iter_cost(perf->model, &perf->prec, &shape);
    decode_flops += d.flops;
    decode_bytes += d.weight_bytes + d.act_bytes + d.kv_bytes;
  }
  *e = (struct ic__service_entry){batch, prompt, output, ic_duration_from_s(prefill_s), ic_duration_from_s(decode_s),
                                  c.flops, c.weight_bytes + c.act_bytes + c.kv_bytes, decode_flops, decode_bytes};
  return *e;
}

static void on_first_token(ic_sim *sim, void *ctx, uint64_t arg);
static void on_batch_end(ic_sim *sim, void *ctx, uint64_t arg);
static void on_timeout(ic_sim *sim, void *ctx, uint64_t arg);
static void static_kick(ic_fleet *f, int64_t r, bool was_queue_empty);

static uint64_t head_id(const ic_fleet *f, const struct batch *b) {
  return b->head != IC__NONE ? f->pool[b->head].req.id : 0;
}

static void start_batch(ic_fleet *f, int64_t r) {
  struct ic__replica *rep = &f->replicas[r];
  struct batch *b = batch_of(f, r);
  ic_time_ns now = ic_sim_now(f->sim);
  if (b->timer) {
    ic_sim_cancel(f->sim, b->timer);
    b->timer = 0;
  }
  struct ic__pool *pl = ic__pool_of(f, r);
  int64_t limit = rep->queue_len < pl->serving.max_batch ? rep->queue_len : pl->serving.max_batch, n = 0;
  int64_t prompt = 0, output = 0;
  uint32_t head = IC__NONE, tail = IC__NONE;
  for (; n < limit; n++) {
    /* Padded to its longest member, the batch must fit the KV cache. */
    const struct ic__request *next = &f->pool[rep->queue_head];
    int64_t p = next->req.prompt_tokens > prompt ? next->req.prompt_tokens : prompt;
    int64_t o = next->req.output_tokens > output ? next->req.output_tokens : output;
    if (n > 0 && (n + 1) * (p + o) > pl->kv_capacity) break;
    uint32_t idx = ic__queue_pop(f, r);
    struct ic__request *pr = &f->pool[idx];
    ic__admitted(f, r, idx);
    if (pr->req.prompt_tokens > prompt) prompt = pr->req.prompt_tokens;
    if (pr->req.output_tokens > output) output = pr->req.output_tokens;
    if (tail == IC__NONE)
      head = idx;
    else
      f->pool[tail].next = idx;
    tail = idx;
  }
  b->head = head;
  b->len = n;
  b->start_ns = now;
  struct ic__service_entry svc = service_time(f, r, n, prompt, output);
  b->prefill_end_ns = now + svc.prefill_ns;
  b->decode_ns = svc.decode_ns;
  b->prompt = prompt;
  b->output = output;
  b->prefill_flops = svc.prefill_flops;
  b->prefill_bytes = svc.prefill_bytes;
  b->decode_flops = svc.decode_flops;
  b->decode_bytes = svc.decode_bytes;
  f->stats.batches++;
  f->stats.batched_requests += (uint64_t)n;
  f->stats.batch_hist[n]++;
  pl->batches++;
  pl->batched_requests += (uint64_t)n;
  ic__count_busy(f, +1);
  ic__set_gpu_state(f, r, IC_GPU_PREFILL);
  ic__notify(f, IC_SERVE_BATCH_START, r, n, head_id(f, b));
  ic__schedule(f, b->prefill_end_ns, on_first_token, (uint64_t)r);
}

/* Starts a batch if the replica is idle and awake and the batch is full or
 * its oldest request has waited the timeout; otherwise arms the timeout. */
static void static_kick(ic_fleet *f, int64_t r, bool was_queue_empty) {
  (void)was_queue_empty;
  struct ic__replica *rep = &f->replicas[r];
  struct batch *b = batch_of(f, r);
  ic__refill(f, r);
  if (b->head != IC__NONE || rep->queue_len == 0 || !ic__node_ready(f, r)) return;
  ic_time_ns deadline = f->pool[rep->queue_head].req.arrival_ns + state(f, r)->timeout_ns;
  if (rep->queue_len >= ic__pool_of(f, r)->serving.max_batch || deadline <= ic_sim_now(f->sim)) {
    start_batch(f, r);
  } else if (!b->timer) {
    b->timer = ic__schedule(f, deadline, on_timeout, (uint64_t)r);
  }
}

static void on_timeout(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  ic_fleet *f = ctx;
  batch_of(f, (int64_t)arg)->timer = 0;
  static_kick(f, (int64_t)arg, false);
}

static void on_first_token(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  int64_t r = (int64_t)arg;
  struct batch *b = batch_of(f, r);
  ic_time_ns now = ic_sim_now(sim);
  for (uint32_t i = b->head; i != IC__NONE; i = f->pool[i].next) ic__first_token(f, r, i);
  f->stats.prefill_replica_s += ic_time_to_s(now - b->start_ns);
  ic__pool_of(f, r)->work.output_tokens += (double)b->len;
  ic__pool_of(f, r)->work.flops += b->prefill_flops;
  ic__pool_of(f, r)->work.bytes += b->prefill_bytes;
  ic__set_gpu_state(f, r, IC_GPU_DECODE);
  ic__notify(f, IC_SERVE_FIRST_TOKEN, r, b->len, head_id(f, b));
  ic__schedule(f, now + b->decode_ns, on_batch_end, arg);
}

static void on_batch_end(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  int64_t r = (int64_t)arg;
  struct ic__replica *rep = &f->replicas[r];
  struct batch *b = batch_of(f, r);
  ic_time_ns now = ic_sim_now(sim);
  ic__set_gpu_state(f, r, IC_GPU_IDLE);
  ic__notify(f, IC_SERVE_BATCH_END, r, b->len, head_id(f, b));
  f->stats.busy_replica_s += ic_time_to_s(now - b->start_ns);
  rep->busy_ns += now - b->start_ns;
  double n = (double)b->len;
  ic__work_time(&ic__pool_of(f, r)->work, ic_time_to_s(now - b->start_ns), n, n * (double)(b->prompt + b->output));
  ic__pool_of(f, r)->work.flops += b->decode_flops;
  ic__pool_of(f, r)->work.bytes += b->decode_bytes;
  for (uint32_t i = b->head; i != IC__NONE; i = f->pool[i].next)
    ic__pool_of(f, r)->work.output_tokens += (double)(f->pool[i].req.output_tokens - 1);
  ic__count_busy(f, -1);
  uint32_t i = b->head;
  b->head = IC__NONE;
  b->len = 0;
  while (i != IC__NONE) {
    uint32_t next = f->pool[i].next;
    ic__request_done(f, r, i);
    i = next;
  }
  static_kick(f, r, false);
}

static void static_close(ic_fleet *f, struct ic__pool *pl, ic_time_ns end_ns) {
  for (int64_t r = pl->first_replica; r < pl->first_replica + pl->replica_count; r++) {
    struct ic__replica *rep = &f->replicas[r];
    struct batch *b = batch_of(f, r);
    if (b->head == IC__NONE) continue;
    f->stats.busy_replica_s += ic_time_to_s(end_ns - b->start_ns);
    rep->busy_ns += end_ns - b->start_ns;
    /* A prefill that ended by end_ns was counted at its first token. */
    if (b->prefill_end_ns > end_ns) f->stats.prefill_replica_s += ic_time_to_s(end_ns - b->start_ns);
  }
}

/* A running batch: time-weighted figures up to now; once its prefill has
 * ended (the replica draws decode power), the decode steps ended by now,
 * timed as service_time times them, and one token per step for each member
 * still short of its output. */
static void static_open(const ic_fleet *f, int64_t r, ic_time_ns now, struct ic__open *o) {
  const struct ic__replica *rep = &f->replicas[r];
  const struct batch *b = batch_of(f, r);
  const struct ic_perf *perf = ic__pool_of(f, r)->perf;
  if (b->head == IC__NONE || b->start_ns >= now) return;
  ic_time_ns el = now - b->start_ns;
  double n = (double)b->len;
  struct ic_fleet_work *w = &o->work;
  o->busy_ns += el;
  ic__work_time(w, ic_time_to_s(el), n, n * (double)(b->prompt + b->output));
  if (rep->gpu_state != IC_GPU_DECODE) {
    o->prefill_ns += el;
    return;
  }
  double decoded_s = ic_time_to_s(now - b->prefill_end_ns), sum_s = 0.0;
  int64_t steps = 0;
  for (int64_t step = 1; step < b->output; step++) {
    struct ic_iter_shape shape = ic_iter_shape_decode(b->len, b->prompt + step);
    sum_s += ic_perf_iter_s(perf, &shape, NULL);
    if (sum_s > decoded_s) break;
    struct ic_iter_cost c = ic_model_iter_cost(perf->model, &perf->prec, &shape);
    w->flops += c.flops;
    w->bytes += c.weight_bytes + c.act_bytes + c.kv_bytes;
    steps = step;
  }
  for (uint32_t i = b->head; i != IC__NONE; i = f->pool[i].next) {
    int64_t left = f->pool[i].req.output_tokens - 1;
    w->output_tokens += (double)(left < steps ? left : steps);
  }
}

/* The central router may hand an idle replica a batch's worth. */
static bool static_has_room(const ic_fleet *f, int64_t r) {
  return batch_of(f, r)->head == IC__NONE && f->replicas[r].queue_len < ic__pool_of(f, r)->serving.max_batch;
}

/* A batch counts when it starts: nothing to take back. */
static void static_uncount(ic_fleet *f, int64_t r, int64_t iters) {
  (void)f;
  (void)r;
  (void)iters;
}

const struct ic__policy ic__static_policy = {static_init, static_kick, static_has_room, static_close,
                                             static_open, static_uncount, static_free, NULL, NULL, NULL, NULL, NULL};
