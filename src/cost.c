/* cost.c: lazy integration of node power (the ledger). Prices: cost_price.c. */
#include "infercost/cost.h"

#include <assert.h>
#include <stdlib.h>

#define HOUR_NS ((ic_time_ns)3600 * IC_NS_PER_S)

/* What every state change touches, 32 bytes on a 64-byte-aligned array:
 * one cache line per node (a serving fleet's nodes change state at random,
 * so each change is a first touch). */
struct node_power {
  double watts;          /* draw now */
  double energy_j;       /* integrated up to last_ns */
  ic_time_ns last_ns;
  int64_t pad_;
};

/* What only powering down and up touches. */
struct node_held {
  bool off;
  ic_time_ns held_since;  /* start of the spell it has been powered up (when on) */
  ic_time_ns held_ns, billed_ns; /* closed spells since the start or restart: as held, rounded up */
};

struct ic_ledger {
  struct node_power *nodes;
  struct node_held *held;
  int64_t node_count;
  struct ic_gpu_power gpu_power;
  struct ic_load_power load;
  int64_t gpus_per_node;
  double node_base_w, node_off_w;
  /* GPU-seconds in each state, integrated the same lazy way over the whole
   * fleet, for the busy-time split of energy. */
  double gpus_in_state[IC_GPU_STATE_COUNT];
  double state_energy_j[IC_GPU_STATE_COUNT];
  double state_s[IC_GPU_STATE_COUNT];
  /* The load model: watts the GPUs in each state draw beyond
   * gpus_in_state x watts[state] (0 under the phase and utilisation
   * models, so their sums keep every bit). */
  double extra_w_in_state[IC_GPU_STATE_COUNT];
  bool has_extra; /* any extra_w_in_state set: until then its terms (+0) are left out */
  /* Fleet IT energy by hour of day. Integrated from the fleet's total power
   * (piecewise constant between any two changes), independently of the
   * per-node sums, so the two can check each other. */
  double hour_energy_j[IC_HOURS_PER_DAY];
  ic_time_ns fleet_last_ns;
  ic_time_ns hour_end_ns; /* the end of fleet_last_ns's hour (0: not yet known) */
  double *hour_bin;       /* that hour's bin in hour_energy_j */
  /* hour_end_ns while has_extra is false, else INT64_MIN: a phase-model
   * change at or before it takes ic_ledger_set_state's path (one test). */
  ic_time_ns fast_end_ns;
  double power_w;        /* sum of node watts, kept as nodes change */
  ic_time_ns increment_ns; /* billing increment of a held spell; 0: exact */
};

ic_ledger *ic_ledger_alloc(int64_t nodes, int64_t gpus_per_node, double node_base_w,
                           const struct ic_gpu_power *gpu_power, ic_time_ns start_ns) {
  ic_ledger *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  size_t bytes = ((size_t)nodes * sizeof *l->nodes + 63) / 64 * 64;
  l->nodes = aligned_alloc(64, bytes ? bytes : 64);
  l->held = calloc((size_t)nodes, sizeof *l->held);
  if (!l->nodes || !l->held) {
    ic_ledger_free(l);
    return NULL;
  }
  l->node_count = nodes;
  l->gpu_power = *gpu_power;
  l->gpus_per_node = gpus_per_node;
  l->node_base_w = node_base_w;
  double idle_node_w = node_base_w + (double)gpus_per_node * gpu_power->watts[IC_GPU_IDLE];
  for (int64_t i = 0; i < nodes; i++) {
    l->nodes[i] = (struct node_power){idle_node_w, 0.0, start_ns, 0};
    l->held[i] = (struct node_held){false, start_ns, 0, 0};
  }
  l->power_w = (double)nodes * idle_node_w;
  l->gpus_in_state[IC_GPU_IDLE] = (double)(nodes * gpus_per_node);
  l->fleet_last_ns = start_ns;
  l->hour_bin = &l->hour_energy_j[0];
  return l;
}

static void advance_node(struct node_power *n, ic_time_ns now_ns) {
  assert(now_ns >= n->last_ns && "ledger: time went backwards");
  n->energy_j += n->watts * ic_time_to_s(now_ns - n->last_ns);
  n->last_ns = now_ns;
}

/* Spreads power_w over [from, to) into the hour-of-day bins, cutting the
 * span exactly at each hour boundary (integer nanoseconds). */
static void add_to_hours(double *bins, double power_w, ic_time_ns from, ic_time_ns to) {
  while (from < to) {
    ic_time_ns hour = from / HOUR_NS, boundary = (hour + 1) * HOUR_NS;
    ic_time_ns end = to < boundary ? to : boundary;
    bins[hour % IC_HOURS_PER_DAY] += power_w * ic_time_to_s(end - from);
    from = end;
  }
}

/* Every change advances the fleet's sums: the same products and sums in
 * the same order whatever the path. Without the load model the extra
 * terms are +0, and x + (+0) is x for every x these sums hold (never -0),
 * so they are left out; a change within fleet_last_ns's hour adds to its
 * bin without add_to_hours' division (the same one product). */
static inline __attribute__((always_inline)) void phase_sums(ic_ledger *l, double dt) {
  for (int s = 0; s < IC_GPU_STATE_COUNT; s++) {
    l->state_energy_j[s] += l->gpus_in_state[s] * l->gpu_power.watts[s] * dt;
    l->state_s[s] += l->gpus_in_state[s] * dt;
  }
}

static void advance_fleet(ic_ledger *l, ic_time_ns now_ns) {
  assert(now_ns >= l->fleet_last_ns && "ledger: time went backwards");
  double dt = ic_time_to_s(now_ns - l->fleet_last_ns);
  if (l->has_extra)
    for (int s = 0; s < IC_GPU_STATE_COUNT; s++) {
      l->state_energy_j[s] += l->gpus_in_state[s] * l->gpu_power.watts[s] * dt + l->extra_w_in_state[s] * dt;
      l->state_s[s] += l->gpus_in_state[s] * dt;
    }
  else
    phase_sums(l, dt);
  ic_time_ns from = l->fleet_last_ns;
  if (now_ns <= l->hour_end_ns) {
    *l->hour_bin += l->power_w * dt; /* dt 0 adds ±0: the bin as it was */
  } else {
    add_to_hours(l->hour_energy_j, l->power_w, from, now_ns);
    l->hour_end_ns = (now_ns / HOUR_NS + 1) * HOUR_NS;
    l->hour_bin = &l->hour_energy_j[now_ns / HOUR_NS % IC_HOURS_PER_DAY];
    l->fast_end_ns = l->has_extra ? INT64_MIN : l->hour_end_ns;
  }
  l->fleet_last_ns = now_ns;
}

void ic_ledger_prefetch(const ic_ledger *l, int64_t node) { __builtin_prefetch(&l->nodes[node]); }

/* A phase-model change's own terms, once its node and the fleet are advanced. */
static inline __attribute__((always_inline)) void move_gpus(ic_ledger *l, struct node_power *n, int64_t gpus,
                                                            enum ic_gpu_state from, enum ic_gpu_state to) {
  double delta = (double)gpus * (l->gpu_power.watts[to] - l->gpu_power.watts[from]);
  n->watts += delta;
  l->power_w += delta;
  l->gpus_in_state[from] -= (double)gpus;
  l->gpus_in_state[to] += (double)gpus;
}

/* ic_ledger_set_state where the load model has set terms or an hour has
 * ended since the fleet's last change. */
static void __attribute__((noinline)) set_state_rare(ic_ledger *l, int64_t node, int64_t gpus, enum ic_gpu_state from,
                                                     enum ic_gpu_state to, ic_time_ns now_ns) {
  struct node_power *n = &l->nodes[node];
  advance_node(n, now_ns);
  advance_fleet(l, now_ns);
  move_gpus(l, n, gpus, from, to);
}

/* Most changes: advance_fleet's phase-model path within the hour inline,
 * the same products and sums in the same order; no call, so no frame.
 * Link-time optimisation inlines it whole into the power ledger's one
 * caller (ic__gpu_state_changed: the call's setup and return go). */
__attribute__((always_inline)) inline void ic_ledger_set_state(ic_ledger *l, int64_t node, int64_t gpus, enum ic_gpu_state from,
                         enum ic_gpu_state to, ic_time_ns now_ns) {
  if (__builtin_expect(now_ns > l->fast_end_ns, 0)) {
    set_state_rare(l, node, gpus, from, to, now_ns);
    return;
  }
  struct node_power *n = &l->nodes[node];
  advance_node(n, now_ns);
  assert(now_ns >= l->fleet_last_ns && "ledger: time went backwards");
  double dt = ic_time_to_s(now_ns - l->fleet_last_ns);
  phase_sums(l, dt);
  *l->hour_bin += l->power_w * dt;
  l->fleet_last_ns = now_ns;
  move_gpus(l, n, gpus, from, to);
}

void ic_ledger_set_state_w(ic_ledger *l, int64_t node, int64_t gpus, enum ic_gpu_state from, enum ic_gpu_state to,
                           double from_w, double to_w, ic_time_ns now_ns) {
  struct node_power *n = &l->nodes[node];
  advance_node(n, now_ns);
  advance_fleet(l, now_ns);
  double g = (double)gpus, delta = g * (to_w - from_w);
  n->watts += delta;
  l->power_w += delta;
  l->gpus_in_state[from] -= g;
  l->gpus_in_state[to] += g;
  l->has_extra = true;
  l->fast_end_ns = INT64_MIN;
  l->extra_w_in_state[from] -= g * (from_w - l->gpu_power.watts[from]);
  l->extra_w_in_state[to] += g * (to_w - l->gpu_power.watts[to]);
}

const struct ic_gpu_power *ic_ledger_gpu_power(const ic_ledger *l) { return &l->gpu_power; }

void ic_ledger_set_load_power(ic_ledger *l, const struct ic_load_power *load) { l->load = *load; }

const struct ic_load_power *ic_ledger_load_power(const ic_ledger *l) { return &l->load; }

void ic_ledger_set_node_off(ic_ledger *l, int64_t node, bool off, ic_time_ns now_ns) {
  struct node_power *n = &l->nodes[node];
  struct node_held *h = &l->held[node];
  if (h->off == off) return;
  advance_node(n, now_ns);
  advance_fleet(l, now_ns);
  double gpus = (double)l->gpus_per_node;
  enum ic_gpu_state from = off ? IC_GPU_IDLE : IC_GPU_OFF, to = off ? IC_GPU_OFF : IC_GPU_IDLE;
  double base_from = off ? l->node_base_w : l->node_off_w, base_to = off ? l->node_off_w : l->node_base_w;
  double delta = gpus * (l->gpu_power.watts[to] - l->gpu_power.watts[from]) + (base_to - base_from);
  n->watts += delta;
  l->power_w += delta;
  l->gpus_in_state[from] -= gpus;
  l->gpus_in_state[to] += gpus;
  h->off = off;
  if (!off) {
    h->held_since = now_ns;
  } else {
    ic_time_ns spell = now_ns - h->held_since, inc = l->increment_ns;
    h->held_ns += spell;
    h->billed_ns += inc > 0 ? (spell + inc - 1) / inc * inc : spell;
  }
}

int64_t ic_ledger_node_count(const ic_ledger *l) { return l->node_count; }

void ic_ledger_set_billing_increment(ic_ledger *l, ic_time_ns increment_ns) { l->increment_ns = increment_ns; }

double ic_ledger_held_gpu_s(const ic_ledger *l, int64_t first_node, bool billed) {
  /* Summed in seconds: thousands of nodes held for weeks (a training run) overflow a
     sum of nanoseconds, while each node's own time stays exact in ns. */
  double sum_s = 0;
  for (int64_t i = first_node; i < l->node_count; i++) {
    const struct node_held *n = &l->held[i];
    ic_time_ns node_ns = billed ? n->billed_ns : n->held_ns;
    if (!n->off) node_ns += l->fleet_last_ns - n->held_since; /* the open spell, as it stands */
    sum_s += ic_time_to_s(node_ns);
  }
  return sum_s * (double)l->gpus_per_node;
}

void ic_ledger_set_off_power(ic_ledger *l, double node_off_w) { l->node_off_w = node_off_w; }

double ic_ledger_power_w(const ic_ledger *l) { return l->power_w; }

bool ic_ledger_node_is_off(const ic_ledger *l, int64_t node) { return l->held[node].off; }

void ic_ledger_flush(ic_ledger *l, ic_time_ns now_ns) {
  for (int64_t i = 0; i < l->node_count; i++) advance_node(&l->nodes[i], now_ns);
  advance_fleet(l, now_ns);
}

void ic_ledger_restart(ic_ledger *l, ic_time_ns now_ns) {
  ic_ledger_flush(l, now_ns);
  for (int64_t i = 0; i < l->node_count; i++) {
    l->nodes[i].energy_j = 0.0;
    l->held[i].held_ns = l->held[i].billed_ns = 0;
    l->held[i].held_since = now_ns; /* a spell across the restart counts from here */
  }
  for (int s = 0; s < IC_GPU_STATE_COUNT; s++) l->state_energy_j[s] = l->state_s[s] = 0.0;
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) l->hour_energy_j[h] = 0.0;
}

double ic_ledger_node_energy_j(const ic_ledger *l, int64_t node) { return l->nodes[node].energy_j; }

double ic_ledger_it_energy_j(const ic_ledger *l) {
  double sum = 0.0;
  for (int64_t i = 0; i < l->node_count; i++) sum += l->nodes[i].energy_j;
  return sum;
}

double ic_ledger_gpu_state_energy_j(const ic_ledger *l, enum ic_gpu_state state) {
  return l->state_energy_j[state];
}

double ic_ledger_gpu_state_s(const ic_ledger *l, enum ic_gpu_state state) { return l->state_s[state]; }

double ic_ledger_hour_energy_j(const ic_ledger *l, int hour) { return l->hour_energy_j[hour]; }

double ic_ledger_energy_j_at(const ic_ledger *l, ic_time_ns now_ns) {
  assert(now_ns >= l->fleet_last_ns && "ledger: time went backwards");
  double sum = 0.0;
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) sum += l->hour_energy_j[h];
  return sum + l->power_w * ic_time_to_s(now_ns - l->fleet_last_ns);
}

void ic_ledger_free(ic_ledger *l) {
  if (!l) return;
  free(l->nodes);
  free(l->held);
  free(l);
}
