/* train.c: training FLOPs, the memory check, wall-clock time with
 * checkpoints and interruptions, and the run priced through the same power
 * ledger and prices as `run`. Formulas and sources: docs/training.md. */
#include "infercost/train.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "infercost/headline.h"
#include "infercost/hw.h"
#include "infercost/run.h"
#include "infercost/scenario.h"
#include "train_impl.h"

#define GB 1e9
#define LEDGER_MAX_S (100.0 * 365.0 * 86400.0) /* the ledger's clock is int64 ns: stay far below */

struct ic_train_flops ic_train_count_flops(const struct ic_model_spec *m, double tokens, int64_t seq_len,
                                           enum ic_train_attention mode) {
  struct ic_train_flops f = {0};
  /* Forward 2N per token, backward 4N (Kaplan et al. 2020, section 2.1). */
  f.dense = 6.0 * ic_model_active_params(m) * tokens;
  if (mode != IC_TRAIN_ATTN_NONE) {
    /* The serving model's own count of one sequence's forward QK^T and AV:
     * s(s+1)/2 query-key pairs under a causal mask, s^2 for the full matrix. */
    const struct ic_precisions prec = {IC_BF16, IC_BF16, IC_BF16};
    struct ic_iter_shape shape = ic_iter_shape_prefill(seq_len, 1);
    if (mode == IC_TRAIN_ATTN_FULL) shape.attn_pairs = (double)seq_len * (double)seq_len;
    double forward = ic_model_iter_cost(m, &prec, &shape).attn_flops;
    f.attention = 3.0 * forward / (double)seq_len * tokens; /* backward = 2 x forward */
  }
  f.total = f.dense + f.attention;
  return f;
}

/* Bytes per GPU of one kind of model state: `bytes` per parameter of the
 * dense and expert parameters this GPU holds, divided over the
 * data-parallel group when that state is sharded (ZeRO). Experts are
 * replicated over data_parallel / expert_parallel ranks only. */
static double state_bytes(double dense_per_gpu, double expert_per_gpu, double bytes, int64_t dp, int64_t ep,
                          bool sharded) {
  double dense_div = sharded ? (double)dp : 1.0, expert_div = sharded ? (double)dp / (double)ep : 1.0;
  return bytes * (dense_per_gpu / dense_div + expert_per_gpu / expert_div);
}

struct ic_train_memory ic_train_memory_at(const struct ic_model_spec *m, const struct ic_train_config *cfg,
                                          int64_t data_parallel, double memory_bytes, enum ic_train_recompute level) {
  struct ic_train_memory mem = {0};
  double tp = (double)cfg->tensor_parallel, pp = (double)cfg->pipeline_parallel, ep = (double)cfg->expert_parallel;
  double total = ic_model_params(m), expert = 0.0;
  if (m->experts > 1) {
    /* The expert FFNs (and routers) are what a copy without experts lacks. */
    struct ic_model_spec bare = *m;
    bare.experts = 0;
    expert = total - ic_model_params(&bare);
  }
  double dense_per_gpu = (total - expert) / (tp * pp), expert_per_gpu = expert / (tp * pp * ep);
  mem.params_per_gpu = dense_per_gpu + expert_per_gpu;
  /* Mixed precision with Adam (Rajbhandari et al. 2020): 16-bit weights and
   * gradients, fp32 master weights + two moments = 12 bytes; in fp32 the
   * weights are the master copy (4 + 4 + 8). */
  bool fp32 = cfg->precision == IC_FP32;
  double wb = fp32 ? 4.0 : 2.0, ob = fp32 ? 8.0 : 12.0;
  int64_t dp = data_parallel, epi = cfg->expert_parallel;
  mem.weights = state_bytes(dense_per_gpu, expert_per_gpu, wb, dp, epi, cfg->zero_stage >= 3);
  mem.gradients = state_bytes(dense_per_gpu, expert_per_gpu, wb, dp, epi, cfg->zero_stage >= 2);
  mem.optimizer = state_bytes(dense_per_gpu, expert_per_gpu, ob, dp, epi, cfg->zero_stage >= 1);
  /* Activations of one micro-batch per layer with tensor + sequence
   * parallelism, 16-bit (Korthikanti et al. 2022, table 2): s b h (34 +
   * 5 a s / h) / t, 34 s b h / t with selective recomputation, 2 s b h / t
   * with full. Under 1F1B the first stage holds p micro-batches of L / p
   * layers: L layers' worth whatever p. */
  double s = (double)cfg->seq_len, b = (double)cfg->micro_batch_seqs, h = (double)m->hidden;
  double a = (double)m->heads, layers = (double)m->layers, per_layer;
  if (level == IC_RECOMPUTE_FULL)
    per_layer = 2.0 * s * b * h / tp;
  else if (level == IC_RECOMPUTE_SELECTIVE)
    per_layer = 34.0 * s * b * h / tp;
  else
    per_layer = s * b * h * (34.0 + 5.0 * a * s / h) / tp;
  mem.activations = per_layer * layers * (fp32 ? 2.0 : 1.0);
  mem.total = mem.weights + mem.gradients + mem.optimizer + mem.activations;
  mem.available = memory_bytes * (1.0 - cfg->memory_reserve_frac);
  mem.recompute = (int)level;
  return mem;
}

double ic_train_wall_s(const struct ic_train_config *cfg, int64_t gpus, double compute_s, struct ic_train_result *r) {
  /* Every checkpoint_interval_s of training stalls checkpoint_write_s. */
  double segment_s = cfg->checkpoint_interval_s + cfg->checkpoint_write_s;
  r->checkpoint_s = compute_s * cfg->checkpoint_write_s / cfg->checkpoint_interval_s;
  double running_s = compute_s + r->checkpoint_s;
  /* Interruptions arrive at gpus / MTBF per wall second; each costs the
   * restart plus the work since the last checkpoint, on average half a
   * segment (Young 1974, first order). W = running + rate W lost. */
  double rate_per_s = cfg->gpu_mtbf_h > 0 ? (double)gpus / (cfg->gpu_mtbf_h * 3600.0) : 0.0;
  double lost_s = cfg->failure_restart_s + segment_s / 2.0;
  if (rate_per_s * lost_s >= 1.0) return (double)INFINITY;
  double wall_s = running_s / (1.0 - rate_per_s * lost_s);
  r->interruptions = rate_per_s * wall_s;
  r->failure_s = wall_s - running_s;
  return wall_s;
}

/* Reports a [train] problem at the origin of `dotted` (its line, or the scenario). */
static void fail(const struct ic_scenario *s, const char *dotted, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(const struct ic_scenario *s, const char *dotted, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *o = ic_scenario_origin(s, dotted);
  ic_diag(strcmp(o, "default") == 0 ? s->source : o, 0, "%s: %s", dotted, msg);
}

static void check_parallelism(const struct ic_scenario *s, const struct ic_model_spec *m) {
  const struct ic_train_config *c = &s->train;
  long long tp = (long long)c->tensor_parallel, pp = (long long)c->pipeline_parallel, ep = (long long)c->expert_parallel;
  long long gpus = (long long)c->gpus, per_node = (long long)s->fleet.gpus_per_node;
  if (gpus % per_node != 0)
    fail(s, "train.gpus", "%lld GPUs is not a whole number of %lld-GPU nodes (fleet.gpus_per_node)", gpus, per_node);
  if (gpus % (tp * pp) != 0) {
    fail(s, "train.gpus", "%lld GPUs are not a multiple of tensor_parallel x pipeline_parallel = %lld", gpus, tp * pp);
    return;
  }
  long long dp = gpus / (tp * pp);
  if (c->data_parallel != 0 && c->data_parallel != dp)
    fail(s, "train.data_parallel", "%lld, but gpus / (tensor x pipeline) = %lld / %lld = %lld (or set it to 0)",
         (long long)c->data_parallel, gpus, tp * pp, dp);
  if (m->heads % tp != 0)
    fail(s, "train.tensor_parallel", "%lld does not divide the model's %lld attention heads", tp, (long long)m->heads);
  if (pp > m->layers)
    fail(s, "train.pipeline_parallel", "%lld stages for %lld layers", pp, (long long)m->layers);
  if (ep > 1 && m->experts <= 1)
    fail(s, "train.expert_parallel", "%lld, but model '%s' is dense (no experts)", ep, m->name);
  else if (ep > 1 && (m->experts % ep != 0 || dp % ep != 0))
    fail(s, "train.expert_parallel", "%lld must divide both the %lld experts and the %lld data-parallel ranks", ep,
         (long long)m->experts, dp);
  if (dp * c->micro_batch_seqs > c->global_batch_seqs)
    fail(s, "train.global_batch_seqs",
         "%lld sequences cannot give each of %lld data-parallel ranks a micro-batch of %lld", (long long)c->global_batch_seqs,
         dp, (long long)c->micro_batch_seqs);
}

ic_status ic_train_check(const struct ic_scenario *s) {
  size_t before = ic_diag_count();
  const struct ic_train_config *c = &s->train;
  if (c->precision != IC_FP32 && c->precision != IC_BF16 && c->precision != IC_FP16 && c->precision != IC_FP8)
    fail(s, "train.precision", "training runs in fp32, bf16, fp16 or fp8, not %s",
         ic_precision_name((enum ic_precision)c->precision));
  struct ic_model_spec m;
  struct ic_gpu_spec gpu;
  /* ic_scenario_check has reported a model or accelerator that does not resolve. */
  if (ic_model_resolve(&s->model, &m, s->source) != IC_OK ||
      ic_hw_resolve_gpu(s->fleet.gpu, &s->accelerator, &gpu, s->source) != IC_OK)
    return IC_EINVAL;
  check_parallelism(s, &m);
  if (c->precision >= 0 && c->precision < IC_PRECISION_COUNT && gpu.peak_flops[c->precision] <= 0)
    fail(s, "train.precision", "%s has no %s peak (set accelerator.peak_tflops_%s, or train in a precision it has)",
         gpu.name, ic_precision_name((enum ic_precision)c->precision), ic_precision_name((enum ic_precision)c->precision));
  return ic_diag_count() > before ? IC_EINVAL : IC_OK;
}

/* The least recomputation that fits (or the level asked for) into *mem;
 * false when even that does not fit. */
static bool pick_memory(const struct ic_model_spec *m, const struct ic_train_config *c, int64_t dp, double memory_bytes,
                        struct ic_train_memory *mem) {
  static const enum ic_train_recompute order[] = {IC_RECOMPUTE_NONE, IC_RECOMPUTE_SELECTIVE, IC_RECOMPUTE_FULL};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    if (c->recompute != IC_RECOMPUTE_AUTO && (int)order[i] != c->recompute) continue;
    *mem = ic_train_memory_at(m, c, dp, memory_bytes, order[i]);
    if (mem->total <= mem->available) return true;
  }
  return false;
}

const char *ic__train_recompute_name(int level) {
  static const char *const names[] = {"auto", "none", "selective", "full"};
  return level >= 0 && level <= IC_RECOMPUTE_FULL ? names[level] : "?";
}

/* Prices the run: every GPU at training power while running (training,
 * and work later lost to an interruption), idle while stalled on a
 * checkpoint or a restart; the ledger puts the stalls after the running
 * time, which only matters with hourly prices over a run of under a day. */
static ic_status price_run(const struct ic_scenario *s, const struct ic_run_result *hw, struct ic_train_result *r) {
  struct ic_tariff tariff;
  char why[256];
  if (ic_tariff_resolve(&s->power, &tariff, why, sizeof why) != IC_OK) {
    ic_diag(s->source, 0, "%s", why);
    return IC_EINVAL;
  }
  struct ic_gpu_power power = hw->gpu_power;
  power.watts[IC_GPU_PREFILL] = r->gpu_w;
  int64_t per_node = s->fleet.gpus_per_node;
  ic_ledger *l = ic_ledger_alloc(r->nodes, per_node, r->node_base_w, &power, 0);
  if (!l) return IC_ENOMEM;
  double stalled_s = r->checkpoint_s + r->interruptions * s->train.failure_restart_s;
  ic_time_ns running_end = ic_time_from_s(r->wall_s - stalled_s), end = ic_time_from_s(r->wall_s);
  /* The ledger's clock only moves forward: every node at 0, then every node at the end. */
  for (int64_t n = 0; n < r->nodes; n++) ic_ledger_set_state(l, n, per_node, IC_GPU_IDLE, IC_GPU_PREFILL, 0);
  for (int64_t n = 0; n < r->nodes; n++) ic_ledger_set_state(l, n, per_node, IC_GPU_PREFILL, IC_GPU_IDLE, running_end);
  ic_ledger_flush(l, end);
  struct ic_cost_fleet fleet = {r->nodes, per_node, hw->server_price_usd, hw->nameplate_node_w};
  ic_cost_ledger(l, r->wall_s, &fleet, &s->power, &tariff, &s->cost, &r->day, NULL);
  ic_ledger_free(l);
  r->days = r->wall_s / 86400.0;
  r->it_energy_kwh = r->day.it_energy_kwh * r->days;
  r->facility_energy_kwh = r->day.facility_energy_kwh * r->days;
  r->gco2e = r->day.gco2e * r->days;
  r->total_usd = r->day.total_usd * r->days;
  r->usd_per_million_tokens = r->total_usd / (s->train.tokens / 1e6);
  return IC_OK;
}

ic_status ic_train_estimate(const struct ic_scenario *s, struct ic_train_result *out) {
  const struct ic_train_config *c = &s->train;
  struct ic_train_result r;
  memset(&r, 0, sizeof r);
  struct ic_model_spec m;
  struct ic_gpu_spec gpu;
  struct ic_run_result hw; /* only its resolved-hardware fields are used */
  memset(&hw, 0, sizeof hw);
  if (ic_model_resolve(&s->model, &m, s->source) != IC_OK || ic_run_resolve_hardware(s, &gpu, &hw) != IC_OK)
    return IC_EINVAL;
  snprintf(r.gpu_name, sizeof r.gpu_name, "%s", gpu.name);
  r.params = ic_model_params(&m);
  r.active_params = ic_model_active_params(&m);
  r.gpus = c->gpus;
  r.nodes = c->gpus / s->fleet.gpus_per_node;
  r.data_parallel = c->gpus / (c->tensor_parallel * c->pipeline_parallel);
  if (!pick_memory(&m, c, r.data_parallel, gpu.memory_bytes, &r.memory)) {
    const struct ic_train_memory *x = &r.memory;
    fail(s, "train.gpus",
         "%s does not fit %s: %.1f GB per GPU (weights %.1f, gradients %.1f, optimizer %.1f, activations %.1f with "
         "recompute %s) > %.1f GB usable; raise tensor_parallel, pipeline_parallel or zero_stage, recompute more, "
         "or use GPUs with more memory",
         m.name, gpu.name, x->total / GB, x->weights / GB, x->gradients / GB, x->optimizer / GB, x->activations / GB,
         ic__train_recompute_name(x->recompute), x->available / GB);
    return IC_ECAPACITY;
  }
  r.flops = ic_train_count_flops(&m, c->tokens, c->seq_len, (enum ic_train_attention)c->attention_flops);
  r.steps = c->tokens / ((double)c->global_batch_seqs * (double)c->seq_len);
  r.peak_flops_per_gpu = gpu.peak_flops[c->precision];
  r.compute_s = r.flops.total / ((double)c->gpus * r.peak_flops_per_gpu * c->mfu);
  r.wall_s = ic_train_wall_s(c, c->gpus, r.compute_s, &r);
  if (!isfinite(r.wall_s)) {
    fail(s, "train.gpu_mtbf_h",
         "%lld GPUs at %g h each are interrupted every %.0f s, but each interruption costs %.0f s "
         "(restart + half a checkpoint interval): the job never finishes",
         (long long)c->gpus, c->gpu_mtbf_h, c->gpu_mtbf_h * 3600.0 / (double)c->gpus,
         c->failure_restart_s + (c->checkpoint_interval_s + c->checkpoint_write_s) / 2.0);
    return IC_EINVAL;
  }
  if (r.wall_s > LEDGER_MAX_S) {
    fail(s, "train.gpus", "the run would take %.0f years; infercost prices runs of up to 100 years",
         r.wall_s / (365.0 * 86400.0));
    return IC_EINVAL;
  }
  r.goodput = r.compute_s / r.wall_s;
  r.gpu_hours = (double)c->gpus * r.wall_s / 3600.0;
  r.gpu_w = isnan(c->gpu_w) ? hw.gpu_power.watts[IC_GPU_PREFILL] : c->gpu_w;
  r.node_base_w = hw.node_base_w;
  ic_status st = price_run(s, &hw, &r);
  if (st == IC_OK) *out = r;
  return st;
}

#define GETTER(name, expr) \
  static double get_##name(const struct ic_train_result *r) { return (expr); }
GETTER(flops, r->flops.total)
GETTER(gpu_hours, r->gpu_hours)
GETTER(wall_days, r->days)
GETTER(compute_days, r->compute_s / 86400.0)
GETTER(goodput, r->goodput)
GETTER(interruptions, r->interruptions)
GETTER(memory_gb_per_gpu, r->memory.total / GB)
GETTER(it_energy_mwh, r->it_energy_kwh / 1000.0)
GETTER(facility_energy_mwh, r->facility_energy_kwh / 1000.0)
GETTER(tco2e, r->gco2e / 1e6)
GETTER(energy_usd, (r->day.energy_usd + r->day.cooling_usd) * r->days)
GETTER(amortization_usd, r->day.amortization_usd * r->days)
GETTER(other_usd, r->day.other_usd * r->days)
GETTER(total_usd, r->total_usd)
GETTER(usd_per_million_tokens, r->usd_per_million_tokens)
GETTER(gpus, (double)r->gpus)
#undef GETTER

#define ROW(name, unit) {#name, unit, get_##name}
static const struct ic_train_metric metrics[] = {
    ROW(flops, "FLOP"),
    ROW(gpu_hours, "GPU-h"),
    ROW(wall_days, "days"),
    ROW(compute_days, "days"),
    ROW(goodput, "fraction"),
    ROW(interruptions, "count"),
    ROW(memory_gb_per_gpu, "GB"),
    ROW(it_energy_mwh, "MWh"),
    ROW(facility_energy_mwh, "MWh"),
    ROW(tco2e, "tCO2e"),
    ROW(energy_usd, "USD"),
    ROW(amortization_usd, "USD"),
    ROW(other_usd, "USD"),
    ROW(total_usd, "USD"),
    ROW(usd_per_million_tokens, "USD"),
    ROW(gpus, "GPUs"),
};
#undef ROW
_Static_assert(sizeof metrics / sizeof metrics[0] <= IC_HEADLINE_MAX, "sweep records hold IC_HEADLINE_MAX metrics");

const struct ic_train_metric *ic_train_metric_table(size_t *count) {
  *count = sizeof metrics / sizeof metrics[0];
  return metrics;
}
