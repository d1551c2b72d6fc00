/* test_prefix_cache.c: the tiered LRU block cache on hand-worked sequences.
 * Hashes are small integers here: the cache treats them as opaque names. */
#include "ic_test.h"
#include "ic_test_diag.h"

#include "infercost/prefix_cache.h"

static ic_prefix_cache *make(int64_t hbm, int64_t dram, int64_t ssd) {
  int64_t caps[IC_PREFIX_TIERS] = {hbm, dram, ssd};
  ic_prefix_cache *c = ic_prefix_cache_alloc(caps);
  assert_non_null(c);
  return c;
}

/* A request that runs and ends: pin, then release. */
static void run_one(ic_prefix_cache *c, const uint64_t *h, size_t n) {
  assert_int_equal(ic_prefix_cache_acquire(c, h, n), n);
  ic_prefix_cache_release(c, h, n);
}

static size_t match(const ic_prefix_cache *c, const uint64_t *h, size_t n, int *last_tier) {
  size_t hits[IC_PREFIX_TIERS];
  int lt;
  size_t m = ic_prefix_cache_match(c, h, n, hits, &lt);
  if (last_tier) *last_tier = lt;
  assert_int_equal(hits[0] + hits[1] + hits[2], m);
  return m;
}

/* Capacity 3. [1,2] ends: LRU order 2, 1 (released last to first). [1,3]:
 * hits 1 block, ends: 2, 3, 1. [4] needs room: 2 goes. */
static void lru_by_hand(void **state) {
  (void)state;
  ic_prefix_cache *c = make(3, 0, 0);
  run_one(c, (const uint64_t[]){1, 2}, 2);
  assert_int_equal(match(c, (const uint64_t[]){1, 3}, 2, NULL), 1);
  run_one(c, (const uint64_t[]){1, 3}, 2);
  assert_int_equal(match(c, (const uint64_t[]){4}, 1, NULL), 0);
  run_one(c, (const uint64_t[]){4}, 1);
  assert_int_equal(match(c, (const uint64_t[]){1, 2}, 2, NULL), 1);
  assert_int_equal(match(c, (const uint64_t[]){3}, 1, NULL), 1);
  assert_int_equal(match(c, (const uint64_t[]){2}, 1, NULL), 0);
  assert_int_equal(ic_prefix_cache_held(c, 0), 3);
  assert_int_equal(ic_prefix_cache_pinned(c), 0);
  ic_prefix_cache_free(c);
  ic_prefix_cache_free(NULL);
}

/* Capacity 2, both pinned: a third block cannot be placed until they end;
 * then the released tail (2) goes first. A block pinned twice stays pinned
 * after one release. */
static void pinned_stay(void **state) {
  (void)state;
  ic_prefix_cache *c = make(2, 0, 0);
  const uint64_t a[] = {1, 2}, b[] = {3};
  assert_int_equal(ic_prefix_cache_acquire(c, a, 2), 2);
  assert_int_equal(ic_prefix_cache_acquire(c, b, 1), 0);
  assert_int_equal(ic_prefix_cache_pinned(c), 2);
  ic_prefix_cache_release(c, a, 2);
  assert_int_equal(ic_prefix_cache_acquire(c, b, 1), 1);
  assert_int_equal(match(c, (const uint64_t[]){1, 2}, 2, NULL), 1);
  assert_int_equal(ic_prefix_cache_acquire(c, a, 1), 1); /* block 1 pinned twice: by a and ... */
  assert_int_equal(ic_prefix_cache_acquire(c, a, 1), 1); /* ... again */
  ic_prefix_cache_release(c, a, 1);
  assert_int_equal(ic_prefix_cache_pinned(c), 2); /* 1 once more, and 3 */
  ic_prefix_cache_release(c, a, 1);
  ic_prefix_cache_release(c, b, 1);
  assert_int_equal(ic_prefix_cache_pinned(c), 0);
  ic_prefix_cache_free(c);
}

/* Tiers of 2, 2, 1 blocks. Worked by hand: after [1,2], [3], [4], [5] each
 * ran alone, HBM holds 4, 5; DRAM 1, 3; SSD 2. Pinning [2] brings 2 up
 * from SSD and pushes 4 down to DRAM, whose 1 falls to SSD. */
static void tiers_by_hand(void **state) {
  (void)state;
  ic_prefix_cache *c = make(2, 2, 1);
  run_one(c, (const uint64_t[]){1, 2}, 2);
  run_one(c, (const uint64_t[]){3}, 1);
  run_one(c, (const uint64_t[]){4}, 1);
  run_one(c, (const uint64_t[]){5}, 1);
  int tier;
  assert_int_equal(match(c, (const uint64_t[]){1}, 1, &tier), 1);
  assert_int_equal(tier, 1);
  assert_int_equal(match(c, (const uint64_t[]){2}, 1, &tier), 1);
  assert_int_equal(tier, 2);
  assert_int_equal(match(c, (const uint64_t[]){4}, 1, &tier), 1);
  assert_int_equal(tier, 0);
  assert_int_equal(ic_prefix_cache_acquire(c, (const uint64_t[]){2}, 1), 1);
  assert_int_equal(match(c, (const uint64_t[]){2}, 1, &tier), 1);
  assert_int_equal(tier, 0);
  assert_int_equal(match(c, (const uint64_t[]){4}, 1, &tier), 1);
  assert_int_equal(tier, 1);
  assert_int_equal(match(c, (const uint64_t[]){1}, 1, &tier), 1);
  assert_int_equal(tier, 2);
  assert_int_equal(match(c, (const uint64_t[]){5}, 1, &tier), 1);
  assert_int_equal(tier, 0);
  assert_int_equal(ic_prefix_cache_held(c, 0), 2);
  assert_int_equal(ic_prefix_cache_held(c, 1), 2);
  assert_int_equal(ic_prefix_cache_held(c, 2), 1);
  /* A prefix found across tiers: [5] in HBM, nothing of [5, 9] else. */
  size_t hits[IC_PREFIX_TIERS];
  assert_int_equal(ic_prefix_cache_match(c, (const uint64_t[]){4, 1, 9}, 3, hits, &tier), 2);
  assert_int_equal(hits[0], 0);
  assert_int_equal(hits[1], 1);
  assert_int_equal(hits[2], 1);
  assert_int_equal(tier, 2);
  ic_prefix_cache_free(c);
}

/* Trimming evicts least recently used first: [1,2,3,4] released leaves 4
 * oldest, so trimming to 2 keeps the head 1, 2. Without a slower tier they
 * are gone. */
static void trim_keeps_heads(void **state) {
  (void)state;
  ic_prefix_cache *c = make(4, 0, 0);
  run_one(c, (const uint64_t[]){1, 2, 3, 4}, 4);
  ic_prefix_cache_trim(c, 2);
  assert_int_equal(ic_prefix_cache_held(c, 0), 2);
  assert_int_equal(match(c, (const uint64_t[]){1, 2, 3, 4}, 4, NULL), 2);
  ic_prefix_cache_trim(c, 0);
  assert_int_equal(match(c, (const uint64_t[]){1}, 1, NULL), 0);
  ic_prefix_cache_free(c);
}

/* Many distinct blocks (the table grows and rehashes): each one found. */
static void grows(void **state) {
  (void)state;
  ic_prefix_cache *c = make(5000, 0, 0);
  for (uint64_t i = 0; i < 3000; i++) run_one(c, &(uint64_t){i * UINT64_C(0x9e3779b97f4a7c15)}, 1);
  assert_int_equal(ic_prefix_cache_held(c, 0), 3000);
  for (uint64_t i = 0; i < 3000; i++)
    assert_int_equal(match(c, &(uint64_t){i * UINT64_C(0x9e3779b97f4a7c15)}, 1, NULL), 1);
  assert_int_equal(match(c, &(uint64_t){3000 * UINT64_C(0x9e3779b97f4a7c15)}, 1, NULL), 0);
  int64_t none[IC_PREFIX_TIERS] = {0, 5, 5};
  assert_null(ic_prefix_cache_alloc(none));
  ic_prefix_cache_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(lru_by_hand, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(pinned_stay, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(tiers_by_hand, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(trim_keeps_heads, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(grows, diag_capture, diag_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
