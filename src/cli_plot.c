/* cli_plot.c: `infercost plot KIND INPUT.csv`: one chart from a table
 * infercost wrote (sweep, time series, ledger, validation). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "infercost/plot.h"

static const char usage[] =
    "usage: infercost plot KIND INPUT.csv [-o OUT] [--format png|svg|both] [--x COLUMN] [--y COLUMN]\n"
    "                      [--by COLUMN] [--target COLUMN<=VALUE | COLUMN>=VALUE]... [--replicas N]\n"
    "\n"
    "Renders a chart with gnuplot (plots/KIND.gp) from a table infercost wrote.\n"
    "\n"
    "kinds:\n"
    "  cost-vs-x    a metric against a varied key, one line per value of --by; every --target\n"
    "               drawn on the right axis; points failing a target or unstable are marked\n"
    "  pareto       cost against latency with the Pareto frontier; failing points marked\n"
    "  timeseries   a day from run -o DIR's timeseries.csv: arrival rate, busy replicas,\n"
    "               IT power, queue length, and the electricity price and carbon intensity\n"
    "               from DIR/hourly.csv when they vary by hour\n"
    "  ledger       cost components as stacked bars: one per sweep row (labelled by --x),\n"
    "               or one for a run's ledger.csv\n"
    "  validation   validate -o DIR's validation.csv: predicted vs measured, log-log\n"
    "  published    validate --published -o DIR's published.csv: predicted vs published, log-log\n"
    "  kernels      validate --kernels -o DIR's kernels.csv: predicted vs measured kernels, log-log\n"
    "\n"
    "options:\n"
    "  -o, --output OUT      image path; the extension follows --format (default: INPUT-KIND.png)\n"
    "  --format png|svg|both (default png, or svg when OUT ends in .svg)\n"
    "  --x COLUMN            x axis (default: cost-vs-x and ledger the table's first column,\n"
    "                        pareto e2e_p99_s)\n"
    "  --y COLUMN            cost-vs-x and pareto y axis (default usd_per_day)\n"
    "  --by COLUMN           cost-vs-x: one line per value of this key (default: one line)\n"
    "  --target COL<=V       cost-vs-x and pareto: a target, drawn and checked (repeatable, up\n"
    "                        to 8; also COL>=V) (default: none)\n"
    "  --replicas N          timeseries: fleet size, shows utilisation as a fraction (default:\n"
    "                        busy replicas as a count)\n"
    "  --max-batch N         timeseries, with --replicas: serving.max_batch, adds batch\n"
    "                        occupancy, running / (replicas x N) (default: not drawn)\n"
    "  -h, --help            this text\n"
    "\n"
    "Columns are found by header name; a missing one is reported before gnuplot runs.\n"
    "Scripts: $IC_PLOTS_DIR, else the installed share/infercost/plots, else the source tree.\n";

/* "e2e_p99_s<=2.5" or "slo_attainment>=0.99" into the request's next target. */
static int parse_target(const char *text, struct ic_plot_request *req, char *column, size_t size) {
  if (req->target_count == IC_PLOT_MAX_TARGETS) {
    ic_diag("infercost plot", 0, "--target: at most %d targets", IC_PLOT_MAX_TARGETS);
    return -1;
  }
  const char *op = strstr(text, "<=");
  bool upper = op != NULL;
  if (!op) op = strstr(text, ">=");
  char *end = NULL;
  double v = op ? strtod(op + 2, &end) : 0.0;
  if (!op || op == text || end == op + 2 || *end || !isfinite(v) || (size_t)(op - text) >= size) {
    ic_diag("infercost plot", 0, "--target: expected COLUMN<=VALUE or COLUMN>=VALUE, got '%s'", text);
    return -1;
  }
  snprintf(column, size, "%.*s", (int)(op - text), text);
  req->targets[req->target_count++] = (struct ic_plot_target){column, upper ? v : (double)NAN, upper ? (double)NAN : v};
  return 0;
}

static int parse_format(const char *text, int *formats) {
  if (text && !strcmp(text, "png")) *formats = IC_PLOT_PNG;
  else if (text && !strcmp(text, "svg")) *formats = IC_PLOT_SVG;
  else if (text && !strcmp(text, "both")) *formats = IC_PLOT_PNG | IC_PLOT_SVG;
  else {
    ic_diag("infercost plot", 0, "--format: expected png, svg or both, got '%s'", text ? text : "(nothing)");
    return -1;
  }
  return 0;
}

/* The value after option argv[*i], or NULL (reported). */
static const char *option_value(int argc, char **argv, int *i) {
  if (*i + 1 < argc) return argv[++*i];
  ic_diag("infercost plot", 0, "%s needs a value (see infercost plot --help)", argv[*i]);
  return NULL;
}

int ic_cli_plot(int argc, char **argv) {
  struct ic_plot_request req;
  ic_plot_request_init(&req, IC_PLOT_COST_VS_X);
  const char *kind = NULL, *input = NULL;
  static char target_columns[IC_PLOT_MAX_TARGETS][256];
  int formats = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      return IC_EXIT_OK;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
      if (!(req.output = option_value(argc, argv, &i))) return IC_EXIT_BAD_INPUT;
    } else if (!strcmp(a, "--format")) {
      if (!(v = option_value(argc, argv, &i)) || parse_format(v, &formats)) return IC_EXIT_BAD_INPUT;
    } else if (!strcmp(a, "--x")) {
      if (!(req.x_column = option_value(argc, argv, &i))) return IC_EXIT_BAD_INPUT;
    } else if (!strcmp(a, "--y")) {
      if (!(req.y_column = option_value(argc, argv, &i))) return IC_EXIT_BAD_INPUT;
    } else if (!strcmp(a, "--target")) {
      if (!(v = option_value(argc, argv, &i)) ||
          parse_target(v, &req, target_columns[req.target_count % IC_PLOT_MAX_TARGETS], sizeof target_columns[0]))
        return IC_EXIT_BAD_INPUT;
    } else if (!strcmp(a, "--by")) {
      if (!(req.by_column = option_value(argc, argv, &i))) return IC_EXIT_BAD_INPUT;
    } else if (!strcmp(a, "--replicas") || !strcmp(a, "--max-batch")) {
      char *end;
      if (!(v = option_value(argc, argv, &i))) return IC_EXIT_BAD_INPUT;
      errno = 0;
      long n = strtol(v, &end, 10);
      if (errno || *end || end == v || n < 1) {
        ic_diag("infercost plot", 0, "%s: expected a whole number >= 1, got '%s'", a, v);
        return IC_EXIT_BAD_INPUT;
      }
      *(a[2] == 'r' ? &req.replicas : &req.max_batch) = n;
    } else if (a[0] == '-' && a[1] != '\0') {
      ic_diag("infercost plot", 0, "unknown option '%s' (see infercost plot --help)", a);
      return IC_EXIT_BAD_INPUT;
    } else if (!kind) {
      kind = a;
    } else if (!input) {
      input = a;
    } else {
      ic_diag("infercost plot", 0, "unexpected argument '%s' (one KIND and one INPUT.csv)", a);
      return IC_EXIT_BAD_INPUT;
    }
  }
  enum ic_plot_kind k;
  if (!kind || !input) {
    ic_diag("infercost plot", 0, "expected KIND INPUT.csv (see infercost plot --help)");
    return IC_EXIT_BAD_INPUT;
  }
  if (ic_plot_kind_parse(kind, &k) != IC_OK) {
    ic_diag("infercost plot", 0, "unknown kind '%s' (kinds: cost-vs-x, pareto, timeseries, ledger, validation, published, kernels)", kind);
    return IC_EXIT_BAD_INPUT;
  }
  req.kind = k;
  req.input = input;
  if (!formats) {
    size_t n = req.output ? strlen(req.output) : 0;
    formats = n > 4 && !strcmp(req.output + n - 4, ".svg") ? IC_PLOT_SVG : IC_PLOT_PNG;
  }
  req.formats = formats;
  ic_status st = ic_plot_render(&req);
  if (st == IC_OK) return IC_EXIT_OK;
  return st == IC_EINVAL ? IC_EXIT_BAD_INPUT : IC_EXIT_FAILURE;
}
