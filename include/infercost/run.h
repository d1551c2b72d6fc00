/* run.h: one simulation of a scenario, from traffic to the per-day ledger. */
#ifndef IC_RUN_H
#define IC_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "infercost/cost.h"
#include "infercost/scenario.h"
#include "infercost/status.h"

/* Resource caps, checked before a run starts or while it runs (see
 * docs/reliability.md). Requests in flight hold about 140 bytes each. */
#define IC_RUN_IN_FLIGHT_MAX 2000000      /* requests in flight, whatever the fleet (~280 MB) */
#define IC_RUN_IN_FLIGHT_PER_SLOT 64      /* x replicas x serving.max_batch: the scenario's own limit */
#define IC_RUN_IN_FLIGHT_MIN 10000        /* small fleets may queue this many */
#define IC_RUN_REPLICAS_MAX 1000000       /* replicas in the fleet */
#define IC_RUN_SERIES_ROWS_MAX 1000000    /* run.duration_s / run.series_interval_s with -o */
#define IC_RUN_MAX_POOLS 8

/* One pool's share of a run (scenarios with [pool.NAME] sections). */
struct ic_run_pool {
  char name[32];
  char gpu[32];
  int64_t nodes, gpus, replicas;
  uint64_t routed, completed;    /* requests routed to it, and completed by it, in the window */
  double usd_per_day;            /* its own ledger: its GPUs, servers, power states */
  double it_energy_kwh_per_day;
  double output_tokens_per_day, prompt_tokens_per_day; /* generated / prefilled by it */
  double usd_per_million_output_tokens; /* its cost over its own output tokens */
  double usd_per_million_input_tokens;  /* its cost over the prompt tokens it prefilled */
  double utilisation, batch_occupancy, kv_occupancy, mfu, mbu; /* as the run's, over its replicas and GPUs */
  double wait_mean_s, wait_p99_s; /* queueing delay in it (a decode pool: from the transfer's end to admission) */
  double mean_batch_size;        /* requests per iteration (static: per batch) of its replicas */
};

/* Headline results of a run (a plain value; sweeps collect these). */
struct ic_run_result {
  double span_s;                 /* the counted window */
  double warmup_s;               /* resolved: simulated before the window, not counted */
  uint64_t in_flight_at_start;   /* requests in the fleet when the window started */
  uint64_t arrived, completed, in_flight_at_end; /* in the window: in_flight_at_start + arrived = completed + rejected + in_flight_at_end */
  int64_t replicas, gpus;
  double queries_per_day;        /* completed in the window, scaled to 86,400 s */
  double output_tokens_per_day;  /* generated in the window (requests in flight included), scaled */
  double prompt_tokens_per_day;  /* of requests whose prefill ended in the window, scaled */
  struct ic_daily_cost cost;
  double usd_per_query;
  double usd_per_million_output_tokens;
  double wh_per_query;           /* facility energy per completed query */
  double gco2e_per_query;        /* grams, facility energy x grid intensity */
  double usd_per_million_input_tokens;          /* total cost / prompt tokens (simple ratio) */
  double prefill_time_share;                    /* prefill / (prefill + decode) GPU-seconds */
  double usd_per_million_input_tokens_by_time;  /* total x prefill share / prompt tokens */
  double usd_per_million_output_tokens_by_time; /* total x decode share / output tokens */
  double nameplate_node_w;       /* resolved: base + CPUs + GPUs at maximum */
  struct ic_hour_cost hours[IC_HOURS_PER_DAY];  /* the window by hour of day */
  double e2e_mean_s, e2e_p50_s, e2e_p99_s;
  double ttft_mean_s, ttft_p99_s;
  double wait_mean_s, wait_p99_s;
  double mean_batch_size;
  double stable;                 /* 1 when queues did not grow through the window (Little's law), else 0 */
  /* Overloaded: requests in flight passed in_flight_limit, so the run
   * stopped at overloaded_at_s and every figure covers [0, that time]
   * (span_s); stable is 0. The rates say by how much the fleet fell short. */
  bool overloaded;
  uint64_t in_flight_limit;
  double overloaded_at_s;
  double arrival_rate_per_s, completion_rate_per_s; /* over the simulated span */
  double utilisation;            /* replica-seconds with an iteration running / (replicas x span) */
  double batch_occupancy;        /* time-averaged running requests / (replicas x max_batch) */
  double kv_occupancy;           /* time-averaged KV tokens reserved / (replicas x KV capacity) */
  double mfu;                    /* model FLOPs run / (GPUs x peak FLOP/s x span) */
  double mbu;                    /* bytes moved / (GPUs x peak memory bandwidth x span) */
  double gpu_energy_j[IC_GPU_STATE_COUNT]; /* by state, over the window */
  double it_energy_j;            /* over the window */
  double server_price_usd;       /* resolved */
  double node_base_w;            /* resolved */
  struct ic_gpu_power gpu_power; /* resolved */
  double service_time_batch1_s;  /* one request alone on a replica */
  uint64_t events;
  uint64_t requests_simulated;   /* every request the traffic handed to the fleet, the warm-up's included: what a
                                    rate per CPU second counts (tests/bench) */
  /* Serving (docs/serving.md). Quantiles from sketches of relative error 0.005. */
  uint64_t rejected;             /* arrived = completed + rejected + in_flight_at_end */
  /* Requests longer than the model's context (traffic.over_context), in the
   * counted window: with reject they never arrive (not in `arrived`); with
   * clamp they arrive cut. */
  uint64_t over_context_requests;
  int64_t over_context_prompt_tokens, over_context_output_tokens; /* reject: theirs; clamp: cut */
  int64_t context_max_tokens;    /* the model's */
  /* What the traffic source made in the window, before the context limit:
   * for a trace, the rows replayed (the report's Traffic line). */
  uint64_t offered_requests;
  int64_t offered_prompt_tokens, offered_output_tokens;
  uint64_t input_hash;           /* hash of the trace files read, 0: none (provenance) */
  uint64_t preemptions, wakeups;
  uint64_t interruptions, requeued; /* spot nodes taken away; requests they sent back to the queue */
  double e2e_p90_s, e2e_p999_s;
  double ttft_p50_s, ttft_p90_s, ttft_p999_s;
  double tpot_mean_s, tpot_p50_s, tpot_p90_s, tpot_p99_s, tpot_p999_s;
  double wait_p50_s, wait_p90_s, wait_p999_s;
  double slo_attainment;         /* completed requests meeting their class's TTFT, TPOT (and e2e) targets */
  double throughput_rps;         /* completed requests per simulated second */
  double output_tokens_per_s;    /* tokens generated in the window per simulated second */
  double output_tokens_per_gpu_s;/* the same per GPU */
  double batch_p50, batch_p99;   /* requests per iteration (static: per batch) */
  double kv_frac_mean, kv_frac_p99; /* continuous: KV reserved / capacity per iteration */
  double kv_frac_max;        /* continuous: its largest (never above 1) */
  double utilisation_min, utilisation_max; /* per replica */
  double mean_in_system;         /* time-averaged requests in flight (Little's law: = rate x e2e mean) */
  double kv_capacity_tokens;     /* per replica */
  /* Disaggregation (prefill and decode pools): KV transfers in the window. */
  uint64_t transfers, transfer_waits; /* completed transfers; prefilled requests that waited for decode room */
  double kv_gb_per_day;          /* KV cache moved, scaled to a day */
  double transfer_p50_s, transfer_p99_s; /* prefill end (or wait) to KV in place */
  /* Prefix cache (serving.prefix_cache; all 0 when off), counted at each
   * request's first admission in the window (docs/traffic.md). */
  bool prefix_cache;
  uint64_t prefix_requests, prefix_hit_requests; /* looked up; with a cached block */
  int64_t prefix_prompt_tokens, prefix_hit_tokens; /* their prompt tokens; of which cached */
  double prefix_token_hit_rate, prefix_request_hit_rate; /* hit / looked-up tokens; requests */
  double prefix_tier_token_rate[IC_PREFIX_TIERS];   /* by the tier that held the block (HBM, DRAM, SSD) */
  double prefix_tier_request_rate[IC_PREFIX_TIERS]; /* requests with a cached block in that tier */
  double prefill_tokens_saved_per_day;             /* prompt tokens not computed (preempted ones again) */
  double prefix_load_replica_s;                    /* transfers from slower tiers into HBM */
  double cached_input_tokens_per_day, uncached_input_tokens_per_day; /* prompt_tokens_per_day split */
  double usd_per_million_cached_input_tokens;      /* the transfers' share of prefill GPU time */
  double usd_per_million_uncached_input_tokens;    /* the rest of the prefill share (by_time split) */
  /* Money around the ledger (docs/cost-model.md): revenue at the token
   * prices, margin, break-even between owning and renting. */
  int64_t rented_gpus;           /* GPUs of pools priced by rent */
  bool priced_by_tier;           /* a pool uses reserved, spot, lent or released pricing, or autoscales */
  double cached_prompt_tokens_per_day; /* prompt tokens served from a prefix cache (serving.prefix_cache; 0 without) */
  double revenue_usd_per_day;    /* tokens x traffic.usd_per_m_* (0: no prices) */
  double gross_margin;           /* (revenue - cost) / revenue; NaN without revenue */
  double cost_to_revenue;        /* cost / revenue; NaN without revenue */
  double usd_per_million_tokens_blended; /* cost / (prompt + output tokens) */
  double owned_usd_per_day;      /* the same fleet and ledger priced as owned */
  double on_demand_usd_per_day;  /* ... rented on demand, every GPU all day */
  double break_even_usd_per_gpu_hour; /* rent at which renting every GPU all day costs what owning does */
  double held_fraction;          /* GPU-hours powered up / (GPUs x 24 h) */
  double break_even_held_fraction; /* owning beats renting (billed per hour held, on demand) above this */
  double transfer_mean_s, transfer_p90_s, transfer_p999_s, transfer_max_s; /* the same distribution */
  size_t pool_count;             /* the scenario's pools; 0 when it declares none */
  struct ic_run_pool pools[IC_RUN_MAX_POOLS];
  size_t class_count;
  struct ic_run_class {
    char name[32];
    uint64_t completed;
    double ttft_target_s, tpot_target_s;
    double e2e_mean_s, e2e_p99_s, ttft_mean_s, ttft_p99_s, tpot_mean_s, tpot_p99_s, wait_mean_s, wait_p99_s;
    double slo_attainment;
    /* Billing (priced_by_class): tokens of the class's requests completed in the window, per day, and their
     * revenue at the class's prices; cached: prompt tokens the prefix cache served. */
    double prompt_tokens_per_day, cached_prompt_tokens_per_day, output_tokens_per_day;
    double usd_per_m_input_tokens, usd_per_m_cached_input_tokens, usd_per_m_output_tokens;
    double revenue_usd_per_day;
  } classes[IC_TRAFFIC_MAX_CLASSES];
  bool priced_by_class;          /* a traffic.class_usd_per_m_* list is set: revenue is the classes' sum */
};

/* The replica of scenario `s` (layout, precisions, speculative decoding,
 * perf.profile's fitted values) for `model` on `gpu`. Problems are reported at the scenario's source;
 * IC_EINVAL or IC_ECAPACITY. */
ic_status ic_run_perf_init(const struct ic_scenario *s, const struct ic_model_spec *model,
                           const struct ic_gpu_spec *gpu, struct ic_perf *perf);

/* Runs the (checked) scenario. Bad combinations found while setting up
 * (e.g. the model does not fit) are reported and give IC_EINVAL or
 * IC_ECAPACITY; IC_ENOMEM when out of memory. */
ic_status ic_run_scenario(const struct ic_scenario *s, struct ic_run_result *out);

/* Requests in flight at which a run of `s` stops as overloaded:
 * IC_RUN_IN_FLIGHT_PER_SLOT x replicas x serving.max_batch, at least
 * IC_RUN_IN_FLIGHT_MIN, at most IC_RUN_IN_FLIGHT_MAX. */
uint64_t ic_run_in_flight_limit(const struct ic_scenario *s);

/* Prints the overload verdict (rates, time, what to change) as a warning
 * on `out`; nothing when the run was not overloaded. */
void ic_run_print_overload(const struct ic_run_result *r, FILE *out);

/* What the scenario's fleet costs per day whatever it serves (capital,
 * maintenance, other opex, rent, and any fixed cooling): its ledger with
 * no IT energy; with pools, the sum of every pool's. A lower bound on any run's total; NaN if the hardware does
 * not resolve. No simulation. */
double ic_run_fixed_usd_per_day(const struct ic_scenario *s);

/* The accelerator of the scenario into *gpu, and the resolved GPU power per
 * state, node base power, server price and node nameplate power into the
 * matching fields of *out (nothing else of *out is touched). IC_EINVAL when
 * either is unusable (ic_scenario_check reports why). */
ic_status ic_run_resolve_hardware(const struct ic_scenario *s, struct ic_gpu_spec *gpu, struct ic_run_result *out);

/* Same, and when `series_dir` is not NULL writes series_dir/timeseries.csv
 * (one row per run.series_interval_s) and series_dir/distributions.csv
 * (batch sizes, KV use), creating the directory. IC_EIO (reported) when a
 * file cannot be written. */
ic_status ic_run_scenario_series(const struct ic_scenario *s, struct ic_run_result *out, const char *series_dir);

/* Same, and when `progress` and stderr is a terminal, shows simulated time,
 * requests so far and an ETA on stderr while it runs (the results are the
 * same either way). */
ic_status ic_run_scenario_with(const struct ic_scenario *s, struct ic_run_result *out, const char *series_dir,
                               bool progress);

#endif
