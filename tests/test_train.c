/* test_train.c: `infercost train` against hand calculations: the FLOP
 * count, the memory check, checkpoint and interruption time, the run's
 * ledger; bad input; the shipped reproductions of GPT-3 175B and Llama 3.1
 * 405B within 10% of their published GPU-hours; sweep --train. */
#define _POSIX_C_SOURCE 200809L /* popen, mkdtemp */
#include "ic_test_cli.h"
#include "ic_test_diag.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "infercost/scenario.h"
#include "infercost/train.h"

static char out[1 << 16];

/* |a - b| <= tol, with both values in the failure message. */
#define assert_near(a, b, tol)                                                                      \
  do {                                                                                              \
    double a_ = (a), b_ = (b);                                                                      \
    if (!(fabs(a_ - b_) <= (tol))) fail_msg("%s = %.12g, expected %.12g (+-%g)", #a, a_, b_, (double)(tol)); \
  } while (0)

static int run_cli(const char *args) { return ic_test_infercost(args, out, sizeof out); }

/* A small dense model whose sums fit on paper: 4 layers, h = 256, 8 heads
 * of 32, FFN 1,024 (two matrices), vocabulary 5,000, untied.
 *   attention 4 h^2 = 262,144 and FFN 2 h f = 524,288 per layer:
 *   layers 4 x 786,432 = 3,145,728; embedding 5,000 x 256 = 1,280,000;
 *   total 3,145,728 + 2 x 1,280,000 = 5,705,728;
 *   active (LM head, no input embedding) 3,145,728 + 1,280,000 = 4,425,728. */
static struct ic_model_spec small_model(void) {
  struct ic_model_spec m = {.name = "small", .layers = 4, .hidden = 256, .heads = 8, .kv_heads = 8, .head_dim = 32,
                            .ffn = 1024, .gated_ffn = false, .vocab = 5000, .context_max = 4096, .experts = 1,
                            .experts_active = 1, .tied_embeddings = false};
  return m;
}

static void flops_of_a_small_model_by_hand(void **state) {
  (void)state;
  struct ic_model_spec m = small_model();
  assert_near(ic_model_active_params(&m), 4425728.0, 0.5);
  /* D = 2.385e6 tokens in sequences of 128:
   *   6 N D = 6 x 4,425,728 x 2.385e6 = 6.3332167680e13;
   *   causal: 3 x 4 L d s(s+1)/2 per sequence = 6 L d (s+1) per token
   *     = 6 x 4 x 256 x 129 x 2.385e6 = 792,576 x 2.385e6 = 1.89029376e12;
   *   full: 12 L d s per token = 12 x 4 x 256 x 128 x 2.385e6 = 1,572,864 x 2.385e6
   *     = 3.75128064e12. */
  struct ic_train_flops f = ic_train_count_flops(&m, 2.385e6, 128, IC_TRAIN_ATTN_CAUSAL);
  assert_near(f.dense, 6.3332167680e13, 1e3);
  assert_near(f.attention, 1.89029376e12, 1e2);
  assert_near(f.total, 6.3332167680e13 + 1.89029376e12, 1e3);
  f = ic_train_count_flops(&m, 2.385e6, 128, IC_TRAIN_ATTN_FULL);
  assert_near(f.attention, 3.75128064e12, 1e2);
  f = ic_train_count_flops(&m, 2.385e6, 128, IC_TRAIN_ATTN_NONE);
  assert_near(f.attention, 0.0, 0.0);
  assert_near(f.total, 6.3332167680e13, 1e3);
}

/* The published totals: GPT-3 175B, 3.14e23 FLOPs for 300 B tokens
 * (Brown et al. 2020, table D.1); Llama 3 405B, 3.8e25 for 15.6 T tokens
 * (Dubey et al. 2024, section 3.2.1). 6ND on the catalogue's architectures
 * gives them to the rounding of the published figures. */
static void six_nd_matches_published_totals(void **state) {
  (void)state;
  struct ic_train_flops gpt3 = ic_train_count_flops(ic_model_find("gpt3-175b"), 300e9, 2048, IC_TRAIN_ATTN_NONE);
  assert_true(fabs(gpt3.total / 3.14e23 - 1.0) < 0.005);
  struct ic_train_flops llama = ic_train_count_flops(ic_model_find("llama3-405b"), 15.6e12, 8192, IC_TRAIN_ATTN_NONE);
  assert_true(fabs(llama.total / 3.8e25 - 1.0) < 0.01);
}

static struct ic_train_config small_config(void) {
  struct ic_train_config c = {.tokens = 1e9, .seq_len = 128, .global_batch_seqs = 64, .micro_batch_seqs = 2,
                              .precision = IC_BF16, .gpus = 16, .tensor_parallel = 2, .pipeline_parallel = 2,
                              .data_parallel = 0, .expert_parallel = 1, .zero_stage = 1, .recompute = IC_RECOMPUTE_AUTO,
                              .mfu = 0.5, .attention_flops = IC_TRAIN_ATTN_CAUSAL, .gpu_w = (double)NAN,
                              .memory_reserve_frac = 0.1, .gpu_mtbf_h = 0, .failure_restart_s = 0,
                              .checkpoint_interval_s = 600, .checkpoint_write_s = 0};
  return c;
}

/* tensor 2 x pipeline 2 over 16 GPUs: data-parallel 4.
 *   params per GPU 5,705,728 / 4 = 1,426,432
 *   weights and gradients 2 B each: 2,852,864; ZeRO 1 optimizer
 *   12 B / 4 ranks: 4,279,296.
 *   activations, s b h = 128 x 2 x 256 = 65,536, t = 2, 4 layers:
 *     none: 65,536 x (34 + 5 x 8 x 128 / 256 = 20) / 2 x 4 = 7,077,888
 *     selective: 65,536 x 34 / 2 x 4 = 4,456,448
 *     full: 2 x 65,536 / 2 x 4 = 262,144 */
static void memory_of_a_small_model_by_hand(void **state) {
  (void)state;
  struct ic_model_spec m = small_model();
  struct ic_train_config c = small_config();
  struct ic_train_memory none = ic_train_memory_at(&m, &c, 4, 17e6, IC_RECOMPUTE_NONE);
  assert_near(none.params_per_gpu, 1426432.0, 0.5);
  assert_near(none.weights, 2852864.0, 0.5);
  assert_near(none.gradients, 2852864.0, 0.5);
  assert_near(none.optimizer, 4279296.0, 0.5);
  assert_near(none.activations, 7077888.0, 0.5);
  assert_near(none.total, 17062912.0, 1.0);
  assert_near(none.available, 15.3e6, 1e-3);
  struct ic_train_memory sel = ic_train_memory_at(&m, &c, 4, 17e6, IC_RECOMPUTE_SELECTIVE);
  assert_near(sel.activations, 4456448.0, 0.5);
  struct ic_train_memory full = ic_train_memory_at(&m, &c, 4, 17e6, IC_RECOMPUTE_FULL);
  assert_near(full.activations, 262144.0, 0.5);
  /* ZeRO 3 shards weights and gradients too: 2,852,864 / 4 = 713,216. */
  c.zero_stage = 3;
  struct ic_train_memory z3 = ic_train_memory_at(&m, &c, 4, 17e6, IC_RECOMPUTE_FULL);
  assert_near(z3.weights, 713216.0, 0.5);
  assert_near(z3.gradients, 713216.0, 0.5);
}

/* Four experts of 524,288, top-2, spread over 2 ranks; the router
 * (4 x 256 x 4 = 4,096) counts with the experts:
 *   expert part 4 x (4 x 524,288 + 1,024) = 8,392,704, the rest
 *   4 x 262,144 + 2 x 1,280,000 = 3,608,576.
 *   per GPU: 3,608,576 / 4 + 8,392,704 / (4 x 2) = 902,144 + 1,049,088;
 *   ZeRO 1 optimizer: 12 x (902,144 / 4 + 1,049,088 / (4 / 2)) = 9,000,960. */
static void memory_of_experts_by_hand(void **state) {
  (void)state;
  struct ic_model_spec m = small_model();
  m.experts = 4;
  m.experts_active = 2;
  struct ic_train_config c = small_config();
  c.expert_parallel = 2;
  struct ic_train_memory x = ic_train_memory_at(&m, &c, 4, 80e9, IC_RECOMPUTE_FULL);
  assert_near(x.params_per_gpu, 902144.0 + 1049088.0, 0.5);
  assert_near(x.weights, 2.0 * (902144.0 + 1049088.0), 1.0);
  assert_near(x.optimizer, 9000960.0, 1.0);
}

/* 500 GPUs at 1,000 h each: 500 / 3.6e6 = 1.3888...e-4 interruptions/s;
 * each costs 300 s + (900 + 60) / 2 = 780 s: 0.108333... of wall time.
 * 1e6 s of compute + 1e6 x 60 / 900 = 66,666.67 s of checkpoints,
 * wall = 1,066,666.67 / (1 - 0.108333) = 1,196,261.68 s;
 * interruptions = 1.3889e-4 x wall = 166.147. */
static void wall_time_with_checkpoints_and_failures_by_hand(void **state) {
  (void)state;
  struct ic_train_config c = small_config();
  c.gpu_mtbf_h = 1000;
  c.failure_restart_s = 300;
  c.checkpoint_interval_s = 900;
  c.checkpoint_write_s = 60;
  struct ic_train_result r;
  memset(&r, 0, sizeof r);
  double wall = ic_train_wall_s(&c, 500, 1e6, &r);
  assert_near(r.checkpoint_s, 66666.6667, 1e-3);
  assert_near(wall, 1196261.68, 0.01);
  assert_near(r.interruptions, 166.1474, 1e-3);
  assert_near(r.failure_s, 1196261.68 - 1066666.67, 0.02);
  /* 5,000 GPUs: 1.0833 of every second lost: the job never finishes. */
  assert_true(isinf(ic_train_wall_s(&c, 5000, 1e6, &r)));
}

/* The small model on 2 nodes of 8 user-defined GPUs (100 TFLOP/s bf16,
 * 80 GB, 400 W training, 50 W idle, 1,000 W per node), data-parallel 16,
 * D = 1e13 tokens, 6ND only, MFU 0.5:
 *   FLOPs 6 x 4,425,728 x 1e13 = 2.6554368e20; rate 16 x 1e14 x 0.5 = 8e14;
 *   compute 331,929.6 s = 3.84177778 days.
 *   IT power 16 x 400 + 2 x 1,000 = 8,400 W: 8,400 x 331,929.6 J
 *   = 774.502400 kWh; PUE 1.5: facility 1,161.7536 kWh;
 *   at $0.10/kWh: energy $77.45024, cooling $38.72512; 400 g/kWh: 464,701.44 g.
 *   Servers 2 x $100,000 over 5 years: 200,000 / 1,825 x 3.84177778 days
 *   = $421.016743. Total $537.192103. */
static const char *const small_run[] = {
    "model.name=small", "model.layers=4", "model.hidden=256", "model.heads=8", "model.ffn=1024",
    "model.gated_ffn=no", "model.vocab=5000", "model.context_max=4096", "model.activation_precision=bf16",
    "fleet.gpu=testgpu", "fleet.server=testbox",
    "fleet.gpus_per_node=8", "fleet.gpus_per_replica=1", "accelerator.peak_tflops_bf16=100",
    "accelerator.memory_gb=80", "accelerator.bandwidth_gb_per_s=1000", "accelerator.tdp_w=500",
    "power.node_base_w=1000", "power.gpu_idle_w=50", "power.pue=1.5", "power.electricity_usd_per_kwh=0.1",
    "power.carbon_g_per_kwh=400", "cost.server_price_usd=100000", "cost.network_usd_per_node=0",
    "cost.facility_usd_per_kw=0", "cost.maintenance_frac_per_year=0", "train.tokens=1e13", "train.seq_len=128",
    "train.global_batch_seqs=64", "train.gpus=16", "train.tensor_parallel=1", "train.pipeline_parallel=1",
    "train.mfu=0.5", "train.attention_flops=none", "train.gpu_w=400", "train.gpu_mtbf_h=0",
    "train.checkpoint_write_s=0"};

static void load_small_run(struct ic_scenario *s) {
  ic_scenario_defaults(s);
  for (size_t i = 0; i < sizeof small_run / sizeof small_run[0]; i++)
    assert_int_equal(ic_scenario_set(s, small_run[i], "test"), IC_OK);
  assert_int_equal(ic_scenario_check(s), IC_OK);
  assert_int_equal(ic_train_check(s), IC_OK);
}

static void ledger_of_a_small_run_by_hand(void **state) {
  (void)state;
  static struct ic_scenario s;
  load_small_run(&s);
  struct ic_train_result r;
  assert_int_equal(ic_train_estimate(&s, &r), IC_OK);
  assert_near(r.flops.total, 2.6554368e20, 1e6);
  assert_near(r.compute_s, 331929.6, 1e-6);
  assert_near(r.wall_s, 331929.6, 1e-6);
  assert_near(r.gpu_hours, 16.0 * 331929.6 / 3600.0, 1e-6);
  assert_near(r.it_energy_kwh, 774.5024, 1e-6);
  assert_near(r.facility_energy_kwh, 1161.7536, 1e-6);
  assert_near(r.day.energy_usd * r.days, 77.45024, 1e-6);
  assert_near(r.day.cooling_usd * r.days, 38.72512, 1e-6);
  assert_near(r.gco2e, 464701.44, 1e-3);
  assert_near(r.day.amortization_usd * r.days, 421.016743, 1e-5);
  assert_near(r.total_usd, 537.192103, 1e-5);
  assert_near(r.usd_per_million_tokens, 537.192103 / 1e7, 1e-11);
  /* Rented at $2 per GPU-hour: 16 x 92.2026667 h x 2 = $2,950.485333;
   * energy is still measured, not charged. */
  assert_int_equal(ic_scenario_set(&s, "cost.pricing=rent", "test"), IC_OK);
  assert_int_equal(ic_scenario_set(&s, "cost.rent_usd_per_gpu_hour=2", "test"), IC_OK);
  assert_int_equal(ic_train_estimate(&s, &r), IC_OK);
  assert_near(r.total_usd, 2950.485333, 1e-5);
  assert_near(r.it_energy_kwh, 774.5024, 1e-6);
}

/* A 60 s checkpoint every 900 s of training stalls the GPUs at idle power:
 * + 331,929.6 x 60 / 900 = 22,128.64 s at 16 x 50 + 2,000 = 2,800 W;
 * IT energy (2,788,208,640 + 61,960,192) J / 3.6e6 = 791.7135644 kWh. */
static void checkpoint_stalls_are_idle_time(void **state) {
  (void)state;
  static struct ic_scenario s;
  load_small_run(&s);
  assert_int_equal(ic_scenario_set(&s, "train.checkpoint_interval_s=900", "test"), IC_OK);
  assert_int_equal(ic_scenario_set(&s, "train.checkpoint_write_s=60", "test"), IC_OK);
  struct ic_train_result r;
  assert_int_equal(ic_train_estimate(&s, &r), IC_OK);
  assert_near(r.wall_s, 331929.6 + 22128.64, 1e-6);
  assert_near(r.it_energy_kwh, 791.7135644, 1e-6);
}

/* Runs `infercost ARGS`; asserts exit code 2 and that the output holds `needle`. */
static void expect_bad_input(const char *args, const char *needle) {
  int rc = run_cli(args);
  if (rc != 2 || !strstr(out, needle)) fail_msg("infercost %s: exit %d, output: %s", args, rc, out);
}

static void bad_input_is_reported_with_exit_2(void **state) {
  (void)state;
  expect_bad_input("train -s train.tokens=0", "-s #1: train.tokens: value 0 is out of range");
  expect_bad_input("train -s train.mfu=1.2", "-s #1: train.mfu: value 1.2 is out of range");
  /* Llama 3 405B on 8 GPUs: 405.8e9 / 8 params per GPU need 812 GB of
   * weights and gradients alone against 80 GB. */
  expect_bad_input("train scenarios/train-llama3-405b.ini -s train.gpus=8 -s train.pipeline_parallel=1",
                   "train.gpus: llama3-405b does not fit h100-sxm");
  expect_bad_input("train -s train.gpus=1004", "train.gpus: 1004 GPUs is not a whole number of 8-GPU nodes");
  expect_bad_input("train -s train.gpus=1032", "are not a multiple of tensor_parallel x pipeline_parallel = 64");
  expect_bad_input("train -s train.precision=fp8", "train.precision: a100-80gb has no fp8 peak");
  expect_bad_input("train -s train.precision=int4", "train.precision: training runs in fp32, bf16, fp16 or fp8");
  expect_bad_input("train -s train.expert_parallel=2", "train.expert_parallel: 2, but model 'gpt3-175b' is dense");
  expect_bad_input("train -s train.global_batch_seqs=8", "cannot give each of 16 data-parallel ranks");
  expect_bad_input("train -s train.gpus=65536 -s train.gpu_mtbf_h=10", "the job never finishes");
  expect_bad_input("train --bogus", "train: unknown option '--bogus'");
  expect_bad_input("train scenarios/no-such-file.ini", "scenarios/no-such-file.ini");
}

/* The published figure (model card / Patterson et al.) within 10%. */
static void expect_gpu_hours(const char *scenario, double published) {
  char dir[] = "/tmp/ic_train_XXXXXX", args[512], path[600], line[256];
  assert_non_null(mkdtemp(dir));
  snprintf(args, sizeof args, "train %s -q -o %s", scenario, dir);
  if (run_cli(args) != 0) fail_msg("%s: %s", scenario, out);
  snprintf(path, sizeof path, "%s/summary.json", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  double gpu_hours = (double)NAN;
  while (fgets(line, sizeof line, f))
    if (strstr(line, "\"gpu_hours\":")) gpu_hours = strtod(strchr(line, ':') + 1, NULL);
  fclose(f);
  remove(path);
  snprintf(path, sizeof path, "%s/ledger.csv", dir);
  remove(path);
  rmdir(dir);
  if (!(fabs(gpu_hours / published - 1.0) <= 0.10)) fail_msg("%s: %.0f GPU-hours, published %.0f", scenario, gpu_hours, published);
}

/* GPT-3: 10,000 V100 x 14.8 days x 24 h = 3,552,000 (Patterson et al. 2021). */
static void gpt3_reproduces_its_gpu_hours(void **state) {
  (void)state;
  expect_gpu_hours("scenarios/train-gpt3-175b.ini", 3552000.0);
}

/* Llama 3.1 405B: 30.84 M H100-hours (model card). */
static void llama3_reproduces_its_gpu_hours(void **state) {
  (void)state;
  expect_gpu_hours("scenarios/train-llama3-405b.ini", 30.84e6);
}

/* GPU-hours at a fixed FLOP count go as 1 / MFU when nothing else changes:
 * no interruptions, no checkpoint stalls. */
static void sweep_train_varies_mfu(void **state) {
  (void)state;
  int rc = run_cli("sweep --train -q --workers 1 -s train.gpu_mtbf_h=0 -s train.checkpoint_write_s=0 "
                   "--vary train.mfu=0.25,0.5");
  if (rc != 0) fail_msg("%s", out);
  /* Header after the provenance line; gpu_hours is the 7th column. */
  char *row1 = strchr(strchr(out, '\n') + 1, '\n') + 1, *row2 = strchr(row1, '\n') + 1;
  assert_string_equal(strstr(out, "train.mfu,seed,runs,status,flops,gpu_hours") != NULL ? "ok" : "no", "ok");
  double h[2];
  char *rows[2] = {row1, row2};
  for (int i = 0; i < 2; i++) {
    char *p = rows[i];
    for (int col = 0; col < 6; col++) p = strchr(p, ',') + 1;
    h[i] = strtod(p, NULL);
  }
  assert_true(h[0] > 0);
  assert_near(h[0] / h[1], 2.0, 1e-9);
  expect_bad_input("sweep --train --target 'gpu_hours<=1' --vary train.mfu=0.3", "--target works on serving metrics");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(flops_of_a_small_model_by_hand),
      cmocka_unit_test(six_nd_matches_published_totals),
      cmocka_unit_test(memory_of_a_small_model_by_hand),
      cmocka_unit_test(memory_of_experts_by_hand),
      cmocka_unit_test(wall_time_with_checkpoints_and_failures_by_hand),
      cmocka_unit_test_setup_teardown(ledger_of_a_small_run_by_hand, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(checkpoint_stalls_are_idle_time, diag_capture, diag_release),
      cmocka_unit_test(bad_input_is_reported_with_exit_2),
      cmocka_unit_test(gpt3_reproduces_its_gpu_hours),
      cmocka_unit_test(llama3_reproduces_its_gpu_hours),
      cmocka_unit_test(sweep_train_varies_mfu),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
