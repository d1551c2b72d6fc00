/* cli_trace.c: `infercost trace stats|fit`: what is in a trace, and a
 * [traffic] section fitted to it. */
#include <errno.h>
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
    "       traces/trace_stats.py; see docs/formats/trace.md)\n"
    "fit    a [traffic] section fitted to the trace (gamma renewal arrivals,\n"
    "       lognormal lengths by maximum likelihood), to stdout or OUT\n"
    "\n"
    "options:\n"
    "  --format F          auto|azure|burstgpt|vidur|generic (default auto: by header)\n"
    "  --time-column C     generic: time column, header name or 1-based number\n"
    "  --prompt-column C   generic: prompt tokens column\n"
    "  --output-column C   generic: output tokens column\n"
    "  --time-unit U       generic: s|ms|us|ns|datetime (default s)\n"
    "  --relative          generic: times are offsets from the trace start\n"
    "  --no-header         generic: the first line is data (columns by number)\n"
    "  --skip-bad-rows     skip and count bad rows instead of failing\n"
    "  -o OUT              fit: write to OUT (replaced only when complete)\n"
    "  -h, --help          this text\n"
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

/* Parses options after the verb; returns the file or NULL (reported). */
static const char *parse_args(int argc, char **argv, struct ic_trace_options *opt, const char **out_path) {
  const char *file = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes = strcmp(a, "--format") == 0 || strcmp(a, "--time-column") == 0 ||
                 strcmp(a, "--prompt-column") == 0 || strcmp(a, "--output-column") == 0 ||
                 strcmp(a, "--time-unit") == 0 || strcmp(a, "-o") == 0;
    if (takes && !v) {
      ic_diag(NULL, 0, "trace: option %s needs a value", a);
      return NULL;
    }
    if (strcmp(a, "--format") == 0) {
      if ((opt->format = choice(IC_TRACE_FORMAT_CHOICES, v)) < 0) {
        ic_diag(NULL, 0, "trace: --format: expected one of %s, got '%s'", IC_TRACE_FORMAT_CHOICES, v);
        return NULL;
      }
    } else if (strcmp(a, "--time-unit") == 0) {
      if ((opt->time_unit = choice(IC_TRACE_TIME_UNIT_CHOICES, v)) < 0) {
        ic_diag(NULL, 0, "trace: --time-unit: expected one of %s, got '%s'", IC_TRACE_TIME_UNIT_CHOICES, v);
        return NULL;
      }
    } else if (strcmp(a, "--time-column") == 0) {
      if (column_opt(opt->time_column, v)) return NULL;
    } else if (strcmp(a, "--prompt-column") == 0) {
      if (column_opt(opt->prompt_column, v)) return NULL;
    } else if (strcmp(a, "--output-column") == 0) {
      if (column_opt(opt->output_column, v)) return NULL;
    } else if (strcmp(a, "-o") == 0) {
      if (!out_path) {
        ic_diag(NULL, 0, "trace %s: -o is only for fit", argv[1]);
        return NULL;
      }
      *out_path = v;
    } else if (strcmp(a, "--relative") == 0) {
      opt->time_relative = true;
      continue;
    } else if (strcmp(a, "--no-header") == 0) {
      opt->no_header = true;
      continue;
    } else if (strcmp(a, "--skip-bad-rows") == 0) {
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

struct fit_out {
  const char *file;
  const struct ic_trace_stats *st;
};

static ic_status fill_fit(FILE *f, void *ctx) {
  const struct fit_out *o = ctx;
  ic_trace_fit_write(f, o->file, o->st);
  return IC_OK;
}

/* Writes the fit to `out_path` (atomically), or to stdout. */
static int write_fit(const char *out_path, const char *file, const struct ic_trace_stats *st) {
  if (!out_path) {
    ic_trace_fit_write(stdout, file, st);
    return fflush(stdout) == 0 ? IC_EXIT_OK : IC_EXIT_FAILURE;
  }
  struct fit_out o = {file, st};
  return ic_out_write(out_path, fill_fit, &o) == IC_OK ? IC_EXIT_OK : IC_EXIT_FAILURE;
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
  const char *out_path = NULL;
  const char *file = parse_args(argc, argv, &opt, fit ? &out_path : NULL);
  if (!file) return IC_EXIT_BAD_INPUT;
  /* An unwritable -o is found before the trace is read, not after. */
  if (out_path && ic_out_check_writable(out_path) != IC_OK) return IC_EXIT_BAD_INPUT;
  struct ic_trace_stats st;
  ic_status status = ic_trace_stats_compute(file, &opt, &st);
  if (status != IC_OK) return exit_code(status);
  if (st.skipped_rows) fprintf(stderr, "%s: skipped %llu bad rows\n", file, (unsigned long long)st.skipped_rows);
  if (fit) return write_fit(out_path, file, &st);
  ic_trace_stats_write(stdout, file, &st);
  return fflush(stdout) == 0 ? IC_EXIT_OK : IC_EXIT_FAILURE;
}
