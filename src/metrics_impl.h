/* metrics_impl.h: helpers shared by the metrics module's files; not public. */
#ifndef IC_METRICS_IMPL_H
#define IC_METRICS_IMPL_H

#include <math.h>

/* Neumaier's compensated sum: *sum + *comp is the running total, with an
 * error of a few ulps of the result independent of the number of terms.
 * Plain double arithmetic (no long double, no FMA contraction under -std=c11)
 * keeps it bit-identical on every IEEE platform. */
static inline void ic__metrics_sum_add(double *sum, double *comp, double x) {
  double t = *sum + x;
  if (fabs(*sum) >= fabs(x))
    *comp += (*sum - t) + x;
  else
    *comp += (x - t) + *sum;
  *sum = t;
}

#endif
