/* test_rng_mt.c: our MT19937 type draws exactly what GSL's gsl_rng_mt19937
 * draws. The oracle is GSL's own generator, seeded alike: every value of
 * get, uniform and uniform_int (inline and through GSL's pointers), and of
 * GSL's samplers run on each, must be equal, bit for bit. */
#include "ic_test.h"

#include <string.h>

#include <gsl/gsl_randist.h>

#include "infercost/rng.h"

/* Seeds: 0 (GSL's alias for 4357), the alias itself, the extremes of the
 * 32 bits MT uses, and a stream seed of the kind runs use. */
static unsigned long seeds[8];
static void fill_seeds(void) {
  unsigned long s[] = {0, 1, 2, 4357, 42, UINT32_C(0x80000000), UINT32_MAX, ic_rng_stream_seed(42, 0, "traffic.arrivals")};
  memcpy(seeds, s, sizeof s);
}

/* A pair (ours, GSL's) from one seed. */
static void pair(unsigned long seed, gsl_rng **ours, gsl_rng **gsl) {
  *ours = gsl_rng_alloc(ic_rng_mt19937);
  *gsl = gsl_rng_alloc(gsl_rng_mt19937);
  assert_non_null(*ours);
  assert_non_null(*gsl);
  gsl_rng_set(*ours, seed);
  gsl_rng_set(*gsl, seed);
}

static void free_pair(gsl_rng *a, gsl_rng *b) {
  gsl_rng_free(a);
  gsl_rng_free(b);
}

/* Runs check on a pair (ours, GSL's) from each seed. */
static void for_each_seed(void (*check)(gsl_rng *ours, gsl_rng *gsl)) {
  fill_seeds();
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    gsl_rng *a, *b;
    pair(seeds[i], &a, &b);
    check(a, b);
    free_pair(a, b);
  }
}

/* 3,000 words: the first regeneration and four more. */
static void check_words(gsl_rng *a, gsl_rng *b) {
  for (int k = 0; k < 3000; k++) {
    unsigned long want = gsl_rng_get(b);
    unsigned long got = k % 2 ? ic_rng_get(a) : gsl_rng_get(a); /* inline and through the pointer */
    assert_int_equal(got, want);
  }
}
static void words_match(void **state) {
  (void)state;
  for_each_seed(check_words);
}

static void check_uniforms(gsl_rng *a, gsl_rng *b) {
  for (int k = 0; k < 3000; k++) {
    double want = gsl_rng_uniform(b), got = k % 3 ? ic_rng_uniform(a) : gsl_rng_uniform(a);
    assert_memory_equal(&got, &want, sizeof got);
    want = gsl_rng_uniform_pos(b), got = gsl_rng_uniform_pos(a);
    assert_memory_equal(&got, &want, sizeof got);
  }
}
static void uniforms_match(void **state) {
  (void)state;
  for_each_seed(check_uniforms);
}

/* ic_rng_uniforms in blocks of several sizes, across regenerations, and
 * interleaved with single draws: GSL's uniforms in GSL's order. */
static void check_uniform_blocks(gsl_rng *a, gsl_rng *b) {
  static const size_t sizes[] = {1, 16, 5, 623, 16, 700, 2, 1248, 16, 3};
  double u[1248];
  for (int round = 0; round < 3; round++) {
    for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
      ic_rng_uniforms(a, u, sizes[j]);
      for (size_t i = 0; i < sizes[j]; i++) {
        double want = gsl_rng_uniform(b);
        assert_memory_equal(&u[i], &want, sizeof want);
      }
      assert_int_equal(ic_rng_get(a), gsl_rng_get(b));
    }
  }
}
static void uniform_blocks_match(void **state) {
  (void)state;
  for_each_seed(check_uniform_blocks);
}

/* n from 1 to 2^32 - 1 (GSL's largest for MT): powers of two, their
 * neighbours (above 2^31 every other draw is rejected), fleet sizes. */
static void uniform_ints_match(void **state) {
  (void)state;
  fill_seeds();
  const unsigned long ns[] = {1,          2,          3,          7,          64,         600,
                              6000,       65536,      1000003,    UINT32_C(0x7fffffff), UINT32_C(0x80000000),
                              UINT32_C(0x80000001), UINT32_C(0xc0000000), UINT32_MAX - 1, UINT32_MAX};
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++) {
      gsl_rng *a, *b;
      pair(seeds[i], &a, &b);
      for (int k = 0; k < 1500; k++) {
        unsigned long want = gsl_rng_uniform_int(b, ns[j]);
        unsigned long got = k % 2 ? ic_rng_uniform_int(a, ns[j]) : gsl_rng_uniform_int(a, ns[j]);
        assert_int_equal(got, want);
      }
      assert_int_equal(gsl_rng_get(a), gsl_rng_get(b)); /* the same number of words used */
      free_pair(a, b);
    }
  }
}

/* GSL's samplers run on our type through its function pointers. */
static gsl_ran_discrete_t *table;
static void check_samplers(gsl_rng *a, gsl_rng *b) {
  for (int k = 0; k < 1000; k++) {
    double want[4] = {gsl_ran_exponential(b, 0.37), gsl_ran_lognormal(b, 6.9, 0.8), gsl_ran_gamma(b, 2.5, 1.3),
                      (double)gsl_ran_discrete(b, table)};
    double got[4] = {gsl_ran_exponential(a, 0.37), gsl_ran_lognormal(a, 6.9, 0.8), gsl_ran_gamma(a, 2.5, 1.3),
                     (double)gsl_ran_discrete(a, table)};
    assert_memory_equal(got, want, sizeof got);
  }
  int xa[50], xb[50];
  for (int k = 0; k < 50; k++) xa[k] = xb[k] = k;
  gsl_ran_shuffle(a, xa, 50, sizeof xa[0]);
  gsl_ran_shuffle(b, xb, 50, sizeof xb[0]);
  assert_memory_equal(xa, xb, sizeof xa);
}
static void gsl_samplers_match(void **state) {
  (void)state;
  const double p[] = {0.5, 0.2, 0.2, 0.1};
  table = gsl_ran_discrete_preproc(4, p);
  assert_non_null(table);
  for_each_seed(check_samplers);
  gsl_ran_discrete_free(table);
}

/* gsl_rng_alloc seeds with GSL's default seed; a clone carries the state. */
static void default_seed_and_clone_match(void **state) {
  (void)state;
  gsl_rng *a = gsl_rng_alloc(ic_rng_mt19937), *b = gsl_rng_alloc(gsl_rng_mt19937);
  for (int k = 0; k < 700; k++) assert_int_equal(ic_rng_get(a), gsl_rng_get(b));
  gsl_rng *c = gsl_rng_clone(a);
  for (int k = 0; k < 1300; k++) {
    unsigned long want = gsl_rng_get(b);
    assert_int_equal(ic_rng_get(a), want);
    assert_int_equal(ic_rng_get(c), want);
  }
  gsl_rng_free(c);
  free_pair(a, b);
}

/* On any other type the inline forms are GSL's calls. */
static void other_types_fall_back(void **state) {
  (void)state;
  gsl_rng *a = gsl_rng_alloc(gsl_rng_taus2), *b = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(a, 9);
  gsl_rng_set(b, 9);
  for (int k = 0; k < 500; k++) {
    assert_int_equal(ic_rng_get(a), gsl_rng_get(b));
    double got = ic_rng_uniform(a), want = gsl_rng_uniform(b);
    assert_memory_equal(&got, &want, sizeof got);
    assert_int_equal(ic_rng_uniform_int(a, 6000), gsl_rng_uniform_int(b, 6000));
  }
  double u[7];
  ic_rng_uniforms(a, u, 7);
  for (int k = 0; k < 7; k++) {
    double want = gsl_rng_uniform(b);
    assert_memory_equal(&u[k], &want, sizeof want);
  }
  free_pair(a, b);
}

/* Named streams are our type. */
static void streams_are_ours(void **state) {
  (void)state;
  ic_rng_set *s = ic_rng_set_alloc(42, 0);
  gsl_rng *r = ic_rng_stream(s, "traffic.arrivals");
  assert_ptr_equal(r->type, ic_rng_mt19937);
  gsl_rng *b = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(b, ic_rng_stream_seed(42, 0, "traffic.arrivals"));
  for (int k = 0; k < 1000; k++) assert_int_equal(ic_rng_get(r), gsl_rng_get(b));
  gsl_rng_free(b);
  ic_rng_set_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(words_match),          cmocka_unit_test(uniforms_match),
      cmocka_unit_test(uniform_blocks_match),
      cmocka_unit_test(uniform_ints_match),   cmocka_unit_test(gsl_samplers_match),
      cmocka_unit_test(default_seed_and_clone_match), cmocka_unit_test(other_types_fall_back),
      cmocka_unit_test(streams_are_ours),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
