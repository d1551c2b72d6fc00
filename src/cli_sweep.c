/* cli_sweep.c: `infercost sweep` and `infercost search`: argument parsing
 * and printing around the sweep and search modules. */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "infercost/job.h"
#include "infercost/outfile.h"
#include "infercost/report.h"

static const char usage_sweep[] =
    "usage: infercost sweep [SCENARIO] --vary section.key=VALUES... [options]\n"
    "\n"
    "Runs the scenario at every point of the Cartesian product of the --vary axes\n"
    "(the first --vary is the outermost loop) and writes one CSV row per point:\n"
    "the varied keys, seed, runs, status and every headline metric.\n"
    "\n"
    "VALUES: a list 1,8,32,128 (numbers or names: h100-sxm,h200), a linear range\n"
    "LO:HI:STEP (both ends included), a geometric range LO:HI:xFACTOR, or\n"
    "COUNT log-spaced values LO:HI:logCOUNT. Integer keys round range values.\n"
    "\n"
    "options:\n"
    "  --vary section.key=VALUES   an axis (repeatable, at most 16; no default: at least one)\n"
    "  -s, --set section.key=value override one key for every point (repeatable; default: none)\n"
    "  --seeds N                   N replications per point (run.run = run, run+1, ...);\n"
    "                              columns become means with METRIC_ci95 half-widths (default 1)\n"
    "  --target METRIC<=VALUE      add a meets_targets column (1/0); repeatable (default: none)\n"
    "  --workers N                 local worker processes (default: online CPUs)\n"
    "  --train                     each point is a training estimate (infercost train):\n"
    "                              columns are the train metrics (gpu_hours, wall_days,\n"
    "                              total_usd...; docs/training.md); no --target (default off)\n"
    "  -o, --output FILE           write the CSV to FILE (replaced only when complete) and its\n"
    "                              provenance to FILE's .meta.json (default: CSV on stdout)\n"
    "  -q, --quiet                 no progress bar (default: shown on a terminal)\n"
    "  -h, --help                  this text\n"
    "\n"
    "Under `mpirun -np N` (when built with MPI) the points are spread over the ranks;\n"
    "the CSV is byte-identical to a serial run. See docs/sweeps.md.\n";

static const char usage_search[] =
    "usage: infercost search [SCENARIO] --target METRIC<=VALUE... [options]\n"
    "\n"
    "Finds the cheapest configuration per day meeting every target over the\n"
    "--vary axes (e.g. serving.max_batch, fleet.gpu, fleet.gpus_per_replica) and\n"
    "fleet size: for each combination it bisects on fleet.nodes for the smallest\n"
    "fleet that meets the targets (more nodes never hurt latency), then takes the\n"
    "cheapest, and reports how many simulations it ran.\n"
    "\n"
    "options:\n"
    "  --target METRIC<=VALUE      a target on a headline metric (<, <=, >, >=; repeatable;\n"
    "                              no default: at least one)\n"
    "  --vary section.key=VALUES   a discrete dimension, same syntax as sweep (repeatable;\n"
    "                              default: none, fleet size only)\n"
    "  --nodes VALUES              fleet sizes to consider, ascending\n"
    "                              (default 1:N:1, N = the scenario's fleet.nodes);\n"
    "                              KEY=VALUES bisects a pool's: pool.NAME.nodes=1:8:1\n"
    "  --allow-unstable            also accept configurations whose queues grow through\n"
    "                              the window (default: stable>=1 is an implicit target)\n"
    "  -s, --set section.key=value override one key (repeatable; default: none)\n"
    "  --seeds N                   replications per point; targets apply to the mean (default 1)\n"
    "  --workers N                 local worker processes (default: online CPUs)\n"
    "  --top N                     also list the N cheapest configurations meeting the\n"
    "                              targets, each at its smallest fleet (default 1: the cheapest)\n"
    "  -o, --output FILE           write every evaluated configuration to FILE (CSV: sweep's\n"
    "                              columns, combination, step, pareto_METRIC per target) and its\n"
    "                              provenance to FILE's .meta.json (default: no file)\n"
    "  --format text|json          how the answer is printed on stdout (default text)\n"
    "  -q, --quiet                 no progress bar (default: shown on a terminal)\n"
    "  -h, --help                  this text\n"
    "\n"
    "Exit codes: 0 a configuration was found, 3 none meets the targets, 2 bad input,\n"
    "1 runtime failure. When fleet.gpu varies and fleet.server does not, the server\n"
    "follows the GPU (h100-sxm in a dgx-h100...). See docs/sweeps.md.\n";

#define MAX_SETS 256
#define MAX_TARGETS IC_JOB_MAX_TARGETS

struct sweep_args {
  const char *scenario_path, *output, *nodes;
  const char *sets[MAX_SETS];
  const char *vary[IC_SWEEP_MAX_AXES];
  const char *targets[MAX_TARGETS];
  int set_count, vary_count, target_count;
  int64_t runs;
  long workers, top;
  bool quiet, help, allow_unstable, json, train;
};

static bool parse_count(const char *opt, const char *text, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end || errno || v < 1 || v > max) {
    ic_diag("infercost", 0, "%s: expected a whole number in [1, %ld], got '%s'", opt, max, text);
    return false;
  }
  *out = v;
  return true;
}

/* Takes a repeatable option's value into list[*n]. */
static bool take(const char *opt, const char *value, const char **list, int *n, int max) {
  if (*n == max) {
    ic_diag("infercost", 0, "too many %s options (at most %d)", opt, max);
    return false;
  }
  list[(*n)++] = value;
  return true;
}

/* 0 ok, else an exit code (reported). `search` allows --target and --nodes. */
static int parse_args(int argc, char **argv, struct sweep_args *a, bool search) {
  memset(a, 0, sizeof *a);
  a->runs = 1;
  a->top = 1;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  a->workers = cpus > 0 ? cpus : 1;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    bool has_value = !strcmp(o, "--vary") || !strcmp(o, "-s") || !strcmp(o, "--set") || !strcmp(o, "--seeds") ||
                     !strcmp(o, "--workers") || !strcmp(o, "-o") || !strcmp(o, "--output") ||
                     !strcmp(o, "--target") ||
                     (search && (!strcmp(o, "--nodes") || !strcmp(o, "--top") || !strcmp(o, "--format")));
    if (has_value && i + 1 >= argc) {
      ic_diag("infercost", 0, "%s needs a value (see infercost %s --help)", o, argv[0]);
      return IC_EXIT_BAD_INPUT;
    }
    const char *v = has_value ? argv[++i] : NULL;
    long n = 0;
    bool ok = true;
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) a->help = true;
    else if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) a->quiet = true;
    else if (search && !strcmp(o, "--allow-unstable")) a->allow_unstable = true;
    else if (!search && !strcmp(o, "--train")) a->train = true;
    else if (!strcmp(o, "--vary")) ok = take(o, v, a->vary, &a->vary_count, IC_SWEEP_MAX_AXES);
    else if (!strcmp(o, "-s") || !strcmp(o, "--set")) ok = take(o, v, a->sets, &a->set_count, MAX_SETS);
    else if (!strcmp(o, "--target")) ok = take(o, v, a->targets, &a->target_count, MAX_TARGETS);
    else if (search && !strcmp(o, "--nodes")) a->nodes = v;
    else if (!strcmp(o, "-o") || !strcmp(o, "--output")) a->output = v;
    else if (search && !strcmp(o, "--top")) ok = parse_count(o, v, 1000000, &a->top);
    else if (search && !strcmp(o, "--format")) {
      a->json = !strcmp(v, "json");
      if (!a->json && strcmp(v, "text")) {
        ic_diag("infercost", 0, "--format: expected text or json, got '%s'", v);
        ok = false;
      }
    }
    else if (!strcmp(o, "--seeds")) ok = parse_count(o, v, 10000, &n), a->runs = n;
    else if (!strcmp(o, "--workers")) ok = parse_count(o, v, 4096, &a->workers);
    else if (o[0] == '-' && o[1]) {
      ic_diag("infercost", 0, "%s: unknown option '%s' (see infercost %s --help)", argv[0], o, argv[0]);
      return IC_EXIT_BAD_INPUT;
    } else if (!a->scenario_path) a->scenario_path = o;
    else {
      ic_diag("infercost", 0, "%s: more than one scenario given ('%s' and '%s')", argv[0], a->scenario_path, o);
      return IC_EXIT_BAD_INPUT;
    }
    if (!ok) return IC_EXIT_BAD_INPUT;
  }
  return 0;
}

/* Rank 0 alone speaks: the other ranks found the same problems. */
static void discard(void *ctx, const char *line) { (void)ctx, (void)line; }

/* The parsed options as a job description. */
static struct ic_job job_of(const struct sweep_args *a) {
  return (struct ic_job){.scenario_path = a->scenario_path, .sets = a->sets, .set_count = (size_t)a->set_count,
                         .vary = a->vary, .vary_count = (size_t)a->vary_count, .targets = a->targets,
                         .target_count = (size_t)a->target_count, .nodes = a->nodes, .runs = a->runs,
                         .workers = a->workers, .top = (size_t)a->top, .allow_unstable = a->allow_unstable,
                         .progress = !a->quiet, .train = a->train};
}

static int sweep_main(const struct sweep_args *a, struct ic_job_sweep *sw) {
  /* An unwritable -o is found now, not after hours of simulation. */
  if (a->output && ic_sweep_mpi_rank() == 0 && ic_out_check_writable(a->output) != IC_OK) return IC_EXIT_BAD_INPUT;
  struct ic_job job = job_of(a);
  ic_status st = ic_job_sweep_run(&job, sw);
  if (st == IC_EINVAL) return IC_EXIT_BAD_INPUT;
  if (st == IC_OK && ic_sweep_mpi_rank() == 0)
    st = a->output ? ic_sweep_write_csv_file(a->output, &sw->grid, a->runs, sw->records, sw->meets, sw->count)
                   : ic_sweep_write_csv(stdout, &sw->grid, a->runs, sw->records, sw->meets, sw->count);
  if (st != IC_OK) {
    ic_diag("infercost", 0, "sweep failed: %s", ic_strerror(st));
    return IC_EXIT_FAILURE;
  }
  if (sw->failed)
    ic_diag("infercost", 0, "sweep: %zu of %zu points failed; see their status column", sw->failed, sw->count);
  return IC_EXIT_OK;
}

int ic_cli_sweep(int argc, char **argv) {
  struct sweep_args a;
  int rc = parse_args(argc, argv, &a, false);
  if (rc) return rc;
  if (a.help) {
    fputs(usage_sweep, stdout);
    return IC_EXIT_OK;
  }
  if (ic_sweep_mpi_begin() != IC_OK) return IC_EXIT_FAILURE;
  if (ic_sweep_mpi_rank() != 0) ic_diag_set_sink(discard, NULL);
  static struct ic_job_sweep sw;
  rc = sweep_main(&a, &sw);
  ic_job_sweep_fini(&sw);
  ic_sweep_mpi_end();
  return rc;
}

static void print_choice(const struct ic_search_space *sp, const struct ic_search_result *r, FILE *out) {
  static struct ic_scenario chosen;
  size_t metric_count;
  const struct ic_headline *metrics = ic_headline_table(&metric_count);
  ic_search_build(sp, r->combo, r->nodes_index, &chosen);
  fputs("Cheapest configuration meeting", out);
  for (size_t i = 0; i < sp->target_count; i++) fprintf(out, "%s %s", i ? "," : "", sp->targets[i].text);
  fputs(":\n", out);
  for (size_t i = 0; i < sp->axis_count; i++) {
    char value[IC_KEY_TEXT_MAX + 32];
    if (!ic_scenario_format_key(&chosen, sp->axes[i].key, value, sizeof value)) snprintf(value, sizeof value, "?");
    fprintf(out, "  %-28s %s\n", sp->axes[i].key, value);
  }
  char nodes[IC_KEY_TEXT_MAX + 32];
  if (!ic_scenario_format_key(&chosen, sp->nodes->key, nodes, sizeof nodes)) snprintf(nodes, sizeof nodes, "?");
  fprintf(out, "  %-28s %s\n", sp->nodes->key, nodes);
  /* The hardware of each pool (of the fleet when it has none). */
  for (size_t i = 0; i < (chosen.pool_count ? chosen.pool_count : 1); i++) {
    struct ic_fleet_config fc = chosen.fleet;
    struct ic_serving_config sc;
    char label[48];
    snprintf(label, sizeof label, "hardware");
    if (chosen.pool_count) {
      ic_scenario_pool(&chosen, i, &fc, &sc);
      snprintf(label, sizeof label, "pool.%s", chosen.pools[i].name);
    }
    const struct ic_server_spec *server = ic_hw_resolve_server(fc.server, fc.gpu);
    if (chosen.pool_count)
      fprintf(out, "  %-28s %lld x %s x %lld GPUs (%s)\n", label, (long long)fc.nodes,
              server ? server->name : fc.server, (long long)fc.gpus_per_node, fc.gpu);
    else
      fprintf(out, "  %-28s %s x %lld GPUs (%s)\n", label, server ? server->name : fc.server,
              (long long)fc.gpus_per_node, fc.gpu);
  }
  fprintf(out, "Cost: USD %.2f per day\n", r->record.mean[ic_headline_find("usd_per_day")]);
  fputs("Metrics:\n", out);
  for (size_t m = 0; m < metric_count; m++)
    fprintf(out, "  %-28s %.6g %s\n", metrics[m].name, r->record.mean[m], metrics[m].unit);
}

/* The answer on stdout: text or JSON; exit code 0 found, 3 none. */
static int print_search(const struct sweep_args *a, const struct ic_search_space *sp, const struct ic_search_result *r) {
  if (a->json) {
    char *text = ic_search_result_json(sp, r);
    if (!text) return IC_EXIT_FAILURE;
    printf("%s\n", text);
    free(text);
    return r->found ? IC_EXIT_OK : IC_EXIT_NO_SOLUTION;
  }
  const struct ic_sweep_axis *nodes = sp->nodes;
  char prov[512];
  ic_report_provenance(sp->base, prov, sizeof prov);
  printf("# %s\n", prov);
  if (r->found)
    print_choice(sp, r, stdout);
  else if (r->money_missed)
    printf("No configuration meets the targets: %zu meet the others but miss the margin or cost-to-revenue "
           "targets at their smallest such fleet, where those are best.\n", r->money_missed);
  else
    printf("No configuration meets the targets, even at the largest fleet (%s %s).\n",
           nodes->values[nodes->count - 1], strcmp(nodes->key, "fleet.nodes") ? nodes->key : "nodes");
  if (r->found && a->top > 1) ic_cli_search_print_top(sp, (size_t)a->target_count, r, stdout);
  printf("Simulations: %zu points x %lld runs, against %zu points for the exhaustive grid "
         "(%zu of %zu combinations feasible at the largest fleet; %zu of them left early, their "
         "server cost alone above the %s found)\n",
         r->simulations, (long long)a->runs, r->exhaustive, r->feasible_combos, r->exhaustive / nodes->count,
         r->dropped_combos, a->top > 1 ? "ranking" : "best");
  return r->found ? IC_EXIT_OK : IC_EXIT_NO_SOLUTION;
}

static int search_main(const struct sweep_args *a, struct ic_job_search *se) {
  struct ic_job job = job_of(a);
  ic_status st = ic_job_search_run(&job, se);
  if (st == IC_OK && a->output && ic_sweep_mpi_rank() == 0)
    st = ic_cli_search_write_points(a->output, &se->space, se->user_targets, &se->result);
  if (st == IC_EINVAL) return IC_EXIT_BAD_INPUT;
  if (st != IC_OK) {
    ic_diag("infercost", 0, "search failed: %s", ic_strerror(st));
    return IC_EXIT_FAILURE;
  }
  return ic_sweep_mpi_rank() == 0 ? print_search(a, &se->space, &se->result) : IC_EXIT_OK;
}

int ic_cli_search(int argc, char **argv) {
  struct sweep_args a;
  int rc = parse_args(argc, argv, &a, true);
  if (rc) return rc;
  if (a.help) {
    fputs(usage_search, stdout);
    return IC_EXIT_OK;
  }
  if (ic_sweep_mpi_begin() != IC_OK) return IC_EXIT_FAILURE;
  if (ic_sweep_mpi_rank() != 0) ic_diag_set_sink(discard, NULL);
  static struct ic_job_search se;
  rc = search_main(&a, &se);
  ic_job_search_fini(&se);
  ic_sweep_mpi_end();
  return rc;
}
