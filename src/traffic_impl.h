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
enum { IC__GAPS = 16 }; /* plain Poisson gaps drawn at a time */

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
  size_t nprofile;              /* rate_profile bins; 0 = none */
  double profile[24];           /* relative rates, mean 1 */
  double profile_bin_s;
  /* time change (gamma with a profile, or any profile): arrivals are a
   * stationary renewal process in operational time tau = integral of the
   * relative rate, mapped back through the piecewise-constant rate */
  bool time_change;
  double seg_len_s;             /* segments of constant rate */
  uint64_t seg;                 /* current segment */
  double seg_tau;               /* tau at its start */
  double clock_s;
  /* plain Poisson (no time change, no thinning, not gamma): the arrivals
   * stream serves only its gaps, so they are drawn IC__GAPS at a time
   * (independent log1p calls overlap), consumed in order: the same gaps */
  bool gap_block;
  uint32_t gap_next;            /* next unused entry of gap_log1p; IC__GAPS: refill */
  bool fixed_lengths;           /* one class, fixed prompt and output: */
  struct ic_request fixed_request; /* every request but its id and time */
  double gap_log1p[IC__GAPS];   /* log1p(-u) of the stream's next uniforms */
  ic_time_ns end_ns;
  uint64_t next_id;
  size_t nclass;
  gsl_ran_discrete_t *class_table;
  struct ic__length_dist prompt[IC_TRAFFIC_MAX_CLASSES], output[IC_TRAFFIC_MAX_CLASSES];
  gsl_ran_discrete_t *emp_table[2];
  int64_t *emp_values[2];
  /* empirical_sampling rows / each_once: the trace's (prompt, output)
   * rows, 16 bytes each; each_once walks them in a shuffled order */
  int emp_sampling;             /* enum ic_empirical_sampling */
  int64_t (*emp_rows)[2];
  size_t emp_nrows, emp_next;
  double emp_output_scale;      /* empirical outputs times this */
  struct ic__prefix *prefix;    /* system prompts and sessions; NULL: none */
};

extern const struct ic_source_ops ic__gen_ops;
extern const struct ic_source_ops ic__gen_plain_ops; /* gap_block, fixed_lengths, no prefix */

/* The generator's next arrival time (IC_ENOENT at end_ns), and a class. */
ic_status ic__gen_arrival(struct ic__gen *g, ic_time_ns *t);
static inline int ic__gen_class(struct ic__gen *g) {
  return g->nclass > 1 ? (int)gsl_ran_discrete(g->cls, g->class_table) : 0;
}

/* Generated prefixes (traffic_prefix.c): shared system prompts and
 * multi-turn sessions, with their block hashes in the generator's ring. */
struct ic__prefix;
ic_status ic__prefix_open(struct ic__gen *g, const struct ic_traffic_config *c, ic_sim *sim);
ic_status ic__prefix_next(struct ic__gen *g, struct ic_request *out);
void ic__prefix_free(struct ic__prefix *p);

/* The reader options the trace_* keys describe. */
void ic__trace_options(const struct ic_traffic_config *c, struct ic_trace_options *o);

/* Trace replay (traffic_replay.c), as ic_traffic_open for arrival = trace. */
ic_status ic__open_replay(const struct ic_traffic_config *c, ic_sim *sim, ic_time_ns end_ns, int64_t ctx,
                          const struct ic_traffic_class *cls, size_t nclass, ic_source **out);

int64_t ic__length_sample(const struct ic__length_dist *d, gsl_rng *r);
/* The prompt and output lengths of a request of class c, before clamping:
 * each from its distribution, or both columns of one trace row when
 * empirical_sampling draws rows. */
void ic__gen_lengths(struct ic__gen *g, int c, int64_t *prompt, int64_t *output);
/* Bounds of every draw, then prompt + output <= context. */
static inline void ic__clamp_lengths(int64_t *prompt, int64_t *output, int64_t lo_p, int64_t hi_p, int64_t lo_o,
                                     int64_t hi_o, int64_t ctx) {
  if (*prompt < lo_p) *prompt = lo_p;
  if (*prompt > hi_p) *prompt = hi_p;
  if (*output < lo_o) *output = lo_o;
  if (*output > hi_o) *output = hi_o;
  if (*prompt < 1) *prompt = 1;
  if (*output < 1) *output = 1;
  if (ctx > 1) {
    if (*prompt > ctx - 1) *prompt = ctx - 1;
    if (*prompt + *output > ctx) *output = ctx - *prompt;
  }
}

#endif
