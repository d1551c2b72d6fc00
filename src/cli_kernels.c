/* cli_kernels.c: `infercost validate --kernels`: single GPU kernels measured
 * alone, each predicted by the compute model under the roofline and the
 * fitted profile; errors, achieved fractions of peak, error statistics by
 * kind, precision and size band; CSV and chart (docs/validation-kernels.md). */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ic_version.h"
#include "infercost/hw.h"
#include "infercost/kernels.h"
#include "infercost/outfile.h"
#include "infercost/plot.h"
#include "infercost/published.h"
#include "infercost/scenario.h"

static const char usage[] =
    "usage: infercost validate --kernels [FILE] [-o DIR] [--no-plot]\n"
    "\n"
    "Predicts each GPU kernel of FILE (GEMMs, decode and prefill attention, each\n"
    "timed alone) with the compute model's roofline, under the roofline profile\n"
    "(the perf keys' defaults) and the fitted profile (n/a where it has no entry\n"
    "for the GPU and precision). Prints predicted, measured, error (predicted /\n"
    "measured - 1) and the achieved fractions of peak FLOP/s and bandwidth per\n"
    "row, then median / p90 |error| per profile by kernel kind, precision and\n"
    "size band (docs/validation-kernels.md).\n"
    "\n"
    "  FILE         the table (default: the source tree's tests/data/published/kernels.csv)\n"
    "  -o DIR       write DIR/kernels.csv, DIR/kernels_summary.csv and DIR/kernels.png\n"
    "               (plots/kernels.gp) (default: print only)\n"
    "  --no-plot    do not run gnuplot (default: plot when -o is given)\n"
    "  -h, --help   this text\n";

enum { PROFILES = 2 };
static const char *const profile_names[PROFILES] = {"roofline", "fitted"};

/* Per row: the two profiles' predictions (NaN: n/a) and errors, the work
 * and the achieved fractions of the GPU's peaks. */
struct result {
  double pred_s[PROFILES], err[PROFILES];
  double flops, bytes, flops_frac, bw_frac;
};

static void predict(const struct ic_kernel_row *r, const struct ic_perf_params *roofline, struct result *out) {
  const struct ic_gpu_spec *gpu = ic_hw_find_gpu(r->gpu);
  double t = r->time_us * 1e-6;
  struct ic_perf_params fitted;
  out->pred_s[0] = ic_kernel_predict_s(r, roofline);
  out->pred_s[1] = ic_perf_fitted(r->gpu, r->precision, &fitted) ? ic_kernel_predict_s(r, &fitted) : (double)NAN;
  for (int p = 0; p < PROFILES; p++) out->err[p] = out->pred_s[p] / t - 1.0;
  ic_kernel_work(r, &out->flops, &out->bytes);
  out->flops_frac = out->flops / (t * ic_hw_peak_flops(gpu, r->precision));
  out->bw_frac = out->bytes / (t * gpu->mem_bw_bytes_per_s);
}

/* "m=16 n=8192 k=8192", "b=8 h=32/8 d=128 ctx=4096" or "llama3.1-8b b=8 ctx=512". */
static void shape(const struct ic_kernel_row *r, char *buf, size_t size) {
  if (r->kind == IC_KERNEL_GEMM)
    snprintf(buf, size, "m=%.0f n=%.0f k=%.0f", r->m, r->n, r->k);
  else if (*r->model)
    snprintf(buf, size, "%s b=%.0f ctx=%.0f", r->model, r->batch, r->context);
  else
    snprintf(buf, size, "b=%.0f h=%.0f/%.0f d=%.0f ctx=%.0f", r->batch, r->heads, r->kv_heads, r->head_dim, r->context);
}

/* A group of rows for the statistics: all, one GPU, one implementation of
 * one kind, one precision or one size band (-1 or NULL: any). */
struct group {
  char label[64];
  int kind, precision, band;
  const char *gpu, *implementation; /* point into a row */
};

static bool in_group(const struct group *g, const struct ic_kernel_row *r) {
  const char *label;
  return (g->kind < 0 || (int)r->kind == g->kind) && (g->precision < 0 || (int)r->precision == g->precision) &&
         (g->band < 0 || ic_kernel_band(r, &label) == g->band) && (!g->gpu || !strcmp(g->gpu, r->gpu)) &&
         (!g->implementation || !strcmp(g->implementation, r->implementation));
}

/* Adds g unless a group of the same label is there already. */
static size_t add_group(struct group *out, size_t k, size_t cap, const struct group *g) {
  for (size_t j = 0; j < k; j++)
    if (!strcmp(out[j].label, g->label)) return k;
  if (k < cap) out[k++] = *g;
  return k;
}

/* The groups that hold at least one row, in a fixed order: overall, GPUs
 * and implementations of a kind (in the table's order), kinds, precisions,
 * size bands. Returns how many (at most cap). */
static size_t groups_of(const struct ic_kernel_row *rows, size_t n, struct group *out, size_t cap) {
  static const enum ic_precision precs[] = {IC_FP16, IC_BF16, IC_FP8};
  size_t k = 0;
  out[k++] = (struct group){"overall", -1, -1, -1, NULL, NULL};
  for (size_t i = 0; i < n; i++) {
    struct group g = {"", -1, -1, -1, rows[i].gpu, NULL};
    snprintf(g.label, sizeof g.label, "%s", rows[i].gpu);
    k = add_group(out, k, cap, &g);
  }
  for (size_t i = 0; i < n; i++) {
    struct group g = {"", (int)rows[i].kind, -1, -1, NULL, rows[i].implementation};
    snprintf(g.label, sizeof g.label, "%s %s", rows[i].implementation, ic_kernel_kind_name(rows[i].kind));
    k = add_group(out, k, cap, &g);
  }
  for (int kind = 0; kind < IC_KERNEL_KIND_COUNT; kind++) {
    struct group g = {"", kind, -1, -1, NULL, NULL};
    snprintf(g.label, sizeof g.label, "%s", ic_kernel_kind_name((enum ic_kernel_kind)kind));
    for (size_t i = 0; i < n && k < cap; i++)
      if (in_group(&g, &rows[i])) {
        out[k++] = g;
        break;
      }
  }
  for (size_t p = 0; p < sizeof precs / sizeof precs[0]; p++) {
    struct group g = {"", -1, (int)precs[p], -1, NULL, NULL};
    snprintf(g.label, sizeof g.label, "%s", ic_precision_name(precs[p]));
    for (size_t i = 0; i < n && k < cap; i++)
      if (in_group(&g, &rows[i])) {
        out[k++] = g;
        break;
      }
  }
  for (int kind = 0; kind < IC_KERNEL_KIND_COUNT; kind++)
    for (int b = 0; b < 3; b++)
      for (size_t i = 0; i < n && k < cap; i++) {
        const char *label;
        if ((int)rows[i].kind == kind && ic_kernel_band(&rows[i], &label) == b) {
          out[k] = (struct group){"", kind, -1, b, NULL, NULL};
          snprintf(out[k++].label, sizeof out[0].label, "%s", label);
          break;
        }
      }
  return k;
}

/* Median and p90 |error| of profile p over the group's predicted rows; how many. */
static size_t group_stats(const struct group *g, const struct ic_kernel_row *rows, const struct result *res, size_t n,
                          int p, double *x, double *med, double *p90) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (in_group(g, &rows[i])) x[k++] = res[i].err[p];
  return ic_pub_abs_stats(x, k, med, p90);
}

struct csv_out {
  const struct ic_kernel_row *rows;
  const struct result *res;
  size_t n;
  const struct group *groups;
  size_t ngroups;
};

/* ",v" with `digits` after the point (fixed) or significant, or "," alone
 * for NaN (a size of another kind, a profile that has no entry). */
static void cell(FILE *f, double v, bool fixed, int digits) {
  fputc(',', f);
  if (!isnan(v)) fprintf(f, fixed ? "%.*f" : "%.*g", digits, v);
}

static ic_status fill_rows(FILE *f, void *ctx) {
  const struct csv_out *o = ctx;
  fputs("id,gpu,kernel,implementation,precision,m,n,k,batch,heads,kv_heads,head_dim,context,flops,bytes,measured_us,"
        "roofline_us,roofline_error,fitted_us,fitted_error,flops_fraction,bandwidth_fraction\n", f);
  for (size_t i = 0; i < o->n; i++) {
    const struct ic_kernel_row *r = &o->rows[i];
    const struct result *s = &o->res[i];
    fprintf(f, "%s,%s,%s,%s,%s", r->id, r->gpu, ic_kernel_kind_name(r->kind), r->implementation,
            ic_precision_name(r->precision));
    const double sizes[] = {r->m, r->n, r->k, r->batch, r->heads, r->kv_heads, r->head_dim, r->context};
    for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) cell(f, sizes[j], true, 0);
    fprintf(f, ",%.6g,%.6g,%.6g", s->flops, s->bytes, r->time_us);
    for (int p = 0; p < PROFILES; p++) {
      cell(f, s->pred_s[p] * 1e6, false, 6);
      cell(f, s->err[p], true, 4);
    }
    fprintf(f, ",%.4f,%.4f\n", s->flops_frac, s->bw_frac);
  }
  return IC_OK;
}

static ic_status fill_summary(FILE *f, void *ctx) {
  const struct csv_out *o = ctx;
  double *x = malloc(o->n * sizeof *x);
  if (!x) return IC_ENOMEM;
  fputs("profile,group,rows,median_abs_error,p90_abs_error\n", f);
  for (int p = 0; p < PROFILES; p++)
    for (size_t g = 0; g < o->ngroups; g++) {
      double med, p90;
      size_t m = group_stats(&o->groups[g], o->rows, o->res, o->n, p, x, &med, &p90);
      if (m) fprintf(f, "%s,%s,%zu,%.4f,%.4f\n", profile_names[p], o->groups[g].label, m, med, p90);
    }
  free(x);
  return IC_OK;
}

static int write_file(const char *dir, const char *name, ic_out_fill_fn *fill, struct csv_out *o) {
  char *path = ic_out_join(dir, name);
  bool ok = path && ic_out_write(path, fill, o) == IC_OK;
  if (ok) printf("wrote %s\n", path);
  free(path);
  return ok ? 0 : -1;
}

/* DIR/kernels.png from DIR/kernels.csv (plots/kernels.gp); a failed plot leaves the CSV. */
static void plot(const char *dir) {
  char in[PATH_MAX], out[PATH_MAX];
  snprintf(in, sizeof in, "%s/kernels.csv", dir);
  snprintf(out, sizeof out, "%s/kernels.png", dir);
  struct ic_plot_request req;
  ic_plot_request_init(&req, IC_PLOT_KERNELS);
  req.input = in;
  req.output = out;
  ic_plot_render(&req); /* prints what it wrote */
}

static void print_rows(const struct ic_kernel_row *rows, const struct result *res, size_t n) {
  printf("%-8s %-9s %-12s %-5s %-32s %11s %11s %8s %11s %8s %6s %6s\n", "id", "gpu", "kernel", "prec", "shape",
         "measured_us", "roofline_us", "error", "fitted_us", "error", "flops", "bw");
  for (size_t i = 0; i < n; i++) {
    const struct ic_kernel_row *r = &rows[i];
    char sh[96];
    shape(r, sh, sizeof sh);
    printf("%-8s %-9s %-12s %-5s %-32s %11.4g %11.4g %+7.1f%%", r->id, r->gpu, ic_kernel_kind_name(r->kind),
           ic_precision_name(r->precision), sh, r->time_us, res[i].pred_s[0] * 1e6, 100 * res[i].err[0]);
    if (isnan(res[i].pred_s[1])) printf(" %11s %8s", "n/a", "n/a");
    else printf(" %11.4g %+7.1f%%", res[i].pred_s[1] * 1e6, 100 * res[i].err[1]);
    printf(" %5.1f%% %5.1f%%\n", 100 * res[i].flops_frac, 100 * res[i].bw_frac);
  }
}

static void print_summary(const struct ic_kernel_row *rows, const struct result *res, size_t n,
                          const struct group *groups, size_t ngroups) {
  double *x = malloc(n * sizeof *x);
  if (!x) return;
  printf("\n|error| (predicted / measured - 1); flops, bw: achieved fractions of the GPU's peaks\n");
  for (int p = 0; p < PROFILES; p++) {
    printf("profile %s:\n", profile_names[p]);
    bool any = false;
    for (size_t g = 0; g < ngroups; g++) {
      double med, p90;
      size_t m = group_stats(&groups[g], rows, res, n, p, x, &med, &p90);
      if (m) printf("  %-32s rows %3zu  median %6.1f%%  p90 %6.1f%%\n", groups[g].label, m, 100 * med, 100 * p90);
      any = any || m;
    }
    if (!any) printf("  n/a: no entry for any row's GPU and precision\n");
  }
  free(x);
}

static int parse_args(int argc, char **argv, const char **file, const char **dir, bool *want_plot) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      return 1;
    } else if (!strcmp(a, "--kernels")) {
      if (i + 1 < argc && argv[i + 1][0] != '-') *file = argv[++i];
    } else if (!strcmp(a, "--no-plot")) {
      *want_plot = false;
    } else if (!strcmp(a, "-o")) {
      if (++i >= argc) {
        ic_diag("infercost validate", 0, "-o: expected a directory");
        return -1;
      }
      *dir = argv[i];
    } else {
      ic_diag("infercost validate", 0, "unknown option '%s' (see infercost validate --kernels --help)", a);
      return -1;
    }
  }
  return 0;
}

int ic_cli_validate_kernels(int argc, char **argv) {
  const char *file = IC_SOURCE_DIR "/tests/data/published/kernels.csv", *dir = NULL;
  bool want_plot = true;
  int pa = parse_args(argc, argv, &file, &dir, &want_plot);
  if (pa) return pa > 0 ? IC_EXIT_OK : IC_EXIT_BAD_INPUT;
  if (dir && ic_out_check_length("validate -o", dir) != IC_OK) return IC_EXIT_BAD_INPUT;
  struct ic_kernel_row *rows = NULL;
  size_t n = 0;
  ic_status st = ic_kernel_load(file, &rows, &n);
  if (st != IC_OK) return st == IC_ENOMEM ? IC_EXIT_FAILURE : IC_EXIT_BAD_INPUT;
  int rc = IC_EXIT_FAILURE;
  struct result *res = calloc(n, sizeof *res);
  struct ic_scenario *defaults = malloc(sizeof *defaults);
  if (!res || !defaults) goto done;
  ic_scenario_defaults(defaults); /* the roofline profile: the perf keys' defaults */
  for (size_t i = 0; i < n; i++) predict(&rows[i], &defaults->perf, &res[i]);
  printf("# infercost %s validate --kernels: %zu rows of %s\n", IC_VERSION_STRING, n, file);
  print_rows(rows, res, n);
  struct group groups[32];
  size_t ngroups = groups_of(rows, n, groups, sizeof groups / sizeof groups[0]);
  print_summary(rows, res, n, groups, ngroups);
  rc = IC_EXIT_OK;
  if (dir) {
    struct csv_out o = {rows, res, n, groups, ngroups};
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
      ic_diag(dir, 0, "cannot create the output directory: %s", strerror(errno));
      rc = IC_EXIT_FAILURE;
    } else if (write_file(dir, "kernels.csv", fill_rows, &o) || write_file(dir, "kernels_summary.csv", fill_summary, &o)) {
      rc = IC_EXIT_FAILURE;
    } else if (want_plot) {
      plot(dir);
    }
  }
done:
  free(defaults);
  free(res);
  free(rows);
  return rc;
}
