/* simtime.c: conversions between seconds and integer nanoseconds. */
#include "infercost/simtime.h"

#include <math.h>

ic_time_ns ic_time_from_s(double seconds) {
  double ns = nearbyint(seconds * 1e9);
  if (!(ns < 9.2e18)) return isnan(ns) ? 0 : IC_TIME_NEVER;
  if (ns < -9.2e18) return -IC_TIME_NEVER;
  return (ic_time_ns)ns;
}

double ic_time_to_s(ic_time_ns t) { return (double)t / 1e9; }
