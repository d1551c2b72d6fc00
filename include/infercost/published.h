/* published.h: the table of published GPU measurements
 * (tests/data/published/measurements.csv) as scenarios: each row mapped to
 * the run that offers its load the way its benchmark did, the headline
 * metric that predicts it, and the error statistics of predicted against
 * published (`infercost validate --published`, docs/validation-published.md). */
#ifndef IC_PUBLISHED_H
#define IC_PUBLISHED_H

#include <stdbool.h>
#include <stddef.h>

#include "infercost/published_configs.h"
#include "infercost/scenario.h"
#include "infercost/status.h"

#define IC_PUB_TEXT 96   /* bytes kept of a short text field */
#define IC_PUB_WHY 256   /* bytes of a skip reason (holds a sweep record's message) */

/* One row, with the fields a scenario needs (numbers NaN when empty). */
struct ic_pub_row {
  char id[16], experiment[IC_PUB_TEXT], split[16], source_kind[32], gpu[32], precision[16];
  char model[IC_PUB_TEXT], mode[32], dataset[IC_PUB_TEXT], metric[32], statistic[16], unit[16];
  char engine[IC_PUB_TEXT];
  double gpus, nodes, tp, concurrency, input_tokens, output_tokens, ttft_limit_ms, tpot_limit_ms;
  double value;        /* the published figure in `unit` */
  double system_rest_w; /* its experiment's system_rest_power row (W), 0 when none */
  int line;            /* in the file, for messages */
};

/* What a row becomes: a run, the headline metric to read off it, and the
 * factor that turns the metric into the row's unit. `point` groups rows
 * that share one run (same experiment and mode). */
struct ic_pub_case {
  bool skipped;
  char why[IC_PUB_WHY];        /* skipped: what infercost cannot express yet */
  char headline[48];           /* e.g. "output_tokens_per_s" */
  double to_unit;              /* published unit per headline unit (e.g. 1e3 for s -> ms) */
  size_t point;                /* index into the distinct runs */
  bool search_rate;            /* server throughput: highest Poisson rate meeting the limits */
  bool same_util;              /* server latency: scored at the published utilisation (offline row's capacity) */
};

/* Reads the table. IC_OK and *rows (free()) of *count; IC_EIO / IC_EINVAL
 * (reported with file and line) when it cannot be read or a needed column
 * is missing; IC_ENOMEM. */
ic_status ic_pub_load(const char *path, struct ic_pub_row **rows, size_t *count);

/* Prompt and output lengths of the MLPerf rows (validate --lengths). */
enum ic_pub_lengths {
  IC_PUB_LENGTHS_MEAN,   /* every request at the row's mean prompt and output length */
  IC_PUB_LENGTHS_DATASET /* each request one sample of the data set (the table's datasets/ files) */
};

/* How the TensorRT-LLM rows with a submission's configuration schedule
 * (validate --trtllm; docs/validation-published.md, "Sixth round (Q)"). */
enum ic_pub_trtllm {
  IC_PUB_TRTLLM_WHOLE,   /* max_num_tokens as a whole-prompt budget, decodes waiting (fifth round (S)) */
  IC_PUB_TRTLLM_INFLIGHT /* its MicroBatchScheduler: decodes beside the context in every iteration, max_num_tokens
                            counting both, chunked context where the submission enables it */
};

/* How the executor's host time per layer meets the GPU's work (validate
 * --trtllm-host-form; docs/validation-published.md, "Ninth round (H)"):
 * added to every iteration (perf.overhead_s), or overlapped with it, the
 * iteration's GPU part lasting at least layers x the time
 * (perf.launch_floor_per_layer_s). */
enum ic_pub_host_form { IC_PUB_HOST_ADDED, IC_PUB_HOST_FLOOR };

/* Options of the mapping: shorter runs, "section.key=value" overrides
 * applied to every row's scenario after the mapping (e.g. perf.profile),
 * and the MLPerf rows' lengths. */
struct ic_pub_options {
  bool quick;
  const char *const *overrides;
  size_t override_count;
  const struct ic_pub_config *configs; /* the submissions' scheduler settings (published_configs.h), applied before the overrides */
  size_t config_count;
  int lengths;           /* enum ic_pub_lengths (0: mean) */
  const char *table_dir; /* the table's folder, where datasets/ is; NULL: every row at its mean lengths */
  int trtllm;            /* enum ic_pub_trtllm (0: whole) */
  /* Host time per model layer per iteration added to perf.overhead_s of a
   * TensorRT-LLM row with a submission configuration: NVIDIA's MLPerf
   * harness runs its executor without CUDA graphs (validate --trtllm-host;
   * docs/validation-published.md, "Eighth round (T)"); 0: none. */
  double trtllm_host_per_layer_s;
  /* MLPerf TensorRT-LLM rows without a submission configuration (v5.0,
   * Cisco's H100 systems, MLPerf Power): false keeps the engine defaults
   * (a whole-prompt budget of 8,192, no host time); true runs them as the
   * rows with one, with NVIDIA's own configuration classes' caps for the
   * same GPU and benchmark (validate --trtllm-unread; docs/validation-published.md,
   * "Eighth round (C)"). */
  bool trtllm_unread_caps;
  int trtllm_host_form;           /* enum ic_pub_host_form (0: added) */
  double trtllm_host_serial_s;    /* the same rows: seconds added to every iteration's fixed cost; 0: none */
};

/* Builds the scenario that reproduces `row` (defaults, perf.profile =
 * fitted, then the row's model, GPU, count, TP, precision, lengths and load
 * mode, then the overrides). `rate_per_s` > 0 sets an open-loop Poisson
 * rate (server rows). Returns
 * false and fills `why` (size IC_PUB_WHY) when the row cannot be expressed
 * (model, GPU or precision not in the catalogue, lengths not known). */
bool ic_pub_scenario(const struct ic_pub_row *row, const struct ic_pub_options *opt, double rate_per_s,
                     struct ic_scenario *s, char *why);

/* Maps every row: which are skipped and why, which headline metric predicts
 * each, and the distinct runs (rows of one experiment and mode share one).
 * `first_row[p]` and `rate[p]` (each of size count) receive a row of point
 * p and the open-loop rate it runs at (0: not a server run). A server or
 * interactive row's latencies run at the rate of its experiment's published
 * throughput (requests/s = tokens/s / output tokens, "at the reported
 * load"); its throughput row is a point of its own, marked search_rate,
 * whose rate starts there and is searched (the highest rate meeting the
 * row's TTFT and TPOT limits). Returns the number of points. */
size_t ic_pub_plan(const struct ic_pub_row *rows, size_t count, const struct ic_pub_options *opt, struct ic_pub_case *cases,
                   size_t *first_row, double *rate);

/* Whether `name` is one of the `sep`-separated names of `list`. */
bool ic_pub_in_list(const char *list, char sep, const char *name);

/* The offline throughput row of a server / interactive row's experiment
 * (same experiment, mode offline, metric throughput_output): its index in
 * rows, or count when the selection holds none. */
size_t ic_pub_offline_row(const struct ic_pub_row *rows, size_t count, const struct ic_pub_row *r);

/* Whether a server run meets its row's limits: p99 TTFT and p99 TPOT
 * within ttft_limit_ms and tpot_limit_ms (a missing limit always holds)
 * and queues not growing (the run's stable flag). */
bool ic_pub_meets_limits(const struct ic_pub_row *row, double ttft_p99_s, double tpot_p99_s, double stable);

/* Median and nearest-rank 90th percentile of |x[i]| over the n values that
 * are not NaN (x is reordered); NaN when there are none. Returns how many. */
size_t ic_pub_abs_stats(double *x, size_t n, double *median, double *p90);

#endif
