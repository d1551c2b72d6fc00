/* test_sweep.c: --vary lists and ranges (hand-expanded), the order and size
 * of the Cartesian product, bad values, Student-t intervals against table
 * values, and CSV from 1 worker, 2 workers and `mpirun -np 2` byte for byte. */
#define _POSIX_C_SOURCE 200809L /* popen, mkdtemp */
#include "ic_test_cli.h"
#include "ic_test_diag.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "infercost/sweep.h"

/* cmocka 1.1.5 has no double comparison. */
#define assert_close(a, b, tol)                                                    \
  do {                                                                             \
    double a_ = (a), b_ = (b);                                                     \
    if (!(fabs(a_ - b_) <= (tol))) fail_msg("%.17g != %.17g (tolerance %g)", a_, b_, (double)(tol)); \
  } while (0)

/* Expansions worked out by hand; values joined with '|'. */
struct expand_case {
  const char *text;
  bool integer;
  const char *expected;
};

static const struct expand_case expand_cases[] = {
    {"1,8,32,128", true, "1|8|32|128"},
    {"h100-sxm,h200", false, "h100-sxm|h200"},
    {"100:1000:100", true, "100|200|300|400|500|600|700|800|900|1000"},
    {"0.1:0.5:0.1", false, "0.1|0.2|0.3|0.4|0.5"},       /* 0.1 steps do not drift past 0.5 */
    {"2.385:10:2.5", false, "2.385|4.885|7.385|9.885"},  /* HI need not be on the grid */
    {"1:128:x2", true, "1|2|4|8|16|32|64|128"},
    {"1:100:x3", true, "1|3|9|27|81"},
    {"1:1000:log4", false, "1|10|100|1000"},              /* 1000^(k/3) */
    {"1:1000:log5", true, "1|6|32|178|1000"},             /* 1000^(k/4) = 5.62, 31.6, 177.8, rounded */
    {"1:4:log8", true, "1|2|3|4"},                        /* rounding repeats dropped */
    {"5:5:1", true, "5"},
};

static void expands_lists_and_ranges(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof expand_cases / sizeof expand_cases[0]; c++) {
    char (*values)[IC_KEY_TEXT_MAX];
    size_t count;
    assert_int_equal(ic_sweep_expand(expand_cases[c].text, expand_cases[c].integer, "t", &values, &count), IC_OK);
    char joined[1024] = "";
    for (size_t i = 0; i < count; i++) {
      strcat(joined, i ? "|" : "");
      strcat(joined, values[i]);
    }
    assert_string_equal(joined, expand_cases[c].expected);
    free(values);
  }
}

struct bad_case {
  const char *text, *message;
};

static const struct bad_case bad_cases[] = {
    {"10:1:1", "range '10:1:1': LO and HI must be numbers with LO <= HI"},
    {"1:10:0", "range '1:10:0': STEP must be a positive number"},
    {"1:10:x1", "range '1:10:x1': xFACTOR needs FACTOR > 1 and LO > 0"},
    {"0:10:x2", "range '0:10:x2': xFACTOR needs FACTOR > 1 and LO > 0"},
    {"1:10:log1", "range '1:10:log1': logCOUNT needs a whole COUNT >= 2 and LO > 0"},
    {"1:10", "range '1:10': expected LO:HI:STEP, LO:HI:xFACTOR or LO:HI:logCOUNT"},
    {"a:b:1", "range 'a:b:1': LO and HI must be numbers"},
    {"1,,2", "list '1,,2': empty or over-long item"},
    {"1:1e9:1", "range '1:1e9:1' has more than 100000 values"},
};

static void bad_ranges_are_reported(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof bad_cases / sizeof bad_cases[0]; c++) {
    char (*values)[IC_KEY_TEXT_MAX];
    size_t count;
    diag.len = 0;
    diag.text[0] = '\0';
    assert_int_equal(ic_sweep_expand(bad_cases[c].text, true, "--vary x", &values, &count), IC_EINVAL);
    assert_non_null(strstr(diag.text, "--vary x: "));
    if (!strstr(diag.text, bad_cases[c].message)) fail_msg("got: %s", diag.text);
  }
}

static void axis_values_are_checked_before_any_run(void **state) {
  (void)state;
  static struct ic_scenario base;
  ic_scenario_defaults(&base);
  struct ic_sweep_axis axis;
  assert_int_equal(ic_sweep_axis_parse(&axis, "serving.max_batch=1,0,8", &base), IC_EINVAL);
  assert_non_null(strstr(diag.text, "--vary serving.max_batch=0: serving.max_batch: value 0 is out of range"));
  assert_int_equal(ic_sweep_axis_parse(&axis, "serving.max_bach=1,2", &base), IC_EINVAL);
  assert_non_null(strstr(diag.text, "unknown key 'serving.max_bach' (did you mean 'serving.max_batch'?)"));
  assert_int_equal(ic_sweep_axis_parse(&axis, "serving.router=round_robin,fastest", &base), IC_EINVAL);
  assert_non_null(strstr(diag.text, "--vary serving.router=fastest: serving.router:"));
  assert_int_equal(ic_sweep_axis_parse(&axis, "serving.max_batch", &base), IC_EINVAL);
  assert_int_equal(ic_sweep_axis_parse(&axis, "fleet.gpu=h100-sxm,h200", &base), IC_OK);
  assert_int_equal(axis.count, 2);
  assert_string_equal(axis.values[1], "h200");
  ic_sweep_axis_fini(&axis);
}

/* Three values by two: six points, the first axis outermost. */
static void product_order_and_count(void **state) {
  (void)state;
  char a_vals[3][IC_KEY_TEXT_MAX] = {"a0", "a1", "a2"}, b_vals[2][IC_KEY_TEXT_MAX] = {"b0", "b1"};
  struct ic_sweep_axis axes[2] = {{.key = "x.a", .values = a_vals, .count = 3}, {.key = "x.b", .values = b_vals, .count = 2}};
  assert_int_equal(ic_sweep_grid_count(axes, 2), 6);
  const size_t expected[6][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}};
  for (size_t i = 0; i < 6; i++) {
    size_t at[2];
    ic_sweep_grid_point(axes, 2, i, at);
    assert_int_equal(at[0], expected[i][0]);
    assert_int_equal(at[1], expected[i][1]);
  }
  axes[1].count = 0;
  assert_int_equal(ic_sweep_grid_count(axes, 2), 0);
}

/* t(0.975, 3) = 3.1824 and t(0.975, 1) = 12.7062 from a printed t table. */
static void student_t_half_widths(void **state) {
  (void)state;
  const double four[] = {2.1, 2.5, 1.9, 2.3}; /* mean 2.2; squared deviations sum to 0.2 */
  double mean, hw;
  ic_sweep_mean_ci95(four, 4, &mean, &hw);
  assert_close(mean, 2.2, 1e-12);
  assert_close(hw, 3.1824 * sqrt(0.2 / 3.0) / 2.0, 2e-4);
  const double two[] = {1.0, 3.0}; /* sd sqrt(2), so the half-width is t itself */
  ic_sweep_mean_ci95(two, 2, &mean, &hw);
  assert_close(mean, 2.0, 1e-12);
  assert_close(hw, 12.7062, 1e-3);
  const double one[] = {2.385};
  ic_sweep_mean_ci95(one, 1, &mean, &hw);
  assert_close(mean, 2.385, 0);
  assert_true(isnan(hw));
}

/* ---- through the command line ---- */

static char out[1 << 16];

static int run_cmd(const char *cmd) { return ic_test_shell(cmd, out, sizeof out); }

static int run_cli(const char *args) { return ic_test_infercost(args, out, sizeof out); }

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *b = calloc(1, 1 << 20);
  size_t n = fread(b, 1, (1 << 20) - 1, f);
  b[n] = '\0';
  fclose(f);
  return b;
}

/* 16 points of the tiny scenario: a few seconds in all. */
#define GRID "tests/data/tiny_scenario.ini -q --vary serving.max_batch=1:64:x4 --vary fleet.nodes=1,2,3,5"

static bool have_mpirun(void) {
#ifdef IC_WITH_MPI
  return system("command -v mpirun >/dev/null 2>&1") == 0;
#else
  return false;
#endif
}

/* Runs `sweep GRID` with 1 worker, 2 workers and (when available)
 * `mpirun -np 2`; asserts the three files are identical; returns the first. */
static char *same_csv_every_way(const char *grid) {
  char dir[] = "/tmp/ic_sweep_XXXXXX", args[1024], path[3][256];
  assert_non_null(mkdtemp(dir));
  const char *workers[2] = {"--workers 1", "--workers 2"};
  for (int i = 0; i < 2; i++) {
    snprintf(path[i], sizeof path[i], "%s/w%d.csv", dir, i);
    snprintf(args, sizeof args, "sweep %s %s -o %s", grid, workers[i], path[i]);
    assert_int_equal(run_cli(args), 0);
  }
  char *one = slurp(path[0]), *two = slurp(path[1]);
  assert_non_null(one);
  assert_non_null(two);
  assert_string_equal(one, two);
  /* The provenance sidecar names the file it describes. */
  char meta[2][300];
  for (int i = 0; i < 2; i++) snprintf(meta[i], sizeof meta[i], "%s/w%d.meta.json", dir, i);
  char *side = slurp(meta[0]);
  assert_non_null(side);
  assert_non_null(strstr(side, "\"file\":\t\"w0.csv\""));
  assert_non_null(strstr(side, "\"command\":\t\"sweep\""));
  assert_non_null(strstr(side, "\"digest\":\t\""));
  free(side);
  remove(meta[0]), remove(meta[1]);
  if (have_mpirun()) {
    snprintf(path[2], sizeof path[2], "%s/mpi.csv", dir);
    /* Root in CI needs the two ALLOW variables; oversubscribe lets two
     * ranks start where mpirun counts one slot. */
    snprintf(args, sizeof args,
             "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
             "ASAN_OPTIONS=detect_leaks=0 " /* OpenMPI itself leaks at exit (sanitizer builds) */
             "mpirun -np 2 %s sweep %s -o %s 2>&1", ic_test_bin(), grid, path[2]);
    int rc = run_cmd(args);
    if (rc != 0) fail_msg("mpirun failed (%d): %s", rc, out);
    char *mpi = slurp(path[2]);
    assert_non_null(mpi);
    assert_string_equal(one, mpi);
    free(mpi);
    remove(path[2]);
    snprintf(meta[0], sizeof meta[0], "%s/mpi.meta.json", dir);
    remove(meta[0]);
  } else {
    print_message("mpirun or an MPI build missing: the MPI comparison is skipped\n");
  }
  free(two);
  remove(path[0]), remove(path[1]), rmdir(dir);
  return one;
}

static void csv_is_identical_for_any_worker_count(void **state) {
  (void)state;
  char *one = same_csv_every_way(GRID);
  /* Header first (provenance goes in a sidecar), 16 rows in order: max_batch 1,4,16,64 outermost. */
  static const char head[] = "serving.max_batch,fleet.nodes,seed,runs,status,queries_per_day,usd_per_day,";
  assert_true(!strncmp(one, head, sizeof head - 1));
  size_t lines = 0;
  for (const char *p = one; *p; p++) lines += *p == '\n';
  assert_int_equal(lines, 1 + 16);
  const char *row5 = strstr(one, "\n4,1,42,1,ok,"), *row4 = strstr(one, "\n1,5,42,1,ok,");
  assert_non_null(row4);
  assert_non_null(row5);
  assert_true(row4 < row5);
  free(one);
  /* Failed points and replications travel the same way. */
  one = same_csv_every_way("tests/data/tiny_scenario.ini -q --seeds 2 --vary fleet.gpus_per_replica=4,8 "
                           "--vary fleet.nodes=1,2,3");
  assert_non_null(strstr(one, "\n4,1,42,2,tests/data/tiny_scenario.ini: replica does not fit"));
  assert_non_null(strstr(one, "\n8,3,42,2,ok,"));
  free(one);
}

static void bad_vary_exits_two_without_output(void **state) {
  (void)state;
  char dir[] = "/tmp/ic_sweep_XXXXXX", args[1024], path[256];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/bad.csv", dir);
  snprintf(args, sizeof args, "sweep tests/data/tiny_scenario.ini --vary serving.max_batch=8,-3 -o %s", path);
  assert_int_equal(run_cli(args), 2);
  assert_non_null(strstr(out, "--vary serving.max_batch=-3: serving.max_batch: value -3 is out of range"));
  assert_int_equal(access(path, F_OK), -1);
  /* A point that breaks a cross-key rule is also caught before any run. */
  snprintf(args, sizeof args, "sweep tests/data/tiny_scenario.ini --vary fleet.gpus_per_replica=8,3 -o %s", path);
  assert_int_equal(run_cli(args), 2);
  assert_non_null(strstr(out, "--vary fleet.gpus_per_replica=3: fleet.gpus_per_replica: a replica must fit"));
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini"), 2);
  assert_non_null(strstr(out, "nothing to vary"));
  rmdir(dir);
}

static void options_are_checked(void **state) {
  (void)state;
  assert_int_equal(run_cli("sweep --help"), 0);
  assert_non_null(strstr(out, "usage: infercost sweep"));
  assert_int_equal(run_cli("help search"), 0);
  assert_non_null(strstr(out, "usage: infercost search"));
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini --vary fleet.nodes=1,2 --workers 0"), 2);
  assert_non_null(strstr(out, "--workers: expected a whole number in [1, 4096], got '0'"));
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini --vary fleet.nodes=1,2 --seeds two"), 2);
  assert_non_null(strstr(out, "--seeds: expected a whole number in [1, 10000], got 'two'"));
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini --vary fleet.nodes=1,2 --nodes 3"), 2);
  assert_non_null(strstr(out, "unknown option '--nodes'"));
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini --vary fleet.nodes=1 --vary fleet.nodes=2"), 2);
  assert_non_null(strstr(out, "fleet.nodes is varied twice"));
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini --vary"), 2);
  assert_non_null(strstr(out, "--vary needs a value"));
}

/* A model that does not fit is that point's status, not the sweep's end. */
static void failed_point_is_a_row(void **state) {
  (void)state;
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini -q --vary fleet.gpus_per_replica=1,8"), 0);
  assert_non_null(strstr(out, "\n1,42,1,tests/data/tiny_scenario.ini: replica does not fit: gpt3-175b needs"));
  assert_non_null(strstr(out, ",nan,nan,"));
  assert_non_null(strstr(out, "\n8,42,1,ok,"));
  assert_non_null(strstr(out, "sweep: 1 of 2 points failed"));
}

/* Reads column `name` of data row `row` (0-based) of a sweep CSV. */
static double column(const char *csv, const char *name, int row) {
  const char *header = csv, *line = strchr(header, '\n') + 1;
  for (int r = 0; r < row; r++) line = strchr(line, '\n') + 1;
  int col = 0;
  for (const char *p = header; *p != '\n'; col++) {
    size_t len = strcspn(p, ",\n");
    if (len == strlen(name) && strncmp(p, name, len) == 0) break;
    p += len + (p[len] == ',');
    if (p[-1] != ',') return (double)NAN;
  }
  for (int c = 0; c < col; c++) line = strchr(line, ',') + 1;
  return strtod(line, NULL);
}

/* --seeds 3 reports mean and t half-width of the runs 0, 1, 2 that a sweep
 * over run.run shows one by one; t(0.975, 2) = 4.3027 from a t table. */
static void seeds_give_mean_and_t_interval(void **state) {
  (void)state;
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini -q --workers 1 --vary run.run=0,1,2"), 0);
  char *single = strdup(out);
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini -q --workers 2 --seeds 3 --vary fleet.nodes=2"), 0);
  assert_non_null(strstr(out, ",usd_per_day,usd_per_day_ci95,"));
  const char *metrics[] = {"e2e_mean_s", "usd_per_day", "ttft_p99_s"};
  for (size_t m = 0; m < 3; m++) {
    double x[3], mean = 0, ss = 0;
    for (int r = 0; r < 3; r++) mean += (x[r] = column(single, metrics[m], r)) / 3.0;
    for (int r = 0; r < 3; r++) ss += (x[r] - mean) * (x[r] - mean);
    double hw = 4.3027 * sqrt(ss / 2.0) / sqrt(3.0);
    char ci[64];
    snprintf(ci, sizeof ci, "%s_ci95", metrics[m]);
    assert_close(column(out, metrics[m], 0), mean, 1e-9 * fabs(mean));
    assert_close(column(out, ci, 0), hw, 1e-4 * hw + 1e-12);
  }
  free(single);
}

/* --target adds meets_targets: 1 exactly where the printed metric is within the bound. */
static void targets_mark_rows(void **state) {
  (void)state;
  assert_int_equal(run_cli("sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1:4:1 --target 'e2e_p99_s<=14'"), 0);
  assert_true(!strncmp(out, "fleet.nodes,seed,runs,status,meets_targets,queries_per_day,", 59));
  int met = 0;
  for (int r = 0; r < 4; r++) {
    double meets = column(out, "meets_targets", r);
    assert_true(meets == (column(out, "e2e_p99_s", r) <= 14.0 ? 1.0 : 0.0));
    met += meets == 1.0;
  }
  assert_true(met > 0 && met < 4); /* both cases seen */
}

static bool has_two_children(const void *arg) {
  pid_t kids[4];
  return ic_test_children(*(const pid_t *)arg, kids, 4) >= 2;
}

static bool none_alive(const void *arg) {
  const pid_t *kids = arg;
  return !ic_test_alive(kids[0]) && !ic_test_alive(kids[1]);
}

/* A sweep killed outright (SIGKILL: no handler runs) takes its worker
 * processes with it, instead of leaving them to finish their points. */
static void workers_die_with_their_parent(void **state) {
  (void)state;
  /* Points of a simulated year: hours of work each. */
  pid_t pid = ic_test_spawn("sweep tests/data/tiny_scenario.ini -q --workers 2 -s run.duration_s=3.1e7 "
                            "-s traffic.queries_per_day=2e6 --vary fleet.nodes=20,21");
  assert_true(ic_test_wait_for(has_two_children, &pid, 60.0));
  pid_t kids[4];
  assert_int_equal(ic_test_children(pid, kids, 4), 2);
  kill(pid, SIGKILL);
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  bool gone = ic_test_wait_for(none_alive, kids, 30.0);
  kill(kids[0], SIGKILL); /* the old behaviour's orphans must not outlive the test */
  kill(kids[1], SIGKILL);
  assert_true(gone);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(expands_lists_and_ranges, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(bad_ranges_are_reported, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(axis_values_are_checked_before_any_run, diag_capture, diag_release),
      cmocka_unit_test(product_order_and_count),
      cmocka_unit_test(student_t_half_widths),
      cmocka_unit_test(csv_is_identical_for_any_worker_count),
      cmocka_unit_test(bad_vary_exits_two_without_output),
      cmocka_unit_test(options_are_checked),
      cmocka_unit_test(failed_point_is_a_row),
      cmocka_unit_test(seeds_give_mean_and_t_interval),
      cmocka_unit_test(targets_mark_rows),
      cmocka_unit_test(workers_die_with_their_parent),
  };
  return cmocka_run_group_tests_name("sweep", tests, NULL, NULL);
}
