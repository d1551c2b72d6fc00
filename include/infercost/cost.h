/* cost.h: power integrated over time, cooling, electricity and amortization
 * into a per-day ledger. */
#ifndef IC_COST_H
#define IC_COST_H

#include <stdbool.h>
#include <stdint.h>

#include "infercost/simtime.h"

/* [power] section. NaN in a field means "auto": taken from the catalogue. */
struct ic_power_config {
  double gpu_idle_w;              /* per GPU, powered on with no work */
  double gpu_prefill_w;           /* per GPU while running a prefill */
  double gpu_decode_w;            /* per GPU while running decode steps */
  double node_base_w;             /* per node: CPUs, memory, NICs, fans */
  double pue;                     /* facility energy / IT energy, >= 1 */
  double electricity_usd_per_kwh; /* flat price */
  /* Idle power-down (used by serve, docs/serving.md). */
  int powerdown;                  /* enum ic_powerdown */
  double powerdown_idle_s;        /* idle time before a node powers down */
  double wake_s;                  /* wake-up delay */
  int64_t wake_queue_threshold;   /* requests per awake replica before waking a node; 0 = max_batch */
  double node_off_w;              /* per powered-down node besides GPUs */
  double gpu_off_w;               /* per GPU of a powered-down node */
};
enum ic_powerdown { IC_POWERDOWN_OFF, IC_POWERDOWN_IDLE };
#define IC_POWERDOWN_CHOICES "off|idle"

/* [cost] section. */
struct ic_cost_config {
  double server_price_usd;        /* per node, GPUs included; NaN = catalogue */
  double amortization_years;      /* straight-line life of a server */
};

/* Power states of a GPU. OFF is last so {idle, prefill, decode}
 * initializers leave it at 0 W. */
enum ic_gpu_state { IC_GPU_IDLE, IC_GPU_PREFILL, IC_GPU_DECODE, IC_GPU_OFF, IC_GPU_STATE_COUNT };

/* Watts of one GPU per state, resolved (no NaN). */
struct ic_gpu_power {
  double watts[IC_GPU_STATE_COUNT];
};

/* Integrates node power over time: each node draws base power plus the sum
 * of its GPUs' state power. Energy is added lazily, before every change:
 * energy += watts(old) x elapsed. */
typedef struct ic_ledger ic_ledger;

/* A ledger for `nodes` nodes of `gpus_per_node` GPUs, all idle from
 * `start_ns`. NULL when out of memory. */
ic_ledger *ic_ledger_alloc(int64_t nodes, int64_t gpus_per_node, double node_base_w,
                           const struct ic_gpu_power *gpu_power, ic_time_ns start_ns);

/* Moves `gpus` GPUs of `node` from state `from` to state `to` at `now_ns`. */
void ic_ledger_set_state(ic_ledger *l, int64_t node, int64_t gpus, enum ic_gpu_state from,
                         enum ic_gpu_state to, ic_time_ns now_ns);

/* Powers `node` down (`off` true) or up at `now_ns`. Its GPUs must all be
 * idle when it goes down; they move to IC_GPU_OFF and the node's base power
 * is replaced by the off-node power (see ic_ledger_set_off_power). */
void ic_ledger_set_node_off(ic_ledger *l, int64_t node, bool off, ic_time_ns now_ns);

/* Watts a powered-down node still draws besides its GPUs (BMC, fans at
 * rest); 0 unless set. Set before any node goes down. */
void ic_ledger_set_off_power(ic_ledger *l, double node_off_w);

/* The fleet's IT power draw right now (watts, all nodes). */
double ic_ledger_power_w(const ic_ledger *l);

/* Whether `node` is powered down. */
bool ic_ledger_node_is_off(const ic_ledger *l, int64_t node);

/* Adds every node's energy up to `now_ns` (call once at the end). */
void ic_ledger_flush(ic_ledger *l, ic_time_ns now_ns);

/* Energy of one node so far (joules, up to its last change or flush), and
 * of all nodes together. */
double ic_ledger_node_energy_j(const ic_ledger *l, int64_t node);
double ic_ledger_it_energy_j(const ic_ledger *l);

/* Joules spent by GPUs in each state, all nodes together (busy-time split). */
double ic_ledger_gpu_state_energy_j(const ic_ledger *l, enum ic_gpu_state state);

/* Frees the ledger; NULL does nothing. */
void ic_ledger_free(ic_ledger *l);

/* The per-day money: what a run's energy and fleet cost. Plain value. */
struct ic_daily_cost {
  double it_energy_kwh;          /* servers' own energy per day */
  double facility_energy_kwh;    /* it_energy x PUE */
  double energy_usd;             /* IT energy x price */
  double cooling_usd;            /* (facility - IT) energy x price: cooling and facility overhead */
  double amortization_usd;       /* servers' capital spread over their life, per day */
  double total_usd;
};

/* Scales energy measured over `span_s` to a day and prices it.
 * Amortization: nodes x price / (years x 365 days). */
struct ic_daily_cost ic_cost_daily(double it_energy_j, double span_s, int64_t nodes,
                                   double server_price_usd, const struct ic_power_config *power,
                                   const struct ic_cost_config *cost);

#endif
