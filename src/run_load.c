/* run_load.c: how requests reach the fleet: open arrivals, offline (all at
 * time 0) and closed-loop clients (fixed concurrency), as benchmarks offer
 * load (MLPerf Server / Offline, trtllm-bench, AIPerf-style concurrency). */
#include <stdint.h>

#include "run_impl.h"

static bool failed(const struct ic__load *l) { return l->status != IC_OK && l->status != IC_ENOENT; }

/* Nothing more will be sent: the budget is spent or the source ran dry. */
static bool exhausted(const struct ic__load *l) { return l->to_send == 0 || l->status == IC_ENOENT; }

/* Submits *req now. Returns true when the fleet took it (false when it was
 * rejected, or on failure: then l->status is set and the run stops). */
static bool submit(struct ic__load *l, const struct ic_request *req) {
  uint64_t rejected = ic_fleet_stats(l->fleet)->rejected;
  ic_status st = ic_fleet_submit(l->fleet, req);
  if (st != IC_OK) {
    l->status = st;
    ic_sim_stop(l->sim);
    return false;
  }
  if (ic_fleet_stats(l->fleet)->rejected != rejected) return false;
  l->outstanding++;
  return true;
}

/* The source's next request, stamped with the current time (closed and
 * offline ignore the source's arrival times), within the budget. */
static bool draw_now(struct ic__load *l, struct ic_request *req) {
  if (exhausted(l)) return false;
  l->status = ic_source_next(l->source, req);
  if (l->status != IC_OK) {
    if (failed(l)) ic_sim_stop(l->sim);
    return false;
  }
  if (l->to_send > 0) l->to_send--;
  req->arrival_ns = ic_sim_now(l->sim);
  return true;
}

/* --- open ------------------------------------------------------------------ */

static void on_arrival(ic_sim *sim, void *ctx, uint64_t arg);

static void pull_next(struct ic__load *l) {
  l->status = ic_source_next(l->source, &l->next);
  if (l->status != IC_OK) return;
  /* Sources hand out arrivals in time order; one in the past is refused by the kernel. */
  if (!ic_sim_schedule_stream(l->sim, l->next.arrival_ns, on_arrival, l, 0))
    l->status = ic_sim_status(l->sim) != IC_OK ? ic_sim_status(l->sim) : IC_ENOMEM;
}

static void on_arrival(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)arg;
  struct ic__load *l = ctx;
  submit(l, &l->next);
  if (failed(l)) return;
  /* Arrivals are where in-flight requests (and their memory) grow: stop
   * with a verdict instead of running the machine out of memory. */
  if (ic_fleet_in_flight(l->fleet) > l->in_flight_limit) {
    l->overloaded = true;
    ic_sim_stop(sim);
    return;
  }
  pull_next(l);
  if (failed(l)) ic_sim_stop(sim);
}

/* --- closed ------------------------------------------------------------------ */

/* One client sends its next request; a client whose request is rejected
 * (it can never fit) or whose source ran dry stays idle, so a rejection
 * cannot spin at one instant. */
static void client_send(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  (void)arg;
  struct ic__load *l = ctx;
  struct ic_request req;
  if (!draw_now(l, &req) || !submit(l, &req)) l->clients_idle++;
}

/* A completion: the closed client that sent it schedules its next request
 * (through an event: the fleet is in the middle of its own bookkeeping), and
 * a fixed number of requests ends the run with its last completion. */
static void on_serve_event(void *ctx, const struct ic_serve_event *ev) {
  struct ic__load *l = ctx;
  if (ev->kind != IC_SERVE_REQUEST_DONE) return;
  l->outstanding--;
  if (l->mode == IC_LOAD_CLOSED && !ic_sim_schedule_in(l->sim, l->think_ns, client_send, l, 0)) {
    l->status = IC_ENOMEM;
    ic_sim_stop(l->sim);
    return;
  }
  if (l->mode != IC_LOAD_OPEN && exhausted(l) && l->outstanding == 0) {
    l->done_ns = ev->time_ns;
    ic_sim_stop(l->sim);
  }
}

/* Offline: every request now; closed: one request per client. */
static void send_initial(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)arg;
  struct ic__load *l = ctx;
  struct ic_request req;
  if (l->mode == IC_LOAD_OFFLINE) {
    while (draw_now(l, &req)) {
      submit(l, &req);
      if (failed(l)) return;
    }
  } else {
    for (int64_t c = 0; c < l->clients && !failed(l); c++) client_send(sim, l, 0);
  }
}

ic_status ic__load_begin(struct ic__load *l, ic_sim *sim, ic_source *source, ic_fleet *fleet,
                         const struct ic_traffic_config *cfg) {
  *l = (struct ic__load){sim, source, fleet, cfg->mode, cfg->requests > 0 ? cfg->requests : -1,
                         ic_duration_from_s(cfg->think_time_s), cfg->clients, 0, 0, -1, {0}, IC_OK, UINT64_MAX, false};
  if (cfg->mode == IC_LOAD_OPEN) {
    l->to_send = -1;
    pull_next(l);
    return IC_OK;
  }
  ic_fleet_set_observer(fleet, on_serve_event, l);
  return ic_sim_schedule_at(sim, ic_sim_now(sim), send_initial, l, 0) ? IC_OK : IC_ENOMEM;
}
