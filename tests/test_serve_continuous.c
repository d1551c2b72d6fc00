/* test_serve_continuous.c: continuous batching: the skipping mode against
 * the token-by-token reference, conservation at every report, Little's law,
 * routers, and idle power-down. */
#define _POSIX_C_SOURCE 200809L
#include "ic_test.h"
#include "ic_test_perf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "infercost/cost.h"
#include "infercost/run.h"
#include "infercost/scenario.h"
#include "infercost/serve.h"
#include "infercost/sim.h"

#include "ic_test_diag.h"

static void set(struct ic_scenario *s, const char *kv) { assert_int_equal(ic_scenario_set(s, kv, "test"), IC_OK); }

/* ---- skip vs token ------------------------------------------------------- */

#define MAX_REQ 4000

struct done_log {
  ic_time_ns done_ns[MAX_REQ];
  uint64_t preempted;
};

static void log_done(void *ctx, const struct ic_serve_event *ev) {
  struct done_log *log = ctx;
  if (ev->kind == IC_SERVE_REQUEST_DONE && ev->first_request_id < MAX_REQ) log->done_ns[ev->first_request_id] = ev->time_ns;
  if (ev->kind == IC_SERVE_PREEMPT) log->preempted++;
}

struct workload {
  struct ic_request req[MAX_REQ];
  size_t n;
};

static void arrive(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  void **pair = ctx;
  ic_fleet *f = pair[0];
  const struct workload *w = pair[1];
  assert_int_equal(ic_fleet_submit(f, &w->req[arg]), IC_OK);
}

/* Poisson arrivals at `rate` per second; prompts uniform in [8, 700],
 * outputs in [1, 260]: varied lengths so completions fall everywhere in a
 * span, and bursts so batches fill and the small KV cache overflows. */
static void make_workload(struct workload *w, size_t n, double rate, unsigned long seed) {
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, seed);
  double t = 0;
  for (size_t i = 0; i < n; i++) {
    t += gsl_ran_exponential(rng, 1.0 / rate);
    /* Every seventh arrival lands exactly on the previous one: ties. */
    if (i % 7 == 6) t = ic_time_to_s(w->req[i - 1].arrival_ns);
    w->req[i] = (struct ic_request){i, ic_time_from_s(t), 8 + (int64_t)gsl_rng_uniform_int(rng, 693),
                                    1 + (int64_t)gsl_rng_uniform_int(rng, 260), 0, 0, 0};
  }
  w->n = n;
  gsl_rng_free(rng);
}

struct mode_case {
  const char *name;
  int64_t chunk;        /* serving.prefill_chunk_tokens */
  int router;
  int64_t replicas;
  double kv_tokens;     /* per replica: small, to force preemptions */
  double rate;          /* arrivals per second */
  unsigned long seed;
};

static uint64_t run_mode(const struct mode_case *c, const struct workload *w, int step_mode, struct done_log *log,
                         uint64_t *preemptions) {
  struct ic_perf perf = ic_test_llama7b_h100();
  perf.kv_capacity_tokens = c->kv_tokens;
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", c->replicas, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_CONTINUOUS, .router = c->router, .max_batch = 12,
                                 .prefill_chunk_tokens = c->chunk, .step_mode = step_mode,
                                 .slo_ttft_s = 1, .slo_tpot_s = 1};
  ic_sim *sim = ic_sim_alloc(c->seed, 0);
  ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, NULL);
  assert_non_null(f);
  ic_fleet_set_observer(f, log_done, log);
  void *pair[2] = {f, (void *)(uintptr_t)w};
  for (size_t i = 0; i < w->n; i++) ic_sim_schedule_at(sim, w->req[i].arrival_ns, arrive, pair, i);
  ic_sim_run_until(sim, IC_TIME_NEVER - 1);
  const struct ic_fleet_stats *st = ic_fleet_stats(f);
  assert_int_equal(st->completed, w->n);
  assert_int_equal(ic_fleet_in_flight(f), 0);
  *preemptions = st->preemptions;
  uint64_t events = ic_sim_events_run(sim);
  ic_fleet_free(f);
  ic_sim_free(sim);
  return events;
}

static void skip_matches_token(void **state) {
  const struct mode_case *c = *state;
  static struct workload w;
  static struct done_log skip, token;
  make_workload(&w, 1500, c->rate, c->seed);
  skip = (struct done_log){{0}, 0};
  token = (struct done_log){{0}, 0};
  uint64_t pre_skip, pre_token;
  uint64_t ev_skip = run_mode(c, &w, IC_STEP_SKIP, &skip, &pre_skip);
  uint64_t ev_token = run_mode(c, &w, IC_STEP_TOKEN, &token, &pre_token);
  ic_time_ns worst = 0;
  for (size_t i = 0; i < w.n; i++) {
    ic_time_ns d = llabs(skip.done_ns[i] - token.done_ns[i]);
    if (d > worst) worst = d;
    assert_true(skip.done_ns[i] > w.req[i].arrival_ns);
  }
  printf("# %s: %zu requests, %llu preemptions, events %llu (skip) / %llu (token), largest difference %lld ns\n",
         c->name, w.n, (unsigned long long)pre_skip, (unsigned long long)ev_skip, (unsigned long long)ev_token,
         (long long)worst);
  assert_true(ev_skip * 2 < ev_token); /* it did skip */
  assert_int_equal(worst, 0); /* both modes sum the same integer step times: exactly equal */
  assert_int_equal(pre_skip, pre_token);
  if (c->kv_tokens < 3000) assert_true(pre_skip > 0); /* the cases meant to preempt did */
}

static const struct mode_case mode_cases[] = {
    {"whole prefills, tight KV", 0, IC_ROUTER_LEAST_OUTSTANDING, 2, 2600, 9.0, 11},
    {"chunked 128, tight KV", 128, IC_ROUTER_LEAST_OUTSTANDING, 2, 2600, 9.0, 12},
    {"chunked 512, roomy KV, power of two", 512, IC_ROUTER_POWER_OF_TWO, 3, 60000, 12.0, 13},
    {"whole prefills, light load, random", 0, IC_ROUTER_RANDOM, 3, 3100, 3.0, 14},
    {"chunked 64, least tokens", 64, IC_ROUTER_LEAST_TOKENS, 2, 3300, 8.0, 15},
    {"whole prefills, tight KV, central queue", 0, IC_ROUTER_CENTRAL, 3, 2500, 12.0, 17},
};

/* ---- a continuous timeline by hand ------------------------------------------ */

struct event_log {
  struct ic_serve_event ev[16];
  int n;
};

static void log_event(void *ctx, const struct ic_serve_event *ev) {
  struct event_log *log = ctx;
  if (log->n < 16) log->ev[log->n++] = *ev;
}

static ic_time_ns shape_ns(const struct ic_perf *perf, struct ic_iter_shape shape) {
  return ic_time_from_s(ic_perf_iter_s(perf, &shape, NULL));
}

/* One H100 replica, batches of up to 4, continuous, logging to `log`. */
static ic_fleet *hand_fleet(const struct ic_perf *perf, int step_mode, ic_sim **sim, struct event_log *log) {
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_CONTINUOUS, .router = IC_ROUTER_ROUND_ROBIN,
                                 .max_batch = 4, .step_mode = step_mode, .slo_ttft_s = 1, .slo_tpot_s = 1};
  *sim = ic_sim_alloc(3, 0);
  ic_fleet *f = ic_fleet_alloc(*sim, &fc, &sc, perf, NULL);
  ic_fleet_set_observer(f, log_event, log);
  return f;
}

/* One replica, no chunking. A (prompt 100, output 3) arrives at 0; B
 * (prompt 50, output 3) arrives 1 us into A's first decode step.
 *   [0, t1)   prefill A (100 tokens)          -> A's first token at t1
 *   [t1, t2)  decode A (context 100)           B arrives inside: waits for t2
 *   [t2, t3)  prefill B (50 tokens), A waits   -> B's first token at t3
 *   [t3, t4)  decode A (101) and B (50)        -> A has 3 tokens: done at t4
 *   [t4, t5)  decode B (51)                    -> B done at t5
 * Each step's time is the perf model's time of that shape; the fleet's
 * linearised decode time may differ by rounding, so allow 2 ns per step. */
static void continuous_timeline_by_hand(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  ic_time_ns t1 = shape_ns(&perf, ic_iter_shape_prefill_chunk(100, 0));
  ic_time_ns t2 = t1 + shape_ns(&perf, ic_iter_shape_decode(1, 100));
  ic_time_ns t3 = t2 + shape_ns(&perf, ic_iter_shape_prefill_chunk(50, 0));
  int64_t ctx[2] = {101, 50};
  ic_time_ns t4 = t3 + shape_ns(&perf, ic_iter_shape_decode_each(ctx, 2));
  ic_time_ns t5 = t4 + shape_ns(&perf, ic_iter_shape_decode(1, 51));

  for (int mode = IC_STEP_SKIP; mode <= IC_STEP_TOKEN; mode++) {
    ic_sim *sim;
    struct event_log log = {.n = 0};
    ic_fleet *f = hand_fleet(&perf, mode, &sim, &log);
    static struct workload w;
    w.req[0] = (struct ic_request){0, 0, 100, 3, 0, 0, 0};
    w.req[1] = (struct ic_request){1, t1 + 1000, 50, 3, 0, 0, 0};
    w.n = 2;
    void *pair[2] = {f, &w};
    ic_sim_schedule_at(sim, 0, arrive, pair, 0);
    ic_sim_schedule_at(sim, t1 + 1000, arrive, pair, 1);
    ic_sim_run_until(sim, IC_TIME_NEVER - 1);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.ev[0].kind, IC_SERVE_REQUEST_DONE);
    assert_int_equal(log.ev[0].first_request_id, 0);
    assert_true(llabs(log.ev[0].time_ns - t4) <= 4 * 2);
    assert_int_equal(log.ev[1].first_request_id, 1);
    assert_true(llabs(log.ev[1].time_ns - t5) <= 5 * 2);
    /* TTFTs: A at t1, B at t3 - its arrival (exact min and max of the sketch). */
    const struct ic_fleet_stats *st = ic_fleet_stats(f);
    assert_true(fabs(ic_sketch_min(st->ttft_s) - ic_time_to_s(t1)) < 1e-12);
    assert_true(fabs(ic_sketch_max(st->ttft_s) - ic_time_to_s(t3 - t1 - 1000)) < 3e-9);
    /* Queueing delay: A none, B from its arrival to t2. */
    assert_true(fabs(ic_sketch_max(st->wait_s) - ic_time_to_s(t2 - t1 - 1000)) < 3e-9);
    assert_int_equal(st->batches, 5);           /* five iterations */
    assert_int_equal(st->batched_requests, 7);  /* 1 + 1 + 2 (A stays in the batch during B's prefill) + 2 + 1 */
    ic_fleet_free(f);
    ic_sim_free(sim);
  }
}

/* Four requests (prompt 2000, `output` tokens) at 0 on hand_fleet, in both
 * step modes: each must end at `done`, to `tol` ns. */
static void four_requests_end_at(const struct ic_perf *perf, int64_t output, ic_time_ns done, ic_time_ns tol) {
  for (int mode = IC_STEP_SKIP; mode <= IC_STEP_TOKEN; mode++) {
    ic_sim *sim;
    struct event_log log = {.n = 0};
    ic_fleet *f = hand_fleet(perf, mode, &sim, &log);
    for (uint64_t i = 0; i < 4; i++) {
      struct ic_request req = {i, 0, 2000, output, 0, 0, 0};
      assert_int_equal(ic_fleet_submit(f, &req), IC_OK);
    }
    ic_sim_run_until(sim, IC_TIME_NEVER - 1);
    assert_int_equal(log.n, 4);
    for (int i = 0; i < 4; i++) assert_true(llabs(log.ev[i].time_ns - done) <= tol);
    ic_fleet_free(f);
    ic_sim_free(sim);
  }
}

/* Issue 11 item 7: with the dense layers compute-bound (compute efficiency
 * 0.002) and attention memory-bound (its memory efficiency 0.1), a decode
 * step is their sum, as the compute model says; a max() over summed parts
 * would be a third shorter. Four requests (prompt 2000, output 5) at 0: one
 * prefill of all four, then four decode steps of contexts 2000 + i each.
 * Each step rounds once to the clock: at most 1 ns per step either way. */
static void decode_step_is_the_compute_model(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  perf.params.compute_efficiency = 0.002;
  perf.params.attention_memory_efficiency = 0.1;
  struct ic_iter_shape prefill = {0};
  for (int i = 0; i < 4; i++) prefill = ic_iter_shape_add(prefill, ic_iter_shape_prefill_chunk(2000, 0));
  ic_time_ns done = shape_ns(&perf, prefill);
  for (int64_t i = 0; i < 4; i++) done += shape_ns(&perf, ic_iter_shape_decode(4, 2000 + i));
  struct ic_iter_shape probe = ic_iter_shape_decode(4, 2000);
  struct ic_perf_breakdown b;
  ic_perf_iter_s(&perf, &probe, &b);
  assert_true(b.compute_s - b.attn_compute_s > b.memory_s - b.attn_memory_s && b.attn_memory_s > b.attn_compute_s);
  four_requests_end_at(&perf, 5, done, 4);
}

/* A decode span with a launch floor (perf.launch_floor_per_layer_s) that
 * binds for its first steps and not its last: four requests (prompt 2000,
 * output 41) at 0, one prefill, then 40 decode steps of contexts 2000 + i;
 * the floor is set to the GPU work of step 20, so steps 0-19 run at the
 * floor and the rest above it. The span's summed end is the step-by-step
 * sum of the compute model's iterations (each rounding once: 1 ns a step). */
static void decode_span_with_launch_floor(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  struct ic_iter_shape mid = ic_iter_shape_decode(4, 2020);
  struct ic_perf_breakdown b;
  ic_perf_iter_s(&perf, &mid, &b);
  perf.params.launch_floor_per_layer_s = (b.dense_s + b.attention_s + b.comm_s) / 32.0; /* llama2-7b: 32 layers */
  struct ic_iter_shape prefill = {0};
  for (int i = 0; i < 4; i++) prefill = ic_iter_shape_add(prefill, ic_iter_shape_prefill_chunk(2000, 0));
  ic_time_ns done = shape_ns(&perf, prefill);
  int floored = 0;
  for (int64_t i = 0; i < 40; i++) {
    struct ic_iter_shape d = ic_iter_shape_decode(4, 2000 + i);
    done += ic_time_from_s(ic_perf_iter_s(&perf, &d, &b));
    floored += b.launch_s > 0;
  }
  assert_true(floored >= 19 && floored <= 21); /* the floor binds for about half the span */
  four_requests_end_at(&perf, 41, done, 41);
}

/* Chunked prefill by hand: C = 64, one request of prompt 100, output 2:
 * chunk 64, chunk 36 over a cached 64 (first token), one decode (done). */
static void chunked_prefill_by_hand(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  ic_time_ns first = shape_ns(&perf, ic_iter_shape_prefill_chunk(64, 0)) +
                     shape_ns(&perf, ic_iter_shape_prefill_chunk(36, 64));
  ic_time_ns done = first + shape_ns(&perf, ic_iter_shape_decode(1, 100));
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_CONTINUOUS, .router = IC_ROUTER_ROUND_ROBIN,
                                 .max_batch = 4, .prefill_chunk_tokens = 64, .slo_ttft_s = 1, .slo_tpot_s = 1};
  ic_sim *sim = ic_sim_alloc(3, 0);
  ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, NULL);
  struct event_log log = {.n = 0};
  ic_fleet_set_observer(f, log_event, &log);
  struct ic_request req = {0, 0, 100, 2, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(f, &req), IC_OK);
  ic_sim_run_until(sim, IC_TIME_NEVER - 1);
  assert_int_equal(log.n, 1);
  assert_true(llabs(log.ev[0].time_ns - done) <= 2);
  const struct ic_fleet_stats *st = ic_fleet_stats(f);
  assert_true(fabs(ic_sketch_min(st->ttft_s) - ic_time_to_s(first)) < 1e-12);
  assert_int_equal(st->batches, 3);
  ic_fleet_free(f);
  ic_sim_free(sim);
}

/* One H100, chunks of 64 tokens, a one-GPU ledger: the power-split rig. */
struct split_rig {
  ic_ledger *l;
  ic_sim *sim;
  ic_fleet *f;
};

static struct split_rig split_rig_open(const struct ic_perf *perf) {
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_CONTINUOUS, .router = IC_ROUTER_ROUND_ROBIN,
                                 .max_batch = 4, .prefill_chunk_tokens = 64, .slo_ttft_s = 1, .slo_tpot_s = 1};
  struct ic_gpu_power gp = {{75.0, 700.0, 380.0, 0.0}};
  struct split_rig r;
  r.l = ic_ledger_alloc(1, 1, 0.0, &gp, 0);
  r.sim = ic_sim_alloc(3, 0);
  r.f = ic_fleet_alloc(r.sim, &fc, &sc, perf, r.l);
  return r;
}

/* Flushes at t1 + t2 and checks: prefill power over [0, t1) and over the
 * mixed iteration's prefill share tp / (tp + td) of t2, decode the rest. */
static void split_rig_check(struct split_rig *r, ic_time_ns t1, ic_time_ns t2, const struct ic_iter_shape *prefill,
                            const struct ic_iter_shape *decode, const struct ic_perf *perf) {
  double tp = ic_perf_iter_s(perf, prefill, NULL), td = ic_perf_iter_s(perf, decode, NULL);
  double t2_prefill = ic_time_to_s(ic_time_from_s(ic_time_to_s(t2) * tp / (tp + td)));
  ic_ledger_flush(r->l, t1 + t2);
  assert_true(t2_prefill > 0 && t2_prefill < ic_time_to_s(t2));
  assert_true(fabs(ic_ledger_gpu_state_s(r->l, IC_GPU_PREFILL) - (ic_time_to_s(t1) + t2_prefill)) < 3e-9);
  assert_true(fabs(ic_ledger_gpu_state_s(r->l, IC_GPU_DECODE) - (ic_time_to_s(t2) - t2_prefill)) < 3e-9);
  ic_fleet_free(r->f);
  ic_ledger_free(r->l);
  ic_sim_free(r->sim);
}

/* Power of a mixed iteration, by hand. C = 64; A (prompt 64, output 2)
 * arrives at 0: iteration 1 prefills it alone (prefill power). B (prompt
 * 32, output 1) arrives 1 ns later: iteration 2 decodes A's second token and
 * prefills B, the only mixed iteration; both finish with it. Its time T2
 * splits by the parts' own times tp, td: prefill tp / (tp + td) of T2,
 * decode the rest. One GPU, so GPU-seconds are replica-seconds. */
static void mixed_iteration_power_by_hand(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  struct ic_iter_shape b_prefill = ic_iter_shape_prefill_chunk(32, 0), a_decode = ic_iter_shape_decode(1, 64);
  ic_time_ns t1 = shape_ns(&perf, ic_iter_shape_prefill_chunk(64, 0));
  ic_time_ns t2 = shape_ns(&perf, ic_iter_shape_add(a_decode, b_prefill));
  struct split_rig r = split_rig_open(&perf);
  struct ic_request a = {0, 0, 64, 2, 0, 0, 0}, b = {1, 1, 32, 1, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(r.f, &a), IC_OK);
  ic_sim_run_until(r.sim, 1);
  assert_int_equal(ic_fleet_submit(r.f, &b), IC_OK);
  ic_sim_run_until(r.sim, IC_TIME_NEVER - 1);
  assert_int_equal(ic_fleet_stats(r.f)->completed, 2);
  split_rig_check(&r, t1, t2, &b_prefill, &a_decode, &perf);
}

/* Issue 11 item 8: a mixed iteration re-planned at its own start leaves no
 * stale power split behind. C = 64. A (prompt 64, output 3) at 0: iteration
 * 1 prefills it [0, t1). B (prompt 32, output 2) at 1 ns waits for t1, where
 * a mixed iteration (A's decode, B's 32-token prefill) is planned with its
 * split. C (prompt 32, output 2) arrives at t1 after that boundary: the
 * iteration starts now, so it is planned again with C's 32 tokens too. Only
 * the second plan's split may act: prefill power for t1 plus that plan's
 * prefill share (the parts' own times, by hand below), decode the rest. */
static void replanned_mixed_iteration_power(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  struct ic_iter_shape a_decode = ic_iter_shape_decode(1, 64);
  struct ic_iter_shape bc_prefill = ic_iter_shape_add(ic_iter_shape_prefill_chunk(32, 0), ic_iter_shape_prefill_chunk(32, 0));
  ic_time_ns t1 = shape_ns(&perf, ic_iter_shape_prefill_chunk(64, 0));
  ic_time_ns t2 = shape_ns(&perf, ic_iter_shape_add(a_decode, bc_prefill));
  struct split_rig r = split_rig_open(&perf);
  static struct workload w;
  w.req[0] = (struct ic_request){0, 0, 64, 3, 0, 0, 0};
  w.req[1] = (struct ic_request){1, 1, 32, 2, 0, 0, 0};
  w.req[2] = (struct ic_request){2, t1, 32, 2, 0, 0, 0};
  w.n = 3;
  void *pair[2] = {r.f, &w};
  assert_int_equal(ic_fleet_submit(r.f, &w.req[0]), IC_OK); /* schedules t1 first: C comes after it */
  ic_sim_run_until(r.sim, 1);
  assert_int_equal(ic_fleet_submit(r.f, &w.req[1]), IC_OK);
  ic_sim_schedule_at(r.sim, t1, arrive, pair, 2);
  ic_sim_run_until(r.sim, t1 + t2);
  split_rig_check(&r, t1, t2, &bc_prefill, &a_decode, &perf);
}

/* Issue 11 item 10: failures inside the fleet are not dropped. (a) A series
 * that starts at 10 s refuses the values recorded at 0: attaching it fails,
 * and so does every submit after.
 * (b) A request stamped as arriving in 100 s is admitted at the first
 * boundary, inside an event, with a negative queueing delay that its sketch
 * refuses: the fleet records the failure, reports it, and stops the run
 * before the other request completes. */
static void fleet_failures_propagate(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  ic_sim *sim;
  struct event_log log = {.n = 0};
  ic_fleet *f = hand_fleet(&perf, IC_STEP_SKIP, &sim, &log);
  ic_series *series = ic_series_alloc(ic_time_from_s(10), ic_time_from_s(1));
  assert_int_equal(ic_fleet_attach_series(f, series), IC_EINTERNAL); /* its gauges' values at 0 */
  struct ic_request a = {0, 0, 100, 50, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(f, &a), IC_EINTERNAL);
  assert_int_equal(ic_fleet_status(f), IC_EINTERNAL);
  assert_non_null(strstr(diag.text, "serving: a time-series update failed"));
  ic_fleet_free(f);
  ic_series_free(series);
  ic_sim_free(sim);

  diag.len = 0;
  diag.text[0] = '\0';
  f = hand_fleet(&perf, IC_STEP_SKIP, &sim, &log);
  struct ic_request b = {1, ic_time_from_s(100), 100, 50, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(f, &a), IC_OK);
  ic_sim_run_until(sim, 1);
  assert_int_equal(ic_fleet_submit(f, &b), IC_OK); /* queued behind a's prefill */
  ic_sim_run_until(sim, IC_TIME_NEVER - 1);
  assert_int_equal(ic_fleet_status(f), IC_EINTERNAL);
  assert_non_null(strstr(diag.text, "serving: a queueing-delay sketch update failed"));
  assert_int_equal(log.n, 0); /* stopped: a never completed */
  assert_int_equal(ic_fleet_submit(f, &a), IC_EINTERNAL);
  ic_fleet_free(f);
  ic_sim_free(sim);
}

/* A request of more prompt or output tokens than IC_REQUEST_TOKENS_MAX
 * (a running slot keeps them in 32 bits) is refused with IC_EINVAL before
 * anything is counted, and the fleet goes on; one at the limit is taken
 * and, longer than the replica's KV cache (about 10^5 tokens here), counted
 * as rejected. */
static void token_limit_refused(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  ic_sim *sim;
  struct event_log log = {.n = 0};
  ic_fleet *f = hand_fleet(&perf, IC_STEP_SKIP, &sim, &log);
  struct ic_request over_prompt = {0, 0, IC_REQUEST_TOKENS_MAX + 1, 50, 0, 0, 0};
  struct ic_request over_output = {1, 0, 100, IC_REQUEST_TOKENS_MAX + 1, 0, 0, 0};
  struct ic_request at_limit = {2, 0, IC_REQUEST_TOKENS_MAX, IC_REQUEST_TOKENS_MAX, 0, 0, 0};
  struct ic_request fine = {3, 0, 100, 50, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(f, &over_prompt), IC_EINVAL);
  assert_int_equal(ic_fleet_submit(f, &over_output), IC_EINVAL);
  assert_int_equal(ic_fleet_stats(f)->arrived, 0);
  assert_int_equal(ic_fleet_status(f), IC_OK);
  assert_int_equal(ic_fleet_submit(f, &at_limit), IC_OK);
  assert_int_equal(ic_fleet_stats(f)->rejected, 1);
  assert_int_equal(ic_fleet_submit(f, &fine), IC_OK);
  ic_sim_run_until(sim, IC_TIME_NEVER - 1);
  assert_int_equal(ic_fleet_stats(f)->arrived, 2);
  assert_int_equal(ic_fleet_stats(f)->completed, 1);
  assert_int_equal(log.n, 1);
  ic_fleet_free(f);
  ic_sim_free(sim);
}

struct done_order {
  uint64_t id[8];
  int n;
};

static void log_done_order(void *ctx, const struct ic_serve_event *ev) {
  struct done_order *o = ctx;
  if (ev->kind == IC_SERVE_REQUEST_DONE && o->n < 8) o->id[o->n++] = ev->first_request_id;
}

/* The order completions leave a batch in, by hand: one replica of
 * max_batch 2, no chunking (decodes wait for a prefill), six requests of
 * 10-token prompts at time 0 with outputs A 4, B 2, C 3, D 1, E 3, F 3
 * (a prefill yields the first token):
 *   prefill A, B; one decode step: B done (it was admitted after A but
 *     finishes first: the slots are not in finish order);
 *   prefill C (A waits: it has 2 tokens, C 1); two steps: A and C done at
 *     the same step, in admission order;
 *   prefill D and E: D's only token is its prefill's, done at its end;
 *   prefill F (E waits: both have 1 token); two steps: E, F done.
 * So B, A, C, D, E, F; the slots slide through and back to the start of
 * their block (2 x max_batch) on the way (complete_oldest, admit). */
static void completion_order_by_hand(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_CONTINUOUS, .router = IC_ROUTER_ROUND_ROBIN,
                                 .max_batch = 2, .step_mode = IC_STEP_SKIP, .slo_ttft_s = 1, .slo_tpot_s = 1};
  ic_sim *sim = ic_sim_alloc(3, 0);
  ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, NULL);
  assert_non_null(f);
  struct done_order order = {.n = 0};
  ic_fleet_set_observer(f, log_done_order, &order);
  const int64_t outputs[6] = {4, 2, 3, 1, 3, 3};
  for (uint64_t i = 0; i < 6; i++) {
    struct ic_request req = {i, 0, 10, outputs[i], 0, 0, 0};
    assert_int_equal(ic_fleet_submit(f, &req), IC_OK);
  }
  ic_sim_run_until(sim, IC_TIME_NEVER - 1);
  const uint64_t want[6] = {1, 0, 2, 3, 4, 5};
  assert_int_equal(order.n, 6);
  for (int i = 0; i < 6; i++) assert_int_equal(order.id[i], want[i]);
  assert_int_equal(ic_fleet_stats(f)->completed, 6);
  assert_int_equal(ic_fleet_in_flight(f), 0);
  ic_fleet_free(f);
  ic_sim_free(sim);
}

/* Each class's latency sketches hold its own requests' values (with one
 * class the fleet's: share_class_sketches in serve.c), through a change of
 * the classes and a window start. One replica, the requests of
 * completion_order_by_hand (all arriving at 0, so e2e is the completion
 * time the observer reports). */
struct done_times {
  ic_time_ns ns[8];
};

static void log_done_times(void *ctx, const struct ic_serve_event *ev) {
  struct done_times *d = ctx;
  if (ev->kind == IC_SERVE_REQUEST_DONE && ev->first_request_id < 8) d->ns[ev->first_request_id] = ev->time_ns;
}

static void class_sketches_by_class(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_CONTINUOUS, .router = IC_ROUTER_ROUND_ROBIN,
                                 .max_batch = 2, .step_mode = IC_STEP_SKIP, .slo_ttft_s = 1, .slo_tpot_s = 1};
  const int64_t outputs[6] = {4, 2, 3, 1, 3, 3};
  struct ic_traffic_class two[2] = {{.name = "a", .share = 0.5, .ttft_target_s = (double)NAN, .tpot_target_s = (double)NAN},
                                    {.name = "b", .share = 0.5, .ttft_target_s = (double)NAN, .tpot_target_s = (double)NAN}};
  for (int classes = 1; classes <= 2; classes++) {
    ic_sim *sim = ic_sim_alloc(3, 0);
    ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, NULL);
    assert_non_null(f);
    /* Two classes, then (classes = 1) back to one: both ways of the change. */
    ic_fleet_set_classes(f, two, 2);
    if (classes == 1) ic_fleet_set_classes(f, two, 1);
    struct done_times d = {{0}};
    ic_fleet_set_observer(f, log_done_times, &d);
    for (int round = 0; round < 2; round++) { /* the second after a window start */
      ic_time_ns t0 = ic_sim_now(sim);
      if (round == 1) assert_int_equal(ic_fleet_start_window(f), IC_OK);
      for (uint64_t i = 0; i < 6; i++) {
        struct ic_request req = {i, t0, 10, outputs[i], (int)(i % 2) % classes, 0, 0};
        assert_int_equal(ic_fleet_submit(f, &req), IC_OK);
      }
      ic_sim_run_until(sim, t0 + ic_time_from_s(10.0)); /* all done within it */
      const struct ic_fleet_stats *st = ic_fleet_stats(f);
      assert_int_equal(st->completed, 6);
      double max_e2e[2] = {0, 0}, all = 0;
      for (int i = 0; i < 6; i++) {
        double e2e = ic_time_to_s(d.ns[i] - t0);
        if (e2e > max_e2e[i % 2 % classes]) max_e2e[i % 2 % classes] = e2e;
        if (e2e > all) all = e2e;
      }
      assert_int_equal(ic_sketch_count(st->e2e_s), 6);
      assert_true(ic_sketch_max(st->e2e_s) == all);
      for (int c = 0; c < classes; c++) {
        const struct ic_class_stats *cs = &st->classes[c];
        assert_int_equal(ic_sketch_count(cs->e2e_s), 6 / classes);
        assert_int_equal(ic_sketch_count(cs->ttft_s), 6 / classes);
        assert_int_equal(ic_sketch_count(cs->wait_s), 6 / classes);
        assert_int_equal(ic_sketch_count(cs->tpot_s), (uint64_t)(classes == 1 ? 5 : c == 0 ? 3 : 2)); /* output > 1 */
        assert_true(ic_sketch_max(cs->e2e_s) == max_e2e[c]);
        assert_int_equal(cs->completed, 6 / classes);
      }
    }
    ic_fleet_free(f);
    ic_sim_free(sim);
  }
}

/* Issue 11 items 4 and 5: what a window counts, by hand. One request
 * (prompt 100, output 50) at 0 on one replica: prefill [0, t1) yields token
 * 1; decode step j = 1..49 (context 100 + j - 1, KV reserved the same)
 * yields token j + 1. The window starts 5 ns into step 4 and ends at the
 * completion. It must count the tokens of steps 4..49 (46), their FLOPs and
 * bytes from the model's own count, the running request's time after the
 * start, and the KV tokens it held then, step by step. */
static void window_counts_by_hand(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  ic_time_ns t = shape_ns(&perf, ic_iter_shape_prefill_chunk(100, 0)), w = 0;
  double flops = 0, bytes = 0, kv_token_s = 0;
  for (int64_t j = 1; j <= 49; j++) {
    struct ic_iter_shape step = ic_iter_shape_decode(1, 100 + j - 1);
    ic_time_ns d = shape_ns(&perf, step);
    if (j == 4) w = t + 5;
    if (j >= 4) {
      struct ic_iter_cost c = ic_model_iter_cost(perf.model, &perf.prec, &step);
      flops += c.flops;
      bytes += c.weight_bytes + c.act_bytes + c.kv_bytes;
      kv_token_s += (double)(100 + j - 1) * ic_time_to_s(j == 4 ? t + d - w : d);
    }
    t += d;
  }
  for (int mode = IC_STEP_SKIP; mode <= IC_STEP_TOKEN; mode++) {
    ic_sim *sim;
    struct event_log log = {.n = 0};
    ic_fleet *f = hand_fleet(&perf, mode, &sim, &log);
    struct ic_request req = {0, 0, 100, 50, 0, 0, 0};
    assert_int_equal(ic_fleet_submit(f, &req), IC_OK);
    ic_sim_run_until(sim, w);
    struct ic_fleet_work a, b;
    assert_int_equal(ic_fleet_start_window(f), IC_OK);
    ic_fleet_work_so_far(f, &a);
    ic_sim_run_until(sim, IC_TIME_NEVER - 1);
    assert_int_equal(log.n, 1);
    assert_true(llabs(log.ev[0].time_ns - t) <= 49);
    ic_sim_run_until(sim, t + 100); /* after the completion: nothing runs */
    ic_fleet_work_so_far(f, &b);
    assert_true(b.output_tokens - a.output_tokens == 46.0);
    assert_true(b.prompt_tokens - a.prompt_tokens == 0.0 && b.prompt_tokens == 100.0);
    assert_true(fabs((b.flops - a.flops) - flops) <= 1e-9 * flops);
    assert_true(fabs((b.bytes - a.bytes) - bytes) <= 1e-9 * bytes);
    double ran_s = ic_time_to_s(log.ev[0].time_ns - w);
    assert_true(fabs((b.slot_s - a.slot_s) - ran_s) <= 1e-12);
    assert_true(fabs((b.busy_replica_s - a.busy_replica_s) - ran_s) <= 1e-12);
    assert_true(fabs((b.kv_token_s - a.kv_token_s) - kv_token_s) <= 1e-9 * kv_token_s + 100 * 49e-9);
    const struct ic_fleet_stats *st = ic_fleet_stats(f);
    assert_int_equal(st->in_flight_at_start, 1);
    assert_int_equal(st->arrived, 0);
    assert_int_equal(st->completed, 1);
    assert_int_equal(st->batches, 46);            /* iterations in the window */
    assert_true(ic_sketch_max(st->ttft_s) != ic_sketch_max(st->ttft_s)); /* NaN: the first token came before */
    ic_fleet_free(f);
    ic_sim_free(sim);
  }
}

/* ---- conservation at every report ---------------------------------------- */

/* Drives the whole run step by step (one report a simulated second) and
 * checks arrived = completed + rejected + in flight at every report. Some
 * requests can never fit the KV cache, and the queue is capped, so both
 * kinds of rejection happen. */
static void conservation_at_every_report(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  perf.kv_capacity_tokens = 900; /* prompts + outputs above 900 tokens are rejected */
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 2, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_CONTINUOUS, .router = IC_ROUTER_LEAST_OUTSTANDING,
                                 .max_batch = 8, .max_queue = 6, .slo_ttft_s = 1, .slo_tpot_s = 1};
  static struct workload w;
  make_workload(&w, 3000, 4.0, 99);
  ic_sim *sim = ic_sim_alloc(5, 0);
  ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, NULL);
  void *pair[2] = {f, &w};
  for (size_t i = 0; i < w.n; i++) ic_sim_schedule_at(sim, w.req[i].arrival_ns, arrive, pair, i);
  const struct ic_fleet_stats *st = ic_fleet_stats(f);
  int reports = 0;
  for (ic_time_ns t = 0; ic_sim_pending(sim) > 0; t += IC_NS_PER_S, reports++) {
    ic_sim_run_until(sim, t);
    assert_int_equal(st->arrived, st->completed + st->rejected + ic_fleet_in_flight(f));
  }
  assert_int_equal(st->arrived, w.n);
  assert_int_equal(st->completed + st->rejected, w.n);
  printf("# conservation: %d reports, %llu completed, %llu rejected, %llu preemptions\n", reports,
         (unsigned long long)st->completed, (unsigned long long)st->rejected, (unsigned long long)st->preemptions);
  assert_true(st->rejected > 50 && st->completed > 2000);
  ic_fleet_free(f);
  ic_sim_free(sim);
}

/* ---- Little's law ----------------------------------------------------------- */

/* Mean number in system (time average of requests in flight) equals the
 * arrival rate times the mean time in system (Little 1961), for any
 * stationary queue. Lognormal lengths, continuous batching, 4 replicas. */
static void littles_law(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  set(&s, "model.name=llama2-7b");
  set(&s, "fleet.gpu=h100-sxm");
  set(&s, "fleet.server=h100-x4"); /* half a DGX H100: its base power and price per GPU */
  set(&s, "power.node_base_w=2300");
  set(&s, "cost.server_price_usd=200000");
  set(&s, "fleet.nodes=1");
  set(&s, "fleet.gpus_per_node=4");
  set(&s, "fleet.gpus_per_replica=1");
  set(&s, "serving.batching=continuous");
  set(&s, "serving.max_batch=16");
  set(&s, "serving.prefill_chunk_tokens=512");
  set(&s, "traffic.prompt_dist=lognormal");
  set(&s, "traffic.output_dist=lognormal");
  set(&s, "traffic.prompt_tokens=600");
  set(&s, "traffic.output_tokens=200");
  set(&s, "traffic.queries_per_day=1.6e6");
  set(&s, "run.duration_s=4000");
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  double lambda = (double)r.arrived / r.span_s;
  double ratio = r.mean_in_system / (lambda * r.e2e_mean_s);
  printf("# Little: L = %.4f, lambda W = %.4f, ratio %.4f (utilisation %.2f, mean batch %.2f)\n", r.mean_in_system,
         lambda * r.e2e_mean_s, ratio, r.utilisation, r.mean_batch_size);
  assert_true(fabs(ratio - 1.0) < 0.02);
  assert_int_equal(r.in_flight_at_start + r.arrived, r.completed + r.rejected + r.in_flight_at_end);
  assert_true(r.mean_batch_size > 1.5); /* it did batch */
  /* Issue 11 item 5: batch occupancy is the time-averaged number of running
   * requests; by Little's law on the running stage it is lambda x the mean
   * time from admission to the last token, e2e - wait (from the sketches). */
  double running = r.batch_occupancy * (double)r.replicas * (double)s.serving.max_batch;
  double little = lambda * (r.e2e_mean_s - r.wait_mean_s);
  printf("# occupancy: %.4f running (time average), lambda (e2e - wait) = %.4f; utilisation %.3f, KV %.3f, MFU %.4f, MBU %.4f\n",
         running, little, r.utilisation, r.kv_occupancy, r.mfu, r.mbu);
  assert_true(fabs(running / little - 1.0) < 0.02);
  printf("# batch occupancy %.3f of max_batch while replicas are busy %.3f of the time\n", r.batch_occupancy, r.utilisation);
  assert_true(r.batch_occupancy < 0.8 && r.utilisation > 0.99); /* busy time says nothing of how full */
  assert_true(r.kv_occupancy > 0 && r.kv_occupancy < 1 && r.mfu > 0 && r.mfu < r.mbu && r.mbu < 1);
}

/* ---- idle power-down -------------------------------------------------------- */

/* At low load most nodes sit idle: powering them down must cut IT energy and,
 * because requests then wait for a node to wake, raise tail latency. */
static void powerdown_trades_energy_for_latency(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  set(&s, "model.name=llama2-7b");
  set(&s, "fleet.gpu=h100-sxm");
  set(&s, "fleet.server=dgx-h100");
  set(&s, "fleet.nodes=8");
  set(&s, "fleet.gpus_per_node=8");
  set(&s, "fleet.gpus_per_replica=8");
  set(&s, "serving.batching=continuous");
  set(&s, "traffic.queries_per_day=200000");
  set(&s, "run.duration_s=3600");
  set(&s, "power.powerdown_idle_s=120");
  set(&s, "power.wake_s=30");
  set(&s, "power.wake_queue_threshold=4");
  struct ic_run_result on, off;
  assert_int_equal(ic_run_scenario(&s, &off), IC_OK);
  set(&s, "power.powerdown=idle");
  assert_int_equal(ic_run_scenario(&s, &on), IC_OK);
  printf("# power-down off: %.1f kWh/day, TTFT p99 %.3f s, p99.9 %.3f s, e2e p99.9 %.3f s\n", off.cost.it_energy_kwh,
         off.ttft_p99_s, off.ttft_p999_s, off.e2e_p999_s);
  printf("# power-down on:  %.1f kWh/day, TTFT p99 %.3f s, p99.9 %.3f s, e2e p99.9 %.3f s, %llu wake-ups\n",
         on.cost.it_energy_kwh, on.ttft_p99_s, on.ttft_p999_s, on.e2e_p999_s, (unsigned long long)on.wakeups);
  assert_true(on.cost.it_energy_kwh < 0.8 * off.cost.it_energy_kwh);
  assert_true(on.ttft_p99_s > off.ttft_p99_s);
  assert_true(on.ttft_p999_s > off.ttft_p999_s + 1.0); /* some requests waited for a wake-up */
  assert_int_equal(on.in_flight_at_start + on.arrived, on.completed + on.rejected + on.in_flight_at_end);
}

/* Per-class record: a class whose TTFT target no request can meet (1 us)
 * attains 0, one with loose targets attains 1, and the overall attainment
 * is their completion-weighted mean. */
static void slo_attainment_per_class(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  set(&s, "model.name=llama2-7b");
  set(&s, "fleet.gpu=h100-sxm");
  set(&s, "fleet.server=dgx-h100");
  set(&s, "fleet.nodes=1");
  set(&s, "traffic.queries_per_day=5e5");
  set(&s, "run.duration_s=600");
  set(&s, "traffic.class_names=chat|batch");
  set(&s, "traffic.class_shares=0.3|0.7");
  set(&s, "traffic.class_ttft_target_s=0.000001|1000");
  set(&s, "traffic.class_tpot_target_s=1000|1000");
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_int_equal(r.class_count, 2);
  assert_int_equal(r.classes[0].completed + r.classes[1].completed, r.completed);
  assert_true(r.classes[0].slo_attainment == 0.0);
  assert_true(r.classes[1].slo_attainment == 1.0);
  assert_true(fabs(r.slo_attainment - (double)r.classes[1].completed / (double)r.completed) < 1e-12);
  double share = (double)r.classes[0].completed / (double)r.completed;
  printf("# classes: chat %.3f of completions (share 0.3), overall SLO %.3f\n", share, r.slo_attainment);
  assert_true(fabs(share - 0.3) < 0.03);
}

/* timeseries.csv: the contract's columns, byte-identical on a rerun, and its
 * counters add up to the run's totals. */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *copy = malloc(n + 1);
  memcpy(copy, buf, n + 1);
  return copy;
}

static void timeseries_csv(void **state) {
  (void)state;
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  set(&s, "model.name=llama2-7b");
  set(&s, "fleet.gpu=h100-sxm");
  set(&s, "fleet.server=dgx-h100");
  set(&s, "fleet.nodes=2");
  set(&s, "traffic.queries_per_day=1e6");
  set(&s, "run.duration_s=330");
  set(&s, "run.series_interval_s=60");
  set(&s, "power.powerdown=idle");
  set(&s, "power.powerdown_idle_s=20");
  struct ic_run_result a, b;
  char dir_a[] = "/tmp/ic_ts_XXXXXX", dir_b[] = "/tmp/ic_ts_XXXXXX";
  assert_non_null(mkdtemp(dir_a));
  assert_non_null(mkdtemp(dir_b));
  assert_int_equal(ic_run_scenario_series(&s, &a, dir_a), IC_OK);
  assert_int_equal(ic_run_scenario_series(&s, &b, dir_b), IC_OK);
  char path[256];
  snprintf(path, sizeof path, "%s/timeseries.csv", dir_a);
  char *text_a = slurp(path);
  remove(path);
  snprintf(path, sizeof path, "%s/timeseries.csv", dir_b);
  char *text_b = slurp(path);
  remove(path);
  for (int i = 0; i < 2; i++) {
    const char *dir = i ? dir_b : dir_a;
    snprintf(path, sizeof path, "%s/distributions.csv", dir);
    assert_int_equal(remove(path), 0);
    assert_int_equal(rmdir(dir), 0);
  }
  assert_string_equal(text_a, text_b);
  char *header = text_a; /* the first line: provenance is in provenance.json */
  assert_true(strncmp(header, "time_s,interval_end_s,arrivals,completions,rejections,queue_length,", 67) == 0);
  assert_non_null(strstr(header, ",busy_replicas,"));
  assert_non_null(strstr(header, ",it_power_w,"));
  /* Six rows from the end of the warm-up (w, w + 60, ..., w + 300; the last
   * cut at w + 330 s); counters add up to the window's. */
  double arrivals = 0, completions = 0;
  int rows = 0;
  for (char *line = strchr(header, '\n') + 1; *line; line = strchr(line, '\n') + 1, rows++) {
    double t0, t1, arr, done;
    assert_int_equal(sscanf(line, "%lf,%lf,%lf,%lf", &t0, &t1, &arr, &done), 4);
    assert_true(t0 == a.warmup_s + 60.0 * rows);
    arrivals += arr;
    completions += done;
  }
  assert_int_equal(rows, 6);
  assert_true(arrivals == (double)a.arrived && completions == (double)a.completed);
  free(text_a);
  free(text_b);
}

/* Bad serving input names the file, line and key. */
static void bad_serving_input_is_reported(void **state) {
  diag_capture(state);
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  assert_int_equal(ic_scenario_load_text(&s, "[serving]\nbatching = static\nprefill_chunk_tokens = 256\n", "c.ini"),
                   IC_OK);
  assert_int_equal(ic_scenario_check(&s), IC_EINVAL);
  assert_int_equal(ic_scenario_load_text(&s, "[serving]\nstep_mode = leap\n", "m.ini"), IC_EINVAL);
  assert_int_equal(ic_scenario_load_text(&s, "[power]\npowerdown = sometimes\n", "p.ini"), IC_EINVAL);
  ic_diag_set_sink(NULL, NULL);
  assert_non_null(strstr(diag.text, "c.ini:3: serving.prefill_chunk_tokens: chunked prefill needs serving.batching = continuous"));
  assert_non_null(strstr(diag.text, "m.ini:2: serving.step_mode: expected one of skip|token, got 'leap'"));
  assert_non_null(strstr(diag.text, "p.ini:2: power.powerdown: expected one of off|idle, got 'sometimes'"));
}

/* A continuous pool counts its running requests in 32 bits (serve.h):
 * a max_batch whose two batches' worth of slots do not fit is refused,
 * the largest that fits is not (no slot is made before one is used). */
static void batch_beyond_32_bits_refused(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_CONTINUOUS, .router = IC_ROUTER_ROUND_ROBIN,
                                 .max_batch = (int64_t)INT32_MAX / 2 + 1};
  ic_sim *sim = ic_sim_alloc(1, 0);
  assert_null(ic_fleet_alloc(sim, &fc, &sc, &perf, NULL));
  sc.max_batch = 1 << 20;
  ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, NULL);
  assert_non_null(f);
  ic_fleet_free(f);
  ic_sim_free(sim);
}

/* Same seed and scenario: identical results, with every router. */
static void routers_are_deterministic(void **state) {
  (void)state;
  const char *routers[] = {"round_robin", "least_outstanding", "random", "least_tokens", "power_of_two", "central"};
  for (size_t i = 0; i < sizeof routers / sizeof routers[0]; i++) {
    static struct ic_scenario s;
    ic_scenario_defaults(&s);
    set(&s, "model.name=llama2-7b");
    set(&s, "fleet.gpu=h100-sxm");
    set(&s, "fleet.server=dgx-h100");
    set(&s, "fleet.nodes=2");
    set(&s, "fleet.gpus_per_replica=2");
    set(&s, "serving.batching=continuous");
    set(&s, "traffic.queries_per_day=2e6");
    set(&s, "traffic.output_dist=lognormal");
    set(&s, "run.duration_s=300");
    char kv[64];
    snprintf(kv, sizeof kv, "serving.router=%s", routers[i]);
    set(&s, kv);
    struct ic_run_result a, b;
    assert_int_equal(ic_run_scenario(&s, &a), IC_OK);
    assert_int_equal(ic_run_scenario(&s, &b), IC_OK);
    printf("# %-17s e2e mean %.4f s, p99 %.4f s, utilisation %.3f..%.3f\n", routers[i], a.e2e_mean_s, a.e2e_p99_s,
           a.utilisation_min, a.utilisation_max);
    assert_true(a.completed > 5000);
    assert_int_equal(a.completed, b.completed);
    assert_true(a.e2e_mean_s == b.e2e_mean_s && a.tpot_p99_s == b.tpot_p99_s);
    assert_int_equal(a.in_flight_at_start + a.arrived, a.completed + a.rejected + a.in_flight_at_end);
  }
}

int main(void) {
  enum { N = sizeof mode_cases / sizeof mode_cases[0] };
  struct CMUnitTest tests[N + 19];
  for (size_t i = 0; i < N; i++)
    tests[i] = (struct CMUnitTest){mode_cases[i].name, skip_matches_token, NULL, NULL, (void *)(uintptr_t)&mode_cases[i]};
  tests[N] = (struct CMUnitTest)cmocka_unit_test(conservation_at_every_report);
  tests[N + 1] = (struct CMUnitTest)cmocka_unit_test(littles_law);
  tests[N + 2] = (struct CMUnitTest)cmocka_unit_test(powerdown_trades_energy_for_latency);
  tests[N + 3] = (struct CMUnitTest)cmocka_unit_test(routers_are_deterministic);
  tests[N + 4] = (struct CMUnitTest)cmocka_unit_test(continuous_timeline_by_hand);
  tests[N + 5] = (struct CMUnitTest)cmocka_unit_test(chunked_prefill_by_hand);
  tests[N + 6] = (struct CMUnitTest)cmocka_unit_test(slo_attainment_per_class);
  tests[N + 7] = (struct CMUnitTest)cmocka_unit_test(timeseries_csv);
  tests[N + 8] = (struct CMUnitTest)cmocka_unit_test(bad_serving_input_is_reported);
  tests[N + 9] = (struct CMUnitTest)cmocka_unit_test(mixed_iteration_power_by_hand);
  tests[N + 10] = (struct CMUnitTest)cmocka_unit_test(replanned_mixed_iteration_power);
  tests[N + 11] = (struct CMUnitTest)cmocka_unit_test(decode_step_is_the_compute_model);
  tests[N + 12] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(fleet_failures_propagate, diag_capture, diag_release);
  tests[N + 13] = (struct CMUnitTest)cmocka_unit_test(window_counts_by_hand);
  tests[N + 14] = (struct CMUnitTest)cmocka_unit_test(token_limit_refused);
  tests[N + 15] = (struct CMUnitTest)cmocka_unit_test(completion_order_by_hand);
  tests[N + 16] = (struct CMUnitTest)cmocka_unit_test(class_sketches_by_class);
  tests[N + 17] = (struct CMUnitTest)cmocka_unit_test(decode_span_with_launch_floor);
  tests[N + 18] = (struct CMUnitTest)cmocka_unit_test(batch_beyond_32_bits_refused);
  return _cmocka_run_group_tests("serve_continuous", tests, N + 19, NULL, NULL);
}
