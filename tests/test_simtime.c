/* test_simtime.c: seconds to nanoseconds rounds as nearbyint does (to
 * nearest, ties to even), on the inline fast path and past it. */
#include "ic_test.h"

#include <math.h>

#include "infercost/simtime.h"

/* What ic_time_from_s promises, written the slow way. */
static ic_time_ns reference(double seconds) {
  double ns = nearbyint(seconds * 1e9);
  if (isnan(ns)) return 0;
  if (ns >= 9.2e18) return IC_TIME_NEVER;
  if (ns < -9.2e18) return -IC_TIME_NEVER;
  return (ic_time_ns)ns;
}

static void ties_go_to_even(void **state) {
  (void)state;
  /* k + 0.5 ns is exact in binary: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4. */
  assert_int_equal(ic_time_from_s(0.5e-9), 0);
  assert_int_equal(ic_time_from_s(1.5e-9), 2);
  assert_int_equal(ic_time_from_s(2.5e-9), 2);
  assert_int_equal(ic_time_from_s(3.5e-9), 4);
  for (int64_t k = 0; k < 100000; k++) {
    double s = ((double)k + 0.5) / 1e9;
    assert_int_equal(ic_time_from_s(s), reference(s));
    assert_int_equal(ic_time_from_s(-s), reference(-s));
  }
}

static void matches_nearbyint_over_magnitudes(void **state) {
  (void)state;
  /* Every binade from 1e-12 s to beyond the int64 range, with fractions
   * that are not ties; and the neighbours of 2^52 ns, the fast path's end. */
  for (double s = 1e-12; s < 1e11; s *= 1.0009765625)
    for (int j = 0; j < 3; j++) {
      double v = s * (1.0 + 0.1 * j);
      assert_int_equal(ic_time_from_s(v), reference(v));
      assert_int_equal(ic_time_from_s(-v), reference(-v));
    }
  double edge = 0x1p52 / 1e9;
  for (double v = edge * 0.999999; v < edge * 1.000001; v = nextafter(v, 1e300) + edge * 1e-9)
    assert_int_equal(ic_time_from_s(v), reference(v));
  assert_int_equal(ic_time_from_s(0.0), 0);
  assert_int_equal(ic_time_from_s(-0.0), 0);
  assert_int_equal(ic_time_from_s((double)NAN), 0);
  assert_int_equal(ic_time_from_s((double)INFINITY), IC_TIME_NEVER);
  assert_int_equal(ic_time_from_s(-(double)INFINITY), -IC_TIME_NEVER);
  assert_int_equal(ic_time_from_s(1e300), IC_TIME_NEVER);
}

static void seconds_round_trip(void **state) {
  (void)state;
  assert_true(ic_time_to_s(1500000000) == 1.5);
  for (ic_time_ns t = 1; t < (ic_time_ns)1 << 53; t = t * 3 + 1) assert_int_equal(ic_time_from_s(ic_time_to_s(t)), t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ties_go_to_even),
      cmocka_unit_test(matches_nearbyint_over_magnitudes),
      cmocka_unit_test(seconds_round_trip),
  };
  return cmocka_run_group_tests_name("simtime", tests, NULL, NULL);
}
