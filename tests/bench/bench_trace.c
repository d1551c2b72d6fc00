/* bench_trace.c: memory stays flat with trace length.
 *
 * Writes a synthetic Azure-format trace (CRLF, 7 fractional digits, no final
 * newline) of N rows to /tmp, then reads it three ways: the bare streaming
 * reader, the full statistics pass, and a trace replay source (which reads
 * the file twice: a checking pass, then the replay). Prints rows per second
 * and the peak resident set size after each, which should not grow with N.
 *
 * usage: bench_trace [ROWS (default 10000000)] [PATH (default /tmp/ic_bench_trace.csv)] */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

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
  if (write_trace(path, rows) != 0) {
    perror(path);
    return 1;
  }
  printf("bench_trace: %ld rows written to %s in %.1f s; peak RSS %.1f MiB\n", rows, path, now_s() - t0,
         peak_rss_mib());

  t0 = now_s();
  ic_status st;
  ic_trace *t = ic_trace_open(path, NULL, &st);
  if (!t) return 1;
  struct ic_trace_record r;
  long n = 0;
  while ((st = ic_trace_next(t, &r)) == IC_OK) n++;
  ic_trace_free(t);
  double dt = now_s() - t0;
  printf("reader:  %ld rows in %.2f s = %.3g rows/s; peak RSS %.1f MiB (status %s)\n", n, dt, (double)n / dt,
         peak_rss_mib(), st == IC_ENOENT ? "clean end" : ic_strerror(st));

  t0 = now_s();
  struct ic_trace_stats stats;
  st = ic_trace_stats_compute(path, NULL, &stats);
  dt = now_s() - t0;
  printf("stats:   %llu rows in %.2f s = %.3g rows/s; peak RSS %.1f MiB (status %s; p99 prompt %lld, "
         "peak 1-min %llu)\n",
         (unsigned long long)stats.rows, dt, (double)stats.rows / dt, peak_rss_mib(), ic_strerror(st),
         (long long)stats.prompt.p99, (unsigned long long)stats.peak_1min_count);

  ic_sim *sim = ic_sim_alloc(1, 0);
  struct ic_traffic_config c = {0};
  c.queries_per_day = 1e6;
  c.arrival = IC_ARRIVAL_TRACE;
  c.trace_speedup = 1;
  c.prompt_tokens_min = c.output_tokens_min = 1;
  c.prompt_tokens_max = c.output_tokens_max = 1000000;
  const char *none = IC_TRAFFIC_NONE;
  char *lists[] = {c.diurnal_hourly_weights, c.weekly_weights, c.class_names, c.class_shares, c.class_prompt_tokens,
                   c.class_output_tokens, c.class_ttft_target_s, c.class_tpot_target_s, c.trace_time_column,
                   c.trace_prompt_column, c.trace_output_column};
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) strcpy(lists[i], none);
  snprintf(c.trace_path, sizeof c.trace_path, "%s", path);
  c.prompt_lognormal_mu = c.prompt_lognormal_sigma = c.output_lognormal_mu = c.output_lognormal_sigma = (double)NAN;
  t0 = now_s();
  ic_source *src = NULL;
  st = ic_traffic_open(&c, sim, IC_TIME_NEVER, 0, &src);
  if (st != IC_OK) return 1;
  struct ic_request q;
  n = 0;
  while ((st = ic_source_next(src, &q)) == IC_OK) n++;
  ic_source_free(src);
  ic_sim_free(sim);
  dt = now_s() - t0;
  printf("replay:  %ld requests in %.2f s (check pass + replay) = %.3g rows/s per pass; peak RSS %.1f MiB\n", n, dt,
         2.0 * (double)n / dt, peak_rss_mib());
  return 0;
}
