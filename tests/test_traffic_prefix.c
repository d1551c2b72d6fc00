/* test_traffic_prefix.c: block identities on requests (trace replay and
 * generated system prompts and sessions), trace_rate_scale, classes named
 * by a trace, and rows with zero output tokens. */
#include "ic_test.h"
#include "ic_test_diag.h"
#include "ic_test_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "infercost/blocks.h"
#include "infercost/scenario.h"
#include "infercost/sim.h"
#include "infercost/status.h"
#include "infercost/traffic.h"

#define MOONCAKE IC_SOURCE_DIR "/traces/mooncake_synthetic.jsonl"
#define DIR "/tmp/ic_test_traffic_prefix/"
/* tests/prefix_hits.py traces/mooncake_synthetic.jsonl (and CTest's
 * prefix_hits_reference): hit tokens=39852661 of 61194628 */
#define MOONCAKE_HIT 39852661
#define MOONCAKE_PROMPT 61194628
#define MOONCAKE_ROWS 3993

static struct ic_traffic_config defaults(void) {
  struct ic_scenario *s = malloc(sizeof *s);
  assert_non_null(s);
  ic_scenario_defaults(s);
  struct ic_traffic_config c = s->traffic;
  free(s);
  return c;
}

static struct ic_traffic_config replay_of(const char *path) {
  struct ic_traffic_config c = defaults();
  c.arrival = IC_ARRIVAL_TRACE;
  snprintf(c.trace_path, sizeof c.trace_path, "%s", path);
  return c;
}

static const char *fixture(const char *name, const char *text) { return ic_test_fixture(DIR, name, text); }

/* What a stream of requests holds, with an unbounded cache over the block
 * hashes read back from the source's ring. */
struct tally {
  uint64_t n;
  int64_t prompt, hit;
  ic_time_ns last_ns;
};

static ic_status drain(const struct ic_traffic_config *c, double end_s, struct tally *t) {
  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  ic_status st = ic_traffic_open(c, sim, ic_time_from_s(end_s), 0, &src);
  memset(t, 0, sizeof *t);
  if (st != IC_OK) {
    ic_sim_free(sim);
    return st;
  }
  ic_block_set *seen = ic_block_set_alloc();
  uint64_t hashes[1024];
  struct ic_request r;
  while ((st = ic_source_next(src, &r)) == IC_OK) {
    assert_true(r.arrival_ns >= t->last_ns);
    t->last_ns = r.arrival_ns;
    t->n++;
    t->prompt += r.prompt_tokens;
    const ic_block_ring *ring = ic_source_blocks(src);
    if (!ring || !r.block_count) continue;
    assert_true(r.block_count <= 1024);
    for (uint32_t i = 0; i < r.block_count; i++) assert_true(ic_block_ring_get(ring, r.block_pos + i, &hashes[i]));
    size_t k = ic_block_set_match_insert(seen, hashes, r.block_count);
    t->hit += ic_block_tokens_covered(k, ic_block_ring_block_tokens(ring), r.prompt_tokens);
  }
  ic_block_set_free(seen);
  ic_source_free(src);
  ic_sim_free(sim);
  return st;
}

/* --- replay ------------------------------------------------------------------------ */

/* The simulator sees the trace's own prefixes: an unbounded cache over the
 * replayed requests' hashes hits exactly what the independent script
 * counts on the file; the first request's blocks are the chain of ids
 * 0..78. */
static void replay_carries_blocks(void **state) {
  (void)state;
  struct ic_traffic_config c = replay_of(MOONCAKE);
  struct tally t;
  assert_int_equal(drain(&c, 2000, &t), IC_ENOENT);
  assert_int_equal(t.n, MOONCAKE_ROWS);
  assert_int_equal(t.prompt, MOONCAKE_PROMPT);
  assert_int_equal(t.hit, MOONCAKE_HIT);

  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(2000), 0, &src), IC_OK);
  struct ic_request r;
  assert_int_equal(ic_source_next(src, &r), IC_OK);
  assert_int_equal(r.block_count, 79);
  uint64_t h = 0, got;
  for (uint64_t i = 0; i < 79; i++) {
    h = ic_block_chain(h, i);
    assert_true(ic_block_ring_get(ic_source_blocks(src), r.block_pos + i, &got));
    assert_true(got == h);
  }
  ic_source_free(src);
  ic_sim_free(sim);
}

/* k = 3: three whole copies, each shifted by 0, 20 and 40 s: 3 x the rows
 * once the window covers the last shift; each copy is new content, so
 * the hits are 3 x the trace's own. */
static void rate_scale_whole(void **state) {
  (void)state;
  struct ic_traffic_config c = replay_of(MOONCAKE);
  c.trace_rate_scale = 3;
  struct tally t;
  assert_int_equal(drain(&c, 2000, &t), IC_ENOENT);
  assert_int_equal(t.n, 3 * MOONCAKE_ROWS);
  assert_int_equal(t.hit, 3 * (int64_t)MOONCAKE_HIT);
  /* the last row (1022.025 s) of the copy shifted by 2/3 x 60 s */
  assert_int_equal(t.last_ns, INT64_C(1062025000000));
  /* a window ending before the last copy's last row loses exactly it */
  assert_int_equal(drain(&c, 1062.025, &t), IC_ENOENT);
  assert_int_equal(t.n, 3 * MOONCAKE_ROWS - 1);
}

/* The shape survives scaling: statistics of the replayed stream (k = 3)
 * against the trace's (trace_stats.py: peak 1-min 280 requests), with the
 * accumulator of trace stats. */
static ic_status scaled_stats(double k, double shift_s, struct ic_trace_stats *out) {
  struct ic_traffic_config c = replay_of(MOONCAKE);
  c.trace_rate_scale = k;
  c.trace_rate_scale_shift_s = shift_s;
  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(2000), 0, &src), IC_OK);
  ic_trace_acc *a = ic_trace_acc_alloc(IC_TRACE_GENERIC, 0);
  struct ic_request r;
  while (ic_source_next(src, &r) == IC_OK) {
    struct ic_trace_record rec = {.time_ns = r.arrival_ns, .prompt_tokens = r.prompt_tokens,
                                  .output_tokens = r.output_tokens};
    assert_int_equal(ic_trace_acc_add(a, &rec), IC_OK);
  }
  ic_status st = ic_trace_acc_finish(a, out);
  ic_trace_acc_free(a);
  ic_source_free(src);
  ic_sim_free(sim);
  return st;
}

static void rate_scale_shape(void **state) {
  (void)state;
  struct ic_trace_stats one, three;
  assert_int_equal(scaled_stats(1, 60, &one), IC_OK);
  assert_int_equal(scaled_stats(3, 60, &three), IC_OK);
  assert_int_equal(one.peak_1min_count, 280);
  /* the copies repeat the trace's minute-scale swings instead of averaging
   * them out: the peak minute triples but for the 20 and 40 s shifts
   * (measured 813 = 2.90 x 280); the 6-minute profile keeps its shape */
  assert_true(three.peak_1min_count >= 0.9 * 3 * 280 && three.peak_1min_count <= 3 * 280);
  assert_int_equal(three.fit.profile_bins, one.fit.profile_bins);
  for (size_t b = 0; b < one.fit.profile_bins; b++) assert_true(fabs(three.fit.profile[b] / one.fit.profile[b] - 1) < 0.05);
}

/* k = 0.5 and 2.5: the thinned copy keeps each row with probability 0.5,
 * a binomial count: within 4.5 standard deviations (sqrt(3993/4) = 31.6). */
static void rate_scale_fraction(void **state) {
  (void)state;
  struct ic_traffic_config c = replay_of(MOONCAKE);
  struct tally t;
  c.trace_rate_scale = 0.5;
  assert_int_equal(drain(&c, 2000, &t), IC_ENOENT);
  assert_true(fabs((double)t.n - 0.5 * MOONCAKE_ROWS) < 4.5 * 31.6);
  c.trace_rate_scale = 2.5;
  assert_int_equal(drain(&c, 2000, &t), IC_ENOENT);
  assert_true(fabs((double)t.n - 2.5 * MOONCAKE_ROWS) < 4.5 * 31.6);
  /* same seed, same requests */
  struct tally again;
  assert_int_equal(drain(&c, 2000, &again), IC_ENOENT);
  assert_int_equal(again.n, t.n);
  assert_int_equal(again.hit, t.hit);
}

#define ROW(t, out, cls) "{\"timestamp\": " #t ", \"input_length\": 600, \"output_length\": " #out ", \"hash_ids\": [1, 2], \"m\": \"" cls "\"}\n"

/* Rows with zero output tokens: kept as 1 token, or dropped and counted. */
static void zero_output(void **state) {
  (void)state;
  struct ic_traffic_config c = replay_of(fixture("zero.jsonl", ROW(0, 5, "a") ROW(10, 0, "a") ROW(20, 7, "a")
                                                                   ROW(30, 0, "a") ROW(40, 9, "a")));
  struct tally t;
  assert_int_equal(drain(&c, 100, &t), IC_ENOENT);
  assert_int_equal(t.n, 5);
  c.trace_zero_output = IC_ZERO_OUTPUT_DROP;
  assert_int_equal(drain(&c, 100, &t), IC_ENOENT);
  assert_int_equal(t.n, 3);
  assert_non_null(strstr(diag.text, "zero.jsonl: note: dropped 2 rows with 0 output tokens "
                                    "(traffic.trace_zero_output = drop)\n"));
}

/* Replays c's three rows and checks their classes. */
static void expect_classes(const struct ic_traffic_config *c, ic_sim *sim, const int want[3]) {
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(c, sim, ic_time_from_s(100), 0, &src), IC_OK);
  struct ic_request r;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(ic_source_next(src, &r), IC_OK);
    assert_int_equal(r.class_id, want[i]);
  }
  assert_int_equal(ic_source_next(src, &r), IC_ENOENT);
  ic_source_free(src);
}

/* A class field picks each request's class by name; an unknown name is an
 * error at its line, when the replay reads it (the trace is read once). */
static void class_from_trace(void **state) {
  (void)state;
  struct ic_traffic_config c = replay_of(fixture("cls.jsonl", ROW(0, 5, "b") ROW(10, 3, "a") ROW(20, 7, "b")));
  snprintf(c.trace_class_column, sizeof c.trace_class_column, "m");
  snprintf(c.class_names, sizeof c.class_names, "a|b");
  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  expect_classes(&c, sim, (const int[]){1, 0, 1});
  snprintf(c.trace_path, sizeof c.trace_path, "%s", fixture("cls_bad.jsonl", ROW(0, 5, "a") ROW(10, 3, "c")));
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(100), 0, &src), IC_OK);
  struct ic_request r;
  assert_int_equal(ic_source_next(src, &r), IC_OK);
  assert_int_equal(ic_source_next(src, &r), IC_EINVAL);
  ic_source_free(src);
  assert_string_equal(diag.text, DIR "cls_bad.jsonl:2: m: class 'c' is not one of traffic.class_names (a|b)\n");
  ic_sim_free(sim);
}

/* A CSV column names the class too (BurstGPT's Model here); an empty name
 * is a bad field. */
#define BURST_HEADER "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
static void class_from_csv(void **state) {
  (void)state;
  struct ic_traffic_config c = replay_of(fixture("burst.csv", BURST_HEADER "0,GPT-4,100,20,120,Conversation log\n"
                                                                           "1.5,ChatGPT,50,0,50,API log\n"
                                                                           "2,GPT-4,70,9,79,API log\n"));
  snprintf(c.trace_class_column, sizeof c.trace_class_column, "Model");
  snprintf(c.class_names, sizeof c.class_names, "ChatGPT|GPT-4");
  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  expect_classes(&c, sim, (const int[]){1, 0, 1});
  /* by number: column 6 is Log Type */
  snprintf(c.trace_class_column, sizeof c.trace_class_column, "6");
  snprintf(c.class_names, sizeof c.class_names, "API log|Conversation log");
  expect_classes(&c, sim, (const int[]){1, 0, 0});
  snprintf(c.trace_path, sizeof c.trace_path, "%s", fixture("burst_bad.csv", BURST_HEADER "0,,100,20,120,API log\n"));
  snprintf(c.trace_class_column, sizeof c.trace_class_column, "Model");
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(100), 0, &src), IC_EINVAL);
  assert_non_null(strstr(diag.text, DIR "burst_bad.csv:2: column 2 (Model): expected a class name of 1 to 127 "
                                    "characters, got ''\n"));
  ic_sim_free(sim);
}

/* Key combinations that cannot work are refused by name. */
static void refused_combinations(void **state) {
  (void)state;
  struct ic_traffic_config c = replay_of("-");
  c.trace_rate_scale = 2;
  c.trace_match_volume = true;
  snprintf(c.trace_class_column, sizeof c.trace_class_column, "m");
  c.session_turns = 3;
  assert_int_equal(ic_traffic_check(&c), IC_EINVAL);
  assert_string_equal(diag.text,
                      "traffic.trace_rate_scale and traffic.trace_match_volume: set one, not both\n"
                      "traffic.trace_class_column needs traffic.class_names listing the classes the trace names\n"
                      "traffic.trace_path = -: standard input is read once; this run reads the trace more than "
                      "once (trace_loop, trace_rate_scale > 1, trace_match_volume or empirical lengths): give a "
                      "file\n"
                      "traffic.system_prompts and traffic.session_turns shape generated traffic, not trace replay "
                      "(a trace brings its own block ids)\n");
  /* sessions order their turns by arrival time, which closed and offline
   * loads ignore; shared system prompts are fine there */
  struct ic_traffic_config g = defaults();
  g.mode = IC_LOAD_CLOSED;
  g.system_prompts = 4;
  assert_int_equal(ic_traffic_check(&g), IC_OK);
  g.session_turns = 3;
  diag_capture(NULL);
  assert_int_equal(ic_traffic_check(&g), IC_EINVAL);
  assert_string_equal(diag.text, "traffic.session_turns needs traffic.mode = open: a session's turns follow one "
                                 "another by arrival time and traffic.session_think_s, which offline and closed "
                                 "loads ignore\n");
}

/* --- generated prefixes ------------------------------------------------------------- */

/* Reads a request's hashes into h[]. */
static void hashes_of(ic_source *src, const struct ic_request *r, uint64_t *h) {
  for (uint32_t i = 0; i < r->block_count; i++)
    assert_true(ic_block_ring_get(ic_source_blocks(src), r->block_pos + i, &h[i]));
}

/* 4 system prompts of 1000 tokens, Zipf s = 1.2, blocks of 512, user
 * prompts of 300: block 0 lies inside the system prompt, so it names the
 * prompt (4 distinct values, with Zipf frequencies); block 1 straddles the
 * end of the system prompt, so it is new in every request. */
static void system_prompts(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.queries_per_day = 864000; /* 10/s */
  c.prompt_tokens = 300;
  c.output_tokens = 50;
  c.system_prompts = 4;
  c.system_prompt_tokens = 1000;
  c.system_prompt_zipf_s = 1.2;
  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(2000), 0, &src), IC_OK);
  uint64_t first[4] = {0}, count[4] = {0}, h[4], n = 0;
  size_t kinds = 0;
  ic_block_set *second = ic_block_set_alloc();
  struct ic_request r;
  while (ic_source_next(src, &r) == IC_OK) {
    n++;
    assert_int_equal(r.prompt_tokens, 1300);
    assert_int_equal(r.block_count, 3);
    hashes_of(src, &r, h);
    size_t k = 0;
    while (k < kinds && first[k] != h[0]) k++;
    assert_true(k < 4);
    if (k == kinds) first[kinds++] = h[0];
    count[k]++;
    assert_int_equal(ic_block_set_match_insert(second, &h[1], 1), 0);
  }
  assert_int_equal(kinds, 4);
  /* 20,000 expected, Poisson: within 4.5 x sqrt(20000) */
  assert_true(fabs((double)n - 20000) < 4.5 * 141.4);
  /* the most frequent prompt is seen 1/2^-1.2 ... times: each share within
   * 4.5 binomial standard deviations of k^-1.2 / sum_j j^-1.2 */
  double hsum = 0;
  for (int k = 1; k <= 4; k++) hsum += pow(k, -1.2);
  uint64_t sorted[4];
  memcpy(sorted, count, sizeof sorted);
  for (int i = 0; i < 4; i++)
    for (int j = i + 1; j < 4; j++)
      if (sorted[j] > sorted[i]) {
        uint64_t x = sorted[i];
        sorted[i] = sorted[j];
        sorted[j] = x;
      }
  for (int k = 1; k <= 4; k++) {
    double p = pow(k, -1.2) / hsum, sd = sqrt((double)n * p * (1 - p));
    assert_true(fabs((double)sorted[k - 1] - (double)n * p) < 4.5 * sd);
  }
  ic_block_set_free(second);
  ic_source_free(src);
  ic_sim_free(sim);
}

/* One system prompt of 1024 tokens (two whole blocks) before 300 user
 * tokens: every request after the first hits exactly those 1024 tokens in
 * an unbounded cache, so the hits are (n - 1) x 1024 of n x 1324 tokens. */
static void system_prompt_hits(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.queries_per_day = 86400;
  c.prompt_tokens = 300;
  c.output_tokens = 20;
  c.system_prompts = 1;
  c.system_prompt_tokens = 1024;
  struct tally t;
  assert_int_equal(drain(&c, 3000, &t), IC_ENOENT);
  assert_true(t.n > 2000);
  assert_int_equal(t.prompt, (int64_t)t.n * 1324);
  assert_int_equal(t.hit, (int64_t)(t.n - 1) * 1024);
}

/* Sessions with no think time: a session's turns come one after another.
 * Each turn's prompt is the previous prompt + its output + 600 new tokens,
 * and starts with the previous prompt's complete blocks; the previous
 * prompt's partial block changes. Mean turns 3, and queries_per_day counts
 * requests. */
static void sessions(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.queries_per_day = 86400; /* 1 request/s */
  c.prompt_tokens = 600;
  c.output_tokens = 100;
  c.session_turns = 3;
  c.session_think_s = 0;
  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(30000), 0, &src), IC_OK);
  static uint64_t prev[4096], cur[4096];
  struct ic_request r, last = {0};
  uint64_t n = 0, sessions = 0, follow = 0;
  while (ic_source_next(src, &r) == IC_OK) {
    assert_true(r.block_count < 4096);
    hashes_of(src, &r, cur);
    bool same = n > 0 && r.arrival_ns == last.arrival_ns && cur[0] == prev[0];
    if (!same) {
      sessions++;
      assert_int_equal(r.prompt_tokens, 600);
    } else {
      follow++;
      assert_int_equal(r.prompt_tokens, last.prompt_tokens + last.output_tokens + 600);
      uint32_t whole = (uint32_t)(last.prompt_tokens / 512);
      for (uint32_t i = 0; i < whole; i++) assert_true(cur[i] == prev[i]);
      if (last.prompt_tokens % 512) assert_true(cur[whole] != prev[whole]);
    }
    memcpy(prev, cur, r.block_count * sizeof *cur);
    last = r;
    n++;
  }
  assert_true(follow > 0);
  /* 30,000 requests expected: sessions ~ Poisson(10,000) x geometric turns
   * (variance 6): sd ~ sqrt(10^4 x (6 + 9)) = 387; within 4.5 sd */
  assert_true(fabs((double)n - 30000) < 4.5 * 387);
  assert_true(fabs((double)n / (double)sessions - 3) < 0.15);
  ic_source_free(src);
  ic_sim_free(sim);
}

/* --- the context limit on every source (ic_source_next) ----------------------------- */

/* A source opened with a context of ctx tokens and a policy; drains it,
 * checking that each clamped request keeps no more block hashes than its
 * prompt covers. Returns what was delivered. */
static uint64_t drain_ctx(struct ic_traffic_config c, int policy, int64_t ctx, double end_s, ic_source **keep) {
  c.over_context = policy;
  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(end_s), ctx, &src), IC_OK);
  struct ic_request r;
  uint64_t n = 0;
  ic_status st;
  while ((st = ic_source_next(src, &r)) == IC_OK) {
    assert_int_equal(r.id, n);
    n++;
    assert_true(r.prompt_tokens + r.output_tokens <= ctx);
    const ic_block_ring *ring = ic_source_blocks(src);
    if (!ring) continue;
    int64_t bt = ic_block_ring_block_tokens(ring);
    assert_true((int64_t)r.block_count <= (r.prompt_tokens + bt - 1) / bt);
    uint64_t h;
    for (uint32_t i = 0; i < r.block_count; i++) assert_true(ic_block_ring_get(ring, r.block_pos + i, &h));
  }
  assert_int_equal(st, IC_ENOENT);
  ic_sim_free(sim);
  *keep = src;
  return n;
}

/* Rate-scale copies go through the limit one by one: trace_long_context.csv
 * (by hand: rows 4000+200 and 5000+50 exceed 4,096 tokens, 9,000 prompt +
 * 250 output tokens) replayed as 2 copies offers 10 requests and rejects
 * 4 (18,000 + 500 tokens). */
static void context_limit_on_copies(void **state) {
  (void)state;
  struct ic_traffic_config c = replay_of(IC_SOURCE_DIR "/tests/data/trace_long_context.csv");
  c.trace_rate_scale = 2;
  ic_source *src;
  assert_int_equal(drain_ctx(c, IC_OVER_CONTEXT_REJECT, 4096, 100, &src), 6);
  assert_int_equal(ic_source_offered(src)->requests, 10);
  assert_int_equal(ic_source_over_context(src)->requests, 4);
  assert_int_equal(ic_source_over_context(src)->prompt_tokens, 18000);
  assert_int_equal(ic_source_over_context(src)->output_tokens, 500);
  ic_source_free(src);
}

/* The JSON Lines trace with a context of 8,192 tokens: the rows over it,
 * counted here from the file's own fields, are what the source clamps,
 * and every clamped prompt keeps only the hashes of the blocks it covers. */
static void context_limit_on_jsonl(void **state) {
  (void)state;
  FILE *f = fopen(MOONCAKE, "r");
  assert_non_null(f);
  static char line[1 << 20];
  uint64_t over = 0, rows = 0;
  while (fgets(line, sizeof line, f)) {
    const char *p = strstr(line, "\"input_length\": "), *o = strstr(line, "\"output_length\": ");
    assert_non_null(p);
    assert_non_null(o);
    rows++;
    over += strtoll(p + 16, NULL, 10) + strtoll(o + 17, NULL, 10) > 8192;
  }
  fclose(f);
  assert_int_equal(rows, MOONCAKE_ROWS);
  assert_true(over > 100);
  ic_source *src;
  assert_int_equal(drain_ctx(replay_of(MOONCAKE), IC_OVER_CONTEXT_CLAMP, 8192, 2000, &src), MOONCAKE_ROWS);
  assert_int_equal(ic_source_over_context(src)->requests, over);
  ic_source_free(src);
  assert_int_equal(drain_ctx(replay_of(MOONCAKE), IC_OVER_CONTEXT_REJECT, 8192, 2000, &src), MOONCAKE_ROWS - over);
  ic_source_free(src);
}

/* Generated prefixes: a system prompt of 5,000 tokens on a context of
 * 4,096 makes every request too long: reject leaves none, clamp cuts
 * every one (and its blocks). Sessions of a 3,000-token context grow past
 * 4,096 by their third turn at the latest, and those turns are counted. */
static void context_limit_on_prefixes(void **state) {
  (void)state;
  struct ic_traffic_config c = defaults();
  c.queries_per_day = 86400;
  c.prompt_tokens = 300;
  c.output_tokens = 20;
  c.system_prompts = 4;
  c.system_prompt_tokens = 5000;
  ic_source *src;
  assert_int_equal(drain_ctx(c, IC_OVER_CONTEXT_REJECT, 4096, 600, &src), 0);
  uint64_t offered = ic_source_offered(src)->requests;
  assert_true(offered > 400);
  assert_int_equal(ic_source_over_context(src)->requests, offered);
  ic_source_free(src);
  assert_int_equal(drain_ctx(c, IC_OVER_CONTEXT_CLAMP, 4096, 600, &src), offered);
  assert_int_equal(ic_source_over_context(src)->requests, offered);
  ic_source_free(src);
  c.system_prompt_tokens = 3000;
  c.session_turns = 4;
  c.session_think_s = 5;
  uint64_t n = drain_ctx(c, IC_OVER_CONTEXT_REJECT, 4096, 600, &src);
  uint64_t over_n = ic_source_over_context(src)->requests;
  assert_true(over_n > 0 && n > 0);
  assert_int_equal(n + over_n, ic_source_offered(src)->requests);
  ic_source_free(src);
}

/* Every copy and loop re-reads the file: one that reads other bytes than
 * the checking pass hashed stops the run (the digest would not name them). */
static void changed_trace_is_an_error(void **state) {
  (void)state;
  const char *path = fixture("changing.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,100,10\n1.0,200,20\n");
  struct ic_traffic_config c = replay_of(path);
  c.trace_loop = true;
  ic_sim *sim = ic_sim_alloc(42, 0);
  ic_source *src = NULL;
  assert_int_equal(ic_traffic_open(&c, sim, ic_time_from_s(100), 0, &src), IC_OK);
  FILE *f = fopen(path, "w"); /* same file, other content */
  assert_non_null(f);
  fputs("arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,100,10\n1.0,300,20\n", f);
  fclose(f);
  struct ic_request r;
  ic_status st;
  int n = 0;
  while ((st = ic_source_next(src, &r)) == IC_OK) n++;
  assert_int_equal(st, IC_EINVAL);
  assert_true(n >= 2 && n < 10);
  assert_non_null(strstr(diag.text, "changing.csv: the trace changed while the run read it"));
  ic_source_free(src);
  ic_sim_free(sim);
}

#define ONE(fn) cmocka_unit_test_setup_teardown(fn, diag_capture, diag_release)

int main(void) {
  const struct CMUnitTest tests[] = {
      ONE(replay_carries_blocks), ONE(rate_scale_whole), ONE(rate_scale_shape), ONE(rate_scale_fraction), ONE(zero_output),
      ONE(class_from_trace),      ONE(class_from_csv),       ONE(refused_combinations), ONE(system_prompts),
      ONE(system_prompt_hits),    ONE(sessions),       ONE(context_limit_on_copies), ONE(context_limit_on_jsonl),
      ONE(context_limit_on_prefixes), ONE(changed_trace_is_an_error),
  };
  return cmocka_run_group_tests_name("traffic_prefix", tests, NULL, NULL);
}
