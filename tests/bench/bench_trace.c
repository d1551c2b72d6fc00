/* bench_trace.c: memory stays flat with trace length.
 *
 * Writes a synthetic Azure-format trace (CRLF, 7 fractional digits, no final
 * newline) of N rows to /tmp, then reads it four ways: a bare libcsv parse
 * (callbacks that only count fields and rows: the floor any CSV reader
 * built on libcsv pays), the streaming reader, the full statistics pass,
 * and a trace replay source (one pass: it checks the rows it replays).
 * Prints rows per CPU second and the peak resident set size after each,
 * which should not grow with N, and the replay's rows per second as a share
 * of the bare parse's (issue 20: at least 50 %).
 *
 * usage: bench_trace [ROWS (default 10000000)] [PATH (default /tmp/ic_bench_trace.csv)] [replay]
 * With "replay", the trace is replayed five times, nothing else: a run to
 * profile (callgrind, perf) or time the replay alone; a file already at
 * PATH is reused as it is (ROWS must then be its row count). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <csv.h>

#include "infercost/scenario.h"
#include "infercost/sim.h"
#include "infercost/trace.h"
#include "infercost/traffic.h"

static double now_s(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

static double cpu_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

struct bare_count {
  long fields, rows;
};
static void bare_field(void *s, size_t len, void *ctx) {
  (void)s, (void)len;
  ((struct bare_count *)ctx)->fields++;
}
static void bare_row(int c, void *ctx) {
  (void)c;
  ((struct bare_count *)ctx)->rows++;
}

/* The file through libcsv with nothing done per field: rows (header
 * included), or -1. */
static long bare_parse(const char *path) {
  FILE *f = fopen(path, "rb");
  struct csv_parser p;
  if (!f || csv_init(&p, CSV_APPEND_NULL) != 0) return -1;
  static char buf[1 << 16];
  struct bare_count n = {0, 0};
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0)
    if (csv_parse(&p, buf, got, bare_field, bare_row, &n) != got) return -1;
  csv_fini(&p, bare_field, bare_row, &n);
  csv_free(&p);
  fclose(f);
  return n.rows;
}

/* One replay of the whole trace through a trace source; requests, or -1. */
static long replay_pass(const char *path) {
  ic_sim *sim = ic_sim_alloc(1, 0);
  static struct ic_scenario sc;
  char path_kv[600];
  snprintf(path_kv, sizeof path_kv, "traffic.trace_path=%s", path);
  const char *sets[] = {"traffic.arrival=trace", path_kv, "traffic.prompt_tokens_max=1000000",
                        "traffic.output_tokens_max=1000000"};
  if (ic_scenario_build(&sc, NULL, sets, sizeof sets / sizeof sets[0]) != IC_OK) return -1;
  const struct ic_traffic_config c = sc.traffic;
  ic_source *src = NULL;
  ic_status st = ic_traffic_open(&c, sim, IC_TIME_NEVER, 0, &src);
  if (st != IC_OK) return -1;
  struct ic_request q;
  long n = 0;
  while ((st = ic_source_next(src, &q)) == IC_OK) n++;
  if (st != IC_ENOENT || ic_source_finish(src) != IC_OK) return -1;
  ic_source_free(src);
  ic_sim_free(sim);
  return n;
}

static int write_trace(const char *path, long rows) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  fputs("TIMESTAMP,ContextTokens,GeneratedTokens", f);
  /* 2023-11-16 00:00:00 plus about 10 arrivals per second */
  unsigned long long x = 88172645463325252ULL, t_100ns = 0;
  for (long i = 0; i < rows; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
    t_100ns += x % 2000000;                  /* 0..0.2 s */
    unsigned long long s = t_100ns / 10000000, frac = t_100ns % 10000000;
    unsigned long long day = 16 + s / 86400, hh = s % 86400 / 3600, mm = s % 3600 / 60, ss = s % 60;
    fprintf(f, "\r\n2023-%02llu-%02llu %02llu:%02llu:%02llu.%07llu,%llu,%llu", 11 + (day - 1) / 30,
            (day - 1) % 30 + 1, hh, mm, ss, frac, 1 + (x >> 20) % 8000, 1 + (x >> 40) % 1000);
  }
  return fclose(f);
}

int main(int argc, char **argv) {
  long rows = argc > 1 ? atol(argv[1]) : 10000000L;
  const char *path = argc > 2 ? argv[2] : "/tmp/ic_bench_trace.csv";
  double t0 = now_s();
  bool replay_only = argc > 3 && strcmp(argv[3], "replay") == 0;
  FILE *there = replay_only ? fopen(path, "rb") : NULL; /* replay mode: an existing trace is reused */
  if (there) fclose(there);
  else if (write_trace(path, rows) != 0) {
    perror(path);
    return 1;
  }
  printf("bench_trace: %ld rows %s %s in %.1f s; peak RSS %.1f MiB\n", rows, there ? "reused from" : "written to",
         path, now_s() - t0, peak_rss_mib());
  if (replay_only) {
    for (int k = 0; k < 5; k++) {
      t0 = cpu_s();
      long n = replay_pass(path);
      printf("replay:  %ld requests in %.3f CPU s\n", n, cpu_s() - t0);
      if (n != rows) return 1;
    }
    return 0;
  }

  t0 = cpu_s();
  long bare_rows = bare_parse(path) - 1; /* less the header */
  double bare_s = cpu_s() - t0;
  printf("libcsv:  %ld rows in %.2f CPU s = %.3g rows/s (bare parse, nothing done per field)\n", bare_rows, bare_s,
         (double)bare_rows / bare_s);

  t0 = cpu_s();
  ic_status st;
  ic_trace *t = ic_trace_open(path, NULL, &st);
  if (!t) return 1;
  struct ic_trace_record r;
  long n = 0;
  while ((st = ic_trace_next(t, &r)) == IC_OK) n++;
  ic_trace_free(t);
  double dt = cpu_s() - t0;
  printf("reader:  %ld rows in %.2f CPU s = %.3g rows/s; peak RSS %.1f MiB (status %s)\n", n, dt, (double)n / dt,
         peak_rss_mib(), st == IC_ENOENT ? "clean end" : ic_strerror(st));

  t0 = cpu_s();
  struct ic_trace_stats stats;
  st = ic_trace_stats_compute(path, NULL, &stats);
  dt = cpu_s() - t0;
  printf("stats:   %llu rows in %.2f CPU s = %.3g rows/s; peak RSS %.1f MiB (status %s; p99 prompt %lld, "
         "peak 1-min %llu)\n",
         (unsigned long long)stats.rows, dt, (double)stats.rows / dt, peak_rss_mib(), ic_strerror(st),
         (long long)stats.prompt.p99, (unsigned long long)stats.peak_1min_count);

  /* The replay and the bare parse alternate, best of three each: the
   * machine is shared, and interference only ever adds time. */
  double best_bare = HUGE_VAL, best_replay = HUGE_VAL;
  for (int k = 0; k < 3; k++) {
    t0 = cpu_s();
    if (bare_parse(path) != bare_rows + 1) return 1;
    if ((dt = cpu_s() - t0) < best_bare) best_bare = dt;
    t0 = cpu_s();
    if ((n = replay_pass(path)) < 0) return 1;
    if ((dt = cpu_s() - t0) < best_replay) best_replay = dt;
  }
  bare_s = best_bare < bare_s ? best_bare : bare_s;
  dt = best_replay;
  printf("replay:  %ld requests in %.2f CPU s (one pass: checked as replayed; best of 3) = %.3g rows/s; peak RSS "
         "%.1f MiB\n", n,
         dt, (double)n / dt, peak_rss_mib());
  printf("libcsv:  best of 4 bare parses %.2f CPU s\n", bare_s);
  printf("replay / bare libcsv parse: %.0f %% of its rows per CPU second (target >= 50 %%)\n",
         100.0 * ((double)n / dt) / ((double)bare_rows / bare_s));
  return 0;
}
