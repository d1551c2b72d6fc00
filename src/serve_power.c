/* serve_power.c: power. The power listener moves the ledger with every
 * replica's GPU state. Idle power-down: a node whose replicas have held no
 * request for powerdown.idle_s powers down; a request routed to it wakes
 * it, and its replicas start serving wake_s later (the node draws idle
 * power while it boots). Routers put sleeping replicas last
 * (serve_router.c). */
#include <math.h>
#include <stdlib.h>

#include "serve_impl.h"

static void on_change(ic_fleet *f, void *ctx, const struct ic__change *ch);

/* Powers an idle node down now (its ledger too). */
void ic__node_off(ic_fleet *f, int64_t node) {
  struct ic__node *n = &f->nodes[node];
  if (n->off || n->kv_held > 0 || ic__node_outstanding(f, node) > 0) return;
  if (n->off_timer) {
    ic_sim_cancel(f->sim, n->off_timer);
    n->off_timer = 0;
  }
  if (n->wake_event) { /* taken out while it was still booting */
    ic_sim_cancel(f->sim, n->wake_event);
    n->wake_event = 0;
  }
  const struct ic__pool *pl = &f->pools[n->pool];
  ic_ledger_set_node_off(pl->ledger, node - pl->first_node, true, ic_sim_now(f->sim));
  n->off = true;
  f->slept = true;
  f->nodes_off++;
  ic__emit(f, IC__NODES_OFF, -1, node, (double)f->nodes_off);
  ic__node_refit(f, node);
}

static void on_power_off(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  ic_fleet *f = ctx;
  f->nodes[arg].off_timer = 0;
  ic__node_off(f, (int64_t)arg);
}

static void on_awake(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  ic_fleet *f = ctx;
  f->nodes[arg].wake_event = 0;
  const struct ic__node *n = &f->nodes[arg];
  for (int64_t r = n->first_replica; r < n->first_replica + n->replicas; r++) f->pools[n->pool].policy->kick(f, r, true);
}

static void load_changed(ic_fleet *f, int64_t node) {
  if (!f->powerdown.enabled) return;
  struct ic__node *n = &f->nodes[node];
  if (n->kv_held > 0 || ic__node_outstanding(f, node) > 0) {
    if (n->off_timer) ic_sim_cancel(f->sim, n->off_timer);
    n->off_timer = 0;
  } else if (!n->off && !n->off_timer) {
    n->off_timer = ic__schedule(f, ic_sim_now(f->sim) + f->idle_ns, on_power_off, (uint64_t)node);
  }
}

/* Powers a sleeping node up; its replicas serve `delay_ns` later. */
void ic__node_wake(ic_fleet *f, int64_t node, ic_time_ns delay_ns) {
  struct ic__node *n = &f->nodes[node];
  if (!n->off) return;
  ic_time_ns now = ic_sim_now(f->sim);
  const struct ic__pool *pl = &f->pools[n->pool];
  ic_ledger_set_node_off(pl->ledger, node - pl->first_node, false, now);
  n->off = false;
  n->ready_ns = now + delay_ns;
  f->nodes_off--;
  f->stats.wakeups++;
  ic__emit(f, IC__NODES_OFF, -1, node, (double)f->nodes_off);
  ic__node_refit(f, node);
  n->wake_event = ic__schedule(f, n->ready_ns, on_awake, (uint64_t)node);
}

ic_status ic_fleet_set_powerdown(ic_fleet *f, const struct ic_powerdown_config *pd) {
  if (!pd->enabled || !f->has_ledger) return IC_OK;
  f->fit_leaves = 1;
  while (f->fit_leaves < f->replica_count) f->fit_leaves *= 2;
  f->fit_tree = calloc((size_t)(2 * f->fit_leaves), sizeof *f->fit_tree);
  if (!f->fit_tree) return IC_ENOMEM;
  f->powerdown = *pd;
  if (f->powerdown.wake_threshold < 1) f->powerdown.wake_threshold = 1;
  f->idle_ns = ic_duration_from_s(pd->idle_s);
  f->wake_ns = ic_duration_from_s(pd->wake_s);
  for (int64_t r = 0; r < f->replica_count; r++) ic__fit_update(f, r);
  for (int64_t node = 0; node < f->node_count; node++) load_changed(f, node);
  ic__listen_more(f, on_change, IC__KIND(IC__LOAD));
  return IC_OK;
}

/* Whether replica r's node can serve now; a sleeping node is woken. Until
 * a node first powers down, every node is on and was never woken (its
 * ready_ns is 0), so the node's record (a cache miss on a large fleet) is
 * left alone. */
bool ic__node_ready(ic_fleet *f, int64_t r) {
  if (!f->slept) return true;
  struct ic__node *n = &f->nodes[f->replicas[r].node];
  if (n->off) ic__node_wake(f, f->replicas[r].node, f->wake_ns);
  return ic_sim_now(f->sim) >= n->ready_ns;
}

static bool busy(enum ic_gpu_state s) { return s == IC_GPU_PREFILL || s == IC_GPU_DECODE; }

/* W per GPU of replica r in state s: a busy state draws its span's load;
 * a policy that reports none (static batching) the phase figure. */
static double state_w(const ic_fleet *f, const ic_ledger *l, int64_t r, enum ic_gpu_state s) {
  return busy(s) && !isnan(f->busy_w[r]) ? f->busy_w[r] : ic_ledger_gpu_power(l)->watts[s];
}

/* The load model's change: each side of it draws its own W. Out of line
 * so that the phase model's path (on_change) stays a leaf's cost. */
static void __attribute__((noinline)) gpu_state_w(ic_fleet *f, const struct ic__pool *pl, int64_t node,
                                                   const struct ic__change *ch) {
  ic_ledger_set_state_w(pl->ledger, node, pl->gpus_per_replica, ch->from, ch->to,
                        state_w(f, pl->ledger, ch->replica, ch->from), state_w(f, pl->ledger, ch->replica, ch->to),
                        ic_sim_now(f->sim));
}

/* Hears GPU-state changes only where there is a ledger (ic__power_listen)
 * and loads only with power-down (ic_fleet_set_powerdown). */
static void on_change(ic_fleet *f, void *ctx, const struct ic__change *ch) {
  (void)ctx;
  if (ch->kind == IC__GPU_STATE) {
    /* One pool: its address without the replica's record. */
    const struct ic__pool *pl = f->pool_count == 1 ? &f->pools[0] : ic__pool_of(f, ch->replica);
    int64_t node = ch->node - pl->first_node;
    if (f->busy_w)
      gpu_state_w(f, pl, node, ch);
    else
      ic_ledger_set_state(pl->ledger, node, pl->gpus_per_replica, ch->from, ch->to, ic_sim_now(f->sim));
  }
  else if (ch->kind == IC__LOAD)
    load_changed(f, ch->node);
}

void ic__power_load(ic_fleet *f, int64_t r, double flops, double bytes, double span_s) {
  const struct ic__pool *pl = ic__pool_of(f, r);
  const struct ic_load_power *g = ic_ledger_load_power(pl->ledger);
  double gpus_s = (double)pl->gpus_per_replica * span_s, w = g->idle_w;
  if (gpus_s > 0)
    w = ic_cost_load_w(g, flops / (gpus_s * ic_perf_gpu_peak_flops(pl->perf)),
                       bytes / (gpus_s * ic_perf_gpu_peak_bytes_per_s(pl->perf)));
  enum ic_gpu_state s = f->replicas[r].gpu_state;
  double was_w = state_w(f, pl->ledger, r, s);
  f->busy_w[r] = w;
  if (busy(s) && w != was_w) /* a busy replica's draw moves now; an idle one's with its state */
    ic_ledger_set_state_w(pl->ledger, f->replicas[r].node - pl->first_node, pl->gpus_per_replica, s, s, was_w, w,
                          ic_sim_now(f->sim));
}

/* Whether `first`, the first listener of GPU-state changes, is the power
 * listener, and what it does with one is ic_ledger_set_state on the one
 * pool's ledger (the phase model): ic__gpu_state_changed then calls that
 * itself, and tells the listeners after it. */
bool ic__power_first(const ic_fleet *f, ic__listener_fn *first) {
  return first == on_change && f->pool_count == 1 && !f->busy_w && f->pools[0].ledger && f->pools[0].first_node == 0;
}

/* Every pool's ledger has the load model or none has (one [power] section).
 * The model first: whether the ledger hears changes directly depends on it. */
void ic__power_listen(ic_fleet *f) {
  if (f->has_ledger && ic_ledger_load_power(f->pools[0].ledger)->on) {
    f->busy_w = malloc((size_t)f->replica_count * sizeof *f->busy_w);
    if (ic__check(f, f->busy_w ? IC_OK : IC_ENOMEM, "allocating the load power model"))
      for (int64_t r = 0; r < f->replica_count; r++) f->busy_w[r] = (double)NAN; /* no load reported yet */
  }
  ic__listen(f, on_change, NULL, f->has_ledger ? IC__KIND(IC__GPU_STATE) : 0);
}
