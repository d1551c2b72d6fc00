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

/* The USD/day in DIR/ledger.csv (group,item,kwh_per_day,usd_per_day rows,
 * components only) of `item`, of every item of group `group` (item NULL), or
 * of every row (both NULL: the total); NaN when the file or a row is bad. */
static double ledger_usd(const char *dir, const char *group, const char *item) {
  char path[512], line[256];
  snprintf(path, sizeof path, "%s/ledger.csv", dir);
  FILE *f = fopen(path, "r");
  if (!f) return (double)NAN;
  double sum = 0.0;
  assert_non_null(fgets(line, sizeof line, f));
  /* run: kwh_per_day,usd_per_day; train: the whole run's kwh,usd. */
  assert_true(!strcmp(line, "group,item,kwh_per_day,usd_per_day\n") || !strcmp(line, "group,item,kwh,usd\n"));
  while (fgets(line, sizeof line, f)) {
    char g[64], it[64];
    double kwh, usd;
    if (sscanf(line, "%63[^,],%63[^,],%lf,%lf", g, it, &kwh, &usd) != 4) sum = (double)NAN;
    if ((!group || !strcmp(g, group)) && (!item || !strcmp(it, item))) sum += usd;
  }
  fclose(f);
  return sum;
}

/* Removes what `run -o dir` wrote, and the directory. */
static void remove_outputs(const char *dir) {
  const char *files[] = {"summary.json", "ledger.csv",     "metrics.csv",      "hourly.csv",
                         "timeseries.csv", "distributions.csv", "provenance.json"};
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
    double total = ledger_usd(tmp, NULL, NULL);
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
  assert_int_equal(lround(ledger_usd(tmp, "energy", "it_energy") * 100), 1111142);
  assert_int_equal(lround(ledger_usd(tmp, "energy", "cooling_facility") * 100), 69446);
  assert_int_equal(lround(ledger_usd(tmp, "capital", NULL) * 100), 3171068);
  assert_int_equal(lround(ledger_usd(tmp, NULL, NULL) * 100), 4351657);
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

/* DeepSeek-V3 in replicas of 4 DGX H800 nodes (32 GPUs, experts spread
 * over them), 8 nodes, no traffic: every node draws its base 10,200 - 8 x 700
 * = 4,600 W plus 8 idle GPUs at 75 W = 5,200 W, 998.4 kWh a day, USD 79.872 at
 * 0.08 $/kWh. Powered down after 600 s idle, a replica's 4 nodes go off
 * together at 20 W each: per node 5,200 W x 600 s + 20 W x 3,000 s per hour,
 * 21.2 kWh a day, 169.6 kWh for 8 nodes, USD 13.568. */
static void replicas_across_nodes_draw_per_node(void **state) {
  (void)state;
  char tmp[] = "/tmp/ic_nodes_XXXXXX", args[1024];
  assert_non_null(mkdtemp(tmp));
  const char *layout = "-s model.name=deepseek-v3 -s model.weight_precision=fp8 -s model.activation_precision=fp8 "
                       "-s model.kv_precision=fp8 -s fleet.gpu=h800 -s fleet.server=dgx-h800 -s fleet.nodes=8 "
                       "-s fleet.gpus_per_replica=32 -s perf.expert_parallel=true -s perf.attention_data_parallel=32 "
                       "-s traffic.queries_per_day=1e-3 -s run.duration_s=3600 -s run.warmup_s=0";
  snprintf(args, sizeof args, "run -q %s -o %s", layout, tmp);
  if (run_cli(args) != 0) fail_msg("%s", out);
  assert_true(fabs(ledger_usd(tmp, "energy", "it_energy") - 79.872) < 1e-6);
  snprintf(args, sizeof args, "run -q %s -s power.powerdown=idle -s power.powerdown_idle_s=600 -o %s", layout, tmp);
  if (run_cli(args) != 0) fail_msg("%s", out);
  assert_true(fabs(ledger_usd(tmp, "energy", "it_energy") - 13.568) < 1e-6);
  remove_outputs(tmp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(replicas_across_nodes_draw_per_node),
      cmocka_unit_test(every_shipped_scenario_runs),
      cmocka_unit_test(article_worked_example_is_reproduced),
      cmocka_unit_test(bad_cost_lists_name_their_line),
  };
  return cmocka_run_group_tests_name("scenario_files", tests, NULL, NULL);
}
