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
static const struct ic_precisions fp16 = {IC_FP16, IC_FP16, IC_FP16};

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
    p.prec = (struct ic_precisions){weights[gsl_rng_uniform_int(rng, 4)], gsl_rng_uniform_int(rng, 2) ? IC_FP16 : IC_BF16,
                                    gsl_rng_uniform_int(rng, 2) ? IC_FP16 : IC_INT8};
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(decode_batch1_is_memory_bound), cmocka_unit_test(prefill_2048_is_compute_bound),
      cmocka_unit_test(allreduce_by_hand),             cmocka_unit_test(too_big_is_an_error),
      cmocka_unit_test(kv_capacity_by_hand),           cmocka_unit_test(weight_pass_cost),
      cmocka_unit_test(attention_term_by_hand),        cmocka_unit_test(decode_line_is_the_roofline),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
