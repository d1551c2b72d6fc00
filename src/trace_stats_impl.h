/* trace_stats_impl.h: what trace_stats.c and trace_fit.c share; not public. */
#ifndef IC_TRACE_STATS_IMPL_H
#define IC_TRACE_STATS_IMPL_H

#include "infercost/trace.h"

/* Arrivals counted in bins of bin_ns from the first arrival. Bins start at
 * 1 s and double (pairs merged) whenever more than IC__COUNTS_MAX would be
 * needed, so memory is bounded whatever the span. */
#define IC__COUNTS_MAX ((size_t)1 << 22)
struct ic__arrival_counts {
  uint32_t *n;
  size_t len, cap;
  ic_time_ns bin_ns;   /* 0 until the first add: then 1 s */
};

/* Counts an arrival at `t_ns` from the first; false when out of memory. */
bool ic__counts_add(struct ic__arrival_counts *c, ic_time_ns t_ns);

/* Fills *fit from the counts, the gcd of the gaps (`grid_s`, 0 when none)
 * and the rest of *st (span, rows, gaps). */
void ic__fit_arrivals(const struct ic__arrival_counts *c, double grid_s, const struct ic_trace_stats *st,
                      struct ic_trace_fit *fit);

#endif
