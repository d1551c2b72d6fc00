/* test_search.c: targets, and the bisection search against an exhaustive
 * sweep of the same small grid: same configuration, fewer simulations. */
#define _POSIX_C_SOURCE 200809L /* popen */
#include "ic_test_cli.h"
#include "ic_test_diag.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "infercost/search.h"

static void targets_parse(void **state) {
  (void)state;
  struct ic_search_target t;
  assert_int_equal(ic_search_target_parse("ttft_p99_s<=2.385", "--target", &t), IC_OK);
  assert_int_equal(t.metric, ic_headline_find("ttft_p99_s"));
  assert_int_equal(t.op, IC_TARGET_LE);
  assert_true(t.bound == 2.385);
  assert_int_equal(ic_search_target_parse("utilisation>0.5", "--target", &t), IC_OK);
  assert_int_equal(t.op, IC_TARGET_GT);
  assert_int_equal(ic_search_target_parse("queries_per_day>=1e5", "--target", &t), IC_OK);
  assert_int_equal(t.op, IC_TARGET_GE);
  assert_true(t.bound == 1e5);
  assert_int_equal(ic_search_target_parse("ttft_p99<=2", "--target", &t), IC_EINVAL);
  assert_non_null(strstr(diag.text, "--target: target 'ttft_p99<=2': unknown metric 'ttft_p99'; metrics: queries_per_day,"));
  assert_int_equal(ic_search_target_parse("e2e_p99_s=3", "--target", &t), IC_EINVAL);
  assert_non_null(strstr(diag.text, "expected METRIC<=VALUE"));
  assert_int_equal(ic_search_target_parse("e2e_p99_s<=fast", "--target", &t), IC_EINVAL);
  assert_non_null(strstr(diag.text, "expected a number after the comparison, got 'fast'"));
}

static void meets_needs_every_target_and_a_run(void **state) {
  (void)state;
  struct ic_search_target t[2];
  assert_int_equal(ic_search_target_parse("e2e_p99_s<=10", "t", &t[0]), IC_OK);
  assert_int_equal(ic_search_target_parse("utilisation>=0.5", "t", &t[1]), IC_OK);
  struct ic_sweep_record r = {.status = IC_OK};
  for (size_t m = 0; m < IC_HEADLINE_MAX; m++) r.mean[m] = (double)NAN;
  r.mean[t[0].metric] = 10.0; /* on the bound meets <= */
  r.mean[t[1].metric] = 0.5;
  assert_true(ic_search_meets(&r, t, 2));
  r.mean[t[1].metric] = 0.49;
  assert_false(ic_search_meets(&r, t, 2));
  r.mean[t[1].metric] = (double)NAN; /* nothing completed: never meets */
  assert_false(ic_search_meets(&r, t, 2));
  r.mean[t[1].metric] = 0.9;
  r.status = IC_ECAPACITY;
  assert_false(ic_search_meets(&r, t, 2));
}

/* Batch cap x GPU x tensor parallelism (tp 4 does not fit the 175B model:
 * whole combinations fail), fleets of 1 to 8 nodes. */
struct space {
  struct ic_scenario base;
  struct ic_sweep_axis axes[4], nodes;
  struct ic_search_target targets[2];
};

static void space_init(struct space *sp) {
  ic_scenario_defaults(&sp->base);
  assert_int_equal(ic_scenario_load_file(&sp->base, "tests/data/tiny_scenario.ini"), IC_OK);
  assert_int_equal(ic_sweep_axis_parse(&sp->axes[0], "serving.max_batch=4,16", &sp->base), IC_OK);
  assert_int_equal(ic_sweep_axis_parse(&sp->axes[1], "fleet.gpu=a100-80gb,h100-sxm", &sp->base), IC_OK);
  assert_int_equal(ic_sweep_axis_parse(&sp->axes[2], "fleet.gpus_per_replica=4,8", &sp->base), IC_OK);
  assert_int_equal(ic_sweep_axis_parse(&sp->nodes, "fleet.nodes=1:8:1", &sp->base), IC_OK);
  sp->axes[3] = sp->nodes; /* the exhaustive grid's last axis */
  assert_int_equal(ic_search_target_parse("ttft_p99_s<=7.5", "t", &sp->targets[0]), IC_OK);
  assert_int_equal(ic_search_target_parse("e2e_p99_s<=13", "t", &sp->targets[1]), IC_OK);
}

static void space_fini(struct space *sp) {
  for (int i = 0; i < 3; i++) ic_sweep_axis_fini(&sp->axes[i]);
  ic_sweep_axis_fini(&sp->nodes);
}

static void search_matches_exhaustive_sweep(void **state) {
  (void)state;
  static struct space sp;
  space_init(&sp);
  /* Exhaustive: every point, the cheapest that meets both targets. */
  struct ic_sweep_grid grid = {.base = &sp.base, .axes = sp.axes, .axis_count = 4};
  size_t count = ic_sweep_grid_count(sp.axes, 4);
  assert_int_equal(count, 64);
  struct ic_sweep_record *all = calloc(count, sizeof *all);
  struct ic_sweep_exec x = {.point = ic_sweep_grid_build, .ctx = &grid, .count = count, .runs = 1, .workers = 1};
  assert_int_equal(ic_sweep_execute(&x, all), IC_OK);
  int usd = ic_headline_find("usd_per_day");
  size_t best = count;
  for (size_t i = 0; i < count; i++)
    if (ic_search_meets(&all[i], sp.targets, 2) && (best == count || all[i].mean[usd] < all[best].mean[usd])) best = i;
  assert_true(best < count);
  for (long workers = 1; workers <= 2; workers++) {
    struct ic_search_space space = {.base = &sp.base, .axes = sp.axes, .axis_count = 3, .nodes = &sp.nodes,
                                    .targets = sp.targets, .target_count = 2, .runs = 1, .workers = workers};
    struct ic_search_result r;
    assert_int_equal(ic_search_run(&space, &r), IC_OK);
    assert_true(r.found);
    assert_int_equal(r.combo * 8 + r.nodes_index, best);
    assert_true(r.record.mean[usd] == all[best].mean[usd]);
    assert_int_equal(r.exhaustive, 64);
    /* 8 probes at 8 nodes, then at most 3 halvings of 8 fleet sizes per
     * feasible combination (fewer for those dropped on cost). */
    assert_true(r.simulations <= 8 + 3 * r.feasible_combos);
    assert_true(r.simulations < r.exhaustive);
    print_message("search: %zu simulations against %zu exhaustive (%zu combinations dropped); best combo %zu at %s nodes\n",
                  r.simulations, r.exhaustive, r.dropped_combos, r.combo, sp.nodes.values[r.nodes_index]);
    ic_search_result_fini(&r);
  }
  free(all);
  space_fini(&sp);
}

/* --top N: the ranking is every feasible combination at its smallest
 * feasible fleet, cheapest first, exactly as an exhaustive sweep of the same
 * grid orders them; every point the search reports is the sweep's point. */
static void top_n_matches_exhaustive_ranking(void **state) {
  (void)state;
  static struct space sp;
  space_init(&sp);
  struct ic_sweep_grid grid = {.base = &sp.base, .axes = sp.axes, .axis_count = 4};
  size_t count = ic_sweep_grid_count(sp.axes, 4);
  struct ic_sweep_record *all = calloc(count, sizeof *all);
  struct ic_sweep_exec x = {.point = ic_sweep_grid_build, .ctx = &grid, .count = count, .runs = 1, .workers = 2};
  assert_int_equal(ic_sweep_execute(&x, all), IC_OK);
  int usd = ic_headline_find("usd_per_day");
  /* Per combination, its cheapest point meeting both targets. */
  size_t best[8], feasible = 0;
  for (size_t c = 0; c < 8; c++) {
    best[c] = count;
    for (size_t j = 0; j < 8; j++)
      if (ic_search_meets(&all[c * 8 + j], sp.targets, 2) &&
          (best[c] == count || all[c * 8 + j].mean[usd] < all[best[c]].mean[usd]))
        best[c] = c * 8 + j;
    feasible += best[c] < count;
  }
  assert_true(feasible >= 3);
  struct ic_search_space space = {.base = &sp.base, .axes = sp.axes, .axis_count = 3, .nodes = &sp.nodes,
                                  .targets = sp.targets, .target_count = 2, .runs = 1, .workers = 2, .top = 8};
  struct ic_search_result r;
  assert_int_equal(ic_search_run(&space, &r), IC_OK);
  assert_int_equal(r.ranked_count, feasible);
  assert_int_equal(r.dropped_combos, 0); /* fewer than 8 feasible: nothing may be dropped */
  for (size_t k = 0; k < r.ranked_count; k++) {
    const struct ic_search_point *p = &r.points[r.ranked[k]];
    size_t cheaper = 0; /* feasible combinations strictly cheaper than this one */
    for (size_t c = 0; c < 8; c++) cheaper += best[c] < count && all[best[c]].mean[usd] < p->record.mean[usd];
    assert_int_equal(cheaper, k);
    assert_int_equal(p->combo * 8 + p->nodes_index, best[p->combo]);
  }
  /* Each evaluated point once, with the sweep's own figures. */
  for (size_t i = 0; i < r.point_count; i++) {
    const struct ic_search_point *p = &r.points[i];
    const struct ic_sweep_record *same = &all[p->combo * 8 + p->nodes_index];
    assert_int_equal(p->record.status, same->status);
    assert_true(p->record.mean[usd] == same->mean[usd] || (isnan(p->record.mean[usd]) && isnan(same->mean[usd])));
    for (size_t j = 0; j < i; j++)
      assert_false(r.points[j].combo == p->combo && r.points[j].nodes_index == p->nodes_index);
  }
  assert_int_equal(r.point_count, r.simulations);
  ic_search_result_fini(&r);
  free(all);
  space_fini(&sp);
}

static void unreachable_targets_find_nothing(void **state) {
  (void)state;
  static struct space sp;
  space_init(&sp);
  assert_int_equal(ic_search_target_parse("ttft_p99_s<=0.001", "t", &sp.targets[0]), IC_OK);
  struct ic_search_space space = {.base = &sp.base, .axes = sp.axes, .axis_count = 3, .nodes = &sp.nodes,
                                  .targets = sp.targets, .target_count = 1, .runs = 1, .workers = 1};
  struct ic_search_result r;
  assert_int_equal(ic_search_run(&space, &r), IC_OK);
  assert_false(r.found);
  assert_int_equal(r.simulations, 8); /* only the largest fleet of each combination */
  assert_int_equal(r.point_count, 8);
  assert_int_equal(r.ranked_count, 0);
  ic_search_result_fini(&r);
  space_fini(&sp);
}

static void bad_spaces_are_refused(void **state) {
  (void)state;
  static struct space sp;
  space_init(&sp);
  struct ic_search_space space = {.base = &sp.base, .axes = sp.axes, .axis_count = 4, .nodes = &sp.nodes,
                                  .targets = sp.targets, .target_count = 2, .runs = 1, .workers = 1};
  struct ic_search_result r;
  assert_int_equal(ic_search_run(&space, &r), IC_EINVAL); /* fleet.nodes among the axes */
  assert_non_null(strstr(diag.text, "--vary: fleet.nodes: search bisects on it: give its range with --nodes"));
  struct ic_sweep_axis down;
  assert_int_equal(ic_sweep_axis_parse(&down, "fleet.nodes=4,2", &sp.base), IC_OK);
  space.axis_count = 3;
  space.nodes = &down;
  assert_int_equal(ic_search_run(&space, &r), IC_EINVAL);
  assert_non_null(strstr(diag.text, "--nodes: fleet sizes must ascend: 2 comes after 4"));
  ic_sweep_axis_fini(&down);
  space_fini(&sp);
}


#define SPACE "tests/data/tiny_scenario.ini -q --target 'ttft_p99_s<=7.5' --target 'e2e_p99_s<=13' " \
              "--vary serving.max_batch=4,16 --vary fleet.gpu=a100-80gb,h100-sxm --nodes 1:8:1"

/* Same seed, same answer: one worker, two workers and two MPI ranks print the same text. */
static void answer_does_not_depend_on_workers_or_ranks(void **state) {
  (void)state;
  const char *b = ic_test_bin();
  static char one[1 << 14], other[1 << 14];
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s search " SPACE " --workers 1 2>&1", b);
  assert_int_equal(ic_test_shell(cmd, one, sizeof one), 0);
  snprintf(cmd, sizeof cmd, "%s search " SPACE " --workers 2 2>&1", b);
  assert_int_equal(ic_test_shell(cmd, other, sizeof other), 0);
  assert_string_equal(one, other);
#ifdef IC_WITH_MPI
  if (system("command -v mpirun >/dev/null 2>&1") == 0) {
    snprintf(cmd, sizeof cmd,
             "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
             "ASAN_OPTIONS=detect_leaks=0 mpirun -np 2 %s search " SPACE " 2>&1", b);
    assert_int_equal(ic_test_shell(cmd, other, sizeof other), 0);
    assert_string_equal(one, other);
  }
#endif
}

static void command_line_reports_choice_and_count(void **state) {
  (void)state;
  char out[1 << 14];
  int code = ic_test_infercost("search tests/data/tiny_scenario.ini -q --target 'ttft_p99_s<=7.5' "
                               "--target 'e2e_p99_s<=13' --vary serving.max_batch=4,16 "
                               "--vary fleet.gpu=a100-80gb,h100-sxm --nodes 1:8:1",
                               out, sizeof out);
  assert_int_equal(code, 0);
  /* Stability is an implicit target unless --allow-unstable. */
  assert_non_null(strstr(out, "Cheapest configuration meeting ttft_p99_s<=7.5, e2e_p99_s<=13, stable>=1:\n"));
  assert_non_null(strstr(out, "  fleet.nodes "));
  assert_non_null(strstr(out, "Simulations: "));
  assert_non_null(strstr(out, "against 32 points for the exhaustive grid"));
  code = ic_test_infercost("search tests/data/tiny_scenario.ini --target 'ttft_p99<=2'", out, sizeof out);
  assert_int_equal(code, 2);
  assert_non_null(strstr(out, "unknown metric 'ttft_p99'"));
}

/* Field `col` of CSV line `line` (no quoted fields in these rows). */
static double field(const char *line, int col) {
  for (int c = 0; c < col; c++) line = strchr(line, ',') + 1;
  return strtod(line, NULL);
}

static int column_of(const char *header, const char *name) {
  int col = 0;
  for (const char *p = header; *p && *p != '\n'; col++) {
    size_t len = strcspn(p, ",\n");
    if (len == strlen(name) && !strncmp(p, name, len)) return col;
    p += len + (p[len] == ',');
  }
  return -1;
}

/* search -o: one row per evaluated point with its combination and step;
 * pareto_METRIC is 1 exactly where no other point that ran is at least as
 * good on both cost and that metric and better on one (checked by brute
 * force here, not by the frontier code); a sidecar names the file. */
static void search_table_marks_pareto_points(void **state) {
  (void)state;
  char dir[] = "/tmp/ic_search_XXXXXX", args[1024], path[256], meta[256];
  static char out[1 << 16], csv[1 << 16];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/points.csv", dir);
  snprintf(args, sizeof args, "search " SPACE " --top 3 -o %s", path);
  assert_int_equal(ic_test_infercost(args, out, sizeof out), 0);
  assert_non_null(strstr(out, "The 3 cheapest configurations meeting the targets"));
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  csv[fread(csv, 1, sizeof csv - 1, f)] = '\0';
  fclose(f);
  static const char head[] = "serving.max_batch,fleet.gpu,fleet.nodes,seed,runs,status,meets_targets,";
  assert_true(!strncmp(csv, head, sizeof head - 1));
  int usd = column_of(csv, "usd_per_day"), ttft = column_of(csv, "ttft_p99_s"), e2e = column_of(csv, "e2e_p99_s");
  int pt = column_of(csv, "pareto_ttft_p99_s"), pe = column_of(csv, "pareto_e2e_p99_s");
  int step = column_of(csv, "step"), combo = column_of(csv, "combination");
  assert_true(usd > 0 && ttft > 0 && e2e > 0 && pt > 0 && pe > 0 && step > 0 && combo > 0);
  const char *rows[64];
  size_t n = 0;
  for (char *p = strchr(csv, '\n') + 1; *p; p = strchr(p, '\n') + 1) rows[n++] = p;
  assert_true(n >= 4 && n < 32);
  int on_front = 0;
  for (size_t i = 0; i < n; i++) {
    assert_true(field(rows[i], combo) >= 0 && field(rows[i], combo) < 4);
    assert_true(field(rows[i], step) >= 0 && field(rows[i], step) <= 3);
    for (int t = 0; t < 2; t++) {
      int mc = t ? e2e : ttft;
      bool dominated = false;
      for (size_t j = 0; j < n; j++) {
        double xi = field(rows[i], mc), yi = field(rows[i], usd), xj = field(rows[j], mc), yj = field(rows[j], usd);
        if (j != i && xj <= xi && yj <= yi && (xj < xi || yj < yi || j < i)) dominated = true;
      }
      assert_int_equal(field(rows[i], t ? pe : pt) == 1.0, !dominated);
      on_front += !dominated;
    }
  }
  assert_true(on_front >= 2);
  snprintf(meta, sizeof meta, "%s/points.meta.json", dir);
  f = fopen(meta, "r");
  assert_non_null(f);
  out[fread(out, 1, sizeof out - 1, f)] = '\0';
  fclose(f);
  assert_non_null(strstr(out, "\"file\":\t\"points.csv\""));
  assert_non_null(strstr(out, "\"command\":\t\"search\""));
  remove(path), remove(meta), rmdir(dir);
}

/* --format json carries the ranking; no configuration meeting the targets
 * is exit code 3, distinct from bad input (2) and failure (1). */
static void json_and_exit_codes(void **state) {
  (void)state;
  static char out[1 << 16];
  assert_int_equal(ic_test_infercost("search " SPACE " --top 2 --format json", out, sizeof out), 0);
  assert_true(out[0] == '{');
  assert_non_null(strstr(out, "\"found\":\ttrue"));
  assert_non_null(strstr(out, "\"rank\":\t2"));
  assert_non_null(strstr(out, "\"fleet.nodes\":\t"));
  assert_non_null(strstr(out, "\"targets\":\t[\"ttft_p99_s<=7.5\", \"e2e_p99_s<=13\", \"stable>=1\"]"));
  assert_int_equal(ic_test_infercost("search tests/data/tiny_scenario.ini -q --target 'ttft_p99_s<=0.001' --nodes 1:2:1",
                                     out, sizeof out), 3);
  assert_non_null(strstr(out, "No configuration meets the targets"));
  assert_int_equal(ic_test_infercost("search tests/data/tiny_scenario.ini -q --target 'ttft_p99_s<=0.001' --nodes 1:2:1 "
                                     "--format json", out, sizeof out), 3);
  assert_non_null(strstr(out, "\"found\":\tfalse"));
  assert_int_equal(ic_test_infercost("search tests/data/tiny_scenario.ini --target 'e2e_p99_s<=9' --format yaml", out,
                                     sizeof out), 2);
  assert_non_null(strstr(out, "--format: expected text or json, got 'yaml'"));
  assert_int_equal(ic_test_infercost("search tests/data/tiny_scenario.ini --target 'e2e_p99_s<=9' --top 0", out,
                                     sizeof out), 2);
}

/* The cheapest row of a sweep CSV (first two columns the varied node
 * counts, meets_targets the 6th, usd_per_day the 8th) that meets the
 * targets: the exhaustive answer. */
static void cheapest_row(const char *csv, long *a, long *b, double *usd) {
  *usd = INFINITY;
  const char *line = strchr(csv, '\n');
  while (line && line[1]) {
    line++;
    long x, y, meets;
    double cost;
    if (sscanf(line, "%ld,%ld,%*[^,],%*[^,],%*[^,],%ld,%*[^,],%lf", &x, &y, &meets, &cost) == 4 && meets &&
        cost < *usd)
      *a = x, *b = y, *usd = cost;
    line = strchr(line, '\n');
  }
}

/* search sizes each pool: one pool's node count as a discrete axis, the
 * other's bisected (--nodes pool.NAME.nodes=...). Against the exhaustive
 * sweep of the same grid (every pair of node counts, the same targets and
 * stable >= 1), it must pick the same pair at the same cost, in fewer
 * simulations: the prefill:decode split of a disaggregated fleet (the
 * answer, 5 : 5, inside the grid), and the A100 + H100 mix of a mixed
 * fleet under the least_work router. */
static void search_sizes_each_pool(void **state) {
  (void)state;
  static const struct {
    const char *file, *targets, *axis_key, *axis, *bisect_key, *bisect;
  } cases[] = {
      {"tests/data/disagg_search.ini", "--target 'ttft_p99_s<=2' --target 'tpot_p99_s<=0.05'", "pool.prefill.nodes",
       "3:6:1", "pool.decode.nodes", "2:7:1"},
      {"tests/data/mixed_search.ini", "--target 'ttft_p99_s<=0.5' --target 'tpot_p99_s<=0.03'", "pool.a100.nodes",
       "1:4:1", "pool.h100.nodes", "1:5:1"},
  };
  static char out[1 << 17], args[1024], want[256];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(args, sizeof args, "sweep %s -q --workers 2 %s --target 'stable>=1' --vary %s=%s --vary %s=%s",
             cases[i].file, cases[i].targets, cases[i].axis_key, cases[i].axis, cases[i].bisect_key, cases[i].bisect);
    assert_int_equal(ic_test_infercost(args, out, sizeof out), 0);
    long a = -1, b = -1;
    double usd;
    cheapest_row(out, &a, &b, &usd);
    assert_true(a > 0 && b > 0 && isfinite(usd));
    snprintf(args, sizeof args, "search %s -q --workers 2 %s --vary %s=%s --nodes %s=%s", cases[i].file,
             cases[i].targets, cases[i].axis_key, cases[i].axis, cases[i].bisect_key, cases[i].bisect);
    assert_int_equal(ic_test_infercost(args, out, sizeof out), 0);
    printf("# %s: exhaustive %s %ld, %s %ld at USD %.2f/day\n", cases[i].file, cases[i].axis_key, a,
           cases[i].bisect_key, b, usd);
    snprintf(want, sizeof want, "  %-28s %ld\n  %-28s %ld\n", cases[i].axis_key, a, cases[i].bisect_key, b);
    if (!strstr(out, want)) fprintf(stderr, "want:\n%s\ngot:\n%.2000s\n", want, out);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "Cost: USD %.2f per day", usd);
    assert_non_null(strstr(out, want));
    size_t sims = 0, grid = 0;
    const char *line = strstr(out, "Simulations: ");
    assert_non_null(line);
    assert_int_equal(sscanf(line, "Simulations: %zu points x 1 runs, against %zu points", &sims, &grid), 2);
    assert_true(sims < grid);
  }
}

/* The bisected key must be a node count that sizes some pool. */
static void search_refuses_a_key_that_sizes_nothing(void **state) {
  (void)state;
  static char out[1 << 14];
  assert_int_equal(ic_test_infercost("search tests/data/disagg_search.ini -q --target 'ttft_p99_s<=2' "
                                     "-s pool.decode.nodes=4 -s pool.prefill.nodes=4 --nodes 3:8:1", out, sizeof out), 2);
  assert_non_null(strstr(out, "--nodes: fleet.nodes sizes no pool of combination 0 (each sets its own nodes)"));
  assert_int_equal(ic_test_infercost("search tests/data/disagg_search.ini -q --target 'ttft_p99_s<=2' "
                                     "--nodes pool.decode.max_batch=8,16", out, sizeof out), 2);
  assert_non_null(strstr(out, "--nodes: pool.decode.max_batch: search bisects on a node count"));
  assert_int_equal(ic_test_infercost("search tests/data/disagg_search.ini -q --target 'ttft_p99_s<=2' "
                                     "--nodes pool.decode.nodes=1:3:1 --vary pool.decode.nodes=1,2", out, sizeof out), 2);
  assert_non_null(strstr(out, "--vary: pool.decode.nodes: search bisects on it"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(search_sizes_each_pool),
      cmocka_unit_test(search_refuses_a_key_that_sizes_nothing),
      cmocka_unit_test_setup_teardown(targets_parse, diag_capture, diag_release),
      cmocka_unit_test(meets_needs_every_target_and_a_run),
      cmocka_unit_test_setup_teardown(search_matches_exhaustive_sweep, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(unreachable_targets_find_nothing, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(top_n_matches_exhaustive_ranking, diag_capture, diag_release),
      cmocka_unit_test(search_table_marks_pareto_points),
      cmocka_unit_test(json_and_exit_codes),
      cmocka_unit_test_setup_teardown(bad_spaces_are_refused, diag_capture, diag_release),
      cmocka_unit_test(command_line_reports_choice_and_count),
      cmocka_unit_test(answer_does_not_depend_on_workers_or_ranks),
  };
  return cmocka_run_group_tests_name("search", tests, NULL, NULL);
}
