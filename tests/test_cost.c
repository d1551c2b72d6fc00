/* test_cost.c: the power ledger and the per-day prices against hand sums. */
#include "ic_test.h"

#include <math.h>

#include "infercost/cost.h"

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

  /* Prices: PUE 1.25, $0.0925/kWh; 2 servers at $187,500 over 4 years.
   *   IT 78.416 kWh/day x 0.0925 = $7.25348 -> 7.25
   *   cooling 0.25 x 78.416 x 0.0925 = $1.81337 -> 1.81
   *   amortization 2 x 187,500 / (4 x 365) = $256.849315 -> 256.85
   *   total $265.916168 -> 265.92 */
  struct ic_power_config pc = {.gpu_idle_w = (double)NAN, .gpu_prefill_w = (double)NAN, .gpu_decode_w = (double)NAN,
                               .node_base_w = (double)NAN, .pue = 1.25, .electricity_usd_per_kwh = 0.0925};
  struct ic_cost_config cc = {187500.0, 4.0};
  struct ic_daily_cost d = ic_cost_daily(ic_ledger_it_energy_j(l), 7200.0, 2, 187500.0, &pc, &cc);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hand_computed_two_node_ledger),
      cmocka_unit_test(idle_fleet_draws_idle_power),
      cmocka_unit_test(powered_down_node_draws_off_power),
  };
  return cmocka_run_group_tests_name("cost", tests, NULL, NULL);
}
