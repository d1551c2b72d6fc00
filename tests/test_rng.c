/* test_rng.c: named streams are reproducible and independent of creation order. */
#include "ic_test.h"

#include "infercost/rng.h"

static void same_seed_same_draws(void **state) {
  (void)state;
  ic_rng_set *a = ic_rng_set_alloc(42, 1), *b = ic_rng_set_alloc(42, 1);
  gsl_rng *ra = ic_rng_stream(a, "traffic.arrivals"), *rb = ic_rng_stream(b, "traffic.arrivals");
  for (int i = 0; i < 1000; i++) assert_int_equal(gsl_rng_get(ra), gsl_rng_get(rb));
  ic_rng_set_free(a);
  ic_rng_set_free(b);
}

/* Adding a stream before another must not change the other's draws. */
static void adding_a_stream_leaves_others_alone(void **state) {
  (void)state;
  ic_rng_set *plain = ic_rng_set_alloc(7, 3), *extra = ic_rng_set_alloc(7, 3);
  gsl_rng *unrelated = ic_rng_stream(extra, "serve.router");
  for (int i = 0; i < 17; i++) gsl_rng_get(unrelated);
  gsl_rng *a = ic_rng_stream(plain, "traffic.lengths"), *b = ic_rng_stream(extra, "traffic.lengths");
  for (int i = 0; i < 1000; i++) assert_int_equal(gsl_rng_get(a), gsl_rng_get(b));
  assert_ptr_equal(ic_rng_stream(extra, "serve.router"), unrelated); /* same name, same stream */
  ic_rng_set_free(plain);
  ic_rng_set_free(extra);
}

static void seed_run_and_name_each_matter(void **state) {
  (void)state;
  unsigned long base = ic_rng_stream_seed(42, 1, "traffic.arrivals");
  assert_int_not_equal(base, ic_rng_stream_seed(43, 1, "traffic.arrivals"));
  assert_int_not_equal(base, ic_rng_stream_seed(42, 2, "traffic.arrivals"));
  assert_int_not_equal(base, ic_rng_stream_seed(42, 1, "traffic.lengths"));
  assert_int_equal(base, ic_rng_stream_seed(42, 1, "traffic.arrivals"));
}

/* Two streams of one run are uncorrelated: the sample correlation of 20,000
 * uniform pairs has standard error 1/sqrt(n) = 0.007; 5 sigma is 0.035. */
static void streams_are_uncorrelated(void **state) {
  (void)state;
  ic_rng_set *s = ic_rng_set_alloc(2024, 0);
  gsl_rng *a = ic_rng_stream(s, "a"), *b = ic_rng_stream(s, "b");
  const int n = 20000;
  double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  for (int i = 0; i < n; i++) {
    double x = gsl_rng_uniform(a), y = gsl_rng_uniform(b);
    sa += x; sb += y; sab += x * y; saa += x * x; sbb += y * y;
  }
  double cov = sab / n - (sa / n) * (sb / n);
  double corr = cov / __builtin_sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
  assert_true(corr < 0.035 && corr > -0.035);
  ic_rng_set_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_seed_same_draws),
      cmocka_unit_test(adding_a_stream_leaves_others_alone),
      cmocka_unit_test(seed_run_and_name_each_matter),
      cmocka_unit_test(streams_are_uncorrelated),
  };
  return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
