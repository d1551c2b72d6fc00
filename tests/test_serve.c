/* test_serve.c: the whole pipeline against queueing theory, and a
 * hand-worked static-batching timeline. */
#define _POSIX_C_SOURCE 200809L
#include "ic_test.h"
#include "ic_test_perf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "infercost/cost.h"
#include "infercost/run.h"
#include "infercost/scenario.h"
#include "infercost/serve.h"
#include "infercost/sim.h"

#include "ic_test_child.h"

static void set(struct ic_scenario *s, const char *kv) { assert_int_equal(ic_scenario_set(s, kv, "test"), IC_OK); }

/* The queueing tests' fleet: `c` single-GPU replicas of Llama-2-7B on one
 * H100 node, batch size 1 with no timeout, every request 200 + 20 tokens,
 * so each takes the same service time D. */
static void batch1_replicas(struct ic_scenario *s, int c) {
  ic_scenario_defaults(s);
  char kv[64];
  snprintf(kv, sizeof kv, "fleet.gpus_per_node=%d", c);
  static const char *const keys[] = {
      /* a node of c H100s is no DGX: a user-defined server at a DGX H100's base power and price per GPU */
      "model.name=llama2-7b", "fleet.gpu=h100-sxm", "fleet.server=h100-node", "power.node_base_w=575",
      "cost.server_price_usd=50000", "fleet.nodes=1",
      "fleet.gpus_per_replica=1", "serving.batching=static", "serving.max_batch=1", "serving.batch_timeout_s=0",
      "traffic.prompt_tokens=200", "traffic.output_tokens=20"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) set(s, keys[i]);
  set(s, kv);
}

/* One replica, batch size 1, no batching timeout, fixed lengths: every
 * request takes the same time D, so the system is M/D/1. Pollaczek-Khinchine
 * gives the mean wait in queue Wq = rho * D / (2 (1 - rho)). */
static double md1_simulated_over_formula(double rho, int64_t customers) {
  static struct ic_scenario s;
  batch1_replicas(&s, 1);
  set(&s, "run.seed=20240610");
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  /* Learn D from a short run, then set the arrival rate for rho. */
  struct ic_run_result r;
  set(&s, "run.duration_s=10");
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  double d = r.service_time_batch1_s;
  double lambda = rho / d;
  char kv[128];
  snprintf(kv, sizeof kv, "traffic.queries_per_day=%.17g", lambda * 86400.0);
  set(&s, kv);
  snprintf(kv, sizeof kv, "run.duration_s=%.17g", (double)customers / lambda);
  set(&s, kv);
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  double wq = rho * d / (2.0 * (1.0 - rho));
  /* The measured utilisation must match rho too (within sampling noise). */
  assert_true(fabs(r.utilisation - rho) < 0.01);
  assert_true(fabs(r.mean_batch_size - 1.0) < 1e-12);
  return r.wait_mean_s / wq;
}

static void md1_mean_wait_at_rho_0_5(void **state) {
  (void)state;
  double ratio = md1_simulated_over_formula(0.5, 400000);
  printf("# M/D/1 rho=0.5: simulated/formula = %.4f\n", ratio);
  assert_true(fabs(ratio - 1.0) < 0.03);
}

static void md1_mean_wait_at_rho_0_8(void **state) {
  (void)state;
  double ratio = md1_simulated_over_formula(0.8, 1000000);
  printf("# M/D/1 rho=0.8: simulated/formula = %.4f\n", ratio);
  assert_true(fabs(ratio - 1.0) < 0.03);
}

/* Mean wait in queue of M/D/c, computed independently of the simulator.
 * With deterministic service D, every customer present at time t, except
 * the ones beyond the first c, has left by t + D, and nobody who arrives
 * after t has; so the number in system N obeys
 *   N(t + D) = max(N(t) - c, 0) + A,  A ~ Poisson(lambda D),
 * for every t (the embedded chain behind Crommelin's 1932 solution). Its
 * stationary distribution is therefore the time-stationary distribution of
 * N; iterate the chain to it (truncated at 400 customers), then Little's law
 * gives W = E[N] / lambda and Wq = W - D. */
static double mdc_mean_wait(double lambda, double d, int c) {
  enum { K = 400 };
  static double p[K], q[K], a[K];
  double mean_a = lambda * d;
  a[0] = exp(-mean_a);
  for (int k = 1; k < K; k++) a[k] = a[k - 1] * mean_a / k;
  for (int k = 0; k < K; k++) p[k] = k == 0 ? 1.0 : 0.0;
  for (int iter = 0; iter < 20000; iter++) {
    for (int k = 0; k < K; k++) q[k] = 0;
    for (int n = 0; n < K; n++) {
      int base = n > c ? n - c : 0;
      for (int k = 0; base + k < K; k++) q[base + k] += p[n] * a[k];
    }
    double sum = 0, delta = 0;
    for (int k = 0; k < K; k++) sum += q[k];
    for (int k = 0; k < K; k++) {
      delta += fabs(q[k] / sum - p[k]);
      p[k] = q[k] / sum;
    }
    if (delta < 1e-13) break;
  }
  double mean_n = 0;
  for (int k = 0; k < K; k++) mean_n += k * p[k];
  return mean_n / lambda - d;
}

/* The chain must reproduce Pollaczek-Khinchine for c = 1: a check of the
 * reference itself before it judges the simulator. */
static void mdc_reference_matches_md1_formula(void **state) {
  (void)state;
  double d = 0.7, lambda = 0.8 / d;
  double pk = 0.8 * d / (2.0 * (1.0 - 0.8));
  assert_true(fabs(mdc_mean_wait(lambda, d, 1) - pk) < 1e-6 * pk);
}

/* c = 4 replicas at batch size 1. A central FIFO that hands each request to
 * the first free replica is exactly M/D/c; least-outstanding routing is
 * join-the-shortest-queue with a queue per replica, which waits longer (a
 * request can queue behind a busy replica while another frees up first). */
static double mdc_run(const char *router, double rho, int c, int64_t customers, double *reference) {
  static struct ic_scenario s;
  batch1_replicas(&s, c);
  char kv[128];
  snprintf(kv, sizeof kv, "serving.router=%s", router);
  set(&s, kv);
  set(&s, "run.seed=777");
  struct ic_run_result r;
  set(&s, "run.duration_s=10");
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  double d = r.service_time_batch1_s, lambda = rho * c / d;
  snprintf(kv, sizeof kv, "traffic.queries_per_day=%.17g", lambda * 86400.0);
  set(&s, kv);
  snprintf(kv, sizeof kv, "run.duration_s=%.17g", (double)customers / lambda);
  set(&s, kv);
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  *reference = mdc_mean_wait(lambda, d, c);
  return r.wait_mean_s;
}

/* One replica at batch 1 serving D-second requests: at ρ = 0.5 it is stable
 * (Little's law: in flight at the end near λW); at ρ = 2 its queue grows by
 * about λ(1 − 1/ρ) a second, far above λW of the few requests it completes. */
static void overload_is_flagged(void **state) {
  (void)state;
  static struct ic_scenario s;
  batch1_replicas(&s, 1);
  set(&s, "run.duration_s=10");
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  double d = r.service_time_batch1_s;
  char kv[96];
  snprintf(kv, sizeof kv, "run.duration_s=%.17g", 4000 * d);
  set(&s, kv);
  snprintf(kv, sizeof kv, "traffic.queries_per_day=%.17g", 0.5 / d * 86400.0);
  set(&s, kv);
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_true(r.stable == 1.0);
  snprintf(kv, sizeof kv, "traffic.queries_per_day=%.17g", 2.0 / d * 86400.0);
  set(&s, kv);
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_true(r.stable == 0.0);
  assert_true(r.in_flight_at_end > 3000); /* about 8,000 arrived, 4,000 served */
}

static void mdc_central_queue_mean_wait(void **state) {
  (void)state;
  double ref, sim = mdc_run("central", 0.8, 4, 600000, &ref);
  printf("# M/D/4 rho=0.8 central queue: simulated %.6f s, reference %.6f s, ratio %.4f\n", sim, ref, sim / ref);
  assert_true(fabs(sim / ref - 1.0) < 0.04);
  double jsq = mdc_run("least_outstanding", 0.8, 4, 600000, &ref);
  printf("# M/D/4 rho=0.8 least outstanding (JSQ): simulated %.6f s, %.3f x the central queue's\n", jsq, jsq / ref);
  assert_true(jsq > ref);      /* separate queues never beat the shared one */
  assert_true(jsq < 2.0 * ref);
}

/* Issue 13: a prefill pool of c = 4 replicas at batch 1, fixed prompts, a
 * central queue: each request holds a replica for its prefill time D alone
 * (its decode is the decode pool's, which has room to spare), so the
 * prefill pool is M/D/c with that D, and its queueing delay must match the
 * same reference as the colocated fleet's. */
static void prefill_pool_is_mdc(void **state) {
  (void)state;
  static struct ic_scenario s;
  batch1_replicas(&s, 4);
  static const char *const keys[] = {"serving.batching=continuous", "serving.router=central", "run.seed=778",
                                     "pool.p.role=prefill", "pool.d.role=decode", "pool.d.max_batch=64"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) set(&s, keys[i]);
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  struct ic_model_spec m;
  assert_int_equal(ic_model_resolve(&s.model, &m, "test"), IC_OK);
  struct ic_precisions prec = {.weights = (enum ic_precision)s.model.weight_precision,
                               .activations = (enum ic_precision)s.model.activation_precision,
                               .kv = (enum ic_precision)s.model.kv_precision};
  struct ic_perf perf;
  assert_int_equal(ic_perf_init(&perf, &m, ic_hw_find_gpu("h100-sxm"), 1, &prec, &s.perf, "test"), IC_OK);
  struct ic_iter_shape prefill = ic_iter_shape_prefill_chunk(200, 0);
  double d = ic_time_to_s(ic_time_from_s(ic_perf_iter_s(&perf, &prefill, NULL)));
  double lambda = 0.8 * 4 / d;
  char kv[128];
  snprintf(kv, sizeof kv, "traffic.queries_per_day=%.17g", lambda * 86400.0);
  set(&s, kv);
  snprintf(kv, sizeof kv, "run.duration_s=%.17g", 600000.0 / lambda);
  set(&s, kv);
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  double ref = mdc_mean_wait(lambda, d, 4);
  printf("# prefill pool, M/D/4 rho=0.8: queueing %.6f s, reference %.6f s, ratio %.4f (%llu transfers)\n",
         r.wait_mean_s, ref, r.wait_mean_s / ref, (unsigned long long)r.transfers);
  assert_true(r.transfers > 550000 && r.transfer_waits == 0);
  assert_true(fabs(r.wait_mean_s / ref - 1.0) < 0.04);
  /* The prefill pool's own figures: its queueing delay is the fleet's (every
   * request queues there first), its batch is 1, and its replicas are busy
   * a fraction rho = lambda D / c = 0.8 of the time (M/D/c; within the
   * Poisson count's noise, 1 / sqrt(600,000) ~ 0.13 %, bound 1 %). */
  assert_int_equal(r.pool_count, 2);
  const struct ic_run_pool *pp = strcmp(r.pools[0].name, "p") == 0 ? &r.pools[0] : &r.pools[1];
  printf("# prefill pool: queueing %.6f s, mean batch %.4f, utilisation %.4f, batch occupancy %.4f (rho 0.8)\n",
         pp->wait_mean_s, pp->mean_batch_size, pp->utilisation, pp->batch_occupancy);
  assert_true(pp->wait_mean_s == r.wait_mean_s && pp->wait_p99_s == r.wait_p99_s);
  assert_true(pp->mean_batch_size == 1.0);
  assert_true(fabs(pp->utilisation / 0.8 - 1.0) < 0.01);
  assert_true(fabs(pp->batch_occupancy / 0.8 - 1.0) < 0.01);
}

/* Static batching by hand: B = 3, timeout 1 s, service of a batch of n is
 * known from the perf model. Arrivals at 0, 0.2, 0.4 (fills the batch at
 * 0.4), then 0.5 (waits for the replica), then nothing: the batch of one
 * starts when the first batch ends (its request has waited > 1 s by then,
 * if the first batch takes > 1 s, else at 1.5 s). */
struct timeline {
  struct ic_serve_event ev[16];
  int n;
};

static void observe(void *ctx, const struct ic_serve_event *ev) {
  struct timeline *t = ctx;
  if (t->n < 16) t->ev[t->n++] = *ev;
}

static void arrive(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  struct ic_request req = {arg, ic_sim_now(sim), 100, 10, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(f, &req), IC_OK);
}

static void static_batching_timeline(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  /* Service times of a batch of 3 and of 1 (prompt 100, output 10). */
  ic_time_ns pre3, dec3 = 0, pre1, dec1 = 0;
  struct ic_iter_shape sh = ic_iter_shape_prefill(100, 3);
  pre3 = ic_time_from_s(ic_perf_iter_s(&perf, &sh, NULL));
  sh = ic_iter_shape_prefill(100, 1);
  pre1 = ic_time_from_s(ic_perf_iter_s(&perf, &sh, NULL));
  double d3 = 0, d1 = 0;
  for (int k = 1; k < 10; k++) {
    sh = ic_iter_shape_decode(3, 100 + k);
    d3 += ic_perf_iter_s(&perf, &sh, NULL);
    sh = ic_iter_shape_decode(1, 100 + k);
    d1 += ic_perf_iter_s(&perf, &sh, NULL);
  }
  dec3 = ic_time_from_s(d3);
  dec1 = ic_time_from_s(d1);

  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_STATIC, .router = IC_ROUTER_ROUND_ROBIN, .max_batch = 3,
                                 .batch_timeout_s = 1.0};
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, NULL);
  struct timeline t = {0};
  ic_fleet_set_observer(f, observe, &t);
  const ic_time_ns ms = 1000000;
  ic_sim_schedule_at(sim, 0, arrive, f, 0);
  ic_sim_schedule_at(sim, 200 * ms, arrive, f, 1);
  ic_sim_schedule_at(sim, 400 * ms, arrive, f, 2);
  ic_sim_schedule_at(sim, 500 * ms, arrive, f, 3);
  ic_sim_run_until(sim, IC_TIME_NEVER - 1);

  ic_time_ns end1 = 400 * ms + pre3 + dec3;
  ic_time_ns start2 = end1 > 1500 * ms ? end1 : 1500 * ms; /* request 3's timeout is at 1.5 s */
  /* Each batch end is followed by one completion per member, oldest first. */
  ic_time_ns end2 = start2 + pre1 + dec1;
  struct ic_serve_event expect[] = {
      {IC_SERVE_BATCH_START, 400 * ms, 0, 3, 0},
      {IC_SERVE_FIRST_TOKEN, 400 * ms + pre3, 0, 3, 0},
      {IC_SERVE_BATCH_END, end1, 0, 3, 0},
      {IC_SERVE_REQUEST_DONE, end1, 0, 1, 0},
      {IC_SERVE_REQUEST_DONE, end1, 0, 1, 1},
      {IC_SERVE_REQUEST_DONE, end1, 0, 1, 2},
      {IC_SERVE_BATCH_START, start2, 0, 1, 3},
      {IC_SERVE_FIRST_TOKEN, start2 + pre1, 0, 1, 3},
      {IC_SERVE_BATCH_END, end2, 0, 1, 3},
      {IC_SERVE_REQUEST_DONE, end2, 0, 1, 3},
  };
  enum { EXPECTED = sizeof expect / sizeof expect[0] };
  assert_int_equal(t.n, EXPECTED);
  for (int i = 0; i < EXPECTED; i++) {
    assert_int_equal(t.ev[i].kind, expect[i].kind);
    assert_int_equal(t.ev[i].time_ns, expect[i].time_ns);
    assert_int_equal(t.ev[i].batch_size, expect[i].batch_size);
    assert_int_equal(t.ev[i].first_request_id, expect[i].first_request_id);
  }
  const struct ic_fleet_stats *st = ic_fleet_stats(f);
  assert_int_equal(st->completed, 4);
  assert_int_equal(ic_fleet_in_flight(f), 0);
  ic_fleet_free(f);
  ic_sim_free(sim);
}

/* Static batches as the observer saw them start: time and size. */
struct batch_log {
  ic_time_ns start_ns[4096];
  int64_t size[4096];
  int n;
};

static void log_batch(void *ctx, const struct ic_serve_event *ev) {
  struct batch_log *b = ctx;
  if (ev->kind == IC_SERVE_BATCH_START && b->n < 4096) {
    b->start_ns[b->n] = ev->time_ns;
    b->size[b->n++] = ev->batch_size;
  }
}

struct poisson {
  ic_fleet *f;
  gsl_rng *rng;
  double rate;
  uint64_t next_id;
};

static void poisson_arrive(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)arg;
  struct poisson *p = ctx;
  struct ic_request req = {p->next_id++, ic_sim_now(sim), 200, 20, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(p->f, &req), IC_OK);
  ic_sim_schedule_in(sim, ic_time_from_s(gsl_ran_exponential(p->rng, 1.0 / p->rate)), poisson_arrive, p, 0);
}

/* Conservation on a busy fleet, and the IT energy against an account that
 * shares nothing with the ledger or the fleet's busy-time counters: static
 * batches of fixed-length requests (prompt 200, output 20), whose prefill
 * and decode times the test takes from the compute model by batch size, and
 * whose start times and sizes come from the observer. Energy over [0, T] =
 * nodes x base x T + GPUs x idle x T + each batch's prefill and decode
 * seconds (cut at T) x (state watts - idle watts). */
static void requests_and_energy_are_conserved(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 2, 2, 1}; /* 2 nodes x 2 GPUs, 4 replicas */
  struct ic_serving_config sc = {.batching = IC_BATCHING_STATIC, .router = IC_ROUTER_ROUND_ROBIN, .max_batch = 4,
                                 .batch_timeout_s = 0.05};
  const double base_w = 1234.5, idle_w = 61.5, prefill_w = 395.25, decode_w = 247.75, T = 120.0;
  struct ic_gpu_power gp = {{idle_w, prefill_w, decode_w, 0.0}};
  ic_ledger *l = ic_ledger_alloc(2, 2, base_w, &gp, 0);
  ic_sim *sim = ic_sim_alloc(7, 0);
  ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, l);
  static struct batch_log log;
  log.n = 0;
  ic_fleet_set_observer(f, log_batch, &log);
  struct poisson arr = {f, gsl_rng_alloc(gsl_rng_mt19937), 30.0, 0};
  gsl_rng_set(arr.rng, 5);
  ic_sim_schedule_at(sim, 0, poisson_arrive, &arr, 0);
  ic_time_ns end = ic_time_from_s(T);
  ic_sim_run_until(sim, end);
  ic_ledger_flush(l, end);
  const struct ic_fleet_stats *st = ic_fleet_stats(f);
  assert_true(st->arrived > 3000);
  assert_int_equal(st->arrived, st->completed + st->rejected + ic_fleet_in_flight(f));
  double extra_j = 0;
  for (int b = 0; b < log.n; b++) {
    int64_t n = log.size[b];
    struct ic_iter_shape sh = ic_iter_shape_prefill(200, n);
    ic_time_ns pre = ic_time_from_s(ic_perf_iter_s(&perf, &sh, NULL));
    double dec_s = 0;
    for (int k = 1; k < 20; k++) {
      sh = ic_iter_shape_decode(n, 200 + k);
      dec_s += ic_perf_iter_s(&perf, &sh, NULL);
    }
    ic_time_ns s0 = log.start_ns[b], s1 = s0 + pre, s2 = s1 + ic_time_from_s(dec_s);
    s1 = s1 < end ? s1 : end;
    s2 = s2 < end ? s2 : end;
    extra_j += (prefill_w - idle_w) * ic_time_to_s(s1 - s0) + (decode_w - idle_w) * ic_time_to_s(s2 - s1);
  }
  assert_true(log.n > 500 && log.n < 4096);
  double expect = 2.0 * base_w * T + 4.0 * idle_w * T + extra_j;
  assert_true(fabs(ic_ledger_it_energy_j(l) - expect) <= 1e-9 * expect);
  /* The per-state buckets add up to all GPU energy. */
  double gpu_sum = ic_ledger_gpu_state_energy_j(l, IC_GPU_IDLE) + ic_ledger_gpu_state_energy_j(l, IC_GPU_PREFILL) +
                   ic_ledger_gpu_state_energy_j(l, IC_GPU_DECODE);
  assert_true(fabs(gpu_sum + 2.0 * base_w * T - ic_ledger_it_energy_j(l)) <= 1e-9 * ic_ledger_it_energy_j(l));
  gsl_rng_free(arr.rng);
  ic_fleet_free(f);
  ic_ledger_free(l);
  ic_sim_free(sim);
}

/* Issue 11 item 6: an accelerator with no peak at the activation precision
 * makes every iteration infinitely long. The fleet must stop the process
 * (exit 1, with a message), not clamp the time and run on with garbage. */
static void infinite_iteration(void *ctx) {
  int batching = *(const int *)ctx;
  static struct ic_gpu_spec g;
  g = *ic_hw_find_gpu("h100-sxm");
  for (int p = 0; p < IC_PRECISION_COUNT; p++) g.peak_flops[p] = 0.0; /* no peak at fp16 nor any it widens to */
  struct ic_perf perf = ic_test_llama7b_h100();
  perf.gpu = &g;
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, 1, 1};
  struct ic_serving_config sc = {.batching = batching, .router = IC_ROUTER_ROUND_ROBIN, .max_batch = 4};
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, NULL);
  struct ic_request req = {0, 0, 100, 10, 0, 0, 0};
  ic_fleet_submit(f, &req);
  ic_sim_run_until(sim, ic_time_from_s(3600));
}

static void infinite_service_time_stops(void **state) {
  (void)state;
  char text[512];
  for (int batching = IC_BATCHING_STATIC; batching <= IC_BATCHING_CONTINUOUS; batching++) {
    assert_int_equal(ic_test_child(infinite_iteration, &batching, text, sizeof text), 1);
    assert_non_null(strstr(text, "is not a simulated duration"));
  }
}

/* Issue 11 item 4: what a run reports per query and per token does not
 * depend on how long it simulates. Two nodes of the default replica at 1e5
 * queries/day with near-deterministic arrivals (gamma, CV 0.01), so that
 * the window's arrivals are lambda x D to within one: independent of the
 * simulator, tokens generated per second in a steady window are lambda x
 * output tokens. 600 s and 3,600 s windows must agree with it and with each
 * other within 0.5 % (the bound). */
static void window_length_does_not_move_the_price(void **state) {
  (void)state;
  struct ic_run_result r[2];
  const double spans[2] = {600, 3600}, lambda = 1e5 / 86400.0;
  for (int i = 0; i < 2; i++) {
    static struct ic_scenario s;
    ic_scenario_defaults(&s);
    set(&s, "fleet.nodes=2");
    set(&s, "traffic.queries_per_day=1e5");
    set(&s, "traffic.arrival=gamma");
    set(&s, "traffic.arrival_cv=0.01");
    char kv[64];
    snprintf(kv, sizeof kv, "run.duration_s=%g", spans[i]);
    set(&s, kv);
    assert_int_equal(ic_run_scenario(&s, &r[i]), IC_OK);
    printf("# %4.0f s window: %.2f output tokens/s (lambda x o = %.2f), USD %.6f per query, %.4f per M output tokens\n",
           spans[i], r[i].output_tokens_per_s, lambda * 350.0, r[i].usd_per_query, r[i].usd_per_million_output_tokens);
    assert_true(fabs(r[i].output_tokens_per_s / (lambda * 350.0) - 1.0) < 0.005);
    assert_int_equal(r[i].in_flight_at_start + r[i].arrived, r[i].completed + r[i].rejected + r[i].in_flight_at_end);
  }
  assert_true(fabs(r[0].usd_per_query / r[1].usd_per_query - 1.0) < 0.005);
  assert_true(fabs(r[0].usd_per_million_output_tokens / r[1].usd_per_million_output_tokens - 1.0) < 0.005);
}

/* Issue 11 items 4 and 5, static batching, by hand: A (prompt 100, output
 * 10) and B (prompt 100, output 4) start one batch at 0 (B fills it): a
 * prefill of 2 x 100 tokens yields a token each at P, then decode steps
 * j = 1..9 (2 sequences, context 100 + j) run to the longest member; B
 * takes no tokens after its 4th. The window starts half-way through step 3.
 * It counts the tokens of steps 3..9 (A 7, B 1), their FLOPs and bytes,
 * 2 running requests and the padded KV reservation 2 x (100 + 10) from the
 * start to the batch's end. */
static void static_window_by_hand(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  struct ic_iter_shape sh = ic_iter_shape_prefill(100, 2);
  ic_time_ns p = ic_time_from_s(ic_perf_iter_s(&perf, &sh, NULL));
  double before_s = 0, flops = 0, bytes = 0;
  for (int64_t j = 1; j <= 9; j++) {
    sh = ic_iter_shape_decode(2, 100 + j);
    double d = ic_perf_iter_s(&perf, &sh, NULL);
    if (j < 3) before_s += d;
    if (j == 3) before_s += d / 2;
    if (j >= 3) {
      struct ic_iter_cost c = ic_model_iter_cost(perf.model, &perf.prec, &sh);
      flops += c.flops;
      bytes += c.weight_bytes + c.act_bytes + c.kv_bytes;
    }
  }
  ic_time_ns w = p + ic_time_from_s(before_s);
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, 1, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_STATIC, .router = IC_ROUTER_ROUND_ROBIN, .max_batch = 2,
                                 .batch_timeout_s = 1.0};
  ic_sim *sim = ic_sim_alloc(1, 0);
  ic_fleet *f = ic_fleet_alloc(sim, &fc, &sc, &perf, NULL);
  struct timeline t = {0};
  ic_fleet_set_observer(f, observe, &t);
  struct ic_request a = {0, 0, 100, 10, 0, 0, 0}, b = {1, 0, 100, 4, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(f, &a), IC_OK);
  assert_int_equal(ic_fleet_submit(f, &b), IC_OK);
  ic_sim_run_until(sim, w);
  struct ic_fleet_work before, after;
  assert_int_equal(ic_fleet_start_window(f), IC_OK);
  ic_fleet_work_so_far(f, &before);
  ic_sim_run_until(sim, IC_TIME_NEVER - 1);
  ic_fleet_work_so_far(f, &after);
  assert_int_equal(t.n, 5); /* start, first token, end, two completions */
  assert_int_equal(t.ev[2].kind, IC_SERVE_BATCH_END);
  double ran_s = ic_time_to_s(t.ev[2].time_ns - w);
  assert_true(before.output_tokens == 2.0 + 2.0 + 2.0);
  assert_true(after.output_tokens - before.output_tokens == 8.0);
  assert_true(after.prompt_tokens == 200.0 && after.prompt_tokens - before.prompt_tokens == 0.0);
  assert_true(fabs((after.flops - before.flops) - flops) <= 1e-9 * flops);
  assert_true(fabs((after.bytes - before.bytes) - bytes) <= 1e-9 * bytes);
  assert_true(fabs((after.slot_s - before.slot_s) - 2.0 * ran_s) <= 1e-12);
  assert_true(fabs((after.kv_token_s - before.kv_token_s) - 220.0 * ran_s) <= 1e-9);
  assert_true(fabs((after.busy_replica_s - before.busy_replica_s) - ran_s) <= 1e-12);
  const struct ic_fleet_stats *st = ic_fleet_stats(f);
  assert_int_equal(st->in_flight_at_start, 2);
  assert_int_equal(st->completed, 2);
  assert_int_equal(st->batches, 0); /* it started before the window */
  ic_fleet_free(f);
  ic_sim_free(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(md1_mean_wait_at_rho_0_5),
      cmocka_unit_test(md1_mean_wait_at_rho_0_8),
      cmocka_unit_test(mdc_reference_matches_md1_formula),
      cmocka_unit_test(mdc_central_queue_mean_wait),
      cmocka_unit_test(static_batching_timeline),
      cmocka_unit_test(requests_and_energy_are_conserved),
      cmocka_unit_test(overload_is_flagged),
      cmocka_unit_test(infinite_service_time_stops),
      cmocka_unit_test(window_length_does_not_move_the_price),
      cmocka_unit_test(static_window_by_hand),
      cmocka_unit_test(prefill_pool_is_mdc),
  };
  return cmocka_run_group_tests_name("serve", tests, NULL, NULL);
}
