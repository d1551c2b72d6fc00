/* sweep.h: many runs of one scenario: axes of values (lists, linear and log
 * ranges), their Cartesian product, replications with confidence intervals,
 * evaluation on local worker processes or MPI ranks, and the sweep CSV.
 * Syntax, CSV columns and recipes: docs/sweeps.md. */
#ifndef IC_SWEEP_H
#define IC_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "infercost/headline.h"
#include "infercost/scenario.h"
#include "infercost/status.h"

#define IC_SWEEP_KEY_MAX 64       /* bytes in "section.key", NUL included */
#define IC_SWEEP_MESSAGE_MAX 240  /* bytes of a failed point's message */
#define IC_SWEEP_MAX_AXES 16

/* One --vary axis: a key and its values as text, in the order given. */
struct ic_sweep_axis {
  char key[IC_SWEEP_KEY_MAX];
  char (*values)[IC_KEY_TEXT_MAX]; /* owned; ic_sweep_axis_fini frees it */
  size_t count;
};

/* What one point gave: means over its replications, and 95% half-widths. */
struct ic_sweep_record {
  int32_t status;                       /* IC_OK, or the first failing run's status */
  int32_t runs;                         /* replications asked for */
  int64_t seed;                         /* the point's run.seed */
  char message[IC_SWEEP_MESSAGE_MAX];   /* why it failed; "" when ok */
  double mean[IC_HEADLINE_MAX];         /* by ic_headline_table index */
  double ci95[IC_HEADLINE_MAX];         /* Student-t half-width; NaN with one run */
};

/* What each point computes: a serving run (`infercost run`, the headline
 * metrics) or a training estimate (`infercost train`, the train metrics). */
enum ic_sweep_mode { IC_SWEEP_SERVE, IC_SWEEP_TRAIN };

/* Builds the scenario of point `index` into `s` (the caller's storage).
 * IC_OK, or IC_EINVAL after reporting why. Called in worker processes too,
 * so it must depend only on `ctx` and `index`. */
typedef ic_status ic_sweep_point_fn(void *ctx, size_t index, struct ic_scenario *s);

/* A batch of points to evaluate. */
struct ic_sweep_exec {
  ic_sweep_point_fn *point;
  void *ctx;
  size_t count;        /* points */
  int64_t runs;        /* replications per point, run.run = base, base+1, ... */
  long workers;        /* local processes; <= 1 runs in this process */
  bool progress;       /* progress bar with ETA on stderr (only shown on a terminal) */
  /* A batch that is part of a larger job (a search's rounds): the bar counts
   * progress_base points done before it out of about progress_total (0: count),
   * its ETA runs from progress_start_s (0: now), and progress_keep leaves the
   * line for the next batch. */
  size_t progress_base, progress_total;
  double progress_start_s;
  bool progress_keep;
  enum ic_sweep_mode mode;
};

/* Expands a value list: "a,b,c" (any text), "LO:HI:STEP" (linear, both ends
 * included), "LO:HI:xF" (multiply by F > 1), "LO:HI:logN" (N points evenly
 * spaced in log). `integer` rounds range values to whole numbers and drops
 * repeats. Reports problems at `where`; IC_EINVAL then, IC_ENOMEM. On
 * success *values (free() it) holds *count texts. */
ic_status ic_sweep_expand(const char *text, bool integer, const char *where, char (**values)[IC_KEY_TEXT_MAX],
                          size_t *count);

/* Parses "section.key=VALUES" and checks every value against a copy of
 * `base` (so a bad value is reported before anything runs). */
ic_status ic_sweep_axis_parse(struct ic_sweep_axis *axis, const char *spec, const struct ic_scenario *base);
void ic_sweep_axis_fini(struct ic_sweep_axis *axis);

/* Points in the product of the axes (0 when one is empty, SIZE_MAX on overflow). */
size_t ic_sweep_grid_count(const struct ic_sweep_axis *axes, size_t axis_count);

/* Value index on each axis of grid point `index`: the first axis is the
 * outermost loop, the last varies fastest. */
void ic_sweep_grid_point(const struct ic_sweep_axis *axes, size_t axis_count, size_t index, size_t *value_index);

/* The accelerator's matching built-in server ("h100-sxm" -> "dgx-h100"),
 * or NULL; applied when fleet.gpu varies and fleet.server does not. */
const char *ic_sweep_server_for_gpu(const char *gpu);

/* Grid context for ic_sweep_grid_build: base scenario and axes. */
struct ic_sweep_grid {
  const struct ic_scenario *base;
  const struct ic_sweep_axis *axes;
  size_t axis_count;
  enum ic_sweep_mode mode;  /* which metric columns the CSV has */
};

/* An ic_sweep_point_fn over a struct ic_sweep_grid. */
ic_status ic_sweep_grid_build(void *grid, size_t index, struct ic_scenario *s);

/* Builds and checks every point before anything runs; reports up to 20
 * problems and returns IC_EINVAL if any. */
ic_status ic_sweep_validate(const struct ic_sweep_exec *x);

/* Runs the replications of one point into *rec (never fails: a failed run
 * is recorded in rec->status and rec->message). */
void ic_sweep_eval_point(const struct ic_sweep_exec *x, size_t index, struct ic_sweep_record *rec);

/* Evaluates every point into records[0..count) in point order, whatever
 * the order in which workers finish. Under MPI (ic_sweep_mpi_begin) the
 * points are spread over ranks and every rank receives all records.
 * IC_ENOMEM, IC_EIO when worker processes cannot be started. */
ic_status ic_sweep_execute(const struct ic_sweep_exec *x, struct ic_sweep_record *records);

/* A map: `count` tasks whose answers are byte strings (one shard of a
 * run.shards run each). task(ctx, i, out) computes task i and writes its
 * answer to `out`, in a worker process when workers > 1 (so it may depend
 * only on ctx and i); take(ctx, i, in) reads that answer back in this
 * process, called in task order whoever finished first, so the outcome does
 * not depend on the number of workers. The first failing status in task
 * order stops the map and is returned (a task's own problems are reported
 * where they happen; a worker that died is reported here, IC_EINTERNAL);
 * IC_ENOMEM, IC_EIO when workers cannot be started. Under MPI
 * (ic_sweep_mpi_begin, more than one rank) task i runs on rank i mod size
 * and only rank 0 takes the answers: other ranks return IC_OK having
 * called no take. */
typedef ic_status ic_sweep_task_fn(void *ctx, size_t index, FILE *out);
typedef ic_status ic_sweep_take_fn(void *ctx, size_t index, FILE *in);
ic_status ic_sweep_map(size_t count, long workers, ic_sweep_task_fn *task, ic_sweep_take_fn *take, void *ctx);

/* Mean and 95% Student-t half-width of values[0..n); half-width NaN for n < 2. */
void ic_sweep_mean_ci95(const double *values, size_t n, double *mean, double *half_width);

/* Writes the sweep CSV (header, one row per grid point) to
 * `out`; `meets` (NULL: no column) fills a meets_targets column of 1/0.
 * IC_EIO on a write error. */
ic_status ic_sweep_write_csv(FILE *out, const struct ic_sweep_grid *grid, int64_t runs,
                             const struct ic_sweep_record *records, const bool *meets, size_t count);

/* CSV pieces shared with the search's table: a field (RFC 4180-quoted when
 * it holds a comma, quote or line break), a number (%.17g, "nan", "inf"),
 * the metric column names (",m1,m1_ci95,..." with ci95 when runs > 1) and a
 * record's "seed,runs,status[,meets],metrics..." (meets < 0: no column). */
void ic_sweep_csv_field(FILE *out, const char *text);
void ic_sweep_csv_number(FILE *out, double v);
void ic_sweep_csv_metric_names(FILE *out, enum ic_sweep_mode mode, int64_t runs);
void ic_sweep_csv_record(FILE *out, const struct ic_sweep_record *r, enum ic_sweep_mode mode, int64_t runs,
                         int meets);

/* Same as ic_sweep_write_csv, into `path` through a temporary file renamed
 * at the end, with its provenance in the sidecar `path`.meta.json (see
 * meta.h). */
ic_status ic_sweep_write_csv_file(const char *path, const struct ic_sweep_grid *grid, int64_t runs,
                                  const struct ic_sweep_record *records, const bool *meets, size_t count);

/* MPI: joins the MPI job when the process was started by mpirun (and the
 * build has MPI); a no-op otherwise, and rank and size are then 0 and 1.
 * IC_EIO (reported) when a launcher started us but MPI_Init failed. */
ic_status ic_sweep_mpi_begin(void);
int ic_sweep_mpi_rank(void);
int ic_sweep_mpi_size(void);
void ic_sweep_mpi_end(void);

#endif
