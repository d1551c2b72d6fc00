/* test_perf.c: the roofline's regimes on an H100, the all-reduce term, and
 * the capacity check, against hand calculations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ic_test.h"

#include <gsl/gsl_rng.h>

#include "infercost/perf.h"
#include "infercost/simtime.h"

static const struct ic_perf_params params = {.compute_efficiency = 0.5, .memory_efficiency = 0.8,
                                             .link_efficiency = 0.7, .link_latency_s = 5e-6,
                                             .overhead_s = 0.002, .memory_reserve_frac = 0.1};
static const struct ic_precisions fp16 = {.weights = IC_FP16, .activations = IC_FP16, .kv = IC_FP16};

static struct ic_perf replica(const char *model, const char *gpu, int64_t tp) {
  struct ic_perf p;
  assert_int_equal(ic_perf_init(&p, ic_model_find(model), ic_hw_find_gpu(gpu), tp, &fp16, &params, "t"), IC_OK);
  return p;
}

/* Llama-2-7B, batch-1 decode at 1,000 tokens on one H100: 13.2 GB of weights
 * at 3.35 TB/s x 0.8 take ~4.9 ms; 13.5 GFLOP at 989 TFLOP/s x 0.5 take
 * 0.03 ms: memory-bound by two orders of magnitude. */
static void decode_batch1_is_memory_bound(void **state) {
  (void)state;
  struct ic_perf p = replica("llama2-7b", "h100-sxm", 1);
  struct ic_iter_shape s = ic_iter_shape_decode(1, 1000);
  struct ic_perf_breakdown b;
  ic_perf_iter_s(&p, &s, &b);
  assert_true(b.memory_s > 50 * b.compute_s);
  assert_true(fabs(b.memory_s - 4.9e-3) / 4.9e-3 < 0.05);
}

/* A 2,048-token prefill: 2 x 6.6 G x 2,048 = 27 TFLOP -> 55 ms of compute
 * against ~8 ms of memory traffic: compute-bound. */
static void prefill_2048_is_compute_bound(void **state) {
  (void)state;
  struct ic_perf p = replica("llama2-7b", "h100-sxm", 1);
  struct ic_iter_shape s = ic_iter_shape_prefill(2048, 1);
  struct ic_perf_breakdown b;
  double t = ic_perf_iter_s(&p, &s, &b);
  assert_true(b.compute_s > 3 * b.memory_s);
  assert_true(fabs(b.compute_s - 0.0575) / 0.0575 < 0.05);
  assert_true(fabs(t - (b.compute_s + b.overhead_s)) < 1e-12);
}

/* Llama-2-70B on 4 H100s, decode batch 8: each all-reduce moves
 * 2 (k-1)/k x 8 x 8192 x 2 B = 196,608 B at 450 GB/s x 0.7 -> 0.624 us, plus
 * 2 (k-1) x 5 us latency = 30 us; 2 per layer x 80 layers -> 4.90 ms. */
static void allreduce_by_hand(void **state) {
  (void)state;
  struct ic_perf p = replica("llama2-70b", "h100-sxm", 4);
  struct ic_iter_shape s = ic_iter_shape_decode(8, 500);
  struct ic_perf_breakdown b;
  ic_perf_iter_s(&p, &s, &b);
  double one = 1.5 * 8 * 8192 * 2 / (450e9 * 0.7) + 6 * 5e-6;
  assert_true(fabs(b.comm_s - 160 * one) < 1e-9);
}

/* GPT-3 175B at fp16: (96 x 12 x 12288^2 + 50257 x 12288) x 2 B = 349.1 GB;
 * 4 A100-80GB hold 4 x 80 x 0.9 = 288 GB usable. */
static void too_big_is_an_error(void **state) {
  (void)state;
  struct ic_diag_buffer buf = {0};
  ic_diag_set_sink(ic_diag_buffer_sink, &buf);
  struct ic_perf p;
  assert_int_equal(ic_perf_init(&p, ic_model_find("gpt3-175b"), ic_hw_find_gpu("a100-80gb"), 4, &fp16, &params,
                                "s.ini"),
                   IC_ECAPACITY);
  assert_non_null(strstr(buf.text, "s.ini: replica does not fit: gpt3-175b needs 349.1 GB of weights but 4 x "
                                   "a100-80gb hold 288.0 GB usable"));
  ic_diag_set_sink(NULL, NULL);
}

/* perf.launch_floor_per_layer_s: Llama-2-7B (32 layers) on one H100, batch-1
 * decode at 1,000 tokens, whose GPU work is ~4.9 ms (13.2 GB of weights at
 * 3.35 TB/s x 0.8, decode_batch1_is_memory_bound). A floor of 1 ms a layer
 * (32 ms) binds: the iteration is 32 ms + the 2 ms overhead = 34 ms, the
 * excess in launch_s. At 0.1 ms a layer (3.2 ms) it does not: the
 * iteration is the one without a floor, to the bit. Nor does it under a
 * 2,048-token prefill (~57.5 ms of compute, prefill_2048_is_compute_bound). */
static void launch_floor_by_hand(void **state) {
  (void)state;
  struct ic_perf p = replica("llama2-7b", "h100-sxm", 1);
  struct ic_iter_shape d = ic_iter_shape_decode(1, 1000), pre = ic_iter_shape_prefill(2048, 1);
  struct ic_perf_breakdown off, on;
  double t_off = ic_perf_iter_s(&p, &d, &off), pre_off = ic_perf_iter_s(&p, &pre, NULL);
  assert_true(off.launch_s == 0.0);
  p.params.launch_floor_per_layer_s = 1e-3;
  double t_on = ic_perf_iter_s(&p, &d, &on);
  assert_true(fabs(t_on - 0.034) < 1e-12);
  assert_true(fabs(on.launch_s - (0.032 - (on.dense_s + on.attention_s + on.comm_s))) < 1e-15);
  assert_true(on.overhead_s == 0.002 && on.dense_s == off.dense_s); /* the parts are the GPU's, unchanged */
  assert_true(ic_perf_iter_s(&p, &pre, NULL) == pre_off);
  p.params.launch_floor_per_layer_s = 1e-4;
  assert_true(ic_perf_iter_s(&p, &d, &on) == t_off);
  assert_true(on.launch_s == 0.0);
}

/* The decode line with a floor: Llama-2-7B, batch 8 on one H100, floor 8 ms
 * (250 us x 32 layers). Attention reads 524,288 B of fp16 KV a cached token
 * (2 x 32 layers x 4096 x 2 B) at 3.35 TB/s x 0.8: 0.196 us a token. At 100
 * tokens a sequence (K = 800) the GPU's ~5 ms is under the floor and a step
 * is 8 + 2 = 10 ms; at 8,000 (K = 64,000: 12.5 ms of attention) it is over,
 * and the step is the one without a floor. Both agree with ic_perf_iter_s. */
static void launch_floor_decode_line(void **state) {
  (void)state;
  struct ic_perf p = replica("llama2-7b", "h100-sxm", 1);
  struct ic_iter_shape hi = ic_iter_shape_decode(8, 8000);
  double hi_off = ic_perf_iter_s(&p, &hi, NULL);
  p.params.launch_floor_per_layer_s = 2.5e-4;
  struct ic_perf_decode_line l = ic_perf_decode_line(&p, 8);
  assert_true(l.floor_s > 0);
  assert_true(fabs(ic_perf_decode_step_s(&l, 800.0) - 0.010) < 1e-12);
  struct ic_iter_shape lo = ic_iter_shape_decode(8, 100);
  assert_true(fabs(ic_perf_iter_s(&p, &lo, NULL) - 0.010) < 1e-12);
  assert_true(fabs(ic_perf_decode_step_s(&l, 64000.0) - hi_off) < 1e-12 * hi_off);
  assert_true(ic_perf_iter_s(&p, &hi, NULL) == hi_off);
  assert_true(hi_off > 0.0150); /* ~4.9 ms of weights + 12.5 ms of KV + 2 ms: over the floor */
  p.params.launch_floor_per_layer_s = 0;
  assert_true(ic_perf_decode_line(&p, 8).floor_s == 0.0); /* off: no term */
}

/* A floor with pipeline stages, or a negative one, is refused naming the key. */
static void launch_floor_bad_layout(void **state) {
  (void)state;
  struct ic_diag_buffer buf = {0};
  ic_diag_set_sink(ic_diag_buffer_sink, &buf);
  struct ic_perf p;
  struct ic_perf_params q = params;
  q.launch_floor_per_layer_s = 1e-4;
  const struct ic_parallel par = {.gpus = 2, .pipeline_stages = 2, .microbatches = 1, .attention_dp = 1,
                                  .gpus_per_node = 8, .expert_imbalance = 1.0};
  assert_int_equal(ic_perf_init_parallel(&p, ic_model_find("llama2-7b"), ic_hw_find_gpu("h100-sxm"), &par, &fp16, &q,
                                         NULL, "s.ini"),
                   IC_EINVAL);
  assert_non_null(strstr(buf.text, "s.ini: perf.launch_floor_per_layer_s: a launch floor is modelled on one pipeline stage"));
  q.launch_floor_per_layer_s = -1e-4;
  assert_int_equal(ic_perf_init(&p, ic_model_find("llama2-7b"), ic_hw_find_gpu("h100-sxm"), 1, &fp16, &q, "s.ini"),
                   IC_EINVAL);
  ic_diag_set_sink(NULL, NULL);
}

/* Llama-2-70B fp16 on 2 H100s: 138 GB of weights in 144 GB usable leaves
 * 6 GB = 18,000 tokens of KV at 327,680 B/token: fits; capacity by hand. */
static void kv_capacity_by_hand(void **state) {
  (void)state;
  struct ic_perf p = replica("llama2-70b", "h100-sxm", 2);
  double weights = ic_model_params(ic_model_find("llama2-70b")) * 2;
  double expect = (2 * 80e9 * 0.9 - weights) / 327680.0;
  assert_true(fabs(p.kv_capacity_tokens - expect) < 1e-6);
}

/* The per-weight pass cost is charged once per multi-token iteration:
 * 30 FLOP/weight x 6.61 G weights at 494.5 TFLOP/s = 0.40 ms. */
static void weight_pass_cost(void **state) {
  (void)state;
  struct ic_perf_params q = params;
  q.weight_pass_flops = 30;
  struct ic_perf a = replica("llama2-7b", "h100-sxm", 1), b;
  assert_int_equal(ic_perf_init(&b, ic_model_find("llama2-7b"), ic_hw_find_gpu("h100-sxm"), 1, &fp16, &q, "t"),
                   IC_OK);
  struct ic_iter_shape s = ic_iter_shape_prefill(512, 1), one = ic_iter_shape_decode(1, 10);
  struct ic_perf_breakdown ba, bb;
  ic_perf_iter_s(&a, &s, &ba);
  ic_perf_iter_s(&b, &s, &bb);
  double weights = ic_model_active_params(ic_model_find("llama2-7b"));
  assert_true(fabs((bb.compute_s - ba.compute_s) - 30 * weights / (989e12 * 0.5)) < 1e-12);
  ic_perf_iter_s(&a, &one, &ba);
  ic_perf_iter_s(&b, &one, &bb);
  assert_true(ba.compute_s == bb.compute_s); /* one token: matrix-vector, no pass */
}

/* Attention is its own roofline term. Llama-2-7B, 8 decodes at 2,000 cached
 * tokens on one H100: KV bytes = 524,288 B/token x (16,000 read + 8 new)
 * = 8.393 GB at 3.35 TB/s x 0.8 = 3.1317 ms, memory-bound (8.4 GFLOP of
 * attention take 0.017 ms). At attention_memory_efficiency 0.5 it doubles;
 * the dense part does not move. */
static void attention_term_by_hand(void **state) {
  (void)state;
  struct ic_perf_params q = params;
  q.attention_memory_efficiency = 0.5;
  struct ic_perf a = replica("llama2-7b", "h100-sxm", 1), b;
  assert_int_equal(ic_perf_init(&b, ic_model_find("llama2-7b"), ic_hw_find_gpu("h100-sxm"), 1, &fp16, &q, "t"),
                   IC_OK);
  struct ic_iter_shape s = ic_iter_shape_decode(8, 2000);
  struct ic_perf_breakdown ba, bb;
  double ta = ic_perf_iter_s(&a, &s, &ba), tb = ic_perf_iter_s(&b, &s, &bb);
  double expect = 524288.0 * 16008.0 / (3350e9 * 0.8);
  assert_true(fabs(ba.attention_s - expect) / expect < 1e-9);
  assert_true(fabs(bb.attention_s - 2 * expect) / expect < 1e-9);
  assert_true(ba.dense_s == bb.dense_s);
  assert_true(fabs(ta - (ba.dense_s + ba.attention_s + ba.overhead_s)) < 1e-15);
  assert_true(fabs((tb - ta) - expect) / expect < 1e-9);
}

static struct ic_perf layout(const char *model, const char *gpu, const struct ic_parallel *par,
                             const struct ic_precisions *prec, const struct ic_spec_decode *spec) {
  struct ic_perf p;
  assert_int_equal(ic_perf_init_parallel(&p, ic_model_find(model), ic_hw_find_gpu(gpu), par, prec, &params, spec, "t"),
                   IC_OK);
  return p;
}

static const struct ic_precisions fp8 = {.weights = IC_FP8, .activations = IC_FP8, .kv = IC_FP8};

/* Expert parallelism, by hand: DeepSeek-V3 at FP8 on 16 H800 in 2 nodes of
 * 8, experts over all 16, attention data-parallel on each GPU (t = 1: no
 * all-reduce). A decode of 64 tokens: each GPU dispatches 64 x 8 / 16 = 32
 * token-expert pairs of 7,168 B = 229,376 B, 7/16 to the other GPUs of its
 * node over NVLink (200 GB/s x 0.7: 0.7168 us) and 8/16 to the other node
 * over the network (50 GB/s x 0.7: 3.2768 us), at the same time; + 5 us of
 * latency = 8.2768 us per all-to-all, two per MoE layer, 58 MoE layers:
 * 0.96011 ms. With the busiest GPU at 1.3 x the mean: 4.25984 + 5 us per
 * all-to-all, 1.07414 ms. */
static void expert_parallel_alltoall_by_hand(void **state) {
  (void)state;
  struct ic_parallel par = {.gpus = 16, .pipeline_stages = 1, .microbatches = 1, .expert_parallel = true,
                            .attention_dp = 16, .gpus_per_node = 8, .expert_imbalance = 1.0};
  struct ic_perf p = layout("deepseek-v3", "h800", &par, &fp8, NULL);
  struct ic_iter_shape s = ic_iter_shape_decode(64, 2000);
  struct ic_perf_breakdown b;
  ic_perf_iter_s(&p, &s, &b);
  assert_true(fabs(b.comm_s - 116 * 8.2768e-6) < 1e-12);
  par.expert_imbalance = 1.3;
  p = layout("deepseek-v3", "h800", &par, &fp8, NULL);
  ic_perf_iter_s(&p, &s, &b);
  assert_true(fabs(b.comm_s - 116 * 9.25984e-6) < 1e-12);
  /* The busiest GPU also computes 1.3 x the mean routed FLOPs. */
  struct ic_iter_cost c = ic_model_iter_cost(ic_model_find("deepseek-v3"), &fp8, &s);
  struct ic_perf_breakdown b1;
  par.expert_imbalance = 1.0;
  p = layout("deepseek-v3", "h800", &par, &fp8, NULL);
  ic_perf_iter_s(&p, &s, &b1);
  double extra = 0.3 * c.expert_flops / (16 * 1979e12 * 0.5);
  assert_true(fabs((b.compute_s - b1.compute_s) - extra) / extra < 1e-9);
}

/* Pipeline parallelism, by hand: Llama-3.1-8B at FP16 on 2 H100 in 2 stages
 * of 16 layers (the second with the LM head: 16 x 218,103,808 + 525,336,576
 * weights = 8.030 GB). Decode of 8 sequences at 1,000 cached tokens: stage =
 * memory (8,029,995,008 + 16,777,216 activation B) / 2.68 TB/s = 3.00253 ms,
 * + KV 65,536 B x 8,008 / 2.68 TB/s = 0.19583 ms, + hand-over 65,536 B /
 * 315 GB/s + 5 us = 5.208 us; one batch through 2 stages: 2 x 3.20356 ms +
 * 2 ms overhead = 8.40712 ms (the bubble: each stage idles half the time).
 * Two micro-batches of 4: 3 x 3.10241 ms + 2 ms = 11.30724 ms, slower:
 * memory-bound decode reads every weight once per micro-batch. A prefill of
 * 8 x 512 tokens is compute-bound: 2 x 58.49600 ms + 2 ms = 118.99199 ms in
 * one batch, 5 x 14.62775 ms + 2 ms = 75.13875 ms in 4 micro-batches. */
static void pipeline_by_hand(void **state) {
  (void)state;
  struct ic_parallel par = {.gpus = 2, .pipeline_stages = 2, .microbatches = 1, .attention_dp = 1,
                            .gpus_per_node = 8, .expert_imbalance = 1.0};
  struct ic_perf one = layout("llama3.1-8b", "h100-sxm", &par, &fp16, NULL);
  par.microbatches = 2;
  struct ic_perf two = layout("llama3.1-8b", "h100-sxm", &par, &fp16, NULL);
  par.microbatches = 4;
  struct ic_perf four = layout("llama3.1-8b", "h100-sxm", &par, &fp16, NULL);
  struct ic_iter_shape d = ic_iter_shape_decode(8, 1000), f = ic_iter_shape_prefill(512, 8);
  assert_true(fabs(ic_perf_iter_s(&one, &d, NULL) - 8.407120961e-3) < 1e-11);
  assert_true(fabs(ic_perf_iter_s(&two, &d, NULL) - 11.307240912e-3) < 1e-11);
  assert_true(fabs(ic_perf_iter_s(&one, &f, NULL) - 118.991992386e-3) < 1e-10);
  assert_true(fabs(ic_perf_iter_s(&four, &f, NULL) - 75.138745241e-3) < 1e-10);
}

/* Speculative decoding: at alpha = 0 each step yields one token and costs k
 * draft steps (contexts c, c+1, c+2) plus a verification of k + 1 = 4
 * positions per sequence: plain decoding plus the wasted work. At alpha =
 * 0.8 the same work buys 2.952 tokens; at alpha = 1, 4. Llama-3-70B with a
 * Llama-3-8B draft on 8 H100s, 16 sequences at 1,500 cached tokens. */
static void speculative_decoding_composition(void **state) {
  (void)state;
  struct ic_parallel par = {.gpus = 8, .pipeline_stages = 1, .microbatches = 1, .attention_dp = 1,
                            .gpus_per_node = 8, .expert_imbalance = 1.0};
  struct ic_spec_decode spec = {3, 0.0, ic_model_find("llama3-8b")};
  struct ic_perf s0 = layout("llama3-70b", "h100-sxm", &par, &fp16, &spec);
  spec.acceptance = 0.8;
  struct ic_perf s8 = layout("llama3-70b", "h100-sxm", &par, &fp16, &spec);
  spec.acceptance = 1.0;
  struct ic_perf s10 = layout("llama3-70b", "h100-sxm", &par, &fp16, &spec);
  struct ic_perf target = layout("llama3-70b", "h100-sxm", &par, &fp16, NULL);
  struct ic_perf draft = layout("llama3-8b", "h100-sxm", &par, &fp16, NULL);
  struct ic_iter_shape dec = ic_iter_shape_decode(16, 1500);
  /* 16 x 4 positions; position i attends to 1,500 + i: 16 x (1501+1502+1503+1504). */
  struct ic_iter_shape verify = {64, 16.0 * 6010.0, 16 * 1500, 64};
  double work = ic_perf_iter_s(&target, &verify, NULL);
  for (int j = 0; j < 3; j++) {
    struct ic_iter_shape d = ic_iter_shape_decode(16, 1500 + j);
    work += ic_perf_iter_s(&draft, &d, NULL);
  }
  assert_true(fabs(ic_perf_iter_s(&s0, &dec, NULL) - work) / work < 1e-12);
  assert_true(fabs(ic_perf_iter_s(&s8, &dec, NULL) - work / 2.952) / work < 1e-12);
  assert_true(fabs(ic_perf_iter_s(&s10, &dec, NULL) - work / 4.0) / work < 1e-12);
  assert_true(ic_perf_iter_s(&s0, &dec, NULL) > ic_perf_iter_s(&target, &dec, NULL)); /* alpha 0 only costs */
  /* Prefill is untouched; the draft's weights and cache take KV room. */
  struct ic_iter_shape pre = ic_iter_shape_prefill(700, 2);
  assert_true(ic_perf_iter_s(&s8, &pre, NULL) == ic_perf_iter_s(&target, &pre, NULL));
  assert_true(s8.kv_capacity_tokens < target.kv_capacity_tokens);
}

/* Issue 15's knobs inside the layouts, by hand. Llama-3-405B at FP8 on 16
 * H100 in 2 stages of 8 (t = 8), 3 micro-batches, 12 sequences: 4 stage
 * passes of 2 x 63 all-reduces each; a tree takes 2 ceil(log2 8) = 6
 * latency steps instead of the ring's 14, 8 x 5 us less per all-reduce:
 * 4 x 126 x 40 us = 20.16 ms. Overheads count once per iteration, not per
 * micro-batch: a prefill of 12 x 512 adds 12 x 100 us + 6,144 x 1 us =
 * 7.344 ms. Speculative decoding (Llama-3-70B, Llama-3-8B draft, k = 3,
 * alpha = 0.8, 16 sequences) adds the overheads of 3 draft steps (16
 * sequences, 16 tokens each) and one verification (16 sequences, 64
 * tokens), per 2.952 tokens. With roofline_p = 1 each part's compute and
 * memory add, so an iteration is compute + memory + comm + overhead. */
static void perf_knobs_in_layouts_by_hand(void **state) {
  (void)state;
  struct ic_parallel par = {.gpus = 16, .pipeline_stages = 2, .microbatches = 3, .attention_dp = 1,
                            .gpus_per_node = 8, .expert_imbalance = 1.0};
  struct ic_perf ring = layout("llama3-405b", "h100-sxm", &par, &fp8, NULL), tree = ring;
  tree.params.allreduce = IC_ALLREDUCE_TREE;
  struct ic_iter_shape d = ic_iter_shape_decode(12, 1000), f = ic_iter_shape_prefill(512, 12);
  assert_true(fabs(ic_perf_iter_s(&ring, &d, NULL) - ic_perf_iter_s(&tree, &d, NULL) - 4 * 126 * 40e-6) < 1e-12);
  struct ic_perf over = ring;
  over.params.overhead_per_seq_s = 100e-6;
  over.params.overhead_per_token_s = 1e-6;
  assert_true(fabs(ic_perf_iter_s(&over, &f, NULL) - ic_perf_iter_s(&ring, &f, NULL) - 7.344e-3) < 1e-12);
  assert_true(fabs(ic_perf_iter_s(&over, &d, NULL) - ic_perf_iter_s(&ring, &d, NULL) - 12 * 101e-6) < 1e-12);

  par = (struct ic_parallel){.gpus = 8, .pipeline_stages = 1, .microbatches = 1, .attention_dp = 1,
                             .gpus_per_node = 8, .expert_imbalance = 1.0};
  struct ic_spec_decode spec = {3, 0.8, ic_model_find("llama3-8b")};
  struct ic_perf s8 = layout("llama3-70b", "h100-sxm", &par, &fp16, &spec), s8o = s8;
  s8o.params.overhead_per_seq_s = 100e-6;
  s8o.params.overhead_per_token_s = 1e-6;
  struct ic_iter_shape dec = ic_iter_shape_decode(16, 1500);
  double want = (3 * (16 * 100e-6 + 16 * 1e-6) + (16 * 100e-6 + 64 * 1e-6)) / 2.952;
  assert_true(fabs(ic_perf_iter_s(&s8o, &dec, NULL) - ic_perf_iter_s(&s8, &dec, NULL) - want) < 1e-12);

  struct ic_perf *sum_of[] = {&ring, &s8};
  const struct ic_iter_shape *shapes[] = {&d, &dec};
  for (int i = 0; i < 2; i++) {
    struct ic_perf q = *sum_of[i];
    q.params.roofline_p = 1.0;
    struct ic_perf_breakdown b;
    double t = ic_perf_iter_s(&q, shapes[i], &b);
    assert_true(fabs(t - (b.compute_s + b.memory_s + b.comm_s + b.overhead_s)) <= 1e-12 * t);
    assert_true(t > ic_perf_iter_s(sum_of[i], shapes[i], NULL));
  }
}

/* Capacity by layout. MLA's latent is not split by tensor parallelism:
 * DeepSeek-V3 at FP8 on 8 H200 holds (8 x 141 GB x 0.9 - weights) /
 * (8 x 61 x 576 B) tokens. With experts over 16 H800 and attention on each
 * GPU, a GPU holds 1/16 of the 653,908,770,816 routed weights, all of the
 * other 15,263,268,864 layer weights and the 1,853,358,080 of embedding and
 * head: 14,014,074,880 B of its 72 GB are left, 398,852 tokens at 35,136 B;
 * 16 groups hold 6,381,637 tokens. */
static void capacity_by_hand(void **state) {
  (void)state;
  struct ic_perf p;
  assert_int_equal(ic_perf_init(&p, ic_model_find("deepseek-v3"), ic_hw_find_gpu("h200"), 8, &fp8, &params, "t"),
                   IC_OK);
  double w = ic_model_params(ic_model_find("deepseek-v3"));
  double expect = (8 * 141e9 * 0.9 - w) / (8 * 61 * 576.0);
  assert_true(fabs(p.kv_capacity_tokens - expect) / expect < 1e-12);
  struct ic_parallel par = {.gpus = 16, .pipeline_stages = 1, .microbatches = 1, .expert_parallel = true,
                            .attention_dp = 16, .gpus_per_node = 8, .expert_imbalance = 1.0};
  p = layout("deepseek-v3", "h800", &par, &fp8, NULL);
  assert_true(fabs(p.kv_capacity_tokens - 16 * 14014074880.0 / 35136.0) < 1e-3);
  /* The MTP draft is one more MoE layer sharing the vocabulary: 187,105,280 +
   * 257 x 44,040,192 + 7,168 x 256 = 11,507,269,632 weights (DeepSeek: "11.5 B
   * unique parameters"), and 576 more KV bytes per token. */
  par = (struct ic_parallel){.gpus = 8, .pipeline_stages = 1, .microbatches = 1, .attention_dp = 1,
                             .gpus_per_node = 8, .expert_imbalance = 1.0};
  struct ic_spec_decode mtp = {1, 0.85, NULL};
  p = layout("deepseek-v3", "h200", &par, &fp8, &mtp);
  expect = (8 * 141e9 * 0.9 - w - 11507269632.0) / (8 * 61 * 576.0 + 8 * 576.0);
  assert_true(fabs(p.kv_capacity_tokens - expect) / expect < 1e-12);
}

/* Regression: tensor parallelism wider than the KV heads replicates them
 * (each GPU needs whole heads), so 8 GPUs with 4 KV heads hold each token's
 * cache twice: a llama2-70b with 4 KV heads (163,840 B per token at fp16) on
 * 8 H100 holds (8 x 80 GB x 0.9 - weights) / (2 x 163,840) tokens, not half
 * as many bytes per token as the old count. */
static void gqa_wider_tp_replicates_kv(void **state) {
  (void)state;
  struct ic_model_spec m = {.name = "gqa4", .layers = 80, .hidden = 8192, .heads = 64, .kv_heads = 4,
                            .head_dim = 128, .ffn = 28672, .gated_ffn = true, .vocab = 32000,
                            .context_max = 4096, .experts = 1, .experts_active = 1};
  struct ic_perf p;
  assert_int_equal(ic_perf_init(&p, &m, ic_hw_find_gpu("h100-sxm"), 8, &fp16, &params, "t"), IC_OK);
  double expect = (8 * 80e9 * 0.9 - ic_model_params(&m) * 2) / (2 * 163840.0);
  assert_true(fabs(p.kv_capacity_tokens - expect) / expect < 1e-12);
}

/* FP4 peaks where the part has them, FP8 where it has not. */
static void fp4_peaks(void **state) {
  (void)state;
  assert_true(ic_hw_peak_flops(ic_hw_find_gpu("b200"), IC_NVFP4) == 9000e12);
  assert_true(ic_hw_peak_flops(ic_hw_find_gpu("gb300"), IC_MXFP4) == 15000e12);
  assert_true(ic_hw_peak_flops(ic_hw_find_gpu("h100-sxm"), IC_MXFP4) == 1979e12);
  assert_true(ic_hw_peak_flops(ic_hw_find_gpu("mi355x"), IC_MXFP4) == 10000e12);
  assert_true(ic_hw_peak_flops(ic_hw_find_gpu("mi355x"), IC_NVFP4) == 5000e12); /* no NVFP4 on CDNA 4 */
  assert_true(ic_hw_peak_flops(ic_hw_find_gpu("a100-80gb"), IC_NVFP4) == 312e12); /* fp8 -> bf16 */
}

/* Layouts that cannot work are reported with their key. */
static void bad_layouts_are_reported(void **state) {
  (void)state;
  struct ic_diag_buffer buf = {0};
  ic_diag_set_sink(ic_diag_buffer_sink, &buf);
  struct ic_perf p;
  struct ic_parallel par = {.gpus = 16, .pipeline_stages = 3, .microbatches = 1, .attention_dp = 1,
                            .gpus_per_node = 8, .expert_imbalance = 1.0};
  const struct ic_model_spec *ds = ic_model_find("deepseek-v3"), *l8 = ic_model_find("llama3.1-8b");
  assert_int_equal(ic_perf_init_parallel(&p, ds, ic_hw_find_gpu("h800"), &par, &fp8, &params, NULL, "s.ini"),
                   IC_EINVAL);
  assert_non_null(strstr(buf.text, "s.ini: perf.pipeline_stages: 3 stages do not divide a replica's 16 GPUs"));
  par.pipeline_stages = 1;
  par.attention_dp = 4;
  assert_int_equal(ic_perf_init_parallel(&p, ds, ic_hw_find_gpu("h800"), &par, &fp8, &params, NULL, "s.ini"),
                   IC_EINVAL);
  assert_non_null(strstr(buf.text, "perf.attention_data_parallel: attention groups need perf.expert_parallel"));
  par.attention_dp = 1;
  par.expert_parallel = true;
  assert_int_equal(ic_perf_init_parallel(&p, l8, ic_hw_find_gpu("h800"), &par, &fp16, &params, NULL, "s.ini"),
                   IC_EINVAL);
  assert_non_null(strstr(buf.text, "perf.expert_parallel: model 'llama3.1-8b' has no experts to spread"));
  par.expert_parallel = false;
  par.microbatches = 2;
  assert_int_equal(ic_perf_init_parallel(&p, l8, ic_hw_find_gpu("h800"), &par, &fp16, &params, NULL, "s.ini"),
                   IC_EINVAL);
  assert_non_null(strstr(buf.text, "perf.pipeline_microbatches: 2 micro-batches need pipeline_stages > 1"));
  /* DeepSeek-V3 at FP8 on one node of 8 H800: 671 GB in 576 GB usable. */
  par = (struct ic_parallel){.gpus = 8, .pipeline_stages = 1, .microbatches = 1, .attention_dp = 8,
                             .expert_parallel = true, .gpus_per_node = 8, .expert_imbalance = 1.0};
  assert_int_equal(ic_perf_init_parallel(&p, ds, ic_hw_find_gpu("h800"), &par, &fp8, &params, NULL, "s.ini"),
                   IC_ECAPACITY);
  assert_non_null(strstr(buf.text, "s.ini: replica does not fit: the busiest of 8 x h800 holds"));
  ic_diag_set_sink(NULL, NULL);
}

/* Issue 11 item 7: the decode-step decomposition the serving model runs on
 * is the compute model, to 1 ns: random models, GPUs, tensor parallelism,
 * precisions, efficiencies (attention's below 1, or unset) and batches, each
 * sequence with its own random context, so that dense and attention parts
 * are bound by different resources in many draws. The oracle is
 * ic_perf_iter_s of the same step described sequence by sequence. */
static void decode_line_is_the_roofline(void **state) {
  (void)state;
  static const char *const models[] = {"gpt3-175b", "llama2-7b", "llama2-70b", "llama3-8b", "llama3-405b", "mixtral-8x7b"};
  static const char *const gpus[] = {"a100-80gb", "h100-sxm", "h200", "b200"};
  static const enum ic_precision weights[] = {IC_FP16, IC_BF16, IC_INT8, IC_INT4};
  static int64_t ctx[600];
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 11);
  int mixed_binding = 0;
  for (int trial = 0; trial < 4000; trial++) {
    struct ic_perf p = {0};
    p.model = ic_model_find(models[gsl_rng_uniform_int(rng, 6)]);
    p.gpu = ic_hw_find_gpu(gpus[gsl_rng_uniform_int(rng, 4)]);
    p.tp = (int64_t)1 << gsl_rng_uniform_int(rng, 4);
    p.prec = (struct ic_precisions){.weights = weights[gsl_rng_uniform_int(rng, 4)],
                                    .activations = gsl_rng_uniform_int(rng, 2) ? IC_FP16 : IC_BF16,
                                    .kv = gsl_rng_uniform_int(rng, 2) ? IC_FP16 : IC_INT8};
    p.params = (struct ic_perf_params){.compute_efficiency = 0.01 + 0.99 * gsl_rng_uniform(rng),
                                       .memory_efficiency = 0.05 + 0.95 * gsl_rng_uniform(rng),
                                       .link_efficiency = 0.1 + 0.9 * gsl_rng_uniform(rng),
                                       .link_latency_s = 1e-5 * gsl_rng_uniform(rng),
                                       .overhead_s = 0.005 * gsl_rng_uniform(rng),
                                       .weight_pass_flops = 4.0 * gsl_rng_uniform(rng),
                                       .attention_compute_efficiency = trial % 5 == 0 ? 0.0 : 0.02 + 0.98 * gsl_rng_uniform(rng),
                                       .attention_memory_efficiency = trial % 7 == 0 ? 0.0 : 0.02 + 0.98 * gsl_rng_uniform(rng)};
    int64_t n = 1 + (int64_t)gsl_rng_uniform_int(rng, 600), sum = 0;
    for (int64_t i = 0; i < n; i++) sum += ctx[i] = (int64_t)gsl_rng_uniform_int(rng, (unsigned long)p.model->context_max);
    struct ic_iter_shape shape = ic_iter_shape_decode_each(ctx, (size_t)n);
    struct ic_perf_breakdown b;
    double want = ic_perf_iter_s(&p, &shape, &b);
    struct ic_perf_decode_line line = ic_perf_decode_line(&p, n);
    double got = ic_perf_decode_step_s(&line, (double)sum);
    assert_true(llabs(ic_time_from_s(got) - ic_time_from_s(want)) <= 1);
    assert_true(fabs(got - want) <= 1e-9);
    /* Dense memory-bound with attention compute-bound, or the reverse: where
     * a max() over the summed parts would be wrong. */
    double dense_c = b.compute_s - b.attn_compute_s, dense_m = b.memory_s - b.attn_memory_s;
    if ((dense_c > dense_m) != (b.attn_compute_s > b.attn_memory_s)) mixed_binding++;
    /* The step's FLOPs and bytes, from the model's own count. */
    struct ic_iter_cost c = ic_model_iter_cost(p.model, &p.prec, &shape);
    double flops = line.flops0 + line.flops1 * (double)sum, bytes = line.bytes0 + line.bytes1 * (double)sum;
    assert_true(fabs(flops - c.flops) <= 1e-12 * c.flops);
    assert_true(fabs(bytes - (c.weight_bytes + c.act_bytes + c.kv_bytes)) <= 1e-12 * bytes);
  }
  assert_true(mixed_binding > 100);
  gsl_rng_free(rng);
}

/* The decode line stays the roofline under every layout: expert
 * parallelism with attention groups and imbalance, pipeline stages with and
 * without micro-batches, speculative decoding with the MTP layer or a draft
 * model; each once with the plain roofline and once with issue 15's knobs
 * on together (a random roofline_p, the tree all-reduce on half the trials,
 * per-sequence and per-token overheads). Oracle: ic_perf_iter_s of the step
 * described sequence by sequence. */
static void decode_line_holds_for_layouts(void **state) {
  (void)state;
  struct ic_spec_decode mtp = {1, 0.85, NULL}, draft = {4, 0.6, ic_model_find("llama3-8b")};
  const struct {
    const char *model, *gpu;
    struct ic_parallel par;
    const struct ic_precisions *prec;
    const struct ic_spec_decode *spec;
  } cases[] = {
      {"deepseek-v3", "h800", {16, 1, 1, true, 16, 8, 1.2}, &fp8, NULL},
      {"deepseek-v3", "h800", {32, 1, 1, true, 32, 8, 1.0}, &fp8, &mtp},
      {"qwen3-235b-a22b", "h200", {16, 2, 1, true, 1, 8, 1.1}, &fp8, NULL},
      {"llama3-405b", "h100-sxm", {16, 2, 3, false, 1, 8, 1.0}, &fp8, NULL},
      {"llama3-70b", "h100-sxm", {8, 1, 1, false, 1, 8, 1.0}, &fp16, &draft},
  };
  static int64_t ctx[300];
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 14);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct ic_perf p = layout(cases[i].model, cases[i].gpu, &cases[i].par, cases[i].prec, cases[i].spec);
    for (int trial = 0; trial < 400; trial++) {
      bool knobs = trial >= 200;
      p.params.roofline_p = knobs ? 0.5 + 7.5 * gsl_rng_uniform(rng) : 0.0;
      p.params.allreduce = knobs && trial % 2 ? IC_ALLREDUCE_TREE : IC_ALLREDUCE_RING;
      p.params.overhead_per_seq_s = knobs ? 2e-5 * gsl_rng_uniform(rng) : 0.0;
      p.params.overhead_per_token_s = knobs ? 2e-6 * gsl_rng_uniform(rng) : 0.0;
      int64_t n = 1 + (int64_t)gsl_rng_uniform_int(rng, 300), sum = 0;
      for (int64_t j = 0; j < n; j++) sum += ctx[j] = (int64_t)gsl_rng_uniform_int(rng, 20000);
      struct ic_iter_shape shape = ic_iter_shape_decode_each(ctx, (size_t)n);
      double want = ic_perf_iter_s(&p, &shape, NULL);
      struct ic_perf_decode_line line = ic_perf_decode_line(&p, n);
      double got = ic_perf_decode_step_s(&line, (double)sum);
      if (!(fabs(got - want) <= 1e-9))
        fail_msg("case %zu, trial %d, n %lld: line %.12g s, roofline %.12g s", i, trial, (long long)n, got, want);
    }
  }
  gsl_rng_free(rng);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(decode_line_holds_for_layouts),     cmocka_unit_test(perf_knobs_in_layouts_by_hand),
      cmocka_unit_test(expert_parallel_alltoall_by_hand), cmocka_unit_test(pipeline_by_hand),
      cmocka_unit_test(speculative_decoding_composition), cmocka_unit_test(capacity_by_hand),
      cmocka_unit_test(fp4_peaks),                        cmocka_unit_test(bad_layouts_are_reported),
      cmocka_unit_test(gqa_wider_tp_replicates_kv),
      cmocka_unit_test(decode_batch1_is_memory_bound), cmocka_unit_test(prefill_2048_is_compute_bound),
      cmocka_unit_test(allreduce_by_hand),             cmocka_unit_test(too_big_is_an_error),
      cmocka_unit_test(launch_floor_by_hand),          cmocka_unit_test(launch_floor_decode_line),
      cmocka_unit_test(launch_floor_bad_layout),
      cmocka_unit_test(kv_capacity_by_hand),           cmocka_unit_test(weight_pass_cost),
      cmocka_unit_test(attention_term_by_hand),        cmocka_unit_test(decode_line_is_the_roofline),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
