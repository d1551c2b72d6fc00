/* cost_price.c: turns the ledger's energy into money and carbon: hourly
 * tariffs, cooling (PUE, chiller, fixed), capital and opex. Formulas and
 * sources: docs/cost-model.md. */
#include "infercost/cost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define J_PER_KWH 3.6e6
#define DAYS_PER_YEAR 365.0

ic_status ic_cost_parse_hourly(const char *text, double flat, double min, double out[IC_HOURS_PER_DAY],
                               char *err, size_t err_size) {
  if (strcmp(text, "none") == 0) {
    for (int h = 0; h < IC_HOURS_PER_DAY; h++) out[h] = flat;
    return IC_OK;
  }
  const char *p = text;
  int n = 0;
  for (;;) {
    char *end;
    double v = strtod(p, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (end == p || (*end != '|' && *end != '\0') || !isfinite(v) || v < min) {
      size_t len = strcspn(p, "|");
      snprintf(err, err_size, "item %d: expected a number >= %g, got '%.*s'", n + 1, min, (int)len, p);
      return IC_EINVAL;
    }
    if (n < IC_HOURS_PER_DAY) out[n] = v;
    n++;
    if (*end == '\0') break;
    p = end + 1;
  }
  if (n != IC_HOURS_PER_DAY) {
    snprintf(err, err_size, "expected 24 '|'-separated values (one per hour from midnight), got %d", n);
    return IC_EINVAL;
  }
  return IC_OK;
}

ic_status ic_tariff_resolve(const struct ic_power_config *p, struct ic_tariff *t, char *err, size_t err_size) {
  char why[160];
  struct {
    const char *key, *text;
    double flat, min, *out;
  } lists[] = {
      {"power.electricity_usd_per_kwh_hourly", p->electricity_usd_per_kwh_hourly, p->electricity_usd_per_kwh, 0,
       t->price_usd_per_kwh},
      {"power.carbon_g_per_kwh_hourly", p->carbon_g_per_kwh_hourly, p->carbon_g_per_kwh, 0, t->carbon_g_per_kwh},
      {"power.outdoor_temp_c_hourly", p->outdoor_temp_c_hourly, p->outdoor_temp_c, -273.15, t->outdoor_temp_c},
  };
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
    if (ic_cost_parse_hourly(lists[i].text, lists[i].flat, lists[i].min, lists[i].out, why, sizeof why) != IC_OK) {
      snprintf(err, err_size, "%s: %s", lists[i].key, why);
      return IC_EINVAL;
    }
  }
  return IC_OK;
}

static double or_catalogue(double configured, double catalogue) { return isnan(configured) ? catalogue : configured; }

struct ic_gpu_power ic_cost_gpu_power(const struct ic_power_config *p, double cat_idle_w, double cat_prefill_w,
                                      double cat_decode_w, double cat_max_w) {
  struct ic_gpu_power g = {{0}};
  g.watts[IC_GPU_IDLE] = or_catalogue(p->gpu_idle_w, cat_idle_w);
  if (p->model == IC_POWER_UTILISATION) {
    double idle = g.watts[IC_GPU_IDLE], span = or_catalogue(p->gpu_max_w, cat_max_w) - idle;
    g.watts[IC_GPU_PREFILL] = idle + span * pow(p->prefill_utilisation, p->util_exponent);
    g.watts[IC_GPU_DECODE] = idle + span * pow(p->decode_utilisation, p->util_exponent);
  } else {
    g.watts[IC_GPU_PREFILL] = or_catalogue(p->gpu_prefill_w, cat_prefill_w);
    g.watts[IC_GPU_DECODE] = or_catalogue(p->gpu_decode_w, cat_decode_w);
  }
  g.watts[IC_GPU_OFF] = 0.0; /* the power-down policy sets its own off draw */
  return g;
}

struct ic_load_power ic_cost_load_power(const struct ic_power_config *p, double idle_w, double cat_max_w) {
  return (struct ic_load_power){p->model == IC_POWER_LOAD, idle_w, or_catalogue(p->gpu_max_w, cat_max_w),
                                p->load_compute_weight, p->load_memory_weight};
}

double ic_cost_load_w(const struct ic_load_power *g, double mfu, double mbu) {
  double activity = g->compute_weight * mfu + g->memory_weight * mbu;
  return g->idle_w + (g->max_w - g->idle_w) * fmin(1.0, fmax(0.0, activity));
}

double ic_cost_chiller_cop(const struct ic_power_config *p, double t_c) {
  double cop = p->chiller_cop_ref - p->chiller_cop_slope_per_c * (t_c - p->chiller_t_ref_c);
  return fmin(fmax(cop, p->chiller_cop_min), p->chiller_cop_max);
}

double ic_cost_capital_recovery(int method, double rate, double years) {
  /* 1 - (1 + r)^-n written with expm1/log1p so that small rates tend to 1/n
   * instead of losing their digits to cancellation. */
  if (method == IC_AMORT_ANNUITY && rate > 0) return rate / -expm1(-years * log1p(rate));
  return 1.0 / years;
}

const char *ic_cost_check(const struct ic_cost_config *c, int64_t nodes, int64_t nodes_per_replica, char *err,
                          size_t err_size) {
  bool rent = c->pricing == IC_PRICING_RENT;
  if (c->reserved_nodes > 0 && !rent) {
    snprintf(err, err_size, "%lld reserved nodes need pricing = rent (an owned node is paid for already)",
             (long long)c->reserved_nodes);
    return "reserved_nodes";
  }
  if (c->reserved_nodes > nodes) {
    snprintf(err, err_size, "%lld is more than the %lld nodes there are", (long long)c->reserved_nodes,
             (long long)nodes);
    return "reserved_nodes";
  }
  if (nodes_per_replica > 1 && c->reserved_nodes % nodes_per_replica != 0) {
    snprintf(err, err_size, "%lld: a replica spans %lld nodes, so reserve whole replicas (a multiple of %lld)",
             (long long)c->reserved_nodes, (long long)nodes_per_replica, (long long)nodes_per_replica);
    return "reserved_nodes";
  }
  if (c->idle_node == IC_IDLE_RELEASED && !rent) {
    snprintf(err, err_size, "released needs pricing = rent (an owned node cannot be handed back; lent or kept)");
    return "idle_node";
  }
  if (c->idle_node == IC_IDLE_LENT && rent) {
    snprintf(err, err_size, "lent needs pricing = own (a rented node is released, not lent)");
    return "idle_node";
  }
  return NULL;
}

double ic_cost_reserved_rate(const struct ic_cost_config *c) {
  return isnan(c->reserved_usd_per_gpu_hour) ? c->rent_usd_per_gpu_hour * (1.0 - c->reserved_discount)
                                             : c->reserved_usd_per_gpu_hour;
}

/* Rent per day by tier: reserved GPUs all day at the reserved rate; the
 * rest at on-demand or spot, all day (kept) or for the hours held, each
 * spell rounded up to the billing increment (released). `l` holds the
 * pool's nodes as the ledger groups them (a replica across nodes is one). */
static void price_rent(const struct ic_cost_fleet *f, const struct ic_cost_config *c, const ic_ledger *l,
                       double span_s, struct ic_daily_cost *d) {
  double gpus = (double)f->nodes * (double)f->gpus_per_node;
  double reserved_gpus = (double)c->reserved_nodes * (double)f->gpus_per_node, burst_gpus = gpus - reserved_gpus;
  double rate = c->burst_tier == IC_TIER_SPOT ? c->rent_usd_per_gpu_hour * (1.0 - c->spot_discount)
                                              : c->rent_usd_per_gpu_hour;
  double burst_usd;
  if (c->idle_node == IC_IDLE_RELEASED) {
    /* Ledger nodes are groups of nodes_per_group physical nodes: the
     * reserved ones are the first reserved_nodes / nodes_per_group. */
    int64_t per_group = f->nodes / ic_ledger_node_count(l);
    double billed_h = ic_ledger_held_gpu_s(l, c->reserved_nodes / per_group, true) / 3600.0 * 86400.0 / span_s;
    burst_usd = billed_h * rate;
    d->rented_gpu_hours = reserved_gpus * 24.0 + billed_h;
  } else {
    burst_usd = burst_gpus * rate * 24.0;
    d->rented_gpu_hours = gpus * 24.0;
  }
  double reserved_rate = ic_cost_reserved_rate(c);
  d->reserved_usd = reserved_gpus * reserved_rate * 24.0;
  d->reserved_gpu_hours = reserved_gpus * 24.0;
  d->commitment_usd = reserved_gpus * reserved_rate * 24.0 * DAYS_PER_YEAR * c->reserved_years;
  /* Reserved first, as 0 + burst when there is none: the old figure to the bit. */
  d->rent_usd = d->reserved_usd + burst_usd;
}

/* Capital per day by component, maintenance and rent. */
static void price_capital(const struct ic_cost_fleet *f, const struct ic_cost_config *c, const ic_ledger *l,
                          double span_s, struct ic_daily_cost *d) {
  double nodes = (double)f->nodes, gpus = nodes * (double)f->gpus_per_node;
  double server = nodes * (f->server_price_usd + c->cpu_usd_per_node + c->storage_usd_per_node);
  double gpu = gpus * c->gpu_price_usd;
  double network = nodes * c->network_usd_per_node;
  d->nameplate_kw = nodes * f->nameplate_node_w / 1000.0;
  double facility = d->nameplate_kw * c->facility_usd_per_kw;
  d->capex_usd = server + gpu + network + facility;
  d->other_opex_usd = c->other_opex_usd_per_day;
  if (c->pricing == IC_PRICING_RENT) {
    /* A rented GPU-hour includes the server, power, cooling and building. */
    price_rent(f, c, l, span_s, d);
  } else {
    int m = c->amortization;
    double r = c->cost_of_capital;
    d->amort_server_usd = server * ic_cost_capital_recovery(m, r, c->amortization_years) / DAYS_PER_YEAR;
    d->amort_gpu_usd = gpu * ic_cost_capital_recovery(m, r, c->gpu_life_years) / DAYS_PER_YEAR;
    d->amort_network_usd = network * ic_cost_capital_recovery(m, r, c->network_life_years) / DAYS_PER_YEAR;
    d->amort_facility_usd = facility * ic_cost_capital_recovery(m, r, c->facility_life_years) / DAYS_PER_YEAR;
    d->maintenance_usd = d->capex_usd * c->maintenance_frac_per_year / DAYS_PER_YEAR;
  }
  d->amortization_usd = d->amort_server_usd + d->amort_gpu_usd + d->amort_network_usd + d->amort_facility_usd;
  d->held_gpu_hours = ic_ledger_held_gpu_s(l, 0, false) / 3600.0 * 86400.0 / span_s;
  if (c->pricing == IC_PRICING_OWN && c->idle_node == IC_IDLE_LENT && gpus > 0) {
    /* The hours a node is away, its capital (amortization and maintenance)
     * is the borrower's, in the share agreed. */
    double away = 1.0 - d->held_gpu_hours / (gpus * 24.0);
    d->lent_credit_usd = c->lent_share * fmax(away, 0.0) * (d->amortization_usd + d->maintenance_usd);
  }
  /* Rent counts as "other" so that energy + cooling + amortization + other
   * is always the total (the four parts plots stack); a lent node's capital
   * paid by its borrower comes off it. */
  d->other_usd = d->maintenance_usd + d->other_opex_usd + d->rent_usd;
  if (d->lent_credit_usd > 0) d->other_usd -= d->lent_credit_usd;
}

/* Simulated seconds of [start_s, start_s + span_s) that fall in each hour
 * of the day: those of [0, end) less those of [0, start). */
static void hour_coverage(double start_s, double span_s, double covered[IC_HOURS_PER_DAY]) {
  double x[2] = {start_s + span_s, start_s};
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) covered[h] = 0.0;
  for (int i = 0; i < 2; i++) {
    double whole_days = floor(x[i] / 86400.0), rest = x[i] - whole_days * 86400.0;
    for (int h = 0; h < IC_HOURS_PER_DAY; h++)
      covered[h] += (i ? -1.0 : 1.0) * (whole_days * 3600.0 + fmin(fmax(rest - 3600.0 * h, 0.0), 3600.0));
  }
}

/* Facility energy (kWh) of one hour-of-day row with IT energy it_kwh. */
static double facility_kwh(const struct ic_power_config *p, double it_kwh, double cop, double covered_s,
                           int64_t nodes) {
  switch (p->cooling) {
    case IC_COOLING_CHILLER:
      return it_kwh * (1.0 + 1.0 / cop + p->facility_overhead_frac);
    case IC_COOLING_FIXED:
      return it_kwh * (1.0 + p->facility_overhead_frac) +
             (double)nodes * p->cooling_w_per_node * covered_s / J_PER_KWH;
    default:
      return it_kwh * p->pue;
  }
}

void ic_cost_ledger(const ic_ledger *l, double span_s, const struct ic_cost_fleet *fleet,
                    const struct ic_power_config *power, const struct ic_tariff *tariff,
                    const struct ic_cost_config *cost, struct ic_daily_cost *day,
                    struct ic_hour_cost hours[IC_HOURS_PER_DAY]) {
  ic_cost_ledger_window(l, 0.0, span_s, fleet, power, tariff, cost, day, hours);
}

void ic_cost_ledger_window(const ic_ledger *l, double start_s, double span_s, const struct ic_cost_fleet *fleet,
                           const struct ic_power_config *power, const struct ic_tariff *tariff,
                           const struct ic_cost_config *cost, struct ic_daily_cost *day,
                           struct ic_hour_cost hours[IC_HOURS_PER_DAY]) {
  struct ic_daily_cost d = {0};
  price_capital(fleet, cost, l, span_s, &d);
  double fixed_per_day = d.amortization_usd + d.other_usd;
  bool rent = cost->pricing == IC_PRICING_RENT;
  double covered[IC_HOURS_PER_DAY];
  hour_coverage(start_s, span_s, covered);
  double scale = 86400.0 / span_s;
  double it_sum = 0, fac_sum = 0, energy_sum = 0, cooling_sum = 0, carbon_sum = 0;
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) {
    struct ic_hour_cost r = {0};
    r.covered_s = covered[h];
    r.price_usd_per_kwh = tariff->price_usd_per_kwh[h];
    r.carbon_g_per_kwh = tariff->carbon_g_per_kwh[h];
    r.outdoor_temp_c = tariff->outdoor_temp_c[h];
    r.cooling_cop = power->cooling == IC_COOLING_CHILLER ? ic_cost_chiller_cop(power, r.outdoor_temp_c) : (double)NAN;
    r.it_energy_kwh = ic_ledger_hour_energy_j(l, h) / J_PER_KWH;
    r.facility_energy_kwh = facility_kwh(power, r.it_energy_kwh, r.cooling_cop, r.covered_s, fleet->nodes);
    if (!rent) {
      r.energy_usd = r.it_energy_kwh * r.price_usd_per_kwh;
      r.cooling_usd = (r.facility_energy_kwh - r.it_energy_kwh) * r.price_usd_per_kwh;
    }
    r.fixed_usd = fixed_per_day * r.covered_s / 86400.0;
    r.total_usd = r.energy_usd + r.cooling_usd + r.fixed_usd;
    r.gco2e = r.facility_energy_kwh * r.carbon_g_per_kwh;
    it_sum += r.it_energy_kwh;
    fac_sum += r.facility_energy_kwh;
    energy_sum += r.energy_usd;
    cooling_sum += r.cooling_usd;
    carbon_sum += r.gco2e;
    if (hours) hours[h] = r;
  }
  d.it_energy_kwh = it_sum * scale;
  d.facility_energy_kwh = fac_sum * scale;
  d.energy_usd = energy_sum * scale;
  d.cooling_usd = cooling_sum * scale;
  d.gco2e = carbon_sum * scale;
  d.total_usd = d.energy_usd + d.cooling_usd + fixed_per_day;
  *day = d;
}
