/* test_serve_admission.c: the scheduler knobs of continuous batching that
 * engines differ on: a token budget for whole-prompt prefill (vLLM's
 * max_num_batched_tokens) and admission that reserves a request's whole KV
 * need (TensorRT-LLM's no-evict policy) beside evict-and-recompute. */
#include <math.h>
#include <stdio.h>

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
  const struct ic_precisions prec = {IC_FP16, IC_FP16, IC_FP16};
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(token_budget_by_hand),
      cmocka_unit_test(reserve_never_evicts),
      cmocka_unit_test_setup_teardown(budget_needs_whole_prompts, diag_capture, diag_release),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
