/* search.h: the cheapest configuration per day that meets latency targets,
 * over discrete dimensions (batch cap, GPU type, tensor parallelism, any
 * key) and fleet size, by bisection on fleet size. Algorithm and its
 * monotonicity assumption: docs/sweeps.md. */
#ifndef IC_SEARCH_H
#define IC_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infercost/sweep.h"

enum ic_target_op { IC_TARGET_LE, IC_TARGET_LT, IC_TARGET_GE, IC_TARGET_GT };

/* "ttft_p99_s<=2": a headline metric, a comparison, a bound. */
struct ic_search_target {
  int metric;             /* index in ic_headline_table */
  enum ic_target_op op;
  double bound;           /* in the metric's unit */
  char text[96];          /* as given, for messages */
};

/* Parses a target; reports at `where` and returns IC_EINVAL when the metric
 * is unknown, the operator missing or the bound not a number. */
ic_status ic_search_target_parse(const char *text, const char *where, struct ic_search_target *t);

/* Whether a point ran and meets every target (NaN never meets). */
bool ic_search_meets(const struct ic_sweep_record *rec, const struct ic_search_target *targets, size_t count);

struct ic_search_space {
  const struct ic_scenario *base;
  const struct ic_sweep_axis *axes;   /* discrete dimensions (not fleet.nodes) */
  size_t axis_count;
  const struct ic_sweep_axis *nodes;  /* the bisected node count (fleet.nodes or pool.NAME.nodes), strictly ascending */
  const struct ic_search_target *targets;
  size_t target_count;
  int64_t runs;                       /* replications per point (targets on the mean) */
  long workers;
  bool progress;                      /* one bar for the whole search (terminal only) */
  size_t top;                         /* rank the N cheapest combinations (0 or 1: the cheapest) */
};

/* One point a search evaluated. */
struct ic_search_point {
  size_t combo;                 /* grid index over the discrete axes */
  size_t nodes_index;           /* into space->nodes->values */
  int step;                     /* bisection round: 0 probes the largest fleet, 1.. halve */
  bool meets;                   /* ran and meets every target */
  struct ic_sweep_record record;
};

struct ic_search_result {
  bool found;                   /* some configuration meets the targets */
  size_t combo;                 /* grid index over the discrete axes */
  size_t nodes_index;           /* into space->nodes->values */
  struct ic_sweep_record record;
  size_t simulations;           /* points evaluated (each `runs` runs) */
  size_t exhaustive;            /* points of the full grid: combos x node values */
  size_t feasible_combos;       /* combinations meeting the targets at the largest fleet */
  size_t dropped_combos;        /* feasible ones left early: fixed costs above the best found */
  size_t money_missed;          /* feasible ones whose smallest such fleet misses a margin or
                                 * cost-to-revenue target (there it is best), so none of theirs meets it */
  struct ic_search_point *points; /* every point evaluated, in order; owned */
  size_t point_count;
  size_t *ranked;               /* into points: the smallest feasible fleet of up to space->top
                                 * combinations, cheapest first (ties: lower combo); owned */
  size_t ranked_count;
};

/* Checks that nodes ascend and no axis is fleet.nodes, validates every
 * point of the grid, then searches. IC_EINVAL (reported) on bad input;
 * IC_ENOMEM, IC_EIO as ic_sweep_execute. Whatever it returns, `out` holds
 * storage that ic_search_result_fini releases. */
ic_status ic_search_run(const struct ic_search_space *sp, struct ic_search_result *out);

/* The answer as JSON text: provenance, targets, found, the ranked
 * configurations (config, combination, metrics; null for NaN) and the
 * simulation counts. Free with free(); NULL when out of memory. */
char *ic_search_result_json(const struct ic_search_space *sp, const struct ic_search_result *r);

/* Frees the points and ranking of a result (a zeroed result is fine). */
void ic_search_result_fini(struct ic_search_result *r);

/* The scenario of discrete combination `combo` with nodes value `nodes_index`. */
ic_status ic_search_build(const struct ic_search_space *sp, size_t combo, size_t nodes_index, struct ic_scenario *s);

#endif
