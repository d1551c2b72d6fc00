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

bool ic__static_init(ic_fleet *f) {
  f->service_cache = calloc(SERVICE_CACHE, sizeof *f->service_cache);
  if (!f->service_cache) return false;
  for (size_t i = 0; i < SERVICE_CACHE; i++) f->service_cache[i].batch = -1;
  return true;
}

/* Prefill of the whole batch, then decode steps until the longest member
 * is done: a static batch runs padded to its longest prompt and output. */
static struct ic__service_entry service_time(ic_fleet *f, int64_t batch, int64_t prompt, int64_t output) {
  uint64_t h = (uint64_t)batch * 0x9e3779b97f4a7c15u ^ (uint64_t)prompt * 0xbf58476d1ce4e5b9u ^
               (uint64_t)output * 0x94d049bb133111ebu;
  struct ic__service_entry *e = &f->service_cache[h % SERVICE_CACHE];
  if (e->batch == batch && e->prompt == prompt && e->output == output) return *e;
  struct ic_iter_shape shape = ic_iter_shape_prefill(prompt, batch);
  double prefill_s = ic_perf_iter_s(f->perf, &shape, NULL);
  struct ic_iter_cost c = ic_model_iter_cost(f->perf->model, &f->perf->prec, &shape);
  double decode_s = 0.0, decode_flops = 0.0, decode_bytes = 0.0;
  /* The prefill yields the first token; each decode step one more. */
  for (int64_t step = 1; step < output; step++) {
    shape = ic_iter_shape_decode(batch, prompt + step);
    decode_s += ic_perf_iter_s(f->perf, &shape, NULL);
    struct ic_iter_cost d = ic_model_iter_cost(f->perf->model, &f->perf->prec, &shape);
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

static uint64_t head_id(const ic_fleet *f, const struct ic__replica *rep) {
  return rep->batch_head != IC__NONE ? f->pool[rep->batch_head].req.id : 0;
}

static void start_batch(ic_fleet *f, int64_t r) {
  struct ic__replica *rep = &f->replicas[r];
  ic_time_ns now = ic_sim_now(f->sim);
  if (rep->timer) {
    ic_sim_cancel(f->sim, rep->timer);
    rep->timer = 0;
  }
  int64_t limit = rep->queue_len < f->serving.max_batch ? rep->queue_len : f->serving.max_batch, n = 0;
  int64_t prompt = 0, output = 0;
  uint32_t head = IC__NONE, tail = IC__NONE;
  for (; n < limit; n++) {
    /* Padded to its longest member, the batch must fit the KV cache. */
    const struct ic__request *next = &f->pool[rep->queue_head];
    int64_t p = next->req.prompt_tokens > prompt ? next->req.prompt_tokens : prompt;
    int64_t o = next->req.output_tokens > output ? next->req.output_tokens : output;
    if (n > 0 && (n + 1) * (p + o) > f->kv_capacity) break;
    uint32_t idx = ic__queue_pop(f, r);
    struct ic__request *pr = &f->pool[idx];
    ic__admitted(f, idx);
    if (pr->req.prompt_tokens > prompt) prompt = pr->req.prompt_tokens;
    if (pr->req.output_tokens > output) output = pr->req.output_tokens;
    if (tail == IC__NONE)
      head = idx;
    else
      f->pool[tail].next = idx;
    tail = idx;
  }
  rep->batch_head = head;
  rep->batch_len = n;
  rep->batch_start_ns = now;
  struct ic__service_entry svc = service_time(f, n, prompt, output);
  rep->prefill_end_ns = now + svc.prefill_ns;
  rep->decode_ns = svc.decode_ns;
  rep->batch_prompt = prompt;
  rep->batch_output = output;
  rep->prefill_flops = svc.prefill_flops;
  rep->prefill_bytes = svc.prefill_bytes;
  rep->decode_flops = svc.decode_flops;
  rep->decode_bytes = svc.decode_bytes;
  f->stats.batches++;
  f->stats.batched_requests += (uint64_t)n;
  f->stats.batch_hist[n]++;
  ic__count_busy(f, +1);
  ic__set_gpu_state(f, r, IC_GPU_PREFILL);
  ic__notify(f, IC_SERVE_BATCH_START, r, n, head_id(f, rep));
  ic__schedule(f, rep->prefill_end_ns, on_first_token, (uint64_t)r);
}

/* Starts a batch if the replica is idle and awake and the batch is full or
 * its oldest request has waited the timeout; otherwise arms the timeout. */
void ic__static_kick(ic_fleet *f, int64_t r) {
  struct ic__replica *rep = &f->replicas[r];
  ic__refill(f, r);
  if (rep->batch_head != IC__NONE || rep->queue_len == 0 || !ic__node_ready(f, r)) return;
  ic_time_ns deadline = f->pool[rep->queue_head].req.arrival_ns + f->timeout_ns;
  if (rep->queue_len >= f->serving.max_batch || deadline <= ic_sim_now(f->sim)) {
    start_batch(f, r);
  } else if (!rep->timer) {
    rep->timer = ic__schedule(f, deadline, on_timeout, (uint64_t)r);
  }
}

static void on_timeout(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  ic_fleet *f = ctx;
  f->replicas[arg].timer = 0;
  ic__static_kick(f, (int64_t)arg);
}

static void on_first_token(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  int64_t r = (int64_t)arg;
  struct ic__replica *rep = &f->replicas[r];
  ic_time_ns now = ic_sim_now(sim);
  for (uint32_t i = rep->batch_head; i != IC__NONE; i = f->pool[i].next) ic__first_token(f, i);
  f->stats.prefill_replica_s += ic_time_to_s(now - rep->batch_start_ns);
  f->work.output_tokens += (double)rep->batch_len;
  f->work.flops += rep->prefill_flops;
  f->work.bytes += rep->prefill_bytes;
  ic__set_gpu_state(f, r, IC_GPU_DECODE);
  ic__notify(f, IC_SERVE_FIRST_TOKEN, r, rep->batch_len, head_id(f, rep));
  ic__schedule(f, now + rep->decode_ns, on_batch_end, arg);
}

static void on_batch_end(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  int64_t r = (int64_t)arg;
  struct ic__replica *rep = &f->replicas[r];
  ic_time_ns now = ic_sim_now(sim);
  ic__set_gpu_state(f, r, IC_GPU_IDLE);
  ic__notify(f, IC_SERVE_BATCH_END, r, rep->batch_len, head_id(f, rep));
  f->stats.busy_replica_s += ic_time_to_s(now - rep->batch_start_ns);
  rep->busy_ns += now - rep->batch_start_ns;
  double n = (double)rep->batch_len;
  ic__work_time(&f->work, ic_time_to_s(now - rep->batch_start_ns), n, n * (double)(rep->batch_prompt + rep->batch_output));
  f->work.flops += rep->decode_flops;
  f->work.bytes += rep->decode_bytes;
  for (uint32_t i = rep->batch_head; i != IC__NONE; i = f->pool[i].next)
    f->work.output_tokens += (double)(f->pool[i].req.output_tokens - 1);
  ic__count_busy(f, -1);
  uint32_t i = rep->batch_head;
  rep->batch_head = IC__NONE;
  rep->batch_len = 0;
  while (i != IC__NONE) {
    uint32_t next = f->pool[i].next;
    ic__request_done(f, r, i);
    i = next;
  }
  ic__static_kick(f, r);
}

void ic__static_close(ic_fleet *f, ic_time_ns end_ns) {
  for (int64_t r = 0; r < f->replica_count; r++) {
    struct ic__replica *rep = &f->replicas[r];
    if (rep->batch_head == IC__NONE) continue;
    f->stats.busy_replica_s += ic_time_to_s(end_ns - rep->batch_start_ns);
    rep->busy_ns += end_ns - rep->batch_start_ns;
    /* A prefill that ended by end_ns was counted at its first token. */
    if (rep->prefill_end_ns > end_ns) f->stats.prefill_replica_s += ic_time_to_s(end_ns - rep->batch_start_ns);
  }
}

/* A running batch: time-weighted figures up to now; once its prefill has
 * ended (the replica draws decode power), the decode steps ended by now,
 * timed as service_time times them, and one token per step for each member
 * still short of its output. */
void ic__static_open(const ic_fleet *f, int64_t r, ic_time_ns now, struct ic__open *o) {
  const struct ic__replica *rep = &f->replicas[r];
  if (rep->batch_head == IC__NONE || rep->batch_start_ns >= now) return;
  ic_time_ns el = now - rep->batch_start_ns;
  double n = (double)rep->batch_len;
  struct ic_fleet_work *w = &o->work;
  o->busy_ns += el;
  ic__work_time(w, ic_time_to_s(el), n, n * (double)(rep->batch_prompt + rep->batch_output));
  if (rep->gpu_state != IC_GPU_DECODE) {
    o->prefill_ns += el;
    return;
  }
  double decoded_s = ic_time_to_s(now - rep->prefill_end_ns), sum_s = 0.0;
  int64_t steps = 0;
  for (int64_t step = 1; step < rep->batch_output; step++) {
    struct ic_iter_shape shape = ic_iter_shape_decode(rep->batch_len, rep->batch_prompt + step);
    sum_s += ic_perf_iter_s(f->perf, &shape, NULL);
    if (sum_s > decoded_s) break;
    struct ic_iter_cost c = ic_model_iter_cost(f->perf->model, &f->perf->prec, &shape);
    w->flops += c.flops;
    w->bytes += c.weight_bytes + c.act_bytes + c.kv_bytes;
    steps = step;
  }
  for (uint32_t i = rep->batch_head; i != IC__NONE; i = f->pool[i].next) {
    int64_t left = f->pool[i].req.output_tokens - 1;
    w->output_tokens += (double)(left < steps ? left : steps);
  }
}
