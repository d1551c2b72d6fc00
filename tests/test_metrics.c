/* test_metrics.c: quantile sketch, running summary, time-weighted average and
 * time series against references computed outside the code under test
 * (sorting, GSL's statistics, hand calculations written in the comments). */
#define _POSIX_C_SOURCE 200809L /* open_memstream, fmemopen */
#include "ic_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "infercost/metrics.h"

#define NS(s) ((ic_time_ns)((s) * 1e9 + 0.5)) /* exact for the literals used here */

/* |got - want| <= tol |want|, with a message naming both. */
static void assert_rel_close(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol * fabs(want)))
    fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, tol);
}

static int double_cmp(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* ---- Sketch against the sorted sample ----------------------------------- */

enum dist { DIST_EXPONENTIAL, DIST_LOGNORMAL, DIST_PARETO, DIST_COUNT };

#define N_SAMPLES 1000000

/* One million draws per distribution, made once: the sorted array is the
 * reference (exact nearest-rank quantiles), the sketches see the draws in
 * their original order. */
struct dist_cache {
  double *sorted;
  ic_sketch *sk[2]; /* rel_err 0.005 and 0.01 */
};
static struct dist_cache cache[DIST_COUNT];
static const double cache_alpha[2] = {0.005, 0.01};

static double draw(const gsl_rng *r, enum dist d) {
  switch (d) {
  case DIST_EXPONENTIAL: return gsl_ran_exponential(r, 0.35);    /* latency-like, mean 0.35 s */
  case DIST_LOGNORMAL: return gsl_ran_lognormal(r, -1.0, 1.5);   /* wide: ~1e-4 .. 1e2 */
  case DIST_PARETO: return gsl_ran_pareto(r, 1.5, 0.02);         /* heavy tail */
  default: return (double)NAN;
  }
}

static const struct dist_cache *get_dist(enum dist d) {
  struct dist_cache *c = &cache[d];
  if (c->sorted) return c;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 20240611u + (unsigned long)d);
  c->sorted = malloc(N_SAMPLES * sizeof *c->sorted);
  c->sk[0] = ic_sketch_alloc(cache_alpha[0]);
  c->sk[1] = ic_sketch_alloc(cache_alpha[1]);
  assert_non_null(c->sorted);
  assert_non_null(c->sk[0]);
  assert_non_null(c->sk[1]);
  for (size_t i = 0; i < N_SAMPLES; i++) {
    c->sorted[i] = draw(r, d);
    assert_int_equal(ic_sketch_add(c->sk[0], c->sorted[i]), IC_OK);
    assert_int_equal(ic_sketch_add(c->sk[1], c->sorted[i]), IC_OK);
  }
  qsort(c->sorted, N_SAMPLES, sizeof *c->sorted, double_cmp);
  gsl_rng_free(r);
  return c;
}

static int free_dists(void **state) {
  (void)state;
  for (size_t d = 0; d < DIST_COUNT; d++) {
    free(cache[d].sorted);
    ic_sketch_free(cache[d].sk[0]);
    ic_sketch_free(cache[d].sk[1]);
  }
  return 0;
}

/* rank = ceil(q * 1e6), written out by hand (nearest-rank convention). */
struct dist_case {
  const char *name;
  enum dist dist;
  int alpha_idx;
  double q;
  size_t rank;
};

static struct dist_case dist_cases[] = {
    {"sketch_exponential_q0.5", DIST_EXPONENTIAL, 0, 0.5, 500000},
    {"sketch_exponential_q0.9", DIST_EXPONENTIAL, 0, 0.9, 900000},
    {"sketch_exponential_q0.99", DIST_EXPONENTIAL, 0, 0.99, 990000},
    {"sketch_exponential_q0.999", DIST_EXPONENTIAL, 0, 0.999, 999000},
    {"sketch_exponential_q0.2385", DIST_EXPONENTIAL, 0, 0.2385, 238500},
    {"sketch_lognormal_q0.5", DIST_LOGNORMAL, 0, 0.5, 500000},
    {"sketch_lognormal_q0.9", DIST_LOGNORMAL, 0, 0.9, 900000},
    {"sketch_lognormal_q0.99", DIST_LOGNORMAL, 0, 0.99, 990000},
    {"sketch_lognormal_q0.999", DIST_LOGNORMAL, 0, 0.999, 999000},
    {"sketch_lognormal_q0.001", DIST_LOGNORMAL, 0, 0.001, 1000},
    {"sketch_pareto_q0.5", DIST_PARETO, 0, 0.5, 500000},
    {"sketch_pareto_q0.9", DIST_PARETO, 0, 0.9, 900000},
    {"sketch_pareto_q0.99", DIST_PARETO, 0, 0.99, 990000},
    {"sketch_pareto_q0.999", DIST_PARETO, 0, 0.999, 999000},
    {"sketch_alpha0.01_exponential_q0.99", DIST_EXPONENTIAL, 1, 0.99, 990000},
    {"sketch_alpha0.01_lognormal_q0.999", DIST_LOGNORMAL, 1, 0.999, 999000},
    {"sketch_alpha0.01_pareto_q0.9", DIST_PARETO, 1, 0.9, 900000},
};

/* The bound is alpha; 1e-9 of slack covers log()'s rounding at bucket edges. */
static void run_dist_case(void **state) {
  const struct dist_case *c = *state;
  const struct dist_cache *d = get_dist(c->dist);
  const ic_sketch *sk = d->sk[c->alpha_idx];
  double alpha = cache_alpha[c->alpha_idx];
  assert_int_equal(ic_sketch_count(sk), N_SAMPLES);
  assert_rel_close(ic_sketch_quantile(sk, c->q), d->sorted[c->rank - 1], alpha * (1 + 1e-9));
  /* Extremes and mean are exact (the mean up to summation order). */
  assert_true(ic_sketch_min(sk) == d->sorted[0]);
  assert_true(ic_sketch_max(sk) == d->sorted[N_SAMPLES - 1]);
  assert_true(ic_sketch_quantile(sk, 0.0) == d->sorted[0]);
  assert_true(ic_sketch_quantile(sk, 1.0) == d->sorted[N_SAMPLES - 1]);
  assert_rel_close(ic_sketch_mean(sk), gsl_stats_mean(d->sorted, 1, N_SAMPLES), 1e-12);
}

/* Every q on a fine grid, not only the table's: the bound holds everywhere. */
static void sketch_bound_on_grid(void **state) {
  (void)state;
  const struct dist_cache *d = get_dist(DIST_LOGNORMAL);
  for (int i = 1; i < 1000; i++) {
    double q = i / 1000.0;
    size_t rank = (size_t)i * 1000; /* q * 1e6, exactly */
    assert_rel_close(ic_sketch_quantile(d->sk[0], q), d->sorted[rank - 1], 0.005 * (1 + 1e-9));
  }
}

/* ---- Sketch on integers: the rank convention ---------------------------- */

/* 1..1000, each three times (n = 3000): the nearest-rank q-quantile is the
 * value ceil(k / 3) with k = ceil(3000 q), by hand. alpha = 1e-4 makes a rank
 * off by one (a value off by one, >= 0.1%) fail. q = 0.07 is the trap where
 * 0.07 * 3000 = 210.00000000000003 in floating point. */
struct int_case {
  const char *name;
  double q;
  double want;
};

static struct int_case int_cases[] = {
    {"uniform_int_q0", 0.0, 1},       {"uniform_int_q0.0001", 0.0001, 1},
    {"uniform_int_q0.001", 0.001, 1}, {"uniform_int_q0.07", 0.07, 70},
    {"uniform_int_q0.2385", 0.2385, 239}, {"uniform_int_q0.5", 0.5, 500},
    {"uniform_int_q0.9", 0.9, 900},   {"uniform_int_q0.99", 0.99, 990},
    {"uniform_int_q0.999", 0.999, 999}, {"uniform_int_q1", 1.0, 1000},
};

static void run_int_case(void **state) {
  const struct int_case *c = *state;
  const double alpha = 1e-4;
  ic_sketch *sk = ic_sketch_alloc(alpha);
  assert_non_null(sk);
  for (int v = 1000; v >= 1; v--) assert_int_equal(ic_sketch_add_n(sk, v, 3), IC_OK);
  assert_int_equal(ic_sketch_count(sk), 3000);
  assert_rel_close(ic_sketch_quantile(sk, c->q), c->want, alpha * (1 + 1e-9));
  assert_rel_close(ic_sketch_mean(sk), 500.5, 1e-15); /* (1 + 1000) / 2 */
  ic_sketch_free(sk);
}

/* Values 2^1 .. 2^10, far apart (bucket answers cannot be confused): the
 * nearest rank k = max(1, ceil(10 q)) is visible directly. */
static void sketch_rank_convention(void **state) {
  (void)state;
  static const struct {
    double q, want;
  } rows[] = {{0.0, 2}, {0.05, 2}, {0.1, 2}, {0.11, 4}, {0.2, 4}, {0.7, 128}, {0.70001, 256},
              {0.95, 1024}};
  ic_sketch *sk = ic_sketch_alloc(IC_SKETCH_DEFAULT_REL_ERR);
  for (int i = 1; i <= 10; i++) assert_int_equal(ic_sketch_add(sk, ldexp(1.0, i)), IC_OK);
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    assert_rel_close(ic_sketch_quantile(sk, rows[i].q), rows[i].want, 0.005 * (1 + 1e-9));
  ic_sketch_free(sk);
}

/* ---- Sketch: merge, zeros, memory, bad input ---------------------------- */

/* Two halves on very different scales (so dst must grow both ways), merged,
 * against one sketch fed the union: bucket counts add exactly, so every
 * quantile is bit-identical. */
static void sketch_merge_equals_union(void **state) {
  (void)state;
  const size_t n = 100000;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 7151u);
  ic_sketch *a = ic_sketch_alloc(0.005), *b = ic_sketch_alloc(0.005), *all = ic_sketch_alloc(0.005);
  ic_sketch *empty = ic_sketch_alloc(0.005);
  for (size_t i = 0; i < n; i++) {
    double x = gsl_ran_exponential(r, 1.0) * (i % 2 ? 1e3 : 1e-3);
    if (i % 7 == 0) x = 0.0;
    assert_int_equal(ic_sketch_add(i < n / 2 ? b : a, x), IC_OK);
    assert_int_equal(ic_sketch_add(all, x), IC_OK);
  }
  assert_int_equal(ic_sketch_merge(a, empty), IC_OK);
  assert_int_equal(ic_sketch_merge(a, b), IC_OK);
  assert_int_equal(ic_sketch_count(a), n);
  assert_true(ic_sketch_min(a) == ic_sketch_min(all));
  assert_true(ic_sketch_max(a) == ic_sketch_max(all));
  assert_rel_close(ic_sketch_mean(a), ic_sketch_mean(all), 1e-14);
  for (int i = 0; i <= 1000; i++)
    assert_true(ic_sketch_quantile(a, i / 1000.0) == ic_sketch_quantile(all, i / 1000.0));
  /* Merging into an empty sketch copies. */
  assert_int_equal(ic_sketch_merge(empty, all), IC_OK);
  assert_true(ic_sketch_quantile(empty, 0.9) == ic_sketch_quantile(all, 0.9));
  assert_true(ic_sketch_min(empty) == ic_sketch_min(all));
  /* Different error bounds do not mix. */
  ic_sketch *other = ic_sketch_alloc(0.01);
  assert_int_equal(ic_sketch_merge(a, other), IC_EINVAL);
  ic_sketch_free(other);
  ic_sketch_free(a);
  ic_sketch_free(b);
  ic_sketch_free(all);
  ic_sketch_free(empty);
  gsl_rng_free(r);
}

/* Written and read back (as run.shards workers send their sketches), two
 * parts merged answer every quantile exactly as one sketch fed all the
 * values; bytes that end early or counts that do not add up are refused. */
static void sketch_written_and_read_merges_exactly(void **state) {
  (void)state;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 2024u);
  ic_sketch *part[2] = {ic_sketch_alloc(0.005), ic_sketch_alloc(0.005)}, *all = ic_sketch_alloc(0.005);
  for (size_t i = 0; i < 50000; i++) {
    double x = i % 11 == 0 ? 0.0 : gsl_ran_lognormal(r, i % 3 ? -2.0 : 3.0, 1.5);
    assert_int_equal(ic_sketch_add(part[i % 2], x), IC_OK);
    assert_int_equal(ic_sketch_add(all, x), IC_OK);
  }
  char *bytes = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&bytes, &len);
  assert_int_equal(ic_sketch_write(part[0], f), IC_OK);
  assert_int_equal(ic_sketch_write(part[1], f), IC_OK);
  assert_int_equal(fclose(f), 0);
  f = fmemopen(bytes, len, "rb");
  ic_sketch *back = ic_sketch_read(f), *second = ic_sketch_read(f);
  assert_non_null(back);
  assert_non_null(second);
  assert_null(ic_sketch_read(f)); /* nothing left */
  fclose(f);
  assert_int_equal(ic_sketch_merge(back, second), IC_OK);
  assert_int_equal(ic_sketch_count(back), ic_sketch_count(all));
  assert_true(ic_sketch_min(back) == ic_sketch_min(all) && ic_sketch_max(back) == ic_sketch_max(all));
  assert_rel_close(ic_sketch_mean(back), ic_sketch_mean(all), 1e-14);
  for (int i = 0; i <= 1000; i++)
    assert_true(ic_sketch_quantile(back, i / 1000.0) == ic_sketch_quantile(all, i / 1000.0));
  /* Cut short, and a count that disagrees with the buckets. */
  f = fmemopen(bytes, len / 4, "rb");
  assert_null(ic_sketch_read(f));
  fclose(f);
  uint64_t *count = (uint64_t *)(void *)(bytes + 8 + 8 + 8 + 8); /* rel_err, offset+pad, len, zeros */
  *count += 1;
  f = fmemopen(bytes, len, "rb");
  assert_null(ic_sketch_read(f));
  fclose(f);
  free(bytes);
  ic_sketch_free(back);
  ic_sketch_free(second);
  ic_sketch_free(part[0]);
  ic_sketch_free(part[1]);
  ic_sketch_free(all);
  gsl_rng_free(r);
}

/* add2 records into two sketches exactly what two adds would, with equal
 * or different error bounds, for zeros, tiny, ordinary and huge values. */
static void sketch_add2_equals_two_adds(void **state) {
  (void)state;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 9001u);
  ic_sketch *a = ic_sketch_alloc(0.005), *b = ic_sketch_alloc(0.005), *c = ic_sketch_alloc(0.01);
  ic_sketch *a1 = ic_sketch_alloc(0.005), *b1 = ic_sketch_alloc(0.005), *c1 = ic_sketch_alloc(0.01);
  for (size_t i = 0; i < 50000; i++) {
    double x = gsl_ran_lognormal(r, 0.0, 12.0);
    if (i % 11 == 0) x = 0.0;
    assert_int_equal(ic_sketch_add2(a, i % 3 ? b : c, x), IC_OK);
    assert_int_equal(ic_sketch_add(a1, x), IC_OK);
    assert_int_equal(ic_sketch_add(i % 3 ? b1 : c1, x), IC_OK);
  }
  assert_int_equal(ic_sketch_add2(a, b, -1.0), IC_EINVAL);
  assert_int_equal(ic_sketch_add2(a, b, (double)NAN), IC_EINVAL);
  ic_sketch *got[] = {a, b, c}, *want[] = {a1, b1, c1};
  for (size_t k = 0; k < 3; k++) {
    assert_int_equal(ic_sketch_count(got[k]), ic_sketch_count(want[k]));
    assert_int_equal(ic_sketch_clamped_count(got[k]), ic_sketch_clamped_count(want[k]));
    assert_true(ic_sketch_mean(got[k]) == ic_sketch_mean(want[k]));
    for (int i = 0; i <= 1000; i++)
      assert_true(ic_sketch_quantile(got[k], i / 1000.0) == ic_sketch_quantile(want[k], i / 1000.0));
    ic_sketch_free(got[k]);
    ic_sketch_free(want[k]);
  }
  gsl_rng_free(r);
}

/* 300 zeros and 700 x 2.385: ranks 1..300 are 0, 301..1000 are 2.385
 * (exact: the answer is clamped to the exact max). Mean 0.7 x 2.385. */
/* The next of a xorshift stream: a value spread evenly in log between 1e-6 and 1e9 (within the limits,
 * 1e-9 and 1e15). */
static double random_in_limits(uint64_t *z) {
  *z ^= *z << 13, *z ^= *z >> 7, *z ^= *z << 17;
  double u = (double)(*z >> 11) / 9007199254740992.0;
  return exp(log(1e-6) + u * (log(1e9) - log(1e-6)));
}

/* The bucket boundary at or above x, moved by `ulps` (-3 to +3). */
static double boundary_moved(double x, double ln_gamma, int ulps) {
  x = exp(ceil(log(x) / ln_gamma) * ln_gamma);
  for (int d = ulps; d != 0; d += d > 0 ? -1 : 1) x = nextafter(x, d > 0 ? (double)INFINITY : 0.0);
  return x;
}

/* A value's bucket is exactly the definition's, ceil(log(x) / log(gamma))
 * (docs/metrics.md), also within a few ulps of a bucket boundary, where
 * the sketch's estimate without log() must give way to log(): each value
 * between a tiny and a huge one, so the median answers its bucket's value
 * (1 - alpha) gamma^i unclamped. */
static void sketch_bucket_is_the_definition(void **state) {
  (void)state;
  const double rels[] = {IC_SKETCH_MIN_REL_ERR, 0.001, IC_SKETCH_DEFAULT_REL_ERR, IC_SKETCH_MAX_REL_ERR};
  uint64_t z = 0x9e3779b97f4a7c15u;
  for (size_t k = 0; k < sizeof rels / sizeof rels[0]; k++) {
    double a = rels[k], ln_gamma = log1p(2.0 * a / (1.0 - a));
    for (int n = 0; n < 3000; n++) {
      double x = random_in_limits(&z);
      if (n % 2) x = boundary_moved(x, ln_gamma, (int)(z % 7) - 3);
      ic_sketch *s = ic_sketch_alloc(a);
      assert_non_null(s);
      assert_int_equal(ic_sketch_add(s, 1e-9), IC_OK);
      assert_int_equal(ic_sketch_add(s, x), IC_OK);
      assert_int_equal(ic_sketch_add(s, 1e15), IC_OK);
      double want = (1.0 - a) * exp(ceil(log(x) / ln_gamma) * ln_gamma);
      if (ic_sketch_quantile(s, 0.5) != want)
        fail_msg("rel_err %g, x %.17g: median %.17g, want %.17g", a, x, ic_sketch_quantile(s, 0.5), want);
      ic_sketch_free(s);
    }
  }
}

/* The sketch remembers cells of values (the doubles sharing an exponent and the mantissa's top bits) whose
 * bucket it has proved: a value y of a cell, then x of the same cell (random low bits), x near a bucket
 * boundary every other time (or at the ends of a proved cell's gap around one), and both answer their
 * definition's bucket (ranks 2 and 3 of five values). */
static void sketch_cells_keep_the_definition(void **state) {
  (void)state;
  const double rels[] = {IC_SKETCH_MIN_REL_ERR, 0.001, IC_SKETCH_DEFAULT_REL_ERR, IC_SKETCH_MAX_REL_ERR};
  uint64_t z = 0x2545f4914f6cdd1du;
  for (size_t k = 0; k < sizeof rels / sizeof rels[0]; k++) {
    double a = rels[k], ln_gamma = log1p(2.0 * a / (1.0 - a));
    for (int n = 0; n < 20000; n++) {
      double x = random_in_limits(&z);
      if (n % 4 == 1)
        x = boundary_moved(x, ln_gamma, (int)(z % 7) - 3);
      else if (n % 8 == 3) /* near a bucket boundary, within 1.2e-5 of it: either side of a proved cell's gap */
        x = exp(ceil(log(x) / ln_gamma) * ln_gamma) * (1.0 + ((double)(z % 801) - 400.0) * 3e-8);
      else if (n % 8 == 7) { /* at a proved cell's gap's ends, +-2 ulps: 2^30 ulps from its edge, gamma^i as exp()
                                rounds it less its bits below 2^14 ulps */
        double edge = exp(ceil(log(x) / ln_gamma) * ln_gamma);
        uint64_t e;
        memcpy(&e, &edge, sizeof e);
        e = e >> 14 << 14;
        e = z % 2 ? e + (UINT64_C(1) << 30) + (z >> 1) % 5 - 2 : e - (UINT64_C(1) << 30) + (z >> 1) % 5 - 2;
        memcpy(&x, &e, sizeof x);
      }
      uint64_t bits;
      memcpy(&bits, &x, sizeof bits);
      bits ^= (z >> 3) & ((UINT64_C(1) << 45) - 1); /* the same exponent and top 7 bits of the mantissa */
      double y;
      memcpy(&y, &bits, sizeof y);
      ic_sketch *s = ic_sketch_alloc(a);
      assert_non_null(s);
      assert_int_equal(ic_sketch_add(s, 1e-9), IC_OK);
      assert_int_equal(ic_sketch_add(s, y), IC_OK);
      assert_int_equal(ic_sketch_add(s, x), IC_OK);
      assert_int_equal(ic_sketch_add(s, 1e15), IC_OK);
      assert_int_equal(ic_sketch_add(s, 1e15), IC_OK);
      double lo = x < y ? x : y, hi = x < y ? y : x;
      double want_lo = (1.0 - a) * exp(ceil(log(lo) / ln_gamma) * ln_gamma);
      double want_hi = (1.0 - a) * exp(ceil(log(hi) / ln_gamma) * ln_gamma);
      if (ic_sketch_quantile(s, 0.4) != want_lo || ic_sketch_quantile(s, 0.6) != want_hi)
        fail_msg("rel_err %g, y %.17g then x %.17g: %.17g and %.17g, want %.17g and %.17g", a, y, x,
                 ic_sketch_quantile(s, 0.4), ic_sketch_quantile(s, 0.6), want_lo, want_hi);
      ic_sketch_free(s);
    }
  }
}

/* Everything a sketch reports (its written form: counts, range, sums; quantiles) equals the same
 * additions' through ic_sketch_add_n, which buckets every value with the estimate and never keeps it in a
 * cell: values that cells count (few cells, many values each), values that evict them (a cell 2^8 times
 * larger or smaller shares their slot), and readers between the additions. */
static bool same_written(const ic_sketch *a, const ic_sketch *b) {
  char *wa = NULL, *wb = NULL;
  size_t na = 0, nb = 0;
  FILE *fa = open_memstream(&wa, &na), *fb = open_memstream(&wb, &nb);
  bool ok = fa && fb && ic_sketch_write(a, fa) == IC_OK && ic_sketch_write(b, fb) == IC_OK;
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  ok = ok && na == nb && memcmp(wa, wb, na) == 0;
  free(wa);
  free(wb);
  return ok;
}

static void sketch_cells_fold_their_counts(void **state) {
  (void)state;
  const double rels[] = {IC_SKETCH_MIN_REL_ERR, IC_SKETCH_DEFAULT_REL_ERR, IC_SKETCH_MAX_REL_ERR};
  uint64_t z = 0x9e3779b97f4a7c15u;
  for (size_t k = 0; k < sizeof rels / sizeof rels[0]; k++) {
    ic_sketch *s = ic_sketch_alloc(rels[k]), *want = ic_sketch_alloc(rels[k]);
    assert_non_null(s);
    assert_non_null(want);
    for (int n = 0; n < 60000; n++) {
      z ^= z << 13, z ^= z >> 7, z ^= z << 17;
      double u = (double)(z >> 11) / 9007199254740992.0;
      double x = 0.3 * (1.0 + 0.05 * u); /* about six cells */
      if (n % 7 == 3) x *= 256.0;        /* their slots' other cells */
      else if (n % 7 == 5) x /= 256.0;
      else if (n % 97 == 0) x = random_in_limits(&z);
      assert_int_equal(ic_sketch_add(s, x), IC_OK);
      assert_int_equal(ic_sketch_add_n(want, x, 1), IC_OK);
      if (n % 5003 == 0 || n == 59999) { /* each reader first in turn: each must fold the cells */
        if (n % 2) assert_true(same_written(s, want));
        for (int i = 0; i <= 100; i++)
          assert_true(ic_sketch_quantile(s, i / 100.0) == ic_sketch_quantile(want, i / 100.0));
        if (!(n % 2)) assert_true(same_written(s, want));
        assert_true(ic_sketch_mean(s) == ic_sketch_mean(want));
        assert_int_equal(ic_sketch_bucket_count(s), ic_sketch_bucket_count(want));
      }
    }
    ic_sketch_free(s);
    ic_sketch_free(want);
  }
}

static void sketch_zeros(void **state) {
  (void)state;
  ic_sketch *sk = ic_sketch_alloc(0.005);
  assert_int_equal(ic_sketch_add_n(sk, 0.0, 300), IC_OK);
  assert_int_equal(ic_sketch_add_n(sk, 2.385, 700), IC_OK);
  assert_true(ic_sketch_quantile(sk, 0.0) == 0.0);
  assert_true(ic_sketch_quantile(sk, 0.3) == 0.0);
  assert_rel_close(ic_sketch_quantile(sk, 0.301), 2.385, 0.005 * (1 + 1e-9));
  assert_rel_close(ic_sketch_quantile(sk, 0.5), 2.385, 0.005 * (1 + 1e-9));
  assert_true(ic_sketch_quantile(sk, 1.0) == 2.385);
  assert_true(ic_sketch_min(sk) == 0.0);
  assert_rel_close(ic_sketch_mean(sk), 1.6695, 1e-15);
  assert_int_equal(ic_sketch_clamped_count(sk), 0);
  /* All zeros. */
  ic_sketch *z = ic_sketch_alloc(0.005);
  assert_int_equal(ic_sketch_add(z, 0.0), IC_OK);
  assert_true(ic_sketch_quantile(z, 0.5) == 0.0);
  assert_int_equal(ic_sketch_bucket_count(z), 0);
  ic_sketch_free(z);
  ic_sketch_free(sk);
}

/* Positive values below 1e-9 count as zeros; above 1e15 in the top bucket;
 * both are counted as clamped, and min/max stay exact. */
static void sketch_out_of_range(void **state) {
  (void)state;
  ic_sketch *sk = ic_sketch_alloc(0.005);
  assert_int_equal(ic_sketch_add(sk, 2.385e-12), IC_OK);
  assert_int_equal(ic_sketch_add(sk, 1.0), IC_OK);
  assert_int_equal(ic_sketch_add_n(sk, 2.385e18, 2), IC_OK);
  assert_int_equal(ic_sketch_clamped_count(sk), 3);
  /* Rank 1 is in the zero bucket; the answer 0 is clamped up to the exact min. */
  assert_true(ic_sketch_quantile(sk, 0.25) == 2.385e-12);
  assert_true(ic_sketch_min(sk) == 2.385e-12);
  assert_true(ic_sketch_quantile(sk, 1.0) == 2.385e18);
  assert_true(ic_sketch_bucket_count(sk) <= ic_sketch_bucket_limit(sk));
  ic_sketch_free(sk);
}

/* The cap: buckets of [1e-9, 1e15] at alpha 0.005 are
 * ceil(ln 1e15 / ln gamma) - ceil(ln 1e-9 / ln gamma) + 1 = 3454 + 2072 + 1
 * = 5527 (ln gamma = ln(1.005 / 0.995) = 0.0100000833, worked out with
 * Python's math module). Touching every bucket reaches it and no more; then
 * 1e6 more values allocate nothing. The same data added once or a thousand
 * times uses the same buckets. */
static void sketch_memory_bounded(void **state) {
  (void)state;
  ic_sketch *sk = ic_sketch_alloc(0.005);
  assert_int_equal(ic_sketch_bucket_limit(sk), 5527);
  for (int i = 0; i <= 200000; i++) assert_int_equal(ic_sketch_add(sk, 1e-9 * pow(1e24, i / 200000.0)), IC_OK);
  assert_int_equal(ic_sketch_bucket_count(sk), 5527);
  for (int i = 0; i < 1000000; i++) assert_int_equal(ic_sketch_add(sk, 1e-3 * (1 + i % 997)), IC_OK);
  assert_int_equal(ic_sketch_bucket_count(sk), 5527);
  ic_sketch_free(sk);

  ic_sketch *once = ic_sketch_alloc(0.005), *many = ic_sketch_alloc(0.005);
  for (int v = 1; v <= 1000; v++) {
    assert_int_equal(ic_sketch_add(once, v * 0.0125), IC_OK);
    assert_int_equal(ic_sketch_add_n(many, v * 0.0125, 1000), IC_OK);
  }
  assert_int_equal(ic_sketch_bucket_count(once), ic_sketch_bucket_count(many));
  assert_true(ic_sketch_bucket_count(many) < 1000); /* log-spaced: far fewer buckets than values */
  ic_sketch_free(once);
  ic_sketch_free(many);

  /* The cap at the finest allowed alpha stays in the hundreds of kB. */
  ic_sketch *fine = ic_sketch_alloc(IC_SKETCH_MIN_REL_ERR);
  assert_true(ic_sketch_bucket_limit(fine) * sizeof(uint64_t) < 3u * 1024 * 1024);
  ic_sketch_free(fine);
}

static void sketch_bad_input(void **state) {
  (void)state;
  assert_null(ic_sketch_alloc(0.0));
  assert_null(ic_sketch_alloc(0.02));
  assert_null(ic_sketch_alloc(5e-5));
  assert_null(ic_sketch_alloc((double)NAN));
  assert_null(ic_sketch_alloc(-0.005));
  ic_sketch *sk = ic_sketch_alloc(0.01);
  assert_non_null(sk);
  assert_true(ic_sketch_rel_err(sk) == 0.01);
  /* Empty: every statistic is NaN. */
  assert_true(isnan(ic_sketch_quantile(sk, 0.5)));
  assert_true(isnan(ic_sketch_mean(sk)));
  assert_true(isnan(ic_sketch_min(sk)));
  assert_true(isnan(ic_sketch_max(sk)));
  assert_int_equal(ic_sketch_add(sk, -2.385), IC_EINVAL);
  assert_int_equal(ic_sketch_add(sk, (double)NAN), IC_EINVAL);
  assert_int_equal(ic_sketch_add(sk, (double)INFINITY), IC_EINVAL);
  assert_int_equal(ic_sketch_add_n(sk, -1.0, 0), IC_EINVAL);
  assert_int_equal(ic_sketch_add_n(sk, 2.385, 0), IC_OK);
  assert_int_equal(ic_sketch_count(sk), 0);
  assert_int_equal(ic_sketch_add(sk, 2.385), IC_OK);
  assert_true(isnan(ic_sketch_quantile(sk, -0.1)));
  assert_true(isnan(ic_sketch_quantile(sk, 1.1)));
  assert_true(isnan(ic_sketch_quantile(sk, (double)NAN)));
  assert_true(ic_sketch_quantile(sk, 0.5) == 2.385); /* one value: clamped to it */
  ic_sketch_free(sk);
  ic_sketch_free(NULL);
}

/* ---- Running summary ---------------------------------------------------- */

/* {2,4,4,4,5,5,7,9}: mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32,
 * sample variance 32/7 (by hand). */
static void summary_hand_worked(void **state) {
  (void)state;
  static const double xs[] = {2, 4, 4, 4, 5, 5, 7, 9};
  struct ic_summary s = IC_SUMMARY_INIT;
  assert_true(isnan(ic_summary_mean(&s)));
  for (size_t i = 0; i < 8; i++) ic_summary_add(&s, xs[i]);
  assert_int_equal(s.count, 8);
  assert_rel_close(ic_summary_mean(&s), 5.0, 1e-15);
  assert_rel_close(ic_summary_variance(&s), 32.0 / 7.0, 1e-15);
  assert_rel_close(ic_summary_stddev(&s), sqrt(32.0 / 7.0), 1e-15);
  assert_true(s.min == 2.0 && s.max == 9.0);
  struct ic_summary one = IC_SUMMARY_INIT;
  ic_summary_add(&one, 2.385);
  assert_true(ic_summary_mean(&one) == 2.385);
  assert_true(isnan(ic_summary_variance(&one)));
}

/* 1e5 normal draws (sd 2.385) around 1e9: the naive sum-of-squares formula
 * would lose every digit; the shifted Welford recurrence agrees with GSL's
 * two-pass functions to a few ulps. */
static void summary_matches_two_pass(void **state) {
  (void)state;
  const size_t n = 100000;
  double *x = malloc(n * sizeof *x);
  assert_non_null(x);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 4242u);
  struct ic_summary s = IC_SUMMARY_INIT;
  for (size_t i = 0; i < n; i++) {
    x[i] = 1e9 + gsl_ran_gaussian(r, 2.385);
    ic_summary_add(&s, x[i]);
  }
  assert_rel_close(ic_summary_mean(&s), gsl_stats_mean(x, 1, n), 1e-15);
  assert_rel_close(ic_summary_variance(&s), gsl_stats_variance(x, 1, n), 1e-12);
  assert_true(s.min == gsl_stats_min(x, 1, n));
  assert_true(s.max == gsl_stats_max(x, 1, n));

  /* Chan's merge at several split points equals the whole. */
  static const size_t splits[] = {0, 1, 33333, 99999, 100000};
  for (size_t k = 0; k < sizeof splits / sizeof splits[0]; k++) {
    struct ic_summary a = IC_SUMMARY_INIT, b = IC_SUMMARY_INIT;
    for (size_t i = 0; i < n; i++) ic_summary_add(i < splits[k] ? &a : &b, x[i]);
    ic_summary_merge(&a, &b);
    assert_int_equal(a.count, n);
    assert_rel_close(ic_summary_mean(&a), gsl_stats_mean(x, 1, n), 1e-15);
    assert_rel_close(ic_summary_variance(&a), gsl_stats_variance(x, 1, n), 1e-12);
    assert_true(a.min == s.min && a.max == s.max);
  }
  gsl_rng_free(r);
  free(x);
}

/* ---- Time-weighted average ---------------------------------------------- */

/* A step function; mean and max worked out by hand in each row's comment. */
struct tavg_case {
  const char *name;
  ic_time_ns start_ns;
  double start_value;
  size_t nchanges;
  ic_time_ns at_ns[4];
  double value[4];
  ic_time_ns end_ns;
  double want_mean, want_max;
};

static struct tavg_case tavg_cases[] = {
    /* 2 for 3 s, then 5 for 1 s: (6 + 5) / 4 = 2.75. */
    {"time_avg_2_for_3s_then_5_for_1s", 0, 2.0, 1, {NS(3)}, {5.0}, NS(4), 2.75, 5.0},
    /* From 10 s: 1.5 for 2.5 s, 4 for 1.5 s, 0 for 6 s: (3.75 + 6) / 10 = 0.975. */
    {"time_avg_nonzero_start", NS(10), 1.5, 2, {NS(12.5), NS(14)}, {4.0, 0.0}, NS(20), 0.975, 4.0},
    /* 7 is held for no time: (1 + 3) / 2 = 2, and it is not the max either. */
    {"time_avg_same_instant_changes", 0, 1.0, 2, {NS(1), NS(1)}, {7.0, 3.0}, NS(2), 2.0, 3.0},
    /* Falling step: 6.5 for 2 s then 0.25 for 6 s: (13 + 1.5) / 8 = 1.8125, max 6.5. */
    {"time_avg_falling_step", 0, 6.5, 1, {NS(2)}, {0.25}, NS(8), 1.8125, 6.5},
    /* A 1 ns pulse of height 1 in a day: 1 / 86400e9 = 1.1574074074074074e-14. */
    {"time_avg_1ns_pulse_in_a_day", 0, 0.0, 2, {NS(43200), NS(43200) + 1}, {1.0, 0.0}, NS(86400),
     1.1574074074074074e-14, 1.0},
    /* Never changes: the mean is the value. */
    {"time_avg_constant", NS(5), 2.385, 0, {0}, {0}, NS(7), 2.385, 2.385},
};

static void run_tavg_case(void **state) {
  const struct tavg_case *c = *state;
  struct ic_time_avg a;
  ic_time_avg_init(&a, c->start_ns, c->start_value);
  for (size_t i = 0; i < c->nchanges; i++) ic_time_avg_set(&a, c->at_ns[i], c->value[i]);
  assert_rel_close(ic_time_avg_mean(&a, c->end_ns), c->want_mean, 1e-15);
  assert_true(ic_time_avg_max(&a) == c->want_max);
  /* Asking twice gives the same answer: mean does not modify. */
  assert_rel_close(ic_time_avg_mean(&a, c->end_ns), c->want_mean, 1e-15);
}

/* A day of 3 and 1 alternating every second (86,400 changes): exactly 2. */
static void time_avg_long_run(void **state) {
  (void)state;
  struct ic_time_avg a;
  ic_time_avg_init(&a, 0, 3.0);
  for (int i = 1; i < 86400; i++) ic_time_avg_set(&a, NS(i), i % 2 ? 1.0 : 3.0);
  assert_true(ic_time_avg_mean(&a, NS(86400)) == 2.0);
}

/* Restart drops the warm-up: 1 until 10 s, 3 after; window from 20 s. */
static void time_avg_restart_and_empty(void **state) {
  (void)state;
  struct ic_time_avg a;
  ic_time_avg_init(&a, 0, 1.0);
  assert_true(isnan(ic_time_avg_mean(&a, 0)));
  ic_time_avg_set(&a, NS(10), 3.0);
  ic_time_avg_restart(&a, NS(20));
  assert_true(isnan(ic_time_avg_mean(&a, NS(20))));
  assert_true(ic_time_avg_mean(&a, NS(30)) == 3.0);
  assert_true(ic_time_avg_max(&a) == 3.0);
  ic_time_avg_set(&a, NS(25), 0.5); /* (3 x 5 + 0.5 x 5) / 10 = 1.75 */
  assert_rel_close(ic_time_avg_mean(&a, NS(30)), 1.75, 1e-15);
}

/* ---- Time series -------------------------------------------------------- */

/* The whole text a write produces. */
static char *csv_text(const ic_series *s, ic_time_ns end_ns, ic_status *st) {
  FILE *f = tmpfile();
  assert_non_null(f);
  *st = ic_series_write_csv(s, f, end_ns);
  long len = ftell(f);
  assert_true(len >= 0);
  char *buf = calloc((size_t)len + 1, 1);
  assert_non_null(buf);
  rewind(f);
  assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  return buf;
}

/* 60 s rows, intervals [start, end): events at 59.999999999 s stay in row 0,
 * events at exactly 60 s go to row 1. Expected rows by hand:
 *   [0,60):    arrivals 2; in_system 0 for 30 s then 2 for 30 s: mean 1, max 2; tokens 2.385
 *   [60,120):  arrivals 2 (60 s and 119.999999999 s); in_system 5 all along
 *   [120,180): arrivals 0; 5 for 30 s then 1 for 30 s: mean 3, max 5
 *   [180,200): arrivals 1 (at exactly 180 s); in_system 1; cut at the end, 200 s */
static const char series_expected[] =
    "interval_start_s,interval_end_s,arrivals,in_system,in_system_max,tokens\n"
    "0,60,2,1,2,2.385\n"
    "60,120,2,5,5,0\n"
    "120,180,0,3,5,0\n"
    "180,200,1,1,1,0\n";

static ic_series *series_fixture(size_t *arr, size_t *sys, size_t *tok) {
  ic_series *s = ic_series_alloc(0, NS(60));
  assert_non_null(s);
  assert_int_equal(ic_series_add_column(s, "arrivals", IC_SERIES_COUNTER, arr), IC_OK);
  assert_int_equal(ic_series_add_column(s, "in_system", IC_SERIES_GAUGE, sys), IC_OK);
  assert_int_equal(ic_series_add_column(s, "tokens", IC_SERIES_COUNTER, tok), IC_OK);
  assert_int_equal(ic_series_count(s, *arr, 0, 1.0), IC_OK);
  assert_int_equal(ic_series_gauge(s, *sys, NS(30), 2.0), IC_OK);
  assert_int_equal(ic_series_count(s, *tok, NS(30), 2.385), IC_OK);
  assert_int_equal(ic_series_count(s, *arr, NS(60) - 1, 1.0), IC_OK);
  assert_int_equal(ic_series_count(s, *arr, NS(60), 1.0), IC_OK);
  assert_int_equal(ic_series_gauge(s, *sys, NS(60), 5.0), IC_OK);
  assert_int_equal(ic_series_count(s, *arr, NS(120) - 1, 1.0), IC_OK);
  assert_int_equal(ic_series_gauge(s, *sys, NS(150), 1.0), IC_OK);
  assert_int_equal(ic_series_count(s, *arr, NS(180), 1.0), IC_OK);
  return s;
}

static void series_boundaries(void **state) {
  (void)state;
  size_t arr, sys, tok;
  ic_series *s = series_fixture(&arr, &sys, &tok);
  assert_int_equal(ic_series_rows(s), 3);
  ic_status st;
  char *text = csv_text(s, NS(200), &st);
  assert_int_equal(st, IC_OK);
  assert_string_equal(text, series_expected);
  free(text);
  /* Writing changes nothing: the same text again. */
  text = csv_text(s, NS(200), &st);
  assert_string_equal(text, series_expected);
  free(text);
  /* Ending exactly on a boundary adds no empty row. */
  text = csv_text(s, NS(180), &st);
  assert_int_equal(st, IC_OK);
  assert_string_equal(text, "interval_start_s,interval_end_s,arrivals,in_system,in_system_max,tokens\n"
                            "0,60,2,1,2,2.385\n"
                            "60,120,2,5,5,0\n"
                            "120,180,0,3,5,0\n");
  free(text);
  /* The run goes on after a write: 1 for 30 s then 4 for 30 s, mean 2.5. */
  assert_int_equal(ic_series_gauge(s, sys, NS(210), 4.0), IC_OK);
  text = csv_text(s, NS(240), &st);
  assert_int_equal(st, IC_OK);
  assert_non_null(strstr(text, "\n180,240,1,2.5,4,0\n"));
  free(text);
  ic_series_free(s);
}

/* Hourly rows starting at 1 h, an hour with nothing recorded, and a gauge
 * falling from 3 to 1 exactly on a boundary: the later row never held 3. */
static void series_offset_start_and_gap(void **state) {
  (void)state;
  ic_series *s = ic_series_alloc(NS(3600), NS(3600));
  size_t req, busy;
  assert_int_equal(ic_series_add_column(s, "requests", IC_SERIES_COUNTER, &req), IC_OK);
  assert_int_equal(ic_series_add_column(s, "busy_replicas", IC_SERIES_GAUGE, &busy), IC_OK);
  assert_int_equal(ic_series_gauge(s, busy, NS(3600), 3.0), IC_OK);
  assert_int_equal(ic_series_count(s, req, NS(3600), 17.0), IC_OK);
  assert_int_equal(ic_series_gauge(s, busy, NS(7200), 1.0), IC_OK);
  assert_int_equal(ic_series_count(s, req, NS(3 * 3600 + 1), 4.0), IC_OK);
  ic_status st;
  char *text = csv_text(s, NS(4 * 3600), &st);
  assert_int_equal(st, IC_OK);
  assert_string_equal(text, "interval_start_s,interval_end_s,requests,busy_replicas,busy_replicas_max\n"
                            "3600,7200,17,3,3\n"
                            "7200,10800,0,1,1\n"
                            "10800,14400,4,1,1\n");
  free(text);
  ic_series_free(s);
}

/* A day at 1-minute rows, 1e5 events: 1,439 closed rows, not 1e5. */
static void series_memory_by_intervals(void **state) {
  (void)state;
  ic_series *s = ic_series_alloc(0, NS(60));
  size_t c;
  assert_int_equal(ic_series_add_column(s, "completions", IC_SERIES_COUNTER, &c), IC_OK);
  for (int64_t i = 0; i < 100000; i++)
    assert_int_equal(ic_series_count(s, c, i * (NS(86400) / 100000), 1.0), IC_OK);
  assert_int_equal(ic_series_rows(s), 1439);
  ic_series_free(s);
}

static void series_bad_input(void **state) {
  (void)state;
  assert_null(ic_series_alloc(0, 0));
  assert_null(ic_series_alloc(0, -NS(60)));
  ic_series *s = ic_series_alloc(NS(10), NS(60));
  size_t cnt, g, dummy;
  assert_int_equal(ic_series_add_column(s, "q", IC_SERIES_GAUGE, &g), IC_OK);
  assert_int_equal(ic_series_add_column(s, "", IC_SERIES_COUNTER, &dummy), IC_EINVAL);
  assert_int_equal(ic_series_add_column(s, "a,b", IC_SERIES_COUNTER, &dummy), IC_EINVAL);
  assert_int_equal(ic_series_add_column(s, "a\"b", IC_SERIES_COUNTER, &dummy), IC_EINVAL);
  assert_int_equal(ic_series_add_column(s, "q", IC_SERIES_COUNTER, &dummy), IC_EINVAL);
  assert_int_equal(ic_series_add_column(s, "q_max", IC_SERIES_COUNTER, &dummy), IC_EINVAL);
  assert_int_equal(ic_series_add_column(s, "interval_start_s", IC_SERIES_COUNTER, &dummy), IC_EINVAL);
  assert_int_equal(ic_series_add_column(s, "x", (enum ic_series_kind)7, &dummy), IC_EINVAL);
  assert_int_equal(ic_series_add_column(s, "n", IC_SERIES_COUNTER, &cnt), IC_OK);
  /* A gauge whose "_max" column is already taken collides too. */
  assert_int_equal(ic_series_add_column(s, "r_max", IC_SERIES_COUNTER, &dummy), IC_OK);
  assert_int_equal(ic_series_add_column(s, "r", IC_SERIES_GAUGE, &dummy), IC_EINVAL);
  assert_int_equal(ic_series_count(s, g, NS(20), 1.0), IC_EINVAL);    /* gauge column */
  assert_int_equal(ic_series_gauge(s, cnt, NS(20), 1.0), IC_EINVAL);  /* counter column */
  assert_int_equal(ic_series_count(s, 99, NS(20), 1.0), IC_EINVAL);   /* no such column */
  assert_int_equal(ic_series_count(s, cnt, NS(20), (double)NAN), IC_EINVAL);
  assert_int_equal(ic_series_count(s, cnt, NS(5), 1.0), IC_ERANGE);   /* before start */
  assert_int_equal(ic_series_count(s, cnt, NS(20), 1.0), IC_OK);
  assert_int_equal(ic_series_count(s, cnt, NS(19), 1.0), IC_ERANGE);  /* time went back */
  assert_int_equal(ic_series_add_column(s, "late", IC_SERIES_COUNTER, &dummy), IC_EINVAL);
  FILE *f = tmpfile();
  assert_int_equal(ic_series_write_csv(s, f, NS(15)), IC_ERANGE);
  fclose(f);
  ic_series_free(s);
  ic_series_free(NULL);
}

int main(void) {
  struct CMUnitTest tests[64];
  size_t n = 0;
  for (size_t i = 0; i < sizeof dist_cases / sizeof dist_cases[0]; i++)
    tests[n++] = (struct CMUnitTest){dist_cases[i].name, run_dist_case, NULL, NULL, &dist_cases[i]};
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_bound_on_grid);
  for (size_t i = 0; i < sizeof int_cases / sizeof int_cases[0]; i++)
    tests[n++] = (struct CMUnitTest){int_cases[i].name, run_int_case, NULL, NULL, &int_cases[i]};
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_rank_convention);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_merge_equals_union);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_written_and_read_merges_exactly);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_add2_equals_two_adds);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_bucket_is_the_definition);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_cells_keep_the_definition);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_cells_fold_their_counts);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_zeros);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_out_of_range);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_memory_bounded);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(sketch_bad_input);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(summary_hand_worked);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(summary_matches_two_pass);
  for (size_t i = 0; i < sizeof tavg_cases / sizeof tavg_cases[0]; i++)
    tests[n++] = (struct CMUnitTest){tavg_cases[i].name, run_tavg_case, NULL, NULL, &tavg_cases[i]};
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(time_avg_long_run);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(time_avg_restart_and_empty);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(series_boundaries);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(series_offset_start_and_gap);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(series_memory_by_intervals);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(series_bad_input);
  return _cmocka_run_group_tests("metrics", tests, n, NULL, free_dists);
}
