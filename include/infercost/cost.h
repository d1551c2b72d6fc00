/* cost.h: power integrated over time, cooling, electricity, carbon and
 * capital into a per-day ledger and a per-hour-of-day breakdown.
 * Formulas, defaults and sources: docs/cost-model.md. */
#ifndef IC_COST_H
#define IC_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infercost/keys.h"
#include "infercost/simtime.h"
#include "infercost/status.h"

#define IC_HOURS_PER_DAY 24

enum ic_power_model { IC_POWER_PHASE, IC_POWER_UTILISATION, IC_POWER_LOAD };
#define IC_POWER_MODEL_CHOICES "phase|utilisation|load"

enum ic_cooling_mode { IC_COOLING_PUE, IC_COOLING_CHILLER, IC_COOLING_FIXED };
#define IC_COOLING_CHOICES "pue|chiller|fixed"

enum ic_pricing { IC_PRICING_OWN, IC_PRICING_RENT };
#define IC_PRICING_CHOICES "own|rent"

enum ic_tier { IC_TIER_ON_DEMAND, IC_TIER_SPOT };
#define IC_TIER_CHOICES "on_demand|spot"

/* What a powered-down node costs: kept (owned: capital goes on, energy
 * stops; rented: billed), lent (owned: its capital partly paid by the work
 * it is lent to), released (rented: billed only while held). */
enum ic_idle_node { IC_IDLE_KEPT, IC_IDLE_LENT, IC_IDLE_RELEASED };
#define IC_IDLE_NODE_CHOICES "kept|lent|released"

enum ic_amortization { IC_AMORT_STRAIGHT, IC_AMORT_ANNUITY };
#define IC_AMORTIZATION_CHOICES "straight|annuity"

/* [power] section. NaN in a field means "auto": taken from the catalogue. */
struct ic_power_config {
  double gpu_idle_w;              /* per GPU, powered on with no work */
  double gpu_prefill_w;           /* phase model: per GPU while running a prefill */
  double gpu_decode_w;            /* phase model: per GPU while running decode steps */
  double node_base_w;             /* per node: CPUs, memory, NICs, fans */
  double pue;                     /* cooling = pue: facility energy / IT energy, >= 1 */
  double electricity_usd_per_kwh; /* flat price (when no hourly list) */
  int model;                      /* enum ic_power_model */
  double gpu_max_w;               /* utilisation curve top and nameplate per GPU; NaN = TDP */
  double util_exponent;           /* k in P(u) = idle + (max - idle) u^k */
  double prefill_utilisation;     /* u of a GPU in prefill, 0..1 */
  double decode_utilisation;      /* u of a GPU in decode, 0..1 */
  double load_compute_weight;     /* load model: w_c, weight of the iteration's MFU */
  double load_memory_weight;      /* load model: w_m, weight of the iteration's MBU */
  int64_t cpus_per_node;          /* CPUs counted on top of node_base_w */
  double cpu_w;                   /* per CPU */
  int cooling;                    /* enum ic_cooling_mode */
  double chiller_cop_ref;         /* COP at chiller_t_ref_c */
  double chiller_t_ref_c;         /* deg C */
  double chiller_cop_slope_per_c; /* COP lost per deg C above t_ref */
  double chiller_cop_min, chiller_cop_max;
  double outdoor_temp_c;          /* flat outdoor temperature, deg C */
  char outdoor_temp_c_hourly[IC_KEY_TEXT_MAX];          /* 24 values or "none" */
  double facility_overhead_frac;  /* chiller / fixed: extra facility energy, fraction of IT */
  double cooling_w_per_node;      /* fixed: cooling power per node, W */
  char electricity_usd_per_kwh_hourly[IC_KEY_TEXT_MAX]; /* 24 prices or "none" */
  double carbon_g_per_kwh;        /* grid intensity, gCO2e per kWh, flat */
  char carbon_g_per_kwh_hourly[IC_KEY_TEXT_MAX];        /* 24 values or "none" */
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
  double server_price_usd;        /* per node; NaN = catalogue (GPUs included) */
  double amortization_years;      /* life of the server (chassis, CPUs, storage) */
  int pricing;                    /* enum ic_pricing */
  int amortization;               /* enum ic_amortization */
  double cost_of_capital;         /* annuity: yearly rate r */
  double cpu_usd_per_node;        /* added to the server price */
  double storage_usd_per_node;    /* added to the server price */
  double gpu_price_usd;           /* per GPU, when not in the server price */
  double gpu_life_years;
  double network_usd_per_node;
  double network_life_years;
  double facility_usd_per_kw;     /* per kW of IT nameplate power */
  double facility_life_years;
  double maintenance_frac_per_year; /* of capex */
  double other_opex_usd_per_day;  /* staff, software, licences */
  double rent_usd_per_gpu_hour;   /* pricing = rent */
  /* Price tiers (rent) and inactive nodes (docs/cost-model.md). */
  int64_t reserved_nodes;         /* the first nodes, billed all day at the reserved rate */
  double reserved_usd_per_gpu_hour; /* NaN: rent x (1 - reserved_discount) */
  double reserved_discount;
  double reserved_years;          /* commitment length */
  int burst_tier;                 /* enum ic_tier: the nodes beyond reserved_nodes */
  double spot_discount;
  int idle_node;                  /* enum ic_idle_node */
  double lent_share;              /* lent: share of an away node's capital paid by the borrower */
  double billing_increment_s;     /* released: each held spell rounded up to a multiple */
};

/* Power states of a GPU. OFF is last so {idle, prefill, decode}
 * initializers leave it at 0 W. */
enum ic_gpu_state { IC_GPU_IDLE, IC_GPU_PREFILL, IC_GPU_DECODE, IC_GPU_OFF, IC_GPU_STATE_COUNT };

/* Watts of one GPU per state, resolved (no NaN). */
struct ic_gpu_power {
  double watts[IC_GPU_STATE_COUNT];
};

/* The load model (power.model = load): a busy GPU draws what its iteration
 * does (ic_cost_load_w) instead of its state's watts, which then hold the
 * phase figures, used only by a policy that reports no load (static
 * batching). */
struct ic_load_power {
  bool on;
  double idle_w, max_w;                 /* W per GPU: no work; the cap */
  double compute_weight, memory_weight; /* w_c, w_m */
};

/* Integrates node power over time: each node draws base power plus the sum
 * of its GPUs' state power. Energy is added lazily, before every change:
 * energy += watts(old) x elapsed, split exactly at hour boundaries into 24
 * hour-of-day bins (time 0 is midnight). Memory: fixed per node. */
typedef struct ic_ledger ic_ledger;

/* A ledger for `nodes` nodes of `gpus_per_node` GPUs, all idle from
 * `start_ns`. NULL when out of memory. */
ic_ledger *ic_ledger_alloc(int64_t nodes, int64_t gpus_per_node, double node_base_w,
                           const struct ic_gpu_power *gpu_power, ic_time_ns start_ns);

/* The GPU power the ledger was made with. */
const struct ic_gpu_power *ic_ledger_gpu_power(const ic_ledger *l);

/* The load model of the GPUs the ledger counts (off unless set; copied). */
void ic_ledger_set_load_power(ic_ledger *l, const struct ic_load_power *load);
const struct ic_load_power *ic_ledger_load_power(const ic_ledger *l);

/* Starts node's record, which a state change reads first, on its way to
 * the cache (a hint: changes nothing). */
void ic_ledger_prefetch(const ic_ledger *l, int64_t node);

/* Moves `gpus` GPUs of `node` from state `from`, where each drew `from_w`
 * watts, to state `to`, where each draws `to_w`, at `now_ns` (the load
 * model: from == to moves only the draw). The per-state energies count each
 * GPU at the watts it drew. */
void ic_ledger_set_state_w(ic_ledger *l, int64_t node, int64_t gpus, enum ic_gpu_state from, enum ic_gpu_state to,
                           double from_w, double to_w, ic_time_ns now_ns);

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

/* Forgets every joule and GPU-second before `now_ns`, keeping the present
 * power states: the end of a warm-up that is simulated but not counted. */
void ic_ledger_restart(ic_ledger *l, ic_time_ns now_ns);

/* Energy of one node so far (joules, up to its last change or flush), and
 * of all nodes together. */
double ic_ledger_node_energy_j(const ic_ledger *l, int64_t node);
double ic_ledger_it_energy_j(const ic_ledger *l);

/* IT energy of the whole fleet from the start up to `now_ns` (joules),
 * without changing the ledger; `now_ns` must not be before the last change.
 * For time series: the difference over an interval / its length is the
 * interval's mean IT power. */
double ic_ledger_energy_j_at(const ic_ledger *l, ic_time_ns now_ns);

/* IT energy (joules, all nodes) that fell in hour-of-day `hour` (0..23). */
double ic_ledger_hour_energy_j(const ic_ledger *l, int hour);

/* Joules spent by GPUs in each state, all nodes together, and GPU-seconds
 * spent in each state (busy-time split of cost between prefill and decode). */
double ic_ledger_gpu_state_energy_j(const ic_ledger *l, enum ic_gpu_state state);
double ic_ledger_gpu_state_s(const ic_ledger *l, enum ic_gpu_state state);

/* Nodes of the ledger. */
int64_t ic_ledger_node_count(const ic_ledger *l);

/* Each spell a node is held (powered up) is billed rounded up to a
 * multiple of `increment_ns` (0: exact); a spell still open at the end is
 * billed as it stands. Set before any node goes down. */
void ic_ledger_set_billing_increment(ic_ledger *l, ic_time_ns increment_ns);

/* GPU-seconds held (nodes powered up) by nodes [first_node, nodes) since
 * the start or the last restart, up to the last flush: as held, or as
 * billed (each closed spell rounded up to the billing increment). */
double ic_ledger_held_gpu_s(const ic_ledger *l, int64_t first_node, bool billed);

/* Frees the ledger; NULL does nothing. */
void ic_ledger_free(ic_ledger *l);

/* Power and tariffs resolved from [power]: per-state GPU watts and 24
 * hourly values of price, carbon and outdoor temperature. */
struct ic_tariff {
  double price_usd_per_kwh[IC_HOURS_PER_DAY];
  double carbon_g_per_kwh[IC_HOURS_PER_DAY];
  double outdoor_temp_c[IC_HOURS_PER_DAY];
};

/* Parses a list of exactly 24 '|'-separated numbers >= `min`, or "none"
 * (then every hour gets `flat`). On a bad list writes why into err and
 * returns IC_EINVAL. */
ic_status ic_cost_parse_hourly(const char *text, double flat, double min, double out[IC_HOURS_PER_DAY],
                               char *err, size_t err_size);

/* Fills `t` from the [power] lists; IC_EINVAL (with the key's name and the
 * reason in err) on a bad list. */
ic_status ic_tariff_resolve(const struct ic_power_config *p, struct ic_tariff *t, char *err, size_t err_size);

/* The load model's draw of one GPU whose iteration reaches model-FLOP
 * utilisation `mfu` and memory-bandwidth utilisation `mbu` (each achieved /
 * peak, >= 0): idle + (max - idle) x min(1, w_c mfu + w_m mbu), W
 * (docs/cost-model.md: the form and its sources). */
double ic_cost_load_w(const struct ic_load_power *g, double mfu, double mbu);

/* The load model from [power] (on when power.model = load) and the
 * resolved idle and catalogue maximum (TDP) watts per GPU. */
struct ic_load_power ic_cost_load_power(const struct ic_power_config *p, double idle_w, double cat_max_w);

/* GPU watts per state from [power] and the catalogue's phase figures:
 * phase model uses them; utilisation model P(u) = idle + (max - idle) u^k
 * with the per-phase utilisation. NaN keys take the catalogue value. */
struct ic_gpu_power ic_cost_gpu_power(const struct ic_power_config *p, double cat_idle_w, double cat_prefill_w,
                                      double cat_decode_w, double cat_max_w);

/* Chiller coefficient of performance at outdoor temperature `t_c`:
 * cop_ref - slope x (t - t_ref), clamped to [cop_min, cop_max]. */
double ic_cost_chiller_cop(const struct ic_power_config *p, double t_c);

/* Cross-key checks of [cost] for a pool of `nodes` nodes whose replicas
 * span `nodes_per_replica` nodes (1 when a replica fits in one): the name
 * of the bad key (without its section) with why in err, or NULL. */
const char *ic_cost_check(const struct ic_cost_config *c, int64_t nodes, int64_t nodes_per_replica, char *err,
                          size_t err_size);

/* The reserved rate per GPU-hour: reserved_usd_per_gpu_hour, or auto =
 * rent_usd_per_gpu_hour x (1 - reserved_discount). */
double ic_cost_reserved_rate(const struct ic_cost_config *c);

/* Capital yearly charge per dollar of capex over `years`: 1 / years
 * (straight line), or r / (1 - (1 + r)^-years) (annuity, r > 0). */
double ic_cost_capital_recovery(int method, double rate, double years);

/* What the fleet is, for capital: resolved by the caller. */
struct ic_cost_fleet {
  int64_t nodes, gpus_per_node;
  double server_price_usd;        /* per node, resolved */
  double nameplate_node_w;        /* per node: base + CPUs + GPUs at their maximum */
};

/* One hour-of-day row: the window's energy and money that fell in that hour
 * of the day (summed over all simulated days; not scaled). */
struct ic_hour_cost {
  double covered_s;              /* simulated seconds in this hour of day */
  double it_energy_kwh, facility_energy_kwh;
  double energy_usd, cooling_usd; /* 0 when renting (information only) */
  double fixed_usd;              /* capital, maintenance, opex, rent for covered_s */
  double total_usd;
  double gco2e;                  /* grams, from facility energy */
  double price_usd_per_kwh, carbon_g_per_kwh, outdoor_temp_c, cooling_cop; /* inputs of that hour */
};

/* The per-day money: energy measured over the window scaled to a day and
 * priced hour by hour. Plain value. */
struct ic_daily_cost {
  double it_energy_kwh;          /* servers' own energy per day */
  double facility_energy_kwh;    /* IT + cooling + facility overhead */
  double energy_usd;             /* IT energy x hourly price (0 when renting) */
  double cooling_usd;            /* (facility - IT) energy x hourly price (0 when renting) */
  double amort_server_usd, amort_gpu_usd, amort_network_usd, amort_facility_usd;
  double amortization_usd;       /* the four above */
  double maintenance_usd;        /* capex x yearly fraction / 365 */
  double other_opex_usd;
  double rent_usd;               /* pricing = rent: GPU-hours billed x their tier's price (reserved included) */
  double other_usd;              /* maintenance + other opex + rent */
  double total_usd;              /* energy + cooling + amortization + other */
  double gco2e;                  /* grams per day, facility energy x grid intensity */
  double capex_usd;              /* purchase price of everything (information) */
  double nameplate_kw;           /* fleet IT nameplate power */
  /* Tiers and inactive nodes (0 unless used). */
  double reserved_usd;           /* part of rent_usd: reserved GPUs x 24 h x reserved rate */
  double rented_gpu_hours;       /* GPU-hours billed per day, reserved included */
  double reserved_gpu_hours;     /* of which reserved */
  double commitment_usd;         /* reserved rate x GPUs x hours of the whole term (information) */
  double lent_credit_usd;        /* lent: capital paid by the borrowing work (subtracted in other_usd) */
  double held_gpu_hours;         /* GPU-hours the nodes were powered up, per day */
};

/* Prices the window [0, span_s) of `l` (flushed) into `day` and, if `hours`
 * is not NULL, into 24 hour-of-day rows. */
void ic_cost_ledger(const ic_ledger *l, double span_s, const struct ic_cost_fleet *fleet,
                    const struct ic_power_config *power, const struct ic_tariff *tariff,
                    const struct ic_cost_config *cost, struct ic_daily_cost *day,
                    struct ic_hour_cost hours[IC_HOURS_PER_DAY]);

/* The same for the window [start_s, start_s + span_s) (a run with a
 * warm-up: the ledger restarted at start_s). */
void ic_cost_ledger_window(const ic_ledger *l, double start_s, double span_s, const struct ic_cost_fleet *fleet,
                           const struct ic_power_config *power, const struct ic_tariff *tariff,
                           const struct ic_cost_config *cost, struct ic_daily_cost *day,
                           struct ic_hour_cost hours[IC_HOURS_PER_DAY]);

#endif
