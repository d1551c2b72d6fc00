/* run.c: wires traffic, fleet and ledger to the kernel and collects results. */
#define _POSIX_C_SOURCE 200809L
#include "infercost/run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#include "infercost/metrics.h"
#include "infercost/progress.h"
#include "infercost/outfile.h"
#include "infercost/serve.h"
#include "infercost/sim.h"
#include "infercost/traffic.h"

#include "run_impl.h"

static double or_default(double configured, double catalogue) {
  return isnan(configured) ? catalogue : configured;
}

/* x / y, or NaN when nothing was served. */
static double per(double x, double y) { return y > 0 ? x / y : (double)NAN; }

/* The accelerator and server of the scenario, and from them the resolved
 * power and price figures in `out`. IC_EINVAL when either is unusable
 * (ic_scenario_check has reported why). */
ic_status ic_run_resolve_hardware(const struct ic_scenario *s, struct ic_gpu_spec *gpu, struct ic_run_result *out) {
  if (ic_hw_resolve_gpu(s->fleet.gpu, &s->accelerator, gpu, s->source) != IC_OK) return IC_EINVAL;
  const struct ic_server_spec *server = ic_hw_resolve_server(s->fleet.server, s->fleet.gpu);
  /* No catalogue server: ic_scenario_check made sure both figures are set. */
  if (!server && (isnan(s->power.node_base_w) || isnan(s->cost.server_price_usd))) return IC_EINVAL;
  out->gpu_power = ic_cost_gpu_power(&s->power, gpu->idle_w, gpu->prefill_w, gpu->decode_w, gpu->tdp_w);
  out->gpu_power.watts[IC_GPU_OFF] = s->power.gpu_off_w;
  double base_w = server ? or_default(s->power.node_base_w, server->base_w) : s->power.node_base_w;
  out->node_base_w = base_w + (double)s->power.cpus_per_node * s->power.cpu_w;
  out->server_price_usd = server ? or_default(s->cost.server_price_usd, server->price_usd) : s->cost.server_price_usd;
  out->nameplate_node_w = out->node_base_w + (double)s->fleet.gpus_per_node * or_default(s->power.gpu_max_w, gpu->tdp_w);
  return IC_OK;
}

static double fixed_usd_per_day(const struct ic_scenario *s) {
  struct ic_run_result r;
  memset(&r, 0, sizeof r);
  struct ic_gpu_spec gpu;
  struct ic_tariff tariff;
  char why[256];
  if (ic_run_resolve_hardware(s, &gpu, &r) != IC_OK || ic_tariff_resolve(&s->power, &tariff, why, sizeof why) != IC_OK)
    return (double)NAN;
  /* The same fleet drawing nothing: what is left is what it costs whatever it does. */
  const struct ic_gpu_power none = {{0}};
  ic_ledger *l = ic_ledger_alloc(s->fleet.nodes, s->fleet.gpus_per_node, 0.0, &none, 0);
  if (!l) return (double)NAN;
  ic_ledger_flush(l, ic_duration_from_s(s->run.duration_s));
  struct ic_cost_fleet fleet = {s->fleet.nodes, s->fleet.gpus_per_node, r.server_price_usd, r.nameplate_node_w};
  ic_cost_ledger(l, s->run.duration_s, &fleet, &s->power, &tariff, &s->cost, &r.cost, NULL);
  ic_ledger_free(l);
  return r.cost.total_usd;
}

/* With pools, the sum of every pool's own hardware (as price_pools adds
 * their ledgers), not the [fleet] section's. */
double ic_run_fixed_usd_per_day(const struct ic_scenario *s) {
  if (s->pool_count == 0) return fixed_usd_per_day(s);
  struct ic_scenario *ps = malloc(sizeof *ps);
  if (!ps) return (double)NAN;
  double usd = 0.0;
  for (size_t i = 0; i < s->pool_count; i++) {
    *ps = *s;
    ic_scenario_pool(s, i, &ps->fleet, &ps->serving);
    usd += fixed_usd_per_day(ps);
  }
  free(ps);
  return usd;
}

/* What run -o writes beside the report: the series' CSV text, and the
 * batch-size and KV-use histograms. */
struct series_out {
  const char *csv; /* as ic_series_write_csv writes it */
  const uint64_t *batch_hist;
  size_t batch_bins;
  const uint64_t *kv_hist;
};

/* timeseries.csv; the first column is called time_s (the interval's start). */
static ic_status fill_series(FILE *f, void *ctx) {
  const struct series_out *o = ctx;
  const char *rest = strncmp(o->csv, "interval_start_s", 16) == 0 ? o->csv + 16 : o->csv;
  return fprintf(f, "%s%s", rest == o->csv ? "" : "time_s", rest) >= 0 ? IC_OK : IC_EIO;
}

/* distributions.csv: iterations (static: batches) by batch size, and
 * iterations by KV reserved / capacity (continuous), non-empty bins only. */
static ic_status fill_distributions(FILE *f, void *ctx) {
  const struct series_out *o = ctx;
  fputs("quantity,bin_low,bin_high,iterations\n", f);
  for (int64_t b = 0; b < (int64_t)o->batch_bins; b++)
    if (o->batch_hist[b]) fprintf(f, "batch_size,%lld,%lld,%llu\n", (long long)b, (long long)b + 1,
                                  (unsigned long long)o->batch_hist[b]);
  for (int i = 0; i < IC_KV_HIST_BINS; i++)
    if (o->kv_hist[i]) fprintf(f, "kv_frac,%.3f,%.3f,%llu\n", (double)i / IC_KV_HIST_BINS,
                               (double)(i + 1) / IC_KV_HIST_BINS, (unsigned long long)o->kv_hist[i]);
  return IC_OK;
}

ic_status ic__run_write_outputs(const char *dir, const char *series_csv, const uint64_t *batch_hist,
                                size_t batch_bins, const uint64_t *kv_hist) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    ic_diag(dir, 0, "cannot create output directory: %s", strerror(errno));
    return IC_EIO;
  }
  struct series_out o = {series_csv, batch_hist, batch_bins, kv_hist};
  char *series_path = ic_out_join(dir, "timeseries.csv"), *dist_path = ic_out_join(dir, "distributions.csv");
  ic_status st = series_path && dist_path ? IC_OK : IC_ENOMEM;
  if (st == IC_OK) st = ic_out_write(series_path, fill_series, &o);
  if (st == IC_OK) st = ic_out_write(dist_path, fill_distributions, &o);
  free(series_path);
  free(dist_path);
  return st;
}

char *ic__run_series_csv(const ic_series *series, ic_time_ns end_ns) {
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  bool ok = mem && ic_series_write_csv(series, mem, end_ns) == IC_OK;
  if (mem) ok = fclose(mem) == 0 && ok;
  if (!ok) {
    free(text);
    return NULL;
  }
  return text;
}

/* Every latency figure of `out` from the run's sketches (one run's, or
 * the shards' merged). */
void ic__run_quantiles(struct ic_run_result *out, const ic_sketch *e2e, const ic_sketch *ttft, const ic_sketch *wait,
                       const ic_sketch *tpot, const ic_sketch *transfer) {
  out->e2e_mean_s = ic_sketch_mean(e2e);
  out->e2e_p50_s = ic_sketch_quantile(e2e, 0.5);
  out->e2e_p99_s = ic_sketch_quantile(e2e, 0.99);
  out->ttft_mean_s = ic_sketch_mean(ttft);
  out->ttft_p99_s = ic_sketch_quantile(ttft, 0.99);
  out->wait_mean_s = ic_sketch_mean(wait);
  out->wait_p99_s = ic_sketch_quantile(wait, 0.99);
  out->transfer_p50_s = ic_sketch_quantile(transfer, 0.5);
  out->transfer_p99_s = ic_sketch_quantile(transfer, 0.99);
  out->transfer_mean_s = ic_sketch_mean(transfer);
  out->transfer_p90_s = ic_sketch_quantile(transfer, 0.90);
  out->transfer_p999_s = ic_sketch_quantile(transfer, 0.999);
  out->transfer_max_s = ic_sketch_quantile(transfer, 1.0);
  out->e2e_p90_s = ic_sketch_quantile(e2e, 0.90);
  out->e2e_p999_s = ic_sketch_quantile(e2e, 0.999);
  out->ttft_p50_s = ic_sketch_quantile(ttft, 0.50);
  out->ttft_p90_s = ic_sketch_quantile(ttft, 0.90);
  out->ttft_p999_s = ic_sketch_quantile(ttft, 0.999);
  out->tpot_mean_s = ic_sketch_mean(tpot);
  out->tpot_p50_s = ic_sketch_quantile(tpot, 0.50);
  out->tpot_p90_s = ic_sketch_quantile(tpot, 0.90);
  out->tpot_p99_s = ic_sketch_quantile(tpot, 0.99);
  out->tpot_p999_s = ic_sketch_quantile(tpot, 0.999);
  out->wait_p50_s = ic_sketch_quantile(wait, 0.50);
  out->wait_p90_s = ic_sketch_quantile(wait, 0.90);
  out->wait_p999_s = ic_sketch_quantile(wait, 0.999);
}

void ic__run_class_quantiles(struct ic_run_class *rc, const ic_sketch *e2e, const ic_sketch *ttft,
                             const ic_sketch *tpot, const ic_sketch *wait) {
  rc->e2e_mean_s = ic_sketch_mean(e2e);
  rc->e2e_p99_s = ic_sketch_quantile(e2e, 0.99);
  rc->ttft_mean_s = ic_sketch_mean(ttft);
  rc->ttft_p99_s = ic_sketch_quantile(ttft, 0.99);
  rc->tpot_mean_s = ic_sketch_mean(tpot);
  rc->tpot_p99_s = ic_sketch_quantile(tpot, 0.99);
  rc->wait_mean_s = ic_sketch_mean(wait);
  rc->wait_p99_s = ic_sketch_quantile(wait, 0.99);
}

/* A class's billed tokens per day (its requests completed in the window)
 * and their revenue at its prices (docs/cost-model.md). */
static void bill_class(const struct ic_class_stats *cs, const struct ic_traffic_class *tc, double scale,
                       struct ic_run_class *rc) {
  rc->prompt_tokens_per_day = (double)cs->prompt_tokens_done * scale;
  rc->cached_prompt_tokens_per_day = (double)cs->cached_tokens_done * scale;
  rc->output_tokens_per_day = (double)cs->output_tokens_done * scale;
  rc->usd_per_m_input_tokens = tc->usd_per_m_input_tokens;
  rc->usd_per_m_cached_input_tokens = tc->usd_per_m_cached_input_tokens;
  rc->usd_per_m_output_tokens = tc->usd_per_m_output_tokens;
  rc->revenue_usd_per_day = ((rc->prompt_tokens_per_day - rc->cached_prompt_tokens_per_day) * rc->usd_per_m_input_tokens +
                             rc->cached_prompt_tokens_per_day * rc->usd_per_m_cached_input_tokens +
                             rc->output_tokens_per_day * rc->usd_per_m_output_tokens) / 1e6;
}

/* Headline serving figures from the fleet's counters and sketches. */
static void serving_results(ic_fleet *fleet, const struct ic_scenario *s, ic_time_ns end_ns,
                            struct ic_run_result *out) {
  const struct ic_fleet_stats *fs = ic_fleet_stats(fleet);
  double span = s->run.duration_s;
  out->rejected = fs->rejected;
  out->transfers = fs->transfers;
  out->transfer_waits = fs->transfer_waits;
  out->kv_gb_per_day = fs->kv_bytes_moved / 1e9 * 86400.0 / span;
  out->preemptions = fs->preemptions;
  out->wakeups = fs->wakeups;
  out->interruptions = fs->interruptions;
  out->requeued = fs->requeued;
  ic__run_quantiles(out, fs->e2e_s, fs->ttft_s, fs->wait_s, fs->tpot_s, fs->transfer_s);
  uint64_t met = 0;
  for (size_t c = 0; c < fs->class_count; c++) met += fs->classes[c].slo_met;
  out->slo_attainment = fs->completed ? (double)met / (double)fs->completed : (double)NAN;
  out->throughput_rps = (double)fs->completed / span;
  out->output_tokens_per_gpu_s = out->output_tokens_per_s / (double)out->gpus;
  size_t batch_bins = fs->batch_bins;
  out->batch_p50 = ic_fleet_hist_quantile(fs->batch_hist, batch_bins, 1.0, 0.5);
  out->batch_p99 = ic_fleet_hist_quantile(fs->batch_hist, batch_bins, 1.0, 0.99);
  bool continuous = s->serving.batching == IC_BATCHING_CONTINUOUS && fs->batches > 0;
  out->kv_frac_mean = continuous ? fs->kv_frac_sum / (double)fs->batches : (double)NAN;
  out->kv_frac_p99 = ic_fleet_hist_quantile(fs->kv_hist, IC_KV_HIST_BINS, 1.0 / IC_KV_HIST_BINS, 0.99);
  out->kv_frac_max = fs->kv_frac_max;
  double umean;
  ic_fleet_utilisation(fleet, end_ns, &out->utilisation_min, &umean, &out->utilisation_max);
  out->mean_in_system = ic_time_avg_mean(&fs->in_system, end_ns);
  out->class_count = fs->class_count;
  for (size_t c = 0; c < fs->class_count; c++) {
    const struct ic_class_stats *cs = &fs->classes[c];
    struct ic_run_class *rc = &out->classes[c];
    snprintf(rc->name, sizeof rc->name, "%s", cs->name);
    rc->completed = cs->completed;
    rc->ttft_target_s = cs->ttft_target_s;
    rc->tpot_target_s = cs->tpot_target_s;
    ic__run_class_quantiles(rc, cs->e2e_s, cs->ttft_s, cs->tpot_s, cs->wait_s);
    rc->slo_attainment = cs->completed ? (double)cs->slo_met / (double)cs->completed : (double)NAN;
  }
}

/* Replicas and batch slots over every pool (one pool when none is
 * declared); a replica may span nodes (gpus_per_replica > gpus_per_node). */
static void fleet_size(const struct ic_scenario *s, double *replicas, double *slots) {
  size_t n = s->pool_count > 0 ? s->pool_count : 1;
  *replicas = 0.0;
  *slots = 0.0;
  for (size_t i = 0; i < n; i++) {
    struct ic_fleet_config fleet = s->fleet;
    struct ic_serving_config serving = s->serving;
    if (s->pool_count > 0) ic_scenario_pool(s, i, &fleet, &serving);
    double r = (double)fleet.nodes * (double)fleet.gpus_per_node / (double)fleet.gpus_per_replica;
    *replicas += r;
    *slots += r * (double)serving.max_batch;
  }
}

uint64_t ic_run_in_flight_limit(const struct ic_scenario *s) {
  double replicas, slots;
  fleet_size(s, &replicas, &slots);
  double limit = IC_RUN_IN_FLIGHT_PER_SLOT * slots;
  if (limit < IC_RUN_IN_FLIGHT_MIN) limit = IC_RUN_IN_FLIGHT_MIN;
  return limit > IC_RUN_IN_FLIGHT_MAX ? IC_RUN_IN_FLIGHT_MAX : (uint64_t)limit;
}

void ic_run_print_overload(const struct ic_run_result *r, FILE *out) {
  if (!r->overloaded) return;
  fprintf(out, "warning: overloaded: more than %llu requests in flight at t = %.3f s (arrivals %.2f/s, completions "
               "%.2f/s); the run stopped there; its figures cover the %.3f s counted up to then, and stable = 0. "
               "Add replicas (fleet.nodes), raise serving.max_batch or lower the traffic.\n",
          (unsigned long long)r->in_flight_limit, r->overloaded_at_s, r->arrival_rate_per_s, r->completion_rate_per_s,
          r->span_s);
}

/* Derived sizes checked before anything is allocated (docs/reliability.md). */
static ic_status check_sizes(const struct ic_scenario *s, bool series) {
  double replicas, slots;
  fleet_size(s, &replicas, &slots);
  if (replicas > IC_RUN_REPLICAS_MAX) {
    ic_diag(s->source, 0, "fleet.nodes: %lld nodes make %.0f replicas; at most %d are simulated (docs/reliability.md)",
            (long long)s->fleet.nodes, replicas, IC_RUN_REPLICAS_MAX);
    return IC_EINVAL;
  }
  double rows = ceil(s->run.duration_s / s->run.series_interval_s);
  if (series && rows > IC_RUN_SERIES_ROWS_MAX) {
    ic_diag(s->source, 0, "run.series_interval_s: %g s over run.duration_s = %g s makes %.0f rows of timeseries.csv; "
            "at most %d allowed", s->run.series_interval_s, s->run.duration_s, rows, IC_RUN_SERIES_ROWS_MAX);
    return IC_EINVAL;
  }
  return IC_OK;
}

/* perf.profile = fitted: the fitted values for this GPU and precision, for
 * every perf key the scenario left at its default (set keys stay
 * overrides). No entry for the pair: the keys as they are, with a warning. */
static void apply_profile(const struct ic_scenario *s, const struct ic_gpu_spec *gpu, struct ic_perf_params *p) {
  *p = s->perf;
  struct ic_perf_params f;
  if (s->perf.profile != IC_PERF_FITTED) return;
  if (!ic_perf_fitted(gpu->name, (enum ic_precision)s->model.activation_precision, &f)) {
    ic_diag(s->source, 0, "warning: perf.profile = fitted has no entry for %s with %s activations; "
            "using the perf keys as set", gpu->name, ic_precision_name((enum ic_precision)s->model.activation_precision));
    return;
  }
#define TAKE(field) \
  if (!strcmp(ic_scenario_origin(s, "perf." #field), "default")) p->field = f.field
  TAKE(compute_efficiency);
  TAKE(memory_efficiency);
  TAKE(attention_memory_efficiency);
  TAKE(expert_compute_efficiency);
  TAKE(overhead_s);
  TAKE(overhead_per_seq_s);
  TAKE(overhead_per_token_s);
  TAKE(roofline_p);
  TAKE(allreduce);
  TAKE(link_latency_s);
#undef TAKE
}

ic_status ic_run_perf_init(const struct ic_scenario *s, const struct ic_model_spec *model,
                           const struct ic_gpu_spec *gpu, struct ic_perf *perf) {
  struct ic_precisions prec = {.weights = (enum ic_precision)s->model.weight_precision,
                               .activations = (enum ic_precision)s->model.activation_precision,
                               .kv = (enum ic_precision)s->model.kv_precision,
                               .experts_set = s->model.expert_precision > 0,
                               .experts = (enum ic_precision)(s->model.expert_precision - 1)};
  if (!prec.experts_set) prec.experts = prec.weights;
  const struct ic_parallel par = {.gpus = s->fleet.gpus_per_replica, .pipeline_stages = s->perf.pipeline_stages,
                                  .microbatches = s->perf.pipeline_microbatches,
                                  .expert_parallel = s->perf.expert_parallel,
                                  .attention_dp = s->perf.attention_data_parallel,
                                  .gpus_per_node = s->fleet.gpus_per_node,
                                  .expert_imbalance = s->perf.expert_imbalance};
  struct ic_spec_decode spec = {s->model.speculative_tokens, s->model.speculative_acceptance, NULL};
  bool speculative = strcmp(s->model.speculative_draft, "none") != 0;
  if (speculative && strcmp(s->model.speculative_draft, "mtp") != 0) {
    spec.draft = ic_model_find(s->model.speculative_draft);
    if (!spec.draft) {
      ic_diag(s->source, 0, "model.speculative_draft: '%s' is none, mtp or a built-in model (%s)",
              s->model.speculative_draft, ic_model_names());
      return IC_EINVAL;
    }
  }
  struct ic_perf_params params;
  apply_profile(s, gpu, &params);
  return ic_perf_init_parallel(perf, model, gpu, &par, &prec, &params, speculative ? &spec : NULL, s->source);
}

/* A mean request's time alone on a replica (prefill, then decode steps). */
static double batch1_service_s(const struct ic_scenario *s, const struct ic_perf *perf) {
  struct ic_iter_shape one = ic_iter_shape_prefill(s->traffic.prompt_tokens, 1);
  double svc = ic_perf_iter_s(perf, &one, NULL);
  for (int64_t step = 1; step < s->traffic.output_tokens; step++) {
    one = ic_iter_shape_decode(1, s->traffic.prompt_tokens + step);
    svc += ic_perf_iter_s(perf, &one, NULL);
  }
  return svc;
}

/* The warm-up: as configured, or auto: four times a mean request's time
 * alone on a replica, at least 60 s, so that batches have filled and the
 * first requests admitted have completed before counting starts
 * (docs/metrics.md measures what it buys). A fixed number of requests sent
 * from time 0 (offline, or closed with traffic.requests) is measured from
 * its start, as its benchmark does: warm-up auto is 0 there. */
static double warmup_s(const struct ic_scenario *s, double service_batch1_s) {
  if (!isnan(s->run.warmup_s)) return s->run.warmup_s;
  if (s->traffic.mode == IC_LOAD_OFFLINE || (s->traffic.mode == IC_LOAD_CLOSED && s->traffic.requests > 0)) return 0.0;
  double w = 4.0 * service_batch1_s;
  return ceil(w > 60.0 ? w : 60.0);
}

/* One pool of the run: its keys, hardware, compute model and ledger. With
 * no [pool.NAME] section the run has one, the [fleet] and [serving] keys. */
struct pool_run {
  const char *name;
  int role;                  /* enum ic_pool_role_kind */
  struct ic_fleet_config fleet;  /* physical nodes, as capital counts them */
  struct ic_fleet_config groups; /* what serving and the ledger see: each replica's q nodes as one */
  int64_t q;                     /* nodes per replica (1 unless a replica spans nodes) */
  struct ic_serving_config serving;
  struct ic_cost_config cost;    /* its prices: the [cost] keys with the pool's own */
  struct ic_gpu_spec gpu;
  struct ic_perf perf;
  struct ic_gpu_power gpu_power;
  double node_base_w, server_price_usd, nameplate_node_w;
  ic_ledger *ledger;
  struct ic_fleet_work start; /* its work when the window started */
};

/* The end of the warm-up: counters, sketches, the ledgers and the time
 * series start here; work done so far is the baseline. */
struct window {
  ic_fleet *fleet;
  struct pool_run *pools;
  size_t pool_count;
  ic_series *series;         /* NULL: none */
  struct ic_fleet_work start;
  ic_status status;
};

static void on_window_start(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)arg;
  struct window *w = ctx;
  for (size_t i = 0; i < w->pool_count; i++) ic_ledger_restart(w->pools[i].ledger, ic_sim_now(sim));
  w->status = ic_fleet_start_window(w->fleet);
  if (w->status == IC_OK && w->series) w->status = ic_fleet_attach_series(w->fleet, w->series);
  ic_fleet_work_so_far(w->fleet, &w->start);
  for (size_t i = 0; i < w->pool_count; i++) ic_fleet_pool_work(w->fleet, (int32_t)i, &w->pools[i].start);
  if (w->status != IC_OK) ic_sim_stop(sim);
}

/* least_work router: a replica's time per token of a mean request's work
 * in a full batch (its prefill alone, its decode steps shared by max_batch
 * sequences at the mean context), from the pool's compute model. */
static double seconds_per_token(const struct ic_scenario *s, const struct pool_run *p) {
  int64_t b = p->serving.max_batch, prompt = s->traffic.prompt_tokens, output = s->traffic.output_tokens;
  struct ic_iter_shape one = ic_iter_shape_prefill(prompt, 1);
  struct ic_perf_decode_line d = ic_perf_decode_line(&p->perf, b);
  double step_s = ic_perf_decode_step_s(&d, (double)b * ((double)prompt + (double)output / 2.0));
  return (ic_perf_iter_s(&p->perf, &one, NULL) + (double)output * step_s / (double)b) / (double)(prompt + output);
}

/* Pool i's keys, hardware and compute model; errors reported at its origin. */
static ic_status resolve_pool(const struct ic_scenario *s, size_t i, const struct ic_model_spec *model,
                              struct pool_run *p) {
  /* The scenario with this pool's keys, resolved like the single fleet. */
  struct ic_scenario *ps = malloc(sizeof *ps);
  struct ic_run_result *hw = calloc(1, sizeof *hw);
  if (!ps || !hw) {
    free(ps);
    free(hw);
    return IC_ENOMEM;
  }
  *ps = *s;
  const char *where = s->source;
  p->name = "default";
  p->role = IC_ROLE_MIXED;
  if (s->pool_count) {
    ic_scenario_pool(s, i, &ps->fleet, &ps->serving);
    ic_scenario_pool_cost(s, i, &ps->cost);
    p->name = s->pools[i].name;
    p->role = s->pools[i].role == IC_POOL_PREFILL ? IC_ROLE_PREFILL
              : s->pools[i].role == IC_POOL_DECODE ? IC_ROLE_DECODE : IC_ROLE_MIXED;
    where = s->pools[i].origin;
  }
  p->fleet = ps->fleet;
  p->serving = ps->serving;
  p->cost = ps->cost;
  ic_status st = ic_run_resolve_hardware(ps, &p->gpu, hw);
  p->gpu_power = hw->gpu_power;
  p->node_base_w = hw->node_base_w;
  p->server_price_usd = hw->server_price_usd;
  p->nameplate_node_w = hw->nameplate_node_w;
  free(hw);
  /* The layout, precisions, speculative decoding and fitted profile of the
   * pool's scenario (its fleet keys: GPUs per replica and per node). */
  if (st == IC_OK) {
    /* A pool's problem (its model does not fit) names the pool. */
    /* A name too long for the field is cut, which only shortens the message. */
    if (where != s->source && snprintf(ps->source, sizeof ps->source, "%s: pool.%s", where, p->name) < 0)
      st = IC_EINVAL;
    if (st == IC_OK) st = ic_run_perf_init(ps, model, &p->gpu, &p->perf);
  } else {
    st = IC_EINVAL;
  }
  /* An NVLink domain moves KV caches over the GPUs' links: they must have some. */
  if (st == IC_OK && s->pool_count && strcmp(s->pools[i].nvlink_domain, "none") != 0 &&
      !(p->gpu.link_bw_bytes_per_s > 0)) {
    ic_diag(where, 0, "pool.%s.nvlink_domain: accelerator '%s' has no GPU-to-GPU link bandwidth (set "
            "accelerator.link_gb_per_s)", p->name, p->gpu.name);
    st = IC_EINVAL;
  }
  free(ps);
  return st;
}

/* Pool i's NVLink domain as an id: 1 + the first pool naming it; 0 none. */
static int32_t nvlink_domain_id(const struct ic_scenario *s, size_t i) {
  if (strcmp(s->pools[i].nvlink_domain, "none") == 0) return 0;
  size_t j = 0;
  while (strcmp(s->pools[j].nvlink_domain, s->pools[i].nvlink_domain) != 0) j++;
  return (int32_t)j + 1;
}

/* Adds every amount of `add` (not the hour's inputs) to `to`. */
void ic__run_add_hours(struct ic_hour_cost *to, const struct ic_hour_cost *add) {
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) {
    to[h].it_energy_kwh += add[h].it_energy_kwh;
    to[h].facility_energy_kwh += add[h].facility_energy_kwh;
    to[h].energy_usd += add[h].energy_usd;
    to[h].cooling_usd += add[h].cooling_usd;
    to[h].fixed_usd += add[h].fixed_usd;
    to[h].total_usd += add[h].total_usd;
    to[h].gco2e += add[h].gco2e;
  }
}

bool ic__run_stable(const struct ic_run_result *out, double expected) {
  return !out->overloaded && (double)out->in_flight_at_end <= 1.5 * expected + 3.0 * sqrt(expected) + 10.0;
}

static void money_around(const struct ic_scenario *s, struct ic_run_result *out);

void ic__run_ratios(const struct ic_scenario *s, struct ic_run_result *out, double prefill_s, double decode_s) {
  const struct ic_daily_cost *c = &out->cost;
  out->usd_per_query = per(c->total_usd, out->queries_per_day);
  out->usd_per_million_output_tokens = per(c->total_usd, out->output_tokens_per_day / 1e6);
  out->usd_per_million_input_tokens = per(c->total_usd, out->prompt_tokens_per_day / 1e6);
  /* Busy-time split: prefill GPU-seconds pay for input tokens, decode
   * GPU-seconds for output tokens; idle time is shared in the same ratio. */
  out->prefill_time_share = per(prefill_s, prefill_s + decode_s);
  out->usd_per_million_input_tokens_by_time =
      per(c->total_usd * out->prefill_time_share, out->prompt_tokens_per_day / 1e6);
  out->usd_per_million_output_tokens_by_time =
      per(c->total_usd * (1.0 - out->prefill_time_share), out->output_tokens_per_day / 1e6);
  out->wh_per_query = per(c->facility_energy_kwh * 1000.0, out->queries_per_day);
  out->gco2e_per_query = per(c->gco2e, out->queries_per_day);
  money_around(s, out);
}

/* Every pool's ledger priced and summed into out->cost and out->hours; the
 * per-query and per-token ratios from the sums. */
/* Revenue at the token prices, margin, blended cost per token and the
 * break-even between owning and renting (docs/cost-model.md). */
static void money_around(const struct ic_scenario *s, struct ic_run_result *out) {
  const struct ic_traffic_config *t = &s->traffic;
  double cost = out->cost.total_usd, gpu_h = (double)out->gpus * 24.0;
  double uncached = out->prompt_tokens_per_day - out->cached_prompt_tokens_per_day;
  out->revenue_usd_per_day = (uncached * t->usd_per_m_input_tokens +
                              out->cached_prompt_tokens_per_day * t->usd_per_m_cached_input_tokens +
                              out->output_tokens_per_day * t->usd_per_m_output_tokens) / 1e6;
  if (out->priced_by_class) { /* each class billed at its own prices */
    out->revenue_usd_per_day = 0.0;
    for (size_t c = 0; c < out->class_count; c++) out->revenue_usd_per_day += out->classes[c].revenue_usd_per_day;
  }
  out->gross_margin = per(out->revenue_usd_per_day - cost, out->revenue_usd_per_day);
  out->cost_to_revenue = per(cost, out->revenue_usd_per_day);
  out->usd_per_million_tokens_blended = per(cost, (out->prompt_tokens_per_day + out->output_tokens_per_day) / 1e6);
  out->break_even_usd_per_gpu_hour = per(out->owned_usd_per_day, gpu_h);
  out->held_fraction = per(out->cost.held_gpu_hours, gpu_h);
  /* Renting billed per hour held costs on_demand x held fraction. */
  out->break_even_held_fraction = per(out->owned_usd_per_day, out->on_demand_usd_per_day);
}

/* Whether pool prices use a tier or an inactive-node rule beyond the
 * plain own / rent of before. */
static bool uses_tiers(const struct ic_cost_config *c) {
  return c->reserved_nodes > 0 || c->burst_tier != IC_TIER_ON_DEMAND || c->idle_node != IC_IDLE_KEPT;
}

/* The same ledger priced as owned (kept) and as rented on demand all day:
 * the two sides of the break-even. */
static void price_alternatives(const struct ic_scenario *s, const struct pool_run *p, const struct ic_cost_fleet *fleet,
                               const struct ic_tariff *tariff, double warmup_s, struct ic_run_result *out) {
  struct ic_cost_config own = p->cost;
  own.pricing = IC_PRICING_OWN;
  own.reserved_nodes = 0;
  own.idle_node = IC_IDLE_KEPT;
  struct ic_daily_cost day;
  ic_cost_ledger_window(p->ledger, warmup_s, s->run.duration_s, fleet, &s->power, tariff, &own, &day, NULL);
  out->owned_usd_per_day += day.total_usd;
  out->on_demand_usd_per_day += (double)(fleet->nodes * fleet->gpus_per_node) * p->cost.rent_usd_per_gpu_hour * 24.0;
}

static void price_pools(const struct ic_scenario *s, struct pool_run *pools, size_t n, const struct ic_tariff *tariff,
                        struct ic_run_result *out) {
  double prefill_s = 0, decode_s = 0;
  for (size_t i = 0; i < n; i++) {
    struct pool_run *p = &pools[i];
    struct ic_cost_fleet fleet = {p->fleet.nodes, p->fleet.gpus_per_node, p->server_price_usd, p->nameplate_node_w};
    struct ic_daily_cost day;
    struct ic_hour_cost hours[IC_HOURS_PER_DAY];
    ic_cost_ledger_window(p->ledger, out->warmup_s, s->run.duration_s, &fleet, &s->power, tariff, &p->cost, &day, hours);
    price_alternatives(s, p, &fleet, tariff, out->warmup_s, out);
    if (p->cost.pricing == IC_PRICING_RENT) out->rented_gpus += p->fleet.nodes * p->fleet.gpus_per_node;
    out->priced_by_tier |= uses_tiers(&p->cost) || p->serving.autoscale != IC_AUTOSCALE_OFF ||
                           p->serving.spot_interruptions_per_node_hour > 0;
    if (i == 0) {
      out->cost = day;
      memcpy(out->hours, hours, sizeof hours);
    } else {
      /* Every field of the daily ledger is an amount: they add. */
      double *to = (double *)&out->cost;
      const double *add = (const double *)&day;
      for (size_t f = 0; f < sizeof day / sizeof(double); f++) to[f] += add[f];
      ic__run_add_hours(out->hours, hours);
    }
    if (i < IC_RUN_MAX_POOLS) out->pools[i].usd_per_day = day.total_usd;
    prefill_s += ic_ledger_gpu_state_s(p->ledger, IC_GPU_PREFILL);
    decode_s += ic_ledger_gpu_state_s(p->ledger, IC_GPU_DECODE);
  }
  ic__run_ratios(s, out, prefill_s, decode_s);
}

/* The prefix cache's figures, and input tokens split into cached and
 * uncached with their own price: of the input's share of the cost (the
 * busy-time split), the part of the prefill GPU time spent moving blocks
 * from slower tiers into HBM goes to cached tokens, the rest (the compute,
 * attention over the cached prefix included) to uncached ones. */
static void price_prefix(const struct ic_fleet_stats *fs, double scale, struct ic_run_result *out) {
  out->prefix_requests = fs->prefix_requests;
  out->prefix_hit_requests = fs->prefix_hit_requests;
  out->prefix_prompt_tokens = fs->prefix_prompt_tokens;
  out->prefix_hit_tokens = fs->prefix_hit_tokens;
  out->prefix_token_hit_rate = per((double)fs->prefix_hit_tokens, (double)fs->prefix_prompt_tokens);
  out->prefix_request_hit_rate = per((double)fs->prefix_hit_requests, (double)fs->prefix_requests);
  for (int t = 0; t < IC_PREFIX_TIERS; t++) {
    out->prefix_tier_token_rate[t] = per((double)fs->prefix_tier_tokens[t], (double)fs->prefix_prompt_tokens);
    out->prefix_tier_request_rate[t] = per((double)fs->prefix_tier_requests[t], (double)fs->prefix_requests);
  }
  out->prefill_tokens_saved_per_day = (double)fs->prefill_tokens_saved * scale;
  out->prefix_load_replica_s = fs->prefix_load_replica_s;
  out->cached_input_tokens_per_day = out->cached_prompt_tokens_per_day; /* set before pricing, for revenue */
  out->uncached_input_tokens_per_day = out->prompt_tokens_per_day - out->cached_input_tokens_per_day;
  double input_usd = out->cost.total_usd * out->prefill_time_share;
  double load_share = fs->prefill_replica_s > 0 ? fs->prefix_load_replica_s / fs->prefill_replica_s : 0.0;
  out->usd_per_million_cached_input_tokens = per(input_usd * load_share, out->cached_input_tokens_per_day / 1e6);
  out->usd_per_million_uncached_input_tokens =
      per(input_usd * (1.0 - load_share), out->uncached_input_tokens_per_day / 1e6);
}

/* Utilisation figures (docs/metrics.md) of work `w` over `pools`. */
struct utilisation {
  double replica_s, slot_cap_s, kv_cap_token_s, flop_cap, byte_cap;
};

static void add_capacity(struct utilisation *u, const struct pool_run *p, double span) {
  double replicas = (double)(p->groups.nodes * (p->groups.gpus_per_node / p->groups.gpus_per_replica));
  double gpus = (double)(p->fleet.nodes * p->fleet.gpus_per_node);
  u->replica_s += replicas * span;
  u->slot_cap_s += replicas * (double)p->serving.max_batch * span;
  u->kv_cap_token_s += replicas * floor(p->perf.kv_capacity_tokens) * span;
  u->flop_cap += gpus * ic_perf_gpu_peak_flops(&p->perf) * span;
  u->byte_cap += gpus * ic_perf_gpu_peak_bytes_per_s(&p->perf) * span;
}

/* Runs the window in slices of 1/200 of it, drawing simulated time,
 * requests so far and an ETA between slices. Slicing does not change the
 * run: events still pop in (time, sequence) order. */
static void run_with_progress(ic_sim *sim, ic_fleet *fleet, ic_time_ns end_ns) {
  struct ic_progress bar;
  ic_progress_start(&bar, true);
  if (!bar.shown) {
    ic_sim_run_until(sim, end_ns);
    return;
  }
  ic_time_ns slice = end_ns / 200 > 0 ? end_ns / 200 : 1;
  for (ic_time_ns t = 0; t < end_ns;) {
    t = end_ns - t > slice ? t + slice : end_ns;
    ic_sim_run_until(sim, t);
    if (ic_sim_now(sim) < t) break; /* stopped (overload, a failure): as one run_until would */
    const struct ic_fleet_stats *fs = ic_fleet_stats(fleet);
    char text[160];
    snprintf(text, sizeof text, "simulated %.0f of %.0f s, %llu requests arrived, %llu completed",
             ic_time_to_s(t), ic_time_to_s(end_ns), (unsigned long long)fs->arrived,
             (unsigned long long)fs->completed);
    ic_progress_draw(&bar, (double)t / (double)end_ns, text, t == end_ns);
  }
  ic_progress_end(&bar);
}

ic_status ic__run_single(const struct ic_scenario *s, struct ic_run_result *out, const char *series_dir,
                         bool progress, ic__run_capture_fn *capture, void *capture_ctx) {
  memset(out, 0, sizeof *out);
  bool keep_series = series_dir != NULL || capture != NULL;
  if (check_sizes(s, keep_series) != IC_OK) return IC_EINVAL;
  /* A catalogue model with any architecture overrides, or a user-defined one. */
  struct ic_model_spec model_spec;
  if (ic_model_resolve(&s->model, &model_spec, s->source) != IC_OK) return IC_EINVAL;
  const struct ic_model_spec *model = &model_spec;
  size_t np = s->pool_count ? s->pool_count : 1;
  struct pool_run *pools = calloc(np, sizeof *pools);
  struct ic_pool_spec specs[IC_SCENARIO_MAX_POOLS];
  if (!pools) return IC_ENOMEM;
  ic_status st = IC_OK;
  /* Pools that take arrivals (mixed, prefill) come first, decode pools last. */
  size_t order[IC_SCENARIO_MAX_POOLS], placed = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < np; i++)
      if ((s->pool_count && s->pools[i].role == IC_POOL_DECODE) == (pass == 1)) order[placed++] = i;
  for (size_t i = 0; i < np && st == IC_OK; i++) st = resolve_pool(s, order[i], model, &pools[i]);
  if (st != IC_OK) {
    free(pools);
    return st;
  }
  /* The run's hardware figures are its first pool's. */
  out->gpu_power = pools[0].gpu_power;
  out->node_base_w = pools[0].node_base_w;
  out->server_price_usd = pools[0].server_price_usd;
  out->nameplate_node_w = pools[0].nameplate_node_w;

  struct ic_tariff tariff;
  char why[256];
  if (ic_tariff_resolve(&s->power, &tariff, why, sizeof why) != IC_OK) {
    ic_diag(s->source, 0, "%s", why);
    free(pools);
    return IC_EINVAL;
  }

  /* The warm-up follows the slowest pool. */
  for (size_t i = 0; i < np; i++) {
    double svc = batch1_service_s(s, &pools[i].perf);
    if (svc > out->service_time_batch1_s) out->service_time_batch1_s = svc;
  }
  out->warmup_s = warmup_s(s, out->service_time_batch1_s);
  ic_time_ns start_ns = ic_duration_from_s(out->warmup_s);
  ic_time_ns end_ns = start_ns + ic_duration_from_s(s->run.duration_s);
  ic_sim *sim = ic_sim_alloc((uint64_t)s->run.seed, (uint64_t)s->run.run);
  bool ledgers = sim != NULL;
  for (size_t i = 0; i < np && ledgers; i++) {
    struct pool_run *p = &pools[i];
    /* A replica across q nodes: serving and the ledger see each group of q
     * nodes as one node of q x the GPUs and base power (it powers down as
     * one); capital (price_pools) still counts the physical nodes. */
    p->groups = p->fleet;
    p->q = p->fleet.gpus_per_replica > p->fleet.gpus_per_node ? p->fleet.gpus_per_replica / p->fleet.gpus_per_node : 1;
    p->groups.nodes /= p->q;
    p->groups.gpus_per_node *= p->q;
    p->ledger = ic_ledger_alloc(p->groups.nodes, p->groups.gpus_per_node, p->node_base_w * (double)p->q,
                                &p->gpu_power, 0);
    ledgers = p->ledger != NULL;
    if (ledgers) {
      ic_ledger_set_billing_increment(p->ledger, ic_duration_from_s(p->cost.billing_increment_s));
      struct ic_load_power load = ic_cost_load_power(&s->power, p->gpu_power.watts[IC_GPU_IDLE], p->gpu.tdp_w);
      ic_ledger_set_load_power(p->ledger, &load);
    }
    specs[i] = (struct ic_pool_spec){p->name, &p->groups, &p->serving, &p->perf, p->ledger,
                                     s->serving.router == IC_ROUTER_LEAST_WORK ? seconds_per_token(s, p) : 0.0,
                                     p->role, s->pool_count ? nvlink_domain_id(s, order[i]) : 0,
                                     p->gpu.link_bw_bytes_per_s};
  }
  ic_fleet *fleet = ledgers ? ic_fleet_alloc_pools(sim, specs, np, &s->serving) : NULL;
  ic_source *source = NULL;
  ic_series *series = NULL;
  if (!fleet) {
    st = IC_ENOMEM;
    goto done;
  }
  struct ic_traffic_class classes[IC_TRAFFIC_MAX_CLASSES];
  size_t class_count = 0;
  if (ic_traffic_classes(&s->traffic, classes, &class_count) != IC_OK) {
    st = IC_EINVAL;
    goto done;
  }
  ic_fleet_set_classes(fleet, classes, class_count);
  for (size_t i = 0; i < np; i++) ic_ledger_set_off_power(pools[i].ledger, s->power.node_off_w * (double)pools[i].q);
  struct ic_powerdown_config pd = {s->power.powerdown == IC_POWERDOWN_IDLE, s->power.powerdown_idle_s, s->power.wake_s,
                                   s->power.wake_queue_threshold ? s->power.wake_queue_threshold : s->serving.max_batch};
  if (ic_fleet_set_powerdown(fleet, &pd) != IC_OK || ic_fleet_set_autoscale(fleet) != IC_OK) {
    st = IC_ENOMEM; /* the schedule was checked with the scenario */
    goto done;
  }
  if (keep_series && !(series = ic_series_alloc(start_ns, ic_duration_from_s(s->run.series_interval_s)))) {
    st = IC_ENOMEM;
    goto done;
  }
  /* Scheduled first, so that it runs before anything else at start_ns:
   * what happens at start_ns is counted. */
  struct window win = {.fleet = fleet, .pools = pools, .pool_count = np, .series = series, .status = IC_OK};
  if (!ic_sim_schedule_at(sim, start_ns, on_window_start, &win, 0)) {
    st = IC_ENOMEM;
    goto done;
  }
  /* Offline and closed clients send at their own times: the source's end is theirs to decide. */
  st = ic_traffic_open(&s->traffic, sim, s->traffic.mode == IC_LOAD_OPEN ? end_ns : INT64_MAX, model->context_max,
                       &source);
  if (st == IC_EIO) st = IC_EINVAL; /* a trace that cannot be read is bad input (reported), like a scenario */
  if (st != IC_OK) goto done;
  bool prefix_cache = false;
  for (size_t i = 0; i < np; i++) prefix_cache = prefix_cache || pools[i].serving.prefix_cache;
  if (prefix_cache && s->traffic.arrival != IC_ARRIVAL_TRACE && !ic_source_blocks(source)) { /* a replay's ring comes with its first row naming blocks */
    ic_diag(s->source, 0, "serving.prefix_cache: the traffic has no prefix blocks (a trace with hash ids, "
                          "traffic.system_prompts or traffic.session_turns)");
    st = IC_EINVAL;
    goto done;
  }
  if (prefix_cache && (st = ic_fleet_set_blocks(fleet, source, s->traffic.trace_block_tokens)) != IC_OK) goto done;
  /* Offline and closed loads stamp their own send times: their source counts every request it hands out. */
  ic_source_count_from(source, s->traffic.mode == IC_LOAD_OPEN ? start_ns : 0);
  struct ic__load load;
  if (ic__load_begin(&load, sim, source, fleet, &s->traffic) != IC_OK) {
    st = IC_ENOMEM;
    goto done;
  }
  /* Open arrivals are bounded here; offline and closed loads by their own
   * request and client counts. */
  load.in_flight_limit = s->traffic.mode == IC_LOAD_OPEN ? ic_run_in_flight_limit(s) : UINT64_MAX;
  if (progress)
    run_with_progress(sim, fleet, end_ns);
  else
    ic_sim_run_until(sim, end_ns);
  if (ic_sim_status(sim) != IC_OK) { /* a model scheduled into the past: reported */
    st = ic_sim_status(sim);
    goto done;
  }
  if (load.status != IC_OK && load.status != IC_ENOENT && !load.overloaded) {
    st = load.status;
    goto done;
  }
  /* A fixed number of requests all done before the window's end: the run
   * is that long, so throughput is over the run, as benchmarks report it. */
  struct ic_scenario shortened;
  out->in_flight_limit = load.in_flight_limit;
  if (load.overloaded) {
    /* The counted window ends where the run stopped; stopped during the
     * warm-up, the window never opened and everything since 0 counts. */
    out->overloaded = true;
    ic_time_ns stop_ns = ic_sim_now(sim);
    out->overloaded_at_s = ic_time_to_s(stop_ns);
    if (stop_ns < start_ns) out->warmup_s = 0.0, start_ns = 0;
    if (stop_ns <= start_ns) stop_ns = start_ns + 1;
    shortened = *s;
    shortened.run.duration_s = ic_time_to_s(stop_ns - start_ns);
    s = &shortened;
    end_ns = stop_ns;
  } else if (load.done_ns > start_ns && load.done_ns < end_ns) {
    shortened = *s;
    shortened.run.duration_s = ic_time_to_s(load.done_ns - start_ns);
    s = &shortened;
    end_ns = load.done_ns;
  }
  if ((st = win.status) != IC_OK || (st = ic_fleet_status(fleet)) != IC_OK) goto done; /* reported where it happened */
  ic_fleet_close(fleet, end_ns);
  for (size_t i = 0; i < np; i++) ic_ledger_flush(pools[i].ledger, end_ns);
  const struct ic_request_count *oc = ic_source_over_context(source), *offered = ic_source_offered(source);
  out->over_context_requests = oc->requests;
  out->over_context_prompt_tokens = oc->prompt_tokens;
  out->over_context_output_tokens = oc->output_tokens;
  out->context_max_tokens = model->context_max;
  out->offered_requests = offered->requests;
  out->offered_prompt_tokens = offered->prompt_tokens;
  out->offered_output_tokens = offered->output_tokens;
  if ((st = ic_source_finish(source)) != IC_OK) goto done; /* a trace's rows after the run, checked */
  out->input_hash = ic_source_input_hash(source);

  const struct ic_fleet_stats *fs = ic_fleet_stats(fleet);
  struct ic_fleet_work w;
  ic_fleet_work_so_far(fleet, &w);
  ic_fleet_work_add(&w, &win.start, -1.0);
  double span = s->run.duration_s, scale = 86400.0 / span;
  out->span_s = span;
  out->in_flight_at_start = fs->in_flight_at_start;
  out->arrived = fs->arrived;
  out->completed = fs->completed;
  out->in_flight_at_end = ic_fleet_in_flight(fleet);
  out->replicas = ic_fleet_replica_count(fleet);
  struct utilisation cap = {0};
  for (size_t i = 0; i < np; i++) {
    out->gpus += pools[i].fleet.nodes * pools[i].fleet.gpus_per_node;
    add_capacity(&cap, &pools[i], span);
  }
  out->queries_per_day = (double)fs->completed * scale;
  out->output_tokens_per_day = w.output_tokens * scale;
  out->prompt_tokens_per_day = w.prompt_tokens * scale;
  for (size_t i = 0; i < np; i++) {
    out->it_energy_j += ic_ledger_it_energy_j(pools[i].ledger);
    for (int g = 0; g < IC_GPU_STATE_COUNT; g++)
      out->gpu_energy_j[g] += ic_ledger_gpu_state_energy_j(pools[i].ledger, (enum ic_gpu_state)g);
  }
  if (prefix_cache) { /* revenue bills cached prompt tokens at their own price */
    double cached = (double)fs->prefix_hit_tokens * scale;
    out->cached_prompt_tokens_per_day = cached < out->prompt_tokens_per_day ? cached : out->prompt_tokens_per_day;
  }
  out->priced_by_class = class_count > 0 && classes[0].priced;
  if (out->priced_by_class) {
    out->class_count = fs->class_count;
    for (size_t c = 0; c < fs->class_count && c < class_count; c++)
      bill_class(&fs->classes[c], &classes[c], scale, &out->classes[c]);
  }
  price_pools(s, pools, np, &tariff, out);
  out->prefix_cache = prefix_cache;
  if (out->prefix_cache) price_prefix(fs, scale, out);
  ic__run_quantiles(out, fs->e2e_s, fs->ttft_s, fs->wait_s, fs->tpot_s, fs->transfer_s);
  /* Little's law: a stable system holds about arrival rate x mean time in
   * system; far more in flight at the end means queues grew all along, and
   * the latency of the completed requests understates what later ones see. */
  double expected = (double)fs->arrived / span * (isnan(out->e2e_mean_s) ? 0.0 : out->e2e_mean_s);
  out->stable = ic__run_stable(out, expected) ? 1.0 : 0.0;
  out->arrival_rate_per_s = (double)fs->arrived / span;
  out->completion_rate_per_s = (double)fs->completed / span;
  out->mean_batch_size = fs->batches ? (double)fs->batched_requests / (double)fs->batches : 0.0;
  out->utilisation = w.busy_replica_s / cap.replica_s;
  out->batch_occupancy = w.slot_s / cap.slot_cap_s;
  out->kv_occupancy = w.kv_token_s / cap.kv_cap_token_s;
  out->mfu = w.flops / cap.flop_cap;
  out->mbu = w.bytes / cap.byte_cap;
  out->output_tokens_per_s = w.output_tokens / span;
  out->events = ic_sim_events_run(sim);
  out->requests_simulated = source->delivered;
  out->kv_capacity_tokens = pools[0].perf.kv_capacity_tokens;
  /* Per pool, where the scenario declares pools. */
  out->pool_count = s->pool_count;
  for (size_t i = 0; i < s->pool_count && i < IC_RUN_MAX_POOLS; i++) {
    struct ic_run_pool *rp = &out->pools[i];
    struct pool_run *p = &pools[i];
    struct ic_fleet_work pw;
    ic_fleet_pool_work(fleet, (int32_t)i, &pw);
    ic_fleet_work_add(&pw, &p->start, -1.0);
    struct utilisation pc = {0};
    add_capacity(&pc, p, span);
    snprintf(rp->name, sizeof rp->name, "%s", p->name);
    snprintf(rp->gpu, sizeof rp->gpu, "%s", p->fleet.gpu);
    rp->nodes = p->fleet.nodes;
    rp->gpus = p->fleet.nodes * p->fleet.gpus_per_node;
    rp->replicas = p->groups.nodes * (p->groups.gpus_per_node / p->groups.gpus_per_replica);
    rp->routed = ic_fleet_pool_routed(fleet, (int32_t)i);
    rp->completed = ic_fleet_pool_completed(fleet, (int32_t)i);
    rp->output_tokens_per_day = pw.output_tokens * scale;
    rp->prompt_tokens_per_day = pw.prompt_tokens * scale;
    rp->it_energy_kwh_per_day = ic_ledger_it_energy_j(p->ledger) / 3.6e6 * scale;
    rp->usd_per_million_output_tokens = per(rp->usd_per_day, rp->output_tokens_per_day / 1e6);
    rp->usd_per_million_input_tokens = per(rp->usd_per_day, rp->prompt_tokens_per_day / 1e6);
    rp->utilisation = pw.busy_replica_s / pc.replica_s;
    rp->batch_occupancy = pw.slot_s / pc.slot_cap_s;
    rp->kv_occupancy = pw.kv_token_s / pc.kv_cap_token_s;
    rp->mfu = pw.flops / pc.flop_cap;
    rp->mbu = pw.bytes / pc.byte_cap;
    struct ic_fleet_pool_figures fig;
    ic_fleet_pool_figures(fleet, (int32_t)i, &fig);
    rp->wait_mean_s = ic_sketch_mean(fig.wait_s);
    rp->wait_p99_s = ic_sketch_quantile(fig.wait_s, 0.99);
    rp->mean_batch_size = fig.batches ? (double)fig.batched_requests / (double)fig.batches : 0.0;
  }
  serving_results(fleet, s, end_ns, out);
  if (capture) {
    struct ic__run_state state = {ic_fleet_stats(fleet), fleet, s->pool_count, series, end_ns, 0.0, 0.0};
    for (size_t i = 0; i < np; i++) {
      state.prefill_gpu_s += ic_ledger_gpu_state_s(pools[i].ledger, IC_GPU_PREFILL);
      state.decode_gpu_s += ic_ledger_gpu_state_s(pools[i].ledger, IC_GPU_DECODE);
    }
    st = capture(capture_ctx, &state);
  }
  if (series && series_dir && st == IC_OK) {
    const struct ic_fleet_stats *sfs = ic_fleet_stats(fleet);
    char *csv = ic__run_series_csv(series, end_ns);
    st = csv ? ic__run_write_outputs(series_dir, csv, sfs->batch_hist, sfs->batch_bins, sfs->kv_hist) : IC_ENOMEM;
    free(csv);
  }
done:
  ic_series_free(series);
  ic_source_free(source);
  ic_fleet_free(fleet);
  for (size_t i = 0; i < np; i++) ic_ledger_free(pools[i].ledger);
  free(pools);
  ic_sim_free(sim);
  return st;
}
