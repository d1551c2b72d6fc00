/* test_serve_golden.c: the serving model's outputs, pinned byte for byte.
 *
 * Ten runs (the built-in scenario, continuous with lognormal lengths and
 * token steps, static, chunked prefill, idle power-down, a trace replay,
 * scenarios/chatgpt-2025.ini on a tenth of its fleet and traffic,
 * disaggregated prefill and decode pools, preemption, a prefix cache)
 * write every output file (`run -o DIR`); each must equal the copy under
 * tests/data/golden/CASE/ to the byte. It guards reshaping the serving code
 * (issue 13: the redesign keeps every output; issue 20: the speed-ups
 * keep every output). A change that is meant to
 * move figures regenerates the copies with IC_GOLDEN_UPDATE=1 and says why
 * in its commit. */
#define _POSIX_C_SOURCE 200809L
#include "ic_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ic_test_cli.h"

struct golden_case {
  const char *name;
  const char *args; /* after `run -q -o DIR` */
};

/* Short windows of small fleets: each runs in about a second. */
static const struct golden_case cases[] = {
    {"default", "-s run.duration_s=20 -s run.warmup_s=10"},
    {"continuous", "-s fleet.nodes=4 -s traffic.queries_per_day=3e5 -s traffic.prompt_dist=lognormal "
                   "-s traffic.output_dist=lognormal -s serving.router=least_outstanding -s serving.step_mode=token "
                   "-s run.duration_s=300 -s run.series_interval_s=30"},
    {"static", "-s fleet.nodes=4 -s traffic.queries_per_day=1e5 -s serving.batching=static -s serving.max_batch=8 "
               "-s serving.router=round_robin -s run.duration_s=300 -s run.series_interval_s=30"},
    {"chunked", "-s fleet.nodes=3 -s traffic.queries_per_day=3e5 -s serving.prefill_chunk_tokens=256 "
                "-s serving.router=least_tokens -s run.duration_s=300 -s run.series_interval_s=30"},
    {"powerdown", "-s fleet.nodes=6 -s traffic.queries_per_day=2e5 -s power.powerdown=idle -s power.powerdown_idle_s=2 "
                  "-s traffic.arrival=diurnal -s run.duration_s=600 -s run.series_interval_s=60"},
    {"trace", "-s traffic.arrival=trace -s traffic.trace_path=traces/azure2023_conv.csv -s fleet.nodes=8 "
              "-s fleet.gpu=h100-sxm -s fleet.server=dgx-h100 -s model.name=llama2-70b -s fleet.gpus_per_replica=4 "
              "-s run.duration_s=300 -s run.series_interval_s=30"},
    {"chatgpt2025", "scenarios/chatgpt-2025.ini -s fleet.nodes=600 -s traffic.queries_per_day=2.5e8 -s run.warmup_s=10 "
                    "-s run.duration_s=20 -s run.series_interval_s=5"},
    /* Added for issue 20's second round (the continuous batch's slots, event argument and hints), from
     * the binary of commit 8410a7b: prefill and decode pools, preemption, a prefix cache. */
    {"disagg", "tests/data/disagg_search.ini -s pool.prefill.nodes=3 -s pool.decode.nodes=6 "
               "-s traffic.output_dist=lognormal -s traffic.prompt_dist=lognormal -s run.series_interval_s=30"},
    {"preempt", "scenarios/chatgpt-2025.ini -s traffic.prompt_tokens=30000 -s traffic.prompt_dist=lognormal "
                "-s traffic.output_dist=lognormal -s serving.max_batch=256 -s fleet.nodes=4 -s traffic.queries_per_day=5e6 "
                "-s run.duration_s=200 -s run.warmup_s=0 -s run.series_interval_s=20"},
    {"prefix", "scenarios/mooncake-replay.ini -s run.duration_s=120 -s serving.prefix_cache=true "
               "-s serving.router=prefix_aware -s run.series_interval_s=20"},
};

static const char *const files[] = {"summary.json", "metrics.csv", "ledger.csv", "hourly.csv", "timeseries.csv",
                                    "distributions.csv", "provenance.json"};

/* The whole file, NUL-terminated, in *len bytes; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t cap = 0, n = 0, got;
  do {
    if (n + 65536 + 1 > cap) {
      cap = (n + 65536 + 1) * 2;
      char *p = realloc(buf, cap);
      assert_non_null(p);
      buf = p;
    }
    got = fread(buf + n, 1, 65536, f);
    n += got;
  } while (got > 0);
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static void outputs_match(void **state) {
  const struct golden_case *c = *state;
  bool update = getenv("IC_GOLDEN_UPDATE") != NULL;
  char dir[] = "/tmp/ic_golden_XXXXXX", args[2048], out[8192];
  assert_non_null(mkdtemp(dir));
  snprintf(args, sizeof args, "run -q -o %s %s", dir, c->args);
  int rc = ic_test_infercost(args, out, sizeof out);
  if (rc != 0) fprintf(stderr, "%s\n", out);
  assert_int_equal(rc, 0);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char got_path[512], want_path[512];
    snprintf(got_path, sizeof got_path, "%s/%s", dir, files[i]);
    snprintf(want_path, sizeof want_path, "tests/data/golden/%s/%s", c->name, files[i]);
    size_t got_len = 0, want_len = 0;
    char *got = slurp(got_path, &got_len);
    assert_non_null(got);
    if (update) {
      char sub[512];
      snprintf(sub, sizeof sub, "tests/data/golden/%s", c->name);
      (void)mkdir("tests/data/golden", 0777); /* may exist */
      (void)mkdir(sub, 0777);
      write_file(want_path, got, got_len);
    }
    char *want = slurp(want_path, &want_len);
    if (!want) fail_msg("%s: missing; run with IC_GOLDEN_UPDATE=1 to write it", want_path);
    if (got_len != want_len || memcmp(got, want, got_len) != 0) {
      size_t at = 0;
      while (at < got_len && at < want_len && got[at] == want[at]) at++;
      fail_msg("%s differs from %s at byte %zu", got_path, want_path, at);
    }
    free(got);
    free(want);
    assert_int_equal(remove(got_path), 0);
  }
  assert_int_equal(rmdir(dir), 0);
}

int main(void) {
  enum { N = sizeof cases / sizeof cases[0] };
  struct CMUnitTest tests[N];
  for (size_t i = 0; i < N; i++)
    tests[i] = (struct CMUnitTest){cases[i].name, outputs_match, NULL, NULL, (void *)(uintptr_t)&cases[i]};
  return _cmocka_run_group_tests("serve_golden", tests, N, NULL, NULL);
}
