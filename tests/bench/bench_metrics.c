/* bench_metrics.c: cost per call of the metrics module's hot paths.
 *
 * Not part of CTest (timings are machine-dependent); build with
 * -DIC_BUILD_BENCH=ON and run ./bench_metrics. Prints nanoseconds per call
 * and the sketch's memory, to show it stays flat as n grows. */
#include <stdio.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "infercost/metrics.h"

static double seconds_since(clock_t t0) { return (double)(clock() - t0) / CLOCKS_PER_SEC; }

static void bench_sketch(const gsl_rng *r, size_t n) {
  ic_sketch *sk = ic_sketch_alloc(IC_SKETCH_DEFAULT_REL_ERR);
  if (!sk) return;
  clock_t t0 = clock();
  for (size_t i = 0; i < n; i++) ic_sketch_add(sk, gsl_ran_lognormal(r, -1.0, 1.5));
  double add_s = seconds_since(t0);
  t0 = clock();
  double acc = 0.0;
  const size_t nq = 10000;
  for (size_t i = 0; i < nq; i++) acc += ic_sketch_quantile(sk, (double)i / (double)nq);
  double q_s = seconds_since(t0);
  printf("sketch n=%-9zu add %6.1f ns/call (incl. lognormal draw)  quantile %7.1f ns/call  "
         "buckets %zu (%zu bytes, cap %zu)  [checksum %.6g]\n",
         n, add_s * 1e9 / (double)n, q_s * 1e9 / (double)nq, ic_sketch_bucket_count(sk),
         ic_sketch_bucket_count(sk) * sizeof(uint64_t), ic_sketch_bucket_limit(sk), acc);
  ic_sketch_free(sk);
}

static void bench_series(size_t n) {
  ic_series *s = ic_series_alloc(0, 60 * IC_NS_PER_S);
  size_t c, g;
  if (!s || ic_series_add_column(s, "completions", IC_SERIES_COUNTER, &c) != IC_OK ||
      ic_series_add_column(s, "in_system", IC_SERIES_GAUGE, &g) != IC_OK) {
    ic_series_free(s);
    return;
  }
  ic_time_ns step_ns = 86400 * IC_NS_PER_S / (ic_time_ns)n;
  clock_t t0 = clock();
  for (size_t i = 0; i < n; i++) {
    ic_series_count(s, c, (ic_time_ns)i * step_ns, 1.0);
    ic_series_gauge(s, g, (ic_time_ns)i * step_ns, (double)(i % 17));
  }
  double el = seconds_since(t0);
  printf("series n=%-9zu %6.1f ns per count+gauge pair, %zu rows\n", n, el * 1e9 / (double)n,
         ic_series_rows(s));
  ic_series_free(s);
}

int main(void) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 1);
  for (size_t n = 10000; n <= 10000000; n *= 10) bench_sketch(r, n);
  for (size_t n = 10000; n <= 10000000; n *= 10) bench_series(n);
  gsl_rng_free(r);
  return 0;
}
