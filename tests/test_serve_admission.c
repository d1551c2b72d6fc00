/* test_serve_admission.c: the scheduler knobs of continuous batching that
 * engines differ on: a token budget for whole-prompt prefill (vLLM's
 * max_num_batched_tokens) and admission that reserves a request's whole KV
 * need (TensorRT-LLM's no-evict policy) beside evict-and-recompute. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ic_test_diag.h"
#include "infercost/perf.h"
#include "infercost/run.h"
#include "infercost/scenario.h"

static void set(struct ic_scenario *s, const char *kv) { assert_int_equal(ic_scenario_set(s, kv, "test"), IC_OK); }

/* One Llama-2-7B replica on one H100, fp16, continuous batching, `n`
 * requests all at time 0 (offline) of fixed lengths. */
static void offline_replica(struct ic_scenario *s, int n, int prompt, int output) {
  ic_scenario_defaults(s);
  static const char *const keys[] = {"model.name=llama2-7b", "fleet.gpu=h100-sxm", "fleet.server=test-host", "power.node_base_w=1500", "cost.server_price_usd=100000",
                                     "fleet.nodes=1", "fleet.gpus_per_node=1", "fleet.gpus_per_replica=1",
                                     "serving.batching=continuous", "serving.max_batch=64", "traffic.mode=offline"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) set(s, keys[i]);
  char kv[64];
  snprintf(kv, sizeof kv, "traffic.requests=%d", n);
  set(s, kv);
  snprintf(kv, sizeof kv, "traffic.prompt_tokens=%d", prompt);
  set(s, kv);
  snprintf(kv, sizeof kv, "traffic.output_tokens=%d", output);
  set(s, kv);
}

/* Time of prefilling `batch` prompts of `prompt` tokens in one iteration,
 * from the compute model directly, on the clock. */
static double prefill_s(const struct ic_scenario *s, int64_t prompt, int64_t batch) {
  const struct ic_precisions prec = {.weights = IC_FP16, .activations = IC_FP16, .kv = IC_FP16};
  struct ic_perf perf;
  assert_int_equal(ic_perf_init(&perf, ic_model_find("llama2-7b"), ic_hw_find_gpu("h100-sxm"), 1, &prec, &s->perf,
                                "test"), IC_OK);
  struct ic_iter_shape shape = ic_iter_shape_prefill(prompt, batch);
  return ic_time_to_s(ic_time_from_s(ic_perf_iter_s(&perf, &shape, NULL)));
}

/* By hand: 4 prompts of 1,000 tokens at time 0. Without a budget one
 * iteration prefills all four: every TTFT is T4 = prefill(4 x 1000). With
 * max_batched_tokens = 2,500 the first iteration takes two prompts (a
 * third would make 3,000) and the next the other two, decodes waiting
 * (prefill first): TTFTs T2, T2, 2 T2, 2 T2, mean 1.5 T2. */
static void token_budget_by_hand(void **state) {
  (void)state;
  static struct ic_scenario s;
  offline_replica(&s, 4, 1000, 2);
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  double t4 = prefill_s(&s, 1000, 4), t2 = prefill_s(&s, 1000, 2);
  assert_true(fabs(r.ttft_mean_s - t4) < 1e-9);
  set(&s, "serving.max_batched_tokens=2500");
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_int_equal(r.completed, 4);
  assert_true(fabs(r.ttft_mean_s - 1.5 * t2) < 1e-9);
  /* A prompt longer than the budget still runs, alone. */
  set(&s, "serving.max_batched_tokens=700");
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  double t1 = prefill_s(&s, 1000, 1);
  assert_true(fabs(r.ttft_mean_s - 2.5 * t1) < 1e-9); /* (1 + 2 + 3 + 4) T1 / 4 */
}

/* A KV cache of a few thousand tokens and 16 requests of 500 + 1,500 at
 * once: evict-and-recompute admits every prompt and must evict as outputs
 * grow; reserve admits only what fits whole, and never evicts. Both
 * complete every request; reserve's peak KV use stays within capacity. */
static void reserve_never_evicts(void **state) {
  (void)state;
  static struct ic_scenario s;
  offline_replica(&s, 16, 500, 1500);
  /* 80 GB x (1 - 0.7525) = 19.8 GB usable, 13.5 GB of weights: about 12,000 KV tokens. */
  set(&s, "perf.memory_reserve_frac=0.7525");
  struct ic_run_result evict, reserve;
  assert_int_equal(ic_run_scenario(&s, &evict), IC_OK);
  set(&s, "serving.admission=reserve");
  assert_int_equal(ic_run_scenario(&s, &reserve), IC_OK);
  assert_true(evict.kv_capacity_tokens < 16 * 2000.0 && evict.kv_capacity_tokens > 4 * 2000.0);
  assert_true(evict.preemptions > 0);
  assert_int_equal(reserve.preemptions, 0);
  assert_int_equal(evict.completed, 16);
  assert_int_equal(reserve.completed, 16);
  /* Reserve runs at most floor(capacity / 2000) at a time. */
  assert_true(reserve.batch_p99 <= floor(reserve.kv_capacity_tokens / 2000.0));
}

static void budget_needs_whole_prompts(void **state) {
  (void)state;
  static struct ic_scenario s;
  offline_replica(&s, 4, 100, 2);
  set(&s, "serving.max_batched_tokens=2048");
  set(&s, "serving.prefill_chunk_tokens=512");
  assert_int_equal(ic_scenario_check(&s), IC_EINVAL);
  assert_non_null(strstr(diag.text, "serving.max_batched_tokens"));
}

/* The model's own step times, on the clock (ns), for the hand computation below. */
static struct ic_perf perf_7b(const struct ic_scenario *s) {
  const struct ic_precisions prec = {.weights = IC_FP16, .activations = IC_FP16, .kv = IC_FP16};
  struct ic_perf perf;
  assert_int_equal(ic_perf_init(&perf, ic_model_find("llama2-7b"), ic_hw_find_gpu("h100-sxm"), 1, &prec, &s->perf,
                                "test"), IC_OK);
  return perf;
}

static ic_time_ns prefill_ns(const struct ic_perf *perf, int64_t prompt) {
  struct ic_iter_shape shape = ic_iter_shape_prefill(prompt, 1);
  return ic_duration_from_s(ic_perf_iter_s(perf, &shape, NULL));
}

/* One decode step of one or two sequences at contexts a and b (b < 0: none). */
static ic_time_ns decode_ns(const struct ic_perf *perf, int64_t a, int64_t b) {
  int64_t ctx[2] = {a, b};
  struct ic_iter_shape shape = ic_iter_shape_decode_each(ctx, b < 0 ? 1 : 2);
  return ic_duration_from_s(ic_perf_iter_s(perf, &shape, NULL));
}

/* Replays `rows` (Vidur trace rows, relative seconds) of n requests on
 * one replica with knobs kv; their mean TTFT. */
static double trace_ttft(const char *rows, uint64_t n, const char *const *kv) {
  static char path[] = "/tmp/ic_test_holdXXXXXX";
  strcpy(path, "/tmp/ic_test_holdXXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  fprintf(f, "arrived_at,num_prefill_tokens,num_decode_tokens\n%s", rows);
  fclose(f);
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  static const char *const keys[] = {"model.name=llama2-7b", "fleet.gpu=h100-sxm", "fleet.server=test-host", "power.node_base_w=1500", "cost.server_price_usd=100000",
                                     "fleet.nodes=1", "fleet.gpus_per_node=1", "fleet.gpus_per_replica=1",
                                     "serving.batching=continuous", "serving.max_batch=64", "traffic.arrival=trace",
                                     "run.warmup_s=0", "run.duration_s=100"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) set(&s, keys[i]);
  char kvp[300];
  snprintf(kvp, sizeof kvp, "traffic.trace_path=%s", path);
  set(&s, kvp);
  for (; *kv; kv++) set(&s, *kv);
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  unlink(path);
  assert_int_equal(r.completed, n);
  return r.ttft_mean_s;
}

/* A trace row at t_ns: a 1,000-token prompt, `out` tokens out. */
static void trace_row(char *buf, size_t size, ic_time_ns t_ns, int out) {
  size_t len = strlen(buf);
  snprintf(buf + len, size - len, "%lld.%09lld,1000,%d\n", (long long)(t_ns / 1000000000), (long long)(t_ns % 1000000000), out);
}

/* Three requests of 1,000-token prompts on one replica: A at 0 (200 tokens
 * out), B and C (50 out) at `tb_ns` and `tc_ns`; knobs kv. The mean TTFT of the three. */
static double three_requests_ttft(ic_time_ns tb_ns, ic_time_ns tc_ns, const char *const *kv) {
  char rows[256] = "";
  trace_row(rows, sizeof rows, 0, 200);
  trace_row(rows, sizeof rows, tb_ns, 50);
  trace_row(rows, sizeof rows, tc_ns, 50);
  return trace_ttft(rows, 3, kv);
}

/* By hand, with P = the prefill of one 1,000-token prompt and d(a, b) a
 * decode step at contexts a (and b); A's first token at P.
 * - B arrives halfway through A's first decode step, C halfway through B's
 *   prefill. Knobs off: B is admitted after that step, at E = P + d(1000),
 *   and C when B's prefill ends: TTFT_B = E + P - tB, TTFT_C = E + 2P - tC.
 * - scheduler_steps = 4 (vLLM num_scheduler_steps): B waits for the end of
 *   A's block of 4 steps, E4 = P + d(1000) + ... + d(1003); C is admitted
 *   when B's prefill ends: TTFT_B = E4 + P - tB, TTFT_C = E4 + 2P - tC.
 * - and prefill_min_queue = 2 (AMD's hold-back): at P the queue is empty
 *   and A was just admitted, so that decision holds and the next is after
 *   4 steps (E4), which admits B (the one before admitted none); when B's
 *   prefill ends C waits alone right after an admitting decision: held for
 *   one more block of A and B, d(1004 + j, 1000 + j) for j = 0..3, then
 *   admitted: TTFT_C = E4 + P + block + P - tC. */
static void prefill_hold_back_by_hand(void **state) {
  (void)state;
  static struct ic_scenario s;
  offline_replica(&s, 1, 1000, 2);
  struct ic_perf perf = perf_7b(&s);
  ic_time_ns p = prefill_ns(&perf, 1000), d0 = decode_ns(&perf, 1000, -1);
  ic_time_ns e4 = p, block = 0;
  for (int j = 0; j < 4; j++) {
    e4 += decode_ns(&perf, 1000 + j, -1);
    block += decode_ns(&perf, 1004 + j, 1000 + j);
  }
  ic_time_ns tb = p + d0 / 2;
  const double ns = 1e-9;
  /* knobs off */
  ic_time_ns e = p + d0, tc = e + p / 2;
  double want = ns * (double)(p + (e + p - tb) + (e + 2 * p - tc)) / 3;
  assert_true(fabs(three_requests_ttft(tb, tc, (const char *const[]){NULL}) - want) < 1e-9);
  /* multi-step scheduling */
  tc = e4 + p / 2;
  want = ns * (double)(p + (e4 + p - tb) + (e4 + 2 * p - tc)) / 3;
  assert_true(fabs(three_requests_ttft(tb, tc, (const char *const[]){"serving.scheduler_steps=4", NULL}) - want) < 1e-9);
  /* and the hold-back */
  want = ns * (double)(p + (e4 + p - tb) + (e4 + p + block + p - tc)) / 3;
  assert_true(fabs(three_requests_ttft(tb, tc, (const char *const[]){"serving.scheduler_steps=4",
                                                                     "serving.prefill_min_queue=2", NULL}) -
                   want) < 1e-9);
  /* The same pattern with the queue at the bound admits at once (C's block gone): prefill_min_queue = 1. */
  want = ns * (double)(p + (e4 + p - tb) + (e4 + 2 * p - tc)) / 3;
  assert_true(fabs(three_requests_ttft(tb, tc, (const char *const[]){"serving.scheduler_steps=4",
                                                                     "serving.prefill_min_queue=1", NULL}) -
                   want) < 1e-9);
}

/* One iteration of the given shape on the clock (ns). */
static ic_time_ns shape_ns(const struct ic_perf *perf, struct ic_iter_shape shape) {
  return ic_duration_from_s(ic_perf_iter_s(perf, &shape, NULL));
}

/* Two requests of 1,000-token prompts on one replica: A at 0 with `out_a`
 * tokens out, B (2 out) at tb_ns; knobs kv. The sum of their TTFTs (A's is
 * its own prefill, taken away by the caller). */
static double second_ttft(int out_a, ic_time_ns tb_ns, const char *const *kv) {
  char rows[256] = "";
  trace_row(rows, sizeof rows, 0, out_a);
  trace_row(rows, sizeof rows, tb_ns, 2);
  return 2.0 * trace_ttft(rows, 2, kv);
}

/* serving.token_budget = iteration (TensorRT-LLM's in-flight batching), by
 * hand. A (1,000-token prompt) prefills alone: first token at P; B arrives
 * halfway through A's first decode step d(1000) and is admitted at its end,
 * E = P + d(1000).
 * - Whole prompts, budget 2,048: today (prefill) B's prompt runs alone and
 *   A waits: TTFT_B = E + P - tB. Counting every token, A's decode rides
 *   along in B's iteration, one iteration of decode(1 at 1001) + prompt(1000):
 *   TTFT_B = E + M - tB.
 * - Whole prompts, budget 1,000: A's decode takes 1 of the 1,000 tokens and
 *   B's prompt does not fit in the 999 left, so B waits for A's last token
 *   (A: 20 out, 19 decode steps at contexts 1000..1018):
 *   TTFT_B = P + sum d + P - tB. Counting prompt tokens only it would not wait.
 * - Chunks of 600: A in chunks of 600 and 400 (no decodes yet); B beside A's
 *   decode in chunks of 599 and 401 (the decode takes one token of each):
 *   TTFT_B = E' + M1 + M2 - tB with E' = A's two chunks + d(1000). */
static void iteration_budget_by_hand(void **state) {
  (void)state;
  static struct ic_scenario s;
  offline_replica(&s, 1, 1000, 2);
  struct ic_perf perf = perf_7b(&s);
  ic_time_ns p = prefill_ns(&perf, 1000), d0 = decode_ns(&perf, 1000, -1), e = p + d0, tb = p + d0 / 2;
  const double ns = 1e-9;
  ic_time_ns m = shape_ns(&perf, ic_iter_shape_add(ic_iter_shape_decode(1, 1001), ic_iter_shape_prefill_chunk(1000, 0)));
  assert_true(m > p); /* the decode adds to the iteration */
  double got = second_ttft(20, tb, (const char *const[]){"serving.max_batched_tokens=2048", NULL}) - ns * (double)p;
  assert_true(fabs(got - ns * (double)(e + p - tb)) < 1e-9);
  got = second_ttft(20, tb, (const char *const[]){"serving.max_batched_tokens=2048", "serving.token_budget=iteration", NULL}) -
        ns * (double)p;
  assert_true(fabs(got - ns * (double)(e + m - tb)) < 1e-9);
  ic_time_ns a_end = p;
  for (int j = 0; j < 19; j++) a_end += decode_ns(&perf, 1000 + j, -1);
  got = second_ttft(20, tb, (const char *const[]){"serving.max_batched_tokens=1000", "serving.token_budget=iteration", NULL}) -
        ns * (double)p;
  assert_true(fabs(got - ns * (double)(a_end + p - tb)) < 1e-9);
  got = second_ttft(20, tb, (const char *const[]){"serving.max_batched_tokens=1000", NULL}) - ns * (double)p;
  assert_true(fabs(got - ns * (double)(e + p - tb)) < 1e-9);
  /* chunks */
  ic_time_ns c1 = shape_ns(&perf, ic_iter_shape_prefill_chunk(600, 0)), c2 = shape_ns(&perf, ic_iter_shape_prefill_chunk(400, 600));
  ic_time_ns pa = c1 + c2, e2 = pa + d0, tb2 = pa + d0 / 2;
  ic_time_ns m1 = shape_ns(&perf, ic_iter_shape_add(ic_iter_shape_decode(1, 1001), ic_iter_shape_prefill_chunk(599, 0)));
  ic_time_ns m2 = shape_ns(&perf, ic_iter_shape_add(ic_iter_shape_decode(1, 1002), ic_iter_shape_prefill_chunk(401, 599)));
  got = second_ttft(20, tb2, (const char *const[]){"serving.prefill_chunk_tokens=600", "serving.token_budget=iteration", NULL}) -
        ns * (double)pa;
  assert_true(fabs(got - ns * (double)(e2 + m1 + m2 - tb2)) < 1e-9);
}

/* Sum of the iteration times of `n` shapes, each on the clock (ns). */
static ic_time_ns shapes_ns(const struct ic_perf *perf, const struct ic_iter_shape *shapes, size_t n) {
  ic_time_ns t = 0;
  for (size_t i = 0; i < n; i++) t += shape_ns(perf, shapes[i]);
  return t;
}

/* One iteration: the decodes at `ctx` (n of them) and up to two prompt
 * chunks (tokens, cached); a chunk of 0 tokens is absent. */
static struct ic_iter_shape mixed(const int64_t *ctx, size_t n, int64_t t1, int64_t c1, int64_t t2, int64_t c2) {
  struct ic_iter_shape sh = ic_iter_shape_decode_each(ctx, n);
  if (t1 > 0) sh = ic_iter_shape_add(sh, ic_iter_shape_prefill_chunk(t1, c1));
  if (t2 > 0) sh = ic_iter_shape_add(sh, ic_iter_shape_prefill_chunk(t2, c2));
  return sh;
}

/* serving.prefill_chunk_max_tokens (vLLM V1's long_prefill_token_threshold),
 * by hand, with the budget counting every token (vLLM V1 schedules the
 * running requests first).
 * - One 871-token prompt alone, budget 1,024: without the cap one chunk of
 *   871; with a cap of 256, four iterations of 256, 256, 256 and 103 tokens
 *   at 0, 256, 512 and 768 cached.
 * - A (1,000-token prompt, 20 out) at 0 prefills in chunks of 256, 256, 256,
 *   232 (time PA); B and C (871 tokens, 2 out) arrive together halfway
 *   through A's first decode step d(1000) and are admitted at its end,
 *   E = PA + d(1000). Budget 1,024: A's decode takes one token, and B and C
 *   take 256 each (512 of the 1,023 left) for three iterations, then 103
 *   each: both first tokens at E + M1 + ... + M4. Budget 400: 399 left after
 *   A's decode; B takes 256, C the 143 left, three times; then B its last
 *   103 and C 256 (min of the cap, the 296 left and its 442); then A and B
 *   decode (B's second token) and C takes its last 186 of the 398 left:
 *   TTFT_B = E + M1..M4 - tB, TTFT_C = E + M1..M5 - tB. */
static void prompt_cap_by_hand(void **state) {
  (void)state;
  static struct ic_scenario s;
  offline_replica(&s, 1, 871, 2);
  set(&s, "serving.prefill_chunk_tokens=1024");
  set(&s, "serving.token_budget=iteration");
  struct ic_perf perf = perf_7b(&s);
  const double ns = 1e-9;
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_true(fabs(r.ttft_mean_s - ns * (double)shape_ns(&perf, ic_iter_shape_prefill_chunk(871, 0))) < 1e-9);
  set(&s, "serving.prefill_chunk_max_tokens=256");
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  const struct ic_iter_shape alone[] = {mixed(NULL, 0, 256, 0, 0, 0), mixed(NULL, 0, 256, 256, 0, 0),
                                        mixed(NULL, 0, 256, 512, 0, 0), mixed(NULL, 0, 103, 768, 0, 0)};
  assert_true(fabs(r.ttft_mean_s - ns * (double)shapes_ns(&perf, alone, 4)) < 1e-9);

  const struct ic_iter_shape a_prefill[] = {mixed(NULL, 0, 256, 0, 0, 0), mixed(NULL, 0, 256, 256, 0, 0),
                                            mixed(NULL, 0, 256, 512, 0, 0), mixed(NULL, 0, 232, 768, 0, 0)};
  ic_time_ns pa = shapes_ns(&perf, a_prefill, 4), d0 = decode_ns(&perf, 1000, -1), e = pa + d0, tb = pa + d0 / 2;
  char rows[256] = "";
  snprintf(rows, sizeof rows, "0.000000000,1000,20\n%lld.%09lld,871,2\n%lld.%09lld,871,2\n", (long long)(tb / 1000000000),
           (long long)(tb % 1000000000), (long long)(tb / 1000000000), (long long)(tb % 1000000000));
  const int64_t a1[] = {1001}, a2[] = {1002}, a3[] = {1003}, a4[] = {1004}, ab5[] = {1005, 871};
  const struct ic_iter_shape wide[] = {mixed(a1, 1, 256, 0, 256, 0), mixed(a2, 1, 256, 256, 256, 256),
                                       mixed(a3, 1, 256, 512, 256, 512), mixed(a4, 1, 103, 768, 103, 768)};
  ic_time_ns bc = e + shapes_ns(&perf, wide, 4) - tb;
  double got = 3.0 * trace_ttft(rows, 3, (const char *const[]){"serving.prefill_chunk_tokens=1024", "serving.token_budget=iteration",
                                                                "serving.prefill_chunk_max_tokens=256", NULL});
  assert_true(fabs(got - ns * (double)(pa + 2 * bc)) < 1e-9);
  const struct ic_iter_shape tight[] = {mixed(a1, 1, 256, 0, 143, 0),     mixed(a2, 1, 256, 256, 143, 143),
                                        mixed(a3, 1, 256, 512, 143, 286), mixed(a4, 1, 103, 768, 256, 429),
                                        mixed(ab5, 2, 186, 685, 0, 0)};
  ic_time_ns b = e + shapes_ns(&perf, tight, 4) - tb, c = e + shapes_ns(&perf, tight, 5) - tb;
  got = 3.0 * trace_ttft(rows, 3, (const char *const[]){"serving.prefill_chunk_tokens=400", "serving.token_budget=iteration",
                                                         "serving.prefill_chunk_max_tokens=256", NULL});
  assert_true(fabs(got - ns * (double)(pa + b + c)) < 1e-9);
}

/* Counting every token, a replica runs no more requests than the budget has
 * tokens for their decodes: 6 requests at once, chunks of 2 tokens, at most
 * 2 running. Conservation: every request that arrived completes. */
static void iteration_budget_caps_the_batch(void **state) {
  (void)state;
  static struct ic_scenario s;
  offline_replica(&s, 6, 10, 3);
  set(&s, "serving.prefill_chunk_tokens=2");
  set(&s, "serving.token_budget=iteration");
  struct ic_run_result r;
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_int_equal(r.completed, 6);
  assert_true(r.batch_p99 <= 2.0);
  assert_int_equal(r.arrived, r.completed + r.rejected + r.in_flight_at_end);
  assert_int_equal(r.in_flight_at_end, 0);
  set(&s, "serving.token_budget=prefill");
  assert_int_equal(ic_run_scenario(&s, &r), IC_OK);
  assert_int_equal(r.completed, 6);
  assert_true(r.batch_p99 > 2.0);
}

/* Where the budget never binds (10,000 tokens for 8 prompts of 100 and
 * their decodes) chunked prefill and both whole-prompt and chunked budgets
 * counting every token run the same iterations: one schedule, to the
 * nanosecond. The default whole-prompt budget differs (its decodes wait). */
static void iteration_budget_unbound_is_chunked(void **state) {
  (void)state;
  static struct ic_scenario s;
  offline_replica(&s, 8, 100, 20);
  set(&s, "traffic.mode=open");
  set(&s, "traffic.queries_per_day=864000"); /* 10 per second */
  set(&s, "run.duration_s=60");
  struct ic_run_result chunk, whole_it, chunk_it, whole;
  set(&s, "serving.prefill_chunk_tokens=10000");
  assert_int_equal(ic_run_scenario(&s, &chunk), IC_OK);
  set(&s, "serving.token_budget=iteration");
  assert_int_equal(ic_run_scenario(&s, &chunk_it), IC_OK);
  set(&s, "serving.prefill_chunk_tokens=0");
  set(&s, "serving.max_batched_tokens=10000");
  assert_int_equal(ic_run_scenario(&s, &whole_it), IC_OK);
  set(&s, "serving.token_budget=prefill");
  assert_int_equal(ic_run_scenario(&s, &whole), IC_OK);
  assert_true(chunk.completed > 500);
  assert_int_equal(chunk_it.completed, chunk.completed);
  assert_int_equal(whole_it.completed, chunk.completed);
  assert_true(chunk_it.ttft_mean_s == chunk.ttft_mean_s && whole_it.ttft_mean_s == chunk.ttft_mean_s);
  assert_true(chunk_it.tpot_mean_s == chunk.tpot_mean_s && whole_it.tpot_mean_s == chunk.tpot_mean_s);
  assert_true(whole.tpot_mean_s > chunk.tpot_mean_s);
}

/* Static batching has no running batch to schedule: the knobs are refused, by name. */
static void scheduling_knobs_need_continuous(void **state) {
  (void)state;
  static struct ic_scenario s;
  offline_replica(&s, 4, 100, 2);
  set(&s, "serving.batching=static");
  set(&s, "serving.prefill_min_queue=8");
  assert_int_equal(ic_scenario_check(&s), IC_EINVAL);
  assert_non_null(strstr(diag.text, "serving.prefill_min_queue"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(token_budget_by_hand),
      cmocka_unit_test(prompt_cap_by_hand),
      cmocka_unit_test(reserve_never_evicts),
      cmocka_unit_test_setup_teardown(budget_needs_whole_prompts, diag_capture, diag_release),
      cmocka_unit_test(prefill_hold_back_by_hand),
      cmocka_unit_test_setup_teardown(scheduling_knobs_need_continuous, diag_capture, diag_release),
      cmocka_unit_test(iteration_budget_by_hand),
      cmocka_unit_test(iteration_budget_caps_the_batch),
      cmocka_unit_test(iteration_budget_unbound_is_chunked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
