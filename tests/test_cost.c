/* test_cost.c: the power ledger and the per-day prices against hand sums. */
#include "ic_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "infercost/cost.h"

/* [power] with every option at its plain setting: phase model, PUE 1,
 * flat price and carbon, no lists. */
static struct ic_power_config base_power(void) {
  struct ic_power_config p = {
      .gpu_idle_w = (double)NAN, .gpu_prefill_w = (double)NAN, .gpu_decode_w = (double)NAN,
      .node_base_w = (double)NAN, .pue = 1.0, .electricity_usd_per_kwh = 0.1, .model = IC_POWER_PHASE,
      .gpu_max_w = (double)NAN, .util_exponent = 1.0, .prefill_utilisation = 1.0, .decode_utilisation = 0.55,
      .cpus_per_node = 0, .cpu_w = 0.0, .cooling = IC_COOLING_PUE, .chiller_cop_ref = 5.5,
      .chiller_t_ref_c = 25.0, .chiller_cop_slope_per_c = 0.15, .chiller_cop_min = 2.0, .chiller_cop_max = 10.0,
      .outdoor_temp_c = 20.0, .outdoor_temp_c_hourly = "none", .facility_overhead_frac = 0.0,
      .cooling_w_per_node = 0.0, .electricity_usd_per_kwh_hourly = "none", .carbon_g_per_kwh = 0.0,
      .carbon_g_per_kwh_hourly = "none"};
  return p;
}

/* [cost]: owned, straight line, nothing but the server price. */
static struct ic_cost_config bare_cost(void) {
  struct ic_cost_config c = {
      .server_price_usd = (double)NAN, .amortization_years = 5.0, .pricing = IC_PRICING_OWN,
      .amortization = IC_AMORT_STRAIGHT, .cost_of_capital = 0.0, .cpu_usd_per_node = 0.0,
      .storage_usd_per_node = 0.0, .gpu_price_usd = 0.0, .gpu_life_years = 5.0, .network_usd_per_node = 0.0,
      .network_life_years = 5.0, .facility_usd_per_kw = 0.0, .facility_life_years = 15.0,
      .maintenance_frac_per_year = 0.0, .other_opex_usd_per_day = 0.0, .rent_usd_per_gpu_hour = 0.0};
  return c;
}

/* Resolves the tariff from `p` and prices the flushed ledger. */
static void price(const ic_ledger *l, double span_s, const struct ic_cost_fleet *f, const struct ic_power_config *p,
                  const struct ic_cost_config *c, struct ic_daily_cost *d, struct ic_hour_cost *hours) {
  struct ic_tariff t;
  char err[256];
  assert_int_equal(ic_tariff_resolve(p, &t, err, sizeof err), IC_OK);
  ic_cost_ledger(l, span_s, f, p, &t, c, d, hours);
}

/* Two nodes of 8 GPUs, base 512.5 W per node, GPU idle 63 W, prefill 400 W,
 * decode 250 W, over a 2-hour window:
 *   node 0: 8 GPUs prefill from t=600 s to 900 s, decode 900 s to 4500 s;
 *   node 1: 4 GPUs decode from 1800 s to 5400 s, idle otherwise.
 * Hand sum (joules):
 *   node 0: base 512.5*7200 = 3,690,000; idle 8*63*7200 = 3,628,800;
 *           prefill extra 8*(400-63)*300 = 808,800; decode extra 8*(250-63)*3600 = 5,385,600
 *           total 13,513,200
 *   node 1: base 3,690,000; idle 3,628,800; decode extra 4*187*3600 = 2,692,800
 *           total 10,011,600
 *   IT energy 23,524,800 J = 6.534666... kWh over 2 h -> x12 = 78.416 kWh/day. */
static void hand_computed_two_node_ledger(void **state) {
  (void)state;
  struct ic_gpu_power gp = {{63.0, 400.0, 250.0}};
  ic_ledger *l = ic_ledger_alloc(2, 8, 512.5, &gp, 0);
  const ic_time_ns s = IC_NS_PER_S;
  ic_ledger_set_state(l, 0, 8, IC_GPU_IDLE, IC_GPU_PREFILL, 600 * s);
  ic_ledger_set_state(l, 0, 8, IC_GPU_PREFILL, IC_GPU_DECODE, 900 * s);
  ic_ledger_set_state(l, 1, 4, IC_GPU_IDLE, IC_GPU_DECODE, 1800 * s);
  ic_ledger_set_state(l, 0, 8, IC_GPU_DECODE, IC_GPU_IDLE, 4500 * s);
  ic_ledger_set_state(l, 1, 4, IC_GPU_DECODE, IC_GPU_IDLE, 5400 * s);
  ic_ledger_flush(l, 7200 * s);
  assert_true(fabs(ic_ledger_node_energy_j(l, 0) - 13513200.0) < 1e-6);
  assert_true(fabs(ic_ledger_node_energy_j(l, 1) - 10011600.0) < 1e-6);
  assert_true(fabs(ic_ledger_it_energy_j(l) - 23524800.0) < 1e-6);
  /* GPU energy by state: prefill 8*400*300 = 960,000 J. */
  assert_true(fabs(ic_ledger_gpu_state_energy_j(l, IC_GPU_PREFILL) - 960000.0) < 1e-6);

  /* Prices: PUE 1.25, flat $0.0925/kWh; 2 servers at $187,500 over 4 years,
   * straight line, nothing else.
   *   IT 78.416 kWh/day x 0.0925 = $7.25348 -> 7.25
   *   cooling 0.25 x 78.416 x 0.0925 = $1.81337 -> 1.81
   *   amortization 2 x 187,500 / (4 x 365) = $256.849315 -> 256.85
   *   total $265.916168 -> 265.92 */
  struct ic_power_config pc = base_power();
  pc.pue = 1.25;
  pc.electricity_usd_per_kwh = 0.0925;
  struct ic_cost_config cc = bare_cost();
  cc.amortization_years = 4.0;
  struct ic_cost_fleet fleet = {2, 8, 187500.0, 0.0};
  struct ic_daily_cost d;
  price(l, 7200.0, &fleet, &pc, &cc, &d, NULL);
  assert_true(fabs(d.it_energy_kwh - 78.416) < 1e-9);
  assert_int_equal(lround(d.energy_usd * 100), 725);
  assert_int_equal(lround(d.cooling_usd * 100), 181);
  assert_int_equal(lround(d.amortization_usd * 100), 25685);
  assert_int_equal(lround(d.total_usd * 100), 26592);
  ic_ledger_free(l);
}

/* A ledger with no state changes draws idle power only. */
static void idle_fleet_draws_idle_power(void **state) {
  (void)state;
  struct ic_gpu_power gp = {{75.0, 700.0, 380.0}};
  ic_ledger *l = ic_ledger_alloc(3, 8, 4600.0, &gp, 0);
  ic_ledger_flush(l, 3600 * IC_NS_PER_S);
  /* 3 x (4600 + 8 x 75) W x 3600 s = 56,160,000 J */
  assert_true(fabs(ic_ledger_it_energy_j(l) - 56160000.0) < 1e-6);
  ic_ledger_free(NULL);
  ic_ledger_free(l);
}

/* One node of 4 GPUs (base 500 W, idle 60 W, off 2 W per GPU, node off
 * 20 W) powered down from 1000 s to 3000 s of a 3600 s window:
 *   on 1600 s x (500 + 4 x 60) = 1,184,000 J; off 2000 s x (20 + 4 x 2) = 56,000 J. */
static void powered_down_node_draws_off_power(void **state) {
  (void)state;
  struct ic_gpu_power gp = {{60.0, 400.0, 250.0, 2.0}};
  ic_ledger *l = ic_ledger_alloc(1, 4, 500.0, &gp, 0);
  ic_ledger_set_off_power(l, 20.0);
  ic_ledger_set_node_off(l, 0, true, 1000 * IC_NS_PER_S);
  assert_true(ic_ledger_node_is_off(l, 0));
  assert_true(fabs(ic_ledger_power_w(l) - 28.0) < 1e-9);
  ic_ledger_set_node_off(l, 0, true, 1500 * IC_NS_PER_S); /* already off: no change */
  ic_ledger_set_node_off(l, 0, false, 3000 * IC_NS_PER_S);
  assert_false(ic_ledger_node_is_off(l, 0));
  ic_ledger_flush(l, 3600 * IC_NS_PER_S);
  assert_true(fabs(ic_ledger_it_energy_j(l) - 1240000.0) < 1e-6);
  assert_true(fabs(ic_ledger_gpu_state_energy_j(l, IC_GPU_OFF) - 4 * 2.0 * 2000) < 1e-6);
  ic_ledger_free(l);
}

/* Conservation over a busy, irregular 30-hour window (crosses midnight):
 * per-node sums = IT energy, hour-of-day bins (integrated separately from
 * the fleet's total power) = IT energy, facility = IT x PUE. The state
 * changes come from a fixed linear congruential sequence (no RNG module). */
static void energy_is_conserved(void **state) {
  (void)state;
  struct ic_gpu_power gp = {{63.0, 400.0, 250.0, 9.5}};
  const int64_t nodes = 7, gpus = 8;
  ic_ledger *l = ic_ledger_alloc(nodes, gpus, 3300.0, &gp, 0);
  ic_ledger_set_off_power(l, 41.25);
  int64_t busy[7][3] = {{0}}; /* GPUs per node in idle-excluded states: prefill, decode, (off flag) */
  uint64_t x = 2385;
  ic_time_ns now = 0, end = (ic_time_ns)30 * 3600 * IC_NS_PER_S;
  while (now < end) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    now += (ic_time_ns)((x >> 33) % (ic_time_ns)(900 * IC_NS_PER_S));
    if (now >= end) break;
    int64_t n = (int64_t)((x >> 20) % (uint64_t)nodes);
    int op = (int)((x >> 12) % 5);
    if (busy[n][2]) { /* off: the only move is to wake */
      ic_ledger_set_node_off(l, n, false, now);
      busy[n][2] = 0;
    } else if (op == 0 && busy[n][0] == 0 && busy[n][1] == 0) {
      ic_ledger_set_node_off(l, n, true, now);
      busy[n][2] = 1;
    } else if (op == 1 && busy[n][0] + busy[n][1] < gpus) {
      ic_ledger_set_state(l, n, 1, IC_GPU_IDLE, IC_GPU_PREFILL, now);
      busy[n][0]++;
    } else if (op == 2 && busy[n][0] > 0) {
      ic_ledger_set_state(l, n, 1, IC_GPU_PREFILL, IC_GPU_DECODE, now);
      busy[n][0]--;
      busy[n][1]++;
    } else if (busy[n][1] > 0) {
      ic_ledger_set_state(l, n, 1, IC_GPU_DECODE, IC_GPU_IDLE, now);
      busy[n][1]--;
    }
  }
  ic_ledger_flush(l, end);
  double node_sum = 0, hour_sum = 0, state_sum = 0, gpu_s = 0;
  for (int64_t n = 0; n < nodes; n++) node_sum += ic_ledger_node_energy_j(l, n);
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) hour_sum += ic_ledger_hour_energy_j(l, h);
  for (int st = 0; st < IC_GPU_STATE_COUNT; st++) {
    state_sum += ic_ledger_gpu_state_energy_j(l, (enum ic_gpu_state)st);
    gpu_s += ic_ledger_gpu_state_s(l, (enum ic_gpu_state)st);
  }
  double it = ic_ledger_it_energy_j(l);
  assert_true(it > 1e8);
  assert_true(fabs(node_sum - it) <= 1e-12 * it);
  assert_true(fabs(hour_sum - it) <= 1e-9 * it);
  /* GPU-seconds: every GPU is in exactly one state all the time. */
  assert_true(fabs(gpu_s - (double)(nodes * gpus) * 30 * 3600) <= 1e-9 * gpu_s);
  assert_true(state_sum < it);
  /* Hours 0..5 were lived twice (0-24 h and 24-30 h), so they hold more. */
  struct ic_power_config pc = base_power();
  pc.pue = 1.37;
  struct ic_cost_config cc = bare_cost();
  struct ic_cost_fleet fleet = {nodes, gpus, 1000.0, 0.0};
  struct ic_daily_cost d;
  struct ic_hour_cost hours[IC_HOURS_PER_DAY];
  price(l, 30 * 3600.0, &fleet, &pc, &cc, &d, hours);
  assert_true(fabs(d.it_energy_kwh - it / 3.6e6 * 86400.0 / (30 * 3600.0)) <= 1e-9 * d.it_energy_kwh);
  assert_true(fabs(d.facility_energy_kwh - d.it_energy_kwh * 1.37) <= 1e-12 * d.facility_energy_kwh);
  double covered = 0, fac = 0, total = 0;
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) {
    covered += hours[h].covered_s;
    fac += hours[h].facility_energy_kwh;
    total += hours[h].total_usd;
    assert_true(fabs(hours[h].covered_s - (h < 6 ? 7200.0 : 3600.0)) < 1e-9);
  }
  assert_true(fabs(covered - 30 * 3600.0) < 1e-6);
  assert_true(fabs(fac * 86400.0 / (30 * 3600.0) - d.facility_energy_kwh) <= 1e-12 * d.facility_energy_kwh);
  assert_true(fabs(total * 86400.0 / (30 * 3600.0) - d.total_usd) <= 1e-9 * d.total_usd);
  ic_ledger_free(l);
}

/* The hand-computed ledger of the issue: one node of 4 GPUs (base 400 W;
 * GPU idle 50 W, prefill 350 W, decode 200 W) over two hours from midnight.
 * The GPUs prefill 3000-3300 s and decode 3300-4800 s: the busy period
 * crosses the 01:00 time-of-use boundary (price $0.05 before, $0.20 after).
 * Node power: idle 400 + 4x50 = 600 W; prefill 400 + 4x350 = 1800 W;
 * decode 400 + 4x200 = 1200 W.
 *   hour 0: 3000 s x 600 + 300 s x 1800 + 300 s x 1200 = 2,700,000 J = 0.75 kWh
 *   hour 1: 1200 s x 1200 + 2400 s x 600 = 2,880,000 J = 0.80 kWh
 *   energy: 0.75 x 0.05 + 0.80 x 0.20 = $0.1975 per 2 h -> x12 = $2.37/day
 *   cooling (PUE 1.25): 0.25 x 0.1975 x 12 = $0.5925 -> 0.59
 * Capital, annuity at r = 7% (CRF = r / (1 - 1.07^-n)), / 365:
 *   server $150,000, 4 y: CRF 0.2952281 -> $121.326623/day -> 121.33
 *   GPUs 4 x $25,000, 3 y: CRF 0.3810517 -> $104.397717 -> 104.40
 *   network $10,000, 5 y: CRF 0.2438907 -> $6.681937 -> 6.68
 *   facility: nameplate 400 + 4 x 400 = 2 kW x $12,000 = $24,000, 15 y:
 *     CRF 0.1097946 -> $7.219373 -> 7.22
 *   maintenance 4%/y of $284,000 capex: $31.123288 -> 31.12
 *   other opex $30
 *   total 2.37 + 0.5925 + 239.625649 + 31.123288 + 30 = $303.711437 -> 303.71 */
/* The fleet's hour bins and state sums through the ledger's paths: changes
 * within an hour, one exactly on an hour's end, two at the same instant, a
 * step across several hours and across midnight, then changes in the new
 * hour. 1 node of 1 GPU, no base draw; idle 100 W, prefill 300 W, decode 200 W.
 * Hand-computed (s x W):
 *   hour 0: 1800 x 100 + 1800 x 300 = 720,000
 *   hour 1: 100 x 100 + 100 x 300 + 3400 x 200 = 720,000
 *   hour 2: 3600 x 200 = 720,000; hour 3: 600 x 200 + 3000 x 100 = 420,000
 *   hours 4-23: 3600 x 100 = 360,000 each
 *   hour 24 (bin 0 again): 3600 x 100 -> bin 0 = 1,080,000
 *   hour 25 (bin 1 again): 100 x 100 + 100 x 200 -> bin 1 = 750,000
 *   prefill 1,900 s; decode 7,700 s; idle 4,900 + 75,700 = 80,600 s (90,200 s in all) */
static void hour_bins_across_boundaries(void **state) {
  (void)state;
  struct ic_gpu_power gp = {{100.0, 300.0, 200.0}};
  ic_ledger *l = ic_ledger_alloc(1, 1, 0.0, &gp, 0);
  const ic_time_ns s = IC_NS_PER_S;
  ic_ledger_set_state(l, 0, 1, IC_GPU_IDLE, IC_GPU_PREFILL, 1800 * s);
  ic_ledger_set_state(l, 0, 1, IC_GPU_PREFILL, IC_GPU_DECODE, 3600 * s); /* on hour 0's end */
  ic_ledger_set_state(l, 0, 1, IC_GPU_DECODE, IC_GPU_IDLE, 3600 * s);   /* the same instant */
  ic_ledger_set_state(l, 0, 1, IC_GPU_IDLE, IC_GPU_PREFILL, 3700 * s);
  ic_ledger_set_state(l, 0, 1, IC_GPU_PREFILL, IC_GPU_DECODE, 3800 * s);
  ic_ledger_set_state(l, 0, 1, IC_GPU_DECODE, IC_GPU_IDLE, 11400 * s); /* across hours 1-3 */
  ic_ledger_flush(l, 14400 * s);                                        /* on hour 3's end */
  ic_ledger_flush(l, 90000 * s);                                        /* across midnight */
  ic_ledger_set_state(l, 0, 1, IC_GPU_IDLE, IC_GPU_DECODE, 90100 * s);
  ic_ledger_flush(l, 90200 * s);
  assert_true(fabs(ic_ledger_hour_energy_j(l, 0) - 1080000.0) < 1e-6);
  assert_true(fabs(ic_ledger_hour_energy_j(l, 1) - 750000.0) < 1e-6);
  assert_true(fabs(ic_ledger_hour_energy_j(l, 2) - 720000.0) < 1e-6);
  assert_true(fabs(ic_ledger_hour_energy_j(l, 3) - 420000.0) < 1e-6);
  for (int h = 4; h < IC_HOURS_PER_DAY; h++) assert_true(fabs(ic_ledger_hour_energy_j(l, h) - 360000.0) < 1e-6);
  assert_true(fabs(ic_ledger_gpu_state_s(l, IC_GPU_PREFILL) - 1900.0) < 1e-9);
  assert_true(fabs(ic_ledger_gpu_state_s(l, IC_GPU_DECODE) - 7700.0) < 1e-9);
  assert_true(fabs(ic_ledger_gpu_state_s(l, IC_GPU_IDLE) - 80600.0) < 1e-9);
  assert_true(fabs(ic_ledger_gpu_state_energy_j(l, IC_GPU_PREFILL) - 570000.0) < 1e-6);
  assert_true(fabs(ic_ledger_gpu_state_energy_j(l, IC_GPU_DECODE) - 1540000.0) < 1e-6);
  assert_true(fabs(ic_ledger_gpu_state_energy_j(l, IC_GPU_IDLE) - 8060000.0) < 1e-6);
  assert_true(fabs(ic_ledger_it_energy_j(l) - (570000.0 + 1540000.0 + 8060000.0)) < 1e-6);
  ic_ledger_free(l);
}

static void hand_computed_tou_annuity_ledger(void **state) {
  (void)state;
  struct ic_gpu_power gp = {{50.0, 350.0, 200.0}};
  ic_ledger *l = ic_ledger_alloc(1, 4, 400.0, &gp, 0);
  const ic_time_ns s = IC_NS_PER_S;
  ic_ledger_set_state(l, 0, 4, IC_GPU_IDLE, IC_GPU_PREFILL, 3000 * s);
  ic_ledger_set_state(l, 0, 4, IC_GPU_PREFILL, IC_GPU_DECODE, 3300 * s);
  ic_ledger_set_state(l, 0, 4, IC_GPU_DECODE, IC_GPU_IDLE, 4800 * s);
  /* Mid-window reading: 2,700,000 J in hour 0 + 1,200 s x 1,200 W of decode. */
  assert_true(fabs(ic_ledger_energy_j_at(l, 4800 * s) - (2700000.0 + 1440000.0)) < 1e-6);
  assert_true(fabs(ic_ledger_energy_j_at(l, 5400 * s) - (2700000.0 + 1440000.0 + 600 * 600.0)) < 1e-6);
  ic_ledger_flush(l, 7200 * s);
  assert_true(fabs(ic_ledger_energy_j_at(l, 7200 * s) - ic_ledger_it_energy_j(l)) < 1e-6);
  assert_true(fabs(ic_ledger_hour_energy_j(l, 0) - 2700000.0) < 1e-6);
  assert_true(fabs(ic_ledger_hour_energy_j(l, 1) - 2880000.0) < 1e-6);
  struct ic_power_config pc = base_power();
  pc.pue = 1.25;
  snprintf(pc.electricity_usd_per_kwh_hourly, sizeof pc.electricity_usd_per_kwh_hourly, "%s",
           ".05|.2|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1|.1");
  struct ic_cost_config cc = bare_cost();
  cc.amortization = IC_AMORT_ANNUITY;
  cc.cost_of_capital = 0.07;
  cc.amortization_years = 4;
  cc.gpu_price_usd = 25000;
  cc.gpu_life_years = 3;
  cc.network_usd_per_node = 10000;
  cc.network_life_years = 5;
  cc.facility_usd_per_kw = 12000;
  cc.facility_life_years = 15;
  cc.maintenance_frac_per_year = 0.04;
  cc.other_opex_usd_per_day = 30;
  struct ic_cost_fleet fleet = {1, 4, 150000.0, 400.0 + 4 * 400.0};
  struct ic_daily_cost d;
  struct ic_hour_cost hours[IC_HOURS_PER_DAY];
  price(l, 7200.0, &fleet, &pc, &cc, &d, hours);
  assert_true(fabs(d.it_energy_kwh - 18.6) < 1e-9);
  assert_int_equal(lround(d.energy_usd * 100), 237);
  assert_int_equal(lround(d.cooling_usd * 100), 59);
  assert_int_equal(lround(d.amort_server_usd * 100), 12133);
  assert_int_equal(lround(d.amort_gpu_usd * 100), 10440);
  assert_int_equal(lround(d.amort_network_usd * 100), 668);
  assert_int_equal(lround(d.amort_facility_usd * 100), 722);
  assert_int_equal(lround(d.maintenance_usd * 100), 3112);
  assert_int_equal(lround(d.other_usd * 100), 6112);
  assert_int_equal(lround(d.total_usd * 100), 30371);
  assert_true(fabs(d.capex_usd - 284000.0) < 1e-6);
  assert_true(fabs(d.nameplate_kw - 2.0) < 1e-12);
  /* The hourly rows: hour 1 costs 0.8 kWh x $0.20 = $0.16 of energy. */
  assert_int_equal(lround(hours[1].energy_usd * 1000), 160);
  assert_true(fabs(hours[0].covered_s - 3600) < 1e-9 && hours[2].covered_s == 0.0);
  ic_ledger_free(l);
}

/* Straight line versus annuity: with r -> 0 the annuity tends to 1/n. */
static void capital_recovery_factors(void **state) {
  (void)state;
  assert_true(fabs(ic_cost_capital_recovery(IC_AMORT_STRAIGHT, 0.07, 4) - 0.25) < 1e-15);
  /* 0.07 / (1 - 1.07^-4) = 0.295228117 (hand, 1.07^4 = 1.31079601) */
  assert_true(fabs(ic_cost_capital_recovery(IC_AMORT_ANNUITY, 0.07, 4) - 0.2952281167) < 1e-9);
  assert_true(fabs(ic_cost_capital_recovery(IC_AMORT_ANNUITY, 0.0, 4) - 0.25) < 1e-15);
  assert_true(fabs(ic_cost_capital_recovery(IC_AMORT_ANNUITY, 1e-9, 4) - 0.25) < 1e-8);
}

/* Chiller: COP = 5.5 - 0.15 (T - 25), clamped to [2, 10].
 *   35 C -> 4.0; 45 C -> 2.5; 60 C -> 0.25 -> 2; -30 C -> 13.75 -> 10.
 * One node at a constant 1,500 W for the first two hours of the day, hour 0
 * at 35 C, hour 1 at 45 C, overhead 5% of IT:
 *   hour 0: IT 1.5 kWh, cooling 1.5 / 4 = 0.375, overhead 0.075 -> 1.95 kWh
 *   hour 1: IT 1.5 kWh, cooling 1.5 / 2.5 = 0.6, overhead 0.075 -> 2.175 kWh
 *   facility 4.125 kWh per 2 h -> x12 = 49.5 kWh/day; at $0.10/kWh cooling
 *   and overhead cost (4.125 - 3) x 0.1 x 12 = $1.35/day. */
static void chiller_follows_outdoor_temperature(void **state) {
  (void)state;
  struct ic_power_config pc = base_power();
  pc.cooling = IC_COOLING_CHILLER;
  pc.facility_overhead_frac = 0.05;
  assert_true(fabs(ic_cost_chiller_cop(&pc, 35) - 4.0) < 1e-12);
  assert_true(fabs(ic_cost_chiller_cop(&pc, 45) - 2.5) < 1e-12);
  assert_true(fabs(ic_cost_chiller_cop(&pc, 60) - 2.0) < 1e-12);
  assert_true(fabs(ic_cost_chiller_cop(&pc, -30) - 10.0) < 1e-12);
  snprintf(pc.outdoor_temp_c_hourly, sizeof pc.outdoor_temp_c_hourly, "%s",
           "35|45|20|20|20|20|20|20|20|20|20|20|20|20|20|20|20|20|20|20|20|20|20|20");
  struct ic_gpu_power gp = {{0.0, 0.0, 0.0}};
  ic_ledger *l = ic_ledger_alloc(1, 1, 1500.0, &gp, 0);
  ic_ledger_flush(l, 7200 * IC_NS_PER_S);
  struct ic_cost_fleet fleet = {1, 1, 0.0, 1500.0};
  struct ic_daily_cost d;
  struct ic_hour_cost hours[IC_HOURS_PER_DAY];
  struct ic_cost_config cc = bare_cost();
  price(l, 7200.0, &fleet, &pc, &cc, &d, hours);
  assert_true(fabs(hours[0].facility_energy_kwh - 1.95) < 1e-12);
  assert_true(fabs(hours[1].facility_energy_kwh - 2.175) < 1e-12);
  assert_true(fabs(hours[1].cooling_cop - 2.5) < 1e-12);
  assert_true(fabs(d.facility_energy_kwh - 49.5) < 1e-9);
  assert_int_equal(lround(d.cooling_usd * 100), 135);
  ic_ledger_free(l);
}

/* Rental: 3 nodes x 8 GPUs x $2.35 per GPU-hour x 24 h = $1,353.60/day,
 * plus $45 other opex; energy is reported but not charged; no capital. */
static void rental_replaces_capital_and_energy(void **state) {
  (void)state;
  struct ic_gpu_power gp = {{63.0, 400.0, 250.0}};
  ic_ledger *l = ic_ledger_alloc(3, 8, 3300.0, &gp, 0);
  ic_ledger_flush(l, 3600 * IC_NS_PER_S);
  struct ic_power_config pc = base_power();
  pc.pue = 1.2;
  pc.carbon_g_per_kwh = 400;
  struct ic_cost_config cc = bare_cost();
  cc.pricing = IC_PRICING_RENT;
  cc.rent_usd_per_gpu_hour = 2.35;
  cc.other_opex_usd_per_day = 45;
  cc.maintenance_frac_per_year = 0.05; /* applies to owned hardware only */
  struct ic_cost_fleet fleet = {3, 8, 199000.0, 6500.0};
  struct ic_daily_cost d;
  price(l, 3600.0, &fleet, &pc, &cc, &d, NULL);
  assert_int_equal(lround(d.rent_usd * 100), 135360);
  assert_int_equal(lround(d.total_usd * 100), 139860);
  assert_int_equal(lround(d.other_usd * 100), 139860); /* rent + opex: the four parts still add up */
  assert_true(d.energy_usd == 0.0 && d.cooling_usd == 0.0 && d.amortization_usd == 0.0);
  assert_true(d.maintenance_usd == 0.0);
  /* Energy still reported: 3 x (3300 + 8 x 63) W x 24 h = 273.888 kWh IT,
   * x 1.2 = 328.6656 kWh facility, x 400 g = 131,466.24 g. */
  assert_true(fabs(d.it_energy_kwh - 273.888) < 1e-9);
  assert_true(fabs(d.gco2e - 131466.24) < 1e-6);
  ic_ledger_free(l);
}

/* The source article's worked example, one server: $5,000 chassis + $2,000
 * CPU + $1,000 storage + 8 x $1,000 GPUs = $16,000; power 300 W server +
 * 8 x 150 W GPUs + 2 x 50 W CPUs + 100 W cooling = 1,700 W.
 * Energy cost = watts x price x hours = 1.7 kW x 24 h x $0.10 = $4.08/day.
 * The article adds the capex: $16,000 + $4.08 = $16,004.08 "per day";
 * infercost amortizes over 5 years: 16,000 / 1,825 = $8.767123 + $4.08 = $12.85. */
static void article_worked_example(void **state) {
  (void)state;
  struct ic_gpu_power gp = {{150.0, 150.0, 150.0}};
  ic_ledger *l = ic_ledger_alloc(1, 8, 300.0 + 2 * 50.0, &gp, 0);
  ic_ledger_set_state(l, 0, 8, IC_GPU_IDLE, IC_GPU_DECODE, 1234 * IC_NS_PER_S); /* no change in watts */
  ic_ledger_flush(l, 3600 * IC_NS_PER_S);
  struct ic_power_config pc = base_power();
  pc.cooling = IC_COOLING_FIXED;
  pc.cooling_w_per_node = 100.0;
  struct ic_cost_config cc = bare_cost();
  cc.server_price_usd = 5000;
  cc.cpu_usd_per_node = 2000;
  cc.storage_usd_per_node = 1000;
  cc.gpu_price_usd = 1000;
  struct ic_cost_fleet fleet = {1, 8, 5000.0, 1600.0};
  struct ic_daily_cost d;
  price(l, 3600.0, &fleet, &pc, &cc, &d, NULL);
  assert_true(fabs(d.facility_energy_kwh - 40.8) < 1e-9);
  assert_int_equal(lround((d.energy_usd + d.cooling_usd) * 100), 408);
  assert_true(fabs(d.capex_usd - 16000.0) < 1e-9);
  assert_int_equal(lround((d.capex_usd + d.energy_usd + d.cooling_usd) * 100), 1600408);
  assert_int_equal(lround(d.total_usd * 100), 1285);
  ic_ledger_free(l);
}

/* Utilisation curve: P(u) = idle + (max - idle) u^k with idle 63, max 400:
 *   k = 1, u = 0.55: 63 + 337 x 0.55 = 248.35 W
 *   k = 2, u = 0.5:  63 + 337 x 0.25 = 147.25 W; u = 1: 400 W. */
static void utilisation_curve_power(void **state) {
  (void)state;
  struct ic_power_config pc = base_power();
  pc.model = IC_POWER_UTILISATION;
  struct ic_gpu_power g = ic_cost_gpu_power(&pc, 63, 400, 250, 400);
  assert_true(fabs(g.watts[IC_GPU_DECODE] - 248.35) < 1e-9);
  assert_true(fabs(g.watts[IC_GPU_PREFILL] - 400.0) < 1e-9);
  pc.util_exponent = 2;
  pc.decode_utilisation = 0.5;
  pc.gpu_max_w = 400;
  g = ic_cost_gpu_power(&pc, 70, 700, 380, 700); /* gpu_max_w set: 400, not the TDP */
  assert_true(fabs(g.watts[IC_GPU_IDLE] - 70.0) < 1e-12);
  assert_true(fabs(g.watts[IC_GPU_DECODE] - (70 + 330 * 0.25)) < 1e-9);
  pc.model = IC_POWER_PHASE;
  g = ic_cost_gpu_power(&pc, 63, 400, 250, 400);
  assert_true(g.watts[IC_GPU_PREFILL] == 400.0 && g.watts[IC_GPU_DECODE] == 250.0);
}

/* The load model: P = idle + (max - idle) min(1, w_c MFU + w_m MBU), by
 * hand with idle 75, max 700 (the TDP, gpu_max_w auto), w_c 2, w_m 1:
 *   MFU 0.1, MBU 0.5: 75 + 625 x 0.7 = 512.5 W
 *   MFU 0.6, MBU 0.5: activity 1.7, capped: 700 W
 *   MFU 0,   MBU 0:   75 W (idle) */
static void load_model_power(void **state) {
  (void)state;
  struct ic_power_config pc = base_power();
  pc.model = IC_POWER_LOAD;
  pc.load_compute_weight = 2.0;
  pc.load_memory_weight = 1.0;
  struct ic_load_power lp = ic_cost_load_power(&pc, 75.0, 700.0);
  assert_true(lp.on && lp.idle_w == 75.0 && lp.max_w == 700.0);
  assert_true(fabs(ic_cost_load_w(&lp, 0.1, 0.5) - 512.5) < 1e-9);
  assert_true(ic_cost_load_w(&lp, 0.6, 0.5) == 700.0);
  assert_true(ic_cost_load_w(&lp, 0.0, 0.0) == 75.0);
  pc.gpu_max_w = 600.0; /* set: the cap instead of the TDP */
  lp = ic_cost_load_power(&pc, 75.0, 700.0);
  assert_true(fabs(ic_cost_load_w(&lp, 0.1, 0.5) - (75.0 + 525.0 * 0.7)) < 1e-9);
  pc.model = IC_POWER_PHASE;
  assert_false(ic_cost_load_power(&pc, 75.0, 700.0).on);
}

/* A ledger fed the load model's draws: 1 node, base 100 W, 2 GPUs (phase
 * figures idle 75, prefill 700, decode 380, which the draws replace):
 *   0-1 s idle        100 + 2 x 75  =  250 W ->  250 J
 *   1-3 s decode 500  100 + 2 x 500 = 1100 W -> 2200 J
 *   3-4 s decode 600  (draw moves, state kept) 1300 W -> 1300 J
 *   4-5 s idle                          250 W ->  250 J
 * node 4000 J; GPU idle 2 x 75 x 2 s = 300 J, decode 2000 + 1200 = 3200 J,
 * decode time 2 GPUs x 3 s = 6 GPU-s; the hour bins add up to the node. */
static void load_model_ledger(void **state) {
  (void)state;
  struct ic_gpu_power g = {{75.0, 700.0, 380.0, 0.0}};
  ic_ledger *l = ic_ledger_alloc(1, 2, 100.0, &g, 0);
  assert_non_null(l);
  ic_ledger_set_state_w(l, 0, 2, IC_GPU_IDLE, IC_GPU_DECODE, 75.0, 500.0, ic_duration_from_s(1.0));
  assert_true(fabs(ic_ledger_power_w(l) - 1100.0) < 1e-9);
  ic_ledger_set_state_w(l, 0, 2, IC_GPU_DECODE, IC_GPU_DECODE, 500.0, 600.0, ic_duration_from_s(3.0));
  ic_ledger_set_state_w(l, 0, 2, IC_GPU_DECODE, IC_GPU_IDLE, 600.0, 75.0, ic_duration_from_s(4.0));
  ic_ledger_flush(l, ic_duration_from_s(5.0));
  assert_true(fabs(ic_ledger_node_energy_j(l, 0) - 4000.0) < 1e-6);
  assert_true(fabs(ic_ledger_it_energy_j(l) - 4000.0) < 1e-6);
  assert_true(fabs(ic_ledger_gpu_state_energy_j(l, IC_GPU_IDLE) - 300.0) < 1e-6);
  assert_true(fabs(ic_ledger_gpu_state_energy_j(l, IC_GPU_DECODE) - 3200.0) < 1e-6);
  assert_true(fabs(ic_ledger_gpu_state_energy_j(l, IC_GPU_PREFILL)) < 1e-9);
  assert_true(fabs(ic_ledger_gpu_state_s(l, IC_GPU_DECODE) - 6.0) < 1e-9);
  double hours = 0;
  for (int h = 0; h < IC_HOURS_PER_DAY; h++) hours += ic_ledger_hour_energy_j(l, h);
  assert_true(fabs(hours - 4000.0) < 1e-6);
  assert_true(fabs(ic_ledger_power_w(l) - 250.0) < 1e-9);
  ic_ledger_free(l);
}

/* Bad hourly lists name the item and what was wrong. */
static void hourly_lists_are_checked(void **state) {
  (void)state;
  double v[IC_HOURS_PER_DAY];
  char err[256];
  assert_int_equal(ic_cost_parse_hourly("none", 0.083, 0, v, err, sizeof err), IC_OK);
  assert_true(v[0] == 0.083 && v[23] == 0.083);
  assert_int_equal(ic_cost_parse_hourly("1|2|3", 0, 0, v, err, sizeof err), IC_EINVAL);
  assert_non_null(strstr(err, "expected 24 '|'-separated values (one per hour from midnight), got 3"));
  assert_int_equal(ic_cost_parse_hourly("1|2|x|4", 0, 0, v, err, sizeof err), IC_EINVAL);
  assert_non_null(strstr(err, "item 3: expected a number >= 0, got 'x'"));
  assert_int_equal(ic_cost_parse_hourly("1|-2", 0, 0, v, err, sizeof err), IC_EINVAL);
  assert_non_null(strstr(err, "item 2: expected a number >= 0, got '-2'"));
  assert_int_equal(ic_cost_parse_hourly("1||2", 0, 0, v, err, sizeof err), IC_EINVAL);
  assert_non_null(strstr(err, "item 2: expected a number >= 0, got ''"));
  assert_int_equal(ic_cost_parse_hourly("-5|-4|-3|-2|-1|0|1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17|18", 0, -273.15,
                                        v, err, sizeof err),
                   IC_OK);
  assert_true(v[0] == -5.0 && v[23] == 18.0);
}

/* A training-sized fleet held for weeks: 2,048 nodes x 8 GPUs x 79 days. Each node's time
 * is 6.8256e15 ns; their sum (1.4e19 ns) is past int64, which a sum of nanoseconds
 * overflowed. By hand: 2048 x 8 x 79 x 86400 = 111,830,630,400 GPU-s. */
static void held_time_of_a_large_long_fleet(void **state) {
  (void)state;
  struct ic_gpu_power gp = {{63.0, 400.0, 250.0}};
  ic_ledger *l = ic_ledger_alloc(2048, 8, 4600.0, &gp, 0);
  ic_ledger_flush(l, (ic_time_ns)79 * 86400 * IC_NS_PER_S);
  assert_true(fabs(ic_ledger_held_gpu_s(l, 0, false) - 111830630400.0) < 1.0);
  assert_true(fabs(ic_ledger_held_gpu_s(l, 0, true) - 111830630400.0) < 1.0);
  ic_ledger_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hand_computed_two_node_ledger),
      cmocka_unit_test(idle_fleet_draws_idle_power),
      cmocka_unit_test(powered_down_node_draws_off_power),
      cmocka_unit_test(energy_is_conserved),
      cmocka_unit_test(hand_computed_tou_annuity_ledger),
      cmocka_unit_test(capital_recovery_factors),
      cmocka_unit_test(chiller_follows_outdoor_temperature),
      cmocka_unit_test(rental_replaces_capital_and_energy),
      cmocka_unit_test(article_worked_example),
      cmocka_unit_test(utilisation_curve_power),
      cmocka_unit_test(load_model_power),
      cmocka_unit_test(load_model_ledger),
      cmocka_unit_test(hourly_lists_are_checked),
      cmocka_unit_test(hour_bins_across_boundaries),
      cmocka_unit_test(held_time_of_a_large_long_fleet),
  };
  return cmocka_run_group_tests_name("cost", tests, NULL, NULL);
}
