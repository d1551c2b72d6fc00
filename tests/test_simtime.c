/* test_simtime.c: seconds to nanoseconds rounds as nearbyint does (to
 * nearest, ties to even), on the inline fast path and past it. */
#define _POSIX_C_SOURCE 200809L
#include "ic_test.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "ic_test_child.h"

#include "infercost/simtime.h"

/* What ic_time_from_s promises within the clock's range, the slow way. */
static ic_time_ns reference(double seconds) { return (ic_time_ns)nearbyint(seconds * 1e9); }

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
  for (double s = 1e-12; s < 7e9; s *= 1.0009765625)
    for (int j = 0; j < 3; j++) {
      double v = s * (1.0 + 0.1 * j);
      assert_int_equal(ic_time_from_s(v), reference(v));
      assert_int_equal(ic_time_from_s(-v), reference(-v));
      if (v < 4.6e9) assert_int_equal(ic_duration_from_s(v), reference(v));
    }
  double edge = 0x1p52 / 1e9;
  for (double v = edge * 0.999999; v < edge * 1.000001; v = nextafter(v, 1e300) + edge * 1e-9)
    assert_int_equal(ic_time_from_s(v), reference(v));
  assert_int_equal(ic_time_from_s(0.0), 0);
  assert_int_equal(ic_time_from_s(-0.0), 0);
  assert_int_equal(ic_duration_from_s(-0.0), 0);
  assert_int_equal(ic_duration_from_s(ic_time_to_s(IC_DURATION_MAX)), IC_DURATION_MAX);
}

/* A conversion to run in a child: which one, of what. */
struct conversion {
  bool duration;
  double v;
};

static void convert(void *ctx) {
  const struct conversion *c = ctx;
  (void)(c->duration ? ic_duration_from_s(c->v) : ic_time_from_s(c->v));
}

static int child_converts(bool duration, double v, char *text, size_t cap) {
  struct conversion c = {duration, v};
  return ic_test_child(convert, &c, text, cap);
}

/* Issue 11 item 6: what is not simulated time stops the process with exit 1
 * and a message, never a clamped value. */
static void non_times_are_refused(void **state) {
  (void)state;
  const double bad_times[] = {(double)NAN, (double)INFINITY, -(double)INFINITY, 1e300, -1e300, 9.3e9};
  const double bad_durations[] = {(double)NAN, (double)INFINITY, -(double)INFINITY, 1e300, -1e-9, -1.0, 4.7e9};
  char text[512];
  for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
    assert_int_equal(child_converts(false, bad_times[i], text, sizeof text), 1);
    assert_non_null(strstr(text, "is not a simulated time"));
  }
  for (size_t i = 0; i < sizeof bad_durations / sizeof bad_durations[0]; i++) {
    assert_int_equal(child_converts(true, bad_durations[i], text, sizeof text), 1);
    assert_non_null(strstr(text, "is not a simulated duration"));
  }
  assert_int_equal(child_converts(false, -1.0, text, sizeof text), 0); /* a point in time may be negative */
}

static void seconds_round_trip(void **state) {
  (void)state;
  assert_true(ic_time_to_s(1500000000) == 1.5);
  for (ic_time_ns t = 1; t < (ic_time_ns)1 << 53; t = t * 3 + 1) assert_int_equal(ic_time_from_s(ic_time_to_s(t)), t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(non_times_are_refused),
      cmocka_unit_test(ties_go_to_even),
      cmocka_unit_test(matches_nearbyint_over_magnitudes),
      cmocka_unit_test(seconds_round_trip),
  };
  return cmocka_run_group_tests_name("simtime", tests, NULL, NULL);
}
