/* cli_train.c: `infercost train`: what a training run costs. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "infercost/outfile.h"
#include "infercost/scenario.h"
#include "infercost/train.h"

static const char usage_train[] =
    "usage: infercost train [SCENARIO] [options]\n"
    "\n"
    "Estimates a training run from the [train] section with the scenario's model,\n"
    "accelerator, server, power and price keys: training FLOPs (6ND + attention),\n"
    "the memory per GPU at the parallelism given, compute time at the given MFU,\n"
    "checkpoint and interruption overhead, wall-clock days, GPU-hours, energy,\n"
    "carbon, and the run's ledger (owned: amortization over the run's days plus\n"
    "energy; rented: GPU-hours x price).\n"
    "\n"
    "options:\n"
    "  -s, --set section.key=value   override one key (repeatable), e.g. -s train.gpus=8192\n"
    "  -o, --output DIR              also write DIR/summary.json and DIR/ledger.csv\n"
    "      --print-scenario          print the resolved scenario first\n"
    "  -q, --quiet                   do not print the report\n"
    "  -h, --help                    this text\n"
    "\n"
    "Sweeps: infercost sweep --train S.ini --vary train.gpus=4096:16384:x2 ...\n"
    "Formulas and the shipped scenarios: docs/training.md.\n";

#define MAX_SETS 256

struct train_args {
  const char *scenario_path, *output_dir;
  const char *sets[MAX_SETS];
  int set_count;
  bool help, quiet, print_scenario;
};

/* 0 ok, else an exit code (reported). */
static int parse_args(int argc, char **argv, struct train_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    bool has_value = !strcmp(o, "-s") || !strcmp(o, "--set") || !strcmp(o, "-o") || !strcmp(o, "--output");
    if (has_value && i + 1 >= argc) {
      ic_diag("infercost", 0, "train: %s needs a value (see infercost train --help)", o);
      return IC_EXIT_BAD_INPUT;
    }
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) a->help = true;
    else if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) a->quiet = true;
    else if (!strcmp(o, "--print-scenario")) a->print_scenario = true;
    else if (!strcmp(o, "-o") || !strcmp(o, "--output")) a->output_dir = argv[++i];
    else if (!strcmp(o, "-s") || !strcmp(o, "--set")) {
      if (a->set_count == MAX_SETS) {
        ic_diag("infercost", 0, "train: too many -s overrides (at most %d)", MAX_SETS);
        return IC_EXIT_BAD_INPUT;
      }
      a->sets[a->set_count++] = argv[++i];
    } else if (o[0] == '-' && o[1]) {
      ic_diag("infercost", 0, "train: unknown option '%s' (see infercost train --help)", o);
      return IC_EXIT_BAD_INPUT;
    } else if (!a->scenario_path) a->scenario_path = o;
    else {
      ic_diag("infercost", 0, "train: more than one scenario given ('%s' and '%s')", a->scenario_path, o);
      return IC_EXIT_BAD_INPUT;
    }
  }
  return 0;
}

/* Defaults, file, -s overrides, the scenario's cross-key checks, then the
 * [train] checks; false after reporting every problem. */
static bool load(const struct train_args *a, struct ic_scenario *s) {
  return ic_scenario_build(s, a->scenario_path, a->sets, (size_t)a->set_count) == IC_OK &&
         ic_scenario_check(s) == IC_OK && ic_train_check(s) == IC_OK;
}

int ic_cli_train(int argc, char **argv) {
  struct train_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  if (a.help) {
    fputs(usage_train, stdout);
    return IC_EXIT_OK;
  }
  static struct ic_scenario s;
  if (!load(&a, &s)) return IC_EXIT_BAD_INPUT;
  if (a.print_scenario) {
    ic_scenario_write(&s, stdout);
    fputc('\n', stdout);
  }
  /* As for run: -o is checked now and its files appear together. */
  ic_outdir *od = NULL;
  if (a.output_dir && !(od = ic_outdir_open(a.output_dir))) return IC_EXIT_BAD_INPUT;
  struct ic_train_result r;
  ic_status st = ic_train_estimate(&s, &r);
  if (st != IC_OK) ic_outdir_free(od);
  if (st == IC_EINVAL || st == IC_ECAPACITY) return IC_EXIT_BAD_INPUT;
  if (st != IC_OK) {
    ic_diag("infercost", 0, "train failed: %s", ic_strerror(st));
    return IC_EXIT_FAILURE;
  }
  if (!a.quiet) ic_train_print(&s, &r, stdout);
  if (od && ic_train_write_dir(&s, &r, ic_outdir_staging(od)) != IC_OK) {
    ic_outdir_free(od);
    return IC_EXIT_FAILURE;
  }
  if (od && ic_outdir_commit(od) != IC_OK) return IC_EXIT_FAILURE;
  return IC_EXIT_OK;
}
