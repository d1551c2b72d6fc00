/* cli_published.c: `infercost validate --published`: every row of the
 * published-measurements table run as its benchmark ran it, on local worker
 * processes; predicted against published with error statistics by GPU, by
 * metric, by split and overall; CSV and chart. */
#define _POSIX_C_SOURCE 200809L /* mkdir, open_memstream, sysconf */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infercost/outfile.h"
#include "cli.h"
#include "ic_version.h"
#include "infercost/headline.h"
#include "infercost/perf.h"
#include "infercost/plot.h"
#include "infercost/published.h"
#include "infercost/sweep.h"

static const char usage[] =
    "usage: infercost validate --published [--quick] [-o DIR] [--table CSV] [--ids P001,P002,...]\n"
    "                          [--split fit|holdout] [-s section.key=value]... [--workers N]\n"
    "                          [--lengths mean|dataset] [--max-median-error F] [--max-p90-error F]\n"
    "                          [--bound-metrics LIST] [--trtllm whole|inflight] [--trtllm-host S]\n"
    "                          [--trtllm-host-form added|floor] [--trtllm-host-serial S]\n"
    "                          [--trtllm-unread keep|nvidia] [--no-plot]\n"
    "\n"
    "Runs every row of the published GPU measurements (MLPerf, TensorRT-LLM, NIM,\n"
    "ML.ENERGY) as its benchmark offered load (offline, fixed concurrency, batch\n"
    "cap), prints predicted, published and error per row, the rows it cannot\n"
    "express yet with the reason, and median / p90 |error| by GPU, metric, split\n"
    "and overall (docs/validation-published.md). Server / Interactive latency rows\n"
    "are scored at the published utilisation (published load x predicted / published\n"
    "Offline throughput of the same system), their run at the published load shown beside.\n"
    "\n"
    "  --quick                shorter runs (fewer requests per row)\n"
    "  -o DIR                 write DIR/published.csv and DIR/published.png (plots/published.gp)\n"
    "  --table CSV            the table (default: the source tree's tests/data/published/measurements.csv)\n"
    "  --configs CSV|none     the submissions' scheduler settings, applied by experiment and mode (default: the\n"
    "                         source tree's tests/data/published/submission_configs.csv; none: the engine defaults)\n"
    "  --ids LIST             only these rows (comma-separated ids)\n"
    "  --split HALF           only the rows of one half (fit or holdout)\n"
    "  -s section.key=value   override a key in every row's scenario (e.g. perf.profile=roofline)\n"
    "  --workers N            local worker processes (default: online CPUs)\n"
    "  --lengths L            MLPerf rows: mean (every request at the data set's mean prompt\n"
    "                         and the run's mean output) or dataset (each request one sample\n"
    "                         of the data set, from the table's datasets/ folder; default %s)\n"
    "  --max-median-error F   exit 1 when the median |error| of the predicted rows exceeds F (e.g. 0.5)\n"
    "  --max-p90-error F      exit 1 when their 90th-percentile |error| exceeds F (e.g. 0.25)\n"
    "  --bound-metrics LIST   the bounds cover only the rows of these metrics (e.g. ttft,tpot)\n"
    "  --trtllm S             TensorRT-LLM rows with a submission configuration: whole (max_num_tokens a\n"
    "                         whole-prompt budget, decodes waiting) or inflight (decodes beside the context\n"
    "                         in every iteration, max_num_tokens counting both, chunked context; default %s)\n"
    "  --trtllm-host S        the same rows: S seconds of host time per model layer added to every iteration\n"
    "                         (NVIDIA's harness runs the executor without CUDA graphs; default %g)\n"
    "  --trtllm-host-form F   added (the host time adds to the GPU's) or floor (launches overlap the GPU's work:\n"
    "                         an iteration's GPU part lasts at least layers x S; default %s)\n"
    "  --trtllm-host-serial S the same rows: S seconds more of serial host time every iteration (default %g)\n"
    "  --trtllm-unread U      MLPerf TensorRT-LLM rows whose configuration was not read (v5.0, Cisco, MLPerf\n"
    "                         Power): keep (the engine defaults: whole prompts within 8192 tokens, no host\n"
    "                         time) or nvidia (as the rows above, with NVIDIA's own classes' caps for the\n"
    "                         same GPU and benchmark; default %s)\n"
    "  --no-plot              do not run gnuplot\n"
    "  -h, --help             this text\n";

enum { MAX_OVERRIDES = 64 };
/* MLPerf rows' lengths when --lengths is not given (docs/validation-published.md,
 * "Fifth round (L)") */
#define DEFAULT_LENGTHS IC_PUB_LENGTHS_MEAN
/* TensorRT-LLM's scheduling and the executor's host time per layer per
 * iteration when --trtllm / --trtllm-host are not given: in-flight with
 * 200 us a layer, chosen together on the fit half ("Eighth round (T)";
 * whole-prompt budgets and no host time until then, "Sixth round (Q)") */
#define DEFAULT_TRTLLM IC_PUB_TRTLLM_INFLIGHT
#define DEFAULT_TRTLLM_HOST_S 2e-4
#define DEFAULT_TRTLLM_HOST_FORM IC_PUB_HOST_ADDED
#define DEFAULT_TRTLLM_HOST_SERIAL_S 0.0
/* The MLPerf TensorRT-LLM rows without a configuration: the engine defaults
 * (false) or NVIDIA's classes' caps with the mapping above (true), chosen
 * on the fit half ("Eighth round (C)") */
#define DEFAULT_TRTLLM_UNREAD_CAPS false

struct options {
  bool quick, plot;
  int lengths; /* enum ic_pub_lengths */
  int trtllm;  /* enum ic_pub_trtllm */
  double trtllm_host_s, trtllm_host_serial_s;
  int trtllm_host_form; /* enum ic_pub_host_form */
  bool trtllm_unread_caps;
  const char *dir, *table, *configs, *ids, *split, *bound_metrics;
  const char *overrides[MAX_OVERRIDES];
  size_t override_count;
  long workers;
  double max_median, max_p90;
};

struct ctx {
  const struct ic_pub_row *rows;
  const size_t *first_row;
  const double *rate;        /* per point: open-loop requests/s, 0 = not a server run */
  struct ic_pub_options opt;
};

static ic_status build_point(void *vctx, size_t index, struct ic_scenario *s) {
  const struct ctx *c = vctx;
  char why[IC_PUB_WHY];
  if (ic_pub_scenario(&c->rows[c->first_row[index]], &c->opt, c->rate[index], s, why)) return IC_OK;
  ic_diag("infercost validate", 0, "row %s: %s", c->rows[c->first_row[index]].id, why);
  return IC_EINVAL;
}

/* The fitted profile's warning is said inside the worker that runs a point,
 * where nobody reads it: say it here, once per GPU and precision, with how
 * many points ran on the plain perf keys instead. Returns that count. */
static size_t warn_unfitted(const struct ctx *c, size_t points) {
  struct ic_scenario *s = malloc(sizeof *s);
  if (!s) return 0;
  char seen[16][192];
  size_t nseen = 0, unfitted = 0;
  for (size_t p = 0; p < points; p++) {
    char why[IC_PUB_WHY];
    if (!ic_pub_scenario(&c->rows[c->first_row[p]], &c->opt, c->rate[p], s, why)) continue;
    if (s->perf.profile != IC_PERF_FITTED) continue;
    enum ic_precision prec = (enum ic_precision)s->model.activation_precision;
    struct ic_perf_params f;
    if (ic_perf_fitted(s->fleet.gpu, prec, &f)) continue;
    unfitted++;
    char pair[192];
    snprintf(pair, sizeof pair, "%s with %s activations", s->fleet.gpu, ic_precision_name(prec));
    size_t k = 0;
    while (k < nseen && strcmp(seen[k], pair)) k++;
    if (k < nseen || nseen == 16) continue;
    snprintf(seen[nseen++], sizeof seen[0], "%s", pair);
    fprintf(stderr, "warning: perf.profile = fitted has no entry for %s; its rows run on the perf keys as set\n", pair);
  }
  if (unfitted) fprintf(stderr, "warning: %zu of %zu runs use no fitted entry (see above)\n", unfitted, points);
  free(s);
  return unfitted;
}

/* Server throughput rows: the highest open-loop rate whose run meets the
 * row's limits (MLPerf's Server result), by rounds over every such point
 * at once: from the published load, double while it holds, then bisect
 * until the bracket is within 2%. recs[p] ends as the run at the highest
 * rate that held, or failed when none did. */
static ic_status search_rates(const struct ctx *c, size_t points, const struct ic_pub_case *cases,
                              struct ic_sweep_record *recs, long workers) {
  size_t *pts = malloc((points ? points : 1) * sizeof *pts), *sub_row = malloc((points ? points : 1) * sizeof *sub_row);
  double *lo = calloc(points ? points : 1, sizeof *lo), *hi = malloc((points ? points : 1) * sizeof *hi);
  double *now = malloc((points ? points : 1) * sizeof *now), *sub_rate = malloc((points ? points : 1) * sizeof *sub_rate);
  struct ic_sweep_record *best = calloc(points ? points : 1, sizeof *best), *sub = calloc(points ? points : 1, sizeof *sub);
  ic_status st = IC_ENOMEM;
  if (!pts || !sub_row || !lo || !hi || !now || !sub_rate || !best || !sub) goto out;
  int ttft = ic_headline_find("ttft_p99_s"), tpot = ic_headline_find("tpot_p99_s"), stable = ic_headline_find("stable");
  size_t m = 0;
  for (size_t p = 0; p < points; p++)
    if (cases[c->first_row[p]].search_rate) {
      pts[m] = p;
      now[m] = c->rate[p];
      hi[m] = (double)NAN;
      m++;
    }
  /* sub[k] holds point k's latest run; the first comes from the main pass. */
  for (size_t k = 0; k < m; k++) sub[k] = recs[pts[k]];
  size_t *act = malloc((m ? m : 1) * sizeof *act);
  if (!act) goto out;
  for (int round = 0; round < 16; round++) {
    size_t active = 0;
    for (size_t k = 0; k < m; k++) {
      if (!(now[k] > 0)) continue; /* settled */
      const struct ic_pub_row *row = &c->rows[c->first_row[pts[k]]];
      if (sub[k].status == IC_OK && ic_pub_meets_limits(row, sub[k].mean[ttft], sub[k].mean[tpot], sub[k].mean[stable])) {
        lo[k] = now[k];
        best[k] = sub[k];
      } else {
        hi[k] = now[k];
      }
      now[k] = isnan(hi[k]) ? 2.0 * lo[k] : hi[k] - lo[k] > 0.02 * hi[k] ? 0.5 * (lo[k] + hi[k]) : 0.0;
      if (now[k] > 0) {
        act[active] = k;
        sub_row[active] = c->first_row[pts[k]];
        sub_rate[active] = now[k];
        active++;
      }
    }
    if (active == 0) break;
    struct ic_sweep_record *got = calloc(active, sizeof *got);
    if (!got) {
      free(act);
      goto out;
    }
    struct ctx sc = {c->rows, sub_row, sub_rate, c->opt};
    struct ic_sweep_exec x = {.point = build_point, .ctx = &sc, .count = active, .runs = 1, .workers = workers,
                              .progress = true, .mode = IC_SWEEP_SERVE};
    st = ic_sweep_execute(&x, got);
    for (size_t a = 0; a < active && st == IC_OK; a++) sub[act[a]] = got[a];
    free(got);
    if (st != IC_OK) {
      free(act);
      goto out;
    }
  }
  free(act);
  for (size_t k = 0; k < m; k++) {
    recs[pts[k]] = best[k];
    if (!(lo[k] > 0)) {
      recs[pts[k]].status = IC_EINVAL;
      snprintf(recs[pts[k]].message, sizeof recs[pts[k]].message,
               "no rate down to %.3g requests/s met the TTFT and TPOT limits", hi[k]);
    }
  }
  st = IC_OK;
out:
  free(sub);
  free(best);
  free(sub_rate);
  free(now);
  free(hi);
  free(lo);
  free(sub_row);
  free(pts);
  return st;
}

/* Server and Interactive latency rows at the utilisation the submission ran
 * at: the published load scaled by the simulated over the published
 * offline capacity of the same system (the experiment's Offline row),
 * rate x predicted offline / published offline. At the published load
 * itself a capacity a few percent short leaves the simulated queue
 * growing for the whole run (docs/validation-published.md, "Fourth
 * round"). urecs[p] gets the run for every point whose row has same_util;
 * one whose Offline row is missing or failed gets a failed record saying
 * so. */
static ic_status utilisation_runs(const struct ctx *c, size_t points, const struct ic_pub_row *rows, size_t n,
                                  const struct ic_pub_case *cases, const struct ic_sweep_record *recs,
                                  struct ic_sweep_record *urecs, long workers) {
  size_t *sub_row = malloc((points ? points : 1) * sizeof *sub_row), *at = malloc((points ? points : 1) * sizeof *at);
  double *sub_rate = malloc((points ? points : 1) * sizeof *sub_rate);
  struct ic_sweep_record *got = calloc(points ? points : 1, sizeof *got);
  ic_status st = IC_ENOMEM;
  if (!sub_row || !at || !sub_rate || !got) goto out;
  int tput = ic_headline_find("output_tokens_per_s");
  size_t m = 0;
  for (size_t p = 0; p < points; p++) {
    const struct ic_pub_row *row = &c->rows[c->first_row[p]];
    if (!cases[c->first_row[p]].same_util) continue;
    size_t j = ic_pub_offline_row(rows, n, row);
    double off = j < n && !cases[j].skipped && recs[cases[j].point].status == IC_OK ? recs[cases[j].point].mean[tput]
                                                                                     : (double)NAN;
    if (!(off > 0) || !isfinite(off)) {
      urecs[p].status = IC_EINVAL;
      snprintf(urecs[p].message, sizeof urecs[p].message,
               "no predicted Offline throughput of experiment %.80s to set the published utilisation (select its "
               "Offline row too)", row->experiment);
      continue;
    }
    at[m] = p;
    sub_row[m] = c->first_row[p];
    sub_rate[m] = c->rate[p] * off / rows[j].value;
    m++;
  }
  st = IC_OK;
  if (m && c->opt.quick)
    fprintf(stderr, "warning: --quick: %zu Server / Interactive latency run(s) take their capacity from an Offline run of "
                    "at most 1,000 requests, too few for a multi-replica system to fill its batches: their latencies "
                    "are not the full run's\n", m);
  if (m) {
    struct ctx sc = {c->rows, sub_row, sub_rate, c->opt};
    struct ic_sweep_exec x = {.point = build_point, .ctx = &sc, .count = m, .runs = 1, .workers = workers,
                              .progress = true, .mode = IC_SWEEP_SERVE};
    st = ic_sweep_execute(&x, got);
    for (size_t k = 0; k < m && st == IC_OK; k++) urecs[at[k]] = got[k];
  }
out:
  free(got);
  free(sub_rate);
  free(at);
  free(sub_row);
  return st;
}

/* One --max-*-error bound: says whether `value` over m rows holds it (a
 * bound not given holds; no predicted row never does). */
static bool check_bound(const char *what, double value, size_t m, double bound) {
  if (isnan(bound)) return true;
  if (m == 0 || value > bound) {
    ic_diag("infercost validate", 0, "%s |error| %.1f%% over %zu rows exceeds the bound %.1f%%", what, 100 * value, m,
            100 * bound);
    return false;
  }
  printf("%s |error| %.1f%% over %zu rows is within the bound %.1f%%\n", what, 100 * value, m, 100 * bound);
  return true;
}

/* 0 when `v` is `first`, 1 when it is `second`; otherwise says so for
 * option `opt` and returns -1. */
static int one_of_two(const char *opt, const char *v, const char *first, const char *second) {
  if (v && !strcmp(v, first)) return 0;
  if (v && !strcmp(v, second)) return 1;
  ic_diag("infercost validate", 0, "%s: expected %s or %s, got '%s'", opt, first, second, v ? v : "");
  return -1;
}

static int parse_args(int argc, char **argv, struct options *o) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  *o = (struct options){.plot = true, .lengths = DEFAULT_LENGTHS, .trtllm = DEFAULT_TRTLLM,
                        .trtllm_host_s = DEFAULT_TRTLLM_HOST_S, .trtllm_host_form = DEFAULT_TRTLLM_HOST_FORM,
                        .trtllm_host_serial_s = DEFAULT_TRTLLM_HOST_SERIAL_S,
                        .trtllm_unread_caps = DEFAULT_TRTLLM_UNREAD_CAPS, .workers = cpus > 0 ? cpus : 1,
                        .max_median = (double)NAN, .max_p90 = (double)NAN};
  o->table = IC_SOURCE_DIR "/tests/data/published/measurements.csv";
  o->configs = IC_SOURCE_DIR "/tests/data/published/submission_configs.csv";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf(usage, DEFAULT_LENGTHS == IC_PUB_LENGTHS_MEAN ? "mean" : "dataset",
             DEFAULT_TRTLLM == IC_PUB_TRTLLM_WHOLE ? "whole" : "inflight", DEFAULT_TRTLLM_HOST_S,
             DEFAULT_TRTLLM_HOST_FORM == IC_PUB_HOST_FLOOR ? "floor" : "added", DEFAULT_TRTLLM_HOST_SERIAL_S,
             DEFAULT_TRTLLM_UNREAD_CAPS ? "nvidia" : "keep");
      return 1;
    } else if (!strcmp(a, "--published")) {
    } else if (!strcmp(a, "--quick")) {
      o->quick = true;
    } else if (!strcmp(a, "--no-plot")) {
      o->plot = false;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--table") || !strcmp(a, "--ids") || !strcmp(a, "--split") ||
               !strcmp(a, "--bound-metrics") || !strcmp(a, "--configs")) {
      if (!v) {
        ic_diag("infercost validate", 0, "%s: expected a value", a);
        return -1;
      }
      *(!strcmp(a, "-o")          ? &o->dir
        : !strcmp(a, "--table")   ? &o->table
        : !strcmp(a, "--ids")     ? &o->ids
        : !strcmp(a, "--split")   ? &o->split
        : !strcmp(a, "--configs") ? &o->configs
                                  : &o->bound_metrics) = v;
      i++;
    } else if (!strcmp(a, "-s") || !strcmp(a, "--set")) {
      static struct ic_scenario probe;
      ic_scenario_defaults(&probe);
      if (!v || o->override_count == MAX_OVERRIDES || ic_scenario_set(&probe, v, "-s") != IC_OK) {
        if (!v || o->override_count == MAX_OVERRIDES)
          ic_diag("infercost validate", 0, "%s: expected section.key=value (at most %d)", a, MAX_OVERRIDES);
        return -1;
      }
      o->overrides[o->override_count++] = v;
      i++;
    } else if (!strcmp(a, "--lengths")) {
      int second = one_of_two(a, v, "mean", "dataset");
      if (second < 0) return -1;
      o->lengths = second ? IC_PUB_LENGTHS_DATASET : IC_PUB_LENGTHS_MEAN;
      i++;
    } else if (!strcmp(a, "--trtllm")) {
      int second = one_of_two(a, v, "whole", "inflight");
      if (second < 0) return -1;
      o->trtllm = second ? IC_PUB_TRTLLM_INFLIGHT : IC_PUB_TRTLLM_WHOLE;
      i++;
    } else if (!strcmp(a, "--trtllm-unread")) {
      int second = one_of_two(a, v, "keep", "nvidia");
      if (second < 0) return -1;
      o->trtllm_unread_caps = second == 1;
      i++;
    } else if (!strcmp(a, "--trtllm-host-form")) {
      int second = one_of_two(a, v, "added", "floor");
      if (second < 0) return -1;
      o->trtllm_host_form = second ? IC_PUB_HOST_FLOOR : IC_PUB_HOST_ADDED;
      i++;
    } else if (!strcmp(a, "--trtllm-host") || !strcmp(a, "--trtllm-host-serial")) {
      bool serial = !strcmp(a, "--trtllm-host-serial");
      double *t = serial ? &o->trtllm_host_serial_s : &o->trtllm_host_s;
      errno = 0;
      *t = v ? strtod(v, &end) : (double)NAN;
      if (!v || errno || *end || !(*t >= 0 && *t <= (serial ? 1.0 : 0.01))) {
        ic_diag("infercost validate", 0, "%s: expected seconds%s in [0, %g], got '%s'", a, serial ? "" : " per layer",
                serial ? 1.0 : 0.01, v ? v : "");
        return -1;
      }
      i++;
    } else if (!strcmp(a, "--workers")) {
      errno = 0;
      o->workers = v ? strtol(v, &end, 10) : 0;
      if (!v || errno || *end || o->workers < 1 || o->workers > 4096) {
        ic_diag("infercost validate", 0, "--workers: expected a whole number in [1, 4096], got '%s'", v ? v : "");
        return -1;
      }
      i++;
    } else if (!strcmp(a, "--max-median-error") || !strcmp(a, "--max-p90-error")) {
      double *bound = !strcmp(a, "--max-median-error") ? &o->max_median : &o->max_p90;
      errno = 0;
      *bound = v ? strtod(v, &end) : (double)NAN;
      if (!v || errno || *end || !(*bound > 0)) {
        ic_diag("infercost validate", 0, "%s: expected a positive fraction, got '%s'", a, v ? v : "");
        return -1;
      }
      i++;
    } else {
      ic_diag("infercost validate", 0, "unknown option '%s' (see infercost validate --published --help)", a);
      return -1;
    }
  }
  return 0;
}

/* Keeps the rows named in `ids` (every id must exist); all when ids is NULL. */
static bool select_ids(struct ic_pub_row *rows, size_t *count, const char *ids) {
  if (!ids) return true;
  size_t kept = 0;
  bool ok = true;
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", ids);
  bool *want = calloc(*count, sizeof *want);
  if (!want) return false;
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    size_t i = 0;
    while (i < *count && strcmp(rows[i].id, t)) i++;
    if (i == *count) {
      ic_diag("infercost validate", 0, "--ids: no row '%s' in the table", t);
      ok = false;
    } else {
      want[i] = true;
    }
  }
  for (size_t i = 0; i < *count; i++)
    if (want[i]) rows[kept++] = rows[i];
  *count = kept;
  free(want);
  return ok && kept > 0;
}

/* Median and p90 |error| of the predicted rows matching every filter that
 * is not NULL (split, GPU, metric), printed as one line. */
static void print_stats(const char *label, const struct ic_pub_row *rows, const double *err, size_t n,
                        const char *split, const char *gpu, const char *metric) {
  double *x = malloc((n ? n : 1) * sizeof *x);
  if (!x) return;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if ((!split || !strcmp(rows[i].split, split)) && (!gpu || !strcmp(rows[i].gpu, gpu)) &&
        (!metric || !strcmp(rows[i].metric, metric)))
      x[k++] = err[i];
  double med, p90;
  size_t m = ic_pub_abs_stats(x, k, &med, &p90);
  if (m) printf("  %-30s rows %3zu  median %6.1f%%  p90 %6.1f%%\n", label, m, 100 * med, 100 * p90);
  free(x);
}

/* Distinct values of a field among predicted rows, in first-seen order. */
static size_t distinct(const struct ic_pub_row *rows, const double *err, size_t n, const char *field_name,
                       const char **out, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(err[i])) continue;
    const char *f = !strcmp(field_name, "gpu") ? rows[i].gpu : !strcmp(field_name, "metric") ? rows[i].metric
                    : rows[i].split;
    size_t j = 0;
    while (j < k && strcmp(out[j], f)) j++;
    if (j == k && k < cap) out[k++] = f;
  }
  return k;
}

/* Throughput per GPU of `gpu` over H100's on the same workload (source,
 * model, lengths, mode), published and predicted: the median over pairs. */
static void print_ratio(const char *gpu, const struct ic_pub_row *rows, const double *pred, size_t n) {
  double pub_r[512], pred_r[512];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const struct ic_pub_row *a = &rows[i];
    if (strcmp(a->gpu, gpu) || strcmp(a->metric, "throughput_output") || isnan(pred[i])) continue;
    for (size_t j = 0; j < n && k < 512; j++) {
      const struct ic_pub_row *b = &rows[j];
      if (strcmp(b->gpu, "H100") || strcmp(b->metric, "throughput_output") || isnan(pred[j])) continue;
      bool same_len = (isnan(a->input_tokens) && isnan(b->input_tokens)) || a->input_tokens == b->input_tokens;
      if (strcmp(a->source_kind, b->source_kind) || strcmp(a->model, b->model) || strcmp(a->mode, b->mode) ||
          !same_len || a->output_tokens != b->output_tokens)
        continue;
      pub_r[k] = (a->value / a->gpus) / (b->value / b->gpus);
      pred_r[k] = (pred[i] / a->gpus) / (pred[j] / b->gpus);
      k++;
      break;
    }
  }
  double pm, pp, qm, qp;
  if (!k) {
    printf("  %s / H100: no pair of predicted rows on the same workload\n", gpu);
    return;
  }
  ic_pub_abs_stats(pub_r, k, &pm, &pp);
  ic_pub_abs_stats(pred_r, k, &qm, &qp);
  printf("  %s / H100 throughput per GPU over %zu workload pairs: published median %.3f, predicted median %.3f "
         "(%+.1f%%)\n",
         gpu, k, pm, qm, 100 * (qm / pm - 1));
}

struct csv_out {
  const struct ic_pub_row *rows;
  const struct ic_pub_case *cases;
  const double *pred, *err, *raw;
  const char *const *status;
  size_t n;
};

static ic_status fill_csv(FILE *f, void *ctx) {
  const struct csv_out *o = ctx;
  fprintf(f, "id,split,source_kind,gpu,model,mode,metric,statistic,unit,published,predicted,error,status,why,"
             "predicted_at_published_load,error_at_published_load\n");
  for (size_t i = 0; i < o->n; i++) {
    const struct ic_pub_row *r = &o->rows[i];
    fprintf(f, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%.6g,", r->id, r->split, r->source_kind, r->gpu, r->model, r->mode,
            r->metric, r->statistic, r->unit, r->value);
    if (!isnan(o->pred[i])) fprintf(f, "%.6g,%.4f", o->pred[i], o->err[i]);
    else fputs(",", f);
    /* The plot reader takes no quoted fields: the reason loses its commas. */
    char why[IC_PUB_WHY];
    snprintf(why, sizeof why, "%s", o->cases[i].why);
    for (char *q = why; *q; q++)
      if (*q == ',' || *q == '"') *q = ';';
    fprintf(f, ",%s,%s,", o->status[i], why);
    if (!isnan(o->raw[i])) fprintf(f, "%.6g,%.4f\n", o->raw[i], o->raw[i] / r->value - 1.0);
    else fputs(",\n", f);
  }
  return IC_OK;
}

/* DIR/published.csv, atomically (outfile). */
static int write_csv(const char *dir, const struct ic_pub_row *rows, const struct ic_pub_case *cases,
                     const double *pred, const double *err, const double *raw, const char *const *status, size_t n) {
  char *path = ic_out_join(dir, "published.csv");
  struct csv_out o = {rows, cases, pred, err, raw, status, n};
  bool ok = path && ic_out_write(path, fill_csv, &o) == IC_OK;
  if (ok) printf("wrote %s\n", path);
  free(path);
  return ok ? 0 : -1;
}

int ic_cli_validate_published(int argc, char **argv) {
  struct options o;
  int pa = parse_args(argc, argv, &o);
  if (pa) return pa > 0 ? IC_EXIT_OK : IC_EXIT_BAD_INPUT;
  struct ic_pub_row *rows = NULL;
  size_t n = 0;
  ic_status st = ic_pub_load(o.table, &rows, &n);
  if (st != IC_OK) return st == IC_ENOMEM ? IC_EXIT_FAILURE : IC_EXIT_BAD_INPUT;
  if (o.split) {
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
      if (!strcmp(rows[i].split, o.split)) rows[kept++] = rows[i];
    n = kept;
    if (n == 0) {
      ic_diag("infercost validate", 0, "--split %s: no rows of that half (fit or holdout)", o.split);
      free(rows);
      return IC_EXIT_BAD_INPUT;
    }
  }
  if (!select_ids(rows, &n, o.ids)) {
    free(rows);
    return IC_EXIT_BAD_INPUT;
  }
  struct ic_pub_config *configs = NULL;
  size_t config_count = 0;
  if (strcmp(o.configs, "none") && (st = ic_pub_load_configs(o.configs, &configs, &config_count)) != IC_OK) {
    free(rows);
    return st == IC_ENOMEM ? IC_EXIT_FAILURE : IC_EXIT_BAD_INPUT;
  }
  if (o.dir && mkdir(o.dir, 0777) != 0 && errno != EEXIST) {
    ic_diag(o.dir, 0, "cannot create the output directory: %s", strerror(errno));
    free(configs);
    free(rows);
    return IC_EXIT_FAILURE;
  }
  struct ic_pub_case *cases = calloc(n, sizeof *cases);
  size_t *first_row = calloc(n, sizeof *first_row);
  double *pred = malloc(n * sizeof *pred), *err = malloc(n * sizeof *err), *rate = calloc(n, sizeof *rate);
  double *raw = malloc(n * sizeof *raw), *raw_err = malloc(n * sizeof *raw_err);
  const char **status = malloc(n * sizeof *status);
  struct ic_sweep_record *recs = NULL, *urecs = NULL;
  int rc = IC_EXIT_FAILURE;
  if (!cases || !first_row || !pred || !err || !status || !rate || !raw || !raw_err) goto done;
  /* the data sets' per-sample files sit beside the table, wherever it is */
  char table_dir[PATH_MAX];
  const char *slash = strrchr(o.table, '/');
  snprintf(table_dir, sizeof table_dir, "%.*s", slash ? (int)(slash - o.table) : 1, slash ? o.table : ".");
  struct ic_pub_options popt = {o.quick, o.overrides, o.override_count, configs, config_count, o.lengths, table_dir, o.trtllm,
                                o.trtllm_host_s, o.trtllm_unread_caps, o.trtllm_host_form, o.trtllm_host_serial_s};
  size_t points = ic_pub_plan(rows, n, &popt, cases, first_row, rate);
  printf("# infercost %s validate --published%s: %zu rows of %s, %zu runs on %ld worker(s)", IC_VERSION_STRING,
         o.quick ? " --quick" : "", n, o.table, points, o.workers);
  for (size_t i = 0; i < o.override_count; i++) printf(" -s %s", o.overrides[i]);
  putchar('\n');
  recs = calloc(points ? points : 1, sizeof *recs);
  urecs = calloc(points ? points : 1, sizeof *urecs);
  if (!recs || !urecs) goto done;
  struct ctx c = {rows, first_row, rate, popt};
  struct ic_sweep_exec x = {.point = build_point, .ctx = &c, .count = points, .runs = 1, .workers = o.workers,
                            .progress = true, .mode = IC_SWEEP_SERVE};
  size_t unfitted = warn_unfitted(&c, points);
  if (points && ic_sweep_execute(&x, recs) != IC_OK) goto done;
  if (points && search_rates(&c, points, cases, recs, o.workers) != IC_OK) goto done;
  if (points && utilisation_runs(&c, points, rows, n, cases, recs, urecs, o.workers) != IC_OK) goto done;

  size_t predicted = 0, skipped = 0, failed = 0;
  for (size_t i = 0; i < n; i++) {
    pred[i] = err[i] = raw[i] = raw_err[i] = (double)NAN;
    if (cases[i].skipped) {
      status[i] = "skipped";
      skipped++;
      continue;
    }
    int h = ic_headline_find(cases[i].headline);
    const struct ic_sweep_record *r = &recs[cases[i].point];
    if (cases[i].same_util) {
      /* Kept beside the scored figure: the run at the published load itself. */
      double v0 = r->status == IC_OK ? r->mean[h] * cases[i].to_unit : (double)NAN;
      if (v0 > 0 && isfinite(v0)) {
        raw[i] = v0;
        raw_err[i] = v0 / rows[i].value - 1.0;
      }
      r = &urecs[cases[i].point];
    }
    double v = r->status == IC_OK ? r->mean[h] * cases[i].to_unit : (double)NAN;
    if (!(v > 0) || !isfinite(v)) {
      status[i] = "failed";
      snprintf(cases[i].why, sizeof cases[i].why, "%s", r->status != IC_OK ? r->message : "the run produced no value");
      failed++;
      continue;
    }
    status[i] = "ok";
    pred[i] = v;
    err[i] = v / rows[i].value - 1.0;
    predicted++;
  }
  printf("%-5s %-7s %-7s %-15s %-17s %-9s %-5s %12s %12s %8s\n", "id", "split", "gpu", "model", "metric", "mode",
         "stat", "predicted", "published", "error");
  for (size_t i = 0; i < n; i++) {
    const struct ic_pub_row *r = &rows[i];
    if (isnan(pred[i])) continue;
    printf("%-5s %-7s %-7s %-15s %-17s %-9.9s %-5s %12.5g %12.5g %+7.1f%%  %s", r->id, r->split, r->gpu, r->model,
           r->metric, r->mode, r->statistic, pred[i], r->value, 100 * err[i], r->unit);
    if (!isnan(raw[i])) printf("  (at the published load: %.5g, %+.1f%%)", raw[i], 100 * raw_err[i]);
    putchar('\n');
  }
  printf("\nnot predicted (%zu skipped, %zu failed):\n", skipped, failed);
  for (size_t i = 0; i < n; i++)
    if (isnan(pred[i])) printf("  %s %-7s %-7s %-15s %-17s %s: %s\n", rows[i].id, rows[i].split, rows[i].gpu,
                               rows[i].model, rows[i].metric, status[i], cases[i].why);
  printf("\n|error| of %zu predicted rows (of %zu):\n", predicted, n);
  if (unfitted) printf("(%zu of %zu runs used no fitted entry: warnings above)\n", unfitted, points);
  const char *splits[4], *gpus[16], *metrics[16];
  size_t ns = distinct(rows, err, n, "split", splits, 4), ng = distinct(rows, err, n, "gpu", gpus, 16);
  size_t nm = distinct(rows, err, n, "metric", metrics, 16);
  char label[96];
  for (size_t g = 0; g < ng; g++) {
    snprintf(label, sizeof label, "gpu %s", gpus[g]);
    print_stats(label, rows, err, n, NULL, gpus[g], NULL);
  }
  for (size_t m = 0; m < nm; m++) {
    snprintf(label, sizeof label, "metric %s", metrics[m]);
    print_stats(label, rows, err, n, NULL, NULL, metrics[m]);
  }
  /* Each half, overall and by metric: what the targets are stated on. */
  for (size_t h = 0; h < ns; h++) {
    snprintf(label, sizeof label, "split %s", splits[h]);
    print_stats(label, rows, err, n, splits[h], NULL, NULL);
    for (size_t m = 0; m < nm; m++) {
      snprintf(label, sizeof label, "split %s, %s", splits[h], metrics[m]);
      print_stats(label, rows, err, n, splits[h], NULL, metrics[m]);
    }
  }
  print_stats("overall", rows, err, n, NULL, NULL, NULL);
  /* The server latency rows scored at the published load itself, not at
   * its utilisation: what the mapping moved, shown rather than hidden. */
  bool any_raw = false;
  for (size_t i = 0; i < n; i++) any_raw = any_raw || !isnan(raw_err[i]);
  if (any_raw) {
    printf("server / interactive latency rows run at the published load instead (not scored):\n");
    for (size_t h = 0; h < ns; h++)
      for (size_t m = 0; m < nm; m++) {
        snprintf(label, sizeof label, "split %s, %s", splits[h], metrics[m]);
        print_stats(label, rows, raw_err, n, splits[h], NULL, metrics[m]);
      }
  }
  printf("\nratios:\n");
  print_ratio("H200", rows, pred, n);
  print_ratio("B200", rows, pred, n);
  rc = IC_EXIT_OK;
  if (o.dir) {
    if (write_csv(o.dir, rows, cases, pred, err, raw, status, n) != 0) rc = IC_EXIT_FAILURE;
    else if (o.plot && predicted) {
      char in[PATH_MAX], out[PATH_MAX];
      snprintf(in, sizeof in, "%s/published.csv", o.dir);
      snprintf(out, sizeof out, "%s/published.png", o.dir);
      struct ic_plot_request req;
      ic_plot_request_init(&req, IC_PLOT_PUBLISHED);
      req.input = in;
      req.output = out;
      ic_plot_render(&req); /* prints what it wrote; a failed plot leaves the CSV */
    }
  }
  if (!isnan(o.max_median) || !isnan(o.max_p90)) {
    double med, p90;
    double *e2 = malloc(n * sizeof *e2);
    if (!e2) goto done;
    /* --bound-metrics: the rows of other metrics leave the bound's statistics. */
    for (size_t i = 0; i < n; i++) e2[i] = !o.bound_metrics || ic_pub_in_list(o.bound_metrics, ',', rows[i].metric) ? err[i] : (double)NAN;
    size_t m = ic_pub_abs_stats(e2, n, &med, &p90);
    free(e2);
    if (!check_bound("median", med, m, o.max_median) || !check_bound("p90", p90, m, o.max_p90)) rc = IC_EXIT_FAILURE;
  }
done:
  free(urecs);
  free(recs);
  free(raw_err);
  free(raw);
  free(status);
  free(rate);
  free(err);
  free(pred);
  free(first_row);
  free(cases);
  free(configs);
  free(rows);
  return rc;
}
