/* traffic.c: stochastic request generators. */
#include "infercost/traffic.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>

struct poisson_fixed {
  ic_source base;
  gsl_rng *rng;
  double mean_gap_s;
  int64_t prompt_tokens, output_tokens;
  ic_time_ns end_ns;
  double clock_s; /* kept in seconds so gaps do not accumulate rounding */
  uint64_t next_id;
};

static ic_status poisson_fixed_next(ic_source *src, struct ic_request *out) {
  struct poisson_fixed *p = (struct poisson_fixed *)src;
  p->clock_s += gsl_ran_exponential(p->rng, p->mean_gap_s);
  ic_time_ns t = ic_time_from_s(p->clock_s);
  if (t >= p->end_ns) return IC_ENOENT;
  *out = (struct ic_request){p->next_id++, t, p->prompt_tokens, p->output_tokens, 0};
  return IC_OK;
}

static void free_plain(ic_source *src) { free(src); }

static const struct ic_source_ops poisson_fixed_ops = {"poisson-fixed", poisson_fixed_next, free_plain};

ic_source *ic_source_poisson_fixed(gsl_rng *rng, double rate_per_s, int64_t prompt_tokens,
                                   int64_t output_tokens, ic_time_ns end_ns) {
  struct poisson_fixed *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->base.ops = &poisson_fixed_ops;
  p->rng = rng;
  p->mean_gap_s = 1.0 / rate_per_s;
  p->prompt_tokens = prompt_tokens;
  p->output_tokens = output_tokens;
  p->end_ns = end_ns;
  return &p->base;
}

ic_status ic_source_next(ic_source *src, struct ic_request *out) { return src->ops->next(src, out); }

void ic_source_free(ic_source *src) {
  if (src) src->ops->free(src);
}
