/* test_cli.c: the command line as a user meets it: help, exit codes, error
 * messages with file:line, output files, and byte-for-byte determinism. */
#define _POSIX_C_SOURCE 200809L /* popen, mkdtemp */
#include "ic_test_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs `infercost ARGS` capturing stdout+stderr; returns the exit code. */
static int run_cli(const char *args, char *out, size_t size) { return ic_test_infercost(args, out, size); }

static char out[1 << 16];

static void help_texts_exit_zero(void **state) {
  (void)state;
  assert_int_equal(run_cli("--help", out, sizeof out), 0);
  assert_non_null(strstr(out, "usage: infercost <command>"));
  assert_int_equal(run_cli("run --help", out, sizeof out), 0);
  assert_non_null(strstr(out, "usage: infercost run"));
  assert_int_equal(run_cli("help run", out, sizeof out), 0);
  assert_non_null(strstr(out, "usage: infercost run"));
}

/* Every subcommand's --help lists each option with its default (or says
 * it has none): an option entry starts with "  -" and runs until the next
 * one; "-h, --help" is exempt. The old search --help printed the --nodes
 * default under --allow-unstable. */
static void every_option_has_its_default(void **state) {
  (void)state;
  static const char *const commands[] = {"run", "scenario", "validate", "trace", "sweep", "search", "plot"};
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
    char args[64];
    snprintf(args, sizeof args, "%s --help", commands[c]);
    assert_int_equal(run_cli(args, out, sizeof out), 0);
    int options = 0;
    for (char *p = strstr(out, "\n  -"); p; p = strstr(p + 1, "\n  -")) {
      char *next = strstr(p + 1, "\n  -"), *blank = strstr(p + 1, "\n\n");
      char *end = next && (!blank || next < blank) ? next : blank ? blank : p + strlen(p);
      char entry[1024];
      snprintf(entry, sizeof entry, "%.*s", (int)(end - p), p + 1);
      if (strstr(entry, "--help")) continue;
      options++;
      if (!strstr(entry, "default")) fail_msg("infercost %s --help: no default in\n%s", commands[c], entry);
    }
    assert_true(options >= 1);
  }
  assert_int_equal(run_cli("search --help", out, sizeof out), 0);
  char *nodes = strstr(out, "  --nodes VALUES"), *unstable = strstr(out, "  --allow-unstable");
  assert_non_null(nodes);
  assert_non_null(unstable);
  char *nodes_default = strstr(nodes, "(default 1:N:1");
  assert_true(nodes_default && nodes_default < unstable); /* under --nodes, not under the next option */
}

/* A trace file that is not there is bad input (2), like a missing scenario. */
static void missing_trace_exits_two(void **state) {
  (void)state;
  assert_int_equal(run_cli("run tests/data/tiny_scenario.ini -q -s traffic.arrival=trace "
                           "-s traffic.trace_path=tests/data/no_such_trace.csv", out, sizeof out), 2);
  assert_non_null(strstr(out, "tests/data/no_such_trace.csv: cannot open trace: No such file or directory"));
}

/* Progress: nothing on stderr when it is not a terminal; on a terminal
 * (through script(1), where present) a progress line, and the same ledger. */
static void progress_only_on_a_terminal(void **state) {
  (void)state;
  char cmd[1024];
  static char plain[1 << 14], tty[1 << 15];
  snprintf(cmd, sizeof cmd, "%s run tests/data/tiny_scenario.ini -s run.duration_s=600 2>&1 >/dev/null", ic_test_bin());
  assert_int_equal(ic_test_shell(cmd, plain, sizeof plain), 0);
  assert_string_equal(plain, ""); /* stderr not a terminal: silent */
  snprintf(cmd, sizeof cmd, "%s run tests/data/tiny_scenario.ini -s run.duration_s=600", ic_test_bin());
  assert_int_equal(ic_test_shell(cmd, plain, sizeof plain), 0);
  if (system("command -v script >/dev/null 2>&1") != 0) {
    print_message("script(1) missing: the terminal half is skipped\n");
    return;
  }
  char ts[] = "/tmp/ic_tty_XXXXXX";
  int fd = mkstemp(ts);
  assert_true(fd >= 0);
  close(fd);
  snprintf(cmd, sizeof cmd, "script -qec '%s run tests/data/tiny_scenario.ini -s run.duration_s=600 2>%s.err' /dev/null "
           ">/dev/null; cat %s.err; rm -f %s.err", ic_test_bin(), ts, ts, ts);
  /* script gives the program a terminal for stdout and stderr; stderr goes to a file here,
   * so only stdout is a terminal: no progress. Then both on the terminal: progress. */
  assert_int_equal(ic_test_shell(cmd, tty, sizeof tty), 0);
  assert_string_equal(tty, "");
  snprintf(cmd, sizeof cmd, "script -qec '%s run tests/data/tiny_scenario.ini -s run.duration_s=600' %s >/dev/null; "
           "cat %s", ic_test_bin(), ts, ts);
  assert_int_equal(ic_test_shell(cmd, tty, sizeof tty), 0);
  remove(ts);
  /* The window is 600 s after the warm-up run.warmup_s (auto: 60 s here). */
  assert_non_null(strstr(tty, "simulated 660 of 660 s, "));
  assert_non_null(strstr(tty, " requests arrived, "));
  assert_non_null(strstr(tty, " completed, ETA "));
  /* The ledger printed under a terminal is the one printed without. */
  char *ledger = strstr(plain, "Per-day ledger");
  assert_non_null(ledger);
  char line[256];
  snprintf(line, sizeof line, "%.*s", (int)strcspn(strstr(ledger, "Total"), "\n"), strstr(ledger, "Total"));
  assert_non_null(strstr(tty, line));
}

static void bad_usage_exits_two(void **state) {
  (void)state;
  assert_int_equal(run_cli("", out, sizeof out), 2);
  assert_int_equal(run_cli("frobnicate", out, sizeof out), 2);
  assert_non_null(strstr(out, "unknown command 'frobnicate'"));
  assert_int_equal(run_cli("run --bogus", out, sizeof out), 2);
  assert_non_null(strstr(out, "unknown option '--bogus'"));
  assert_int_equal(run_cli("run -s", out, sizeof out), 2);
  assert_int_equal(run_cli("run -s serving.max_batch=0", out, sizeof out), 2);
  assert_non_null(strstr(out, "-s #1: serving.max_batch: value 0 is out of range"));
}

/* The three mistakes: unknown key, negative value, malformed number. */
static void bad_scenario_reports_each_line(void **state) {
  (void)state;
  assert_int_equal(run_cli("run tests/data/bad_scenario.ini", out, sizeof out), 2);
  assert_non_null(strstr(out, "tests/data/bad_scenario.ini:4: unknown key 'traffic.prompt_tokns' (did you mean 'traffic.prompt_tokens'?)"));
  assert_non_null(strstr(out, "tests/data/bad_scenario.ini:7: serving.max_batch: value -4 is out of range: allowed [1, 1000000] requests"));
  assert_non_null(strstr(out, "tests/data/bad_scenario.ini:8: serving.batch_timeout_s: expected a number, got '0.o5'"));
  assert_int_equal(run_cli("run tests/data/does_not_exist.ini", out, sizeof out), 2);
  assert_non_null(strstr(out, "tests/data/does_not_exist.ini: cannot open scenario"));
}

static void model_that_does_not_fit_is_a_scenario_error(void **state) {
  (void)state;
  assert_int_equal(run_cli("run tests/data/tiny_scenario.ini -s fleet.gpus_per_replica=1", out, sizeof out), 2);
  assert_non_null(strstr(out, "replica does not fit: gpt3-175b needs"));
}

/* A user-defined accelerator runs; without its TDP the scenario says
 * which key is missing, and so does an unknown server without its price. */
static void user_defined_accelerator_runs(void **state) {
  (void)state;
  assert_int_equal(run_cli("run tests/data/custom_accelerator.ini", out, sizeof out), 0);
  assert_non_null(strstr(out, "my-asic"));
  assert_int_equal(run_cli("run tests/data/custom_accelerator.ini -s accelerator.tdp_w=auto", out, sizeof out), 2);
  assert_non_null(strstr(out, "custom_accelerator.ini:"));
  assert_non_null(strstr(out, "accelerator 'my-asic' is not built in"));
  assert_int_equal(run_cli("run tests/data/custom_accelerator.ini -s cost.server_price_usd=auto", out, sizeof out), 2);
  assert_non_null(strstr(out, "cost.server_price_usd"));
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  static char buf[2][1 << 16];
  static int which;
  char *b = buf[which ^= 1];
  size_t n = fread(b, 1, sizeof buf[0] - 1, f);
  b[n] = '\0';
  fclose(f);
  return b;
}

/* Two runs of the same scenario and seed write identical files; every
 * table's first line is its header, and provenance.json names the scenario,
 * its digest and every file; a different seed changes the numbers. */
static void outputs_are_deterministic_with_provenance(void **state) {
  (void)state;
  char dir_a[] = "/tmp/ic_cli_a_XXXXXX", dir_b[] = "/tmp/ic_cli_b_XXXXXX", args[512];
  assert_non_null(mkdtemp(dir_a));
  assert_non_null(mkdtemp(dir_b));
  snprintf(args, sizeof args, "run tests/data/tiny_scenario.ini -q -o %s", dir_a);
  assert_int_equal(run_cli(args, out, sizeof out), 0);
  snprintf(args, sizeof args, "run tests/data/tiny_scenario.ini -q -o %s", dir_b);
  assert_int_equal(run_cli(args, out, sizeof out), 0);
  static const char *const files[] = {"summary.json", "ledger.csv",     "metrics.csv",       "hourly.csv",
                                      "timeseries.csv", "distributions.csv", "provenance.json"};
  static const char *const first_line[] = {"{", "group,item,kwh_per_day,usd_per_day", "metric,value,unit",
                                           "hour,it_energy_kwh,", "time_s,interval_end_s,",
                                           "quantity,bin_low,bin_high,iterations", "{"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char pa[256], pb[256];
    snprintf(pa, sizeof pa, "%s/%s", dir_a, files[i]);
    snprintf(pb, sizeof pb, "%s/%s", dir_b, files[i]);
    char *a = slurp(pa), *b = slurp(pb);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    assert_true(!strncmp(a, first_line[i], strlen(first_line[i])));
    if (!strcmp(files[i], "provenance.json")) {
      assert_non_null(strstr(a, "\"scenario\":\t\"tests/data/tiny_scenario.ini\""));
      assert_non_null(strstr(a, "\"digest\":\t\""));
      for (size_t j = 0; j + 1 < sizeof files / sizeof files[0]; j++) {
        char named[64];
        snprintf(named, sizeof named, "\"name\":\t\"%s\"", files[j]);
        assert_non_null(strstr(a, named));
      }
    }
  }
  snprintf(args, sizeof args, "run tests/data/tiny_scenario.ini -q -s run.seed=7 -o %s", dir_b);
  assert_int_equal(run_cli(args, out, sizeof out), 0);
  char pa[256], pb[256];
  snprintf(pa, sizeof pa, "%s/metrics.csv", dir_a);
  snprintf(pb, sizeof pb, "%s/metrics.csv", dir_b);
  char *a = slurp(pa), *b = slurp(pb);
  assert_string_not_equal(a, b);
}

static void unwritable_output_fails_without_partial_files(void **state) {
  (void)state;
  /* Found before the simulation runs, as bad input. */
  assert_int_equal(run_cli("run tests/data/tiny_scenario.ini -q -o /proc/no/such/dir", out, sizeof out), 2);
  assert_non_null(strstr(out, "/proc/no/such/dir: cannot create output directory"));
}

static void scenario_command_prints_every_key(void **state) {
  (void)state;
  assert_int_equal(run_cli("scenario tests/data/tiny_scenario.ini -s power.pue=1.4", out, sizeof out), 0);
  assert_non_null(strstr(out, "[power]"));
  assert_non_null(strstr(out, "pue = 1.4"));
  assert_non_null(strstr(out, "prompt_tokens = 512"));
  assert_non_null(strstr(out, "nodes = 2"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(help_texts_exit_zero),
      cmocka_unit_test(bad_usage_exits_two),
      cmocka_unit_test(every_option_has_its_default),
      cmocka_unit_test(missing_trace_exits_two),
      cmocka_unit_test(progress_only_on_a_terminal),
      cmocka_unit_test(bad_scenario_reports_each_line),
      cmocka_unit_test(model_that_does_not_fit_is_a_scenario_error),
      cmocka_unit_test(user_defined_accelerator_runs),
      cmocka_unit_test(outputs_are_deterministic_with_provenance),
      cmocka_unit_test(unwritable_output_fails_without_partial_files),
      cmocka_unit_test(scenario_command_prints_every_key),
  };
  return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
