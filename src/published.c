/* published.c: the published-measurements table read with libcsv, each row
 * mapped to the scenario that offers its benchmark's load, and the error
 * statistics. The mapping rules are in docs/validation-published.md. */
#include "infercost/published.h"
#include "infercost/published_configs.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/hw.h"
#include "infercost/model.h"
#include "infercost/sweep.h"

/* --- reading ------------------------------------------------------------------ */

enum col {
  C_ID, C_EXPERIMENT, C_SPLIT, C_SOURCE_KIND, C_GPU, C_GPUS, C_NODES, C_TP, C_PRECISION, C_MODEL, C_MODE,
  C_CONCURRENCY, C_INPUT, C_OUTPUT, C_DATASET, C_TTFT_LIMIT, C_TPOT_LIMIT, C_METRIC, C_STATISTIC, C_VALUE,
  C_UNIT, C_ENGINE, C_COUNT
};
static const char *const col_names[C_COUNT] = {
    "id", "experiment", "split", "source_kind", "gpu", "gpus", "nodes", "tp", "precision", "model", "mode",
    "concurrency", "input_tokens", "output_tokens", "dataset", "ttft_limit_ms", "tpot_limit_ms", "metric",
    "statistic", "value", "unit", "engine"};

struct loader {
  const char *path;
  int where[C_COUNT];     /* column index of each needed field, -1 until the header names it */
  size_t field;           /* index of the field within the record */
  int line;               /* records so far (the header is line 1) */
  struct ic_pub_row cur;
  struct ic_pub_row *rows;
  size_t count, cap;
  ic_status st;
};

static void copy_text(char *dst, size_t size, const char *src, size_t len) {
  if (len >= size) len = size - 1;
  memcpy(dst, src, len);
  dst[len] = '\0';
}

/* An empty field is NaN; anything else must be a whole number. */
static double number(struct loader *l, const char *text, const char *name) {
  if (!*text) return (double)NAN;
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || *end || !isfinite(v)) {
    ic_diag(l->path, l->line + 1, "column %s: expected a number, got '%s'", name, text);
    l->st = IC_EINVAL;
    return (double)NAN;
  }
  return v;
}

static void on_field(void *data, size_t len, void *ctx) {
  struct loader *l = ctx;
  size_t f = l->field++;
  char buf[512];
  ic_pub_field_text(buf, sizeof buf, data, len);
  if (l->line == 0) {
    for (int c = 0; c < C_COUNT; c++)
      if (!strcmp(buf, col_names[c])) l->where[c] = (int)f;
    return;
  }
  struct ic_pub_row *r = &l->cur;
  for (int c = 0; c < C_COUNT; c++) {
    if (l->where[c] != (int)f) continue;
    switch (c) {
    case C_ID: copy_text(r->id, sizeof r->id, buf, strlen(buf)); break;
    case C_EXPERIMENT: copy_text(r->experiment, sizeof r->experiment, buf, strlen(buf)); break;
    case C_SPLIT: copy_text(r->split, sizeof r->split, buf, strlen(buf)); break;
    case C_SOURCE_KIND: copy_text(r->source_kind, sizeof r->source_kind, buf, strlen(buf)); break;
    case C_GPU: copy_text(r->gpu, sizeof r->gpu, buf, strlen(buf)); break;
    case C_PRECISION: copy_text(r->precision, sizeof r->precision, buf, strlen(buf)); break;
    case C_MODEL: copy_text(r->model, sizeof r->model, buf, strlen(buf)); break;
    case C_MODE: copy_text(r->mode, sizeof r->mode, buf, strlen(buf)); break;
    case C_DATASET: copy_text(r->dataset, sizeof r->dataset, buf, strlen(buf)); break;
    case C_METRIC: copy_text(r->metric, sizeof r->metric, buf, strlen(buf)); break;
    case C_STATISTIC: copy_text(r->statistic, sizeof r->statistic, buf, strlen(buf)); break;
    case C_UNIT: copy_text(r->unit, sizeof r->unit, buf, strlen(buf)); break;
    case C_ENGINE: copy_text(r->engine, sizeof r->engine, buf, strlen(buf)); break;
    case C_GPUS: r->gpus = number(l, buf, col_names[c]); break;
    case C_NODES: r->nodes = number(l, buf, col_names[c]); break;
    case C_TP: r->tp = number(l, buf, col_names[c]); break;
    case C_CONCURRENCY: r->concurrency = number(l, buf, col_names[c]); break;
    case C_INPUT: r->input_tokens = number(l, buf, col_names[c]); break;
    case C_OUTPUT: r->output_tokens = number(l, buf, col_names[c]); break;
    case C_TTFT_LIMIT: r->ttft_limit_ms = number(l, buf, col_names[c]); break;
    case C_TPOT_LIMIT: r->tpot_limit_ms = number(l, buf, col_names[c]); break;
    default: r->value = number(l, buf, col_names[c]); break;
    }
  }
}

static void on_record(int term, void *ctx) {
  (void)term;
  struct loader *l = ctx;
  l->field = 0;
  l->line++;
  if (l->line == 1) {
    for (int c = 0; c < C_COUNT; c++)
      if (l->where[c] < 0) {
        ic_diag(l->path, 1, "header: missing column '%s'", col_names[c]);
        l->st = IC_EINVAL;
      }
  } else if (l->st == IC_OK) {
    if (!(l->cur.value > 0)) {
      ic_diag(l->path, l->line, "column value: expected a positive number");
      l->st = IC_EINVAL;
    }
    void *rows = l->rows;
    if (ic_pub_grow(&rows, &l->cap, l->count, sizeof *l->rows, 256) != IC_OK) {
      l->st = IC_ENOMEM;
      return;
    }
    l->rows = rows;
    l->cur.line = l->line;
    l->rows[l->count++] = l->cur;
  }
  memset(&l->cur, 0, sizeof l->cur);
  l->cur.value = (double)NAN;
}

ic_status ic_pub_load(const char *path, struct ic_pub_row **rows, size_t *count) {
  struct loader l = {.path = path, .st = IC_OK};
  for (int c = 0; c < C_COUNT; c++) l.where[c] = -1;
  l.cur.value = (double)NAN;
  ic_status st = ic_pub_read_rows(path, "the published-measurements table", on_field, on_record, &l, &l.line, &l.st,
                                  &l.count);
  if (st != IC_OK) {
    free(l.rows);
    return st;
  }
  /* MLPerf Power: the server at rest, logged by the same analyzer before the
   * load ramps; it sets the host's base power of its experiment's runs. */
  for (size_t i = 0; i < l.count; i++) {
    l.rows[i].system_rest_w = 0.0;
    for (size_t j = 0; j < l.count; j++)
      if (!strcmp(l.rows[j].metric, "system_rest_power") && !strcmp(l.rows[j].experiment, l.rows[i].experiment))
        l.rows[i].system_rest_w = l.rows[j].value;
  }
  *rows = l.rows;
  *count = l.count;
  return IC_OK;
}

/* --- mapping ------------------------------------------------------------------- */

/* The table's model names and the catalogue's; Llama 3.1 / 3.3 keep the
 * Llama 3 shapes with a 128K context (Meta's model cards). */
static const struct {
  const char *table, *catalogue;
  long context_max;   /* 0: the catalogue's */
} models[] = {
    {"Llama-2-70B", "llama2-70b", 0},        {"Llama-3.1-8B", "llama3-8b", 131072},
    {"Llama-3.1-70B", "llama3-70b", 131072}, {"Llama-3.3-70B", "llama3-70b", 131072},
    {"Llama-3.1-405B", "llama3-405b", 0},    {"Mixtral-8x7B", "mixtral-8x7b", 0},
};

static const struct {
  const char *table, *catalogue;
} gpus[] = {{"H100", "h100-sxm"}, {"H200", "h200"}, {"B200", "b200"}, {"MI300X", "mi300x"}, {"MI325X", "mi325x"}};

bool ic_pub_in_list(const char *list, char sep, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *bar = strchr(p, sep);
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && !strncmp(p, name, n)) return true;
    p = bar ? bar + 1 : NULL;
  }
  return false;
}

static bool set(struct ic_scenario *s, const char *row_id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool set(struct ic_scenario *s, const char *row_id, const char *fmt, ...) {
  char kv[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(kv, sizeof kv, fmt, ap);
  va_end(ap);
  char where[64];
  snprintf(where, sizeof where, "published row %s", row_id);
  return n > 0 && (size_t)n < sizeof kv && ic_scenario_set(s, kv, where) == IC_OK;
}

/* The GPU's catalogue server when the row used all its GPUs per node; else
 * a host of the row's own size. Every metric scored is the GPUs' own
 * (throughput, latency, GPU energy and power), so the host's base power and
 * price, set to 0, play no part. */
static bool set_host(struct ic_scenario *s, const char *row_id, const char *server_name, long per_node) {
  const struct ic_server_spec *srv = server_name ? ic_hw_find_server(server_name) : NULL;
  if (srv && srv->gpus == per_node) return set(s, row_id, "fleet.server=%s", server_name);
  return set(s, row_id, "fleet.server=published-host-%ld-gpus", per_node) && set(s, row_id, "power.node_base_w=0") &&
         set(s, row_id, "cost.server_price_usd=0");
}

/* An MLPerf Power system's measured rest draw, less its GPUs' idle draw
 * (the catalogue's), is its host's base power (sixth round (E)). */
static bool set_rest_power(struct ic_scenario *s, const struct ic_pub_row *row, const char *gpu, long per_node) {
  if (!(row->system_rest_w > 0)) return true;
  const struct ic_gpu_spec *g = ic_hw_find_gpu(gpu);
  double base_w = row->system_rest_w - (double)per_node * (g ? g->idle_w : 0.0);
  if (!g || base_w < 0) {
    ic_diag("published", row->line, "row %s: system_rest_power %g W is below its %ld GPUs' idle draw", row->id,
            row->system_rest_w, per_node);
    return false;
  }
  return set(s, row->id, "power.node_base_w=%.17g", base_w);
}

#define SKIP(...) (snprintf(why, IC_PUB_WHY, __VA_ARGS__), false)

/* The MLPerf data sets whose per-sample (prompt, output) lengths sit in
 * the table's datasets/ folder (tests/data/published/README.md, "Data set
 * lengths"): a row's `dataset` text, its file, and the file's mean
 * output_length (datasets.csv mean_output_tokens), which scales the file's
 * outputs to the row's own mean output. The file's outputs are the
 * benchmark's reference outputs for Mixtral-8x7B and Llama-3.1-405B
 * (`outputs` true). For OpenOrca they are GPT-4's answers, not Llama-2's,
 * and for CNN/DailyMail the reference summary's characters / 4: those rows
 * keep the run's mean output for every sample, their prompts drawn per
 * sample (docs/validation-published.md, "Fifth round (L)"). */
static const struct {
  const char *dataset, *file;
  bool outputs;
  double mean_output_tokens;
} datasets[] = {
    {"MLPerf OpenOrca (GPT-4 part), 24576 samples", "llama2-70b-99.csv.gz", false, 218.8946},
    {"MLPerf Mixtral-8x7B set, 15000 samples", "mixtral-8x7b.csv.gz", true, 144.8429},
    {"MLPerf Llama-3.1-405B set, 8313 samples", "llama3-1-405b.csv.gz", true, 684.6846},
    {"MLPerf CNN/DailyMail eval, 13368 samples", "llama3-1-8b-datacenter.csv.gz", false, 81.6327},
};

/* The number before `unit` in a data set's text ("..., 3000 requests",
 * "..., 24576 samples"); 0 if none. */
static long count_in(const char *dataset, const char *unit) {
  const char *p = strstr(dataset, unit);
  if (!p) return 0;
  while (p > dataset && (p[-1] >= '0' && p[-1] <= '9')) p--;
  return strtol(p, NULL, 10);
}

/* Passes over the data set of an offline row with per-sample lengths: the
 * offline throughput is within 1% of the 16-pass figure from 8 passes on
 * for Llama-2-70B and Llama-3.1-405B and from 12 for Mixtral
 * (docs/validation-published.md, "Fifth round (L)"). */
#define OFFLINE_PASSES 16

/* Per-sample lengths for a row of one of the data sets above: empirical
 * prompt and output drawn as whole rows of its file (offline: each sample
 * once per pass, as MLPerf Offline issues the set), outputs scaled to the
 * row's mean. *offline_requests becomes a whole number of passes, at least
 * OFFLINE_PASSES and at least the count asked. Returns false (why filled)
 * when the file's path does not fit a scenario text; true with nothing set
 * when the row has no such set or the lengths asked are the means. */
static bool set_dataset_lengths(struct ic_scenario *s, const struct ic_pub_row *row, const struct ic_pub_options *opt,
                                bool offline, long *offline_requests, char *why) {
  size_t d = 0;
  while (d < sizeof datasets / sizeof datasets[0] && strcmp(datasets[d].dataset, row->dataset)) d++;
  if (opt->lengths != IC_PUB_LENGTHS_DATASET || !opt->table_dir || d == sizeof datasets / sizeof datasets[0])
    return true;
  char path[IC_KEY_TEXT_MAX + 1];
  int n = snprintf(path, sizeof path, "%s/datasets/%s", opt->table_dir, datasets[d].file);
  if (n < 0 || (size_t)n >= IC_KEY_TEXT_MAX)
    return SKIP("the data set's path is longer than a scenario text (%d bytes): %s/datasets/%s", IC_KEY_TEXT_MAX - 1,
                opt->table_dir, datasets[d].file);
  long samples = count_in(row->dataset, " samples");
  /* Whole passes, at least OFFLINE_PASSES: a single pass leaves a drain
   * tail (the longest outputs finishing in a thinning batch) that MLPerf's
   * 600 s+ queries do not have (12 passes in the v5.0 DGX H100 log). */
  if (offline && samples > 0) {
    long passes = (*offline_requests + samples - 1) / samples;
    *offline_requests = samples * (passes > OFFLINE_PASSES ? passes : OFFLINE_PASSES);
  }
  bool ok = set(s, row->id, "traffic.prompt_dist=empirical") && set(s, row->id, "traffic.trace_path=%s", path) &&
            set(s, row->id, "traffic.trace_format=generic") &&
            set(s, row->id, "traffic.trace_prompt_column=input_length") &&
            set(s, row->id, "traffic.trace_output_column=output_length") &&
            set(s, row->id, "traffic.empirical_sampling=%s", offline ? "each_once" : "rows");
  if (ok && datasets[d].outputs)
    ok = set(s, row->id, "traffic.output_dist=empirical") &&
         set(s, row->id, "traffic.empirical_output_scale=%.9g", row->output_tokens / datasets[d].mean_output_tokens);
  return ok || SKIP("the scenario was refused (reported above)");
}

/* Tensor parallelism when the source does not state it (MLPerf): the
 * smallest power of two whose replica keeps the weights within half its
 * memory, leaving the rest to the KV cache, up to the GPUs of one node. */
static long default_tp(const struct ic_model_spec *m, const struct ic_gpu_spec *g, enum ic_precision w, long per_node) {
  double weights = ic_model_weight_bytes(m, w);
  long tp = 1;
  while (tp < per_node && weights > 0.5 * (double)tp * g->memory_bytes) tp *= 2;
  return tp;
}

/* NVIDIA's MLPerf harness (closed/NVIDIA/code/llmlib/cores/trtllm_executor_core.py
 * at inference_results_v5.1@965182b0, every v5.1 TensorRT-LLM submission's
 * DEFAULT_CORE_TYPE) builds its trtllm.ExecutorConfig with no
 * ExtendedRuntimePerfKnobConfig, whose cudaGraphMode defaults to false: each
 * iteration launches every layer's kernels from the host. That host time,
 * per layer, is added to the fitted fixed cost of an iteration
 * (docs/validation-published.md, "Eighth round (T)"). */
static bool add_executor_host_time(const struct ic_pub_row *row, const struct ic_pub_options *opt, struct ic_scenario *s) {
  const struct ic_model_spec *m = ic_model_find(s->model.name);
  struct ic_perf_params f;
  double base = ic_perf_fitted(s->fleet.gpu, (enum ic_precision)s->model.activation_precision, &f) ? f.overhead_s
                                                                                                   : s->perf.overhead_s;
  if (!m) return false;
  double serial = base + opt->trtllm_host_serial_s;
  if (opt->trtllm_host_form == IC_PUB_HOST_FLOOR)
    return set(s, row->id, "perf.overhead_s=%.9g", serial) &&
           (!(opt->trtllm_host_per_layer_s > 0) ||
            set(s, row->id, "perf.launch_floor_per_layer_s=%.9g", opt->trtllm_host_per_layer_s));
  return set(s, row->id, "perf.overhead_s=%.9g", serial + (double)m->layers * opt->trtllm_host_per_layer_s);
}

/* vLLM V1's host time per step (docs/validation-published.md, "Eighth
 * round (V)"): version 0.10 schedules, prepares the inputs and samples on
 * the CPU between GPU steps, per step and per request. Per sequence: from
 * Little's law on the fit half's one V1 experiment (RedHat H100
 * Llama-3.1-8B, P121 / P122 / P125), whose Offline and Server steps
 * (about 530 and 121 sequences) are 21.8 and 7.0 ms longer than the
 * model's: 39 us per sequence (the shared 2.8 us included); the fixed part
 * then fitted on those rows' objective, grid of 0.25 ms. */
#define VLLM_V1_OVERHEAD_S 2.75e-3
#define VLLM_V1_OVERHEAD_PER_SEQ_S 3.9e-5

/* vLLM V1 (vllm/v1/core/sched/scheduler.py, schedule()): the running
 * requests first, a decode one token of max_num_batched_tokens, then the
 * prompts in what is left, each at most long_prefill_token_threshold. */
static bool vllm_v1(const struct ic_pub_row *row, const struct ic_pub_config *c, struct ic_scenario *s) {
  bool ok = set(s, row->id, "serving.token_budget=iteration") &&
            set(s, row->id, "perf.overhead_s=%.9g", VLLM_V1_OVERHEAD_S) &&
            set(s, row->id, "perf.overhead_per_seq_s=%.9g", VLLM_V1_OVERHEAD_PER_SEQ_S);
  if (ok && c->prefill_chunk_max_tokens > 0)
    ok = set(s, row->id, "serving.prefill_chunk_max_tokens=%ld", c->prefill_chunk_max_tokens);
  return ok;
}

/* NVIDIA's own TensorRT-LLM configuration classes, per GPU (x8 system),
 * benchmark and scenario: gpu_batch_size and trtllm_runtime_flags
 * max_num_tokens, chunked context on (every v5.1 class sets
 * enable_chunked_context). For the MLPerf TensorRT-LLM rows whose own
 * configuration was not read (docs/validation-published.md, "Eighth round
 * (C)"). Sources: inference_results_v5.0@6069beb2
 * closed/NVIDIA/configs/llama2-70b/Offline/__init__.py (H100_SXM_80GB_PP2x4
 * 1024 / 1024, H200_SXM_141GBx8 2048 / 1536, B200_SXM_180GBx8 2048 / 3584);
 * inference_results_v5.1@965182b0 closed/NVIDIA/configs/B200-SXM-180GBx8
 * (llama2-70b 2048 / 3584 in both scenarios, llama3_1-405b 128 / 1536
 * Offline and 256 / 2048 Server, llama3_1-8b 6000 / 12000). A Server row
 * takes its Offline class where only that was read (Llama-2-70B on H100
 * and H200; v5.1 sets the two alike on B200 and on Dell's and Nebius'
 * H200). No H100 405B class was read: those rows keep the defaults. */
static const struct {
  const char *gpu, *model, *mode; /* mode NULL: every scenario */
  long max_batch, max_num_tokens;
} nvidia_classes[] = {
    {"H100", "Llama-2-70B", NULL, 1024, 1024},       {"H200", "Llama-2-70B", NULL, 2048, 1536},
    {"B200", "Llama-2-70B", NULL, 2048, 3584},       {"B200", "Llama-3.1-405B", "offline", 128, 1536},
    {"B200", "Llama-3.1-405B", "server", 256, 2048}, {"B200", "Llama-3.1-8B", NULL, 6000, 12000},
};

/* The caps of an MLPerf TensorRT-LLM row (NVIDIA's harness) without its
 * own configuration, as a configuration; false when none applies. */
static bool nvidia_caps(const struct ic_pub_row *row, struct ic_pub_config *c) {
  /* Interactive classes set other caps (768 / 768 on B200): none is unread. */
  if (strcmp(row->source_kind, "mlperf") || strcmp(row->engine, "TensorRT-LLM") || !strcmp(row->mode, "interactive"))
    return false;
  for (size_t i = 0; i < sizeof nvidia_classes / sizeof nvidia_classes[0]; i++) {
    if (strcmp(nvidia_classes[i].gpu, row->gpu) || strcmp(nvidia_classes[i].model, row->model) ||
        (nvidia_classes[i].mode && strcmp(nvidia_classes[i].mode, row->mode)))
      continue;
    *c = (struct ic_pub_config){.max_batch = nvidia_classes[i].max_batch,
                                .max_num_tokens = nvidia_classes[i].max_num_tokens, .chunked = true, .line = 0};
    return true;
  }
  return false;
}

/* The submission's own scheduler, where its code and configuration were
 * read (tests/data/published/submission_configs.csv; docs/validation-published.md,
 * "Fifth round (S)"): its batch cap per replica; its token budget an
 * iteration, as prompt chunks where a vLLM V1 engine chunks (the decodes
 * counted in it, each prompt's chunk capped: vllm_v1 above), else as whole
 * prompts: vLLM V0 without chunked prefill, and TensorRT-LLM, whose
 * enable_chunked_context the simulator's chunked prefill follows less well
 * than a whole-prompt budget on the fit half (fit-half TPOT median 49.1%
 * against 22.6%, TTFT 30.2% against 40.9%), or with opt->trtllm =
 * inflight as TensorRT-LLM schedules (sixth round (Q)); then vLLM's
 * multi-step scheduling and AMD's prefill hold-back. */
static bool apply_submission_config(const struct ic_pub_row *row, const struct ic_pub_options *opt, struct ic_scenario *s) {
  const struct ic_pub_config *c = ic_pub_find_config(opt->configs, opt->config_count, row->experiment, row->mode);
  struct ic_pub_config nvidia;
  if (!c && opt->trtllm_unread_caps && nvidia_caps(row, &nvidia)) c = &nvidia;
  if (!c) return true;
  bool ok = !c->max_batch || set(s, row->id, "serving.max_batch=%ld", c->max_batch);
  bool trt = strstr(row->engine, "TensorRT-LLM") != NULL, inflight = trt && opt->trtllm == IC_PUB_TRTLLM_INFLIGHT;
  bool chunks = c->chunked && (!trt || inflight);
  if (ok && c->max_num_tokens > 0)
    ok = chunks ? set(s, row->id, "serving.max_batched_tokens=0") &&
                          set(s, row->id, "serving.prefill_chunk_tokens=%ld", c->max_num_tokens)
                    : set(s, row->id, "serving.prefill_chunk_tokens=0") &&
                          set(s, row->id, "serving.max_batched_tokens=%ld", c->max_num_tokens);
  /* TensorRT-LLM's MicroBatchScheduler (batch_manager/microBatchScheduler.cpp):
   * generation requests first, one token each of max_num_tokens, context
   * chunks in what is left, all in one iteration. */
  if (ok && inflight) ok = set(s, row->id, "serving.token_budget=iteration");
  if (ok && trt && (opt->trtllm_host_per_layer_s > 0 || opt->trtllm_host_serial_s > 0))
    ok = add_executor_host_time(row, opt, s);
  if (ok && chunks && strstr(row->engine, "vLLM")) ok = vllm_v1(row, c, s); /* V1: vLLM chunks only there */
  if (ok && c->scheduler_steps > 0) ok = set(s, row->id, "serving.scheduler_steps=%ld", c->scheduler_steps);
  if (ok && c->prefill_min_queue > 0) ok = set(s, row->id, "serving.prefill_min_queue=%ld", c->prefill_min_queue);
  /* vLLM's gpu_memory_utilization is the share of the GPU's memory the
   * engine takes for weights, activations and KV cache: the rest is what
   * perf.memory_reserve_frac keeps free (its 0.1 default is vLLM's own 0.9).
   * AMD ran 0.96-1.0; at 0.9 the MI300X Offline runs evicted and recomputed
   * (docs/validation-published.md, "Sixth round (D)"). */
  if (ok && c->gpu_memory_utilization > 0)
    ok = set(s, row->id, "perf.memory_reserve_frac=%.6f", 1.0 - c->gpu_memory_utilization);
  return ok;
}

bool ic_pub_scenario(const struct ic_pub_row *row, const struct ic_pub_options *opt, double rate_per_s,
                     struct ic_scenario *s, char *why) {
  bool quick = opt->quick;
  size_t mi = 0, gi = 0;
  while (mi < sizeof models / sizeof models[0] && strcmp(models[mi].table, row->model)) mi++;
  if (mi == sizeof models / sizeof models[0] || !ic_model_find(models[mi].catalogue))
    return SKIP("model %s is not in the catalogue", row->model);
  while (gi < sizeof gpus / sizeof gpus[0] && strcmp(gpus[gi].table, row->gpu)) gi++;
  if (gi == sizeof gpus / sizeof gpus[0] || !ic_hw_find_gpu(gpus[gi].catalogue))
    return SKIP("GPU %s is not in the catalogue", row->gpu);
  if (!*row->precision) return SKIP("the source does not state the precision");
  /* The table's fp4 on NVIDIA parts is NVFP4, the catalogue's nvfp4 where it has it. */
  const char *prec = !strcmp(row->precision, "fp4") && ic_pub_in_list(IC_PRECISION_CHOICES, '|', "nvfp4") ? "nvfp4"
                                                                                                   : row->precision;
  if (!ic_pub_in_list(IC_PRECISION_CHOICES, '|', prec))
    return SKIP("precision %s is not in the catalogue (%s)", row->precision, IC_PRECISION_CHOICES);
  if (isnan(row->input_tokens))
    return SKIP("no prompt length: the source gives none for '%.60s'", row->dataset);
  if (isnan(row->output_tokens)) return SKIP("no output length in the source");
  if (!(row->gpus >= 1) || !(row->nodes >= 1) || fmod(row->gpus, row->nodes) != 0)
    return SKIP("GPU count %g over %g nodes is not a whole number per node", row->gpus, row->nodes);
  bool server = !strcmp(row->mode, "server") || !strcmp(row->mode, "interactive");
  if (server && !(rate_per_s > 0)) return SKIP("server / interactive row without a published throughput in its experiment");

  const struct ic_model_spec *m = ic_model_find(models[mi].catalogue);
  const struct ic_gpu_spec *g = ic_hw_find_gpu(gpus[gi].catalogue);
  long per_node = (long)(row->gpus / row->nodes);
  /* fp4 weights (NVFP4) keep an fp8 KV cache; otherwise one format throughout. */
  const char *kv = strstr(prec, "fp4") ? "fp8" : prec;
  enum ic_precision wp = IC_FP16;
  for (int p = 0; p < IC_PRECISION_COUNT; p++)
    if (!strcmp(ic_precision_name((enum ic_precision)p), prec)) wp = (enum ic_precision)p;
  long tp = row->tp >= 1 ? (long)row->tp : default_tp(m, g, wp, per_node);
  const char *server_name = ic_sweep_server_for_gpu(gpus[gi].catalogue);

  ic_scenario_defaults(s);
  /* power.model = load: the fit half's energy rows (sixth round (E)); it moves no time. */
  bool ok = set(s, row->id, "perf.profile=fitted") && set(s, row->id, "power.model=load") &&
            set(s, row->id, "model.name=%s", models[mi].catalogue) &&
            (models[mi].context_max == 0 || set(s, row->id, "model.context_max=%ld", models[mi].context_max)) &&
            set(s, row->id, "model.weight_precision=%s", prec) &&
            set(s, row->id, "model.activation_precision=%s", prec) &&
            set(s, row->id, "model.kv_precision=%s", kv) && set(s, row->id, "fleet.gpu=%s", gpus[gi].catalogue) &&
            set_host(s, row->id, server_name, per_node) && set_rest_power(s, row, gpus[gi].catalogue, per_node) &&
            set(s, row->id, "fleet.nodes=%ld", (long)row->nodes) &&
            set(s, row->id, "fleet.gpus_per_node=%ld", per_node) && set(s, row->id, "fleet.gpus_per_replica=%ld", tp) &&
            set(s, row->id, "serving.batching=continuous") && set(s, row->id, "serving.router=least_outstanding") &&
            set(s, row->id, "traffic.prompt_dist=fixed") && set(s, row->id, "traffic.output_dist=fixed") &&
            set(s, row->id, "traffic.prompt_tokens=%ld", lround(row->input_tokens)) &&
            set(s, row->id, "traffic.output_tokens=%ld", lround(row->output_tokens)) &&
            set(s, row->id, "run.duration_s=%d", quick ? 3600 : 36000);
  if (!ok) return SKIP("the scenario was refused (reported above)");
  /* The engine's scheduler defaults: TensorRT-LLM prefills at most
   * max_num_tokens = 8192 tokens an iteration and admits with the
   * GUARANTEED_NO_EVICT policy; NIM runs TensorRT-LLM engines with chunked
   * context (decodes riding along: what its fit-half inter-token latencies
   * show), 4096-token chunks: of 2048, 4096 and 8192 the one whose fit-half
   * TTFTs come closest (docs/validation-published.md); vLLM evicts
   * and recomputes (its max_num_batched_tokens follows the model length
   * without chunking). */
  if (strstr(row->engine, "NIM"))
    ok = set(s, row->id, "serving.prefill_chunk_tokens=4096") && set(s, row->id, "serving.admission=reserve");
  else if (strstr(row->engine, "TensorRT-LLM"))
    ok = set(s, row->id, "serving.max_batched_tokens=8192") && set(s, row->id, "serving.admission=reserve");
  /* TensorRT-LLM (and NIM's engines) give the KV cache 90% of the memory
   * the weights leave free (KvCacheConfig.free_gpu_memory_fraction = 0.9):
   * kept free is 10% of that, not perf.memory_reserve_frac's 10% of all. */
  if (ok && (strstr(row->engine, "NIM") || strstr(row->engine, "TensorRT-LLM"))) {
    double free_frac = 1.0 - ic_model_weight_bytes(m, wp) / ((double)tp * g->memory_bytes);
    ok = free_frac > 0 && set(s, row->id, "perf.memory_reserve_frac=%.6f", 0.1 * free_frac);
  }
  long replicas = (long)row->gpus / tp;
  if (!strcmp(row->mode, "offline")) {
    long n = count_in(row->dataset, " requests");
    if (n <= 0) n = 64 * replicas * 64;
    if (ok && !set_dataset_lengths(s, row, opt, true, &n, why)) return false;
    if (quick && n > 1000) n = 1000;
    ok = ok && set(s, row->id, "traffic.mode=offline") && set(s, row->id, "traffic.requests=%ld", n) &&
         set(s, row->id, "serving.max_batch=2048");
  } else if (!strcmp(row->mode, "fixed_concurrency") && row->concurrency >= 1) {
    /* Steady state, as the benchmark measured it (the NIM guide warms up
     * before profiling): clients send for as long as the run lasts, the
     * auto warm-up (at least 60 s) is not counted. A fixed count from time
     * 0 would count every client's first prompt arriving at once: at 25
     * clients, 25 x 5,000 prompt tokens queued together, which made the
     * mean TTFT 2.7 x the published one (docs/validation-published.md). */
    long c = (long)row->concurrency;
    ok = ok && set(s, row->id, "traffic.mode=closed") && set(s, row->id, "traffic.clients=%ld", c) &&
         set(s, row->id, "traffic.requests=0") && set(s, row->id, "run.duration_s=%d", quick ? 600 : 1800) &&
         set(s, row->id, "serving.max_batch=2048");
  } else if (!strcmp(row->mode, "max_batch") && row->concurrency >= 1) {
    /* The engine's batch cap kept full: every request queued at once. */
    long c = (long)row->concurrency;
    ok = ok && set(s, row->id, "traffic.mode=offline") && set(s, row->id, "traffic.requests=%ld", (quick ? 4 : 16) * c * replicas) &&
         set(s, row->id, "serving.max_batch=%ld", c);
  } else if (server) {
    if (ok && !set_dataset_lengths(s, row, opt, false, NULL, why)) return false;
    ok = ok && set(s, row->id, "traffic.mode=open") && set(s, row->id, "traffic.queries_per_day=%.17g", rate_per_s * 86400.0) &&
         set(s, row->id, "serving.max_batch=2048") && set(s, row->id, "run.duration_s=%d", quick ? 300 : 1200);
  } else {
    return SKIP("mode %s without the fields it needs", row->mode);
  }
  ok = ok && apply_submission_config(row, opt, s);
  for (size_t i = 0; ok && i < opt->override_count; i++) ok = ic_scenario_set(s, opt->overrides[i], "-s") == IC_OK;
  if (!ok) return SKIP("the scenario was refused (reported above)");
  if (ic_scenario_check(s) != IC_OK) return SKIP("the scenario does not check (reported above)");
  return true;
}

/* The headline metric for a row's metric and statistic, and the factor to
 * its unit; false when none measures it. */
static bool headline_for(const struct ic_pub_row *r, struct ic_pub_case *c) {
  static const struct {
    const char *metric, *statistic, *headline;
  } map[] = {
      {"throughput_output", "total", "output_tokens_per_s"}, {"ttft", "mean", "ttft_mean_s"},
      {"ttft", "p99", "ttft_p99_s"},                         {"tpot", "mean", "tpot_mean_s"},
      {"tpot", "p99", "tpot_p99_s"},                         {"itl", "mean", "tpot_mean_s"},
      {"itl", "p50", "tpot_p50_s"},                          {"energy_per_token", "mean", "gpu_j_per_output_token"},
      {"energy_per_token", "total", "gpu_j_per_output_token"}, {"power", "mean", "gpu_power_w"},
      {"power", "total", "gpu_power_w"},
      {"system_energy_per_token", "total", "it_j_per_output_token"}, /* MLPerf Power: the whole node's */
      {"system_power", "mean", "it_power_w"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    if (strcmp(map[i].metric, r->metric) || strcmp(map[i].statistic, r->statistic)) continue;
    snprintf(c->headline, sizeof c->headline, "%s", map[i].headline);
    c->to_unit = !strcmp(r->unit, "ms") ? 1e3 : !strcmp(r->unit, "ns") ? 1e9 : 1.0;
    return true;
  }
  return false;
}

/* The open-loop rate of a server experiment at its published load: its
 * throughput row's tokens/s over the mean output length; 0 when none. */
static double published_rate(const struct ic_pub_row *rows, size_t count, const struct ic_pub_row *r) {
  for (size_t j = 0; j < count; j++) {
    const struct ic_pub_row *t = &rows[j];
    if (!strcmp(t->experiment, r->experiment) && !strcmp(t->mode, r->mode) &&
        !strcmp(t->metric, "throughput_output") && t->output_tokens > 0)
      return t->value / t->output_tokens;
  }
  return 0.0;
}

size_t ic_pub_offline_row(const struct ic_pub_row *rows, size_t count, const struct ic_pub_row *r) {
  size_t j = 0;
  while (j < count && (strcmp(rows[j].experiment, r->experiment) || strcmp(rows[j].mode, "offline") ||
                       strcmp(rows[j].metric, "throughput_output")))
    j++;
  return j;
}

size_t ic_pub_plan(const struct ic_pub_row *rows, size_t count, const struct ic_pub_options *opt, struct ic_pub_case *cases,
                   size_t *first_row, double *rate) {
  static struct ic_scenario s; /* large; one at a time */
  size_t points = 0;
  for (size_t i = 0; i < count; i++) {
    struct ic_pub_case *c = &cases[i];
    memset(c, 0, sizeof *c);
    if (!headline_for(&rows[i], c)) {
      c->skipped = true;
      if (!strcmp(rows[i].metric, "system_rest_power"))
        snprintf(c->why, sizeof c->why, "an input: the system at rest sets its experiment's power.node_base_w");
      else
        snprintf(c->why, sizeof c->why, "metric %s (%s) has no predicted counterpart", rows[i].metric,
                 rows[i].statistic);
      continue;
    }
    bool server = !strcmp(rows[i].mode, "server") || !strcmp(rows[i].mode, "interactive");
    c->search_rate = server && !strcmp(rows[i].metric, "throughput_output");
    c->same_util = server && !c->search_rate;
    /* Rows of one experiment and mode share their run; a searched row has its own. */
    size_t j = 0;
    for (; j < i && !c->search_rate; j++)
      if (!cases[j].skipped && !cases[j].search_rate && !strcmp(rows[j].experiment, rows[i].experiment) &&
          !strcmp(rows[j].mode, rows[i].mode))
        break;
    if (j < i && !c->search_rate) {
      c->point = cases[j].point;
      continue;
    }
    double r = server ? published_rate(rows, count, &rows[i]) : 0.0;
    if (!ic_pub_scenario(&rows[i], opt, r, &s, c->why)) {
      c->skipped = true;
      continue;
    }
    c->point = points;
    rate[points] = r;
    first_row[points++] = i;
  }
  return points;
}

bool ic_pub_meets_limits(const struct ic_pub_row *row, double ttft_p99_s, double tpot_p99_s, double stable) {
  return stable > 0.5 && !(1e3 * ttft_p99_s > row->ttft_limit_ms) && !(1e3 * tpot_p99_s > row->tpot_limit_ms) &&
         !isnan(ttft_p99_s);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

size_t ic_pub_abs_stats(double *x, size_t n, double *median, double *p90) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(x[i])) x[k++] = fabs(x[i]);
  *median = *p90 = (double)NAN;
  if (k == 0) return 0;
  qsort(x, k, sizeof *x, cmp_double);
  *median = k % 2 ? x[k / 2] : 0.5 * (x[k / 2 - 1] + x[k / 2]);
  size_t rank = (size_t)ceil(0.9 * (double)k); /* nearest rank, 1-based */
  *p90 = x[(rank > 0 ? rank : 1) - 1];
  return k;
}
