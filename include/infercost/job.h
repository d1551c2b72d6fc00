/* job.h: a sweep or a search described the way the command line and the C
 * API (api.h) give it, as texts: scenario file, -s overrides, --vary axes,
 * --target bounds. Parses and checks them (reporting every problem), runs,
 * and keeps what the caller prints or returns. */
#ifndef IC_JOB_H
#define IC_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infercost/search.h"
#include "infercost/sweep.h"

#define IC_JOB_MAX_TARGETS 16

struct ic_job {
  const char *scenario_path;          /* NULL: the built-in default */
  const char *const *sets;            /* "section.key=value" */
  size_t set_count;
  const char *const *vary;            /* "section.key=VALUES" */
  size_t vary_count;
  const char *const *targets;         /* "METRIC<=VALUE" */
  size_t target_count;
  const char *nodes;                  /* search: fleet sizes (or KEY=VALUES, KEY fleet.nodes or pool.NAME.nodes);
                                         NULL: fleet.nodes=1:N:1, N = fleet.nodes */
  int64_t runs;                       /* replications per point (>= 1) */
  long workers;                       /* local worker processes */
  size_t top;                         /* search: ranked configurations */
  bool allow_unstable;                /* search: no implicit stable>=1 target */
  bool progress;                      /* progress bar on a terminal */
  bool train;                         /* sweep: points are training estimates (no targets) */
};

/* A sweep's parsed inputs and its records (large: keep it static or on the heap). */
struct ic_job_sweep {
  struct ic_scenario base;
  struct ic_sweep_axis axes[IC_SWEEP_MAX_AXES];
  struct ic_sweep_grid grid;
  struct ic_search_target targets[IC_JOB_MAX_TARGETS];
  struct ic_sweep_record *records;    /* count of them, in grid order; owned */
  bool *meets;                        /* per record when targets were given, else NULL; owned */
  size_t count, failed;
};

/* A search's parsed inputs and its result. */
struct ic_job_search {
  struct ic_scenario base;
  struct ic_sweep_axis axes[IC_SWEEP_MAX_AXES], nodes;
  struct ic_search_target targets[IC_JOB_MAX_TARGETS + 1]; /* the user's, then stable>=1 */
  size_t user_targets;
  struct ic_search_space space;
  struct ic_search_result result;
};

/* Runs a sweep into `out` (zeroed here first). IC_EINVAL (reported) for bad
 * input; IC_ENOMEM, IC_EIO as ic_sweep_execute. Whatever it returns,
 * ic_job_sweep_fini releases `out`. */
ic_status ic_job_sweep_run(const struct ic_job *job, struct ic_job_sweep *out);
void ic_job_sweep_fini(struct ic_job_sweep *out);

/* Runs a search into `out` (zeroed here first); statuses as ic_search_run.
 * ic_job_search_fini releases `out` whatever it returned. */
ic_status ic_job_search_run(const struct ic_job *job, struct ic_job_search *out);
void ic_job_search_fini(struct ic_job_search *out);

#endif
