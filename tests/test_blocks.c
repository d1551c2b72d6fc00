/* test_blocks.c: the ring of block hashes, the unbounded set and the
 * prefix semantics of chained hashes, on hand-made examples. */
#include "ic_test.h"
#include "ic_test_diag.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "infercost/blocks.h"
#include "infercost/trace.h"

/* A ring of 3 rounds up to 4: after 6 pushes positions 2..5 are readable,
 * 0 and 1 overwritten, 6 not written yet. */
static void ring_positions(void **state) {
  (void)state;
  ic_block_ring *r = ic_block_ring_alloc(3, 16);
  assert_non_null(r);
  assert_int_equal(ic_block_ring_capacity(r), 4);
  assert_int_equal(ic_block_ring_block_tokens(r), 16);
  for (uint64_t i = 0; i < 6; i++) assert_int_equal(ic_block_ring_push(r, 1000 + i), i);
  uint64_t h;
  assert_false(ic_block_ring_get(r, 0, &h));
  assert_false(ic_block_ring_get(r, 1, &h));
  for (uint64_t i = 2; i < 6; i++) {
    assert_true(ic_block_ring_get(r, i, &h));
    assert_int_equal(h, 1000 + i);
  }
  assert_false(ic_block_ring_get(r, 6, &h));
  assert_int_equal(ic_block_ring_end(r), 6);
  ic_block_ring_free(r);
  ic_block_ring_free(NULL);
}

/* Chained hashes name prefixes: the same id after a different first block
 * is a different block. */
static void chain_is_prefix(void **state) {
  (void)state;
  uint64_t a0 = ic_block_chain(0, 1), a1 = ic_block_chain(a0, 2);
  uint64_t b0 = ic_block_chain(0, 9), b1 = ic_block_chain(b0, 2);
  assert_true(a1 != b1);
  assert_true(ic_block_chain(0, 1) == a0);
  assert_true(ic_block_chain(1, 0) != ic_block_chain(0, 1));
  ic_block_set *s = ic_block_set_alloc();
  assert_non_null(s);
  uint64_t a[] = {a0, a1}, b[] = {b0, b1};
  assert_int_equal(ic_block_set_match_insert(s, a, 2), 0);
  assert_int_equal(ic_block_set_match_insert(s, b, 2), 0); /* block 1 "2" but after "9" */
  assert_int_equal(ic_block_set_match_insert(s, a, 2), 2);
  assert_int_equal(ic_block_set_match_insert(s, a, 1), 1);
  assert_int_equal(ic_block_set_size(s), 4);
  /* the set grows past its first 1024 slots and keeps everything */
  for (uint64_t i = 0; i < 5000; i++) {
    uint64_t h = ic_block_chain(7, i);
    assert_int_equal(ic_block_set_match_insert(s, &h, 1), 0);
  }
  for (uint64_t i = 0; i < 5000; i++) {
    uint64_t h = ic_block_chain(7, i);
    assert_int_equal(ic_block_set_match_insert(s, &h, 1), 1);
  }
  assert_int_equal(ic_block_set_size(s), 5004);
  ic_block_set_free(s);
}

/* Tokens of hit blocks: whole blocks, the last one cut to the prompt. */
static void tokens_covered(void **state) {
  (void)state;
  assert_int_equal(ic_block_tokens_covered(0, 512, 1300), 0);
  assert_int_equal(ic_block_tokens_covered(2, 512, 1300), 1024);
  assert_int_equal(ic_block_tokens_covered(3, 512, 1300), 1300);
  assert_int_equal(ic_block_tokens_covered(4, 512, 1300), 1300);
  assert_int_equal(ic_block_tokens_covered(2, 512, 1024), 1024);
}

/* trace stats on four rows, counted by hand (blocks of 512):
 *   [1,2,3] 1300 tokens: nothing seen yet                      0
 *   [1,2,4] 1100 tokens: blocks 1,2 seen                    1024
 *   [9,2]    600 tokens: "9" is new, so "2" after it is too     0
 *   [1,2,3] 1300 tokens: all three seen, last one cut       1300
 * hit 2324 of 4300 tokens, 2 rows with a hit; distinct prefixes
 * {1} {1,2} {1,2,3} {1,2,4} {9} {9,2} = 6. */
static void stats_by_hand(void **state) {
  (void)state;
  mkdir("/tmp/ic_test_blocks", 0700);
  const char *path = "/tmp/ic_test_blocks/t.jsonl";
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("{\"timestamp\": 0, \"input_length\": 1300, \"output_length\": 5, \"hash_ids\": [1, 2, 3]}\n"
        "{\"timestamp\": 10, \"input_length\": 1100, \"output_length\": 5, \"hash_ids\": [1, 2, 4]}\n"
        "{\"timestamp\": 20, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [9, 2]}\n"
        "{\"timestamp\": 30, \"input_length\": 1300, \"output_length\": 5, \"hash_ids\": [1, 2, 3]}\n",
        f);
  fclose(f);
  struct ic_trace_stats st;
  assert_int_equal(ic_trace_stats_compute(path, NULL, &st), IC_OK);
  assert_int_equal(st.block_tokens, 512);
  assert_int_equal(st.block_rows, 4);
  assert_int_equal(st.block_prompt_tokens, 4300);
  assert_int_equal(st.block_hit_tokens, 2324);
  assert_int_equal(st.block_hit_rows, 2);
  assert_int_equal(st.distinct_blocks, 6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(ring_positions, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(chain_is_prefix, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(tokens_covered, diag_capture, diag_release),
      cmocka_unit_test_setup_teardown(stats_by_hand, diag_capture, diag_release),
  };
  return cmocka_run_group_tests_name("blocks", tests, NULL, NULL);
}
