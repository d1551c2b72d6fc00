/* test_serve_disagg.c: prefill/decode disaggregation: a transfer by hand,
 * no decode step lengthened by a prefill (against colocated serving, where
 * it is), and conservation of requests across the pools at every second. */
#define _POSIX_C_SOURCE 200809L
#include "ic_test.h"
#include "ic_test_perf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "infercost/cost.h"
#include "infercost/serve.h"
#include "infercost/sim.h"

static ic_time_ns shape_ns(const struct ic_perf *perf, struct ic_iter_shape shape) {
  return ic_time_from_s(ic_perf_iter_s(perf, &shape, NULL));
}

/* A fleet: `prefill` replicas of a prefill pool and `decode` of a decode
 * pool (one GPU each, one replica per node), or with decode = 0 one mixed
 * pool of `prefill` replicas; ledgers optional. */
struct rig {
  struct ic_perf perf;
  struct ic_fleet_config fc[2];
  struct ic_serving_config sc;
  ic_ledger *ledger[2];
  ic_sim *sim;
  ic_fleet *f;
  ic_time_ns done_ns[4096];
  int done;
};

static void log_done(void *ctx, const struct ic_serve_event *ev) {
  struct rig *g = ctx;
  if (ev->kind == IC_SERVE_REQUEST_DONE && ev->first_request_id < 4096) {
    g->done_ns[ev->first_request_id] = ev->time_ns;
    g->done++;
  }
}

static void rig_open(struct rig *g, int64_t prefill, int64_t decode, int64_t max_batch, int ttft_at,
                     double link_gb_per_s, int32_t nvlink_domain) {
  g->done = 0;
  g->perf = ic_test_llama7b_h100();
  g->fc[0] = (struct ic_fleet_config){"h100-sxm", "dgx-h100", 1, prefill, 1};
  g->fc[1] = (struct ic_fleet_config){"h100-sxm", "dgx-h100", 1, decode, 1};
  g->sc = (struct ic_serving_config){.batching = IC_BATCHING_CONTINUOUS, .router = IC_ROUTER_LEAST_OUTSTANDING,
                                     .max_batch = max_batch, .slo_ttft_s = 1, .slo_tpot_s = 1,
                                     .kv_link_gb_per_s = link_gb_per_s, .kv_link_efficiency = 0.8, .kv_link_latency_s = 1e-5,
                                     .ttft_at = ttft_at};
  struct ic_gpu_power gp = {{75.0, 700.0, 380.0, 0.0}};
  g->sim = ic_sim_alloc(9, 0);
  size_t n = decode > 0 ? 2 : 1;
  struct ic_pool_spec specs[2];
  for (size_t i = 0; i < n; i++) {
    g->ledger[i] = ic_ledger_alloc(g->fc[i].nodes, 1, 0.0, &gp, 0);
    specs[i] = (struct ic_pool_spec){i ? "decode" : "prefill", &g->fc[i], &g->sc, &g->perf, g->ledger[i], 0.0,
                                     n == 1 ? IC_ROLE_MIXED : i ? IC_ROLE_DECODE : IC_ROLE_PREFILL, nvlink_domain,
                                     450e9};
  }
  g->f = ic_fleet_alloc_pools(g->sim, specs, n, &g->sc);
  assert_non_null(g->f);
  ic_fleet_set_observer(g->f, log_done, g);
}

static void rig_close(struct rig *g, size_t n) {
  ic_fleet_free(g->f);
  for (size_t i = 0; i < n; i++) ic_ledger_free(g->ledger[i]);
  ic_sim_free(g->sim);
}

/* One request (prompt 1,000, output 5): the prefill pool prefills it [0,
 * P); its 1,000 tokens of KV (2 x 32 layers x 4,096 x 2 bytes each) cross
 * one H100's 50 GB/s at 80 % in bytes / 40 GB/s, plus 10 us; then the
 * decode pool runs its 4 decode steps (contexts 1,000 to 1,003). TTFT is the
 * transfer's end, or the prefill's with ttft_at = prefill. The decode
 * pool's GPUs never draw prefill power. */
static void transfer_by_hand(void **state) {
  (void)state;
  for (int at = IC_TTFT_AT_TRANSFER; at <= IC_TTFT_AT_PREFILL; at++) {
    static struct rig g;
    rig_open(&g, 1, 1, 4, at, 50, 0);
    ic_time_ns p = shape_ns(&g.perf, ic_iter_shape_prefill_chunk(1000, 0));
    double bytes = 1000.0 * 2.0 * 32.0 * 4096.0 * 2.0;
    ic_time_ns moved = p + ic_time_from_s(bytes / 40e9) + ic_time_from_s(1e-5), done = moved;
    for (int64_t i = 0; i < 4; i++) done += shape_ns(&g.perf, ic_iter_shape_decode(1, 1000 + i));
    struct ic_request req = {0, 0, 1000, 5, 0, 0, 0};
    assert_int_equal(ic_fleet_submit(g.f, &req), IC_OK);
    ic_sim_run_until(g.sim, IC_TIME_NEVER - 1);
    assert_int_equal(g.done, 1);
    assert_true(llabs(g.done_ns[0] - done) <= 4);
    const struct ic_fleet_stats *st = ic_fleet_stats(g.f);
    assert_int_equal(st->transfers, 1);
    assert_true(st->kv_bytes_moved == bytes);
    assert_true(fabs(ic_sketch_min(st->transfer_s) - ic_time_to_s(moved - p)) < 1e-12);
    double ttft = ic_time_to_s(at == IC_TTFT_AT_TRANSFER ? moved : p);
    assert_true(fabs(ic_sketch_min(st->ttft_s) - ttft) < 1e-12);
    assert_int_equal(ic_fleet_pool_completed(g.f, 0), 1); /* handed off */
    assert_int_equal(ic_fleet_pool_routed(g.f, 1), 1);
    assert_int_equal(ic_fleet_pool_completed(g.f, 1), 1);
    /* Per pool: one prefill iteration of one request, four decode steps of
     * one; neither waited (each pool's replica was idle when it came). */
    struct ic_fleet_pool_figures pf, df;
    ic_fleet_pool_figures(g.f, 0, &pf);
    ic_fleet_pool_figures(g.f, 1, &df);
    assert_true(pf.batches == 1 && pf.batched_requests == 1 && df.batches == 4 && df.batched_requests == 4);
    assert_true(st->batches == pf.batches + df.batches);
    assert_true(ic_sketch_count(pf.wait_s) == 1 && ic_sketch_max(pf.wait_s) == 0.0);
    assert_true(ic_sketch_count(df.wait_s) == 1 && ic_sketch_max(df.wait_s) == 0.0);
    ic_ledger_flush(g.ledger[0], done);
    ic_ledger_flush(g.ledger[1], done);
    assert_true(ic_ledger_gpu_state_s(g.ledger[1], IC_GPU_PREFILL) == 0.0);
    assert_true(fabs(ic_ledger_gpu_state_s(g.ledger[0], IC_GPU_PREFILL) - ic_time_to_s(p)) < 1e-12);
    rig_close(&g, 2);
  }
}

/* Idle power-down (after 0.1 s) with a slow link (0.5 GB/s at 80 %: the
 * 1,000-token KV cache takes 1.31 s to move, longer than the idle time).
 * The prefill node holds the KV cache until the transfer ends, so it stays
 * on, drawing idle power, until then and powers down 0.1 s later; the
 * decode node, whose room is promised at the prefill's end (before its own
 * idle timer fires at 0.1 s), stays on through the transfer. Energy of each
 * node by hand, from the GPU powers (idle 75 W, prefill 700 W, decode
 * 380 W, off 0 W, no base power): the prefill node 700 P + 75 (M + 0.1 - P),
 * the decode node 75 M + 380 (D - M) + 75 x 0.1, for prefill end P,
 * transfer end M and last token D; no node is ever woken. */
static void powerdown_waits_for_the_transfer(void **state) {
  (void)state;
  static struct rig g;
  rig_open(&g, 1, 1, 4, IC_TTFT_AT_TRANSFER, 0.5, 0);
  struct ic_powerdown_config pd = {.enabled = true, .idle_s = 0.1, .wake_s = 0.0, .wake_threshold = 1};
  assert_int_equal(ic_fleet_set_powerdown(g.f, &pd), IC_OK);
  ic_time_ns p = shape_ns(&g.perf, ic_iter_shape_prefill_chunk(1000, 0));
  double bytes = 1000.0 * 2.0 * 32.0 * 4096.0 * 2.0;
  ic_time_ns moved = p + ic_time_from_s(bytes / 0.4e9) + ic_time_from_s(1e-5);
  assert_true(ic_time_to_s(p) < 0.1 && ic_time_to_s(moved - p) > 1.0); /* the case the test is about */
  struct ic_request req = {0, 0, 1000, 5, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(g.f, &req), IC_OK);
  ic_time_ns end = ic_time_from_s(5.0);
  ic_sim_run_until(g.sim, end);
  assert_int_equal(g.done, 1);
  double P = ic_time_to_s(p), M = ic_time_to_s(moved), D = ic_time_to_s(g.done_ns[0]);
  assert_true(D > M);
  ic_ledger_flush(g.ledger[0], end);
  ic_ledger_flush(g.ledger[1], end);
  assert_true(ic_ledger_node_is_off(g.ledger[0], 0) && ic_ledger_node_is_off(g.ledger[1], 0));
  assert_int_equal(ic_fleet_stats(g.f)->wakeups, 0);
  double want_prefill = 700.0 * P + 75.0 * (M + 0.1 - P), want_decode = 75.0 * M + 380.0 * (D - M) + 75.0 * 0.1;
  printf("# prefill node %.4f J (by hand %.4f), decode node %.4f J (by hand %.4f)\n",
         ic_ledger_it_energy_j(g.ledger[0]), want_prefill, ic_ledger_it_energy_j(g.ledger[1]), want_decode);
  assert_true(fabs(ic_ledger_it_energy_j(g.ledger[0]) - want_prefill) < 1e-3);
  assert_true(fabs(ic_ledger_it_energy_j(g.ledger[1]) - want_decode) < 1e-3);
  rig_close(&g, 2);
}

/* The same request between pools of one NVLink domain: its 1,000 tokens of
 * KV cross one H100's NVLink, 450 GB/s one direction, at 80 %: bytes /
 * 360 GB/s + 10 us (the network's 50 GB/s is not used). Two requests
 * prefilled together on one replica then move one after the other over its
 * GPU's links: the second's transfer ends one transfer-time later. */
static void nvlink_transfer_by_hand(void **state) {
  (void)state;
  static struct rig g;
  rig_open(&g, 1, 1, 4, IC_TTFT_AT_TRANSFER, 50, 1);
  ic_time_ns p = shape_ns(&g.perf, ic_iter_shape_prefill_chunk(1000, 0));
  double bytes = 1000.0 * 2.0 * 32.0 * 4096.0 * 2.0;
  ic_time_ns one = ic_time_from_s(bytes / 360e9), lat = ic_time_from_s(1e-5);
  struct ic_request req = {0, 0, 1000, 5, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(g.f, &req), IC_OK);
  ic_sim_run_until(g.sim, IC_TIME_NEVER - 1);
  const struct ic_fleet_stats *st = ic_fleet_stats(g.f);
  assert_int_equal(st->transfers, 1);
  printf("# NVLink transfer %.9f s (by hand %.9f s)\n", ic_sketch_min(st->transfer_s), ic_time_to_s(one + lat));
  assert_true(fabs(ic_sketch_min(st->transfer_s) - ic_time_to_s(one + lat)) < 2e-9);
  assert_true(fabs(ic_sketch_min(st->ttft_s) - ic_time_to_s(p + one + lat)) < 2e-9);
  rig_close(&g, 2);
  /* Two at once: one prefill iteration of both prompts, then the link in turn. */
  rig_open(&g, 1, 1, 4, IC_TTFT_AT_TRANSFER, 50, 1);
  struct ic_request two[2] = {{0, 0, 1000, 5, 0, 0, 0}, {1, 0, 1000, 5, 0, 0, 0}};
  assert_int_equal(ic_fleet_submit(g.f, &two[0]), IC_OK);
  assert_int_equal(ic_fleet_submit(g.f, &two[1]), IC_OK);
  ic_sim_run_until(g.sim, IC_TIME_NEVER - 1);
  st = ic_fleet_stats(g.f);
  assert_int_equal(st->transfers, 2);
  assert_true(fabs(ic_sketch_min(st->transfer_s) - ic_time_to_s(one + lat)) < 2e-9);
  assert_true(fabs(ic_sketch_max(st->transfer_s) - ic_time_to_s(2 * one + lat)) < 2e-9 * 2);
  /* Per pool: the prefill pool ran one iteration of two. The first KV
   * cache starts decoding on arrival; the second arrives `one` later,
   * inside that first decode step, and waits in the decode pool's queue
   * for the step's end: step - one. */
  struct ic_fleet_pool_figures pf, df;
  ic_fleet_pool_figures(g.f, 0, &pf);
  ic_fleet_pool_figures(g.f, 1, &df);
  assert_true(pf.batches == 1 && pf.batched_requests == 2);
  assert_true(ic_sketch_count(pf.wait_s) == 2 && ic_sketch_max(pf.wait_s) == 0.0);
  ic_time_ns step = shape_ns(&g.perf, ic_iter_shape_decode(1, 1000));
  assert_true(step > one);
  printf("# decode pool waits %.9f s and %.9f s (by hand 0 and %.9f s)\n", ic_sketch_min(df.wait_s),
         ic_sketch_max(df.wait_s), ic_time_to_s(step - one));
  assert_true(ic_sketch_count(df.wait_s) == 2 && ic_sketch_min(df.wait_s) == 0.0);
  assert_true(fabs(ic_sketch_max(df.wait_s) - ic_time_to_s(step - one)) < 4e-9);
  rig_close(&g, 2);
}

struct arrivals {
  ic_fleet *f;
  gsl_rng *rng;
  double rate;
  uint64_t id, n;
};

static void arrive(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)arg;
  struct arrivals *a = ctx;
  struct ic_request req = {a->id++, ic_sim_now(sim), 500, 50, 0, 0, 0};
  assert_int_equal(ic_fleet_submit(a->f, &req), IC_OK);
  if (a->id < a->n) ic_sim_schedule_in(sim, ic_time_from_s(gsl_ran_exponential(a->rng, 1.0 / a->rate)), arrive, a, 0);
}

/* 600 requests (prompt 500, output 50) at 6 per second. Disaggregated (one
 * prefill, two decode replicas) no request's time per output token exceeds
 * the longest decode step its decode replica can take (a full batch of 8 at
 * the longest contexts): no prefill ever runs between its tokens. The same
 * load colocated on three mixed replicas, without chunking, stretches some
 * requests' TPOT past that bound: their decodes waited for prefills. At
 * every simulated second, requests are conserved across the pools: every
 * one routed to the prefill pool is in it, moving, in the decode pool, or
 * done, and none is counted twice. */
static void decode_never_waits_for_prefill(void **state) {
  (void)state;
  struct ic_perf perf = ic_test_llama7b_h100();
  double bound = ic_perf_iter_s(&perf, &(struct ic_iter_shape){8, 8.0 * 551.0, 8 * 550, 8}, NULL);
  double tpot_max[2];
  for (int colocated = 0; colocated <= 1; colocated++) {
    static struct rig g;
    rig_open(&g, colocated ? 3 : 1, colocated ? 0 : 2, 8, IC_TTFT_AT_TRANSFER, 50, 0);
    struct arrivals a = {g.f, gsl_rng_alloc(gsl_rng_mt19937), 6.0, 0, 600};
    gsl_rng_set(a.rng, 4);
    ic_sim_schedule_at(g.sim, 0, arrive, &a, 0);
    for (ic_time_ns t = IC_NS_PER_S; g.done < 600; t += IC_NS_PER_S) {
      ic_sim_run_until(g.sim, t);
      const struct ic_fleet_stats *st = ic_fleet_stats(g.f);
      assert_int_equal(st->arrived, st->completed + st->rejected + ic_fleet_in_flight(g.f));
      if (!colocated) {
        uint64_t routed = ic_fleet_pool_routed(g.f, 0), handed = ic_fleet_pool_completed(g.f, 0);
        uint64_t decoding = ic_fleet_pool_routed(g.f, 1), finished = ic_fleet_pool_completed(g.f, 1);
        assert_int_equal(routed, st->arrived - st->rejected);
        assert_true(routed >= handed && handed >= decoding && decoding >= finished);
        assert_int_equal(finished, st->completed);
        assert_int_equal(ic_fleet_in_flight(g.f), routed - finished);
        assert_int_equal(st->transfers, decoding);
      }
      assert_true(t < 3600 * IC_NS_PER_S);
    }
    tpot_max[colocated] = ic_sketch_max(ic_fleet_stats(g.f)->tpot_s);
    gsl_rng_free(a.rng);
    rig_close(&g, colocated ? 1 : 2);
  }
  printf("# TPOT max: %.5f s disaggregated, %.5f s colocated; longest decode step %.5f s\n", tpot_max[0], tpot_max[1],
         bound);
  assert_true(tpot_max[0] <= bound + 1e-9);
  assert_true(tpot_max[1] > bound);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(transfer_by_hand),
      cmocka_unit_test(powerdown_waits_for_the_transfer),
      cmocka_unit_test(nvlink_transfer_by_hand),
      cmocka_unit_test(decode_never_waits_for_prefill),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
