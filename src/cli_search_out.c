/* cli_search_out.c: what `infercost search` writes besides the winner: the
 * table of every evaluated point with its Pareto flags (-o FILE), the N
 * cheapest configurations (--top N). The JSON form is ic_search_result_json. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "infercost/meta.h"
#include "infercost/outfile.h"
#include "infercost/plot.h"

/* The value of discrete axis `a` in point p, as given on --vary. */
static const char *axis_value(const struct ic_search_space *sp, const struct ic_search_point *p, size_t a) {
  size_t at[IC_SWEEP_MAX_AXES];
  ic_sweep_grid_point(sp->axes, sp->axis_count, p->combo, at);
  return sp->axes[a].values[at[a]];
}

/* pareto[t * n + i]: point i is on the frontier of cost per day against
 * target t's metric (lower is better for <, <=; higher for >, >=), among
 * the points that ran. */
static bool pareto_flags(const struct ic_search_space *sp, size_t user_targets, const struct ic_search_result *r,
                         bool *pareto) {
  size_t n = r->point_count;
  double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
  size_t *front = malloc((n ? n : 1) * sizeof *front);
  bool ok = x && y && front;
  int usd = ic_headline_find("usd_per_day");
  for (size_t t = 0; ok && t < user_targets; t++) {
    const struct ic_search_target *tg = &sp->targets[t];
    double sign = tg->op == IC_TARGET_GE || tg->op == IC_TARGET_GT ? -1.0 : 1.0;
    for (size_t i = 0; i < n; i++) {
      bool ran = r->points[i].record.status == IC_OK;
      x[i] = ran ? sign * r->points[i].record.mean[tg->metric] : (double)NAN;
      y[i] = ran ? r->points[i].record.mean[usd] : (double)NAN;
      pareto[t * n + i] = false;
    }
    size_t k = ic_plot_pareto_front(x, y, n, front);
    if (k == (size_t)-1) ok = false;
    for (size_t j = 0; ok && j < k; j++) pareto[t * n + front[j]] = true;
  }
  free(x), free(y), free(front);
  return ok;
}

static ic_status write_points(FILE *f, const struct ic_search_space *sp, size_t user_targets,
                              const struct ic_search_result *r, const bool *pareto) {
  size_t metric_count;
  const struct ic_headline *metrics = ic_headline_table(&metric_count);
  for (size_t a = 0; a < sp->axis_count; a++) fprintf(f, "%s,", sp->axes[a].key);
  fprintf(f, "%s,seed,runs,status,meets_targets", sp->nodes->key);
  ic_sweep_csv_metric_names(f, IC_SWEEP_SERVE, sp->runs);
  fputs(",combination,step", f);
  for (size_t t = 0; t < user_targets; t++) fprintf(f, ",pareto_%s", metrics[sp->targets[t].metric].name);
  fputc('\n', f);
  for (size_t i = 0; i < r->point_count; i++) {
    const struct ic_search_point *p = &r->points[i];
    for (size_t a = 0; a < sp->axis_count; a++) {
      ic_sweep_csv_field(f, axis_value(sp, p, a));
      fputc(',', f);
    }
    fprintf(f, "%s,", sp->nodes->values[p->nodes_index]);
    ic_sweep_csv_record(f, &p->record, IC_SWEEP_SERVE, sp->runs, p->meets);
    fprintf(f, ",%zu,%d", p->combo, p->step);
    for (size_t t = 0; t < user_targets; t++) fputs(pareto[t * r->point_count + i] ? ",1" : ",0", f);
    fputc('\n', f);
  }
  return ferror(f) ? IC_EIO : IC_OK;
}

struct points_out {
  const struct ic_search_space *sp;
  size_t user_targets;
  const struct ic_search_result *r;
  const bool *pareto;
};

static ic_status fill_points(FILE *f, void *ctx) {
  const struct points_out *o = ctx;
  return write_points(f, o->sp, o->user_targets, o->r, o->pareto);
}

ic_status ic_cli_search_write_points(const char *path, const struct ic_search_space *sp, size_t user_targets,
                                     const struct ic_search_result *r) {
  bool *pareto = calloc(user_targets * r->point_count + 1, sizeof *pareto);
  if (!pareto || !pareto_flags(sp, user_targets, r, pareto)) {
    free(pareto);
    ic_diag(path, 0, "out of memory for the search table");
    return IC_ENOMEM;
  }
  struct points_out o = {sp, user_targets, r, pareto};
  ic_status st = ic_out_write(path, fill_points, &o);
  free(pareto);
  if (st != IC_OK) return st;
  char note[128];
  snprintf(note, sizeof note, "search: %zu points evaluated x %lld runs", r->point_count, (long long)sp->runs);
  struct ic_meta m = {.command = "search", .scenario = sp->base, .note = note};
  return ic_meta_write_sidecar(path, &m,
                               "every configuration the search evaluated: varied keys, the bisected node count, seed, runs, status, "
                               "meets_targets, headline metrics, combination, bisection step, and pareto_METRIC (1 on "
                               "the frontier of usd_per_day against that target's metric)");
}

void ic_cli_search_print_top(const struct ic_search_space *sp, size_t user_targets, const struct ic_search_result *r,
                             FILE *out) {
  size_t metric_count;
  const struct ic_headline *metrics = ic_headline_table(&metric_count);
  int usd = ic_headline_find("usd_per_day");
  fprintf(out, "The %zu cheapest configurations meeting the targets (each at its smallest fleet):\n",
          r->ranked_count);
  fprintf(out, "  %4s", "rank");
  for (size_t a = 0; a < sp->axis_count; a++) fprintf(out, "  %-18s", sp->axes[a].key);
  fprintf(out, "  %11s  %15s", sp->nodes->key, "usd_per_day");
  for (size_t t = 0; t < user_targets; t++) fprintf(out, "  %14s", metrics[sp->targets[t].metric].name);
  fputc('\n', out);
  for (size_t k = 0; k < r->ranked_count; k++) {
    const struct ic_search_point *p = &r->points[r->ranked[k]];
    fprintf(out, "  %4zu", k + 1);
    for (size_t a = 0; a < sp->axis_count; a++) fprintf(out, "  %-18s", axis_value(sp, p, a));
    fprintf(out, "  %11s  %15.2f", sp->nodes->values[p->nodes_index], p->record.mean[usd]);
    for (size_t t = 0; t < user_targets; t++) fprintf(out, "  %14.6g", p->record.mean[sp->targets[t].metric]);
    fputc('\n', out);
  }
}

