/* test_run_shard.c: run.shards. Oracles: each shard run on its own as a
 * plain scenario (its nodes, its share of the traffic, its seed as
 * docs/scenario-format.md states it), whose counters and amounts the merged
 * result must add up to; the conservation of requests; the same result
 * whatever the number of workers. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, popen */
#include "ic_test.h"
#include "ic_test_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic_test_diag.h"
#include "infercost/rng.h"
#include "infercost/run.h"
#include "infercost/scenario.h"

static void set(struct ic_scenario *s, const char *kv) { assert_int_equal(ic_scenario_set(s, kv, "test"), IC_OK); }

/* Llama-2-7B on 4 one-GPU nodes at about 5 requests/s per replica, two
 * classes, lognormal lengths: latencies spread over many sketch buckets. */
static void small_fleet(struct ic_scenario *s) {
  ic_scenario_defaults(s);
  static const char *const keys[] = {
      "model.name=llama2-7b", "fleet.gpu=h100-sxm", "fleet.server=test-host", "power.node_base_w=1500",
      "cost.server_price_usd=100000", "fleet.nodes=4", "fleet.gpus_per_node=1", "fleet.gpus_per_replica=1",
      "traffic.queries_per_day=1728000", "traffic.prompt_tokens=300", "traffic.output_tokens=40",
      "traffic.output_dist=lognormal", "traffic.class_names=a|b", "traffic.class_shares=0.5|0.5",
      "run.duration_s=120", "run.seed=31337"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) set(s, keys[i]);
}

static struct ic_scenario base, part;
static struct ic_run_result merged, again, shard[2];

static void near(double got, double want) { assert_true(fabs(got - want) <= 1e-9 * fabs(want)); }

/* Shard k of `base` (2 shards), built by hand from the documented rule. */
static void shard_by_hand(size_t k) {
  part = base;
  char kv[96];
  snprintf(kv, sizeof kv, "run.seed=%llu",
           (unsigned long long)(ic_rng_stream_seed((uint64_t)base.run.seed, (uint64_t)k, "run.shards") >> 11));
  set(&part, kv);
  set(&part, "run.shards=1");
  set(&part, "fleet.nodes=2");
  set(&part, "traffic.queries_per_day=864000");
}

static void merged_figures_are_the_shards_sums(void **state) {
  (void)state;
  small_fleet(&base);
  set(&base, "run.shards=2");
  set(&base, "run.shard_workers=1");
  assert_int_equal(ic_run_scenario(&base, &merged), IC_OK);
  for (size_t k = 0; k < 2; k++) {
    shard_by_hand(k);
    assert_int_equal(ic_run_scenario(&part, &shard[k]), IC_OK);
    assert_true(shard[k].completed > 500);
  }
  const struct ic_run_result *a = &shard[0], *b = &shard[1];
  assert_int_equal(merged.arrived, a->arrived + b->arrived);
  assert_int_equal(merged.completed, a->completed + b->completed);
  assert_int_equal(merged.in_flight_at_start, a->in_flight_at_start + b->in_flight_at_start);
  assert_int_equal(merged.in_flight_at_end, a->in_flight_at_end + b->in_flight_at_end);
  assert_int_equal(merged.rejected, a->rejected + b->rejected);
  assert_int_equal(merged.events, a->events + b->events);
  assert_int_equal(merged.gpus, 4);
  assert_int_equal(merged.replicas, 4);
  /* Requests are conserved across the merge. */
  assert_int_equal(merged.in_flight_at_start + merged.arrived,
                   merged.completed + merged.rejected + merged.in_flight_at_end);
  near(merged.cost.total_usd, a->cost.total_usd + b->cost.total_usd);
  near(merged.cost.it_energy_kwh, a->cost.it_energy_kwh + b->cost.it_energy_kwh);
  near(merged.it_energy_j, a->it_energy_j + b->it_energy_j);
  near(merged.queries_per_day, a->queries_per_day + b->queries_per_day);
  near(merged.output_tokens_per_day, a->output_tokens_per_day + b->output_tokens_per_day);
  near(merged.hours[3].total_usd, a->hours[3].total_usd + b->hours[3].total_usd);
  near(merged.usd_per_query, (a->cost.total_usd + b->cost.total_usd) / (a->queries_per_day + b->queries_per_day));
  /* Equal fleets: the fleet's fractions are the shards' means. */
  near(merged.utilisation, (a->utilisation + b->utilisation) / 2);
  near(merged.mfu, (a->mfu + b->mfu) / 2);
  for (size_t c = 0; c < 2; c++)
    assert_int_equal(merged.classes[c].completed, a->classes[c].completed + b->classes[c].completed);
  /* A quantile of the union lies between the parts' quantiles; the means
   * are the count-weighted means. */
  assert_true(merged.e2e_p99_s >= fmin(a->e2e_p99_s, b->e2e_p99_s));
  assert_true(merged.e2e_p99_s <= fmax(a->e2e_p99_s, b->e2e_p99_s));
  assert_true(merged.ttft_p99_s >= fmin(a->ttft_p99_s, b->ttft_p99_s));
  assert_true(merged.ttft_p99_s <= fmax(a->ttft_p99_s, b->ttft_p99_s));
  near(merged.e2e_mean_s, (a->e2e_mean_s * (double)a->completed + b->e2e_mean_s * (double)b->completed) /
                              (double)(a->completed + b->completed));
}

static void workers_do_not_change_the_result(void **state) {
  (void)state;
  small_fleet(&base);
  set(&base, "run.shards=2");
  set(&base, "run.shard_workers=1");
  assert_int_equal(ic_run_scenario(&base, &merged), IC_OK);
  set(&base, "run.shard_workers=2");
  assert_int_equal(ic_run_scenario(&base, &again), IC_OK);
  assert_memory_equal(&merged, &again, sizeof merged);
}

/* Pools split one by one: each shard holds half of every pool. */
static void pools_split_each_pool(void **state) {
  (void)state;
  small_fleet(&base);
  set(&base, "pool.x.nodes=4");
  set(&base, "pool.y.nodes=2");
  set(&base, "run.shards=2");
  set(&base, "run.shard_workers=2");
  assert_int_equal(ic_run_scenario(&base, &merged), IC_OK);
  for (size_t k = 0; k < 2; k++) {
    shard_by_hand(k);
    set(&part, "pool.x.nodes=2");
    set(&part, "pool.y.nodes=1");
    assert_int_equal(ic_run_scenario(&part, &shard[k]), IC_OK);
  }
  assert_int_equal(merged.pool_count, 2);
  assert_int_equal(merged.gpus, 6);
  for (size_t i = 0; i < 2; i++) {
    const struct ic_run_pool *p = &merged.pools[i], *a = &shard[0].pools[i], *b = &shard[1].pools[i];
    assert_int_equal(p->nodes, a->nodes + b->nodes);
    assert_int_equal(p->routed, a->routed + b->routed);
    assert_int_equal(p->completed, a->completed + b->completed);
    assert_true(a->completed > 100 && b->completed > 100);
    near(p->usd_per_day, a->usd_per_day + b->usd_per_day);
    assert_true(p->mean_batch_size >= fmin(a->mean_batch_size, b->mean_batch_size) &&
                p->mean_batch_size <= fmax(a->mean_batch_size, b->mean_batch_size));
    assert_true(p->wait_p99_s >= fmin(a->wait_p99_s, b->wait_p99_s) && p->wait_p99_s <= fmax(a->wait_p99_s, b->wait_p99_s));
  }
  assert_int_equal(merged.pools[0].nodes, 4);
  near(merged.cost.total_usd, shard[0].cost.total_usd + shard[1].cost.total_usd);
}

/* Reads dir/timeseries.csv's numbers (after the header) into v; their count. */
static size_t read_series(const char *dir, double *v, size_t max) {
  char path[256];
  snprintf(path, sizeof path, "%s/timeseries.csv", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  int c;
  while ((c = fgetc(f)) != EOF && c != '\n') {}
  size_t n = 0;
  while (n < max && fscanf(f, "%lf", &v[n]) == 1) {
    n++;
    c = fgetc(f); /* ',' or '\n' */
  }
  fclose(f);
  return n;
}

/* timeseries.csv of the merged run: every column the shards' sum (the
 * interval columns the same), interval by interval. */
static void series_add_per_interval(void **state) {
  (void)state;
  static double m[20000], a[20000], b[20000];
  char dir[] = "/tmp/ic_shard_XXXXXX", sub[3][300];
  assert_non_null(mkdtemp(dir));
  for (int i = 0; i < 3; i++) snprintf(sub[i], sizeof sub[i], "%s/%d", dir, i);
  small_fleet(&base);
  set(&base, "run.series_interval_s=10");
  set(&base, "run.shards=2");
  assert_int_equal(ic_run_scenario_series(&base, &merged, sub[0]), IC_OK);
  for (size_t k = 0; k < 2; k++) {
    shard_by_hand(k);
    assert_int_equal(ic_run_scenario_series(&part, &shard[k], sub[k + 1]), IC_OK);
  }
  size_t n = read_series(sub[0], m, 20000);
  assert_int_equal(read_series(sub[1], a, 20000), n);
  assert_int_equal(read_series(sub[2], b, 20000), n);
  assert_true(n > 12 * 4); /* 12 rows of several columns */
  char path[320];
  snprintf(path, sizeof path, "%s/timeseries.csv", sub[0]);
  FILE *f = fopen(path, "r");
  char header[4096];
  assert_non_null(fgets(header, sizeof header, f));
  fclose(f);
  size_t cols = 1;
  for (const char *c = header; *c; c++) cols += *c == ',';
  assert_int_equal(n % cols, 0);
  for (size_t i = 0; i < n; i++) {
    if (i % cols < 2) assert_true(m[i] == a[i] && m[i] == b[i]);
    else assert_true(fabs(m[i] - (a[i] + b[i])) <= 2e-9 * fabs(m[i]) + 1e-12); /* %.9g each */
  }
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* `infercost run` with 4 shards on 1 local worker, 2 local workers, and
 * (where MPI is there) 2 and 3 MPI ranks: the same files byte for byte. */
static void cli_outputs_same_on_workers_and_ranks(void **state) {
  (void)state;
  static char out[8192], want[3][65536], got[65536];
  char dir[] = "/tmp/ic_shardcli_XXXXXX", args[1024];
  assert_non_null(mkdtemp(dir));
  const char *files[3] = {"summary.json", "timeseries.csv", "metrics.csv"};
  const char *common = "run -q tests/data/tiny_scenario.ini -s fleet.nodes=8 -s traffic.queries_per_day=8e5 -s run.shards=4";
  for (int w = 1; w <= 2; w++) {
    snprintf(args, sizeof args, "%s -s run.shard_workers=%d -o %s/w%d", common, w, dir, w);
    assert_int_equal(ic_test_infercost(args, out, sizeof out), 0);
  }
  char sub[64];
  for (int f = 0; f < 3; f++) {
    snprintf(sub, sizeof sub, "%s/w1", dir);
    ic_test_read_file(sub, files[f], want[f], sizeof want[f]);
    snprintf(sub, sizeof sub, "%s/w2", dir);
    ic_test_read_file(sub, files[f], got, sizeof got);
    assert_string_equal(want[f], got);
  }
#ifdef IC_WITH_MPI
  if (system("command -v mpirun >/dev/null 2>&1") == 0) {
    for (int np = 2; np <= 3; np++) {
      char cmd[2048];
      snprintf(cmd, sizeof cmd,
               "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
               "ASAN_OPTIONS=detect_leaks=0 mpirun -np %d %s %s -s run.shard_workers=1 -o %s/mpi%d 2>&1",
               np, ic_test_bin(), common, dir, np);
      int rc = ic_test_shell(cmd, out, sizeof out);
      if (rc != 0) fail_msg("mpirun failed (%d): %s", rc, out);
      snprintf(sub, sizeof sub, "%s/mpi%d", dir, np);
      for (int f = 0; f < 3; f++) {
        ic_test_read_file(sub, files[f], got, sizeof got);
        assert_string_equal(want[f], got);
      }
    }
  } else {
    print_message("mpirun missing: the MPI half skipped\n");
  }
#endif
  snprintf(args, sizeof args, "rm -rf '%s'", dir);
  assert_int_equal(system(args), 0);
}

static void uneven_or_replayed_splits_are_refused(void **state) {
  (void)state;
  small_fleet(&base);
  set(&base, "run.shards=3");
  assert_int_equal(ic_run_scenario(&base, &merged), IC_EINVAL);
  assert_non_null(strstr(diag.text, "fleet.nodes = 4 (the fleet) does not split into run.shards = 3"));
  small_fleet(&base);
  set(&base, "fleet.gpus_per_node=2");
  set(&base, "fleet.gpus_per_replica=4"); /* replicas of 2 nodes: 4 nodes make 2 replicas */
  set(&base, "run.shards=4");
  assert_int_equal(ic_run_scenario(&base, &merged), IC_EINVAL);
  assert_non_null(strstr(diag.text, "make it a multiple of 8"));
  small_fleet(&base);
  set(&base, "run.shards=2");
  set(&base, "traffic.mode=offline");
  set(&base, "traffic.requests=100");
  assert_int_equal(ic_run_scenario(&base, &merged), IC_EINVAL);
  assert_non_null(strstr(diag.text, "only open generated traffic splits into shards"));
  small_fleet(&base);
  set(&base, "pool.x.nodes=4");
  set(&base, "pool.y.nodes=3");
  set(&base, "run.shards=2");
  assert_int_equal(ic_run_scenario(&base, &merged), IC_EINVAL);
  assert_non_null(strstr(diag.text, "fleet.nodes = 3 (y) does not split into run.shards = 2"));
  small_fleet(&base);
  set(&base, "run.shards=2");
  set(&base, "cost.reserved_nodes=2");
  assert_int_equal(ic_run_scenario(&base, &merged), IC_EINVAL);
  assert_non_null(strstr(diag.text, "the fleet uses cost.reserved_nodes, whose node counts shards do not split"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(merged_figures_are_the_shards_sums),
      cmocka_unit_test(workers_do_not_change_the_result),
      cmocka_unit_test(pools_split_each_pool),
      cmocka_unit_test(series_add_per_interval),
      cmocka_unit_test(cli_outputs_same_on_workers_and_ranks),
      cmocka_unit_test_setup_teardown(uneven_or_replayed_splits_are_refused, diag_capture, diag_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
