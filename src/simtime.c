/* simtime.c: the slow path of seconds to integer nanoseconds. */
#include "infercost/simtime.h"

#include <math.h>

ic_time_ns ic__time_from_ns_double(double ns) {
  ns = nearbyint(ns);
  if (!(ns < 9.2e18)) return isnan(ns) ? 0 : IC_TIME_NEVER;
  if (ns < -9.2e18) return -IC_TIME_NEVER;
  return (ic_time_ns)ns;
}
