/* serve_scale.c: autoscaling. At every hour of the day a pool with
 * serving.autoscale = schedule keeps its scheduled replicas in service: the
 * lowest-numbered nodes that hold them. With target, it samples its load
 * (requests queued and running) 8 times per window and, at most once per
 * cool-down, keeps ceil(mean load / target per replica) replicas in
 * service, within the minimum and maximum. A node taken out
 * takes no new request (routers put it last, packing skips it), finishes
 * what it holds and then powers down; one brought back powers up at once
 * (its ledger counts it held from then) and serves after the provisioning
 * delay, boot_s + model_load_s. Listens to node load to power a drained
 * node down. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "serve_impl.h"

#define HOUR_NS ((ic_time_ns)3600 * IC_NS_PER_S)

/* Why schedule `text` is not 24 whole replica counts >= 1, or NULL. */
static const char *bad_schedule(const char *text, char *err, size_t err_size) {
  double hourly[IC_HOURS_PER_DAY];
  char why[160];
  if (ic_cost_parse_hourly(text, NAN, 1, hourly, why, sizeof why) != IC_OK || !isfinite(hourly[0])) {
    snprintf(err, err_size, "autoscale = schedule needs 24 replica counts >= 1: %s",
             strcmp(text, "none") == 0 ? "got none" : why);
    return "autoscale_replicas_hourly";
  }
  for (int h = 0; h < IC_HOURS_PER_DAY; h++)
    if (hourly[h] != floor(hourly[h])) {
      snprintf(err, err_size, "item %d: expected a whole number of replicas, got %g", h + 1, hourly[h]);
      return "autoscale_replicas_hourly";
    }
  return NULL;
}

const char *ic_serve_check_autoscale(const struct ic_serving_config *c, char *err, size_t err_size) {
  bool spot = c->spot_interruptions_per_node_hour > 0;
  if (spot && c->batching != IC_BATCHING_CONTINUOUS) {
    snprintf(err, err_size, "spot interruptions need continuous batching (a static batch cannot be cut)");
    return "spot_interruptions_per_node_hour";
  }
  if (c->autoscale == IC_AUTOSCALE_OFF && !spot) return NULL;
  const char *bad = NULL;
  if (c->autoscale == IC_AUTOSCALE_SCHEDULE) {
    bad = bad_schedule(c->autoscale_replicas_hourly, err, err_size);
  } else if (c->autoscale_max_replicas > 0 && c->autoscale_max_replicas < c->autoscale_min_replicas) {
    snprintf(err, err_size, "%lld is below autoscale_min_replicas (%lld)", (long long)c->autoscale_max_replicas,
             (long long)c->autoscale_min_replicas);
    bad = "autoscale_max_replicas";
  }
  if (bad) return bad;
  if (c->router != IC_ROUTER_LEAST_OUTSTANDING && c->router != IC_ROUTER_LEAST_TOKENS &&
      c->router != IC_ROUTER_LEAST_WORK) {
    snprintf(err, err_size, "autoscaling and spot interruptions need serving.router = least_outstanding, "
                            "least_tokens or least_work (routers that can skip a replica out of service)");
    return c->autoscale != IC_AUTOSCALE_OFF ? "autoscale" : "spot_interruptions_per_node_hour";
  }
  return NULL;
}

/* Pool pl's nodes in service: its first `target`; the others go out. */
static void apply(ic_fleet *f, const struct ic__pool *pl, int64_t target) {
  ic_time_ns delay = ic_duration_from_s(pl->serving.boot_s + pl->serving.model_load_s);
  for (int64_t i = 0; i < pl->node_count; i++) {
    int64_t node = pl->first_node + i;
    struct ic__node *n = &f->nodes[node];
    bool out = i >= target;
    if (n->out == out || n->replacing) continue; /* a node taken away comes back when replaced */
    n->out = out;
    if (out && ic__node_outstanding(f, node) == 0) ic__node_off(f, node);
    if (!out && n->off) ic__node_wake(f, node, delay);
    ic__node_refit(f, node);
  }
}

static void on_hour(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  const struct ic__pool *pl = &f->pools[arg];
  ic_time_ns now = ic_sim_now(sim);
  double hourly[IC_HOURS_PER_DAY];
  char why[160];
  (void)ic_cost_parse_hourly(pl->serving.autoscale_replicas_hourly, 1, 1, hourly, why, sizeof why); /* checked */
  int64_t hour = (now / HOUR_NS) % IC_HOURS_PER_DAY;
  int64_t nodes = ((int64_t)hourly[hour] + pl->replicas_per_node - 1) / pl->replicas_per_node;
  apply(f, pl, nodes < 1 ? 1 : nodes > pl->node_count ? pl->node_count : nodes);
  ic__schedule(f, (now / HOUR_NS + 1) * HOUR_NS, on_hour, arg);
}

static void on_drained(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  ic_fleet *f = ctx;
  if (f->nodes[arg].out && ic__node_outstanding(f, (int64_t)arg) == 0) ic__node_off(f, (int64_t)arg);
}

/* A node out of service that has drained powers down, once the event that
 * drained it is over (its policy sets the GPUs idle after the last request
 * leaves). */
static void on_change(ic_fleet *f, void *ctx, const struct ic__change *ch) {
  (void)ctx;
  const struct ic__node *n = &f->nodes[ch->node];
  if (ch->kind == IC__LOAD && n->out && !n->off && ic__node_outstanding(f, ch->node) == 0)
    ic__schedule(f, ic_sim_now(f->sim), on_drained, (uint64_t)ch->node);
}

/* Nodes in service of pool pl. */
static int64_t in_service(const ic_fleet *f, const struct ic__pool *pl) {
  int64_t n = 0;
  for (int64_t i = 0; i < pl->node_count; i++) n += !f->nodes[pl->first_node + i].out;
  return n;
}

static void on_sample(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  struct ic__pool *pl = &f->pools[arg];
  const struct ic_serving_config *c = &pl->serving;
  ic_time_ns now = ic_sim_now(sim);
  int64_t load = 0;
  for (int64_t r = pl->first_replica; r < pl->first_replica + pl->replica_count; r++) load += f->replicas[r].outstanding;
  pl->scale_samples[pl->scale_sampled++ % 8] = (double)load;
  if (pl->scale_sampled >= 8 && now - pl->scale_changed_ns >= ic_duration_from_s(c->autoscale_cooldown_s)) {
    double mean = 0;
    for (int i = 0; i < 8; i++) mean += pl->scale_samples[i] / 8.0;
    int64_t lo = c->autoscale_min_replicas, hi = c->autoscale_max_replicas > 0 ? c->autoscale_max_replicas
                                                                               : pl->replica_count;
    int64_t want = (int64_t)ceil(mean / c->autoscale_requests_per_replica);
    want = want < lo ? lo : want > hi ? hi : want;
    int64_t nodes = (want + pl->replicas_per_node - 1) / pl->replicas_per_node;
    if (nodes > pl->node_count) nodes = pl->node_count;
    if (nodes != in_service(f, pl)) {
      apply(f, pl, nodes);
      pl->scale_changed_ns = now;
    }
  }
  ic__schedule(f, now + ic_duration_from_s(c->autoscale_window_s / 8.0), on_sample, arg);
}

/* The replacement of a node taken away is provisioned: it serves again
 * (the provisioning delay has passed already). */
static void on_replaced(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  ic_fleet *f = ctx;
  struct ic__node *n = &f->nodes[arg];
  n->replacing = false;
  n->out = false;
  ic__node_wake(f, (int64_t)arg, 0);
  ic__node_refit(f, (int64_t)arg);
  for (int64_t r = n->first_replica; r < n->first_replica + n->replicas; r++) f->pools[n->pool].policy->kick(f, r, true);
}

/* A spot node is taken away now: its running requests go back to the
 * queue (each recomputes what it had), every request queued on it is
 * routed again, it powers down (no longer held), and its replacement
 * serves boot_s + model_load_s later. */
static void take_away(ic_fleet *f, int64_t node) {
  struct ic__node *n = &f->nodes[node];
  const struct ic__pool *pl = &f->pools[n->pool];
  n->out = n->replacing = true;
  ic__node_refit(f, node);
  f->stats.interruptions++;
  /* Off its replicas first (into a list through `next`), then routed, so
   * that none is routed back to a replica being emptied. */
  uint32_t head = IC__NONE, tail = IC__NONE;
  for (int64_t r = n->first_replica; r < n->first_replica + n->replicas; r++) {
    pl->policy->interrupt(f, r);
    while (f->replicas[r].queue_len > 0) {
      uint32_t idx = ic__queue_pop(f, r);
      ic__add_load(f, r, -1, -(f->pool[idx].req.prompt_tokens + f->pool[idx].req.output_tokens));
      if (tail == IC__NONE)
        head = idx;
      else
        f->pool[tail].next = idx;
      tail = idx;
    }
  }
  while (head != IC__NONE) {
    uint32_t idx = head;
    head = f->pool[idx].next;
    f->pool[idx].next = IC__NONE;
    int64_t to = ic__route(f);
    bool was_empty = f->replicas[to].queue_len == 0;
    ic__queue_push(f, to, idx, false);
    ic__add_load(f, to, 1, f->pool[idx].req.prompt_tokens + f->pool[idx].req.output_tokens);
    f->stats.requeued++;
    /* Every node out (the whole fleet taken away): it waits for a replacement, which kicks it. */
    if (!f->nodes[f->replicas[to].node].out) ic__pool_of(f, to)->policy->kick(f, to, was_empty);
  }
  ic__node_off(f, node);
  ic_time_ns delay = ic_duration_from_s(pl->serving.boot_s + pl->serving.model_load_s);
  ic__schedule(f, ic_sim_now(f->sim) + delay, on_replaced, (uint64_t)node);
}

/* Interruptions of pool arg's nodes: a Poisson process of rate
 * spot_interruptions_per_node_hour x its nodes; each takes a node serving
 * now, chosen uniformly (none serving: nothing happens). */
static void on_spot(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  const struct ic__pool *pl = &f->pools[arg];
  int64_t serving = 0;
  for (int64_t i = 0; i < pl->node_count; i++) serving += !f->nodes[pl->first_node + i].off && !f->nodes[pl->first_node + i].out;
  if (serving > 0) {
    int64_t pick = (int64_t)gsl_rng_uniform_int(f->spot_rng, (unsigned long)serving);
    for (int64_t i = 0; i < pl->node_count; i++) {
      const struct ic__node *n = &f->nodes[pl->first_node + i];
      if (!n->off && !n->out && pick-- == 0) {
        take_away(f, pl->first_node + i);
        break;
      }
    }
  }
  double mean_s = 3600.0 / (pl->serving.spot_interruptions_per_node_hour * (double)pl->node_count);
  ic__schedule(f, ic_sim_now(sim) + ic_duration_from_s(gsl_ran_exponential(f->spot_rng, mean_s)), on_spot, arg);
}

ic_status ic_fleet_set_autoscale(ic_fleet *f) {
  bool any = false;
  char err[256];
  for (int32_t i = 0; i < f->pool_count; i++) {
    const struct ic__pool *pl = &f->pools[i];
    bool spot = pl->serving.spot_interruptions_per_node_hour > 0;
    if (pl->serving.autoscale == IC_AUTOSCALE_OFF && !spot) continue;
    struct ic_serving_config c = pl->serving;
    c.router = f->serving.router;
    if (!f->has_ledger || ic_serve_check_autoscale(&c, err, sizeof err) || (spot && pl->role != IC_ROLE_MIXED) ||
        pl->role == IC_ROLE_DECODE)
      return IC_EINVAL;
    any = true;
    if (spot) {
      if (!f->spot_rng && !(f->spot_rng = ic_sim_rng(f->sim, "serving.spot"))) return IC_ENOMEM;
      double mean_s = 3600.0 / (pl->serving.spot_interruptions_per_node_hour * (double)pl->node_count);
      ic_time_ns first = ic_sim_now(f->sim) + ic_duration_from_s(gsl_ran_exponential(f->spot_rng, mean_s));
      if (!ic__schedule(f, first, on_spot, (uint64_t)i)) return IC_ENOMEM;
    }
    if (pl->serving.autoscale == IC_AUTOSCALE_OFF) continue;
    bool target = pl->serving.autoscale == IC_AUTOSCALE_TARGET;
    if (target) f->pools[i].scale_changed_ns = INT64_MIN / 2; /* the first decision needs no cool-down */
    if (!ic__schedule(f, ic_sim_now(f->sim), target ? on_sample : on_hour, (uint64_t)i)) return IC_ENOMEM;
  }
  if (!any) return IC_OK;
  f->scaling = true;
  ic__listen(f, on_change, NULL, IC__KIND(IC__LOAD));
  return f->status;
}
