/* traffic_impl.h: what traffic.c and traffic_open.c share; not public. */
#ifndef IC_TRAFFIC_IMPL_H
#define IC_TRAFFIC_IMPL_H

#include <gsl/gsl_randist.h>

#include "infercost/traffic.h"

/* One length distribution, resolved from the keys. */
struct ic__length_dist {
  int kind;                     /* enum ic_length_kind */
  int64_t fixed;                /* fixed */
  double mu, sigma;             /* lognormal */
  double zipf_s;                /* zipf: support 1..hi */
  int64_t lo, hi;               /* bounds of every draw (uniform: its range) */
  const gsl_ran_discrete_t *emp_table; /* empirical: owned by the generator */
  const int64_t *emp_values;
};

enum { IC__DIURNAL_NONE, IC__DIURNAL_SINE, IC__DIURNAL_HOURLY };

struct ic__gen {
  ic_source base;
  gsl_rng *arr, *len, *cls;     /* owned by the simulation */
  int arrival;                  /* enum ic_arrival_kind */
  double mean_gap_s;            /* 86400 / queries_per_day */
  double cv;                    /* gamma */
  int diurnal;                  /* IC__DIURNAL_* */
  double peak_to_trough, peak_hour;
  double hourly[24];            /* relative rates, mean 1 */
  bool has_weekly;
  double weekly[7];             /* relative rates, mean 1 */
  double max_factor;            /* max of the relative rate (thinning) */
  double clock_s;
  ic_time_ns end_ns;
  uint64_t next_id;
  size_t nclass;
  gsl_ran_discrete_t *class_table;
  struct ic__length_dist prompt[IC_TRAFFIC_MAX_CLASSES], output[IC_TRAFFIC_MAX_CLASSES];
  gsl_ran_discrete_t *emp_table[2];
  int64_t *emp_values[2];
};

extern const struct ic_source_ops ic__gen_ops;

int64_t ic__length_sample(const struct ic__length_dist *d, gsl_rng *r);
void ic__clamp_lengths(int64_t *prompt, int64_t *output, int64_t lo_p, int64_t hi_p, int64_t lo_o, int64_t hi_o,
                       int64_t ctx);

#endif
