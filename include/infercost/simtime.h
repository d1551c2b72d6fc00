/* simtime.h: simulated time as integer nanoseconds, converted in one place. */
#ifndef IC_SIMTIME_H
#define IC_SIMTIME_H

#include <stdint.h>

/* Simulated time or duration in nanoseconds. Integer, so that equal times
 * compare equal on every platform. int64 covers about 292 years. */
typedef int64_t ic_time_ns;

#define IC_NS_PER_S INT64_C(1000000000)
#define IC_TIME_NEVER INT64_MAX

/* ic_time_from_s for the values its fast path does not take: negative,
 * huge or NaN nanosecond counts. */
ic_time_ns ic__time_from_ns_double(double ns);

/* Seconds to nanoseconds, rounded to nearest (ties to even, as nearbyint);
 * saturates at +-IC_TIME_NEVER. This is the only place where simulated time
 * is rounded. Inline because the serving model calls it once per decode
 * step: below 2^52, adding and taking away 2^52 leaves the double rounded
 * to an integer in the default rounding mode, without a libm call. */
static inline ic_time_ns ic_time_from_s(double seconds) {
  double ns = seconds * 1e9;
  if (ns >= 0.0 && ns < 0x1p52) return (ic_time_ns)((ns + 0x1p52) - 0x1p52);
  return ic__time_from_ns_double(ns);
}

/* Nanoseconds to seconds (exact below 2^53 ns, about 104 days). */
static inline double ic_time_to_s(ic_time_ns t) { return (double)t / 1e9; }

#endif
