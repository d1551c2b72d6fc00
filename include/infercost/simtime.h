/* simtime.h: simulated time as integer nanoseconds, converted in one place. */
#ifndef IC_SIMTIME_H
#define IC_SIMTIME_H

#include <stdint.h>

/* Simulated time or duration in nanoseconds. Integer, so that equal times
 * compare equal on every platform. int64 covers about 292 years. */
typedef int64_t ic_time_ns;

#define IC_NS_PER_S INT64_C(1000000000)
#define IC_TIME_NEVER INT64_MAX
/* The longest duration: 2^62 ns (146 years), so that a time plus a duration
 * never overflows the clock. */
#define IC_DURATION_MAX (INT64_C(1) << 62)

/* ic_time_from_s and ic_duration_from_s for the values their fast path does
 * not take. A value that is not simulated time (NaN, infinite, beyond the
 * clock; for a duration also negative) is a bug upstream that would make
 * every figure wrong: reported through ic_diag, then the process exits with
 * IC_EXIT_FAILURE. Never returns a clamped value. */
ic_time_ns ic__time_from_ns_double(double ns);
ic_time_ns ic__duration_from_ns_double(double ns);

/* Seconds to nanoseconds, rounded to nearest (ties to even, as nearbyint):
 * a point in time, which may be negative (a trace's own clock). This and
 * ic_duration_from_s are the only places where simulated time is rounded.
 * Inline because the serving model converts once per decode step: below
 * 2^52, adding and taking away 2^52 leaves the double rounded to an integer
 * in the default rounding mode, without a libm call. */
static inline ic_time_ns ic_time_from_s(double seconds) {
  double ns = seconds * 1e9;
  if (ns >= 0.0 && ns < 0x1p52) return (ic_time_ns)((ns + 0x1p52) - 0x1p52);
  return ic__time_from_ns_double(ns);
}

/* The same for a duration: refuses (as above) a negative one, or one longer
 * than IC_DURATION_MAX. */
static inline ic_time_ns ic_duration_from_s(double seconds) {
  double ns = seconds * 1e9;
  if (ns >= 0.0 && ns < 0x1p52) return (ic_time_ns)((ns + 0x1p52) - 0x1p52);
  return ic__duration_from_ns_double(ns);
}

/* Nanoseconds to seconds (exact below 2^53 ns, about 104 days). */
static inline double ic_time_to_s(ic_time_ns t) { return (double)t / 1e9; }

#endif
