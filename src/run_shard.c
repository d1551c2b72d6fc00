/* run_shard.c: the entry points of a run, and run.shards: the fleet and its
 * traffic split into independent sub-fleets run on worker processes (the
 * sweep machinery's map) and merged into one result.
 *
 * Merged exactly: counters, per-day amounts, ledgers and energy add; the
 * latency sketches merge bucket by bucket (quantiles as if one sketch had
 * seen every value); histograms and time series add per bin and interval.
 * What sharding approximates is the routing: each shard's router sees only
 * its own replicas (docs/performance.md). */
#define _POSIX_C_SOURCE 200809L /* sysconf, open_memstream */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "infercost/rng.h"
#include "infercost/run.h"
#include "infercost/sweep.h"

#include "run_impl.h"

ic_status ic_run_scenario(const struct ic_scenario *s, struct ic_run_result *out) {
  return ic_run_scenario_with(s, out, NULL, false);
}

ic_status ic_run_scenario_series(const struct ic_scenario *s, struct ic_run_result *out, const char *series_dir) {
  return ic_run_scenario_with(s, out, series_dir, false);
}

/* ---- splitting ---- */

/* Nodes per replica (a replica across nodes takes whole nodes). */
static int64_t nodes_per_replica(const struct ic_fleet_config *f) {
  return f->gpus_per_replica > f->gpus_per_node ? f->gpus_per_replica / f->gpus_per_node : 1;
}

/* Whether `s` splits into run.shards equal shards; reports why not. */
static ic_status shardable(const struct ic_scenario *s) {
  int64_t n = s->run.shards;
  const char *at = ic_scenario_origin(s, "run.shards");
  if (s->traffic.mode != IC_LOAD_OPEN || s->traffic.arrival == IC_ARRIVAL_TRACE) {
    ic_diag(at, 0, "run.shards = %lld: only open generated traffic splits into shards (traffic.mode = open, "
            "traffic.arrival not trace); a replay or a fixed request count would need its requests dealt out",
            (long long)n);
    return IC_EINVAL;
  }
  static const char *const class_prices[] = {"traffic.class_usd_per_m_input_tokens",
                                             "traffic.class_usd_per_m_cached_input_tokens",
                                             "traffic.class_usd_per_m_output_tokens"};
  for (size_t k = 0; k < 3; k++) /* shards' per-class revenue is not merged */
    if (strcmp(ic_scenario_origin(s, class_prices[k]), "default") != 0) {
      ic_diag(ic_scenario_origin(s, class_prices[k]), 0, "%s: per-class prices need run.shards = 1 (run it unsharded)",
              class_prices[k]);
      return IC_EINVAL;
    }
  size_t np = s->pool_count ? s->pool_count : 1;
  for (size_t i = 0; i < np; i++) {
    struct ic_fleet_config f = s->fleet;
    struct ic_serving_config sv;
    const char *where = ic_scenario_origin(s, "fleet.nodes"), *name = "the fleet";
    if (s->pool_count) {
      ic_scenario_pool(s, i, &f, &sv);
      where = s->pools[i].origin;
      name = s->pools[i].name;
      for (size_t j = 0; j < s->pools[i].set_count; j++)
        if (strcmp(s->pools[i].sets[j].key, "nodes") == 0) where = s->pools[i].sets[j].origin;
    }
    if (strcmp(where, "default") == 0 || where[0] == '\0') where = s->source;
    /* Node counts that other keys fix (reserved nodes, autoscaling's replica
     * bounds) would have to be dealt out too: not done, so refused. */
    struct ic_cost_config cost = s->cost;
    if (s->pool_count) ic_scenario_pool_cost(s, i, &cost);
    else sv = s->serving;
    if (cost.reserved_nodes > 0 || sv.autoscale != IC_AUTOSCALE_OFF) {
      ic_diag(at, 0, "run.shards = %lld: %s uses %s, whose node counts shards do not split; run it unsharded",
              (long long)n, name, cost.reserved_nodes > 0 ? "cost.reserved_nodes" : "serving.autoscale");
      return IC_EINVAL;
    }
    int64_t unit = n * nodes_per_replica(&f);
    if (f.nodes % unit != 0) {
      ic_diag(where, 0, "fleet.nodes = %lld (%s) does not split into run.shards = %lld (at %s) shards of whole "
              "replicas: make it a multiple of %lld", (long long)f.nodes, name, (long long)n, at, (long long)unit);
      return IC_EINVAL;
    }
  }
  return IC_OK;
}

/* Shard k of `s`: 1/shards of every pool's nodes and of the traffic, and
 * its own random streams from (run.seed, k). */
static void shard_scenario(const struct ic_scenario *s, size_t k, struct ic_scenario *out) {
  *out = *s;
  int64_t n = s->run.shards;
  out->run.shards = 1;
  /* 53 bits: a shard can be rerun alone with -s run.seed=... (the key is read as a double). */
  out->run.seed = (int64_t)(ic_rng_stream_seed((uint64_t)s->run.seed, (uint64_t)k, "run.shards") >> 11);
  out->fleet.nodes = s->fleet.nodes / n;
  out->traffic.queries_per_day = s->traffic.queries_per_day / (double)n;
  for (size_t i = 0; i < s->pool_count; i++) {
    struct ic_pool_config *p = &out->pools[i];
    for (size_t j = 0; j < p->set_count; j++)
      if (strcmp(p->sets[j].key, "nodes") == 0) {
        struct ic_fleet_config f;
        struct ic_serving_config sv;
        ic_scenario_pool(s, i, &f, &sv);
        snprintf(p->sets[j].value, sizeof p->sets[j].value, "%lld", (long long)(f.nodes / n));
      }
  }
}

/* ---- a shard's answer: its result, then its state ---- */

struct shard_task {
  const struct ic_scenario *s;
  bool series;
  FILE *out;                        /* during the capture */
  const struct ic_run_result *result; /* complete when the capture runs */
};

static bool put(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n; }
static bool get(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n; }

/* A sketch that may be absent: a flag, then the sketch. */
static bool put_sketch(FILE *f, const ic_sketch *sk) {
  uint8_t there = sk != NULL;
  return put(f, &there, 1) && (!sk || ic_sketch_write(sk, f) == IC_OK);
}

static ic_status capture(void *ctx, const struct ic__run_state *st) {
  struct shard_task *t = ctx;
  FILE *f = t->out;
  const struct ic_fleet_stats *fs = st->fs;
  uint64_t counts[3] = {fs->batches, fs->batched_requests, fs->batch_bins};
  double sums[3] = {fs->kv_frac_sum, st->prefill_gpu_s, st->decode_gpu_s};
  bool ok = put(f, t->result, sizeof *t->result) && put(f, counts, sizeof counts) && put(f, sums, sizeof sums) &&
            put(f, fs->batch_hist, fs->batch_bins * sizeof *fs->batch_hist) && put(f, fs->kv_hist, sizeof fs->kv_hist);
  const ic_sketch *all[5] = {fs->e2e_s, fs->ttft_s, fs->wait_s, fs->tpot_s, fs->transfer_s};
  for (size_t i = 0; i < 5 && ok; i++) ok = put_sketch(f, all[i]);
  for (size_t c = 0; c < fs->class_count && ok; c++) {
    const struct ic_class_stats *cs = &fs->classes[c];
    const ic_sketch *own[4] = {cs->e2e_s, cs->ttft_s, cs->tpot_s, cs->wait_s};
    ok = put(f, &cs->slo_met, sizeof cs->slo_met);
    for (size_t i = 0; i < 4 && ok; i++) ok = put_sketch(f, own[i]);
  }
  for (size_t i = 0; i < st->pool_count && i < IC_RUN_MAX_POOLS && ok; i++) {
    struct ic_fleet_pool_figures fig;
    ic_fleet_pool_figures(st->fleet, (int32_t)i, &fig);
    uint64_t pc[2] = {fig.batches, fig.batched_requests};
    ok = put(f, pc, sizeof pc) && put_sketch(f, fig.wait_s);
  }
  char *csv = t->series && st->series ? ic__run_series_csv(st->series, st->end_ns) : NULL;
  if (t->series && st->series && !csv) return IC_ENOMEM;
  uint64_t len = csv ? strlen(csv) : 0;
  ok = ok && put(f, &len, sizeof len) && put(f, csv ? csv : "", (size_t)len);
  free(csv);
  return ok ? IC_OK : IC_ENOMEM;
}

static ic_status run_task(void *ctx, size_t index, FILE *out) {
  const struct shard_task *base = ctx; /* the merge's first member */
  struct shard_task t = *base;
  t.out = out;
  struct ic_scenario *sub = malloc(sizeof *sub);
  struct ic_run_result *r = malloc(sizeof *r);
  t.result = r;
  ic_status st = sub && r ? IC_OK : IC_ENOMEM;
  if (st == IC_OK) {
    shard_scenario(base->s, index, sub);
    st = ic__run_single(sub, r, NULL, false, capture, &t);
  }
  free(sub);
  free(r);
  return st;
}

/* ---- merging ---- */

struct merge {
  struct shard_task task;           /* what every shard runs */
  struct ic_run_result *out;
  struct ic_run_result shard;       /* the one being read */
  uint64_t batches, batched_requests;
  double kv_frac_sum, prefill_gpu_s, decode_gpu_s;
  uint64_t *batch_hist;
  size_t batch_bins;
  uint64_t kv_hist[IC_KV_HIST_BINS];
  ic_sketch *sk[5];                 /* e2e, ttft, wait, tpot, transfer */
  uint64_t slo_met[IC_TRAFFIC_MAX_CLASSES];
  ic_sketch *class_sk[IC_TRAFFIC_MAX_CLASSES][4];
  uint64_t pool_batches[IC_RUN_MAX_POOLS], pool_batched[IC_RUN_MAX_POOLS];
  ic_sketch *pool_wait[IC_RUN_MAX_POOLS];
  double *series;                   /* rows x cols of the summed time series */
  size_t rows, cols;
  char *header;
  bool rows_differ;
};

/* Reads a flagged sketch and folds it into *into (taken over when empty). */
static bool take_sketch(FILE *f, ic_sketch **into) {
  uint8_t there;
  if (!get(f, &there, 1)) return false;
  if (!there) return true;
  ic_sketch *sk = ic_sketch_read(f);
  if (!sk) return false;
  if (!*into) {
    *into = sk;
    return true;
  }
  bool ok = ic_sketch_merge(*into, sk) == IC_OK;
  ic_sketch_free(sk);
  return ok;
}

/* Adds one shard's timeseries CSV: the interval columns are the same in
 * every shard, the others add. */
static bool take_series(struct merge *m, char *csv, bool first) {
  char *save = NULL, *line = strtok_r(csv, "\n", &save);
  if (!line) return false;
  size_t cols = 1;
  for (const char *c = line; *c; c++) cols += *c == ',';
  if (first) {
    if (!(m->header = strdup(line))) return false;
    m->cols = cols;
  } else if (strcmp(line, m->header) != 0) {
    return false;
  }
  size_t row = 0;
  for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save), row++) {
    if (first) {
      double *grown = realloc(m->series, (row + 1) * cols * sizeof *grown);
      if (!grown) return false;
      m->series = grown;
      memset(m->series + row * cols, 0, cols * sizeof *grown);
      m->rows = row + 1;
    } else if (row >= m->rows) {
      m->rows_differ = true;
      break;
    }
    char *p = line;
    for (size_t c = 0; c < cols; c++) {
      char *end;
      double v = strtod(p, &end);
      if (end == p) return false;
      if (c < 2) m->series[row * cols + c] = v; /* interval start and end */
      else m->series[row * cols + c] += v;
      p = *end == ',' ? end + 1 : end;
    }
  }
  if (row < m->rows) m->rows_differ = true, m->rows = row;
  return true;
}

#define SUM(f) a->f += b->f

/* Adds shard b's result into a: counters and amounts add; fractions of
 * equal capacities average (every shard has the same fleet); ratios and
 * quantiles are recomputed at the end. */
static void add_result(struct ic_run_result *a, const struct ic_run_result *b) {
  SUM(in_flight_at_start), SUM(arrived), SUM(completed), SUM(in_flight_at_end), SUM(replicas), SUM(gpus);
  SUM(queries_per_day), SUM(output_tokens_per_day), SUM(prompt_tokens_per_day);
  double *to = (double *)&a->cost;
  const double *add = (const double *)&b->cost;
  for (size_t f = 0; f < sizeof a->cost / sizeof(double); f++) to[f] += add[f];
  ic__run_add_hours(a->hours, b->hours);
  for (int g = 0; g < IC_GPU_STATE_COUNT; g++) SUM(gpu_energy_j[g]);
  SUM(it_energy_j), SUM(events), SUM(requests_simulated), SUM(rejected), SUM(over_context_requests), SUM(over_context_prompt_tokens);
  SUM(over_context_output_tokens), SUM(offered_requests), SUM(offered_prompt_tokens), SUM(offered_output_tokens);
  SUM(preemptions), SUM(wakeups), SUM(transfers), SUM(transfer_waits), SUM(kv_gb_per_day), SUM(mean_in_system);
  SUM(throughput_rps), SUM(output_tokens_per_s), SUM(arrival_rate_per_s), SUM(completion_rate_per_s);
  SUM(in_flight_limit), SUM(interruptions), SUM(requeued), SUM(rented_gpus), SUM(cached_prompt_tokens_per_day);
  SUM(owned_usd_per_day), SUM(on_demand_usd_per_day);
  SUM(utilisation), SUM(batch_occupancy), SUM(kv_occupancy), SUM(mfu), SUM(mbu); /* averaged at the end */
  if (b->utilisation_min < a->utilisation_min) a->utilisation_min = b->utilisation_min;
  if (b->utilisation_max > a->utilisation_max) a->utilisation_max = b->utilisation_max;
  if (b->kv_frac_max > a->kv_frac_max) a->kv_frac_max = b->kv_frac_max;
  if (b->overloaded && (!a->overloaded || b->overloaded_at_s < a->overloaded_at_s)) a->overloaded_at_s = b->overloaded_at_s;
  a->overloaded = a->overloaded || b->overloaded;
  for (size_t i = 0; i < a->pool_count && i < IC_RUN_MAX_POOLS; i++) {
    struct ic_run_pool *p = &a->pools[i];
    const struct ic_run_pool *q = &b->pools[i];
    p->nodes += q->nodes, p->gpus += q->gpus, p->replicas += q->replicas, p->routed += q->routed;
    p->completed += q->completed, p->usd_per_day += q->usd_per_day;
    p->it_energy_kwh_per_day += q->it_energy_kwh_per_day, p->output_tokens_per_day += q->output_tokens_per_day;
    p->prompt_tokens_per_day += q->prompt_tokens_per_day;
    p->utilisation += q->utilisation, p->batch_occupancy += q->batch_occupancy;
    p->kv_occupancy += q->kv_occupancy, p->mfu += q->mfu, p->mbu += q->mbu;
  }
  for (size_t c = 0; c < a->class_count; c++) a->classes[c].completed += b->classes[c].completed;
}

#undef SUM

static ic_status take_task(void *ctx, size_t index, FILE *in) {
  struct merge *m = ctx;
  struct ic_run_result *r = index == 0 ? m->out : &m->shard;
  uint64_t counts[3];
  double sums[3];
  if (!get(in, r, sizeof *r) || !get(in, counts, sizeof counts) || !get(in, sums, sizeof sums)) return IC_EINTERNAL;
  if (index == 0) {
    m->batch_bins = (size_t)counts[2];
    if (!(m->batch_hist = calloc(m->batch_bins ? m->batch_bins : 1, sizeof *m->batch_hist))) return IC_ENOMEM;
  } else {
    if (counts[2] != m->batch_bins || r->class_count != m->out->class_count) return IC_EINTERNAL;
    add_result(m->out, r);
  }
  m->batches += counts[0], m->batched_requests += counts[1];
  m->kv_frac_sum += sums[0], m->prefill_gpu_s += sums[1], m->decode_gpu_s += sums[2];
  for (size_t b = 0; b < m->batch_bins; b++) {
    uint64_t v;
    if (!get(in, &v, sizeof v)) return IC_EINTERNAL;
    m->batch_hist[b] += v;
  }
  for (size_t b = 0; b < IC_KV_HIST_BINS; b++) {
    uint64_t v;
    if (!get(in, &v, sizeof v)) return IC_EINTERNAL;
    m->kv_hist[b] += v;
  }
  for (size_t i = 0; i < 5; i++)
    if (!take_sketch(in, &m->sk[i])) return IC_EINTERNAL;
  for (size_t c = 0; c < r->class_count; c++) {
    uint64_t met;
    if (!get(in, &met, sizeof met)) return IC_EINTERNAL;
    m->slo_met[c] += met;
    for (size_t i = 0; i < 4; i++)
      if (!take_sketch(in, &m->class_sk[c][i])) return IC_EINTERNAL;
  }
  for (size_t i = 0; i < r->pool_count && i < IC_RUN_MAX_POOLS; i++) {
    uint64_t pc[2];
    if (!get(in, pc, sizeof pc) || !take_sketch(in, &m->pool_wait[i])) return IC_EINTERNAL;
    m->pool_batches[i] += pc[0], m->pool_batched[i] += pc[1];
  }
  uint64_t len;
  if (!get(in, &len, sizeof len)) return IC_EINTERNAL;
  if (len) {
    char *csv = malloc((size_t)len + 1);
    if (!csv) return IC_ENOMEM;
    bool ok = get(in, csv, (size_t)len);
    csv[len] = '\0';
    ok = ok && take_series(m, csv, index == 0);
    free(csv);
    if (!ok) return IC_EINTERNAL;
  }
  return IC_OK;
}

/* The merged result's ratios, averages and quantiles from its sums. */
static void finish(struct merge *m, double shards) {
  struct ic_run_result *out = m->out;
  out->utilisation /= shards, out->batch_occupancy /= shards, out->kv_occupancy /= shards;
  out->mfu /= shards, out->mbu /= shards;
  for (size_t i = 0; i < out->pool_count && i < IC_RUN_MAX_POOLS; i++) {
    struct ic_run_pool *p = &out->pools[i];
    p->utilisation /= shards, p->batch_occupancy /= shards, p->kv_occupancy /= shards, p->mfu /= shards;
    p->mbu /= shards;
    p->usd_per_million_output_tokens = p->output_tokens_per_day > 0 ? p->usd_per_day / (p->output_tokens_per_day / 1e6) : (double)NAN;
    p->wait_mean_s = m->pool_wait[i] ? ic_sketch_mean(m->pool_wait[i]) : (double)NAN;
    p->wait_p99_s = m->pool_wait[i] ? ic_sketch_quantile(m->pool_wait[i], 0.99) : (double)NAN;
    p->mean_batch_size = m->pool_batches[i] ? (double)m->pool_batched[i] / (double)m->pool_batches[i] : 0.0;
    p->usd_per_million_input_tokens = p->prompt_tokens_per_day > 0 ? p->usd_per_day / (p->prompt_tokens_per_day / 1e6) : (double)NAN;
  }
  ic__run_ratios(m->task.s, out, m->prefill_gpu_s, m->decode_gpu_s);
  ic__run_quantiles(out, m->sk[0], m->sk[1], m->sk[2], m->sk[3], m->sk[4]);
  double expected = out->arrival_rate_per_s * (isnan(out->e2e_mean_s) ? 0.0 : out->e2e_mean_s);
  out->stable = ic__run_stable(out, expected) ? 1.0 : 0.0;
  out->mean_batch_size = m->batches ? (double)m->batched_requests / (double)m->batches : 0.0;
  out->output_tokens_per_gpu_s = out->output_tokens_per_s / (double)out->gpus;
  out->batch_p50 = ic_fleet_hist_quantile(m->batch_hist, m->batch_bins, 1.0, 0.5);
  out->batch_p99 = ic_fleet_hist_quantile(m->batch_hist, m->batch_bins, 1.0, 0.99);
  /* Continuous batching had iterations exactly when a shard reported a mean. */
  out->kv_frac_mean = !isnan(out->kv_frac_mean) && m->batches > 0 ? m->kv_frac_sum / (double)m->batches : (double)NAN;
  out->kv_frac_p99 = ic_fleet_hist_quantile(m->kv_hist, IC_KV_HIST_BINS, 1.0 / IC_KV_HIST_BINS, 0.99);
  uint64_t met = 0;
  for (size_t c = 0; c < out->class_count; c++) {
    struct ic_run_class *rc = &out->classes[c];
    met += m->slo_met[c];
    ic__run_class_quantiles(rc, m->class_sk[c][0], m->class_sk[c][1], m->class_sk[c][2], m->class_sk[c][3]);
    rc->slo_attainment = rc->completed ? (double)m->slo_met[c] / (double)rc->completed : (double)NAN;
  }
  out->slo_attainment = out->completed ? (double)met / (double)out->completed : (double)NAN;
}

/* The summed series back as CSV text (free() it), in the series' format. */
static char *series_text(const struct merge *m) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return NULL;
  fprintf(f, "%s\n", m->header);
  for (size_t r = 0; r < m->rows; r++)
    for (size_t c = 0; c < m->cols; c++) {
      fprintf(f, IC_SERIES_CSV_FMT, m->series[r * m->cols + c]);
      fputc(c + 1 < m->cols ? ',' : '\n', f);
    }
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

static void merge_free(struct merge *m) {
  free(m->batch_hist);
  for (size_t i = 0; i < 5; i++) ic_sketch_free(m->sk[i]);
  for (size_t c = 0; c < IC_TRAFFIC_MAX_CLASSES; c++)
    for (size_t i = 0; i < 4; i++) ic_sketch_free(m->class_sk[c][i]);
  for (size_t i = 0; i < IC_RUN_MAX_POOLS; i++) ic_sketch_free(m->pool_wait[i]);
  free(m->series);
  free(m->header);
}

static ic_status run_sharded(const struct ic_scenario *s, struct ic_run_result *out, const char *series_dir) {
  memset(out, 0, sizeof *out);
  if (shardable(s) != IC_OK) return IC_EINVAL;
  size_t n = (size_t)s->run.shards;
  long workers = (long)s->run.shard_workers;
  if (workers == 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    workers = cpus > 0 ? cpus : 1;
  }
  if (workers > (long)n) workers = (long)n;
  struct merge *m = calloc(1, sizeof *m);
  if (!m) return IC_ENOMEM;
  m->task = (struct shard_task){s, series_dir != NULL, NULL, NULL};
  m->out = out;
  ic_status st = ic_sweep_map(n, workers, run_task, take_task, m);
  if (st == IC_OK && ic_sweep_mpi_rank() != 0) { /* an MPI rank that ran its shards: rank 0 reports */
    merge_free(m);
    free(m);
    return IC_OK;
  }
  if (st == IC_OK) finish(m, (double)n);
  if (st == IC_OK && series_dir) {
    if (m->rows_differ)
      ic_diag(s->source, 0, "warning: run.shards: the shards stopped at different times (overloaded): "
              "timeseries.csv ends with the shortest");
    /* A gauge's maximum is not additive: the sum of the shards' maxima bounds the fleet's from above. */
    if (m->header && strstr(m->header, "_max"))
      ic_diag(s->source, 0, "warning: run.shards = %zu: the *_max columns of timeseries.csv are sums of the shards' "
              "maxima, an upper bound of the fleet's", n);
    char *csv = m->header ? series_text(m) : NULL;
    st = csv ? ic__run_write_outputs(series_dir, csv, m->batch_hist, m->batch_bins, m->kv_hist) : IC_ENOMEM;
    free(csv);
  }
  if (st == IC_EINTERNAL) ic_diag(s->source, 0, "run.shards: a shard's answer could not be read back");
  merge_free(m);
  free(m);
  return st;
}

ic_status ic_run_scenario_with(const struct ic_scenario *s, struct ic_run_result *out, const char *series_dir,
                               bool progress) {
  if (s->run.shards <= 1) return ic__run_single(s, out, series_dir, progress, NULL, NULL);
  return run_sharded(s, out, series_dir);
}
