/* traffic.h: where requests come from: stochastic generators and trace replay
 * behind one small interface. */
#ifndef IC_TRAFFIC_H
#define IC_TRAFFIC_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "infercost/simtime.h"
#include "infercost/status.h"

/* [traffic] section of a scenario. */
enum ic_arrival_kind { IC_ARRIVAL_POISSON };
#define IC_ARRIVAL_CHOICES "poisson"

struct ic_traffic_config {
  double queries_per_day;     /* mean arrivals per simulated day */
  int64_t prompt_tokens;      /* fixed prompt length, tokens */
  int64_t output_tokens;      /* fixed output length, tokens */
  int arrival;                /* enum ic_arrival_kind */
};

/* One request as it arrives. */
struct ic_request {
  uint64_t id;             /* arrival order, from 0 */
  ic_time_ns arrival_ns;   /* absolute simulated arrival time */
  int64_t prompt_tokens;   /* input tokens (>= 1) */
  int64_t output_tokens;   /* tokens to generate (>= 1) */
  int class_id;            /* request class index, 0 when only one class */
};

/* A source of requests in non-decreasing arrival order. */
typedef struct ic_source ic_source;

struct ic_source_ops {
  const char *name;
  /* Fills *out with the next request: IC_OK, IC_ENOENT when the source is
   * exhausted, another status (already reported via ic_diag) on bad input. */
  ic_status (*next)(ic_source *src, struct ic_request *out);
  void (*free)(ic_source *src);
};

struct ic_source {
  const struct ic_source_ops *ops;
};

/* Poisson arrivals at `rate_per_s` with fixed lengths, until `end_ns`
 * (exclusive). Draws from `rng`, which the caller keeps alive. NULL when out
 * of memory. */
ic_source *ic_source_poisson_fixed(gsl_rng *rng, double rate_per_s, int64_t prompt_tokens,
                                   int64_t output_tokens, ic_time_ns end_ns);

/* Calls the source's next. */
ic_status ic_source_next(ic_source *src, struct ic_request *out);

/* Frees a source; NULL does nothing. */
void ic_source_free(ic_source *src);

#endif
