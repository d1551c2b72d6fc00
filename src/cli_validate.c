/* cli_validate.c: `infercost validate`: calibrate the CPU entry on
 * micro-benchmarks, then predict and measure a real fp32 transformer forward
 * pass over many shapes; table, error statistics, CSV and plot. */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "infercost/outfile.h"
#include "ic_version.h"
#include "infercost/calib.h"
#include "infercost/plot.h"

static const char usage[] =
    "usage: infercost validate [--quick] [-o DIR] [--threads N] [--repeats N] [--no-plot]\n"
    "\n"
    "Measures this CPU's peak SGEMM FLOP/s and streaming bandwidth, makes it a\n"
    "hardware entry, predicts fp32 transformer prefill, decode and mixed\n"
    "iterations with the simulator's compute model, and times them on a real\n"
    "forward pass (OpenBLAS). Prints the table and median / p90 |error|.\n"
    "\n"
    "options:\n"
    "  --quick         fewer, smaller shapes and repeats (well under a minute) (default off)\n"
    "  -o DIR          write DIR/validation.csv, DIR/provenance.json and DIR/validation.png\n"
    "                  (plots/validation.gp) (default: print only)\n"
    "  --threads N     OpenBLAS threads for calibration and validation alike (default 1)\n"
    "  --repeats N     timed runs per measurement, fastest kept (default 5; quick 3)\n"
    "  --no-plot       do not run gnuplot (default: plot when -o is given)\n"
    "  --published     instead: predict the published GPU measurements (see validate\n"
    "                  --published --help) (default off)\n"
    "  --kernels [FILE] instead: predict single GPU kernels measured alone (see validate\n"
    "                  --kernels --help) (default off)\n"
    "  -h, --help      this text\n";

enum { MAX_SHAPES = 64 };

/* Parses a whole number in [lo, hi] for option `opt`; reports and fails otherwise. */
static int parse_int(const char *opt, const char *text, long lo, long hi, int *out) {
  char *end;
  errno = 0;
  long v = text ? strtol(text, &end, 10) : 0;
  if (!text || errno || *end || end == text || v < lo || v > hi) {
    ic_diag("infercost validate", 0, "%s: expected a whole number in [%ld, %ld], got '%s'", opt, lo, hi,
            text ? text : "(nothing)");
    return -1;
  }
  *out = (int)v;
  return 0;
}

/* Renders DIR/validation.png from DIR/validation.csv (plots/validation.gp). */
static int plot(const char *dir) {
  char in[PATH_MAX], out[PATH_MAX];
  snprintf(in, sizeof in, "%s/validation.csv", dir);
  snprintf(out, sizeof out, "%s/validation.png", dir);
  struct ic_plot_request req;
  ic_plot_request_init(&req, IC_PLOT_VALIDATION);
  req.input = in;
  req.output = out;
  return ic_plot_render(&req) == IC_OK ? 0 : -1;
}

int ic_cli_validate(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--published")) return ic_cli_validate_published(argc, argv);
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--kernels")) return ic_cli_validate_kernels(argc, argv);
  struct ic_calib_options opt = {.threads = 1, .quick = false, .repeats = 0};
  const char *dir = NULL;
  bool want_plot = true;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      return IC_EXIT_OK;
    } else if (!strcmp(a, "--quick")) {
      opt.quick = true;
    } else if (!strcmp(a, "--no-plot")) {
      want_plot = false;
    } else if (!strcmp(a, "-o")) {
      if (++i >= argc) {
        ic_diag("infercost validate", 0, "-o: expected a directory");
        return IC_EXIT_BAD_INPUT;
      }
      dir = argv[i];
    } else if (!strcmp(a, "--threads")) {
      if (parse_int(a, i + 1 < argc ? argv[++i] : NULL, 1, 256, &opt.threads)) return IC_EXIT_BAD_INPUT;
    } else if (!strcmp(a, "--repeats")) {
      if (parse_int(a, i + 1 < argc ? argv[++i] : NULL, 1, 32, &opt.repeats)) return IC_EXIT_BAD_INPUT;
    } else {
      ic_diag("infercost validate", 0, "unknown option '%s' (see infercost validate --help)", a);
      return IC_EXIT_BAD_INPUT;
    }
  }
  if (dir && ic_out_check_length("validate -o", dir) != IC_OK) return IC_EXIT_BAD_INPUT;
  if (dir && mkdir(dir, 0777) != 0 && errno != EEXIST) {
    ic_diag(dir, 0, "cannot create the output directory: %s", strerror(errno));
    return IC_EXIT_FAILURE;
  }

  struct ic_calib cal;
  printf("# infercost %s validate%s, %d thread(s)\n", IC_VERSION_STRING, opt.quick ? " --quick" : "", opt.threads);
  if (ic_calib_measure(&cal, &opt) != IC_OK) {
    ic_diag("infercost validate", 0, "calibration failed (out of memory?)");
    return IC_EXIT_FAILURE;
  }
  printf("calibration: SGEMM %lld^3 %.1f GFLOP/s; streaming dot %.2f GB/s over %.0f MiB; "
         "skinny-GEMM pass %.1f FLOP/weight\n",
         (long long)cal.gemm_n, cal.gemm_flops_per_s / 1e9, cal.stream_bytes_per_s / 1e9,
         cal.stream_bytes / 1048576.0, cal.weight_pass_flops);
  struct ic_perf_params cpu = ic_calib_cpu_params(&cal);
  printf("calibration: attention prefill %.1f GFLOP/s (efficiency %.2f), decode KV read %.2f GB/s "
         "(efficiency %.2f)\n",
         cal.attn_flops_per_s / 1e9, cpu.attention_compute_efficiency, cal.attn_kv_bytes_per_s / 1e9,
         cpu.attention_memory_efficiency);
  struct ic_model_spec m;
  ic_calib_model(&m, opt.quick);
  printf("model: %lld layers, hidden %lld, %lld heads (%lld KV), FFN %lld gated, fp32 (%.1f M parameters)\n",
         (long long)m.layers, (long long)m.hidden, (long long)m.heads, (long long)m.kv_heads, (long long)m.ffn,
         ic_model_params(&m) / 1e6);

  struct ic_calib_shape shapes[MAX_SHAPES];
  struct ic_calib_row rows[MAX_SHAPES];
  size_t n = ic_calib_shapes(opt.quick, shapes, MAX_SHAPES);
  ic_status st = ic_calib_validate(&cal, &opt, shapes, rows, n, stdout);
  if (st != IC_OK) {
    ic_diag("infercost validate", 0, "validation failed: %s", ic_strerror(st));
    return IC_EXIT_FAILURE;
  }
  double med, p90;
  ic_calib_error_stats(rows, n, &med, &p90);
  printf("shapes: %zu; |error| median %.1f%%, p90 %.1f%%\n", n, 100.0 * med, 100.0 * p90);
  if (dir) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/validation.csv", dir);
    if (ic_calib_write_csv(&cal, rows, n, path) != IC_OK) return IC_EXIT_FAILURE;
    printf("wrote %s\n", path);
    if (want_plot) plot(dir); /* prints what it wrote; a failed plot leaves the CSV */
  }
  return IC_EXIT_OK;
}
