/* ic_test_perf.h: the replica most serving tests run on. */
#ifndef IC_TEST_PERF_H
#define IC_TEST_PERF_H

#include "ic_test.h"
#include "infercost/perf.h"

/* Llama-2-7B in fp16 on one H100, usual efficiencies. */
static inline struct ic_perf ic_test_llama7b_h100(void) {
  const struct ic_precisions prec = {IC_FP16, IC_FP16, IC_FP16};
  const struct ic_perf_params pp = {.compute_efficiency = 0.5, .memory_efficiency = 0.8, .link_efficiency = 0.7,
                                    .link_latency_s = 1e-6, .overhead_s = 0.002, .memory_reserve_frac = 0.1};
  struct ic_perf perf;
  assert_int_equal(ic_perf_init(&perf, ic_model_find("llama2-7b"), ic_hw_find_gpu("h100-sxm"), 1, &prec, &pp, "test"),
                   IC_OK);
  return perf;
}

#endif
