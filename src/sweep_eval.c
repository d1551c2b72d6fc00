/* sweep_eval.c: one point's replications, their means and confidence
 * intervals, validation of all points before anything runs, and the CSV. */
#define _POSIX_C_SOURCE 200809L /* rename, remove */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "infercost/meta.h"
#include "infercost/outfile.h"
#include "infercost/run.h"
#include "infercost/sweep.h"
#include "infercost/train.h"

#define MAX_REPORTED 20

void ic_sweep_mean_ci95(const double *values, size_t n, double *mean, double *half_width) {
  *mean = (double)NAN;
  *half_width = (double)NAN;
  if (n == 0) return;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += values[i];
  *mean = sum / (double)n;
  if (n < 2 || !isfinite(*mean)) return;
  /* Two passes: the textbook one-pass formula cancels badly. */
  double ss = 0.0;
  for (size_t i = 0; i < n; i++) ss += (values[i] - *mean) * (values[i] - *mean);
  double sd = sqrt(ss / (double)(n - 1));
  *half_width = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

/* The scenario's checks, and in train mode the [train] checks. */
static ic_status check_point(enum ic_sweep_mode mode, const struct ic_scenario *s) {
  ic_status st = ic_scenario_check(s);
  if (st == IC_OK && mode == IC_SWEEP_TRAIN) st = ic_train_check(s);
  return st;
}

/* The metric columns of `mode`: names into names[] (IC_HEADLINE_MAX); the count. */
static size_t metric_names(enum ic_sweep_mode mode, const char **names) {
  size_t count;
  if (mode == IC_SWEEP_TRAIN) {
    const struct ic_train_metric *t = ic_train_metric_table(&count);
    for (size_t m = 0; m < count && m < IC_HEADLINE_MAX; m++) names[m] = t[m].name;
  } else {
    const struct ic_headline *h = ic_headline_table(&count);
    for (size_t m = 0; m < count; m++) names[m] = h[m].name;
  }
  return count < IC_HEADLINE_MAX ? count : IC_HEADLINE_MAX;
}

/* One replication of point scenario `s`: metric m into values[m * stride];
 * *overloaded when the run stopped at its in-flight limit. */
static ic_status eval_once(enum ic_sweep_mode mode, const struct ic_scenario *s, double *values, size_t stride,
                           bool *overloaded) {
  size_t count;
  ic_status st;
  if (mode == IC_SWEEP_TRAIN) {
    struct ic_train_result result;
    memset(&result, 0, sizeof result);
    st = ic_train_estimate(s, &result);
    const struct ic_train_metric *t = ic_train_metric_table(&count);
    for (size_t m = 0; m < count && m < IC_HEADLINE_MAX; m++) values[m * stride] = t[m].get(&result);
  } else {
    struct ic_run_result result;
    st = ic_run_scenario(s, &result);
    *overloaded = st == IC_OK && result.overloaded;
    const struct ic_headline *h = ic_headline_table(&count);
    for (size_t m = 0; m < count; m++) values[m * stride] = h[m].get(&result);
  }
  return st;
}

ic_status ic_sweep_validate(const struct ic_sweep_exec *x) {
  struct ic_scenario *s = malloc(sizeof *s);
  if (!s) return IC_ENOMEM;
  size_t before = ic_diag_count();
  for (size_t i = 0; i < x->count && ic_diag_count() - before < MAX_REPORTED; i++)
    if (x->point(x->ctx, i, s) == IC_OK) check_point(x->mode, s);
  free(s);
  return ic_diag_count() > before ? IC_EINVAL : IC_OK;
}

/* The first diagnostic line, or the status text when nothing was said. */
static void first_message(const struct ic_diag_buffer *buf, ic_status st, char *out, size_t size) {
  size_t n = 0;
  while (n < buf->len && buf->text[n] != '\n') n++;
  if (n == 0)
    snprintf(out, size, "%s", ic_strerror(st));
  else
    snprintf(out, size, "%.*s", (int)n, buf->text);
}

void ic_sweep_eval_point(const struct ic_sweep_exec *x, size_t index, struct ic_sweep_record *rec) {
  const char *names[IC_HEADLINE_MAX];
  size_t metric_count = metric_names(x->mode, names);
  memset(rec, 0, sizeof *rec);
  rec->runs = (int32_t)x->runs;
  for (size_t m = 0; m < IC_HEADLINE_MAX; m++) rec->mean[m] = rec->ci95[m] = (double)NAN;
  struct ic_scenario *s = malloc(sizeof *s);
  double *values = malloc((size_t)x->runs * IC_HEADLINE_MAX * sizeof *values);
  static struct ic_diag_buffer said;
  said.len = 0;
  said.text[0] = '\0';
  ic_status st = s && values ? IC_OK : IC_ENOMEM;
  /* A failure is the point's result, not the sweep's: keep its words. */
  ic_diag_sink_fn *old_sink;
  void *old_ctx;
  ic_diag_get_sink(&old_sink, &old_ctx);
  ic_diag_set_sink(ic_diag_buffer_sink, &said);
  if (st == IC_OK) st = x->point(x->ctx, index, s);
  if (st == IC_OK) st = check_point(x->mode, s);
  if (st == IC_OK) {
    rec->seed = s->run.seed;
    int64_t first_run = s->run.run;
    for (int64_t r = 0; r < x->runs && st == IC_OK; r++) {
      s->run.run = first_run + r;
      bool overloaded = false;
      st = eval_once(x->mode, s, values + r, (size_t)x->runs, &overloaded);
      /* A result (stable = 0), named in the status column. */
      if (st == IC_OK && overloaded) snprintf(rec->message, sizeof rec->message, "overloaded");
    }
  }
  ic_diag_set_sink(old_sink, old_ctx);
  rec->status = (int32_t)st;
  if (st != IC_OK)
    first_message(&said, st, rec->message, sizeof rec->message);
  else
    for (size_t m = 0; m < metric_count; m++)
      ic_sweep_mean_ci95(values + m * (size_t)x->runs, (size_t)x->runs, &rec->mean[m], &rec->ci95[m]);
  free(values);
  free(s);
}

void ic_sweep_csv_number(FILE *out, double v) {
  if (isnan(v))
    fputs("nan", out);
  else if (isinf(v))
    fputs(v > 0 ? "inf" : "-inf", out);
  else
    fprintf(out, "%.17g", v);
}

void ic_sweep_csv_field(FILE *out, const char *text) {
  if (!strpbrk(text, ",\"\r\n")) {
    fputs(text, out);
    return;
  }
  fputc('"', out);
  for (const char *p = text; *p; p++) {
    if (*p == '"') fputc('"', out);
    fputc(*p == '\n' || *p == '\r' ? ' ' : *p, out);
  }
  fputc('"', out);
}

void ic_sweep_csv_metric_names(FILE *out, enum ic_sweep_mode mode, int64_t runs) {
  const char *names[IC_HEADLINE_MAX];
  size_t metric_count = metric_names(mode, names);
  for (size_t m = 0; m < metric_count; m++) {
    fprintf(out, ",%s", names[m]);
    if (runs > 1) fprintf(out, ",%s_ci95", names[m]);
  }
}

void ic_sweep_csv_record(FILE *out, const struct ic_sweep_record *r, enum ic_sweep_mode mode, int64_t runs, int meets) {
  const char *names[IC_HEADLINE_MAX];
  size_t metric_count = metric_names(mode, names);
  fprintf(out, "%lld,%d,", (long long)r->seed, (int)r->runs);
  ic_sweep_csv_field(out, r->status == IC_OK ? (r->message[0] ? r->message : "ok") : r->message);
  if (meets >= 0) fputs(meets ? ",1" : ",0", out);
  for (size_t m = 0; m < metric_count; m++) {
    fputc(',', out);
    ic_sweep_csv_number(out, r->mean[m]);
    if (runs > 1) {
      fputc(',', out);
      ic_sweep_csv_number(out, r->ci95[m]);
    }
  }
}

ic_status ic_sweep_write_csv(FILE *out, const struct ic_sweep_grid *grid, int64_t runs,
                             const struct ic_sweep_record *records, const bool *meets, size_t count) {
  for (size_t a = 0; a < grid->axis_count; a++) fprintf(out, "%s,", grid->axes[a].key);
  fputs("seed,runs,status", out);
  if (meets) fputs(",meets_targets", out);
  ic_sweep_csv_metric_names(out, grid->mode, runs);
  fputc('\n', out);
  size_t at[IC_SWEEP_MAX_AXES];
  for (size_t i = 0; i < count; i++) {
    ic_sweep_grid_point(grid->axes, grid->axis_count, i, at);
    for (size_t a = 0; a < grid->axis_count; a++) {
      ic_sweep_csv_field(out, grid->axes[a].values[at[a]]);
      fputc(',', out);
    }
    ic_sweep_csv_record(out, &records[i], grid->mode, runs, meets ? meets[i] : -1);
    fputc('\n', out);
  }
  return ferror(out) ? IC_EIO : IC_OK;
}

struct csv_out {
  const struct ic_sweep_grid *grid;
  int64_t runs;
  const struct ic_sweep_record *records;
  const bool *meets;
  size_t count;
};

static ic_status fill_csv(FILE *f, void *ctx) {
  const struct csv_out *o = ctx;
  return ic_sweep_write_csv(f, o->grid, o->runs, o->records, o->meets, o->count);
}

ic_status ic_sweep_write_csv_file(const char *path, const struct ic_sweep_grid *grid, int64_t runs,
                                  const struct ic_sweep_record *records, const bool *meets, size_t count) {
  struct csv_out o = {grid, runs, records, meets, count};
  ic_status st = ic_out_write(path, fill_csv, &o);
  if (st != IC_OK) return st;
  char note[96];
  snprintf(note, sizeof note, "sweep of %zu points x %lld runs", count, (long long)runs);
  struct ic_meta m = {.command = "sweep", .scenario = grid->base, .note = note};
  return ic_meta_write_sidecar(path, &m, "one row per grid point: the varied keys, seed, runs, status, headline metrics");
}
