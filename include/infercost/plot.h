/* plot.h: renders the CSV tables infercost writes into PNG or SVG charts by
 * running the gnuplot scripts in plots/ with variables set. */
#ifndef IC_PLOT_H
#define IC_PLOT_H

#include <stddef.h>

#include "infercost/status.h"

/* What to draw; each kind is one script in plots/. */
enum ic_plot_kind {
  IC_PLOT_COST_VS_X,  /* a metric against one varied key, target violations marked */
  IC_PLOT_PARETO,     /* cost against tail latency with the Pareto frontier */
  IC_PLOT_TIMESERIES, /* a day's arrival rate, busy replicas, power, queue length */
  IC_PLOT_LEDGER,     /* cost components as stacked bars */
  IC_PLOT_VALIDATION, /* compute model predicted against measured */
  IC_PLOT_PUBLISHED,  /* predicted against published GPU measurements, one marker per GPU */
  IC_PLOT_KERNELS,    /* predicted against measured GPU kernels, one marker per kernel kind */
};

/* Output formats, combinable. */
enum { IC_PLOT_PNG = 1, IC_PLOT_SVG = 2 };

#define IC_PLOT_MAX_TARGETS 8

/* A target on a column: a point violates it when the value is above `max`
 * or below `min` (NaN: no bound on that side), or not a number. */
struct ic_plot_target {
  const char *column;
  double max, min;
};

/* One chart to draw. Strings are borrowed for the call. NULL or NaN fields take
 * the kind's default (see docs/plots.md). */
struct ic_plot_request {
  enum ic_plot_kind kind;
  const char *input;         /* CSV path */
  const char *output;        /* image path; its extension is replaced per format; NULL: input's name */
  int formats;               /* IC_PLOT_PNG | IC_PLOT_SVG; 0 means PNG */
  const char *x_column;      /* cost-vs-x: varied key; pareto: latency; ledger: bar label */
  const char *y_column;      /* cost-vs-x, pareto: the cost column (default usd_per_day) */
  const char *by_column;     /* cost-vs-x: one line per value of this column (a second varied key); NULL: one */
  struct ic_plot_target targets[IC_PLOT_MAX_TARGETS]; /* cost-vs-x, pareto: each drawn, violations marked */
  size_t target_count;
  long replicas;             /* timeseries: fleet size in replicas for utilisation; 0: unknown */
  long max_batch;            /* timeseries: serving.max_batch; with replicas, batch occupancy
                              * (running requests / (replicas x max_batch)) is drawn; 0: not */
};

/* The axis label of a column: for a scenario key its meaning, key and unit
 * from the key table ("largest batch B, serving.max_batch (requests)"),
 * else "" (the scripts label headline metrics themselves). */
void ic_plot_axis_label(const char *column, char *buf, size_t size);

/* Sets every field of a request to its default for `kind`. */
void ic_plot_request_init(struct ic_plot_request *req, enum ic_plot_kind kind);

/* Parses a kind name ("cost-vs-x", "pareto", "timeseries", "ledger",
 * "validation"); IC_EINVAL for anything else. */
ic_status ic_plot_kind_parse(const char *name, enum ic_plot_kind *kind);

/* The kind's name, as ic_plot_kind_parse takes it. */
const char *ic_plot_kind_name(enum ic_plot_kind kind);

/* Directory holding the scripts, without a trailing slash: $IC_PLOTS_DIR,
 * else <exe>/../share/infercost/plots, else the source tree's plots/. Never
 * NULL; the buffer is static. */
const char *ic_plot_script_dir(void);

/* Draws one chart. Checks the input's header for every column the script
 * needs before running gnuplot; writes each image to a temporary name, checks
 * it is a non-empty PNG or SVG and renames it into place. Prints the paths
 * written to stdout. IC_EINVAL: bad input (missing file or column, reported as
 * path: message); IC_EIO: gnuplot missing or failed (reported). */
ic_status ic_plot_render(const struct ic_plot_request *req);

/* Renders the default charts of a `run -o DIR`: DIR/timeseries.png when
 * DIR/timeseries.csv exists, DIR/ledger.png from DIR/ledger.csv. `replicas`
 * and `max_batch` as in the request. Same statuses as ic_plot_render. */
ic_status ic_plot_run_dir(const char *dir, int formats, long replicas, long max_batch);

/* The Pareto frontier of n points (latency[i], cost[i]) where lower is better
 * on both: writes the indices of the frontier points to `front` in order of
 * increasing latency (ties: cheaper first, then lower index) and returns their
 * count. A point is kept when it is strictly cheaper than every point of lower
 * or equal latency before it. Points with a NaN coordinate are ignored.
 * `front` holds n entries; no allocation beyond a temporary index array:
 * returns (size_t)-1 when that allocation fails. */
size_t ic_plot_pareto_front(const double *latency, const double *cost, size_t n, size_t *front);

#endif
