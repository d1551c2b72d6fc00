/* run.h: one simulation of a scenario, from traffic to the per-day ledger. */
#ifndef IC_RUN_H
#define IC_RUN_H

#include <stdint.h>

#include "infercost/cost.h"
#include "infercost/scenario.h"
#include "infercost/status.h"

/* Headline results of a run (a plain value; sweeps collect these). */
struct ic_run_result {
  double span_s;                 /* simulated window */
  uint64_t arrived, completed, in_flight_at_end;
  int64_t replicas, gpus;
  double queries_per_day;        /* completed, scaled to 86,400 s */
  double output_tokens_per_day, prompt_tokens_per_day;
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
  double utilisation;            /* replica-seconds busy / (replicas x span) */
  double gpu_energy_j[IC_GPU_STATE_COUNT]; /* by state, over the window */
  double it_energy_j;            /* over the window */
  double server_price_usd;       /* resolved */
  double node_base_w;            /* resolved */
  struct ic_gpu_power gpu_power; /* resolved */
  double service_time_batch1_s;  /* one request alone on a replica */
  uint64_t events;
};

/* Runs the (checked) scenario. Bad combinations found while setting up
 * (e.g. the model does not fit) are reported and give IC_EINVAL or
 * IC_ECAPACITY; IC_ENOMEM when out of memory. */
ic_status ic_run_scenario(const struct ic_scenario *s, struct ic_run_result *out);

/* What the scenario's fleet costs per day whatever it serves (capital,
 * maintenance, other opex, rent, and any fixed cooling): its ledger with
 * no IT energy. A lower bound on any run's total; NaN if the hardware does
 * not resolve. No simulation. */
double ic_run_fixed_usd_per_day(const struct ic_scenario *s);

#endif
