/* serve.c: the fleet: request pool, queues, submission, rejection and the
 * latency record. Routing is in serve_router.c, the batching policies in
 * serve_static.c and serve_continuous.c, idle power-down in serve_power.c.
 *
 * Requests live in a pool and are chained into queues by index, so memory
 * follows the number of requests in flight, not the number simulated. */
#include "infercost/serve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve_impl.h"

/* Records the first failure inside the fleet (a failed event schedule, a
 * failed sketch or series update) and stops the run: a dropped failure
 * could leave a replica stalled for ever or a figure short. The caller sees
 * it in ic_fleet_status and in the next ic_fleet_submit. */
bool ic__check(ic_fleet *f, ic_status st, const char *what) {
  if (st == IC_OK) return true;
  if (f->status == IC_OK) {
    ic_diag(NULL, 0, "serving: %s failed at %.9f s: %s; stopping the run", what, ic_time_to_s(ic_sim_now(f->sim)),
            ic_strerror(st));
    f->status = st == IC_ENOMEM ? IC_ENOMEM : IC_EINTERNAL;
  }
  ic_sim_stop(f->sim);
  return false;
}

/* Schedules one of the fleet's events; 0 (reported, run stopped) on failure. */
ic_event_id ic__schedule(ic_fleet *f, ic_time_ns at_ns, ic_event_fn *fn, uint64_t arg) {
  ic_event_id id = ic_sim_schedule_at(f->sim, at_ns, fn, f, arg);
  ic__check(f, id ? IC_OK : IC_ENOMEM, "scheduling an event");
  return id;
}

void ic__notify(ic_fleet *f, enum ic_serve_event_kind kind, int64_t r, int64_t size, uint64_t id) {
  if (!f->observer) return;
  struct ic_serve_event ev = {kind, ic_sim_now(f->sim), r, size, id};
  f->observer(f->observer_ctx, &ev);
}

void ic__gauge(ic_fleet *f, size_t col, double value) {
  if (f->series) ic__check(f, ic_series_gauge(f->series, col, ic_sim_now(f->sim), value), "a time-series update");
}

static void count(ic_fleet *f, size_t col) {
  if (f->series) ic__check(f, ic_series_count(f->series, col, ic_sim_now(f->sim), 1.0), "a time-series update");
}

void ic__set_gpu_state(ic_fleet *f, int64_t r, enum ic_gpu_state to) {
  struct ic__replica *rep = &f->replicas[r];
  if (rep->gpu_state == to) return;
  if (f->ledger)
    ic_ledger_set_state(f->ledger, rep->node, f->gpus_per_replica, rep->gpu_state, to, ic_sim_now(f->sim));
  rep->gpu_state = to;
  if (f->ledger) ic__gauge(f, f->col.power, ic_ledger_power_w(f->ledger));
}

void ic__count_queued(ic_fleet *f, int64_t delta) {
  f->queued += delta;
  ic__gauge(f, f->col.queue_length, (double)f->queued);
}

void ic__count_busy(ic_fleet *f, int64_t delta) {
  f->busy_replicas += delta;
  ic__gauge(f, f->col.busy_replicas, (double)f->busy_replicas);
}

void ic__queue_push(ic_fleet *f, int64_t r, uint32_t idx, bool front) {
  struct ic__replica *rep = &f->replicas[r];
  if (front) {
    f->pool[idx].next = rep->queue_head;
    rep->queue_head = idx;
    if (rep->queue_tail == IC__NONE) rep->queue_tail = idx;
  } else {
    f->pool[idx].next = IC__NONE;
    if (rep->queue_tail == IC__NONE)
      rep->queue_head = idx;
    else
      f->pool[rep->queue_tail].next = idx;
    rep->queue_tail = idx;
  }
  rep->queue_len++;
  ic__count_queued(f, +1);
}

uint32_t ic__queue_pop(ic_fleet *f, int64_t r) {
  struct ic__replica *rep = &f->replicas[r];
  uint32_t idx = rep->queue_head;
  rep->queue_head = f->pool[idx].next;
  if (rep->queue_head == IC__NONE) rep->queue_tail = IC__NONE;
  rep->queue_len--;
  f->pool[idx].next = IC__NONE;
  ic__count_queued(f, -1);
  return idx;
}

/* Central router: hands queued requests to replica r while it has room. */
void ic__refill(ic_fleet *f, int64_t r) {
  if (f->serving.router != IC_ROUTER_CENTRAL) return;
  struct ic__replica *rep = &f->replicas[r];
  for (;;) {
    bool room = f->serving.batching == IC_BATCHING_STATIC
                    ? rep->batch_head == IC__NONE && rep->queue_len < f->serving.max_batch
                    : rep->queue_len + rep->running_len < f->serving.max_batch;
    if (!room || f->central_len == 0) return;
    uint32_t idx = f->central_head;
    f->central_head = f->pool[idx].next;
    if (f->central_head == IC__NONE) f->central_tail = IC__NONE;
    f->central_len--;
    ic__count_queued(f, -1);
    ic__queue_push(f, r, idx, false);
    ic__add_load(f, r, 1, f->pool[idx].req.prompt_tokens + f->pool[idx].req.output_tokens);
  }
}

bool ic__node_ready(ic_fleet *f, int64_t r) {
  struct ic__node *n = &f->nodes[f->replicas[r].node];
  if (n->off) ic__power_wake(f, f->replicas[r].node);
  return ic_sim_now(f->sim) >= n->ready_ns;
}

void ic__admitted(ic_fleet *f, uint32_t idx) {
  struct ic__request *pr = &f->pool[idx];
  if (pr->start_ns >= 0) return;
  pr->start_ns = ic_sim_now(f->sim);
  double wait = ic_time_to_s(pr->start_ns - pr->req.arrival_ns);
  ic__check(f, ic_sketch_add2(f->stats.wait_s, f->stats.classes[pr->req.class_id].wait_s, wait), "a queueing-delay sketch update");
}

void ic__first_token(ic_fleet *f, uint32_t idx) {
  struct ic__request *pr = &f->pool[idx];
  if (pr->first_token_ns >= 0) return;
  pr->first_token_ns = ic_sim_now(f->sim);
  f->work.prompt_tokens += (double)pr->req.prompt_tokens;
  double ttft = ic_time_to_s(pr->first_token_ns - pr->req.arrival_ns);
  ic__check(f, ic_sketch_add2(f->stats.ttft_s, f->stats.classes[pr->req.class_id].ttft_s, ttft), "a TTFT sketch update");
}

static void in_system(ic_fleet *f, int64_t delta) {
  f->in_flight = (uint64_t)((int64_t)f->in_flight + delta);
  ic_time_avg_set(&f->stats.in_system, ic_sim_now(f->sim), (double)f->in_flight);
}

static void release(ic_fleet *f, uint32_t idx) {
  f->pool[idx].next = f->pool_free;
  f->pool_free = idx;
}

/* Records request idx's latencies and frees it. A missing target counts as met. */
void ic__request_done(ic_fleet *f, int64_t r, uint32_t idx) {
  struct ic__request *pr = &f->pool[idx];
  ic_time_ns now = ic_sim_now(f->sim);
  struct ic_class_stats *cls = &f->stats.classes[pr->req.class_id];
  double e2e = ic_time_to_s(now - pr->req.arrival_ns), ttft = ic_time_to_s(pr->first_token_ns - pr->req.arrival_ns);
  ic__check(f, ic_sketch_add2(f->stats.e2e_s, cls->e2e_s, e2e), "an end-to-end sketch update");
  double tpot = 0.0;
  if (pr->req.output_tokens > 1) {
    tpot = (e2e - ttft) / (double)(pr->req.output_tokens - 1);
    ic__check(f, ic_sketch_add2(f->stats.tpot_s, cls->tpot_s, tpot), "a TPOT sketch update");
  }
  bool ok = !(ttft > cls->ttft_target_s) && !(tpot > cls->tpot_target_s) && !(e2e > cls->e2e_target_s);
  cls->completed++;
  if (ok) cls->slo_met++;
  f->stats.completed++;
  f->stats.prompt_tokens_done += pr->req.prompt_tokens;
  f->stats.output_tokens_done += pr->req.output_tokens;
  ic__notify(f, IC_SERVE_REQUEST_DONE, r, 1, pr->req.id);
  ic__add_load(f, r, -1, -(pr->req.prompt_tokens + pr->req.output_tokens));
  count(f, f->col.completions);
  in_system(f, -1);
  release(f, idx);
}

static bool grow_pool(ic_fleet *f) {
  uint32_t old = f->pool_cap, cap = old ? old * 2 : 1024;
  if (cap <= old || cap >= IC__NONE) return false;
  struct ic__request *p = realloc(f->pool, (size_t)cap * sizeof *p);
  if (!p) return false;
  for (uint32_t i = old; i < cap; i++) p[i].next = i + 1 < cap ? i + 1 : f->pool_free;
  f->pool = p;
  f->pool_free = old;
  f->pool_cap = cap;
  return true;
}

static void reject(ic_fleet *f) {
  f->stats.rejected++;
  count(f, f->col.rejections);
}

static void kick(ic_fleet *f, int64_t r, bool was_queue_empty) {
  if (f->serving.batching == IC_BATCHING_STATIC)
    ic__static_kick(f, r);
  else
    ic__cont_kick(f, r, was_queue_empty);
}

ic_status ic_fleet_submit(ic_fleet *f, const struct ic_request *req) {
  if (f->status != IC_OK) return f->status;
  f->stats.arrived++;
  count(f, f->col.arrivals);
  /* A request whose whole context cannot sit in one replica's KV cache
   * would never finish. */
  if (req->prompt_tokens + req->output_tokens > f->kv_capacity) {
    reject(f);
    return IC_OK;
  }
  int64_t max_queue = f->serving.max_queue;
  int64_t r = f->serving.router == IC_ROUTER_CENTRAL ? ic__router_top(f) : ic__route(f);
  if (max_queue > 0 && (f->serving.router == IC_ROUTER_CENTRAL ? f->central_len : f->replicas[r].queue_len) >= max_queue) {
    reject(f);
    return IC_OK;
  }
  if (f->pool_free == IC__NONE && !grow_pool(f)) return IC_ENOMEM;
  uint32_t idx = f->pool_free;
  struct ic__request *pr = &f->pool[idx];
  f->pool_free = pr->next;
  int cls = req->class_id >= 0 && (size_t)req->class_id < f->stats.class_count ? req->class_id : 0;
  *pr = (struct ic__request){*req, -1, -1, req->prompt_tokens, 0, 0, IC__NONE};
  pr->req.class_id = cls;
  in_system(f, +1);
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
    if (f->replicas[r].queue_len > 0) kick(f, r, was_empty);
    return f->status;
  }
  bool was_empty = f->replicas[r].queue_len == 0;
  ic__queue_push(f, r, idx, false);
  ic__add_load(f, r, 1, req->prompt_tokens + req->output_tokens);
  kick(f, r, was_empty);
  return f->status;
}

static void free_stats(struct ic_fleet_stats *st) {
  ic_sketch_free(st->e2e_s);
  ic_sketch_free(st->ttft_s);
  ic_sketch_free(st->wait_s);
  ic_sketch_free(st->tpot_s);
  free(st->batch_hist);
  for (size_t c = 0; c < IC_TRAFFIC_MAX_CLASSES; c++) {
    ic_sketch_free(st->classes[c].e2e_s);
    ic_sketch_free(st->classes[c].ttft_s);
    ic_sketch_free(st->classes[c].tpot_s);
    ic_sketch_free(st->classes[c].wait_s);
  }
}

static bool alloc_stats(struct ic_fleet_stats *st) {
  double e = IC_SKETCH_DEFAULT_REL_ERR;
  st->e2e_s = ic_sketch_alloc(e);
  st->ttft_s = ic_sketch_alloc(e);
  st->wait_s = ic_sketch_alloc(e);
  st->tpot_s = ic_sketch_alloc(e);
  bool ok = st->e2e_s && st->ttft_s && st->wait_s && st->tpot_s;
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
  ic_fleet *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->sim = sim;
  f->serving = *serving;
  f->perf = perf;
  f->ledger = ledger;
  f->gpus_per_replica = fleet->gpus_per_replica;
  f->replicas_per_node = fleet->gpus_per_node / fleet->gpus_per_replica;
  f->node_count = fleet->nodes;
  f->replica_count = fleet->nodes * f->replicas_per_node;
  f->timeout_ns = ic_duration_from_s(serving->batch_timeout_s);
  f->kv_capacity = (int64_t)floor(perf->kv_capacity_tokens);
  f->pool_free = IC__NONE;
  f->central_head = f->central_tail = IC__NONE;
  f->use_heap = serving->router == IC_ROUTER_LEAST_OUTSTANDING || serving->router == IC_ROUTER_LEAST_TOKENS ||
                serving->router == IC_ROUTER_CENTRAL;
  f->rng = ic_sim_rng(sim, "serving.router");
  f->replicas = calloc((size_t)f->replica_count, sizeof *f->replicas);
  f->nodes = calloc((size_t)f->node_count, sizeof *f->nodes);
  f->heap = malloc((size_t)f->replica_count * sizeof *f->heap);
  f->heap_pos = malloc((size_t)f->replica_count * sizeof *f->heap_pos);
  ic_time_avg_init(&f->stats.in_system, 0, 0.0);
  if (!f->replicas || !f->nodes || !f->heap || !f->heap_pos || !f->rng || !alloc_stats(&f->stats) ||
      !(f->stats.batch_hist = calloc((size_t)serving->max_batch + 1, sizeof *f->stats.batch_hist)) ||
      !ic__static_init(f) || !ic__cont_init(f) || !grow_pool(f)) {
    ic_fleet_free(f);
    return NULL;
  }
  for (int64_t r = 0; r < f->replica_count; r++) {
    f->replicas[r] = (struct ic__replica){.queue_head = IC__NONE, .queue_tail = IC__NONE, .batch_head = IC__NONE,
                                          .gpu_state = IC_GPU_IDLE, .node = r / f->replicas_per_node,
                                          .first_done_step = INT64_MAX};
    f->heap[r] = (struct ic__heap_entry){0, r}; /* all loads 0: index order is already a heap */
    f->heap_pos[r] = r;
  }
  struct ic_traffic_class one = {.name = "default", .share = 1.0, .ttft_target_s = (double)NAN,
                                 .tpot_target_s = (double)NAN};
  ic_fleet_set_classes(f, &one, 1);
  return f;
}

void ic_fleet_set_observer(ic_fleet *f, ic_serve_observer_fn *fn, void *ctx) {
  f->observer = fn;
  f->observer_ctx = ctx;
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
}

ic_status ic_fleet_attach_series(ic_fleet *f, ic_series *series) {
  struct {
    const char *name;
    enum ic_series_kind kind;
    size_t *col;
  } cols[] = {
      {"arrivals", IC_SERIES_COUNTER, &f->col.arrivals},
      {"completions", IC_SERIES_COUNTER, &f->col.completions},
      {"rejections", IC_SERIES_COUNTER, &f->col.rejections},
      {"queue_length", IC_SERIES_GAUGE, &f->col.queue_length},
      {"busy_replicas", IC_SERIES_GAUGE, &f->col.busy_replicas},
      {"running_requests", IC_SERIES_GAUGE, &f->col.running},
      {"nodes_off", IC_SERIES_GAUGE, &f->col.nodes_off},
      {"it_power_w", IC_SERIES_GAUGE, &f->col.power},
  };
  for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
    ic_status st = ic_series_add_column(series, cols[i].name, cols[i].kind, cols[i].col);
    if (st != IC_OK) return st;
  }
  f->series = series;
  /* Gauges start at 0: give each its present value. */
  ic__gauge(f, f->col.queue_length, (double)f->queued);
  ic__gauge(f, f->col.busy_replicas, (double)f->busy_replicas);
  ic__gauge(f, f->col.running, (double)f->running_requests);
  ic__gauge(f, f->col.nodes_off, (double)f->nodes_off);
  if (f->ledger) ic__gauge(f, f->col.power, ic_ledger_power_w(f->ledger));
  return f->status;
}

void ic_fleet_close(ic_fleet *f, ic_time_ns end_ns) {
  if (f->serving.batching == IC_BATCHING_STATIC)
    ic__static_close(f, end_ns);
  else
    ic__cont_close(f, end_ns);
}

/* dur_s seconds of one replica running `running` requests holding
 * kv_tokens KV-cache tokens. */
void ic__work_time(struct ic_fleet_work *w, double dur_s, double running, double kv_tokens) {
  w->busy_replica_s += dur_s;
  w->slot_s += running * dur_s;
  w->kv_token_s += kv_tokens * dur_s;
}

/* Adds to o what replica r's running span or batch has done by now. */
static void open_work(const ic_fleet *f, int64_t r, ic_time_ns now, struct ic__open *o) {
  if (f->serving.batching == IC_BATCHING_STATIC)
    ic__static_open(f, r, now, o);
  else
    ic__cont_open(f, r, now, o);
}

void ic_fleet_work_so_far(const ic_fleet *f, struct ic_fleet_work *out) {
  struct ic__open o = {f->work, 0, 0, 0};
  for (int64_t r = 0; r < f->replica_count; r++) open_work(f, r, ic_sim_now(f->sim), &o);
  *out = o.work;
}

ic_status ic_fleet_start_window(ic_fleet *f) {
  ic_time_ns now = ic_sim_now(f->sim);
  struct ic_fleet_stats *st = &f->stats;
  struct ic_fleet_stats fresh = {0};
  if (!alloc_stats(&fresh)) {
    free_stats(&fresh);
    ic__check(f, IC_ENOMEM, "starting the counted window");
    return IC_ENOMEM;
  }
  fresh.batch_hist = st->batch_hist;
  st->batch_hist = NULL;
  memset(fresh.batch_hist, 0, ((size_t)f->serving.max_batch + 1) * sizeof *fresh.batch_hist);
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
  st->in_flight_at_start = f->in_flight;
  /* Busy time of what is running counts from now: start each replica's
   * account below zero by the part already run. */
  for (int64_t r = 0; r < f->replica_count; r++) {
    struct ic__open o = {{0}, 0, 0, 0};
    open_work(f, r, now, &o);
    if (o.iters) ic__cont_uncount(f, r, o.iters);
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
  if (f->replicas)
    for (int64_t r = 0; r < f->replica_count; r++) free(f->replicas[r].running);
  free(f->replicas);
  free(f->nodes);
  free(f->heap);
  free(f->heap_pos);
  free(f->fit_tree);
  free(f->service_cache);
  free(f->decode_lines);
  free(f->pool);
  free_stats(&f->stats);
  free(f);
}
