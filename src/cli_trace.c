/* cli_trace.c: `infercost trace stats|fit`: what is in a trace, and a
 * [traffic] section fitted to it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "infercost/outfile.h"
#include "infercost/status.h"
#include "infercost/trace.h"


static const char usage[] =
    "usage: infercost trace stats [OPTIONS] FILE\n"
    "       infercost trace fit [OPTIONS] FILE [-o OUT]\n"
    "\n"
    "stats  rows, span, mean and peak 1-minute rate, token mean / median / p99,\n"
    "       coefficient of variation of inter-arrival times (definitions as\n"
    "       docs/formats/trace.md; reference: tests/trace_stats_ref.py); with\n"
    "       block ids, the token hit rate of an unbounded prefix cache\n"
    "fit    a [traffic] section that reproduces the trace (gamma arrivals with\n"
    "       the CV of window counts, its rate profile, its length histogram),\n"
    "       to stdout or OUT (docs/traffic.md)\n"
    "\n"
    "options:\n"
    "  --format F          auto|azure|burstgpt|vidur|generic|mooncake|jsonl\n"
    "                      (default auto: by header; a line starting with { is mooncake)\n"
    "  --time-column C     generic, jsonl: time column or field (name or 1-based number)\n"
    "                      (default: none)\n"
    "  --prompt-column C   generic, jsonl: prompt tokens column or field (default: none)\n"
    "  --output-column C   generic, jsonl: output tokens column or field (default: none)\n"
    "  --time-unit U       generic, jsonl: s|ms|us|ns|datetime (default s)\n"
    "  --relative          generic, jsonl: times are offsets from the trace start (default off)\n"
    "  --no-header         generic: the first line is data (columns by number) (default off)\n"
    "  --skip-bad-rows     skip and count bad rows instead of failing (default off)\n"
    "  --block-tokens N    tokens per block of hash ids (default 512)\n"
    "  --hash-field F      jsonl: field with the block ids (default: none)\n"
    "  --class-field F     column (CSV: name or number) or field naming the class\n"
    "                      (default: none, one class)\n"
    "  -o OUT              fit: write to OUT (replaced only when complete) (default stdout)\n"
    "  --lengths L         fit: empirical (default: the trace's histogram) or\n"
    "                      lognormal (maximum-likelihood sigma, mean kept)\n"
    "  --grow X            fit: X times the trace's volume (default 1)\n"
    "  --horizon-days D    fit: and the fitted growth trend D days past the end\n"
    "                      (traces of 14 whole days or more) (default 0)\n"
    "  --check             fit: generate from the fitted section and compare it\n"
    "                      with the trace (rate, token volume, quantiles, peak\n"
    "                      minute), on stderr (default off)\n"
    "  --check-periods K   fit --check: profile periods generated (default 20;\n"
    "                      1 for traces of 2 days or more)\n"
    "  --seed S            fit --check: seed (default 42)\n"
    "  -h, --help          this text\n"
    "\n"
    "FILE may be gzip-compressed, or - for standard input (stats; fit with\n"
    "--lengths lognormal).\n"
    "\n"
    "exit status: 0 ok, 2 bad input (reported as FILE:LINE: ...), 1 failure\n";

static int choice(const char *choices, const char *text) {
  int idx = 0;
  size_t n = strlen(text);
  for (const char *p = choices; p; idx++) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncmp(p, text, n) == 0) return idx;
    p = bar ? bar + 1 : NULL;
  }
  return -1;
}

static int column_opt(char *dst, const char *value) {
  if (strlen(value) >= IC_TRACE_COLUMN_MAX) {
    ic_diag(NULL, 0, "trace: column name '%s' is longer than %d characters", value, IC_TRACE_COLUMN_MAX - 1);
    return -1;
  }
  strcpy(dst, value);
  return 0;
}

/* What `trace fit` is asked for beyond the reader's options. */
struct fit_args {
  const char *out_path;
  struct ic_trace_fit_options fo;
  bool check;
  double periods;
  double seed;
};

/* A number in [lo, hi] for option `name`; false (reported) otherwise. */
static bool number_opt(const char *name, const char *v, double lo, double hi, double *out) {
  char *end;
  double x = strtod(v, &end);
  if (!*v || *end || !(x >= lo && x <= hi)) {
    ic_diag(NULL, 0, "trace: %s: expected a number from %g to %g, got '%s'", name, lo, hi, v);
    return false;
  }
  *out = x;
  return true;
}

static bool is(const char *a, const char *name) { return strcmp(a, name) == 0; }

/* Options of `fit` only; -1 not one of them, 0 bad (reported), 1 taken. */
static int fit_opt(const char *a, const char *v, struct fit_args *fa) {
  double x;
  if (is(a, "-o")) fa->out_path = v;
  else if (is(a, "--lengths")) {
    if (!is(v, "empirical") && !is(v, "lognormal")) {
      ic_diag(NULL, 0, "trace: --lengths: expected empirical or lognormal, got '%s'", v);
      return 0;
    }
    fa->fo.lognormal = is(v, "lognormal");
  } else if (is(a, "--grow")) {
    if (!number_opt(a, v, 1e-6, 1e6, &fa->fo.grow)) return 0;
  } else if (is(a, "--horizon-days")) {
    if (!number_opt(a, v, 0, 36500, &fa->fo.horizon_days)) return 0;
  } else if (is(a, "--check-periods")) {
    if (!number_opt(a, v, 1, 10000, &x)) return 0;
    fa->periods = floor(x);
  } else if (is(a, "--seed")) {
    if (!number_opt(a, v, 0, 9e15, &x)) return 0;
    fa->seed = floor(x);
  } else {
    return -1;
  }
  return 1;
}

/* Parses options after the verb; returns the file or NULL (reported).
 * `fa` is NULL for stats. */
static const char *parse_args(int argc, char **argv, struct ic_trace_options *opt, struct fit_args *fa) {
  static const char *const fit_only[] = {"-o", "--lengths", "--grow", "--horizon-days", "--check-periods", "--seed"};
  const char *file = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes = is(a, "--format") || is(a, "--time-column") || is(a, "--prompt-column") || is(a, "--output-column") ||
                 is(a, "--time-unit") || is(a, "--block-tokens") || is(a, "--hash-field") || is(a, "--class-field");
    for (size_t k = 0; k < sizeof fit_only / sizeof *fit_only; k++) takes = takes || is(a, fit_only[k]);
    if (takes && !v) {
      ic_diag(NULL, 0, "trace: option %s needs a value", a);
      return NULL;
    }
    bool fit_flag = is(a, "--check");
    for (size_t k = 0; k < sizeof fit_only / sizeof *fit_only; k++) fit_flag = fit_flag || is(a, fit_only[k]);
    if (fit_flag && !fa) {
      ic_diag(NULL, 0, "trace %s: %s is only for fit", argv[1], a);
      return NULL;
    }
    double x;
    if (is(a, "--format")) {
      if ((opt->format = choice(IC_TRACE_FORMAT_CHOICES, v)) < 0) {
        ic_diag(NULL, 0, "trace: --format: expected one of %s, got '%s'", IC_TRACE_FORMAT_CHOICES, v);
        return NULL;
      }
    } else if (is(a, "--time-unit")) {
      if ((opt->time_unit = choice(IC_TRACE_TIME_UNIT_CHOICES, v)) < 0) {
        ic_diag(NULL, 0, "trace: --time-unit: expected one of %s, got '%s'", IC_TRACE_TIME_UNIT_CHOICES, v);
        return NULL;
      }
    } else if (is(a, "--time-column")) {
      if (column_opt(opt->time_column, v)) return NULL;
    } else if (is(a, "--prompt-column")) {
      if (column_opt(opt->prompt_column, v)) return NULL;
    } else if (is(a, "--output-column")) {
      if (column_opt(opt->output_column, v)) return NULL;
    } else if (is(a, "--hash-field")) {
      if (column_opt(opt->hash_column, v)) return NULL;
    } else if (is(a, "--class-field")) {
      if (column_opt(opt->class_column, v)) return NULL;
    } else if (is(a, "--block-tokens")) {
      if (!number_opt(a, v, 1, 1048576, &x)) return NULL;
      opt->block_tokens = (int64_t)x;
    } else if (fa && takes) {
      if (fit_opt(a, v, fa) != 1) return NULL;
    } else if (is(a, "--check")) {
      fa->check = true;
      continue;
    } else if (is(a, "--relative")) {
      opt->time_relative = true;
      continue;
    } else if (is(a, "--no-header")) {
      opt->no_header = true;
      continue;
    } else if (is(a, "--skip-bad-rows")) {
      opt->skip_bad_rows = true;
      continue;
    } else if (a[0] == '-' && a[1]) {
      ic_diag(NULL, 0, "trace: unknown option '%s' (see infercost trace --help)", a);
      return NULL;
    } else {
      if (file) {
        ic_diag(NULL, 0, "trace: one FILE expected, got '%s' and '%s'", file, a);
        return NULL;
      }
      file = a;
      continue;
    }
    i++; /* the option's value */
  }
  if (!file) ic_diag(NULL, 0, "trace %s: missing FILE (see infercost trace --help)", argv[1]);
  return file;
}

static int exit_code(ic_status st) {
  return st == IC_OK ? IC_EXIT_OK : (st == IC_EINVAL || st == IC_EIO) ? IC_EXIT_BAD_INPUT : IC_EXIT_FAILURE;
}

/* The fitted section as text (malloc'd), or NULL (reported). */
static char *fit_text(const char *file, const struct ic_trace_options *opt, const struct ic_trace_stats *st,
                      const struct fit_args *fa, ic_status *status) {
  FILE *f = tmpfile();
  char *text = NULL;
  *status = IC_ENOMEM;
  if (!f) return NULL;
  if ((*status = ic_trace_fit_write(f, file, opt, st, &fa->fo)) == IC_OK) {
    long n = ftell(f);
    *status = IC_ENOMEM;
    if (n >= 0 && (text = malloc((size_t)n + 1)) != NULL) {
      rewind(f);
      size_t got = fread(text, 1, (size_t)n, f);
      text[got] = '\0';
      *status = got == (size_t)n ? IC_OK : IC_EIO;
    }
  }
  fclose(f);
  if (*status != IC_OK) {
    free(text);
    text = NULL;
  }
  return text;
}

static ic_status fill_text(FILE *f, void *ctx) { return fputs(ctx, f) >= 0 ? IC_OK : IC_EIO; }

/* Writes `text` to `out_path` atomically (outfile), to stdout when NULL. */
static int write_text(const char *out_path, char *text) {
  if (!out_path) {
    fputs(text, stdout);
    return fflush(stdout) == 0 ? IC_EXIT_OK : IC_EXIT_FAILURE;
  }
  return ic_out_write(out_path, fill_text, text) == IC_OK ? IC_EXIT_OK : IC_EXIT_FAILURE;
}

int ic_cli_trace(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? IC_EXIT_BAD_INPUT : IC_EXIT_OK;
  }
  for (int i = 2; i < argc; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return IC_EXIT_OK;
    }
  bool fit = strcmp(argv[1], "fit") == 0;
  if (!fit && strcmp(argv[1], "stats") != 0) {
    ic_diag(NULL, 0, "trace: unknown command '%s': expected stats or fit", argv[1]);
    return IC_EXIT_BAD_INPUT;
  }
  struct ic_trace_options opt = {0};
  struct fit_args fa = {.fo = {.grow = 1}, .periods = 0, .seed = 42};
  const char *file = parse_args(argc, argv, &opt, fit ? &fa : NULL);
  if (!file) return IC_EXIT_BAD_INPUT;
  /* An unwritable -o is found before the trace is read, not after. */
  if (fit && fa.out_path && ic_out_check_writable(fa.out_path) != IC_OK) return IC_EXIT_BAD_INPUT;
  struct ic_trace_stats st;
  ic_status status = ic_trace_stats_compute(file, &opt, &st);
  if (status != IC_OK) return exit_code(status);
  if (st.skipped_rows) fprintf(stderr, "%s: skipped %llu bad rows\n", file, (unsigned long long)st.skipped_rows);
  if (!fit) {
    ic_trace_stats_write(stdout, file, &st);
    return fflush(stdout) == 0 ? IC_EXIT_OK : IC_EXIT_FAILURE;
  }
  char *text = fit_text(file, &opt, &st, &fa, &status);
  if (!text) return exit_code(status);
  int rc = IC_EXIT_OK;
  /* default: 20 repeats of a sub-day profile, one pass over a multi-day one */
  if (fa.periods == 0) fa.periods = st.fit.multi_day ? 1 : 20;
  if (fa.check) rc = ic__cli_trace_check(file, text, &st, (int)fa.periods, (uint64_t)fa.seed, stderr);
  if (rc == IC_EXIT_OK) rc = write_text(fa.out_path, text);
  free(text);
  return rc;
}
