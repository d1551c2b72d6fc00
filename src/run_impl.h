/* run_impl.h: what run.c and run_load.c share; not public. */
#ifndef IC_RUN_IMPL_H
#define IC_RUN_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "infercost/metrics.h"
#include "infercost/run.h"
#include "infercost/serve.h"
#include "infercost/sim.h"
#include "infercost/traffic.h"

/* Offers a source's requests to a fleet the way traffic.mode says: open
 * (one pending arrival event at the source's times), offline (every request
 * at time 0) or closed (a fixed number of clients, each sending its next
 * request think_ns after its last completed). Only one pending arrival per
 * client, so memory follows what is in flight, not what is simulated. */
struct ic__load {
  ic_sim *sim;
  ic_source *source;
  ic_fleet *fleet;
  int mode;                  /* enum ic_load_mode */
  int64_t to_send;           /* requests still to send; -1: no limit */
  ic_time_ns think_ns;       /* closed: pause before a client's next request */
  int64_t clients;           /* closed: clients started at time 0 */
  uint64_t outstanding;      /* sent, not rejected, not completed */
  int64_t clients_idle;      /* closed: clients whose source or budget ran out, or whose request was rejected */
  ic_time_ns done_ns;        /* when the last of a fixed number of requests completed; -1 before */
  struct ic_request next;    /* open: the pending arrival */
  ic_status status;          /* IC_ENOENT when the source ran out; other codes stop the run */
  uint64_t in_flight_limit;  /* open: stop as overloaded past this many in flight (set after begin) */
  bool overloaded;           /* stopped: in flight passed the limit */
};

/* Sets up *l: open traffic schedules its first arrival now; offline and
 * closed traffic send at time 0 through an event scheduled now, so it runs
 * after anything already due at 0 (the counted window's start). Registers
 * the fleet's observer (completions drive closed clients and the end of a
 * fixed number of requests). IC_ENOMEM when the event cannot be scheduled;
 * later failures are left in l->status and stop the run. */
ic_status ic__load_begin(struct ic__load *l, ic_sim *sim, ic_source *source, ic_fleet *fleet,
                         const struct ic_traffic_config *cfg);

/* ---- run.c, for run_shard.c: one run, and the figures a merge recomputes ---- */

/* What a run leaves behind besides its result, for merging shards: the
 * fleet's counters, sketches and histograms (its pools' too), its time series (NULL when
 * none) up to end_ns, and its GPU-seconds in prefill and decode. */
struct ic__run_state {
  const struct ic_fleet_stats *fs;
  const ic_fleet *fleet;   /* for its pools' figures */
  size_t pool_count;       /* the scenario's pools (0: none) */
  const ic_series *series;
  ic_time_ns end_ns;
  double prefill_gpu_s, decode_gpu_s;
};
typedef ic_status ic__run_capture_fn(void *ctx, const struct ic__run_state *state);

/* One unsharded run (run.shards ignored). With `capture`, it is handed the
 * run's state before it is freed (a time series is kept even without
 * series_dir) and its status becomes the run's. */
ic_status ic__run_single(const struct ic_scenario *s, struct ic_run_result *out, const char *series_dir,
                         bool progress, ic__run_capture_fn *capture, void *capture_ctx);

/* Latency figures of `out` (or of one class) from sketches. */
void ic__run_quantiles(struct ic_run_result *out, const ic_sketch *e2e, const ic_sketch *ttft, const ic_sketch *wait,
                       const ic_sketch *tpot, const ic_sketch *transfer);
void ic__run_class_quantiles(struct ic_run_class *rc, const ic_sketch *e2e, const ic_sketch *ttft,
                             const ic_sketch *tpot, const ic_sketch *wait);

/* Per-query and per-token ratios, revenue, margin and break-even from
 * out's cost, per-day amounts and priced alternatives. */
void ic__run_ratios(const struct ic_scenario *s, struct ic_run_result *out, double prefill_s, double decode_s);

/* Little's law verdict: in flight at the end within reach of `expected`. */
bool ic__run_stable(const struct ic_run_result *out, double expected);

/* The series' CSV text up to end_ns (free() it); NULL when out of memory. */
char *ic__run_series_csv(const ic_series *series, ic_time_ns end_ns);

/* Writes dir/timeseries.csv (the series' CSV, its first column renamed
 * time_s) and dir/distributions.csv (the histograms), each atomically,
 * creating dir. IC_EIO (reported) when a file cannot be written. */
ic_status ic__run_write_outputs(const char *dir, const char *series_csv, const uint64_t *batch_hist,
                                size_t batch_bins, const uint64_t *kv_hist);

/* Adds every amount of `add` (not the hour's inputs) to `to`. */
void ic__run_add_hours(struct ic_hour_cost *to, const struct ic_hour_cost *add);

#endif
