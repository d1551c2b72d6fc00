/* test_serve_pools.c: pools ([pool.NAME] sections): parsing, errors with
 * file:line, the resolved printout, one pool equal to the plain fleet, and
 * a mixed A100 + H100 fleet: conservation across pools, the pools' ledgers
 * adding up, and a speed-aware router sending the faster pool more. */
#define _POSIX_C_SOURCE 200809L
#include "ic_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/run.h"
#include "infercost/scenario.h"
#include "infercost/sweep.h"

#include "ic_test_cli.h"
#include "ic_test_diag.h"

static void load(struct ic_scenario *s, const char *text, ic_status want) {
  ic_scenario_defaults(s);
  assert_int_equal(ic_scenario_load_text(s, text, "p.ini"), want);
}

static void set(struct ic_scenario *s, const char *kv) { assert_int_equal(ic_scenario_set(s, kv, "test"), IC_OK); }

/* A pool takes the scenario's keys and its own on top, whatever the order;
 * overrides reach pool keys; the printout reads back to the same pools. */
static void pools_resolve_and_round_trip(void **state) {
  (void)state;
  static struct ic_scenario s, back;
  load(&s, "[pool.h100]\ngpu = h100-sxm\nmax_batch = 64\n[fleet]\nnodes = 7\ngpus_per_replica = 4\n[pool.a100]\n", IC_OK);
  set(&s, "pool.a100.nodes=3");
  set(&s, "pool.h100.batching=static");
  assert_int_equal(s.pool_count, 2);
  struct ic_fleet_config fc;
  struct ic_serving_config sc;
  ic_scenario_pool(&s, 0, &fc, &sc);
  assert_string_equal(fc.gpu, "h100-sxm");
  assert_int_equal(fc.nodes, 7);            /* the scenario's, set after the pool */
  assert_int_equal(fc.gpus_per_replica, 4);
  assert_int_equal(sc.max_batch, 64);
  assert_int_equal(sc.batching, IC_BATCHING_STATIC);
  ic_scenario_pool(&s, 1, &fc, &sc);
  assert_string_equal(fc.gpu, "a100-80gb");
  assert_int_equal(fc.nodes, 3);
  assert_int_equal(sc.max_batch, 32);
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  ic_scenario_write(&s, mem);
  fclose(mem);
  assert_non_null(strstr(text, "[pool.h100]"));
  load(&back, text, IC_OK);
  assert_int_equal(back.pool_count, 2);
  for (size_t i = 0; i < 2; i++) {
    struct ic_fleet_config fa, fb;
    struct ic_serving_config sa, sb;
    ic_scenario_pool(&s, i, &fa, &sa);
    ic_scenario_pool(&back, i, &fb, &sb);
    assert_memory_equal(&fa, &fb, sizeof fa);
    assert_int_equal(sa.max_batch, sb.max_batch);
    assert_int_equal(sa.batching, sb.batching);
  }
  assert_true(ic_scenario_digest(&s) == ic_scenario_digest(&back));
  free(text);
}

/* Bad pool definitions name the file and line (or the override) and key. */
static void bad_pools_are_reported(void **state) {
  static struct ic_scenario s;
  diag_capture(state);
  static const struct {
    const char *text, *message;
  } bad[] = {
      {"[pool.a]\nnodes = 2\n[pool.a]\nnodes = 3\n", "p.ini:3: two pools named 'a' (the first at p.ini:1)"},
      {"[pool.a]\nnodse = 2\n", "p.ini:2: pool.a.nodse: unknown pool key"},
      {"[pool.a]\nrouter = random\n", "p.ini:2: pool.a.router: routing, queue and SLO keys are the fleet's"},
      {"[pool.a b]\n", "p.ini:1: pool name 'a b'"},
      {"[pool.a]\nnodes = 2\nnodes = 3\n", "p.ini:3: pool.a.nodes is set twice (first at p.ini:2)"},
      {"[pool.a]\nmax_batch = 0\n", "p.ini:2: pool.a.max_batch:"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    load(&s, bad[i].text, IC_EINVAL);
    assert_non_null(strstr(diag.text, bad[i].message));
  }
  load(&s, "[pool.p]\nrole = prefill\nbatching = static\n[pool.d]\nrole = decode\ngpus_per_replica = 3\n", IC_OK);
  assert_int_equal(ic_scenario_check(&s), IC_EINVAL);
  assert_non_null(strstr(diag.text, "p.ini:3: pool.p.batching: a prefill pool needs continuous batching"));
  assert_non_null(strstr(diag.text, "p.ini:6: pool.d.gpus_per_replica: a replica must fit inside one node"));
  load(&s, "[pool.d]\nrole = decode\n[pool.m]\n", IC_OK);
  assert_int_equal(ic_scenario_check(&s), IC_EINVAL);
  assert_non_null(strstr(diag.text, "p.ini:1: pools: a decode pool needs a prefill pool"));
  load(&s, "[pool.p]\nrole = prefill\n[pool.d]\nrole = decode\n[pool.m]\n", IC_OK);
  assert_int_equal(ic_scenario_check(&s), IC_EINVAL);
  assert_non_null(strstr(diag.text, "p.ini:1: pools: mixed pools cannot sit beside prefill and decode pools"));
  assert_int_equal(ic_scenario_set(&s, "pool.d.gpu=h100-sxm", "-s #1"), IC_OK);
  assert_int_equal(ic_scenario_set(&s, "pool.d.max_queue=3", "-s #2"), IC_EINVAL);
  assert_non_null(strstr(diag.text, "-s #2: pool.d.max_queue: routing, queue and SLO keys are the fleet's"));
  diag_release(state);
}

/* One pool that says nothing new is the plain fleet: every figure equal. */
static void one_pool_is_the_fleet(void **state) {
  (void)state;
  static struct ic_scenario a, b;
  const char *common = "[fleet]\nnodes = 6\n[traffic]\nqueries_per_day = 3e5\n[run]\nduration_s = 200\n";
  load(&a, common, IC_OK);
  char text[512];
  snprintf(text, sizeof text, "%s[pool.only]\n", common);
  load(&b, text, IC_OK);
  struct ic_run_result ra, rb;
  assert_int_equal(ic_run_scenario(&a, &ra), IC_OK);
  assert_int_equal(ic_run_scenario(&b, &rb), IC_OK);
  assert_true(ra.completed > 500);
  assert_int_equal(ra.completed, rb.completed);
  assert_true(ra.cost.total_usd == rb.cost.total_usd && ra.e2e_p99_s == rb.e2e_p99_s && ra.mfu == rb.mfu);
  assert_int_equal(rb.pool_count, 1);
  assert_int_equal(rb.pools[0].completed, rb.completed);
  assert_true(rb.pools[0].usd_per_day == rb.cost.total_usd);
}

/* Six DGX A100 and six DGX H100 nodes serve one model. Requests are
 * conserved across the pools at the end of the window, every pool's
 * counts add up to the fleet's, the pools' own ledgers add up to the
 * fleet's cost, and least_work (expected time to drain, from each pool's
 * compute model) sends the faster H100 pool more than half; least
 * outstanding, blind to speed, splits more evenly. */
static void mixed_hardware(void **state) {
  (void)state;
  static struct ic_scenario s;
  load(&s, "[traffic]\nqueries_per_day = 6e5\n[run]\nduration_s = 300\n[serving]\nrouter = least_work\n"
           "[pool.a100]\ngpu = a100-80gb\nnodes = 6\n[pool.h100]\ngpu = h100-sxm\nnodes = 6\n", IC_OK);
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  struct ic_run_result r, even;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_int_equal(r.pool_count, 2);
  assert_int_equal(r.in_flight_at_start + r.arrived, r.completed + r.rejected + r.in_flight_at_end);
  assert_int_equal(r.pools[0].completed + r.pools[1].completed, r.completed);
  assert_int_equal(r.gpus, r.pools[0].gpus + r.pools[1].gpus);
  double usd = r.pools[0].usd_per_day + r.pools[1].usd_per_day;
  assert_true(fabs(usd - r.cost.total_usd) <= 1e-9 * usd);
  double out = r.pools[0].output_tokens_per_day + r.pools[1].output_tokens_per_day;
  assert_true(fabs(out - r.output_tokens_per_day) <= 1e-9 * out);
  double h100_share = (double)r.pools[1].routed / (double)(r.pools[0].routed + r.pools[1].routed);
  set(&s, "serving.router=least_outstanding");
  assert_int_equal(ic_run_scenario(&s, &even), IC_OK);
  double even_share = (double)even.pools[1].routed / (double)(even.pools[0].routed + even.pools[1].routed);
  printf("# H100 pool's share of requests: %.3f (least_work), %.3f (least_outstanding)\n", h100_share, even_share);
  assert_true(h100_share > 0.6);
  assert_true(h100_share > even_share + 0.05);
  assert_true(r.pools[1].batch_occupancy > r.pools[0].batch_occupancy);
  /* The fleet's figures are the pools' weighted by replicas (utilisation)
   * and by replicas x max_batch (occupancy; both pools at 32). */
  double busy = 0, replicas = 0;
  for (int i = 0; i < 2; i++) busy += r.pools[i].utilisation * (double)r.pools[i].replicas, replicas += (double)r.pools[i].replicas;
  assert_true(fabs(busy / replicas - r.utilisation) <= 1e-9);
  double occ = 0;
  for (int i = 0; i < 2; i++) occ += r.pools[i].batch_occupancy * (double)r.pools[i].replicas;
  assert_true(fabs(occ / replicas - r.batch_occupancy) <= 1e-9);
  for (int i = 0; i < 2; i++) assert_true(r.pools[i].mean_batch_size > 1.0 && r.pools[i].wait_mean_s >= 0.0);
}

/* Prefill and decode pools of DGX H100 nodes (Llama 3 70B on 4 GPUs, 2,000
 * prompt tokens: 2,000 x 327,680 bytes of bf16 KV = 655.36 MB) at a load
 * light enough that transfers seldom queue. Over the network one transfer
 * takes the node's 8 x 50 GB/s at 80 %: 655.36e6 / 320e9 + 10 us =
 * 2.058 ms; with both pools in one NVLink domain, the replicas' 4 x 450 GB/s
 * at 80 %: 655.36e6 / 1.44e12 + 10 us = 0.4651 ms. The median transfer
 * time is each, within the sketch's 1 %. */
static void nvlink_domain_moves_kv_faster(void **state) {
  (void)state;
  static struct ic_scenario s;
  load(&s, "[model]\nname = llama3-70b\n[fleet]\ngpu = h100-sxm\ngpus_per_replica = 4\nnodes = 2\n"
           "[traffic]\nqueries_per_day = 2e5\nprompt_tokens = 2000\noutput_tokens = 300\n[run]\nduration_s = 300\n"
           "[pool.p]\nrole = prefill\n[pool.d]\nrole = decode\n", IC_OK);
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  struct ic_run_result net, nvl;
  assert_int_equal(ic_run_scenario(&s, &net), IC_OK);
  set(&s, "pool.p.nvlink_domain=dom");
  set(&s, "pool.d.nvlink_domain=dom");
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  assert_int_equal(ic_run_scenario(&s, &nvl), IC_OK);
  double want_net = 655.36e6 / 320e9 + 1e-5, want_nvl = 655.36e6 / 1.44e12 + 1e-5;
  printf("# KV transfer p50: network %.6f s (by hand %.6f), NVLink %.6f s (by hand %.6f)\n", net.transfer_p50_s,
         want_net, nvl.transfer_p50_s, want_nvl);
  assert_true(net.transfers > 500 && nvl.transfers > 500);
  assert_true(fabs(net.transfer_p50_s / want_net - 1.0) < 0.01);
  assert_true(fabs(nvl.transfer_p50_s / want_nvl - 1.0) < 0.01);
  assert_true(nvl.kv_gb_per_day == net.kv_gb_per_day || fabs(nvl.kv_gb_per_day / net.kv_gb_per_day - 1) < 0.01);
}

/* With pools, metrics.csv adds each pool's rows (pool.NAME.metric) after
 * the fleet's, and the transfer-time distribution; summary.json's pools
 * carry the same queueing and batch figures. */
static void outputs_carry_pool_rows(void **state) {
  (void)state;
  static char out[1 << 16];
  char dir[] = "/tmp/ic_pools_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char args[512];
  snprintf(args, sizeof args, "run -q tests/data/disagg_search.ini -s run.duration_s=60 -s traffic.queries_per_day=1e6 "
           "-s fleet.nodes=3 -s pool.prefill.nodes=2 -o %s/o && cat %s/o/metrics.csv %s/o/summary.json", dir, dir, dir);
  int rc = ic_test_infercost(args, out, sizeof out);
  assert_int_equal(rc, 0);
  static const char *const want[] = {"\ntransfer_p90_s,", "\ntransfer_max_s,", "\npool.prefill.wait_mean_s,",
                                     "\npool.prefill.mean_batch_size,", "\npool.decode.wait_p99_s,",
                                     "\npool.decode.utilisation,", "\"mean_batch_size\":", "\"wait_p99_s\":"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    if (!strstr(out, want[i])) fprintf(stderr, "missing %s in:\n%s\n", want[i], out);
    assert_non_null(strstr(out, want[i]));
  }
  snprintf(args, sizeof args, "rm -rf %s", dir);
  assert_int_equal(system(args), 0);
}

/* Sweeps take pool keys like any other. */
static void sweep_varies_pool_keys(void **state) {
  (void)state;
  static struct ic_scenario s;
  load(&s, "[pool.h100]\ngpu = h100-sxm\n", IC_OK);
  struct ic_sweep_axis axis;
  assert_int_equal(ic_sweep_axis_parse(&axis, "pool.h100.nodes=2,4,8", &s), IC_OK);
  assert_int_equal(axis.count, 3);
  ic_sweep_axis_fini(&axis);
  assert_int_equal(ic_sweep_axis_parse(&axis, "pool.h100.nodes=2:8:2", &s), IC_OK); /* a range: the key is an integer */
  assert_int_equal(axis.count, 4);
  ic_sweep_axis_fini(&axis);
  set(&s, "pool.h100.nodes=6");
  char value[64];
  assert_true(ic_scenario_format_key(&s, "pool.h100.nodes", value, sizeof value));
  assert_string_equal(value, "6");
  assert_true(ic_scenario_format_key(&s, "pool.h100.gpu", value, sizeof value));
  assert_string_equal(value, "h100-sxm");
  assert_true(ic_scenario_format_key(&s, "pool.h100.max_batch", value, sizeof value));
  assert_string_equal(value, "32");
  assert_false(ic_scenario_format_key(&s, "pool.a100.nodes", value, sizeof value));
  diag_capture(state);
  assert_int_equal(ic_sweep_axis_parse(&axis, "pool.h100.nodes=2,x", &s), IC_EINVAL);
  diag_release(state);
}

/* search finds the cheapest prefill:decode split: prefill nodes as a
 * discrete axis, and fleet.nodes, bisected, sizes the decode pool, which
 * does not set its own. It names the pool key and its chosen value. */
static void search_splits_pools(void **state) {
  (void)state;
  static char out[65536];
  int rc = ic_test_infercost("search tests/data/disagg_search.ini -q --workers 1 --target 'ttft_p99_s<=2' "
                             "--target 'tpot_p99_s<=0.05' --vary pool.prefill.nodes=4:6:1 --nodes 3:8:1",
                             out, sizeof out);
  if (rc != 0) fprintf(stderr, "%s\n", out);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, "  pool.prefill.nodes           5\n  fleet.nodes                  5\n"));
  assert_non_null(strstr(out, "Cost: USD"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pools_resolve_and_round_trip), cmocka_unit_test(bad_pools_are_reported),
      cmocka_unit_test(one_pool_is_the_fleet),        cmocka_unit_test(mixed_hardware),
      cmocka_unit_test(sweep_varies_pool_keys),       cmocka_unit_test(nvlink_domain_moves_kv_faster),
      cmocka_unit_test(outputs_carry_pool_rows),       cmocka_unit_test(search_splits_pools),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
