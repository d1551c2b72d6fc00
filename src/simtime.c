/* simtime.c: the slow path of seconds to integer nanoseconds, and the
 * refusal of values that are not simulated time. */
#include "infercost/simtime.h"

#include <math.h>
#include <stdlib.h>

#include "infercost/status.h"

/* No clamped stand-in could be right, and every figure after it would be
 * wrong: stop loudly (exit 1, the runtime-failure code). */
static _Noreturn void refuse(double ns, const char *what) {
  ic_diag(NULL, 0, "internal error: %.17g s is not a simulated %s (%s); stopping", ns / 1e9, what,
          what[0] == 'd' ? "a duration must be finite, >= 0 and at most 2^62 ns" : "a time must be finite and within +-2^63 ns");
  exit(IC_EXIT_FAILURE);
}

ic_time_ns ic__time_from_ns_double(double ns) {
  ns = nearbyint(ns);
  if (!(ns > -0x1p63 && ns < 0x1p63)) refuse(ns, "time");
  return (ic_time_ns)ns;
}

ic_time_ns ic__duration_from_ns_double(double ns) {
  if (!(ns >= 0.0)) refuse(ns, "duration"); /* negative before rounding, or NaN */
  ns = nearbyint(ns);
  if (!(ns <= 0x1p62)) refuse(ns, "duration");
  return (ic_time_ns)ns;
}
