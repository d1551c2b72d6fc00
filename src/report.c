/* report.c: text, JSON and CSV views of a run. Number formats are fixed so
 * outputs can be diffed byte for byte across runs. */
#include "infercost/report.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "ic_version.h"
#include "infercost/meta.h"
#include "infercost/outfile.h"

static const char *choice_text(const char *section_key, const struct ic_scenario *s, char *buf, size_t size) {
  const struct ic_section_def *sec = NULL;
  const struct ic_key_def *k = ic_scenario_find_key(section_key, &sec);
  if (!k) return "?";
  ic_key_format(k, (const char *)s + sec->offset + k->offset, buf, size);
  return buf;
}

void ic_report_provenance(const struct ic_scenario *s, char *buf, size_t size) {
  snprintf(buf, size, "infercost %s; scenario %s; digest %016llx; seed %lld; run %lld; rng mt19937",
           IC_VERSION_STRING, s->source, (unsigned long long)ic_scenario_digest(s), (long long)s->run.seed,
           (long long)s->run.run);
}

/* The digest of the keys, continued (FNV-1a) over the trace's hash when
 * the run read one. */
static uint64_t run_digest(const struct ic_scenario *s, const struct ic_run_result *r) {
  uint64_t h = ic_scenario_digest(s);
  for (int i = 0; r->input_hash && i < 8; i++) h = (h ^ ((r->input_hash >> (8 * i)) & 0xff)) * UINT64_C(0x100000001b3);
  return h;
}

void ic_report_provenance_run(const struct ic_scenario *s, const struct ic_run_result *r, char *buf, size_t size) {
  if (!r->input_hash) {
    ic_report_provenance(s, buf, size);
    return;
  }
  uint64_t h = run_digest(s, r);
  snprintf(buf, size, "infercost %s; scenario %s; digest %016llx; trace %016llx; seed %lld; run %lld; rng mt19937",
           IC_VERSION_STRING, s->source, (unsigned long long)h, (unsigned long long)r->input_hash,
           (long long)s->run.seed, (long long)s->run.run);
}

/* 1234567.8 -> "1,234,568" */
static const char *grouped(double v, char *buf, size_t size) {
  char digits[64];
  snprintf(digits, sizeof digits, "%.0f", fabs(v));
  size_t n = strlen(digits), o = 0;
  if (v < 0 && o + 1 < size) buf[o++] = '-';
  for (size_t i = 0; i < n && o + 2 < size; i++) {
    buf[o++] = digits[i];
    if ((n - i - 1) % 3 == 0 && i + 1 < n) buf[o++] = ',';
  }
  buf[o] = '\0';
  return buf;
}

/* "pue 1.20", "chiller, COP 3.1-6.2", "fixed 100 W/node": how facility energy was found. */
static const char *cooling_text(const struct ic_scenario *s, const struct ic_run_result *r, char *buf, size_t size) {
  const struct ic_power_config *p = &s->power;
  if (p->cooling == IC_COOLING_CHILLER) {
    double lo = (double)INFINITY, hi = -(double)INFINITY;
    for (int h = 0; h < IC_HOURS_PER_DAY; h++) {
      lo = fmin(lo, r->hours[h].cooling_cop);
      hi = fmax(hi, r->hours[h].cooling_cop);
    }
    snprintf(buf, size, "chiller COP %.2f-%.2f", lo, hi);
  } else if (p->cooling == IC_COOLING_FIXED) {
    snprintf(buf, size, "fixed %.0f W/node", p->cooling_w_per_node);
  } else {
    snprintf(buf, size, "PUE %.2f", p->pue);
  }
  return buf;
}

/* Held node-hours, the commitment, break-even, blended cost and revenue:
 * printed where tiers or token prices are used (docs/cost-model.md). */
static void print_money(const struct ic_scenario *s, const struct ic_run_result *r, FILE *out) {
  const struct ic_daily_cost *c = &r->cost;
  char a[64], b[64];
  fprintf(out, "GPU-hours held                 %s of %s a day (%.1f%%)\n", grouped(c->held_gpu_hours, a, sizeof a),
          grouped((double)r->gpus * 24.0, b, sizeof b), 100.0 * r->held_fraction);
  if (c->commitment_usd > 0)
    fprintf(out, "Commitment (reserved)          USD %s over the term (cost.reserved_years)\n",
            grouped(c->commitment_usd, a, sizeof a));
  fprintf(out, "Break-even                     renting every GPU all day at $%.4f/GPU-h costs what owning costs "
          "(USD %s/day owned); billed per hour held on demand, owning is cheaper above %.1f%% of GPU-hours held "
          "(this run %.1f%%)\n", r->break_even_usd_per_gpu_hour, grouped(r->owned_usd_per_day, a, sizeof a),
          100.0 * r->break_even_held_fraction, 100.0 * r->held_fraction);
  fprintf(out, "Blended cost per million tokens USD %.4f (input and output together, at this run's mix)\n",
          r->usd_per_million_tokens_blended);
  if (r->priced_by_class) { /* the global prices would not say what was billed */
    fprintf(out, "Revenue                        USD %s/day summed over the classes' prices; gross margin %.1f%%, "
            "cost / revenue %.3f\n", grouped(r->revenue_usd_per_day, a, sizeof a), 100.0 * r->gross_margin,
            r->cost_to_revenue);
    for (size_t i = 0; i < r->class_count; i++) {
      const struct ic_run_class *rc = &r->classes[i];
      fprintf(out, "  class %-24s USD %s/day at $%g / $%g / $%g per M input / cached input / output tokens\n",
              rc->name, grouped(rc->revenue_usd_per_day, a, sizeof a), rc->usd_per_m_input_tokens,
              rc->usd_per_m_cached_input_tokens, rc->usd_per_m_output_tokens);
    }
  } else if (r->revenue_usd_per_day > 0) {
    const struct ic_traffic_config *t = &s->traffic;
    fprintf(out, "Revenue                        USD %s/day at $%g / $%g / $%g per M input / cached input / output "
            "tokens; gross margin %.1f%%, cost / revenue %.3f\n", grouped(r->revenue_usd_per_day, a, sizeof a),
            t->usd_per_m_input_tokens, t->usd_per_m_cached_input_tokens, t->usd_per_m_output_tokens,
            100.0 * r->gross_margin, r->cost_to_revenue);
  }
}

/* The per-day ledger: every line traceable to a [power] or [cost] key. */
static void print_ledger(const struct ic_scenario *s, const struct ic_run_result *r, FILE *out) {
  const struct ic_daily_cost *c = &r->cost;
  const struct ic_cost_config *k = &s->cost;
  char a[64], b[96], cool[64];
  /* Pools may price themselves: rented all, some, or none. */
  bool rent = r->rented_gpus > 0 && r->rented_gpus == r->gpus, some_rent = r->rented_gpus > 0 && !rent;
  const char *method = k->amortization == IC_AMORT_ANNUITY ? "annuity" : "straight";
  bool tou = strcmp(s->power.electricity_usd_per_kwh_hourly, "none") != 0;
  snprintf(b, sizeof b, "Per-day ledger, %s, %s price", rent ? "rented" : some_rent ? "owned and rented" : "owned",
           tou ? "time-of-use" : "flat");
  fprintf(out, "%-42s%15s %15s\n", b, "kWh/day", "USD/day");
  fprintf(out, "  %-40s%15s %15.2f\n", rent ? "IT energy (paid in the rent)" : "IT energy",
          grouped(c->it_energy_kwh, a, sizeof a), c->energy_usd);
  snprintf(b, sizeof b, "Cooling, facility (%s)", cooling_text(s, r, cool, sizeof cool));
  fprintf(out, "  %-40s%15s %15.2f\n", b, grouped(c->facility_energy_kwh - c->it_energy_kwh, a, sizeof a),
          c->cooling_usd);
  if ((rent || some_rent) && r->priced_by_tier) {
    snprintf(b, sizeof b, "Rent, reserved (%s GPU-h)", grouped(c->reserved_gpu_hours, a, sizeof a));
    if (c->reserved_usd > 0) fprintf(out, "  %-40s%15s %15.2f\n", b, "", c->reserved_usd);
    snprintf(b, sizeof b, "Rent, burst (%s GPU-h billed)", grouped(c->rented_gpu_hours - c->reserved_gpu_hours, a, sizeof a));
    fprintf(out, "  %-40s%15s %15.2f\n", b, "", c->rent_usd - c->reserved_usd);
  } else if (rent || some_rent) {
    if (s->pool_count)
      snprintf(b, sizeof b, "Rent (%s GPUs at their pools' prices)", grouped((double)r->rented_gpus, a, sizeof a));
    else
      snprintf(b, sizeof b, "Rent (%s GPUs x $%.2f/GPU-h)", grouped((double)r->gpus, a, sizeof a), k->rent_usd_per_gpu_hour);
    fprintf(out, "  %-40s%15s %15.2f\n", b, "", c->rent_usd);
  }
  if (!rent) {
    struct {
      const char *what;
      double years, usd;
    } parts[] = {{"servers", k->amortization_years, c->amort_server_usd},
                 {"GPUs", k->gpu_life_years, c->amort_gpu_usd},
                 {"network", k->network_life_years, c->amort_network_usd},
                 {"facility", k->facility_life_years, c->amort_facility_usd}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
      snprintf(b, sizeof b, "Amortization, %s (%.3g y, %s)", parts[i].what, parts[i].years, method);
      fprintf(out, "  %-40s%15s %15.2f\n", b, "", parts[i].usd);
    }
    snprintf(b, sizeof b, "Maintenance (%.3g%% of capex a year)", 100.0 * k->maintenance_frac_per_year);
    fprintf(out, "  %-40s%15s %15.2f\n", b, "", c->maintenance_usd);
    if (c->lent_credit_usd > 0) {
      snprintf(b, sizeof b, "Lent to other work (its share %.3g)", k->lent_share);
      fprintf(out, "  %-40s%15s %15.2f\n", b, "", -c->lent_credit_usd);
    }
  }
  fprintf(out, "  %-40s%15s %15.2f\n", "Other opex", "", c->other_opex_usd);
  fprintf(out, "  %-40s%15s %15.2f\n\n", "Total", grouped(c->facility_energy_kwh, a, sizeof a), c->total_usd);
  fprintf(out, "Capex (purchase, not per day)  USD %s for %s kW of IT nameplate power\n",
          grouped(c->capex_usd, a, sizeof a), grouped(c->nameplate_kw, b, sizeof b));
  fprintf(out, "Cost per query                 USD %.6f\n", r->usd_per_query);
  fprintf(out, "Cost per million tokens        USD %.4f output, %.4f input (total / tokens of each)\n",
          r->usd_per_million_output_tokens, r->usd_per_million_input_tokens);
  fprintf(out, "  split by GPU time            USD %.4f output, %.4f input (prefill %.1f%% of busy GPU time)\n",
          r->usd_per_million_output_tokens_by_time, r->usd_per_million_input_tokens_by_time,
          100.0 * r->prefill_time_share);
  if (r->prefix_cache) {
    fprintf(out, "  input cached, uncached       USD %.4f, %.4f (%.1f%% of input tokens cached; split of the input's share)\n",
            r->usd_per_million_cached_input_tokens, r->usd_per_million_uncached_input_tokens,
            100.0 * r->cached_input_tokens_per_day / r->prompt_tokens_per_day);
    fprintf(out, "Prefix cache                   hit tokens=%lld of %lld (%.6f): HBM %.4f, DRAM %.4f, SSD %.4f; "
                 "requests with a hit %.4f; %s prefill tokens saved/day\n",
            (long long)r->prefix_hit_tokens, (long long)r->prefix_prompt_tokens, r->prefix_token_hit_rate,
            r->prefix_tier_token_rate[0], r->prefix_tier_token_rate[1], r->prefix_tier_token_rate[2],
            r->prefix_request_hit_rate, grouped(r->prefill_tokens_saved_per_day, a, sizeof a));
  }
  fprintf(out, "Energy per query               %.4f Wh (facility); %.3f gCO2e\n", r->wh_per_query, r->gco2e_per_query);
  if (r->priced_by_tier || r->revenue_usd_per_day > 0) print_money(s, r, out);
  /* Hourly prices, carbon or temperatures only count for the hours the
   * window lived through; a short window prices the day at those hours. */
  bool hourly = tou || strcmp(s->power.carbon_g_per_kwh_hourly, "none") != 0 ||
                (s->power.cooling == IC_COOLING_CHILLER && strcmp(s->power.outdoor_temp_c_hourly, "none") != 0);
  int uncovered = 0;
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) uncovered += r->hours[h].covered_s <= 0;
  if (hourly && uncovered)
    fprintf(out, "Note: hourly prices, carbon or temperatures apply, but the window covers only %d of 24 hours of the "
                 "day; run.duration_s = 86400 prices a whole day.\n", IC_HOURS_PER_DAY - uncovered);
}

/* One sentence on the requests longer than the model's context; false when
 * there were none. */
static bool over_context_text(const struct ic_scenario *s, const struct ic_run_result *r, char *buf, size_t size) {
  if (!r->over_context_requests) return false;
  bool reject = s->traffic.over_context == IC_OVER_CONTEXT_REJECT;
  uint64_t offered = r->offered_requests; /* in the window, before the limit */
  char n[5][64];
  snprintf(buf, size, "%s of %s requests (%.2f%%) had prompt + output above the model's %s tokens: %s "
           "(traffic.over_context = %s), %s prompt + %s output tokens %s",
           grouped((double)r->over_context_requests, n[0], sizeof n[0]), grouped((double)offered, n[1], sizeof n[1]),
           offered ? 100.0 * (double)r->over_context_requests / (double)offered : 0.0,
           grouped((double)r->context_max_tokens, n[2], sizeof n[2]),
           reject ? "rejected, not served, not in the cost per query" : "clamped to fit", reject ? "reject" : "clamp",
           grouped((double)r->over_context_prompt_tokens, n[3], sizeof n[3]),
           grouped((double)r->over_context_output_tokens, n[4], sizeof n[4]), reject ? "not served" : "cut");
  return true;
}

void ic_report_warn(const struct ic_scenario *s, const struct ic_run_result *r, FILE *err) {
  char text[512];
  if (over_context_text(s, r, text, sizeof text)) fprintf(err, "warning: %s\n", text);
  if (r->prefix_cache && r->prefix_requests == 0 && r->arrived > 0)
    fprintf(err, "warning: serving.prefix_cache: no request carried prefix blocks (a trace with hash ids, "
                 "traffic.system_prompts or traffic.session_turns): the cache did nothing\n");
}

void ic_report_print(const struct ic_scenario *s, const struct ic_run_result *r, FILE *out) {
  char prov[512], a[64], b[64], c[64], d[64], e[64];
  ic_report_provenance_run(s, r, prov, sizeof prov);
  fprintf(out, "# %s\n", prov);
  fprintf(out, "Simulated %.0f s after a %.0f s warm-up (simulated, not counted), scaled to one day (86,400 s).\n\n",
          r->span_s, r->warmup_s);
  const struct ic_server_spec *server = ic_hw_resolve_server(s->fleet.server, s->fleet.gpu);
  if (s->pool_count == 0)
    fprintf(out, "Fleet     %s %s nodes x %lld %s = %s GPUs; %s replicas of %s on %lld GPUs each\n",
            grouped((double)s->fleet.nodes, a, sizeof a), server ? server->name : s->fleet.server,
            (long long)s->fleet.gpus_per_node, s->fleet.gpu,
            grouped((double)r->gpus, b, sizeof b), grouped((double)r->replicas, c, sizeof c), s->model.name,
            (long long)s->fleet.gpus_per_replica);
  for (size_t i = 0; i < s->pool_count; i++) {
    struct ic_fleet_config fc;
    struct ic_serving_config sc;
    ic_scenario_pool(s, i, &fc, &sc);
    const struct ic_server_spec *ps = ic_hw_resolve_server(fc.server, fc.gpu);
    fprintf(out, "%s pool %s: %s %s nodes x %lld %s; replicas of %s on %lld GPUs; %s batching up to %lld\n",
            i ? "         " : "Fleet    ", s->pools[i].name, grouped((double)fc.nodes, a, sizeof a),
            ps ? ps->name : fc.server, (long long)fc.gpus_per_node, fc.gpu, s->model.name,
            (long long)fc.gpus_per_replica, sc.batching == IC_BATCHING_STATIC ? "static" : "continuous",
            (long long)sc.max_batch);
  }
  /* Only layouts other than plain tensor parallelism, so plain runs print as before. */
  const struct ic_perf_params *pp = &s->perf;
  bool speculative = strcmp(s->model.speculative_draft, "none") != 0;
  if (pp->pipeline_stages > 1 || pp->expert_parallel || pp->attention_data_parallel > 1 || speculative) {
    int64_t stage = s->fleet.gpus_per_replica / (pp->pipeline_stages > 0 ? pp->pipeline_stages : 1);
    fprintf(out, "Layout    %lld pipeline stage(s) x %lld GPUs (%lld micro-batches), attention in %lld group(s), "
            "experts %s",
            (long long)pp->pipeline_stages, (long long)stage, (long long)pp->pipeline_microbatches,
            (long long)pp->attention_data_parallel,
            pp->expert_parallel ? "spread over each stage (imbalance " : "split by tensor parallelism");
    if (pp->expert_parallel) fprintf(out, "%.3g)", pp->expert_imbalance);
    if (speculative)
      fprintf(out, "; speculative decoding: %s drafts %lld, acceptance %.3g", s->model.speculative_draft,
              (long long)s->model.speculative_tokens, s->model.speculative_acceptance);
    fprintf(out, "\n");
  }
  if (s->traffic.arrival == IC_ARRIVAL_TRACE) {
    /* what the trace held in the window, not the generator's keys */
    double n = (double)r->offered_requests;
    fprintf(out, "Traffic   trace %s: %s requests in the window (%s queries/day), mean %.1f prompt + %.1f output "
                 "tokens\n", s->traffic.trace_path, grouped(n, a, sizeof a),
            grouped(n * 86400.0 / r->span_s, b, sizeof b), n > 0 ? (double)r->offered_prompt_tokens / n : 0.0,
            n > 0 ? (double)r->offered_output_tokens / n : 0.0);
  } else {
    fprintf(out, "Traffic   %s queries/day offered, %lld prompt + %lld output tokens (%s)\n",
            grouped(s->traffic.queries_per_day, a, sizeof a), (long long)s->traffic.prompt_tokens,
            (long long)s->traffic.output_tokens, choice_text("traffic.arrival", s, b, sizeof b));
  }
  fprintf(out, "Serving   %s batching, up to %lld per batch, timeout %.3g s, router %s\n\n",
          choice_text("serving.batching", s, a, sizeof a), (long long)s->serving.max_batch,
          s->serving.batch_timeout_s, choice_text("serving.router", s, b, sizeof b));
  print_ledger(s, r, out);
  fprintf(out, "Latency, end to end            mean %.3f s, p50 %.3f s, p99 %.3f s\n", r->e2e_mean_s, r->e2e_p50_s,
          r->e2e_p99_s);
  fprintf(out, "Time to first token            mean %.3f s, p99 %.3f s\n", r->ttft_mean_s, r->ttft_p99_s);
  fprintf(out, "Time per output token          mean %.4f s, p99 %.4f s\n", r->tpot_mean_s, r->tpot_p99_s);
  fprintf(out, "Queueing delay                 mean %.3f s, p99 %.3f s\n", r->wait_mean_s, r->wait_p99_s);
  fprintf(out, "SLO attainment                 %.2f%% (TTFT, TPOT and any end-to-end targets met)\n",
          100.0 * r->slo_attainment);
  fprintf(out, "Throughput                     %.2f requests/s, %.0f output tokens/s (%.1f per GPU)\n",
          r->throughput_rps, r->output_tokens_per_s, r->output_tokens_per_gpu_s);
  if (r->class_count > 1)
    for (size_t k = 0; k < r->class_count; k++)
      fprintf(out, "  class %-12s %s done, TTFT p99 %.3f s, TPOT p99 %.4f s, e2e p99 %.3f s, SLO %.2f%%\n",
              r->classes[k].name, grouped((double)r->classes[k].completed, a, sizeof a), r->classes[k].ttft_p99_s,
              r->classes[k].tpot_p99_s, r->classes[k].e2e_p99_s, 100.0 * r->classes[k].slo_attainment);
  /* docs/metrics.md defines each utilisation figure. */
  fprintf(out, "Batch occupancy                %.1f%% of max_batch (time-averaged running requests); mean batch %.2f\n",
          100.0 * r->batch_occupancy, r->mean_batch_size);
  fprintf(out, "KV-cache occupancy             %.1f%% of capacity (time-averaged tokens reserved)\n",
          100.0 * r->kv_occupancy);
  fprintf(out, "MFU, MBU                       %.1f%%, %.1f%% (model FLOPs, bytes moved / peak of all GPUs)\n",
          100.0 * r->mfu, 100.0 * r->mbu);
  if (s->serving.batching == IC_BATCHING_STATIC)
    fprintf(out, "Replica time in batches        %.1f%% (min %.1f%%, max %.1f%% per replica)\n", 100.0 * r->utilisation,
            100.0 * r->utilisation_min, 100.0 * r->utilisation_max);
  fprintf(out, "Requests in the window         %s in flight at the start, %s arrived, %s completed, %s rejected, %s in "
               "flight at the end\n",
          grouped((double)r->in_flight_at_start, e, sizeof e), grouped((double)r->arrived, a, sizeof a),
          grouped((double)r->completed, b, sizeof b), grouped((double)r->rejected, c, sizeof c),
          grouped((double)r->in_flight_at_end, d, sizeof d));
  char longer[512];
  if (over_context_text(s, r, longer, sizeof longer)) fprintf(out, "%-31s%s\n", "Longer than the context", longer);
  for (size_t i = 0; i < r->pool_count && i < IC_RUN_MAX_POOLS; i++) {
    const struct ic_run_pool *rp = &r->pools[i];
    fprintf(out, "  pool %-10s %lld x %s: %s routed, %s done; USD %.2f/day, %.4f per M input, %.4f per M output; "
                 "batch %.1f%%, KV %.1f%%, MFU %.1f%%, MBU %.1f%%\n",
            rp->name, (long long)rp->gpus, rp->gpu, grouped((double)rp->routed, a, sizeof a),
            grouped((double)rp->completed, b, sizeof b), rp->usd_per_day, rp->usd_per_million_input_tokens,
            rp->usd_per_million_output_tokens, 100.0 * rp->batch_occupancy, 100.0 * rp->kv_occupancy, 100.0 * rp->mfu,
            100.0 * rp->mbu);
    fprintf(out, "  %-15s queueing mean %.4f s, p99 %.4f s; mean batch %.2f; replica time in iterations %.1f%%\n", "",
            rp->wait_mean_s, rp->wait_p99_s, rp->mean_batch_size, 100.0 * rp->utilisation);
  }
  if (r->pool_count > 1)
    fprintf(out, "  %-15s queueing mean %.4f s, p99 %.4f s (arrival to first admission); mean batch %.2f; replica "
                 "time in iterations %.1f%%\n", "fleet", r->wait_mean_s, r->wait_p99_s, r->mean_batch_size,
            100.0 * r->utilisation);
  if (r->transfers || r->transfer_waits)
    fprintf(out, "KV transfers                   %s (%.1f GB/day), time mean %.4f s, p50 %.4f s, p90 %.4f s, p99 %.4f s, "
                 "max %.4f s; %s waited for decode room\n",
            grouped((double)r->transfers, a, sizeof a), r->kv_gb_per_day, r->transfer_mean_s, r->transfer_p50_s,
            r->transfer_p90_s, r->transfer_p99_s, r->transfer_max_s, grouped((double)r->transfer_waits, b, sizeof b));
  if (r->preemptions || r->wakeups)
    fprintf(out, "Preemptions, node wake-ups     %s, %s\n", grouped((double)r->preemptions, a, sizeof a),
            grouped((double)r->wakeups, b, sizeof b));
  if (r->interruptions)
    fprintf(out, "Spot interruptions             %s nodes taken away, %s requests sent back to the queue "
            "(their running ones recompute: counted in the preemptions)\n",
            grouped((double)r->interruptions, a, sizeof a), grouped((double)r->requeued, b, sizeof b));
  if (!(r->stable > 0))
    fprintf(out, "Warning: the fleet is overloaded: queues grew through the window, so latency "
                 "depends on its length. Add replicas or raise serving.max_batch.\n");
}

/* One metric row: name, value, unit. */
#define METRIC_ROWS_MAX 128
struct metric_row {
  const char *name;
  double value;
  const char *unit;
};

static size_t metric_rows(const struct ic_run_result *r, struct metric_row *rows) {
  size_t n = 0;
#define ROW(name, v, unit) rows[n++] = (struct metric_row){name, v, unit}
  ROW("span_s", r->span_s, "s");
  ROW("warmup_s", r->warmup_s, "s");
  ROW("in_flight_at_start", (double)r->in_flight_at_start, "requests");
  ROW("arrived", (double)r->arrived, "requests");
  ROW("completed", (double)r->completed, "requests");
  ROW("in_flight_at_end", (double)r->in_flight_at_end, "requests");
  ROW("replicas", (double)r->replicas, "replicas");
  ROW("gpus", (double)r->gpus, "GPUs");
  ROW("queries_per_day", r->queries_per_day, "queries/day");
  ROW("output_tokens_per_day", r->output_tokens_per_day, "tokens/day");
  ROW("usd_per_query", r->usd_per_query, "USD");
  ROW("usd_per_million_output_tokens", r->usd_per_million_output_tokens, "USD");
  ROW("wh_per_query", r->wh_per_query, "Wh");
  ROW("gco2e_per_query", r->gco2e_per_query, "gCO2e");
  ROW("usd_per_day", r->cost.total_usd, "USD/day");
  ROW("energy_usd_per_day", r->cost.energy_usd, "USD/day");
  ROW("cooling_usd_per_day", r->cost.cooling_usd, "USD/day");
  ROW("amortization_usd_per_day", r->cost.amortization_usd, "USD/day");
  ROW("other_usd_per_day", r->cost.other_usd, "USD/day");
  ROW("rent_usd_per_day", r->cost.rent_usd, "USD/day");
  ROW("it_energy_kwh_per_day", r->cost.it_energy_kwh, "kWh/day");
  ROW("facility_energy_kwh_per_day", r->cost.facility_energy_kwh, "kWh/day");
  ROW("gco2e_per_day", r->cost.gco2e, "gCO2e/day");
  ROW("usd_per_million_input_tokens", r->usd_per_million_input_tokens, "USD");
  ROW("usd_per_million_input_tokens_by_time", r->usd_per_million_input_tokens_by_time, "USD");
  ROW("usd_per_million_output_tokens_by_time", r->usd_per_million_output_tokens_by_time, "USD");
  ROW("capex_usd", r->cost.capex_usd, "USD");
  ROW("e2e_mean_s", r->e2e_mean_s, "s");
  ROW("e2e_p50_s", r->e2e_p50_s, "s");
  ROW("e2e_p99_s", r->e2e_p99_s, "s");
  ROW("ttft_mean_s", r->ttft_mean_s, "s");
  ROW("ttft_p99_s", r->ttft_p99_s, "s");
  ROW("wait_mean_s", r->wait_mean_s, "s");
  ROW("wait_p99_s", r->wait_p99_s, "s");
  ROW("mean_batch_size", r->mean_batch_size, "requests");
  ROW("utilisation", r->utilisation, "fraction");
  ROW("batch_occupancy", r->batch_occupancy, "fraction");
  ROW("kv_occupancy", r->kv_occupancy, "fraction");
  ROW("mfu", r->mfu, "fraction");
  ROW("mbu", r->mbu, "fraction");
  ROW("service_time_batch1_s", r->service_time_batch1_s, "s");
  ROW("rejected", (double)r->rejected, "requests");
  ROW("preemptions", (double)r->preemptions, "requests");
  ROW("wakeups", (double)r->wakeups, "nodes");
  ROW("e2e_p90_s", r->e2e_p90_s, "s");
  ROW("e2e_p999_s", r->e2e_p999_s, "s");
  ROW("ttft_p50_s", r->ttft_p50_s, "s");
  ROW("ttft_p90_s", r->ttft_p90_s, "s");
  ROW("ttft_p999_s", r->ttft_p999_s, "s");
  ROW("tpot_mean_s", r->tpot_mean_s, "s");
  ROW("tpot_p50_s", r->tpot_p50_s, "s");
  ROW("tpot_p90_s", r->tpot_p90_s, "s");
  ROW("tpot_p99_s", r->tpot_p99_s, "s");
  ROW("tpot_p999_s", r->tpot_p999_s, "s");
  ROW("wait_p50_s", r->wait_p50_s, "s");
  ROW("wait_p90_s", r->wait_p90_s, "s");
  ROW("wait_p999_s", r->wait_p999_s, "s");
  ROW("slo_attainment", r->slo_attainment, "fraction");
  ROW("throughput_rps", r->throughput_rps, "requests/s");
  ROW("output_tokens_per_s", r->output_tokens_per_s, "tokens/s");
  ROW("output_tokens_per_gpu_s", r->output_tokens_per_gpu_s, "tokens/s");
  ROW("batch_p50", r->batch_p50, "requests");
  ROW("batch_p99", r->batch_p99, "requests");
  ROW("kv_frac_mean", r->kv_frac_mean, "fraction");
  ROW("kv_frac_p99", r->kv_frac_p99, "fraction");
  ROW("utilisation_min", r->utilisation_min, "fraction");
  ROW("utilisation_max", r->utilisation_max, "fraction");
  ROW("mean_in_system", r->mean_in_system, "requests");
  ROW("transfers", (double)r->transfers, "requests");
  ROW("transfer_waits", (double)r->transfer_waits, "requests");
  ROW("kv_gb_per_day", r->kv_gb_per_day, "GB/day");
  ROW("transfer_p50_s", r->transfer_p50_s, "s");
  ROW("transfer_p99_s", r->transfer_p99_s, "s");
  ROW("events", (double)r->events, "events");
  ROW("stable", r->stable, "1/0");
  ROW("over_context_requests", (double)r->over_context_requests, "requests");
  ROW("over_context_prompt_tokens", (double)r->over_context_prompt_tokens, "tokens");
  ROW("over_context_output_tokens", (double)r->over_context_output_tokens, "tokens");
  ROW("offered_requests", (double)r->offered_requests, "requests");
  ROW("offered_prompt_tokens", (double)r->offered_prompt_tokens, "tokens");
  ROW("offered_output_tokens", (double)r->offered_output_tokens, "tokens");
  if (r->prefix_cache) {
    ROW("prefix_token_hit_rate", r->prefix_token_hit_rate, "fraction");
    ROW("prefix_request_hit_rate", r->prefix_request_hit_rate, "fraction");
    ROW("prefix_hbm_token_hit_rate", r->prefix_tier_token_rate[0], "fraction");
    ROW("prefix_dram_token_hit_rate", r->prefix_tier_token_rate[1], "fraction");
    ROW("prefix_ssd_token_hit_rate", r->prefix_tier_token_rate[2], "fraction");
    ROW("prefix_hbm_request_hit_rate", r->prefix_tier_request_rate[0], "fraction");
    ROW("prefix_dram_request_hit_rate", r->prefix_tier_request_rate[1], "fraction");
    ROW("prefix_ssd_request_hit_rate", r->prefix_tier_request_rate[2], "fraction");
    ROW("prefill_tokens_saved_per_day", r->prefill_tokens_saved_per_day, "tokens/day");
    ROW("cached_input_tokens_per_day", r->cached_input_tokens_per_day, "tokens/day");
    ROW("uncached_input_tokens_per_day", r->uncached_input_tokens_per_day, "tokens/day");
    ROW("usd_per_million_cached_input_tokens", r->usd_per_million_cached_input_tokens, "USD");
    ROW("usd_per_million_uncached_input_tokens", r->usd_per_million_uncached_input_tokens, "USD");
  }
  if (r->pool_count) { /* the rest of the transfer-time distribution: runs with pools only */
    ROW("transfer_mean_s", r->transfer_mean_s, "s");
    ROW("transfer_p90_s", r->transfer_p90_s, "s");
    ROW("transfer_p999_s", r->transfer_p999_s, "s");
    ROW("transfer_max_s", r->transfer_max_s, "s");
  }
#undef ROW
  return n;
}

/* ledger.csv rows: the components only (their usd_per_day add up to the
 * total), each in one group, so a sum or a group-by never counts twice. */
struct ledger_row {
  const char *group, *item;
  double kwh, usd;
};

static size_t ledger_rows(const struct ic_run_result *r, struct ledger_row *rows) {
  const struct ic_daily_cost *c = &r->cost;
  size_t n = 0;
  rows[n++] = (struct ledger_row){"energy", "it_energy", c->it_energy_kwh, c->energy_usd};
  rows[n++] = (struct ledger_row){"energy", "cooling_facility", c->facility_energy_kwh - c->it_energy_kwh, c->cooling_usd};
  rows[n++] = (struct ledger_row){"capital", "amortization_server", 0.0, c->amort_server_usd};
  rows[n++] = (struct ledger_row){"capital", "amortization_gpu", 0.0, c->amort_gpu_usd};
  rows[n++] = (struct ledger_row){"capital", "amortization_network", 0.0, c->amort_network_usd};
  rows[n++] = (struct ledger_row){"capital", "amortization_facility", 0.0, c->amort_facility_usd};
  rows[n++] = (struct ledger_row){"opex", "maintenance", 0.0, c->maintenance_usd};
  rows[n++] = (struct ledger_row){"opex", "other_opex", 0.0, c->other_opex_usd};
  rows[n++] = (struct ledger_row){"opex", "rent", 0.0, c->rent_usd};
  /* Only when nodes were lent, so that the rows still add up to the total. */
  if (c->lent_credit_usd > 0) rows[n++] = (struct ledger_row){"opex", "lent_credit", 0.0, -c->lent_credit_usd};
  return n;
}

/* A named number for summary.json; not finite: null. */
struct json_number {
  const char *key;
  double v;
};

static void add_numbers(cJSON *o, const struct json_number *fields, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (isfinite(fields[i].v))
      cJSON_AddNumberToObject(o, fields[i].key, fields[i].v);
    else
      cJSON_AddNullToObject(o, fields[i].key);
  }
}

static char *summary_json(const struct ic_scenario *s, const struct ic_run_result *r) {
  char prov[512];
  ic_report_provenance_run(s, r, prov, sizeof prov);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "provenance", prov);
  cJSON *ledger = cJSON_AddObjectToObject(root, "ledger_usd_per_day");
  struct ledger_row lr[16];
  size_t nl = ledger_rows(r, lr);
  /* The components, with the amortization subtotal after its parts and the
   * total last, as summary.json has always listed them. */
  for (size_t i = 0; i < nl; i++) {
    cJSON_AddNumberToObject(ledger, lr[i].item, lr[i].usd);
    if (!strcmp(lr[i].item, "amortization_facility"))
      cJSON_AddNumberToObject(ledger, "amortization", r->cost.amortization_usd);
  }
  cJSON_AddNumberToObject(ledger, "total", r->cost.total_usd);
  cJSON *energy = cJSON_AddObjectToObject(root, "energy_kwh_per_day");
  cJSON_AddNumberToObject(energy, "it", r->cost.it_energy_kwh);
  cJSON_AddNumberToObject(energy, "facility", r->cost.facility_energy_kwh);
  cJSON_AddNumberToObject(root, "gco2e_per_day", r->cost.gco2e);
  cJSON_AddNumberToObject(root, "capex_usd", r->cost.capex_usd);
  cJSON_AddNumberToObject(root, "nameplate_kw", r->cost.nameplate_kw);
  if (r->priced_by_tier || r->revenue_usd_per_day > 0) {
    /* Only where tiers or token prices are used: other runs' files stay as they were. */
    cJSON *money = cJSON_AddObjectToObject(root, "money");
    const struct json_number fields[] = {
        {"revenue_usd_per_day", r->revenue_usd_per_day}, {"gross_margin", r->gross_margin},
        {"cost_to_revenue", r->cost_to_revenue}, {"usd_per_million_tokens_blended", r->usd_per_million_tokens_blended},
        {"owned_usd_per_day", r->owned_usd_per_day}, {"on_demand_usd_per_day", r->on_demand_usd_per_day},
        {"break_even_usd_per_gpu_hour", r->break_even_usd_per_gpu_hour}, {"held_fraction", r->held_fraction},
        {"break_even_held_fraction", r->break_even_held_fraction}, {"held_gpu_hours", r->cost.held_gpu_hours},
        {"rented_gpu_hours", r->cost.rented_gpu_hours}, {"reserved_usd", r->cost.reserved_usd},
        {"commitment_usd", r->cost.commitment_usd}, {"lent_credit_usd", r->cost.lent_credit_usd},
        {"interruptions", (double)r->interruptions}, {"requeued", (double)r->requeued}};
    add_numbers(money, fields, sizeof fields / sizeof fields[0]);
    if (r->priced_by_class) {
      cJSON *by_class = cJSON_AddArrayToObject(money, "classes");
      for (size_t i = 0; i < r->class_count; i++) {
        const struct ic_run_class *rc = &r->classes[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", rc->name);
        const struct json_number cf[] = {
            {"revenue_usd_per_day", rc->revenue_usd_per_day}, {"prompt_tokens_per_day", rc->prompt_tokens_per_day},
            {"cached_prompt_tokens_per_day", rc->cached_prompt_tokens_per_day},
            {"output_tokens_per_day", rc->output_tokens_per_day}, {"usd_per_m_input_tokens", rc->usd_per_m_input_tokens},
            {"usd_per_m_cached_input_tokens", rc->usd_per_m_cached_input_tokens},
            {"usd_per_m_output_tokens", rc->usd_per_m_output_tokens}};
        add_numbers(o, cf, sizeof cf / sizeof cf[0]);
        cJSON_AddItemToArray(by_class, o);
      }
    }
  }
  cJSON *metrics = cJSON_AddObjectToObject(root, "metrics");
  struct metric_row mr[METRIC_ROWS_MAX];
  size_t nm = metric_rows(r, mr);
  for (size_t i = 0; i < nm; i++) {
    if (isfinite(mr[i].value))
      cJSON_AddNumberToObject(metrics, mr[i].name, mr[i].value);
    else
      cJSON_AddNullToObject(metrics, mr[i].name);
  }
  cJSON *classes = cJSON_AddArrayToObject(root, "classes");
  for (size_t c = 0; c < r->class_count; c++) {
    const struct ic_run_class *rc = &r->classes[c];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", rc->name);
    const struct json_number fields[] = {{"completed", (double)rc->completed}, {"ttft_target_s", rc->ttft_target_s},
                  {"tpot_target_s", rc->tpot_target_s}, {"slo_attainment", rc->slo_attainment},
                  {"e2e_mean_s", rc->e2e_mean_s}, {"e2e_p99_s", rc->e2e_p99_s}, {"ttft_mean_s", rc->ttft_mean_s},
                  {"ttft_p99_s", rc->ttft_p99_s}, {"tpot_mean_s", rc->tpot_mean_s}, {"tpot_p99_s", rc->tpot_p99_s},
                  {"wait_mean_s", rc->wait_mean_s}, {"wait_p99_s", rc->wait_p99_s}};
    add_numbers(o, fields, sizeof fields / sizeof fields[0]);
    cJSON_AddItemToArray(classes, o);
  }
  if (r->pool_count) {
    cJSON *pools = cJSON_AddArrayToObject(root, "pools");
    for (size_t i = 0; i < r->pool_count && i < IC_RUN_MAX_POOLS; i++) {
      const struct ic_run_pool *rp = &r->pools[i];
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", rp->name);
      cJSON_AddStringToObject(o, "gpu", rp->gpu);
      const struct json_number fields[] = {{"nodes", (double)rp->nodes}, {"gpus", (double)rp->gpus}, {"replicas", (double)rp->replicas},
                    {"routed", (double)rp->routed}, {"completed", (double)rp->completed},
                    {"usd_per_day", rp->usd_per_day}, {"it_energy_kwh_per_day", rp->it_energy_kwh_per_day},
                    {"output_tokens_per_day", rp->output_tokens_per_day},
                    {"prompt_tokens_per_day", rp->prompt_tokens_per_day},
                    {"usd_per_million_output_tokens", rp->usd_per_million_output_tokens},
                    {"usd_per_million_input_tokens", rp->usd_per_million_input_tokens},
                    {"utilisation", rp->utilisation}, {"batch_occupancy", rp->batch_occupancy},
                    {"kv_occupancy", rp->kv_occupancy}, {"mfu", rp->mfu}, {"mbu", rp->mbu},
                    {"wait_mean_s", rp->wait_mean_s}, {"wait_p99_s", rp->wait_p99_s},
                    {"mean_batch_size", rp->mean_batch_size}};
      add_numbers(o, fields, sizeof fields / sizeof fields[0]);
      cJSON_AddItemToArray(pools, o);
    }
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  return text;
}

/* metrics.csv with pools: after the fleet's rows, each pool's as
 * pool.NAME.metric (a run without [pool.NAME] sections has none). */
static void write_pool_rows(FILE *f, const struct ic_run_result *r) {
  for (size_t i = 0; i < r->pool_count && i < IC_RUN_MAX_POOLS; i++) {
    const struct ic_run_pool *rp = &r->pools[i];
    const struct metric_row rows[] = {
        {"nodes", (double)rp->nodes, "nodes"}, {"gpus", (double)rp->gpus, "GPUs"},
        {"replicas", (double)rp->replicas, "replicas"}, {"routed", (double)rp->routed, "requests"},
        {"completed", (double)rp->completed, "requests"}, {"usd_per_day", rp->usd_per_day, "USD/day"},
        {"it_energy_kwh_per_day", rp->it_energy_kwh_per_day, "kWh/day"},
        {"output_tokens_per_day", rp->output_tokens_per_day, "tokens/day"},
        {"prompt_tokens_per_day", rp->prompt_tokens_per_day, "tokens/day"},
        {"usd_per_million_output_tokens", rp->usd_per_million_output_tokens, "USD"},
        {"usd_per_million_input_tokens", rp->usd_per_million_input_tokens, "USD"},
        {"utilisation", rp->utilisation, "fraction"}, {"batch_occupancy", rp->batch_occupancy, "fraction"},
        {"kv_occupancy", rp->kv_occupancy, "fraction"}, {"mfu", rp->mfu, "fraction"}, {"mbu", rp->mbu, "fraction"},
        {"wait_mean_s", rp->wait_mean_s, "s"}, {"wait_p99_s", rp->wait_p99_s, "s"},
        {"mean_batch_size", rp->mean_batch_size, "requests"}};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
      fprintf(f, "pool.%s.%s,%.9g,%s\n", rp->name, rows[k].name, rows[k].value, rows[k].unit);
  }
}

/* Writes `body` (or calls the CSV writer) to dir/name via a temporary file. */
enum output_kind { OUT_JSON, OUT_LEDGER, OUT_METRICS, OUT_HOURLY };

/* hourly.csv: the window by hour of day (time 0 is midnight; a run longer
 * than a day adds its days together; covered_s says how much time each
 * row holds). Not scaled: the rows add up to the window's totals. */
static void write_hourly(FILE *f, const struct ic_run_result *r) {
  fprintf(f, "hour,it_energy_kwh,facility_energy_kwh,energy_usd,cooling_usd,total_usd,gco2e,covered_s,fixed_usd,"
             "price_usd_per_kwh,carbon_g_per_kwh,outdoor_temp_c,cooling_cop\n");
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) {
    const struct ic_hour_cost *c = &r->hours[h];
    fprintf(f, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", h, c->it_energy_kwh,
            c->facility_energy_kwh, c->energy_usd, c->cooling_usd, c->total_usd, c->gco2e, c->covered_s, c->fixed_usd,
            c->price_usd_per_kwh, c->carbon_g_per_kwh, c->outdoor_temp_c, c->cooling_cop);
  }
}

struct report_out {
  const struct ic_scenario *s;
  const struct ic_run_result *r;
  enum output_kind kind;
};

static ic_status fill_one(FILE *f, void *ctx) {
  const struct report_out *o = ctx;
  const struct ic_scenario *s = o->s;
  const struct ic_run_result *r = o->r;
  if (o->kind == OUT_JSON) {
    char *text = summary_json(s, r);
    bool ok = text && fprintf(f, "%s\n", text) >= 0;
    cJSON_free(text);
    return ok ? IC_OK : IC_ENOMEM;
  } else if (o->kind == OUT_LEDGER) {
    struct ledger_row rows[16];
    size_t n = ledger_rows(r, rows);
    fputs("group,item,kwh_per_day,usd_per_day\n", f);
    for (size_t i = 0; i < n; i++)
      fprintf(f, "%s,%s,%.6f,%.6f\n", rows[i].group, rows[i].item, rows[i].kwh, rows[i].usd);
  } else if (o->kind == OUT_HOURLY) {
    write_hourly(f, r);
  } else {
    struct metric_row rows[METRIC_ROWS_MAX];
    size_t n = metric_rows(r, rows);
    fputs("metric,value,unit\n", f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s,%.9g,%s\n", rows[i].name, rows[i].value, rows[i].unit);
    write_pool_rows(f, r);
  }
  return IC_OK;
}

static bool write_one(const struct ic_scenario *s, const struct ic_run_result *r, const char *dir, const char *name,
                      enum output_kind kind) {
  char *path = ic_out_join(dir, name);
  struct report_out o = {s, r, kind};
  bool ok = path && ic_out_write(path, fill_one, &o) == IC_OK;
  free(path);
  return ok;
}

/* The files of a run's output directory, for provenance.json. */
static const struct ic_meta_file run_files[] = {
    {"summary.json", "headline figures, the ledger by item and per-class latency"},
    {"ledger.csv", "per-day cost by component (group energy, capital or opex); usd_per_day sums to the total"},
    {"metrics.csv", "every headline metric: metric, value, unit"},
    {"hourly.csv", "the window by hour of day, not scaled to a day"},
    {"timeseries.csv", "one row per run.series_interval_s: arrivals, completions, queue, busy replicas, power"},
    {"distributions.csv", "iterations by batch size and by KV-cache fraction reserved"},
};

ic_status ic_report_write_dir(const struct ic_scenario *s, const struct ic_run_result *r, const char *dir) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    ic_diag(dir, 0, "cannot create output directory: %s", strerror(errno));
    return IC_EIO;
  }
  if (!write_one(s, r, dir, "summary.json", OUT_JSON) || !write_one(s, r, dir, "ledger.csv", OUT_LEDGER) ||
      !write_one(s, r, dir, "metrics.csv", OUT_METRICS) || !write_one(s, r, dir, "hourly.csv", OUT_HOURLY))
    return IC_EIO;
  /* timeseries.csv and distributions.csv come from the run itself. */
  struct ic_meta_file present[sizeof run_files / sizeof run_files[0]];
  size_t n = 0;
  for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, run_files[i].name);
    if (stat(path, &st) == 0) present[n++] = run_files[i];
  }
  struct ic_meta m = {.command = "run", .scenario = s, .digest = run_digest(s, r), .trace_hash = r->input_hash};
  return ic_meta_write_dir(dir, &m, present, n);
}

char *ic_report_json(const struct ic_scenario *s, const struct ic_run_result *r) { return summary_json(s, r); }

static ic_status fill_text(FILE *f, void *ctx) { return fputs(ctx, f) >= 0 ? IC_OK : IC_EIO; }

ic_status ic_report_write_text(const char *dir, const char *name, const char *text) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    ic_diag(dir, 0, "cannot create output directory: %s", strerror(errno));
    return IC_EIO;
  }
  char *path = ic_out_join(dir, name);
  ic_status st = path ? ic_out_write(path, fill_text, (void *)(uintptr_t)text) : IC_ENOMEM;
  free(path);
  return st;
}

const char *ic_report_thousands(double v, char *buf, size_t size) { return grouped(v, buf, size); }
