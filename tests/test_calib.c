/* test_calib.c: `infercost validate --quick` end to end, checked for
 * structure only: CI machines are slow and noisy, so no timing-based error
 * bound is asserted here (the measured errors are in docs/compute-model.md). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "ic_test.h"

#include "calib_impl.h"
#include "cli.h"
#include "infercost/calib.h"
#include "infercost/run.h"
#include "infercost/scenario.h"

/* Threads of this process, from /proc. */
static int task_count(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The child of no_blas_thread_outside_validate, started without the BLAS
 * thread-count variables: prints its threads after a serving run, then
 * after OpenBLAS is loaded. */
static int blas_child(void) {
  static struct ic_scenario s;
  struct ic_run_result r;
  ic_scenario_defaults(&s);
  const char *kv[] = {"run.duration_s=5", "run.warmup_s=1", "fleet.nodes=2", "traffic.queries_per_day=1e5"};
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
    if (ic_scenario_set(&s, kv[i], "test") != IC_OK) return 2;
  if (ic_run_scenario(&s, &r) != IC_OK) return 1;
  printf("%d ", task_count());
  if (ic__blas_load(2) != IC_OK) return 1;
  printf("%d\n", task_count());
  return 0;
}

/* OpenBLAS starts its threads when it is loaded, and they spin: a serving
 * run must not load it (issue 20), validate must. */
static void no_blas_thread_outside_validate(void **state) {
  (void)state;
  char self[1024], cmd[1200];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  assert_true(n > 0);
  self[n] = '\0';
  snprintf(cmd, sizeof cmd, "env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u GOTO_NUM_THREADS '%s' --blas-child",
           self);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  int after_run = 0, after_load = 0;
  assert_int_equal(fscanf(p, "%d %d", &after_run, &after_load), 2);
  assert_int_equal(pclose(p), 0);
  assert_int_equal(after_run, 1);
  /* the oracle sees BLAS threads where there are cores for them */
  if (sysconf(_SC_NPROCESSORS_ONLN) > 1) assert_true(after_load > 1);
}

static void quick_validate_writes_every_shape(void **state) {
  (void)state;
  char dir[] = "/tmp/ic_calib_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *argv[] = {(char *)"validate", (char *)"--quick", (char *)"--repeats", (char *)"1", (char *)"--no-plot",
                  (char *)"-o", dir};
  assert_int_equal(ic_cli_validate(7, argv), 0);
  char path[256];
  snprintf(path, sizeof path, "%s/validation.csv", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[512];
  assert_non_null(fgets(line, sizeof line, f)); /* the header first; provenance in provenance.json */
  assert_string_equal(line, "shape,phase,batch,tokens,context,predicted_s,measured_s,error,bound\n");
  struct ic_calib_shape shapes[64];
  size_t expect = ic_calib_shapes(true, shapes, 64), rows = 0;
  while (fgets(line, sizeof line, f)) {
    char *field = strtok(line, ","); /* label */
    for (int i = 0; i < 5; i++) field = strtok(NULL, ",");
    double predicted = strtod(field, NULL), measured = strtod(strtok(NULL, ","), NULL);
    assert_true(isfinite(predicted) && predicted > 0);
    assert_true(isfinite(measured) && measured > 0);
    rows++;
  }
  fclose(f);
  assert_int_equal(rows, expect);
  remove(path);
  rmdir(dir);
}

/* The shape sets span both regimes of the roofline (by the model's own
 * arithmetic intensity, not by timing): full mode has >= 24 shapes. */
static void shapes_span_both_regimes(void **state) {
  (void)state;
  struct ic_calib cal = {.threads = 1, .gemm_flops_per_s = 80e9, .stream_bytes_per_s = 20e9, .ram_bytes = 16e9};
  struct ic_gpu_spec cpu;
  ic_calib_cpu_gpu(&cal, &cpu);
  struct ic_perf_params pp = ic_calib_cpu_params(&cal);
  struct ic_model_spec m;
  ic_calib_model(&m, false);
  struct ic_precisions fp32 = {.weights = IC_FP32, .activations = IC_FP32, .kv = IC_FP32};
  struct ic_perf perf;
  assert_int_equal(ic_perf_init(&perf, &m, &cpu, 1, &fp32, &pp, "t"), IC_OK);
  struct ic_calib_shape s[64];
  size_t n = ic_calib_shapes(false, s, 64);
  assert_true(n >= 24);
  /* decode batch 1: 4 layers x 11.3 M fp32 weights = 181 MB at 20 GB/s -> memory-bound;
   * prefill 2,048: 2 x 45 M x 2,048 = 185 GFLOP at 80 GFLOP/s -> compute-bound. */
  struct ic_iter_shape d = ic_iter_shape_decode(1, 256), p = ic_iter_shape_prefill(2048, 1);
  struct ic_perf_breakdown bd, bp;
  ic_perf_iter_s(&perf, &d, &bd);
  ic_perf_iter_s(&perf, &p, &bp);
  assert_true(bd.memory_s > bd.compute_s);
  assert_true(bp.compute_s > bp.memory_s);
}

/* Attention efficiencies are the attention micro-benchmark's rates over the
 * GEMM peak and the streaming bandwidth, capped at 1. */
static void attention_efficiencies_by_hand(void **state) {
  (void)state;
  struct ic_calib c = {.threads = 1, .gemm_flops_per_s = 100e9, .stream_bytes_per_s = 20e9,
                       .attn_flops_per_s = 10e9, .attn_kv_bytes_per_s = 5e9};
  struct ic_perf_params p = ic_calib_cpu_params(&c);
  assert_true(fabs(p.attention_compute_efficiency - 0.1) < 1e-12);
  assert_true(fabs(p.attention_memory_efficiency - 0.25) < 1e-12);
  c.attn_kv_bytes_per_s = 30e9; /* a cache-resident run: faster than DRAM */
  assert_true(ic_calib_cpu_params(&c).attention_memory_efficiency == 1.0);
}

static void error_stats_by_hand(void **state) {
  (void)state;
  struct ic_calib_row rows[10] = {{.error = 0.05}, {.error = -0.10}, {.error = 0.02}, {.error = 0.30},
                                  {.error = -0.01}, {.error = 0.07}, {.error = -0.20}, {.error = 0.04},
                                  {.error = 0.12}, {.error = -0.03}};
  double med, p90;
  ic_calib_error_stats(rows, 10, &med, &p90);
  /* |e| sorted: .01 .02 .03 .04 .05 .07 .10 .12 .20 .30; median (.05+.07)/2,
   * p90 = 9th of 10 (nearest rank) = .20. */
  assert_true(fabs(med - 0.06) < 1e-12);
  assert_true(fabs(p90 - 0.20) < 1e-12);
}

static void bad_options_are_rejected(void **state) {
  (void)state;
  struct ic_diag_buffer buf = {0};
  ic_diag_set_sink(ic_diag_buffer_sink, &buf);
  char *argv[] = {(char *)"validate", (char *)"--threads", (char *)"zero"};
  assert_int_equal(ic_cli_validate(3, argv), 2);
  assert_non_null(strstr(buf.text, "--threads: expected a whole number in [1, 256], got 'zero'"));
  char *argv2[] = {(char *)"validate", (char *)"--fast"};
  assert_int_equal(ic_cli_validate(2, argv2), 2);
  assert_non_null(strstr(buf.text, "unknown option '--fast'"));
  ic_diag_set_sink(NULL, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--blas-child") == 0) return blas_child();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(no_blas_thread_outside_validate),
      cmocka_unit_test(error_stats_by_hand),
      cmocka_unit_test(attention_efficiencies_by_hand),
      cmocka_unit_test(bad_options_are_rejected),
      cmocka_unit_test(shapes_span_both_regimes),
      cmocka_unit_test(quick_validate_writes_every_shape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
