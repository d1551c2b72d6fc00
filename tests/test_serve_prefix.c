/* test_serve_prefix.c: the prefix cache inside continuous batching, on one
 * H100 replica of Llama-2-7B, requests one at a time, timed by hand from
 * the compute model's iteration shapes: a cached prefix is not computed
 * but attended to, a hit in DRAM costs its transfer, and the counts. */
#include "ic_test.h"
#include "ic_test_diag.h"
#include "ic_test_perf.h"

#include <math.h>
#include <stdlib.h>

#include "infercost/blocks.h"
#include "infercost/run.h"
#include "infercost/scenario.h"
#include "infercost/serve.h"
#include "infercost/sim.h"

#define BLOCK 16

struct rig {
  ic_sim *sim;
  ic_fleet *f;
  ic_block_ring *ring;
  struct ic_source src;      /* a source that is only its ring of block hashes */
  struct ic_perf perf;
  ic_time_ns done_ns;
  int64_t done_replica;      /* of the last request run_request submitted */
  uint64_t next_id, last_id;
};

static void log_done(void *ctx, const struct ic_serve_event *ev) {
  struct rig *r = ctx;
  if (ev->kind != IC_SERVE_REQUEST_DONE || ev->first_request_id != r->last_id) return;
  r->done_ns = ev->time_ns;
  r->done_replica = ev->replica;
}

static ic_time_ns shape_ns(const struct ic_perf *perf, struct ic_iter_shape shape) {
  return ic_duration_from_s(ic_perf_iter_s(perf, &shape, NULL));
}

/* hbm_blocks < 0: the cache shares the KV budget; a budget of kv_tokens
 * (0: 160 when shared, else the model's). */
static void rig_open_kv(struct rig *r, int64_t hbm_blocks, double dram_gb, int64_t nodes, int router,
                        int64_t kv_tokens, int64_t max_batch, int admission) {
  r->perf = ic_test_llama7b_h100();
  if (kv_tokens > 0) r->perf.kv_capacity_tokens = (double)kv_tokens;
  else if (hbm_blocks < 0) r->perf.kv_capacity_tokens = 160; /* 10 blocks, shared with the batch */
  struct ic_fleet_config fc = {"h100-sxm", "dgx-h100", 1, nodes, 1};
  struct ic_serving_config sc = {.batching = IC_BATCHING_CONTINUOUS, .router = router, .prefix_route_weight = 1.0,
                                 .max_batch = max_batch, .admission = admission, .slo_ttft_s = 1, .slo_tpot_s = 1,
                                 .prefix_cache = true,
                                 .prefix_cache_blocks = hbm_blocks > 0 ? hbm_blocks : 0, .prefix_dram_gb = dram_gb,
                                 .prefix_dram_gb_per_s = 50.0, .prefix_ssd_gb_per_s = 6.0};
  r->sim = ic_sim_alloc(5, 0);
  r->f = ic_fleet_alloc(r->sim, &fc, &sc, &r->perf, NULL);
  r->ring = ic_block_ring_alloc(256, BLOCK);
  assert_non_null(r->f);
  assert_non_null(r->ring);
  r->src = (struct ic_source){.blocks = r->ring};
  assert_int_equal(ic_fleet_set_blocks(r->f, &r->src, BLOCK), IC_OK);
  ic_fleet_set_observer(r->f, log_done, r);
  r->next_id = 0;
}

static void rig_open_on(struct rig *r, int64_t hbm_blocks, double dram_gb, int64_t nodes, int router) {
  rig_open_kv(r, hbm_blocks, dram_gb, nodes, router, 0, 4, IC_ADMISSION_EVICT);
}

static void rig_open(struct rig *r, int64_t hbm_blocks, double dram_gb) {
  rig_open_on(r, hbm_blocks, dram_gb, 1, IC_ROUTER_ROUND_ROBIN);
}

static void rig_close(struct rig *r) {
  ic_fleet_free(r->f);
  ic_block_ring_free(r->ring);
  ic_sim_free(r->sim);
}

/* Submits a request of `prompt` tokens, 2 output tokens, whose blocks have
 * content ids ids[0..n), at the current time, and runs it to its end;
 * returns its time in the system. */
static ic_time_ns run_request(struct rig *r, int64_t prompt, const uint64_t *ids, uint32_t n) {
  uint64_t h = 0, pos = ic_block_ring_end(r->ring);
  for (uint32_t i = 0; i < n; i++) ic_block_ring_push(r->ring, h = ic_block_chain(h, ids[i]));
  ic_time_ns now = ic_sim_now(r->sim);
  r->last_id = r->next_id;
  struct ic_request req = {r->next_id++, now, prompt, 2, 0, n, pos};
  assert_int_equal(ic_fleet_submit(r->f, &req), IC_OK);
  ic_sim_run_until(r->sim, now + ic_duration_from_s(100.0));
  return r->done_ns - now;
}

static void assert_near_ns(ic_time_ns got, ic_time_ns want) {
  if (llabs(got - want) > 2) fail_msg("got %lld ns, want %lld ns", (long long)got, (long long)want);
}

/* A: 100 tokens = 6 whole blocks of 16 and one of 4, nothing cached. B
 * shares A's first 5 blocks: 80 tokens cached, its prefill is a chunk of 20
 * over a cached 80. C repeats A: all 100 cached, yet the last token is
 * computed (a chunk of 1 over 99). */
static void cached_prefix_by_hand(void **state) {
  (void)state;
  struct rig r;
  rig_open(&r, 100, 0.0);
  const uint64_t a[] = {1, 2, 3, 4, 5, 6, 7}, b[] = {1, 2, 3, 4, 5, 8, 9};
  ic_time_ns decode = shape_ns(&r.perf, ic_iter_shape_decode(1, 100));
  assert_near_ns(run_request(&r, 100, a, 7), shape_ns(&r.perf, ic_iter_shape_prefill_chunk(100, 0)) + decode);
  assert_near_ns(run_request(&r, 100, b, 7), shape_ns(&r.perf, ic_iter_shape_prefill_chunk(20, 80)) + decode);
  assert_near_ns(run_request(&r, 100, a, 7), shape_ns(&r.perf, ic_iter_shape_prefill_chunk(1, 99)) + decode);
  const struct ic_fleet_stats *st = ic_fleet_stats(r.f);
  assert_int_equal(st->prefix_requests, 3);
  assert_int_equal(st->prefix_hit_requests, 2);
  assert_int_equal(st->prefix_prompt_tokens, 300);
  assert_int_equal(st->prefix_hit_tokens, 180);
  assert_int_equal(st->prefix_tier_tokens[0], 180);
  assert_int_equal(st->prefill_tokens_saved, 179);
  assert_int_equal(st->prefix_load_replica_s, 0.0);
  rig_close(&r);
}

/* HBM of 7 blocks, DRAM of 11 (0.1 GB of 16-token blocks of Llama-2-7B's
 * 524,288 fp16 KV bytes a token). A fills HBM; D (7 other blocks) pushes
 * A's blocks down to DRAM; A again finds them all there: 99 tokens move
 * over 50 GB/s before its one-token chunk. */
static void dram_hit_costs_transfer(void **state) {
  (void)state;
  struct rig r;
  rig_open(&r, 7, 0.1);
  const uint64_t a[] = {1, 2, 3, 4, 5, 6, 7}, d[] = {11, 12, 13, 14, 15, 16, 17};
  ic_time_ns decode = shape_ns(&r.perf, ic_iter_shape_decode(1, 100));
  run_request(&r, 100, a, 7);
  run_request(&r, 100, d, 7);
  ic_time_ns load = ic_duration_from_s(99.0 * 524288.0 / 50e9);
  assert_near_ns(run_request(&r, 100, a, 7), load + shape_ns(&r.perf, ic_iter_shape_prefill_chunk(1, 99)) + decode);
  const struct ic_fleet_stats *st = ic_fleet_stats(r.f);
  assert_int_equal(st->prefix_hit_requests, 1);
  assert_int_equal(st->prefix_tier_requests[0], 0);
  assert_int_equal(st->prefix_tier_requests[1], 1);
  assert_int_equal(st->prefix_tier_tokens[1], 100);
  assert_true(fabs(st->prefix_load_replica_s - ic_time_to_s(load)) < 1e-12);
  rig_close(&r);
}

/* The cache shares a KV budget of 160 tokens (10 blocks). A leaves its 7
 * blocks. D (2 blocks, 32 tokens, 100 output tokens) decodes to 131 KV
 * tokens, leaving 29 free: 1 unpinned block beside D's 2 pinned, so 6 of
 * A's go, tail first. A again finds only its first block: a chunk of 84
 * over a cached 16. */
static void shared_budget_trims(void **state) {
  (void)state;
  struct rig r;
  rig_open_on(&r, -1, 0.0, 1, IC_ROUTER_ROUND_ROBIN);
  const uint64_t a[] = {1, 2, 3, 4, 5, 6, 7}, d[] = {11, 12};
  ic_time_ns decode = shape_ns(&r.perf, ic_iter_shape_decode(1, 100));
  run_request(&r, 100, a, 7);
  uint64_t h = 0, pos = ic_block_ring_end(r.ring);
  for (int i = 0; i < 2; i++) ic_block_ring_push(r.ring, h = ic_block_chain(h, d[i]));
  struct ic_request rd = {r.next_id++, ic_sim_now(r.sim), 32, 100, 0, 2, pos};
  assert_int_equal(ic_fleet_submit(r.f, &rd), IC_OK);
  ic_sim_run_until(r.sim, ic_sim_now(r.sim) + ic_duration_from_s(100.0));
  assert_near_ns(run_request(&r, 100, a, 7), shape_ns(&r.perf, ic_iter_shape_prefill_chunk(84, 16)) + decode);
  assert_int_equal(ic_fleet_stats(r.f)->prefix_hit_tokens, 16);
  rig_close(&r);
}

/* prefix_aware on two idle replicas: X (no common blocks) went to
 * replica 0, A to replica 1. B shares A's first 5 blocks: the least-loaded
 * candidate is replica 0 (a tie on load goes to the lower index), but the
 * hint names replica 1, whose score is 80 cached tokens against 0: B goes
 * there and computes 20 tokens over a cached 80. */
static void prefix_aware_follows_the_prefix(void **state) {
  (void)state;
  struct rig r;
  rig_open_on(&r, 100, 0.0, 2, IC_ROUTER_PREFIX_AWARE);
  const uint64_t x[] = {21, 22, 23}, a[] = {1, 2, 3, 4, 5, 6, 7}, b[] = {1, 2, 3, 4, 5, 8, 9};
  uint64_t h = 0, pos = ic_block_ring_end(r.ring);
  for (int i = 0; i < 3; i++) ic_block_ring_push(r.ring, h = ic_block_chain(h, x[i]));
  struct ic_request rx = {r.next_id++, 0, 40, 50, 0, 3, pos};
  assert_int_equal(ic_fleet_submit(r.f, &rx), IC_OK); /* replica 0 is busy with x while A arrives */
  assert_int_equal(run_request(&r, 100, a, 7) > 0, true);
  assert_int_equal(r.done_replica, 1);
  ic_sim_run_until(r.sim, ic_sim_now(r.sim) + ic_duration_from_s(100.0)); /* x done: both idle */
  ic_time_ns decode = shape_ns(&r.perf, ic_iter_shape_decode(1, 100));
  assert_near_ns(run_request(&r, 100, b, 7), shape_ns(&r.perf, ic_iter_shape_prefill_chunk(20, 80)) + decode);
  assert_int_equal(r.done_replica, 1);
  rig_close(&r);
}

/* The largest batch of the run: the last nonzero bin of the batch histogram. */
static int64_t largest_batch(const ic_fleet *f) {
  const struct ic_fleet_stats *st = ic_fleet_stats(f);
  int64_t b = 0;
  for (size_t i = 0; i < st->batch_bins; i++)
    if (st->batch_hist[i]) b = (int64_t)i;
  return b;
}

/* Submits `count` requests at once, each a 160-token prefix (blocks 1..10,
 * P = 160) and 32 tokens of its own (2 blocks, n = 32), 16 output tokens
 * (m = 16), with reserve admission, on a KV budget of K = 640 tokens the
 * cache shares; runs them all. */
static int64_t shared_prefix_batch(int64_t hbm_blocks, int64_t count) {
  struct rig r;
  rig_open_kv(&r, hbm_blocks, 0.0, 1, IC_ROUTER_ROUND_ROBIN, 640, 32, IC_ADMISSION_RESERVE);
  for (int64_t k = 0; k < count; k++) {
    uint64_t h = 0, pos = ic_block_ring_end(r.ring);
    for (uint64_t i = 1; i <= 10; i++) ic_block_ring_push(r.ring, h = ic_block_chain(h, i));
    for (uint64_t i = 0; i < 2; i++) ic_block_ring_push(r.ring, h = ic_block_chain(h, 100 + 2 * (uint64_t)k + i));
    struct ic_request req = {r.next_id++, 0, 192, 16, 0, 12, pos};
    assert_int_equal(ic_fleet_submit(r.f, &req), IC_OK);
  }
  ic_sim_run_until(r.sim, ic_duration_from_s(1000.0));
  assert_int_equal(ic_fleet_stats(r.f)->completed, count);
  assert_true(ic_fleet_stats(r.f)->kv_frac_max <= 1.0);
  int64_t b = largest_batch(r.f);
  rig_close(&r);
  return b;
}

/* Sharing the KV budget, the prefix's 10 pinned blocks count once: each
 * request reserves its own 32 prompt + 16 output tokens, so a batch holds
 * floor((K - P) / (n + m)) = floor(480 / 48) = 10 requests, where counting
 * every whole prompt held floor(K / (P + n + m)) = floor(640 / 208) = 3.
 * With memory of its own (prefix_cache_blocks) the cache shares nothing
 * with the batch: whole prompts, 3 again. */
static void shared_prefix_counts_once(void **state) {
  (void)state;
  assert_int_equal(shared_prefix_batch(-1, 14), 10);
  assert_int_equal(shared_prefix_batch(100, 14), 3);
}

/* Conservation: the KV used (the running requests' reservations plus the
 * cache's pinned blocks, each once) never exceeds the capacity, and the
 * budget is reached. Over the whole shipped Mooncake replay on one replica
 * whose batch may grow until the KV budget binds (mixed; with prefill and
 * decode pools, where the prefill replica binds less, half of it), and on
 * generated long prompts behind shared system prompts that preempt (a
 * preempted request gives back its reservation and its pins). */
static void mooncake_kv_conserved(void **state) {
  (void)state;
  static struct ic_scenario s;
  const char *mixed[] = {"serving.prefix_cache=true", "fleet.nodes=1", "serving.max_batch=1024"};
  const char *disagg[] = {"serving.prefix_cache=true", "serving.max_batch=1024", "pool.pre.role=prefill",
                          "pool.pre.nodes=1", "pool.dec.role=decode", "pool.dec.nodes=1"};
  const char *preempt[] = {"traffic.prompt_tokens=30000", "traffic.prompt_dist=lognormal", "traffic.output_dist=lognormal",
                           "serving.max_batch=256", "fleet.nodes=4", "traffic.queries_per_day=5e6",
                           "run.duration_s=200", "run.warmup_s=0", "traffic.system_prompts=4",
                           "traffic.system_prompt_tokens=8192", "serving.prefix_cache=true"};
  const char *const *sets[] = {mixed, disagg, preempt};
  const char *files[] = {"scenarios/mooncake-replay.ini", "scenarios/mooncake-replay.ini", "scenarios/chatgpt-2025.ini"};
  size_t counts[] = {3, 6, 11};
  for (int i = 0; i < 3; i++) {
    struct ic_run_result res;
    assert_int_equal(ic_scenario_build(&s, files[i], sets[i], counts[i]), IC_OK);
    assert_int_equal(ic_scenario_check(&s), IC_OK);
    assert_int_equal(ic_run_scenario(&s, &res), IC_OK);
    assert_true(i == 2 ? res.preemptions > 0 : res.arrived == 3993);
    if (!(res.kv_frac_max <= 1.0 && res.kv_frac_max > (i == 1 ? 0.5 : 0.95)))
      fail_msg("run %d: KV use at most %.6f of capacity", i, res.kv_frac_max);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(cached_prefix_by_hand, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(dram_hit_costs_transfer, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(prefix_aware_follows_the_prefix, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(shared_budget_trims, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(shared_prefix_counts_once, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(mooncake_kv_conserved, diag_capture, diag_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
