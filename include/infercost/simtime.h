/* simtime.h: simulated time as integer nanoseconds, converted in one place. */
#ifndef IC_SIMTIME_H
#define IC_SIMTIME_H

#include <stdint.h>

/* Simulated time or duration in nanoseconds. Integer, so that equal times
 * compare equal on every platform. int64 covers about 292 years. */
typedef int64_t ic_time_ns;

#define IC_NS_PER_S INT64_C(1000000000)
#define IC_TIME_NEVER INT64_MAX

/* Seconds to nanoseconds, rounded to nearest; saturates at +-IC_TIME_NEVER.
 * This is the only place where simulated time is rounded. */
ic_time_ns ic_time_from_s(double seconds);

/* Nanoseconds to seconds (exact below 2^53 ns, about 104 days). */
double ic_time_to_s(ic_time_ns t);

#endif
