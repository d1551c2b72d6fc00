/* test_scenario_files.c: every shipped scenario (each .ini in scenarios/) loads,
 * passes its checks and runs (with a short window); the article's worked
 * example reproduces its published figures; bad cost lists are reported at
 * their line. */
#define _POSIX_C_SOURCE 200809L /* popen, mkdtemp */
#include "ic_test_cli.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "infercost/scenario.h"

static char out[1 << 16];

/* Runs `infercost ARGS`, stdout+stderr into out; returns the exit code. */
static int run_cli(const char *args) { return ic_test_infercost(args, out, sizeof out); }

/* The USD/day of `item` in DIR/ledger.csv, or NaN. */
static double ledger_usd(const char *dir, const char *item) {
  char path[512], line[256];
  snprintf(path, sizeof path, "%s/ledger.csv", dir);
  FILE *f = fopen(path, "r");
  if (!f) return (double)NAN;
  double usd = (double)NAN;
  size_t len = strlen(item);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, item, len) == 0 && line[len] == ',') {
      double kwh;
      if (sscanf(line + len + 1, "%lf,%lf", &kwh, &usd) != 2) usd = (double)NAN;
    }
  fclose(f);
  return usd;
}

/* Removes what `run -o dir` wrote, and the directory. */
static void remove_outputs(const char *dir) {
  const char *files[] = {"summary.json", "ledger.csv", "metrics.csv", "hourly.csv", "timeseries.csv"};
  char path[512];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    remove(path);
  }
  remove(dir);
}

static void every_shipped_scenario_runs(void **state) {
  (void)state;
  DIR *d = opendir("scenarios");
  assert_non_null(d);
  int count = 0;
  struct dirent *e;
  char tmp[] = "/tmp/ic_scen_XXXXXX";
  assert_non_null(mkdtemp(tmp));
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".ini") != 0) continue;
    char path[512], args[1024];
    snprintf(path, sizeof path, "scenarios/%s", e->d_name);
    struct ic_scenario *s = malloc(sizeof *s);
    assert_non_null(s);
    ic_scenario_defaults(s);
    if (ic_scenario_load_file(s, path) != IC_OK || ic_scenario_check(s) != IC_OK) fail_msg("%s does not load", path);
    free(s);
    /* train-*.ini describe training runs (docs/training.md): `infercost train`. */
    if (strncmp(e->d_name, "train-", 6) == 0)
      snprintf(args, sizeof args, "train %s -q -o %s", path, tmp);
    else
      snprintf(args, sizeof args, "run %s -q -s run.duration_s=60 -o %s", path, tmp);
    if (run_cli(args) != 0) fail_msg("%s: %s", path, out);
    double total = ledger_usd(tmp, "total");
    if (!(total > 0)) fail_msg("%s: no positive total in ledger.csv", path);
    count++;
  }
  closedir(d);
  remove_outputs(tmp);
  assert_true(count >= 5);
}

/* The article: per server 300 W + 8 x 150 W GPUs + 2 x 50 W CPUs (IT,
 * 1,600 W) and 100 W cooling; 3,617 servers at $0.08/kWh:
 *   IT 3,617 x 1.6 kW x 24 h x 0.08 = $11,111.42; cooling 3,617 x 0.1 x 24 x
 *   0.08 = $694.46; energy $11,805.88 a day.
 *   capex 3,617 x (5,000 + 2,000 + 1,000 + 8 x 1,000) = $57,872,000; the
 *   article's day: $57,883,805.88; amortized over 5 years: 57,872,000 / 1,825
 *   = $31,710.68 a day; infercost's day: $43,516.57. Power is the same in
 *   every state, so a 60 s window gives the exact day. */
static void article_worked_example_is_reproduced(void **state) {
  (void)state;
  char tmp[] = "/tmp/ic_article_XXXXXX", args[512];
  assert_non_null(mkdtemp(tmp));
  snprintf(args, sizeof args, "run scenarios/article-worked-example.ini -q -s run.duration_s=60 -o %s", tmp);
  assert_int_equal(run_cli(args), 0);
  assert_int_equal(lround(ledger_usd(tmp, "it_energy") * 100), 1111142);
  assert_int_equal(lround(ledger_usd(tmp, "cooling_facility") * 100), 69446);
  assert_int_equal(lround(ledger_usd(tmp, "amortization") * 100), 3171068);
  assert_int_equal(lround(ledger_usd(tmp, "total") * 100), 4351657);
  ic_test_read_file(tmp, "summary.json", out, sizeof out);
  remove_outputs(tmp);
  assert_non_null(strstr(out, "\"capex_usd\":\t57872000"));
}

static void bad_cost_lists_name_their_line(void **state) {
  (void)state;
  assert_int_equal(run_cli("run tests/data/bad_cost_scenario.ini"), 2);
  assert_non_null(strstr(out, "tests/data/bad_cost_scenario.ini:3: power.electricity_usd_per_kwh_hourly: expected 24 "
                              "'|'-separated values (one per hour from midnight), got 3"));
  assert_non_null(strstr(out, "tests/data/bad_cost_scenario.ini:4: power.chiller_cop_min: 8 is above "
                              "power.chiller_cop_max (4)"));
  assert_non_null(strstr(out, "tests/data/bad_cost_scenario.ini:6: power.carbon_g_per_kwh_hourly: item 24: expected "
                              "a number >= 0, got '-1'"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_shipped_scenario_runs),
      cmocka_unit_test(article_worked_example_is_reproduced),
      cmocka_unit_test(bad_cost_lists_name_their_line),
  };
  return cmocka_run_group_tests_name("scenario_files", tests, NULL, NULL);
}
