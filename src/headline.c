/* headline.c: getters of the headline metrics. Adding a metric: one getter,
 * one row; every sweep, search and plot then knows it by name. */
#include "infercost/headline.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define GETTER(name, expr) \
  static double get_##name(const struct ic_run_result *r) { return (expr); }

GETTER(queries_per_day, r->queries_per_day)
GETTER(usd_per_day, r->cost.total_usd)
GETTER(usd_per_query, r->usd_per_query)
GETTER(usd_per_million_output_tokens, r->usd_per_million_output_tokens)
GETTER(wh_per_query, r->wh_per_query)
GETTER(energy_usd_per_day, r->cost.energy_usd)
GETTER(cooling_usd_per_day, r->cost.cooling_usd)
GETTER(amortization_usd_per_day, r->cost.amortization_usd)
GETTER(other_usd_per_day, r->cost.other_usd)
GETTER(gco2e_per_query, r->gco2e_per_query)
GETTER(e2e_mean_s, r->e2e_mean_s)
GETTER(e2e_p99_s, r->e2e_p99_s)
GETTER(ttft_mean_s, r->ttft_mean_s)
GETTER(ttft_p99_s, r->ttft_p99_s)
GETTER(tpot_mean_s, r->tpot_mean_s)
GETTER(tpot_p99_s, r->tpot_p99_s)
GETTER(slo_attainment, r->slo_attainment)
GETTER(wait_mean_s, r->wait_mean_s)
GETTER(utilisation, r->utilisation)
GETTER(mean_batch_size, r->mean_batch_size)
GETTER(batch_occupancy, r->batch_occupancy)
GETTER(kv_occupancy, r->kv_occupancy)
GETTER(mfu, r->mfu)
GETTER(mbu, r->mbu)
GETTER(stable, r->stable)
GETTER(gpus, (double)r->gpus)
GETTER(output_tokens_per_s, r->output_tokens_per_s)
GETTER(tpot_p50_s, r->tpot_p50_s)

/* GPU energy (every state) over the run per output token; mean GPU power of the fleet. */
static double gpu_energy_j(const struct ic_run_result *r) {
  double j = 0;
  for (int i = 0; i < IC_GPU_STATE_COUNT; i++) j += r->gpu_energy_j[i];
  return j;
}
GETTER(gpu_j_per_output_token, r->output_tokens_per_s > 0 ? gpu_energy_j(r) / (r->output_tokens_per_s * r->span_s) : (double)NAN)
/* IT energy (GPUs and the nodes' base) per output token: MLPerf Power's system energy. */
GETTER(it_j_per_output_token, r->output_tokens_per_s > 0 ? r->it_energy_j / (r->output_tokens_per_s * r->span_s) : (double)NAN)
GETTER(it_power_w, r->span_s > 0 ? r->it_energy_j / r->span_s : (double)NAN)
GETTER(gpu_power_w, r->span_s > 0 ? gpu_energy_j(r) / r->span_s : (double)NAN)
GETTER(over_context_requests, (double)r->over_context_requests)
GETTER(revenue_usd_per_day, r->revenue_usd_per_day)
GETTER(gross_margin, r->gross_margin)
GETTER(cost_to_revenue, r->cost_to_revenue)

#define ROW(name, unit, sense) {#name, unit, sense, get_##name}
static const struct ic_headline table[] = {
    ROW(queries_per_day, "queries/day", IC_HIGHER_IS_BETTER),
    ROW(usd_per_day, "USD/day", IC_LOWER_IS_BETTER),
    ROW(usd_per_query, "USD", IC_LOWER_IS_BETTER),
    ROW(usd_per_million_output_tokens, "USD", IC_LOWER_IS_BETTER),
    ROW(wh_per_query, "Wh", IC_LOWER_IS_BETTER),
    ROW(gco2e_per_query, "gCO2e", IC_LOWER_IS_BETTER),
    ROW(energy_usd_per_day, "USD/day", IC_LOWER_IS_BETTER),
    ROW(cooling_usd_per_day, "USD/day", IC_LOWER_IS_BETTER),
    ROW(amortization_usd_per_day, "USD/day", IC_LOWER_IS_BETTER),
    ROW(other_usd_per_day, "USD/day", IC_LOWER_IS_BETTER),
    ROW(e2e_mean_s, "s", IC_LOWER_IS_BETTER),
    ROW(e2e_p99_s, "s", IC_LOWER_IS_BETTER),
    ROW(ttft_mean_s, "s", IC_LOWER_IS_BETTER),
    ROW(ttft_p99_s, "s", IC_LOWER_IS_BETTER),
    ROW(tpot_mean_s, "s", IC_LOWER_IS_BETTER),
    ROW(tpot_p99_s, "s", IC_LOWER_IS_BETTER),
    ROW(wait_mean_s, "s", IC_LOWER_IS_BETTER),
    ROW(utilisation, "fraction", IC_HIGHER_IS_BETTER),
    ROW(mean_batch_size, "requests", IC_HIGHER_IS_BETTER),
    ROW(batch_occupancy, "fraction", IC_HIGHER_IS_BETTER),
    ROW(kv_occupancy, "fraction", IC_HIGHER_IS_BETTER),
    ROW(mfu, "fraction", IC_HIGHER_IS_BETTER),
    ROW(mbu, "fraction", IC_HIGHER_IS_BETTER),
    ROW(slo_attainment, "fraction", IC_HIGHER_IS_BETTER),
    ROW(stable, "1/0", IC_HIGHER_IS_BETTER),
    ROW(gpus, "GPUs", IC_LOWER_IS_BETTER),
    ROW(over_context_requests, "requests", IC_LOWER_IS_BETTER),
    ROW(output_tokens_per_s, "tokens/s", IC_HIGHER_IS_BETTER),
    ROW(tpot_p50_s, "s", IC_LOWER_IS_BETTER),
    ROW(gpu_j_per_output_token, "J/token", IC_LOWER_IS_BETTER),
    ROW(gpu_power_w, "W", IC_LOWER_IS_BETTER),
    ROW(it_j_per_output_token, "J/token", IC_LOWER_IS_BETTER),
    ROW(it_power_w, "W", IC_LOWER_IS_BETTER),
    ROW(revenue_usd_per_day, "USD/day", IC_HIGHER_IS_BETTER),
    ROW(gross_margin, "fraction", IC_HIGHER_IS_BETTER),
    ROW(cost_to_revenue, "fraction", IC_LOWER_IS_BETTER),
};
#undef ROW

_Static_assert(sizeof table / sizeof table[0] <= IC_HEADLINE_MAX, "raise IC_HEADLINE_MAX");

const struct ic_headline *ic_headline_table(size_t *count) {
  *count = sizeof table / sizeof table[0];
  return table;
}

int ic_headline_find(const char *name) {
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(table[i].name, name) == 0) return (int)i;
  return -1;
}

const char *ic_headline_names(void) {
  static char names[1024];
  if (!names[0]) {
    size_t used = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
      used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", table[i].name);
  }
  return names;
}
