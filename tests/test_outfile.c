/* test_outfile.c: outputs are written whole or not at all. The atomic
 * writer and the output directory on their own (a signal in the middle of
 * writing removes the temporary names), and the command line: over-long
 * output paths are refused instead of truncated, a run's files appear
 * together, an unwritable output is found before the simulation. */
#define _POSIX_C_SOURCE 200809L /* popen, mkdtemp, kill */
#include "ic_test_cli.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ic_test_diag.h"
#include "infercost/outfile.h"

static char out[1 << 16];
static char cmd[16384];

/* A fresh empty directory under /tmp (the caller removes it with rm -rf). */
static void fresh_dir(char *buf, size_t size) {
  snprintf(buf, size, "/tmp/ic-outfile-XXXXXX");
  assert_non_null(mkdtemp(buf));
}

static void rm_rf(const char *dir) {
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* Names in `dir`, sorted, space-separated ("" when empty). */
static const char *listing(const char *dir) {
  static char buf[4096];
  snprintf(cmd, sizeof cmd, "ls -A '%s' | tr '\\n' ' '", dir);
  ic_test_shell(cmd, buf, sizeof buf);
  return buf;
}

static bool exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

static ic_status fill_hello(FILE *f, void *ctx) {
  (void)ctx;
  return fputs("hello\n", f) >= 0 ? IC_OK : IC_EIO;
}

static ic_status fill_refuses(FILE *f, void *ctx) {
  (void)ctx;
  fputs("half a fi", f);
  return IC_EINVAL;
}

/* Dies by SIGTERM in the middle of writing. */
static ic_status fill_then_signal(FILE *f, void *ctx) {
  (void)ctx;
  fputs("half a fi", f);
  fflush(f);
  raise(SIGTERM);
  return IC_OK; /* not reached */
}

static void atomic_write_whole_or_nothing(void **state) {
  (void)state;
  char dir[64], path[128];
  fresh_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/a.csv", dir);
  assert_int_equal(ic_out_write(path, fill_hello, NULL), IC_OK);
  assert_string_equal(listing(dir), "a.csv ");
  /* A writer that gives up leaves the old file and no temporary. */
  assert_int_equal(ic_out_write(path, fill_refuses, NULL), IC_EINVAL);
  assert_string_equal(listing(dir), "a.csv ");
  char buf[64];
  snprintf(cmd, sizeof cmd, "cat '%s'", path);
  ic_test_shell(cmd, buf, sizeof buf);
  assert_string_equal(buf, "hello\n");
  /* An unwritable place is reported under the user's name. */
  assert_int_equal(ic_out_write("/proc/no/such/x.csv", fill_hello, NULL), IC_EIO);
  assert_non_null(strstr(diag.text, "/proc/no/such/x.csv: cannot write: "));
  assert_null(strstr(diag.text, ".tmp"));
  rm_rf(dir);
}

static void overlong_path_is_refused_not_truncated(void **state) {
  (void)state;
  char *path = malloc(IC_OUT_PATH_MAX + 16);
  assert_non_null(path);
  memset(path, 'a', IC_OUT_PATH_MAX + 1);
  path[0] = '/';
  path[IC_OUT_PATH_MAX + 1] = '\0';
  assert_int_equal(ic_out_write(path, fill_hello, NULL), IC_EINVAL);
  char want[96];
  snprintf(want, sizeof want, "path is %d bytes long, at most %d allowed", IC_OUT_PATH_MAX + 1, IC_OUT_PATH_MAX);
  assert_non_null(strstr(diag.text, want));
  assert_null(ic_outdir_open(path));
  free(path);
}

/* Runs body(arg) in a child with the signal handlers installed; the child
 * must die of SIGTERM. */
static void in_child_killed(void (*body)(const char *), const char *arg) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    ic_out_catch_signals();
    body(arg);
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGTERM);
}

static void write_one_killed(const char *path) { ic_out_write(path, fill_then_signal, NULL); }

static void stage_two_killed(const char *target) {
  ic_outdir *od = ic_outdir_open(target);
  if (!od) _exit(3);
  ic_out_write(ic_out_join(ic_outdir_staging(od), "one.csv"), fill_hello, NULL);
  ic_out_write(ic_out_join(ic_outdir_staging(od), "two.csv"), fill_then_signal, NULL);
}

static void signal_while_writing_removes_the_temporary(void **state) {
  (void)state;
  char dir[64], path[128];
  fresh_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/a.csv", dir);
  in_child_killed(write_one_killed, path);
  assert_string_equal(listing(dir), "");
  rm_rf(dir);
}

static void signal_while_staging_removes_the_staging(void **state) {
  (void)state;
  char dir[64], target[128];
  fresh_dir(dir, sizeof dir);
  snprintf(target, sizeof target, "%s/out", dir);
  in_child_killed(stage_two_killed, target);
  assert_string_equal(listing(dir), "");
  rm_rf(dir);
}

static void outdir_appears_whole(void **state) {
  (void)state;
  char dir[64], target[128];
  fresh_dir(dir, sizeof dir);
  snprintf(target, sizeof target, "%s/out", dir);
  ic_outdir *od = ic_outdir_open(target);
  assert_non_null(od);
  char *p = ic_out_join(ic_outdir_staging(od), "one.csv");
  assert_int_equal(ic_out_write(p, fill_hello, NULL), IC_OK);
  free(p);
  assert_false(exists(target)); /* nothing visible before the commit */
  assert_int_equal(ic_outdir_commit(od), IC_OK);
  assert_string_equal(listing(target), "one.csv ");
  assert_string_equal(listing(dir), "out ");
  /* Into an existing directory: old files stay, new ones replace theirs. */
  od = ic_outdir_open(target);
  assert_non_null(od);
  p = ic_out_join(ic_outdir_staging(od), "two.csv");
  assert_int_equal(ic_out_write(p, fill_hello, NULL), IC_OK);
  free(p);
  assert_int_equal(ic_outdir_commit(od), IC_OK);
  assert_string_equal(listing(target), "one.csv two.csv ");
  /* Abandoned: nothing left behind. */
  od = ic_outdir_open(target);
  p = ic_out_join(ic_outdir_staging(od), "three.csv");
  assert_int_equal(ic_out_write(p, fill_hello, NULL), IC_OK);
  free(p);
  ic_outdir_free(od);
  assert_string_equal(listing(target), "one.csv two.csv ");
  rm_rf(dir);
}

/* ---- the command line ---- */

static void long_output_dir_keeps_file_names(void **state) {
  (void)state;
  /* A 1,100-byte directory (the old 1,024-byte buffers cut the names). */
  char dir[64], deep[2048];
  fresh_dir(dir, sizeof dir);
  int n = snprintf(deep, sizeof deep, "%s", dir);
  while (n < 1100) n += snprintf(deep + n, sizeof deep - (size_t)n, "/%0200d", 0);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", deep);
  assert_int_equal(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "%s run tests/data/tiny_scenario.ini -q -o '%s/o' 2>&1", ic_test_bin(), deep);
  assert_int_equal(ic_test_shell(cmd, out, sizeof out), 0);
  char sub[2200];
  snprintf(sub, sizeof sub, "%s/o", deep);
  assert_string_equal(listing(sub),
                      "distributions.csv hourly.csv ledger.csv metrics.csv provenance.json summary.json timeseries.csv ");
  /* Over the limit: refused, exit 2, nothing created. */
  char *huge = malloc(IC_OUT_PATH_MAX + 512);
  assert_non_null(huge);
  n = snprintf(huge, IC_OUT_PATH_MAX + 512, "%s", deep);
  while (n < IC_OUT_PATH_MAX) n += snprintf(huge + n, (size_t)(IC_OUT_PATH_MAX + 512 - n), "/%0200d", 1);
  snprintf(cmd, sizeof cmd, "%s run tests/data/tiny_scenario.ini -q -o '%s' 2>&1", ic_test_bin(), huge);
  assert_int_equal(ic_test_shell(cmd, out, sizeof out), 2);
  assert_non_null(strstr(out, "output directory: path is "));
  assert_non_null(strstr(out, "bytes long, at most"));
  free(huge);
  rm_rf(dir);
}

static void failed_run_leaves_no_outputs(void **state) {
  (void)state;
  char dir[64];
  fresh_dir(dir, sizeof dir);
  /* --plot fails after the CSV files are written (no gnuplot scripts). */
  snprintf(cmd, sizeof cmd, "IC_PLOTS_DIR=/proc/no-plots %s run tests/data/tiny_scenario.ini -q --plot -o %s/o 2>&1",
           ic_test_bin(), dir);
  assert_int_equal(ic_test_shell(cmd, out, sizeof out), 1);
  assert_non_null(strstr(out, "plot script not found"));
  assert_string_equal(listing(dir), ""); /* neither o/ nor a staging directory */
  /* Into an existing directory: its files stay as they were. */
  snprintf(cmd, sizeof cmd, "mkdir %s/o && echo old > %s/o/summary.json", dir, dir);
  assert_int_equal(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "IC_PLOTS_DIR=/proc/no-plots %s run tests/data/tiny_scenario.ini -q --plot -o %s/o 2>&1",
           ic_test_bin(), dir);
  assert_int_equal(ic_test_shell(cmd, out, sizeof out), 1);
  char sub[96];
  snprintf(sub, sizeof sub, "%s/o", dir);
  assert_string_equal(listing(sub), "summary.json ");
  snprintf(cmd, sizeof cmd, "cat %s/o/summary.json", dir);
  ic_test_shell(cmd, out, sizeof out);
  assert_string_equal(out, "old\n");
  rm_rf(dir);
}

static void unwritable_outputs_found_before_running(void **state) {
  (void)state;
  /* No ledger printed: the run never started. */
  assert_int_equal(ic_test_infercost("run tests/data/tiny_scenario.ini -o /proc/no/such/dir", out, sizeof out), 2);
  assert_non_null(strstr(out, "/proc/no/such/dir: cannot create output directory"));
  assert_null(strstr(out, "Per-day ledger"));
  assert_int_equal(ic_test_infercost("sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1,2 -o /proc/no/x.csv",
                                     out, sizeof out), 2);
  assert_non_null(strstr(out, "/proc/no/x.csv: cannot write: "));
  /* trace fit names the user's path, never its temporary file. */
  assert_int_equal(ic_test_infercost("trace fit tests/data/trace_azure_ok.csv -o /proc/no/fit.ini", out, sizeof out), 2);
  assert_non_null(strstr(out, "/proc/no/fit.ini: cannot write: "));
  assert_null(strstr(out, ".tmp"));
}

static bool staging_exists(const void *arg) { return strstr(listing(arg), "o.infercost-staging-") != NULL; }

/* SIGTERM in the middle of a simulation: the process ends by the signal
 * and leaves neither the output directory nor its staging behind. */
static void interrupted_run_leaves_nothing(void **state) {
  (void)state;
  char dir[64];
  fresh_dir(dir, sizeof dir);
  snprintf(cmd, sizeof cmd, "run tests/data/tiny_scenario.ini -q -s run.duration_s=3.1e7 -s traffic.queries_per_day=2e6 "
           "-s fleet.nodes=20 -o %s/o", dir);
  pid_t pid = ic_test_spawn(cmd);
  bool started = ic_test_wait_for(staging_exists, dir, 60.0); /* the run has started */
  kill(pid, SIGTERM); /* also when it did not: no process outlives the test */
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(started);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGTERM);
  assert_string_equal(listing(dir), "");
  rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(atomic_write_whole_or_nothing, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(overlong_path_is_refused_not_truncated, diag_capture, diag_release),
      cmocka_unit_test(signal_while_writing_removes_the_temporary),
      cmocka_unit_test(signal_while_staging_removes_the_staging),
      cmocka_unit_test_setup_teardown(outdir_appears_whole, diag_capture, diag_release),
      cmocka_unit_test(long_output_dir_keeps_file_names),
      cmocka_unit_test(failed_run_leaves_no_outputs),
      cmocka_unit_test(unwritable_outputs_found_before_running),
      cmocka_unit_test(interrupted_run_leaves_nothing),
  };
  return cmocka_run_group_tests_name("outfile", tests, NULL, NULL);
}
