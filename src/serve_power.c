/* serve_power.c: idle power-down. A node whose replicas have held no request
 * for powerdown.idle_s powers down; a request routed to it wakes it, and its
 * replicas start serving wake_s later (the node draws idle power while it
 * boots). Routers put sleeping replicas last (serve_router.c). */
#include <stdlib.h>

#include "serve_impl.h"

static void on_power_off(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  struct ic__node *n = &f->nodes[arg];
  n->off_timer = 0;
  if (n->off || n->outstanding > 0) return;
  ic_ledger_set_node_off(f->ledger, (int64_t)arg, true, ic_sim_now(sim));
  n->off = true;
  f->nodes_off++;
  ic__gauge(f, f->col.nodes_off, (double)f->nodes_off);
  ic__gauge(f, f->col.power, ic_ledger_power_w(f->ledger));
  for (int64_t i = 0; i < f->replicas_per_node; i++) {
    ic__heap_fix(f, (int64_t)arg * f->replicas_per_node + i);
    ic__fit_update(f, (int64_t)arg * f->replicas_per_node + i);
  }
}

static void on_awake(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  ic_fleet *f = ctx;
  f->nodes[arg].wake_event = 0;
  for (int64_t i = 0; i < f->replicas_per_node; i++) {
    int64_t r = (int64_t)arg * f->replicas_per_node + i;
    if (f->serving.batching == IC_BATCHING_STATIC)
      ic__static_kick(f, r);
    else
      ic__cont_kick(f, r, true);
  }
}

void ic__power_load_changed(ic_fleet *f, int64_t node) {
  if (!f->powerdown.enabled) return;
  struct ic__node *n = &f->nodes[node];
  if (n->outstanding > 0) {
    if (n->off_timer) ic_sim_cancel(f->sim, n->off_timer);
    n->off_timer = 0;
  } else if (!n->off && !n->off_timer) {
    n->off_timer = ic__schedule(f, ic_sim_now(f->sim) + f->idle_ns, on_power_off, (uint64_t)node);
  }
}

void ic__power_wake(ic_fleet *f, int64_t node) {
  struct ic__node *n = &f->nodes[node];
  if (!n->off) return;
  ic_time_ns now = ic_sim_now(f->sim);
  ic_ledger_set_node_off(f->ledger, node, false, now);
  n->off = false;
  n->ready_ns = now + f->wake_ns;
  f->nodes_off--;
  f->stats.wakeups++;
  ic__gauge(f, f->col.nodes_off, (double)f->nodes_off);
  ic__gauge(f, f->col.power, ic_ledger_power_w(f->ledger));
  for (int64_t i = 0; i < f->replicas_per_node; i++) {
    ic__heap_fix(f, node * f->replicas_per_node + i);
    ic__fit_update(f, node * f->replicas_per_node + i);
  }
  n->wake_event = ic__schedule(f, n->ready_ns, on_awake, (uint64_t)node);
}

ic_status ic_fleet_set_powerdown(ic_fleet *f, const struct ic_powerdown_config *pd) {
  if (!pd->enabled || !f->ledger) return IC_OK;
  f->fit_leaves = 1;
  while (f->fit_leaves < f->replica_count) f->fit_leaves *= 2;
  f->fit_tree = calloc((size_t)(2 * f->fit_leaves), sizeof *f->fit_tree);
  if (!f->fit_tree) return IC_ENOMEM;
  f->powerdown = *pd;
  if (f->powerdown.wake_threshold < 1) f->powerdown.wake_threshold = 1;
  f->idle_ns = ic_duration_from_s(pd->idle_s);
  f->wake_ns = ic_duration_from_s(pd->wake_s);
  for (int64_t r = 0; r < f->replica_count; r++) ic__fit_update(f, r);
  for (int64_t node = 0; node < f->node_count; node++) ic__power_load_changed(f, node);
  return IC_OK;
}
