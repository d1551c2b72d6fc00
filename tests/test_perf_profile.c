/* test_perf_profile.c: the issue-15 terms of the compute model, by hand:
 * the gradual roofline transition, NCCL's tree all-reduce against the ring,
 * the per-sequence and per-token overheads, and the fitted profile's keys
 * staying overrides. */
#include <math.h>
#include <stdio.h>

#include "ic_test_diag.h"
#include "infercost/perf.h"
#include "infercost/run.h"
#include "infercost/scenario.h"

/* p = 0 is the max; p = 1 the sum; p = 2 the Euclidean norm; large p
 * tends to the max from above. */
static void roofline_norm_by_hand(void **state) {
  (void)state;
  assert_true(ic_perf_roofline(3.0, 4.0, 0.0) == 4.0);
  assert_true(fabs(ic_perf_roofline(3.0, 4.0, 1.0) - 7.0) < 1e-12);
  assert_true(fabs(ic_perf_roofline(3.0, 4.0, 2.0) - 5.0) < 1e-12);
  double big = ic_perf_roofline(3.0, 4.0, 60.0);
  assert_true(big > 4.0 && big < 4.0 * (1 + 1e-7));
  /* Where the bounds meet the transition costs most: 2^(1/p). */
  assert_true(fabs(ic_perf_roofline(0.25, 0.25, 3.461) - 0.25 * pow(2.0, 1.0 / 3.461)) < 1e-15);
  assert_true(ic_perf_roofline(0.0, 0.0, 3.0) == 0.0);
}

static struct ic_perf replica(int64_t tp, const struct ic_perf_params *pp) {
  const struct ic_precisions prec = {.weights = IC_FP8, .activations = IC_FP8, .kv = IC_FP8};
  struct ic_perf perf;
  assert_int_equal(ic_perf_init(&perf, ic_model_find("llama3-405b"), ic_hw_find_gpu("h100-sxm"), tp, &prec, pp, "t"),
                   IC_OK);
  return perf;
}

/* At TP 8 a ring all-reduce takes 2(k - 1) = 14 latency steps, NCCL's
 * double binary tree 2 ceil(log2 8) = 6; the bandwidth term is the same.
 * Two all-reduces per layer, 126 layers: the tree saves 2 x 126 x 8 x
 * 5.3 us = 10.68 ms per iteration. Per-sequence and per-token overheads
 * add 7 x 3.1 us + 7 x 1.9 us to a 7-sequence decode step. */
static void tree_allreduce_and_overheads_by_hand(void **state) {
  (void)state;
  struct ic_perf_params pp = {.compute_efficiency = 0.5, .memory_efficiency = 0.8, .link_efficiency = 0.7,
                              .link_latency_s = 5.3e-6, .overhead_s = 0.002, .memory_reserve_frac = 0.1};
  struct ic_iter_shape step = ic_iter_shape_decode(7, 1000);
  struct ic_perf_breakdown ring, tree, extra;
  struct ic_perf p1 = replica(8, &pp);
  ic_perf_iter_s(&p1, &step, &ring);
  pp.allreduce = IC_ALLREDUCE_TREE;
  struct ic_perf p2 = replica(8, &pp);
  ic_perf_iter_s(&p2, &step, &tree);
  assert_true(fabs((ring.comm_s - tree.comm_s) - 2 * 126 * 8 * 5.3e-6) < 1e-12);
  pp.overhead_per_seq_s = 3.1e-6;
  pp.overhead_per_token_s = 1.9e-6;
  struct ic_perf p3 = replica(8, &pp);
  ic_perf_iter_s(&p3, &step, &extra);
  assert_true(fabs(extra.overhead_s - (0.002 + 7 * 3.1e-6 + 7 * 1.9e-6)) < 1e-15);
  assert_true(fabs(extra.total_s - tree.total_s - 7 * 5.0e-6) < 1e-12);
}

/* Routed-expert GEMMs at a relative efficiency e: Mixtral-8x7B at FP8 on
 * one H100, a 2,048-token prefill. Its routed experts do 2 x 32 MoE layers
 * x top-2 x 3 x 4,096 x 14,336 (gated FFN) x 2,048 tokens = 46.18 TFLOP;
 * at e = 0.5 they take 1 / 0.5 - 1 = 1 x their dense-rate time more, 46.18
 * TFLOP / (1,979 TFLOP/s x 0.5) = 46.7 ms. A dense model has no routed
 * experts: its times do not move at any e, and e = 1 and unset (0) are the
 * same model to the bit. */
static void expert_gemm_efficiency_by_hand(void **state) {
  (void)state;
  const struct ic_precisions prec = {.weights = IC_FP8, .activations = IC_FP8, .kv = IC_FP8};
  struct ic_perf_params pp = {.compute_efficiency = 0.5, .memory_efficiency = 0.8, .link_efficiency = 0.7,
                              .link_latency_s = 5e-6, .overhead_s = 0.002, .memory_reserve_frac = 0.1};
  const struct ic_gpu_spec *h100 = ic_hw_find_gpu("h100-sxm");
  struct ic_iter_shape s = ic_iter_shape_prefill(2048, 1);
  struct ic_perf p;
  struct ic_perf_breakdown unset, one, half, dense0, dense1;
  assert_int_equal(ic_perf_init(&p, ic_model_find("mixtral-8x7b"), h100, 1, &prec, &pp, "t"), IC_OK);
  ic_perf_iter_s(&p, &s, &unset);
  pp.expert_compute_efficiency = 1.0;
  assert_int_equal(ic_perf_init(&p, ic_model_find("mixtral-8x7b"), h100, 1, &prec, &pp, "t"), IC_OK);
  ic_perf_iter_s(&p, &s, &one);
  assert_true(one.total_s == unset.total_s && one.compute_s == unset.compute_s);
  pp.expert_compute_efficiency = 0.5;
  assert_int_equal(ic_perf_init(&p, ic_model_find("mixtral-8x7b"), h100, 1, &prec, &pp, "t"), IC_OK);
  ic_perf_iter_s(&p, &s, &half);
  double expert_flops = 2.0 * 32 * 2 * 3.0 * 4096 * 14336 * 2048; /* 4.6179e13 */
  double expect = expert_flops / (1979e12 * 0.5);
  assert_true(fabs((half.compute_s - one.compute_s) - expect) / expect < 1e-9);
  assert_true(half.memory_s == one.memory_s);
  /* A dense model: no routed experts, nothing moves. */
  pp.expert_compute_efficiency = 0.0;
  assert_int_equal(ic_perf_init(&p, ic_model_find("llama3-8b"), h100, 1, &prec, &pp, "t"), IC_OK);
  ic_perf_iter_s(&p, &s, &dense0);
  pp.expert_compute_efficiency = 0.5;
  assert_int_equal(ic_perf_init(&p, ic_model_find("llama3-8b"), h100, 1, &prec, &pp, "t"), IC_OK);
  ic_perf_iter_s(&p, &s, &dense1);
  assert_true(dense0.total_s == dense1.total_s);
  /* Out of (0, 1]: refused. */
  pp.expert_compute_efficiency = 1.5;
  assert_int_equal(ic_perf_init(&p, ic_model_find("mixtral-8x7b"), h100, 1, &prec, &pp, "t"), IC_EINVAL);
}

/* The fitted MI300X FP8 entry (sixth round (D): vLLM V0's host time per
 * iteration fitted per part) on a Llama-2-70B decode step of 446 sequences
 * of 372 cached tokens each, TP 1, every figure by hand from the
 * architecture (80 layers, hidden 8192, 64 query and 8 KV heads of 128,
 * FFN 28672, vocabulary 32000) and the MI300X's 2,614.9 TFLOP/s FP8 and
 * 5.3 TB/s:
 *   weights   80 x (8192 x (8192 + 1024 + 1024 + 8192) + 3 x 8192 x 28672)
 *             + 32000 x 8192 (LM head) = 68,713,185,280 parameters, 1 byte each
 *   GEMMs     2 x 68,713,185,280 x 446 FLOPs
 *   attention 4 x 80 x 64 x 128 x 446 x (372 + 1) FLOPs; KV 2 x 80 x 8 x 128 =
 *             163,840 bytes per token x 446 x 373
 *   act.      2 x 80 x 8 x 8192 x 446 bytes
 * p = 1 adds compute and memory time; overhead 7.5 ms + 2.844 us x 446.
 * Seventh round (A): compute efficiency 0.68 and the KV read at 0.12 of
 * the GEMMs' streaming rate (vLLM's paged attention, fitted on the fit
 * half). */
static void mi300x_fitted_decode_step_by_hand(void **state) {
  (void)state;
  struct ic_perf_params f;
  assert_true(ic_perf_fitted("mi300x", IC_FP8, &f));
  assert_true(f.overhead_s == 7.5e-3 && f.compute_efficiency == 0.68 && f.roofline_p == 1.0 &&
              f.attention_memory_efficiency == 0.12);
  struct ic_perf_params h;
  assert_true(ic_perf_fitted("h100-sxm", IC_FP8, &h));
  assert_true(h.overhead_s == 3.038e-4); /* the shared value where an entry sets none */
  assert_true(h.attention_memory_efficiency == 1.0); /* likewise: only the MI300X entry sets its own */
  f.link_efficiency = 0.7;
  f.memory_reserve_frac = 0.1;
  const struct ic_precisions prec = {.weights = IC_FP8, .activations = IC_FP8, .kv = IC_FP8};
  struct ic_perf p;
  assert_int_equal(ic_perf_init(&p, ic_model_find("llama2-70b"), ic_hw_find_gpu("mi300x"), 1, &prec, &f, "t"), IC_OK);
  struct ic_iter_shape step = ic_iter_shape_decode(446, 372);
  struct ic_perf_breakdown b;
  double got = ic_perf_iter_s(&p, &step, &b);
  const double n = 446, ctx = 373, weights = 68713185280.0;
  const double flop_rate = 2614.9e12 * 0.68, byte_rate = 5300e9 * 0.8;
  double dense = 2 * weights * n / flop_rate + (weights + 2.0 * 80 * 8 * 8192 * n) / byte_rate;
  double attention = 4.0 * 80 * 64 * 128 * n * ctx / flop_rate + 163840.0 * n * ctx / (byte_rate * 0.12);
  double overhead = 7.5e-3 + 2.844e-6 * n;
  assert_true(fabs(b.dense_s - dense) < 1e-12 * dense);
  assert_true(fabs(b.attention_s - attention) < 1e-12 * attention);
  assert_true(fabs(b.overhead_s - overhead) < 1e-15);
  assert_true(b.comm_s == 0.0);
  assert_true(fabs(got - (dense + attention + overhead)) < 1e-12 * got);
}

static void set(struct ic_scenario *s, const char *kv) { assert_int_equal(ic_scenario_set(s, kv, "test"), IC_OK); }

static void llama8b_h100_fp8(struct ic_scenario *s) {
  ic_scenario_defaults(s);
  static const char *const keys[] = {"model.name=llama3-8b", "fleet.gpu=h100-sxm", "fleet.server=test-host", "power.node_base_w=1500", "cost.server_price_usd=100000",
                                     "fleet.nodes=1", "fleet.gpus_per_node=1", "fleet.gpus_per_replica=1",
                                     "model.weight_precision=fp8", "model.activation_precision=fp8",
                                     "model.kv_precision=fp8", "run.duration_s=1", "traffic.queries_per_day=1000"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) set(s, keys[i]);
}

/* The fitted profile equals the roofline profile with the fitted values
 * written out as keys; a key set explicitly stays an override. */
static void fitted_profile_keeps_overrides(void **state) {
  (void)state;
  static struct ic_scenario s;
  struct ic_perf_params f;
  assert_true(ic_perf_fitted("h100-sxm", IC_FP8, &f));
  char kv[10][96];
  snprintf(kv[0], sizeof kv[0], "perf.compute_efficiency=%.17g", f.compute_efficiency);
  snprintf(kv[1], sizeof kv[1], "perf.memory_efficiency=%.17g", f.memory_efficiency);
  snprintf(kv[2], sizeof kv[2], "perf.overhead_s=%.17g", f.overhead_s);
  snprintf(kv[3], sizeof kv[3], "perf.overhead_per_seq_s=%.17g", f.overhead_per_seq_s);
  snprintf(kv[4], sizeof kv[4], "perf.roofline_p=%.17g", f.roofline_p);
  snprintf(kv[5], sizeof kv[5], "perf.attention_memory_efficiency=%.17g", f.attention_memory_efficiency);
  snprintf(kv[6], sizeof kv[6], "perf.allreduce=%s", f.allreduce == IC_ALLREDUCE_TREE ? "tree" : "ring");
  snprintf(kv[7], sizeof kv[7], "perf.overhead_per_token_s=%.17g", f.overhead_per_token_s);
  snprintf(kv[8], sizeof kv[8], "perf.link_latency_s=%.17g", f.link_latency_s);
  snprintf(kv[9], sizeof kv[9], "perf.expert_compute_efficiency=%.17g", f.expert_compute_efficiency);
  struct ic_run_result fitted, spelled, roofline, override;
  llama8b_h100_fp8(&s);
  assert_int_equal(ic_run_scenario(&s, &roofline), IC_OK);
  set(&s, "perf.profile=fitted");
  assert_int_equal(ic_run_scenario(&s, &fitted), IC_OK);
  set(&s, "perf.compute_efficiency=0.31");
  assert_int_equal(ic_run_scenario(&s, &override), IC_OK);
  llama8b_h100_fp8(&s);
  for (int i = 0; i < 10; i++) set(&s, kv[i]);
  assert_int_equal(ic_run_scenario(&s, &spelled), IC_OK);
  assert_true(fitted.service_time_batch1_s == spelled.service_time_batch1_s);
  assert_true(fitted.service_time_batch1_s != roofline.service_time_batch1_s);
  set(&s, "perf.compute_efficiency=0.31");
  struct ic_run_result spelled_override;
  assert_int_equal(ic_run_scenario(&s, &spelled_override), IC_OK);
  assert_true(override.service_time_batch1_s == spelled_override.service_time_batch1_s);
}

/* No fitted entry for the pair: the keys as set, and a warning says so. */
static void fitted_profile_without_entry_warns(void **state) {
  (void)state;
  static struct ic_scenario s;
  llama8b_h100_fp8(&s);
  set(&s, "model.activation_precision=bf16");
  set(&s, "perf.profile=fitted");
  struct ic_run_result a, b;
  assert_int_equal(ic_run_scenario(&s, &a), IC_OK);
  assert_non_null(strstr(diag.text, "perf.profile = fitted has no entry for h100-sxm with bf16 activations"));
  set(&s, "perf.profile=roofline");
  assert_int_equal(ic_run_scenario(&s, &b), IC_OK);
  assert_true(a.service_time_batch1_s == b.service_time_batch1_s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(roofline_norm_by_hand),
      cmocka_unit_test(tree_allreduce_and_overheads_by_hand),
      cmocka_unit_test(expert_gemm_efficiency_by_hand),
      cmocka_unit_test(mi300x_fitted_decode_step_by_hand),
      cmocka_unit_test(fitted_profile_keeps_overrides),
      cmocka_unit_test_setup_teardown(fitted_profile_without_entry_warns, diag_capture, diag_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
