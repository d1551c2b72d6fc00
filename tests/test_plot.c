/* test_plot.c: `infercost plot` and `run --plot`: every kind renders a real
 * image from the fixtures in tests/data/plots, bad input is named before
 * gnuplot runs, paths reach gnuplot intact, and the Pareto frontier and the
 * run-ledger pivot hold on hand-checked data. gnuplot is a dependency
 * (.ci/setup.sh installs it): without it these tests fail, they never skip. */
#define _POSIX_C_SOURCE 200809L /* popen, mkdtemp */
#include "ic_test_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "infercost/plot.h"
#include "plot_impl.h"

static char out[1 << 16];
static char tmpdir[] = "/tmp/ic_test_plot_XXXXXX";

/* Runs `infercost ARGS` (shell syntax) capturing stdout+stderr; returns the exit code. */
static int run_cli(const char *args) { return ic_test_infercost(args, out, sizeof out); }

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Fails unless `path` starts with the 8-byte PNG signature and is over min_bytes. */
static void assert_png(const char *path, long min_bytes) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("no image at %s; output was:\n%s", path, out);
  unsigned char head[8] = {0};
  size_t n = fread(head, 1, sizeof head, f);
  fclose(f);
  assert_int_equal(n, 8);
  assert_memory_equal(head, "\x89PNG\r\n\x1a\n", 8);
  if (file_size(path) < min_bytes) fail_msg("%s: %ld bytes, expected over %ld", path, file_size(path), min_bytes);
}

static int setup(void **state) {
  (void)state;
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

/* gnuplot is required, with a PNG terminal: say so plainly if it is not there. */
static void gnuplot_is_installed(void **state) {
  (void)state;
  FILE *p = popen("gnuplot -e \"print GPVAL_TERMINALS\" 2>&1", "r");
  assert_non_null(p);
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = '\0';
  int status = pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("gnuplot is not installed (apt-get install gnuplot-nox, see .ci/setup.sh): %s", out);
  assert_non_null(strstr(out, "png"));
  assert_non_null(strstr(out, "svg"));
}

/* One row per plot kind: command-line arguments and the smallest believable
 * image (an empty 1000x700 canvas compresses to ~4 KB; every chart with axes,
 * text and data is well over 15 KB). */
struct render_case {
  const char *name, *args;
};

static const struct render_case render_cases[] = {
    {"cost_vs_batch", "cost-vs-x tests/data/plots/sweep_max_batch.csv --y usd_per_million_output_tokens "
                      "--target 'e2e_p99_s<=60'"},
    {"cost_vs_fleet", "cost-vs-x tests/data/plots/sweep_fleet_nodes.csv --x fleet.nodes --target 'e2e_p99_s<=60'"},
    {"pareto", "pareto tests/data/plots/sweep_grid.csv"},
    {"timeseries", "timeseries tests/data/plots/timeseries_24h.csv --replicas 3617"},
    {"ledger_sweep", "ledger tests/data/plots/sweep_fleet_nodes.csv --x fleet.nodes"},
    {"ledger_run", "ledger tests/data/plots/run_ledger.csv"},
    {"validation", "validation tests/data/plots/validation.csv"},
    {"kernels", "kernels tests/data/plots/kernels.csv"}, /* validate --kernels on tests/data/kernels_fixture.csv */
    {"one_point", "cost-vs-x tests/data/plots/sweep_one_point.csv --target 'e2e_p99_s>=600'"},
    {"error_bars", "cost-vs-x tests/data/plots/sweep_seeds_ci.csv --target 'e2e_p99_s<=60'"},
    {"by_key", "cost-vs-x tests/data/plots/marks.csv --x fleet.nodes --by serving.max_batch "
               "--target 'e2e_p99_s<=15' --target 'ttft_p99_s<=2'"},
    {"text_x", "cost-vs-x tests/data/plots/marks.csv --x fleet.gpu --by fleet.nodes --target 'e2e_p99_s<=15'"},
    {"pareto_marks", "pareto tests/data/plots/marks.csv --target 'e2e_p99_s<=15' --target 'ttft_p99_s<=2'"},
};

static void render_one(const struct render_case *c) {
  char args[1024], png[512];
  snprintf(png, sizeof png, "%s/%s.png", tmpdir, c->name);
  snprintf(args, sizeof args, "plot %s -o %s", c->args, png);
  if (run_cli(args) != 0) fail_msg("infercost %s failed:\n%s", args, out);
  assert_png(png, 15000);
}

#define RENDER_TEST(i)                                \
  static void render_##i(void **state) {              \
    (void)state;                                      \
    render_one(&render_cases[i]);                     \
  }
RENDER_TEST(0)
RENDER_TEST(1)
RENDER_TEST(2)
RENDER_TEST(3)
RENDER_TEST(4)
RENDER_TEST(5)
RENDER_TEST(6)
RENDER_TEST(7)
RENDER_TEST(8)
RENDER_TEST(9)
RENDER_TEST(10)
RENDER_TEST(11)
RENDER_TEST(12)

static void svg_and_png_from_one_call(void **state) {
  (void)state;
  char args[512], path[512];
  snprintf(args, sizeof args, "plot cost-vs-x tests/data/plots/sweep_fleet_nodes.csv --x fleet.nodes --format both -o %s/fleet",
           tmpdir);
  assert_int_equal(run_cli(args), 0);
  snprintf(path, sizeof path, "%s/fleet.png", tmpdir);
  assert_png(path, 15000);
  snprintf(path, sizeof path, "%s/fleet.svg", tmpdir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char head[1024];
  size_t n = fread(head, 1, sizeof head - 1, f);
  fclose(f);
  head[n] = '\0';
  assert_non_null(strstr(head, "<svg"));
  assert_true(file_size(path) > 10000);
}

/* A column the script needs is named, with the file and header line, before gnuplot runs. */
static void missing_column_exits_two_naming_it(void **state) {
  (void)state;
  char args[512];
  snprintf(args, sizeof args, "plot timeseries tests/data/plots/timeseries_no_power.csv -o %s/nope.png", tmpdir);
  assert_int_equal(run_cli(args), 2);
  assert_non_null(strstr(out, "tests/data/plots/timeseries_no_power.csv:2: column 'it_power_w' not found"));
  snprintf(args, sizeof args, "plot cost-vs-x tests/data/plots/sweep_max_batch.csv --target 'tpot_p99_s<=0.05' -o %s/nope.png",
           tmpdir);
  assert_int_equal(run_cli(args), 2);
  assert_non_null(strstr(out, "column 'tpot_p99_s' not found"));
  snprintf(args, sizeof args, "plot cost-vs-x tests/data/plots/sweep_max_batch.csv --x fleet.nodes -o %s/nope.png", tmpdir);
  assert_int_equal(run_cli(args), 2);
  assert_non_null(strstr(out, "column 'fleet.nodes' not found"));
  snprintf(args, sizeof args, "%s/nope.png", tmpdir);
  assert_int_equal(file_size(args), -1);
}

static void bad_arguments_exit_two(void **state) {
  (void)state;
  assert_int_equal(run_cli("plot cost-vs-x tests/data/plots/does_not_exist.csv"), 2);
  assert_non_null(strstr(out, "tests/data/plots/does_not_exist.csv: cannot read the table to plot"));
  assert_int_equal(run_cli("plot scatter tests/data/plots/sweep_grid.csv"), 2);
  assert_non_null(strstr(out, "unknown kind 'scatter'"));
  assert_int_equal(run_cli("plot cost-vs-x tests/data/plots/sweep_grid.csv --target e2e_p99_s=3"), 2);
  assert_non_null(strstr(out, "--target: expected COLUMN<=VALUE or COLUMN>=VALUE, got 'e2e_p99_s=3'"));
  assert_int_equal(run_cli("plot cost-vs-x tests/data/plots/sweep_grid.csv --format jpeg"), 2);
  assert_int_equal(run_cli("plot ledger tests/data/plots/timeseries_24h.csv"), 2);
  assert_non_null(strstr(out, "column 'energy_usd_per_day' not found"));
  assert_int_equal(run_cli("plot ledger tests/data/plots/timeseries_24h.csv"), 2);
  assert_int_equal(run_cli("plot --help"), 0);
  assert_non_null(strstr(out, "usage: infercost plot KIND"));
}

/* gnuplot missing from PATH is a runtime failure (1) that says what to install. */
static void gnuplot_missing_exits_one(void **state) {
  (void)state;
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "PATH=/nonexistent %s plot validation tests/data/plots/validation.csv -o %s/v.png 2>&1",
           ic_test_bin(), tmpdir);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = '\0';
  int status = pclose(p);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 1);
  assert_non_null(strstr(out, "cannot run gnuplot"));
  assert_non_null(strstr(out, "gnuplot-nox"));
}

/* A path with a quote, a semicolon and a gnuplot command in it is a file
 * name, not code: the image lands under that exact name and nothing runs. */
static void hostile_output_path_is_just_a_name(void **state) {
  (void)state;
  char dir[512], args[1024], path[1024], marker[600];
  snprintf(dir, sizeof dir, "%s/it'; system('touch PWNED'); y='", tmpdir);
  assert_int_equal(mkdir(dir, 0777), 0);
  /* Shell-quote the directory: ' becomes '\'' inside '...'. */
  char quoted[1024];
  size_t o = 0;
  quoted[o++] = '\'';
  for (const char *p = dir; *p && o + 5 < sizeof quoted; p++) {
    if (*p == '\'') {
      memcpy(quoted + o, "'\\''", 4);
      o += 4;
    } else {
      quoted[o++] = *p;
    }
  }
  quoted[o++] = '\'';
  quoted[o] = '\0';
  snprintf(args, sizeof args, "plot validation tests/data/plots/validation.csv -o %.900s/v.png", quoted);
  if (run_cli(args) != 0) fail_msg("%s\n%s", args, out);
  snprintf(path, sizeof path, "%s/v.png", dir);
  assert_png(path, 15000);
  assert_int_equal(file_size("PWNED"), -1);
  snprintf(marker, sizeof marker, "%s/PWNED", tmpdir);
  assert_int_equal(file_size(marker), -1);
}

/* run --plot puts ledger.png next to ledger.csv; no temporary file stays behind. */
static void run_plot_renders_next_to_outputs(void **state) {
  (void)state;
  char args[512], path[512];
  snprintf(args, sizeof args, "run tests/data/tiny_scenario.ini -q -o %s/run --plot", tmpdir);
  if (run_cli(args) != 0) fail_msg("%s\n%s", args, out);
  snprintf(path, sizeof path, "%s/run/ledger.png", tmpdir);
  assert_png(path, 10000);
  snprintf(args, sizeof args, "ls -a '%s/run' | grep -c tmp", tmpdir);
  FILE *p = popen(args, "r");
  assert_non_null(p);
  int count = -1;
  assert_int_equal(fscanf(p, "%d", &count), 1);
  pclose(p);
  assert_int_equal(count, 0);
  assert_int_equal(run_cli("run tests/data/tiny_scenario.ini -q --plot"), 2);
  assert_non_null(strstr(out, "--plot needs -o DIR"));
}

/* run --plot renders the day's time series when the run wrote one. */
static void run_dir_renders_timeseries_when_present(void **state) {
  (void)state;
  char dir[128], cmd[1200], path[600];
  snprintf(dir, sizeof dir, "%.100s/rundir", tmpdir);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp tests/data/plots/timeseries_24h.csv '%s/timeseries.csv' && "
           "cp tests/data/plots/run_ledger.csv '%s/ledger.csv'", dir, dir, dir);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(ic_plot_run_dir(dir, IC_PLOT_PNG, 3617, 0), IC_OK);
  snprintf(path, sizeof path, "%s/timeseries.png", dir);
  assert_png(path, 15000);
  snprintf(path, sizeof path, "%s/ledger.png", dir);
  assert_png(path, 10000);
}

/* Hand-made points (latency s, cost USD/day), worked out on paper:
 *   0: (2.5, 900)  1: (1.2, 1400)  2: (4.0, 610)  3: (3.1, 950)  4: (1.2, 1300)
 *   5: (6.7, 640)  6: (0.8, 2100)  7: (2.5, 900)  8: (NaN, 10)   9: (5.2, 610)
 * By latency: 6 (0.8, 2100) kept; 4 (1.2, 1300) kept; 1 (1.2, 1400) dearer
 * at the same latency; 0 (2.5, 900) kept; 7 its duplicate, not strictly
 * cheaper; 3 (3.1, 950) dominated by 0; 2 (4.0, 610) kept; 9 (5.2, 610) equal
 * cost, slower; 5 dominated by 2; 8 has no latency. Frontier: 6, 4, 0, 2. */
static void pareto_front_of_hand_made_points(void **state) {
  (void)state;
  const double latency[] = {2.5, 1.2, 4.0, 3.1, 1.2, 6.7, 0.8, 2.5, (double)NAN, 5.2};
  const double cost[] = {900, 1400, 610, 950, 1300, 640, 2100, 900, 10, 610};
  size_t front[10];
  size_t n = ic_plot_pareto_front(latency, cost, 10, front);
  assert_int_equal(n, 4);
  assert_int_equal(front[0], 6);
  assert_int_equal(front[1], 4);
  assert_int_equal(front[2], 0);
  assert_int_equal(front[3], 2);
  assert_int_equal(ic_plot_pareto_front(latency, cost, 0, front), 0);
  assert_int_equal(ic_plot_pareto_front(latency + 6, cost + 6, 1, front), 1); /* one point is its own frontier */
}

/* On the fixture grid (3 fleet sizes x 3 batch caps) the frontier is the
 * cheapest fleet at each latency: read off tests/data/plots/sweep_grid.csv by
 * hand: (4500,32) (3000,32) (2000,32) (2000,8) (2000,4). */
static void pareto_front_of_the_grid_fixture(void **state) {
  (void)state;
  struct ic__plot_table t;
  assert_int_equal(ic__plot_table_read("tests/data/plots/sweep_grid.csv", &t), IC_OK);
  assert_int_equal(t.nrows, 9);
  char path[512];
  snprintf(path, sizeof path, "%s/front.csv", tmpdir);
  long x = ic__plot_table_column(&t, "e2e_p99_s"), y = ic__plot_table_column(&t, "usd_per_day");
  assert_true(x > 0 && y > 0);
  assert_int_equal(ic__plot_write_front(&t, (size_t)x, (size_t)y, path), IC_OK);
  ic__plot_table_free(&t);
  assert_int_equal(ic__plot_table_read(path, &t), IC_OK);
  static const char *const expect[] = {"4500,32,", "3000,32,", "2000,32,", "2000,8,", "2000,4,"};
  assert_int_equal(t.nrows, 5);
  for (size_t i = 0; i < 5; i++) assert_true(!strncmp(t.rows[i], expect[i], strlen(expect[i])));
  ic__plot_table_free(&t);
}

/* A run's ledger (components only) pivots into one row whose parts add up
 * to the run's total; the amortization components land in the amortization
 * column, not "other" (run_ledger.csv: 38533.717612 + 7706.743522 +
 * (394401.643836 + 39638.356164 + 42941.552511) + maintenance 84429.698630 =
 * 607651.712275, the run's printed total 607651.712276 to rounding). The bar's
 * label is the scenario named in run_ledger.meta.json. */
static void run_ledger_parts_add_up_to_total(void **state) {
  (void)state;
  struct ic__plot_table t, w;
  assert_int_equal(ic__plot_table_read("tests/data/plots/run_ledger.csv", &t), IC_OK);
  char path[512];
  snprintf(path, sizeof path, "%s/wide.csv", tmpdir);
  assert_int_equal(ic__plot_write_run_ledger(&t, "tests/data/plots/run_ledger.csv", path), IC_OK);
  ic__plot_table_free(&t);
  assert_int_equal(ic__plot_table_read(path, &w), IC_OK);
  assert_int_equal(w.nrows, 1);
  assert_string_equal(w.rows[0], "chatgpt-2023.ini,38533.717612,7706.743522,476981.552511,84429.698630");
  double sum = 0;
  for (size_t c = 1; c <= 4; c++) sum += ic__plot_table_number(&w, 0, c);
  assert_true(fabs(sum - 607651.712276) < 2e-6);
  ic__plot_table_free(&w);
}

/* marks.csv by hand, targets e2e_p99_s <= 15 and ttft_p99_s <= 2: row 1
 * (10, 1) meets both; row 2 (20) misses e2e; row 3 has no e2e figure (nan
 * counts as a miss) and stable 0; row 4 misses ttft (3); rows 5 and 6 meet
 * both. Only row 3 is unstable. */
static void marked_table_flags_failing_and_unstable_rows(void **state) {
  (void)state;
  struct ic__plot_table t, m;
  assert_int_equal(ic__plot_table_read("tests/data/plots/marks.csv", &t), IC_OK);
  const struct ic_plot_target targets[] = {{"e2e_p99_s", 15.0, (double)NAN}, {"ttft_p99_s", 2.0, (double)NAN}};
  char path[512];
  snprintf(path, sizeof path, "%s/marked.csv", tmpdir);
  assert_int_equal(ic__plot_write_marked(&t, targets, 2, path), IC_OK);
  ic__plot_table_free(&t);
  assert_int_equal(ic__plot_table_read(path, &m), IC_OK);
  long fails = ic__plot_table_column(&m, "ic_fails"), unstable = ic__plot_table_column(&m, "ic_unstable");
  assert_true(fails > 0 && unstable > 0);
  static const int expect_fails[] = {0, 1, 1, 1, 0, 0}, expect_unstable[] = {0, 0, 1, 0, 0, 0};
  assert_int_equal(m.nrows, 6);
  for (size_t r = 0; r < 6; r++) {
    assert_true(ic__plot_table_number(&m, r, (size_t)fails) == expect_fails[r]);
    assert_true(ic__plot_table_number(&m, r, (size_t)unstable) == expect_unstable[r]);
  }
  ic__plot_table_free(&m);
  remove(path);
}

/* --by and text ticks take a column's distinct values in order of first
 * appearance; axis labels of scenario keys come from the key table. */
static void distinct_values_and_axis_labels(void **state) {
  (void)state;
  struct ic__plot_table t;
  assert_int_equal(ic__plot_table_read("tests/data/plots/marks.csv", &t), IC_OK);
  char buf[256];
  size_t n;
  bool numeric;
  assert_true(ic__plot_distinct(&t, 2, "marks.csv", buf, sizeof buf, &n, &numeric));
  assert_string_equal(buf, "a100-80gb h100-sxm");
  assert_int_equal(n, 2);
  assert_false(numeric);
  assert_true(ic__plot_distinct(&t, 1, "marks.csv", buf, sizeof buf, &n, &numeric));
  assert_string_equal(buf, "4 8");
  assert_true(numeric);
  ic__plot_table_free(&t);
  ic_plot_axis_label("serving.max_batch", buf, sizeof buf);
  assert_string_equal(buf, "largest batch B, serving.max_batch (requests)"); /* scenario_keys.c's doc and unit */
  ic_plot_axis_label("fleet.nodes", buf, sizeof buf);
  assert_string_equal(buf, "nodes in the fleet, fleet.nodes (nodes)");
  ic_plot_axis_label("usd_per_day", buf, sizeof buf);
  assert_string_equal(buf, "");
  assert_int_equal(run_cli("plot cost-vs-x tests/data/plots/marks.csv --x fleet.nodes --by fleet.nodes"), 2);
  assert_non_null(strstr(out, "fleet.nodes is already the x axis"));
}

/* A run with hourly prices and carbon: the time-series chart gains two
 * panels, so the image is taller than the four-panel one (900 px). */
static void timeseries_gains_price_and_carbon_panels(void **state) {
  (void)state;
  char args[2048], path[512], prices[512] = "", carbon[512] = "";
  for (int h = 0; h < 24; h++) {
    snprintf(prices + strlen(prices), sizeof prices - strlen(prices), "%s%.2f", h ? "|" : "", h >= 8 && h < 20 ? 0.12 : 0.06);
    snprintf(carbon + strlen(carbon), sizeof carbon - strlen(carbon), "%s%d", h ? "|" : "", 300 + 10 * h);
  }
  snprintf(args, sizeof args, "run tests/data/tiny_scenario.ini -q -s run.duration_s=7200 "
           "-s 'power.electricity_usd_per_kwh_hourly=%s' -s 'power.carbon_g_per_kwh_hourly=%s' -o %s/hourly --plot",
           prices, carbon, tmpdir);
  if (run_cli(args) != 0) fail_msg("%s\n%s", args, out);
  snprintf(path, sizeof path, "%s/hourly/timeseries.png", tmpdir);
  assert_png(path, 15000);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  unsigned char head[24];
  assert_int_equal(fread(head, 1, 24, f), 24);
  fclose(f);
  long height = (long)head[20] << 24 | (long)head[21] << 16 | (long)head[22] << 8 | head[23]; /* PNG IHDR */
  assert_int_equal(height, 900 + 2 * 200);
}

/* Comments anywhere before the header, CRLF line ends and blank lines are fine. */
static void table_reader_skips_comments_and_crlf(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/crlf.csv", tmpdir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("# provenance\r\n# second comment\r\n\r\nfleet.nodes , usd_per_day\r\n12,3.75\r\n13,x\r\n", f);
  fclose(f);
  struct ic__plot_table t;
  assert_int_equal(ic__plot_table_read(path, &t), IC_OK);
  assert_string_equal(t.comment, "provenance");
  assert_int_equal(t.header_lineno, 4);
  assert_int_equal(t.ncolumns, 2);
  assert_string_equal(t.columns[0], "fleet.nodes");
  assert_int_equal(ic__plot_table_column(&t, "usd_per_day"), 1);
  assert_int_equal(t.nrows, 2);
  assert_true(ic__plot_table_number(&t, 0, 1) == 3.75);
  assert_true(isnan(ic__plot_table_number(&t, 1, 1)));
  assert_true(isnan(ic__plot_table_number(&t, 1, 5)));
  ic__plot_table_free(&t);
}

static void kind_names_round_trip(void **state) {
  (void)state;
  enum ic_plot_kind k;
  for (int i = IC_PLOT_COST_VS_X; i <= IC_PLOT_VALIDATION; i++) {
    assert_int_equal(ic_plot_kind_parse(ic_plot_kind_name((enum ic_plot_kind)i), &k), IC_OK);
    assert_int_equal(k, i);
  }
  assert_int_equal(ic_plot_kind_parse("bar", &k), IC_EINVAL);
}

int main(void) {
  ic_diag_set_sink(NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gnuplot_is_installed),
      cmocka_unit_test(render_0),
      cmocka_unit_test(render_1),
      cmocka_unit_test(render_2),
      cmocka_unit_test(render_3),
      cmocka_unit_test(render_4),
      cmocka_unit_test(render_5),
      cmocka_unit_test(render_6),
      cmocka_unit_test(render_7),
      cmocka_unit_test(render_8),
      cmocka_unit_test(render_9),
      cmocka_unit_test(render_10),
      cmocka_unit_test(render_11),
      cmocka_unit_test(render_12),
      cmocka_unit_test(svg_and_png_from_one_call),
      cmocka_unit_test(missing_column_exits_two_naming_it),
      cmocka_unit_test(bad_arguments_exit_two),
      cmocka_unit_test(gnuplot_missing_exits_one),
      cmocka_unit_test(hostile_output_path_is_just_a_name),
      cmocka_unit_test(run_plot_renders_next_to_outputs),
      cmocka_unit_test(run_dir_renders_timeseries_when_present),
      cmocka_unit_test(pareto_front_of_hand_made_points),
      cmocka_unit_test(pareto_front_of_the_grid_fixture),
      cmocka_unit_test(run_ledger_parts_add_up_to_total),
      cmocka_unit_test(marked_table_flags_failing_and_unstable_rows),
      cmocka_unit_test(distinct_values_and_axis_labels),
      cmocka_unit_test(timeseries_gains_price_and_carbon_panels),
      cmocka_unit_test(table_reader_skips_comments_and_crlf),
      cmocka_unit_test(kind_names_round_trip),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
