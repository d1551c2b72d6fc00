/* ic_test_scenario.h: scenarios built in memory by the tests. */
#ifndef IC_TEST_SCENARIO_H
#define IC_TEST_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "ic_test.h"
#include "infercost/scenario.h"

/* Sets one key=value, which must be accepted. */
static inline void ic_test_set(struct ic_scenario *s, const char *kv) {
  assert_int_equal(ic_scenario_set(s, kv, "test"), IC_OK);
}

/* One Llama-2-7B replica on one H100 (idle 75 W, TDP 700 W) in a 1,500 W
 * test host, fixed lengths 300 + 40 tokens, the given batching and cap. */
static inline void ic_test_one_replica(struct ic_scenario *s, const char *batching, int64_t max_batch) {
  ic_scenario_defaults(s);
  static const char *const keys[] = {
      "model.name=llama2-7b", "fleet.gpu=h100-sxm", "fleet.server=test-host",
      "power.node_base_w=1500", "cost.server_price_usd=100000", "fleet.nodes=1",
      "fleet.gpus_per_node=1", "fleet.gpus_per_replica=1", "serving.batch_timeout_s=0",
      "traffic.prompt_tokens=300", "traffic.output_tokens=40", "run.seed=31337"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) ic_test_set(s, keys[i]);
  char kv[96];
  snprintf(kv, sizeof kv, "serving.batching=%s", batching);
  ic_test_set(s, kv);
  snprintf(kv, sizeof kv, "serving.max_batch=%lld", (long long)max_batch);
  ic_test_set(s, kv);
}

#endif
