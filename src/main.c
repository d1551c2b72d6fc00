/* main.c: the command line. Thin: parse arguments, call the library, map
 * statuses to exit codes (0 ok, 2 bad input, 1 runtime failure). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ic_version.h"
#include "infercost/outfile.h"
#include "infercost/plot.h"
#include "infercost/report.h"
#include "infercost/run.h"
#include "infercost/scenario.h"
#include "infercost/status.h"
#include "infercost/sweep.h"

static const char usage_main[] =
    "usage: infercost <command> [options]\n"
    "\n"
    "What does it cost per day to serve this LLM traffic with this fleet?\n"
    "\n"
    "commands:\n"
    "  run [SCENARIO] [-s section.key=value]... [-o DIR]   simulate and print the per-day ledger\n"
    "  scenario [SCENARIO] [-s section.key=value]...       print the resolved scenario, defaults included\n"
    "  validate [--quick] [-o DIR]                         check the compute model against this CPU\n"
    "  validate --published [--quick] [-o DIR]             ... and against published GPU measurements\n"
    "  validate --kernels [FILE] [-o DIR]                  ... and against single GPU kernels measured alone\n"
    "  trace stats|fit FILE                                describe or fit a request trace\n"
    "  sweep [SCENARIO] --vary key=VALUES... [-o FILE]     run a grid of variants into one CSV\n"
    "  search [SCENARIO] --target METRIC<=V... [--vary ..] cheapest configuration meeting targets\n"
    "  plot KIND INPUT.csv [-o OUT]                        chart a sweep, time series, ledger or validation\n"
    "  train [SCENARIO] [-s train.key=value]... [-o DIR]   what a training run costs (docs/training.md)\n"
    "  help [COMMAND], --help, --version\n"
    "\n"
    "With no SCENARIO, the built-in default (a ChatGPT-like service) is used.\n"
    "Exit codes: 0 ok, 2 bad input, 1 runtime failure, 3 search: no configuration meets\n"
    "the targets. Manual: man infercost; docs/ in the source tree.\n";

static const char usage_run[] =
    "usage: infercost run [SCENARIO] [options]\n"
    "\n"
    "Simulates the scenario (default: built-in ChatGPT-like service) and prints the\n"
    "per-day ledger: energy, cooling, amortization, cost per query and per million\n"
    "output tokens, energy per query, latency and utilisation.\n"
    "\n"
    "options:\n"
    "  -s, --set section.key=value   override one key (repeatable), validated like the file\n"
    "                                (default: none)\n"
    "  -o, --output DIR              also write summary.json, ledger.csv, metrics.csv, hourly.csv,\n"
    "                                timeseries.csv, distributions.csv and provenance.json to DIR\n"
    "                                (default: no files)\n"
    "      --plot                    with -o: also render DIR's default charts (ledger.png,\n"
    "                                timeseries.png) (default off)\n"
    "      --print-scenario          print the resolved scenario before running (default off)\n"
    "  -q, --quiet                   do not print the ledger nor the progress line (default: the\n"
    "                                ledger, and progress on stderr when it is a terminal)\n"
    "  -h, --help                    this text\n"
    "\n"
    "Keys and defaults: `infercost scenario` or docs/scenario-format.md.\n"
    "Exit codes: 0 ok, 2 bad input (scenario, trace, option), 1 runtime failure.\n";

static const char usage_scenario[] =
    "usage: infercost scenario [SCENARIO] [-s section.key=value]...\n"
    "\n"
    "Prints the resolved scenario, every key with its value, unit and meaning, in\n"
    "the scenario file format (it can be saved and edited).\n"
    "\n"
    "options:\n"
    "  -s, --set section.key=value   override one key (repeatable) (default: none)\n"
    "  -h, --help                    this text\n";

struct run_args {
  const char *scenario_path;
  const char *output_dir;
  const char *overrides[256];
  int override_count;
  int print_scenario;
  int quiet;
  int help;
  int plot;
};

/* Parses the options shared by run and scenario; 0 ok, else an exit code. */
static int parse_run_args(int argc, char **argv, struct run_args *a, int allow_output) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      a->help = 1;
    } else if (!strcmp(arg, "-s") || !strcmp(arg, "--set")) {
      if (i + 1 >= argc) {
        ic_diag("infercost", 0, "%s needs section.key=value", arg);
        return IC_EXIT_BAD_INPUT;
      }
      if (a->override_count == 256) {
        ic_diag("infercost", 0, "too many -s overrides (at most 256)");
        return IC_EXIT_BAD_INPUT;
      }
      a->overrides[a->override_count++] = argv[++i];
    } else if (!strncmp(arg, "--set=", 6)) {
      if (a->override_count == 256) {
        ic_diag("infercost", 0, "too many -s overrides (at most 256)");
        return IC_EXIT_BAD_INPUT;
      }
      a->overrides[a->override_count++] = arg + 6;
    } else if (allow_output && (!strcmp(arg, "-o") || !strcmp(arg, "--output"))) {
      if (i + 1 >= argc) {
        ic_diag("infercost", 0, "%s needs a directory", arg);
        return IC_EXIT_BAD_INPUT;
      }
      a->output_dir = argv[++i];
    } else if (allow_output && !strcmp(arg, "--plot")) {
      a->plot = 1;
    } else if (allow_output && !strcmp(arg, "--print-scenario")) {
      a->print_scenario = 1;
    } else if (allow_output && (!strcmp(arg, "-q") || !strcmp(arg, "--quiet"))) {
      a->quiet = 1;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      ic_diag("infercost", 0, "%s: unknown option '%s' (see infercost %s --help)", argv[0], arg, argv[0]);
      return IC_EXIT_BAD_INPUT;
    } else if (!a->scenario_path) {
      a->scenario_path = arg;
    } else {
      ic_diag("infercost", 0, "%s: more than one scenario given ('%s' and '%s')", argv[0], a->scenario_path, arg);
      return IC_EXIT_BAD_INPUT;
    }
  }
  return 0;
}

/* Builds the scenario: defaults, then the file, then -s overrides, then
 * cross-key checks. */
static int load_scenario(const struct run_args *a, struct ic_scenario *s) {
  ic_status st = ic_scenario_build(s, a->scenario_path, a->overrides, (size_t)a->override_count);
  if (st == IC_OK) st = ic_scenario_check(s);
  return st == IC_OK ? 0 : IC_EXIT_BAD_INPUT;
}

static int cmd_scenario(int argc, char **argv) {
  struct run_args a;
  int rc = parse_run_args(argc, argv, &a, 0);
  if (rc) return rc;
  if (a.help) {
    fputs(usage_scenario, stdout);
    return IC_EXIT_OK;
  }
  static struct ic_scenario s;
  rc = load_scenario(&a, &s);
  if (rc) return rc;
  ic_scenario_write(&s, stdout);
  return IC_EXIT_OK;
}

static void discard_diag(void *ctx, const char *line) { (void)ctx, (void)line; }

static int cmd_run(int argc, char **argv) {
  struct run_args a;
  int rc = parse_run_args(argc, argv, &a, 1);
  if (rc) return rc;
  if (a.help) {
    fputs(usage_run, stdout);
    return IC_EXIT_OK;
  }
  if (a.plot && !a.output_dir) {
    ic_diag("infercost", 0, "run: --plot needs -o DIR (the charts go next to the outputs)");
    return IC_EXIT_BAD_INPUT;
  }
  static struct ic_scenario s;
  rc = load_scenario(&a, &s);
  if (rc) return rc;
  /* Under mpirun the ranks share run.shards' shards; rank 0 alone prints
   * and writes (the others' problems are rank 0's too). */
  if (ic_sweep_mpi_begin() != IC_OK) return IC_EXIT_FAILURE;
  atexit(ic_sweep_mpi_end);
  if (ic_sweep_mpi_rank() != 0) {
    ic_diag_set_sink(discard_diag, NULL);
    if (s.run.shards <= 1) return IC_EXIT_OK;
    static struct ic_run_result mine;
    ic_status st = ic_run_scenario_with(&s, &mine, a.output_dir, false); /* writes nothing off rank 0 */
    return st == IC_OK ? IC_EXIT_OK : st == IC_EINVAL || st == IC_ECAPACITY ? IC_EXIT_BAD_INPUT : IC_EXIT_FAILURE;
  }
  if (a.print_scenario) {
    ic_scenario_write(&s, stdout);
    fputc('\n', stdout);
  }
  /* Outputs are staged and appear together at the end; making the staging
   * directory now proves -o writable before the simulation runs. */
  ic_outdir *od = NULL;
  if (a.output_dir && !(od = ic_outdir_open(a.output_dir))) return IC_EXIT_BAD_INPUT;
  const char *stage = od ? ic_outdir_staging(od) : NULL;
  struct ic_run_result r;
  ic_status st = ic_run_scenario_with(&s, &r, stage, !a.quiet); /* writes STAGE/timeseries.csv */
  if (st == IC_EINVAL || st == IC_ECAPACITY) {
    ic_outdir_free(od);
    return IC_EXIT_BAD_INPUT;
  }
  if (st != IC_OK) {
    ic_diag("infercost", 0, "run failed: %s", ic_strerror(st));
    ic_outdir_free(od);
    return IC_EXIT_FAILURE;
  }
  ic_report_warn(&s, &r, stderr);
  if (!a.quiet) ic_report_print(&s, &r, stdout);
  /* Warnings reach stderr whatever -q says. */
  fflush(stdout);
  ic_run_print_overload(&r, stderr);
  if (a.quiet && !r.overloaded && !(r.stable > 0)) /* without -q the report says it */
    fprintf(stderr, "warning: the fleet is overloaded: queues grew through the window (stable = 0), so latency "
                    "depends on its length. Add replicas or raise serving.max_batch.\n");
  if (od && (ic_report_write_dir(&s, &r, stage) != IC_OK ||
             (a.plot && ic_plot_run_dir(stage, IC_PLOT_PNG, (long)r.replicas, (long)s.serving.max_batch) != IC_OK))) {
    ic_outdir_free(od);
    return IC_EXIT_FAILURE;
  }
  if (od && ic_outdir_commit(od) != IC_OK) return IC_EXIT_FAILURE;
  return IC_EXIT_OK;
}

struct command {
  const char *name;
  int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", cmd_run},
    {"scenario", cmd_scenario},
    {"validate", ic_cli_validate},
    {"trace", ic_cli_trace},
    {"sweep", ic_cli_sweep},
    {"search", ic_cli_search},
    {"plot", ic_cli_plot},
    {"train", ic_cli_train},
};

int main(int argc, char **argv) {
  ic_gsl_quiet();
  ic_out_catch_signals();
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(usage_main, argc < 2 ? stderr : stdout);
    return argc < 2 ? IC_EXIT_BAD_INPUT : IC_EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("infercost %s\n", IC_VERSION_STRING);
    return IC_EXIT_OK;
  }
  if (!strcmp(argv[1], "help")) {
    if (argc < 3) {
      fputs(usage_main, stdout);
      return IC_EXIT_OK;
    }
    static char *help_argv[3];
    help_argv[0] = argv[2];
    help_argv[1] = (char *)"--help";
    argv = help_argv;
    argc = 2;
  } else {
    argv++;
    argc--;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[0], commands[i].name)) return commands[i].fn(argc, argv);
  ic_diag("infercost", 0, "unknown command '%s' (commands: run, scenario, validate, trace, sweep, search, plot, train; see infercost --help)",
          argv[0]);
  return IC_EXIT_BAD_INPUT;
}
