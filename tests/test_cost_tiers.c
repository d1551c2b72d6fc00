/* test_cost_tiers.c: prices per pool ([cost] keys in [pool.NAME]), cloud
 * price tiers, what an inactive node costs, and break-even, each against
 * figures computed by hand in the comments. */
#define _POSIX_C_SOURCE 200809L
#include "ic_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/run.h"
#include "infercost/scenario.h"

#include "ic_test_diag.h"

static void load(struct ic_scenario *s, const char *text, ic_status want) {
  ic_scenario_defaults(s);
  assert_int_equal(ic_scenario_load_text(s, text, "p.ini"), want);
}

static void set(struct ic_scenario *s, const char *kv) { assert_int_equal(ic_scenario_set(s, kv, "test"), IC_OK); }

/* Money to the cent. */
static void assert_cents(double got, double want) {
  if (fabs(got - want) >= 0.005) fail_msg("got %.6f USD, want %.2f", got, want);
}

static const char *two_pools = "[fleet]\nnodes = 2\n[traffic]\nqueries_per_day = 1e5\n[run]\nduration_s = 120\n"
                               "[pool.a]\npricing = rent\nrent_usd_per_gpu_hour = 3\n[pool.b]\n";

/* A pool's [cost] keys price its own ledger only: pool a rents its 16 GPUs
 * at $3/GPU-h (16 x 3 x 24 = $1,152.00 a day) while pool b is owned; 100
 * more USD/day of opex in pool b moves pool b's bill and the total by
 * exactly that, pool a's not at all, and serving not at all. */
static void pool_prices_price_their_pool(void **state) {
  (void)state;
  static struct ic_scenario s;
  struct ic_run_result r, r2;
  load(&s, two_pools, IC_OK);
  assert_int_equal(ic_scenario_check(&s), IC_OK);
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_true(r.completed > 50);
  assert_cents(r.pools[0].usd_per_day, 1152.00);
  assert_true(r.pools[1].usd_per_day > 0 && r.pools[1].usd_per_day != r.pools[0].usd_per_day);
  set(&s, "pool.b.other_opex_usd_per_day=100");
  assert_int_equal(ic_run_scenario(&s, &r2), IC_OK);
  assert_int_equal(r.completed, r2.completed);
  assert_true(r.e2e_p99_s == r2.e2e_p99_s);
  assert_cents(r2.pools[0].usd_per_day, 1152.00);
  assert_cents(r2.pools[1].usd_per_day - r.pools[1].usd_per_day, 100.00);
  assert_cents(r2.cost.total_usd - r.cost.total_usd, 100.00);
  assert_cents(r2.cost.total_usd, r2.pools[0].usd_per_day + r2.pools[1].usd_per_day);
}

/* The resolved printout shows a pool's own prices and reads back to the
 * same prices and digest; pools without prices print no cost key. */
static void pool_prices_round_trip(void **state) {
  (void)state;
  static struct ic_scenario s, back;
  load(&s, two_pools, IC_OK);
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  ic_scenario_write(&s, mem);
  fclose(mem);
  const char *b = strstr(text, "[pool.b]");
  assert_non_null(b);
  assert_non_null(strstr(text, "[pool.a]"));
  assert_null(strstr(b, "pricing ="));
  assert_non_null(strstr(strstr(text, "[pool.a]"), "rent_usd_per_gpu_hour = 3"));
  load(&back, text, IC_OK);
  struct ic_cost_config ca, cb;
  ic_scenario_pool_cost(&back, 0, &ca);
  ic_scenario_pool_cost(&back, 1, &cb);
  assert_int_equal(ca.pricing, IC_PRICING_RENT);
  assert_true(ca.rent_usd_per_gpu_hour == 3.0);
  assert_int_equal(cb.pricing, IC_PRICING_OWN);
  assert_true(ic_scenario_digest(&s) == ic_scenario_digest(&back));
  char v[64];
  assert_true(ic_scenario_format_key(&s, "pool.a.rent_usd_per_gpu_hour", v, sizeof v));
  assert_string_equal(v, "3");
  free(text);
}

/* A bad pool price names the pool, the key and the line. */
static void bad_pool_price_is_reported(void **state) {
  static struct ic_scenario s;
  diag_capture(state);
  load(&s, "[pool.a]\npricing = lease\n", IC_EINVAL);
  assert_non_null(strstr(diag.text, "p.ini:2: pool.a.pricing:"));
  diag_release(state);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pool_prices_price_their_pool),
      cmocka_unit_test(pool_prices_round_trip),
      cmocka_unit_test(bad_pool_price_is_reported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
