/* serve_metrics.c: the time-series listener: arrivals, completions and
 * rejections counted, queue length, busy replicas, running requests, nodes
 * off and IT power as gauges, from the fleet's state changes. */
#include "serve_impl.h"

static void gauge(ic_fleet *f, size_t col, double value) {
  ic__check(f, ic_series_gauge(f->series, col, ic_sim_now(f->sim), value), "a time-series update");
}

static void count(ic_fleet *f, size_t col) {
  ic__check(f, ic_series_count(f->series, col, ic_sim_now(f->sim), 1.0), "a time-series update");
}

static void on_change(ic_fleet *f, void *ctx, const struct ic__change *ch) {
  (void)ctx;
  switch (ch->kind) {
  case IC__GPU_STATE:
    if (f->has_ledger) gauge(f, f->col.power, ic__power_w(f)); /* the power listener has run */
    break;
  case IC__QUEUED: gauge(f, f->col.queue_length, ch->value); break;
  case IC__BUSY: gauge(f, f->col.busy_replicas, ch->value); break;
  case IC__RUNNING: gauge(f, f->col.running, ch->value); break;
  case IC__NODES_OFF:
    gauge(f, f->col.nodes_off, ch->value);
    gauge(f, f->col.power, ic__power_w(f));
    break;
  case IC__ARRIVAL: count(f, f->col.arrivals); break;
  case IC__COMPLETION: count(f, f->col.completions); break;
  case IC__REJECTION: count(f, f->col.rejections); break;
  case IC__LOAD: break;
  }
}

ic_status ic_fleet_attach_series(ic_fleet *f, ic_series *series) {
  struct {
    const char *name;
    enum ic_series_kind kind;
    size_t *col;
  } cols[] = {
      {"arrivals", IC_SERIES_COUNTER, &f->col.arrivals},
      {"completions", IC_SERIES_COUNTER, &f->col.completions},
      {"rejections", IC_SERIES_COUNTER, &f->col.rejections},
      {"queue_length", IC_SERIES_GAUGE, &f->col.queue_length},
      {"busy_replicas", IC_SERIES_GAUGE, &f->col.busy_replicas},
      {"running_requests", IC_SERIES_GAUGE, &f->col.running},
      {"nodes_off", IC_SERIES_GAUGE, &f->col.nodes_off},
      {"it_power_w", IC_SERIES_GAUGE, &f->col.power},
  };
  for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
    ic_status st = ic_series_add_column(series, cols[i].name, cols[i].kind, cols[i].col);
    if (st != IC_OK) return st;
  }
  f->series = series;
  ic__listen(f, on_change, NULL, ~IC__KIND(IC__LOAD));
  /* Gauges start at 0: give each its present value. */
  gauge(f, f->col.queue_length, (double)f->queued);
  gauge(f, f->col.busy_replicas, (double)f->busy_replicas);
  gauge(f, f->col.running, (double)f->running_requests);
  gauge(f, f->col.nodes_off, (double)f->nodes_off);
  if (f->has_ledger) gauge(f, f->col.power, ic__power_w(f));
  return f->status;
}
