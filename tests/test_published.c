/* test_published.c: reading the published-measurements table, mapping rows
 * to scenarios (and the reasons rows are skipped), error statistics. */
#define _POSIX_C_SOURCE 200809L /* popen */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ic_test_cli.h"
#include "ic_test_diag.h"
#include "infercost/published.h"
#include "infercost/run.h"

static const char header[] =
    "id,experiment,split,source_kind,gpu,gpus,nodes,tp,precision,model,mode,concurrency,input_tokens,"
    "output_tokens,dataset,ttft_limit_ms,tpot_limit_ms,metric,statistic,value,unit,engine\n";

static const char *write_table(const char *body) {
  static char path[64];
  snprintf(path, sizeof path, "test_published_%ld.csv", (long)rand());
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(body, f);
  fclose(f);
  return path;
}

static const struct ic_pub_options quick = {true, NULL, 0, NULL, 0, IC_PUB_LENGTHS_MEAN, NULL, IC_PUB_TRTLLM_WHOLE, 0.0, false, IC_PUB_HOST_ADDED, 0.0},
                                   full = {false, NULL, 0, NULL, 0, IC_PUB_LENGTHS_MEAN, NULL, IC_PUB_TRTLLM_WHOLE, 0.0, false, IC_PUB_HOST_ADDED, 0.0};

static struct ic_pub_row row(const char *gpu, const char *precision, const char *model, const char *mode,
                             double input, double output) {
  struct ic_pub_row r = {.gpus = 2, .nodes = 1, .tp = 2, .concurrency = NAN, .input_tokens = input,
                         .output_tokens = output, .value = 100, .line = 2};
  snprintf(r.id, sizeof r.id, "T1");
  snprintf(r.gpu, sizeof r.gpu, "%s", gpu);
  snprintf(r.precision, sizeof r.precision, "%s", precision);
  snprintf(r.model, sizeof r.model, "%s", model);
  snprintf(r.mode, sizeof r.mode, "%s", mode);
  snprintf(r.dataset, sizeof r.dataset, "synthetic, 3000 requests");
  snprintf(r.metric, sizeof r.metric, "throughput_output");
  snprintf(r.statistic, sizeof r.statistic, "total");
  snprintf(r.engine, sizeof r.engine, "TensorRT-LLM (PyTorch backend, trtllm-bench)");
  return r;
}

/* Quoted fields with commas, empty numbers as NaN, every column found by name. */
static void loads_quoted_rows(void **state) {
  (void)state;
  char body[2048];
  snprintf(body, sizeof body,
           "%sP001,e1,fit,trtllm_perf_overview,H100,2,1,2,fp8,Llama-3.3-70B,offline,,128,2048,"
           "\"synthetic, fixed lengths (stdev 0), 3000 requests\",,,throughput_output,total,6378.5,tokens/s,TensorRT-LLM\n",
           header);
  const char *path = write_table(body);
  struct ic_pub_row *rows;
  size_t n;
  assert_int_equal(ic_pub_load(path, &rows, &n), IC_OK);
  remove(path);
  assert_int_equal(n, 1);
  assert_string_equal(rows[0].dataset, "synthetic, fixed lengths (stdev 0), 3000 requests");
  assert_true(isnan(rows[0].concurrency));
  assert_true(rows[0].value == 6378.5 && rows[0].output_tokens == 2048 && rows[0].line == 2);
  free(rows);
}

static void missing_column_is_named(void **state) {
  (void)state;
  const char *path = write_table("id,experiment,split\nP1,e,fit\n");
  struct ic_pub_row *rows;
  size_t n;
  assert_int_equal(ic_pub_load(path, &rows, &n), IC_EINVAL);
  remove(path);
  assert_non_null(strstr(diag.text, ":1: header: missing column 'source_kind'"));
}

static void bad_number_names_line_and_column(void **state) {
  (void)state;
  char body[1024];
  snprintf(body, sizeof body, "%sP1,e,fit,nim,H100,2,1,two,fp8,Llama-3.3-70B,offline,,1,1,d,,,ttft,mean,5,ms,NIM\n",
           header);
  const char *path = write_table(body);
  struct ic_pub_row *rows;
  size_t n;
  assert_int_equal(ic_pub_load(path, &rows, &n), IC_EINVAL);
  remove(path);
  assert_non_null(strstr(diag.text, ":2: column tp: expected a number, got 'two'"));
}

/* Each thing infercost cannot express is a skip with its reason. */
static void skips_say_why(void **state) {
  (void)state;
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_row r = row("H100", "fp8", "Llama-9-1T", "offline", 128, 128);
  assert_false(ic_pub_scenario(&r, &quick, 0, &s, why));
  assert_string_equal(why, "model Llama-9-1T is not in the catalogue");
  r = row("TPU9", "fp8", "Llama-3.1-8B", "offline", 128, 128);
  assert_false(ic_pub_scenario(&r, &quick, 0, &s, why));
  assert_string_equal(why, "GPU TPU9 is not in the catalogue");
  r = row("H100", "", "Llama-3.1-8B", "offline", 128, 128);
  assert_false(ic_pub_scenario(&r, &quick, 0, &s, why));
  assert_string_equal(why, "the source does not state the precision");
  r = row("H100", "fp8", "Llama-3.1-8B", "offline", NAN, 128);
  assert_false(ic_pub_scenario(&r, &quick, 0, &s, why));
  assert_non_null(strstr(why, "no prompt length"));
  r = row("H100", "fp8", "Llama-3.1-8B", "server", 128, 128);
  assert_false(ic_pub_scenario(&r, &quick, 0, &s, why));
  assert_non_null(strstr(why, "without a published throughput"));
}

/* An offline TensorRT-LLM row: its model, GPU, TP, precision, lengths and
 * request count land in the scenario. */
static void offline_row_becomes_its_scenario(void **state) {
  (void)state;
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_row r = row("H200", "fp8", "Llama-3.3-70B", "offline", 500, 2000);
  assert_true(ic_pub_scenario(&r, &full, 0, &s, why));
  assert_string_equal(s.model.name, "llama3-70b");
  assert_int_equal(s.model.context_max, 131072);
  assert_string_equal(s.fleet.gpu, "h200");
  assert_int_equal(s.fleet.gpus_per_replica, 2);
  assert_int_equal(s.traffic.mode, IC_LOAD_OFFLINE);
  assert_int_equal(s.traffic.requests, 3000);
  assert_int_equal(s.traffic.prompt_tokens, 500);
  assert_int_equal(s.traffic.output_tokens, 2000);
  assert_int_equal(s.model.weight_precision, IC_FP8);
  assert_int_equal(s.serving.max_batched_tokens, 8192); /* TensorRT-LLM's defaults */
  assert_int_equal(s.serving.admission, IC_ADMISSION_RESERVE);
  assert_int_equal(s.perf.profile, IC_PERF_FITTED);
  /* TensorRT-LLM's KV cache takes 90% of the memory the weights leave: by
   * hand, Llama-3 70B is 80 layers x (2 x 8192^2 + 2 x 8192 x 1024 +
   * 3 x 8192 x 28672) + 2 x 128256 x 8192 = 70.55e9 parameters, 70.55 GB in
   * fp8, of 2 x 141 GB: kept free 0.1 x (1 - 70.55 / 282) = 0.0750 (0.0743
   * with bf16 embeddings, hence the tolerance). */
  assert_true(fabs(s.perf.memory_reserve_frac - 0.0750) < 0.002);
}

/* An offline row of experiment `experiment` and the full-run options with
 * one submission configuration `c`. */
static struct ic_pub_row config_row(const char *gpu, const char *precision, const char *model, double input,
                                    double output, const char *experiment) {
  struct ic_pub_row r = row(gpu, precision, model, "offline", input, output);
  snprintf(r.experiment, sizeof r.experiment, "%s", experiment);
  return r;
}

static struct ic_pub_options with_config(const struct ic_pub_config *c) {
  struct ic_pub_options o = full;
  o.configs = c;
  o.config_count = 1;
  return o;
}

/* --trtllm: a TensorRT-LLM row with its submission's configuration
 * (max_num_tokens 3584, chunked context) maps to a whole-prompt budget of
 * 3,584 with the decodes waiting (whole), or to TensorRT-LLM's scheduling
 * (inflight): chunks of 3,584 counting the decodes' tokens; a vLLM row with
 * the same configuration is not changed by the option. */
static void trtllm_scheduling_maps(void **state) {
  (void)state;
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_config c = {.experiment = "e1", .mode = "offline", .max_batch = 2048, .max_num_tokens = 3584, .chunked = true};
  struct ic_pub_row r = config_row("H200", "fp8", "Llama-3.3-70B", 500, 2000, "e1");
  struct ic_pub_options o = with_config(&c);
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.serving.max_batched_tokens, 3584);
  assert_int_equal(s.serving.prefill_chunk_tokens, 0);
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_PREFILL);
  o.trtllm = IC_PUB_TRTLLM_INFLIGHT;
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.serving.max_batched_tokens, 0);
  assert_int_equal(s.serving.prefill_chunk_tokens, 3584);
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_ITERATION);
  assert_int_equal(s.serving.max_batch, 2048);
  c.chunked = false; /* no chunked context: whole prompts, still beside the decodes */
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.serving.max_batched_tokens, 3584);
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_ITERATION);
  snprintf(r.engine, sizeof r.engine, "vLLM");
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_PREFILL);
}

/* --trtllm-host h: a TensorRT-LLM row with its submission's configuration
 * gets h seconds of host time per model layer on top of the fitted fixed
 * cost of an iteration (the shared 3.038e-4 s of src/perf_fitted.c):
 * Llama-2-70B has 80 layers, Mixtral-8x7B 32 (their model cards); a vLLM V0
 * row, a row without a configuration and h = 0 keep the key's default. */
static void trtllm_host_time_per_layer_maps(void **state) {
  (void)state;
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_config c = {.experiment = "e1", .mode = "offline", .max_batch = 2048, .max_num_tokens = 3584, .chunked = true};
  struct ic_pub_row r = config_row("B200", "fp4", "Llama-2-70B", 222, 50, "e1");
  struct ic_pub_options o = with_config(&c);
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_true(s.perf.overhead_s == 0.002); /* the key's default: the fitted profile's 3.038e-4 applies at run time */
  o.trtllm_host_per_layer_s = 1.5e-4;
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_true(fabs(s.perf.overhead_s - (3.038e-4 + 80 * 1.5e-4)) < 1e-12);
  o.trtllm = IC_PUB_TRTLLM_INFLIGHT; /* either scheduling */
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_true(fabs(s.perf.overhead_s - 0.0123038) < 1e-12);
  r = config_row("H200", "fp8", "Mixtral-8x7B", 427, 146, "e1");
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_true(fabs(s.perf.overhead_s - (3.038e-4 + 32 * 1.5e-4)) < 1e-12);
  snprintf(r.engine, sizeof r.engine, "vLLM");
  c.chunked = false; /* vLLM V0: no host time of its own (V1's is vllm_v1_scheduling_maps') */
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_true(s.perf.overhead_s == 0.002);
  snprintf(r.engine, sizeof r.engine, "TensorRT-LLM");
  snprintf(r.experiment, sizeof r.experiment, "e2"); /* no configuration */
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_true(s.perf.overhead_s == 0.002);
}

/* The host time is a fixed cost of every iteration: one request alone
 * (offline, 222-token prompt, 50 output tokens, one B200) runs one prefill
 * iteration and 49 decode steps, so with h per layer its TTFT grows by
 * exactly 80 h and its end-to-end time by 50 x 80 h, whatever the compute
 * model gives for each step (conservation, not the perf code's formula). */
static void trtllm_host_time_adds_to_every_iteration(void **state) {
  (void)state;
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_config c = {.experiment = "e1", .mode = "offline", .max_batch = 2048, .max_num_tokens = 3584, .chunked = true};
  struct ic_pub_row r = config_row("B200", "fp4", "Llama-2-70B", 222, 50, "e1");
  r.gpus = 1;
  r.tp = 1;
  snprintf(r.dataset, sizeof r.dataset, "synthetic, 1 requests");
  struct ic_pub_options o = with_config(&c);
  o.trtllm = IC_PUB_TRTLLM_INFLIGHT;
  struct ic_run_result base, host;
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.traffic.requests, 1);
  assert_int_equal(ic_run_scenario(&s, &base), IC_OK);
  o.trtllm_host_per_layer_s = 1.5e-4;
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(ic_run_scenario(&s, &host), IC_OK);
  assert_true(base.completed == 1 && host.completed == 1);
  assert_true(fabs(host.ttft_mean_s - base.ttft_mean_s - 80 * 1.5e-4) < 1e-6);
  assert_true(fabs(host.e2e_mean_s - base.e2e_mean_s - 50 * 80 * 1.5e-4) < 1e-5);
}

/* --trtllm-unread nvidia: an MLPerf TensorRT-LLM row whose own configuration
 * was not read takes NVIDIA's class for its GPU and benchmark (v5.0
 * closed/NVIDIA/configs/llama2-70b/Offline/__init__.py H100_SXM_80GB_PP2x4:
 * gpu_batch_size 1024, max_num_tokens 1024; v5.1 B200-SXM-180GBx8
 * Server/llama3_1-405b.py: 256, 2048) and the mapping of the rows with one:
 * in-flight chunks of max_num_tokens and 80 layers x h of host time on the
 * fitted fixed cost. keep (false) leaves the engine defaults (whole prompts
 * within 8,192 tokens, batch 2,048, the key's 0.002 s). Rows with no class
 * (H100 405B), Interactive rows and the performance-overview rows
 * (trtllm-bench, another engine) are not changed. */
static void trtllm_unread_rows_take_nvidia_classes(void **state) {
  (void)state;
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_row r = config_row("H100", "fp8", "Llama-2-70B", 222, 294, "v50-h100");
  r.gpus = 8;
  r.tp = NAN;
  snprintf(r.source_kind, sizeof r.source_kind, "mlperf");
  snprintf(r.engine, sizeof r.engine, "TensorRT-LLM");
  struct ic_pub_options o = full;
  o.trtllm = IC_PUB_TRTLLM_INFLIGHT;
  o.trtllm_host_per_layer_s = 2e-4;
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why)); /* keep: the engine defaults */
  assert_int_equal(s.serving.max_batch, 2048);
  assert_int_equal(s.serving.max_batched_tokens, 8192);
  assert_int_equal(s.serving.prefill_chunk_tokens, 0);
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_PREFILL);
  assert_true(s.perf.overhead_s == 0.002);
  o.trtllm_unread_caps = true;
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.serving.max_batch, 1024);
  assert_int_equal(s.serving.max_batched_tokens, 0);
  assert_int_equal(s.serving.prefill_chunk_tokens, 1024);
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_ITERATION);
  struct ic_perf_params f;
  assert_true(ic_perf_fitted("h100-sxm", IC_FP8, &f));
  assert_true(fabs(s.perf.overhead_s - (f.overhead_s + 80 * 2e-4)) < 1e-12);
  r = config_row("B200", "fp4", "Llama-3.1-405B", 9400, 684, "v51-power");
  r.gpus = 8;
  r.tp = NAN;
  snprintf(r.source_kind, sizeof r.source_kind, "mlperf");
  snprintf(r.engine, sizeof r.engine, "TensorRT-LLM");
  snprintf(r.mode, sizeof r.mode, "server");
  assert_true(ic_pub_scenario(&r, &o, 1.0, &s, why));
  assert_int_equal(s.serving.max_batch, 256);
  assert_int_equal(s.serving.prefill_chunk_tokens, 2048);
  snprintf(r.mode, sizeof r.mode, "interactive");
  assert_true(ic_pub_scenario(&r, &o, 1.0, &s, why));
  assert_int_equal(s.serving.max_batch, 2048);
  assert_int_equal(s.serving.max_batched_tokens, 8192);
  r = config_row("H100", "fp8", "Llama-3.1-405B", 9400, 684, "v51-cisco");
  r.gpus = 16;
  r.nodes = 2;
  r.tp = 8;
  snprintf(r.source_kind, sizeof r.source_kind, "mlperf");
  snprintf(r.engine, sizeof r.engine, "TensorRT-LLM");
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.serving.max_batched_tokens, 8192);
  assert_true(s.perf.overhead_s == 0.002);
  r = config_row("H100", "fp8", "Llama-3.3-70B", 128, 128, "overview"); /* trtllm-bench, not the harness */
  snprintf(r.source_kind, sizeof r.source_kind, "mlperf");
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.serving.max_batched_tokens, 8192);
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_PREFILL);
}

/* The table's one vLLM V1 submission (RedHat H100 Llama-3.1-8B, server:
 * --max-num-batched-tokens 1024 --max-num-seqs 512
 * --long-prefill-token-threshold 256) is read with its per-prompt cap and
 * maps to vLLM V1's schedule: chunks of 1,024 counting the decodes' tokens,
 * at most 256 prompt tokens of one request an iteration, and V1's host time
 * per step; its Offline command states no cap; a vLLM V0 row (no chunked
 * prefill) keeps whole prompts, its decodes waiting, and the shared host time. */
static void vllm_v1_scheduling_maps(void **state) {
  (void)state;
  struct ic_pub_config *configs;
  size_t n;
  assert_int_equal(ic_pub_load_configs("tests/data/published/submission_configs.csv", &configs, &n), IC_OK);
  const struct ic_pub_config *srv = ic_pub_find_config(configs, n, "mlperf-v5.1-0083-llama3.1-8b", "server");
  const struct ic_pub_config *off = ic_pub_find_config(configs, n, "mlperf-v5.1-0083-llama3.1-8b", "offline");
  assert_non_null(srv);
  assert_non_null(off);
  assert_int_equal(srv->prefill_chunk_max_tokens, 256);
  assert_int_equal(srv->max_num_tokens, 1024);
  assert_int_equal(off->prefill_chunk_max_tokens, 0);
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_row r = row("H100", "fp8", "Llama-3.1-8B", "server", 870.7297, 129);
  r.gpus = 1;
  r.tp = 1;
  snprintf(r.engine, sizeof r.engine, "vLLM");
  snprintf(r.experiment, sizeof r.experiment, "mlperf-v5.1-0083-llama3.1-8b");
  struct ic_pub_options o = full;
  o.configs = configs;
  o.config_count = n;
  assert_true(ic_pub_scenario(&r, &o, 39.6, &s, why));
  assert_int_equal(s.serving.prefill_chunk_tokens, 1024);
  assert_int_equal(s.serving.max_batched_tokens, 0);
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_ITERATION);
  assert_int_equal(s.serving.prefill_chunk_max_tokens, 256);
  assert_int_equal(s.serving.max_batch, 512);
  assert_true(s.perf.overhead_s == 2.75e-3 && s.perf.overhead_per_seq_s == 3.9e-5);
  snprintf(r.mode, sizeof r.mode, "offline");
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.serving.prefill_chunk_tokens, 4096);
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_ITERATION);
  assert_int_equal(s.serving.prefill_chunk_max_tokens, 0);
  struct ic_pub_config v0 = *off;
  v0.chunked = false;
  o.configs = &v0;
  o.config_count = 1;
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_int_equal(s.serving.max_batched_tokens, 4096);
  assert_int_equal(s.serving.token_budget, IC_TOKEN_BUDGET_PREFILL);
  assert_int_equal(s.serving.prefill_chunk_max_tokens, 0);
  assert_true(s.perf.overhead_s == 0.002); /* the key's default: the fitted profile's applies at run time */
  free(configs);
}

/* A submission's gpu_memory_utilization u (vLLM: weights, activations and
 * KV cache together) leaves 1 - u of the memory free: 0.98 -> 0.02 kept,
 * and the batch cap, token budget and scheduler steps of the same row. A
 * row without a stated share keeps the default 0.1 (vLLM's own 0.9). */
static void submission_memory_share_maps_to_reserve(void **state) {
  (void)state;
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_row r = row("MI300X", "fp8", "Llama-2-70B", "offline", 222, 301);
  r.gpus = 8;
  r.tp = 1;
  snprintf(r.engine, sizeof r.engine, "vLLM");
  snprintf(r.experiment, sizeof r.experiment, "amd-x");
  struct ic_pub_config cfg = {.experiment = "amd-x", .mode = "offline", .max_batch = 1536, .max_num_tokens = 40960,
                              .scheduler_steps = 11, .gpu_memory_utilization = 0.98};
  struct ic_pub_options o = {false, NULL, 0, &cfg, 1, IC_PUB_LENGTHS_MEAN, NULL, IC_PUB_TRTLLM_WHOLE, 0.0, false, IC_PUB_HOST_ADDED, 0.0};
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_true(fabs(s.perf.memory_reserve_frac - 0.02) < 1e-12);
  assert_int_equal(s.serving.max_batch, 1536);
  assert_int_equal(s.serving.max_batched_tokens, 40960);
  assert_int_equal(s.serving.scheduler_steps, 11);
  cfg.gpu_memory_utilization = 0.0;
  assert_true(ic_pub_scenario(&r, &o, 0, &s, why));
  assert_true(s.perf.memory_reserve_frac == 0.1);
}

/* --lengths dataset: an MLPerf row draws its data set's samples from the
 * table's own datasets/ folder (offline: each once per pass, 16 passes;
 * server: rows at random), outputs scaled to the row's mean
 * over the file's (datasets.csv mean_output_tokens: Mixtral 144.8429);
 * CNN/DailyMail keeps the row's mean output; mean keeps today's fixed
 * lengths; a folder too long for a scenario text is a skip that says so. */
static void mlperf_rows_take_their_data_set(void **state) {
  (void)state;
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_options ds = full;
  ds.lengths = IC_PUB_LENGTHS_DATASET;
  ds.table_dir = "some/table";
  struct ic_pub_row r = row("H100", "fp8", "Mixtral-8x7B", "offline", 427.3937, 143.3);
  snprintf(r.dataset, sizeof r.dataset, "MLPerf Mixtral-8x7B set, 15000 samples");
  assert_true(ic_pub_scenario(&r, &ds, 0, &s, why));
  assert_int_equal(s.traffic.prompt_dist, IC_LENGTH_EMPIRICAL);
  assert_int_equal(s.traffic.output_dist, IC_LENGTH_EMPIRICAL);
  assert_string_equal(s.traffic.trace_path, "some/table/datasets/mixtral-8x7b.csv.gz");
  assert_int_equal(s.traffic.empirical_sampling, IC_EMPIRICAL_EACH_ONCE);
  assert_true(fabs(s.traffic.empirical_output_scale - 143.3 / 144.8429) < 1e-8);
  assert_int_equal(s.traffic.requests, 16 * 15000); /* 16 passes: more than a mean-length row's 64 x 64 */
  snprintf(r.mode, sizeof r.mode, "server");
  assert_true(ic_pub_scenario(&r, &ds, 3.0, &s, why));
  assert_int_equal(s.traffic.empirical_sampling, IC_EMPIRICAL_ROWS);
  r = row("H100", "fp8", "Llama-3.1-8B", "offline", 870.7297, 128);
  snprintf(r.dataset, sizeof r.dataset, "MLPerf CNN/DailyMail eval, 13368 samples");
  assert_true(ic_pub_scenario(&r, &ds, 0, &s, why));
  assert_int_equal(s.traffic.prompt_dist, IC_LENGTH_EMPIRICAL);
  assert_int_equal(s.traffic.output_dist, IC_LENGTH_FIXED);
  assert_int_equal(s.traffic.output_tokens, 128);
  assert_int_equal(s.traffic.requests, 16 * 13368);
  assert_true(ic_pub_scenario(&r, &full, 0, &s, why)); /* mean: as before */
  assert_int_equal(s.traffic.prompt_dist, IC_LENGTH_FIXED);
  assert_int_equal(s.traffic.prompt_tokens, 871);
  char deep[200];
  memset(deep, 'd', sizeof deep - 1);
  deep[sizeof deep - 1] = '\0';
  ds.table_dir = deep;
  assert_false(ic_pub_scenario(&r, &ds, 0, &s, why));
  assert_non_null(strstr(why, "longer than a scenario text"));
}

/* MLPerf rows state no TP: the smallest power of two keeping the weights
 * within half the replica's memory. Llama-2-70B in fp8 is about 69 GB: on
 * 80 GB H100s that needs 2 GPUs (69 > 40), on 141 GB H200s one (69 < 70.5). */
static void default_tp_rule(void **state) {
  (void)state;
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  struct ic_pub_row r = row("H100", "fp8", "Llama-2-70B", "fixed_concurrency", 300, 300);
  r.tp = NAN;
  r.gpus = 8;
  r.concurrency = 4;
  assert_true(ic_pub_scenario(&r, &quick, 0, &s, why));
  assert_int_equal(s.fleet.gpus_per_replica, 2);
  assert_int_equal(s.traffic.mode, IC_LOAD_CLOSED);
  assert_int_equal(s.traffic.clients, 4);
  /* Steady state: no request count, an uncounted auto warm-up, a window. */
  assert_int_equal(s.traffic.requests, 0);
  assert_true(isnan(s.run.warmup_s));
  assert_true(s.run.duration_s == 600.0);
  snprintf(r.gpu, sizeof r.gpu, "H200");
  assert_true(ic_pub_scenario(&r, &quick, 0, &s, why));
  assert_int_equal(s.fleet.gpus_per_replica, 1);
}

/* By hand: |errors| 0.3, 0.1, 0.2, 0.5 (and a NaN left out): median 0.25,
 * nearest-rank p90 = the 4th of 4 = 0.5. */
static void abs_stats_by_hand(void **state) {
  (void)state;
  double x[] = {-0.3, 0.1, NAN, 0.2, -0.5};
  double med, p90;
  assert_int_equal(ic_pub_abs_stats(x, 5, &med, &p90), 4);
  assert_true(fabs(med - 0.25) < 1e-15);
  assert_true(fabs(p90 - 0.5) < 1e-15);
  double none[] = {NAN};
  assert_int_equal(ic_pub_abs_stats(none, 1, &med, &p90), 0);
  assert_true(isnan(med));
}

/* Limits by hand: p99 TTFT 1.999 s and TPOT 0.0999 s meet 2,000 / 100 ms;
 * 2.001 s does not; an unstable run never does; a missing limit holds. */
static void limits_by_hand(void **state) {
  (void)state;
  struct ic_pub_row r = row("H100", "fp8", "Llama-3.1-8B", "server", 128, 128);
  r.ttft_limit_ms = 2000;
  r.tpot_limit_ms = 100;
  assert_true(ic_pub_meets_limits(&r, 1.999, 0.0999, 1));
  assert_false(ic_pub_meets_limits(&r, 2.001, 0.0999, 1));
  assert_false(ic_pub_meets_limits(&r, 1.0, 0.1001, 1));
  assert_false(ic_pub_meets_limits(&r, 1.0, 0.05, 0));
  assert_false(ic_pub_meets_limits(&r, NAN, 0.05, 1));
  r.tpot_limit_ms = NAN;
  assert_true(ic_pub_meets_limits(&r, 1.0, 9.0, 1));
}

/* Whether a run of the fixture's server row at `rate` requests/s meets its
 * limits, judged here from the run's own p99s (not through the code under test). */
static bool holds_at(const struct ic_pub_row *r, double rate) {
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  assert_true(ic_pub_scenario(r, &quick, rate, &s, why));
  struct ic_run_result res;
  assert_int_equal(ic_run_scenario(&s, &res), IC_OK);
  return res.stable == 1.0 && res.ttft_p99_s * 1e3 <= r->ttft_limit_ms && res.tpot_p99_s * 1e3 <= r->tpot_limit_ms;
}

/* The server search on a made-up row (tests/data/published_server_fixture.csv):
 * the predicted throughput T comes from the highest rate r* = T / 200 that
 * held; 10% below it the limits hold, 10% above they do not (the search
 * stops within 2%). A row whose TTFT limit (2 ms) is below one prefill
 * fails with its reason. */
static void server_search_brackets_the_limit(void **state) {
  (void)state;
  char out[8192];
  assert_int_equal(ic_test_infercost("validate --published --quick --no-plot --workers 2 -o test_published_out "
                                     "--table tests/data/published_server_fixture.csv",
                                     out, sizeof out), 0);
  FILE *f = fopen("test_published_out/published.csv", "r");
  assert_non_null(f);
  char line[1024];
  double t = NAN;
  bool f003_failed = false, f002_failed = false;
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "F001,", 5)) {
      char *c = line;
      for (int k = 0; k < 10; k++) c = strchr(c, ',') + 1; /* the predicted column */
      t = strtod(c, NULL);
    }
    if (!strncmp(line, "F003,", 5)) f003_failed = strstr(line, ",failed,no rate down to") != NULL;
    /* A latency row runs at its experiment's published utilisation, which
     * needs its Offline row: the fixture has none, and the row says so. */
    if (!strncmp(line, "F002,", 5)) f002_failed = strstr(line, ",failed,no predicted Offline throughput") != NULL;
  }
  fclose(f);
  remove("test_published_out/published.csv");
  remove("test_published_out");
  assert_true(t > 0);
  assert_true(f003_failed);
  assert_true(f002_failed);
  struct ic_pub_row *rows;
  size_t n;
  assert_int_equal(ic_pub_load("tests/data/published_server_fixture.csv", &rows, &n), IC_OK);
  double rate = t / rows[0].output_tokens;
  assert_true(holds_at(&rows[0], 0.9 * rate));
  assert_false(holds_at(&rows[0], 1.1 * rate));
  free(rows);
}

/* The Offline row a Server latency row takes its utilisation from: same
 * experiment, mode offline, metric throughput_output; count when none. And
 * the list lookup --bound-metrics and the precision choices use. */
static void offline_row_and_lists(void **state) {
  (void)state;
  struct ic_pub_row r[4];
  r[0] = row("H100", "fp8", "Llama-2-70B", "server", 222, 294);
  r[1] = row("H100", "fp8", "Llama-2-70B", "offline", 222, 294);
  snprintf(r[1].metric, sizeof r[1].metric, "ttft");
  r[2] = row("H100", "fp8", "Llama-2-70B", "offline", 222, 294);
  snprintf(r[2].experiment, sizeof r[2].experiment, "other");
  r[3] = row("H100", "fp8", "Llama-2-70B", "offline", 222, 294);
  assert_int_equal(ic_pub_offline_row(r, 4, &r[0]), 3);
  assert_int_equal(ic_pub_offline_row(r, 3, &r[0]), 3); /* none among the first three */
  assert_int_equal(ic_pub_offline_row(r, 4, &r[2]), 2);
  assert_true(ic_pub_in_list("ttft,tpot", ',', "tpot"));
  assert_true(ic_pub_in_list("ttft,tpot", ',', "ttft"));
  assert_false(ic_pub_in_list("ttft,tpot", ',', "tpo"));
  assert_false(ic_pub_in_list("ttft,tpot", ',', "ttft,tpot"));
  assert_true(ic_pub_in_list("fp8|nvfp4", '|', "nvfp4"));
  assert_false(ic_pub_in_list("", ',', "ttft"));
}

/* Bad command lines: each named, exit 2. */
static void bad_command_lines(void **state) {
  (void)state;
  static const struct {
    const char *args, *expect;
  } cases[] = {
      {"validate --published --ids P999", "--ids: no row 'P999' in the table"},
      {"validate --published --split middle", "--split middle: no rows of that half (fit or holdout)"},
      {"validate --published -s perf.nope=1", "unknown key 'perf.nope'"},
      {"validate --published --table tests/data/no-such-table.csv", "cannot open the published-measurements table"},
      {"validate --published --max-median-error -1", "--max-median-error: expected a positive fraction, got '-1'"},
      {"validate --published --max-p90-error 0", "--max-p90-error: expected a positive fraction, got '0'"},
      {"validate --published --bound-metrics", "--bound-metrics: expected a value"},
      {"validate --published --trtllm-unread all", "--trtllm-unread: expected keep or nvidia, got 'all'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[4096];
    assert_int_equal(ic_test_infercost(cases[i].args, out, sizeof out), 2);
    if (!strstr(out, cases[i].expect)) fail_msg("%s: got %s", cases[i].args, out);
  }
}

/* MLPerf Power (sixth round (E)): an experiment's rest-power row, read
 * from the table, sets its host's base power: 2,884 W at rest less 8 B200s
 * at the catalogue's idle (107 W each) = 2,028 W. A rest
 * draw below the GPUs' own idle is refused, naming the row. */
static void rest_power_sets_the_host(void **state) {
  (void)state;
  const char *path = write_table(
      "id,experiment,split,source_kind,gpu,gpus,nodes,tp,precision,model,mode,concurrency,input_tokens,"
      "output_tokens,dataset,ttft_limit_ms,tpot_limit_ms,metric,statistic,value,unit,engine\n"
      "P1,e,fit,mlperf,B200,8,1,,fp4,Llama-2-70B,offline,,222,273,x,,,throughput_output,total,1e5,tokens/s,TensorRT-LLM\n"
      "P2,e,fit,mlperf,B200,8,1,,fp4,Llama-2-70B,offline,,222,273,x,,,system_rest_power,mean,2884,W,TensorRT-LLM\n"
      "P3,f,fit,mlperf,B200,8,1,,fp4,Llama-2-70B,offline,,222,273,x,,,throughput_output,total,1e5,tokens/s,TensorRT-LLM\n");
  struct ic_pub_row *rows = NULL;
  size_t n = 0;
  assert_int_equal(ic_pub_load(path, &rows, &n), IC_OK);
  remove(path);
  assert_int_equal(n, 3);
  assert_true(rows[0].system_rest_w == 2884.0 && rows[1].system_rest_w == 2884.0 && rows[2].system_rest_w == 0.0);
  static struct ic_scenario s;
  char why[IC_PUB_WHY];
  assert_true(ic_pub_scenario(&rows[0], &quick, 0, &s, why));
  assert_true(fabs(s.power.node_base_w - (2884.0 - 8 * 107.0)) < 1e-9);
  assert_true(ic_pub_scenario(&rows[2], &quick, 0, &s, why));
  assert_true(isnan(s.power.node_base_w)); /* no rest row: the catalogue server's */
  rows[0].system_rest_w = 500.0; /* below 8 x 107 W */
  assert_false(ic_pub_scenario(&rows[0], &quick, 0, &s, why));
  assert_non_null(strstr(diag.text, "row P1: system_rest_power 500 W is below its 8 GPUs' idle draw"));
  free(rows);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(loads_quoted_rows),
      cmocka_unit_test_setup_teardown(missing_column_is_named, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(bad_number_names_line_and_column, diag_capture, diag_release),
      cmocka_unit_test(skips_say_why),
      cmocka_unit_test(offline_row_becomes_its_scenario),
      cmocka_unit_test(mlperf_rows_take_their_data_set),
      cmocka_unit_test(submission_memory_share_maps_to_reserve),
      cmocka_unit_test(default_tp_rule),
      cmocka_unit_test(abs_stats_by_hand),
      cmocka_unit_test(bad_command_lines),
      cmocka_unit_test(limits_by_hand),
      cmocka_unit_test(server_search_brackets_the_limit),
      cmocka_unit_test(offline_row_and_lists),
      cmocka_unit_test(trtllm_scheduling_maps),
      cmocka_unit_test(trtllm_host_time_per_layer_maps),
      cmocka_unit_test(trtllm_host_time_adds_to_every_iteration),
      cmocka_unit_test(trtllm_unread_rows_take_nvidia_classes),
      cmocka_unit_test(vllm_v1_scheduling_maps),
      cmocka_unit_test_setup_teardown(rest_power_sets_the_host, diag_capture, diag_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
