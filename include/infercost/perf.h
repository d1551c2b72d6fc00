/* perf.h: roofline service time of an iteration on a replica of k GPUs. */
#ifndef IC_PERF_H
#define IC_PERF_H

#include <stdint.h>

#include "infercost/hw.h"
#include "infercost/model.h"
#include "infercost/status.h"

/* Knobs of the roofline; defaults and their sources in docs/compute-model.md. */
struct ic_perf_params {
  double compute_efficiency;   /* achieved / peak FLOP/s, (0, 1] */
  double memory_efficiency;    /* achieved / peak memory bandwidth, (0, 1] */
  double link_efficiency;      /* achieved / peak interconnect bandwidth, (0, 1] */
  double link_latency_s;       /* per all-reduce step */
  double overhead_s;           /* fixed per iteration: launch, scheduling, sampling */
  double memory_reserve_frac;  /* of each GPU's memory kept free (activations, fragmentation) */
  double weight_pass_flops;    /* FLOP-equivalents of work per weight element per iteration of more
                                  than one token, whatever the batch: packing, dequantization */
  double attention_compute_efficiency; /* attention kernels' FLOP/s relative to the GEMMs', (0, 1];
                                          0 = unset, taken as 1 */
  double attention_memory_efficiency;  /* their KV-cache read rate relative to the GEMMs' streaming, (0, 1];
                                          0 = unset, taken as 1 */
};

/* A replica: one model instance on `tp` GPUs with tensor parallelism. */
struct ic_perf {
  const struct ic_model_spec *model;
  const struct ic_gpu_spec *gpu;
  int64_t tp;
  struct ic_precisions prec;
  struct ic_perf_params params;
  double kv_capacity_tokens;   /* KV-cache tokens the replica can hold */
};

/* Where an iteration's time goes (seconds). compute_s and memory_s add the
 * dense and the attention parts; dense_s and attention_s are each part's
 * roofline, max(compute, memory). */
struct ic_perf_breakdown {
  double compute_s, memory_s, dense_s, attention_s, comm_s, overhead_s, total_s;
  double attn_compute_s, attn_memory_s; /* the two sides of attention_s's max() */
};

/* A decode step of n sequences as a function of K, the sum of their cached
 * contexts: only attention depends on K, and each side of its max() is
 * affine in K, so
 *   step(K) = fixed_s + max(attn_compute0_s + attn_compute1_s K,
 *                           attn_memory0_s + attn_memory1_s K)
 * is ic_perf_iter_s of ic_iter_shape_decode_each(contexts summing to K, n),
 * to rounding. The FLOPs and bytes of that step (ic_model_iter_cost) are
 * flops0 + flops1 K and bytes0 + bytes1 K. The serving model's hot loop
 * evaluates this instead of the whole roofline. */
struct ic_perf_decode_line {
  double fixed_s;                          /* dense roofline + all-reduce + overhead */
  double attn_compute0_s, attn_compute1_s; /* seconds, seconds per cached token */
  double attn_memory0_s, attn_memory1_s;
  double flops0, flops1, bytes0, bytes1;   /* FLOPs, bytes; per cached token */
};

/* Fills *p. IC_ECAPACITY when the weights do not fit on tp GPUs (reported
 * through ic_diag with `where` as location), IC_EINVAL on bad params. */
ic_status ic_perf_init(struct ic_perf *p, const struct ic_model_spec *model,
                       const struct ic_gpu_spec *gpu, int64_t tp, const struct ic_precisions *prec,
                       const struct ic_perf_params *params, const char *where);

/* Time of one iteration, seconds: the dense layers' roofline, plus the
 * attention kernels' roofline, plus all-reduce and overhead:
 *   dense     = max((FLOPs_dense + weight_pass_flops x weights read, when new_tokens > 1)
 *                   / (tp x peak x compute_efficiency),
 *                   (weight + activation bytes) / (tp x bandwidth x memory_efficiency))
 *   attention = max(FLOPs_attn / (tp x peak x compute_efficiency x attention_compute_efficiency),
 *                   KV bytes / (tp x bandwidth x memory_efficiency x attention_memory_efficiency))
 * They are separate kernels that run one after the other, so their times add.
 * `out` may be NULL. */
double ic_perf_iter_s(const struct ic_perf *p, const struct ic_iter_shape *shape,
                      struct ic_perf_breakdown *out);

/* The decode step of n >= 1 sequences, from two evaluations of
 * ic_perf_iter_s (n at K = 0 and at K = 2^20). */
struct ic_perf_decode_line ic_perf_decode_line(const struct ic_perf *p, int64_t n);

/* step(K) of a line, seconds. */
static inline double ic_perf_decode_step_s(const struct ic_perf_decode_line *d, double context_sum) {
  double c = d->attn_compute0_s + d->attn_compute1_s * context_sum;
  double m = d->attn_memory0_s + d->attn_memory1_s * context_sum;
  return d->fixed_s + (c > m ? c : m);
}

/* Peak FLOP/s and memory bytes/s of one GPU of the replica at the model's
 * activation precision: the denominators of MFU and MBU. */
double ic_perf_gpu_peak_flops(const struct ic_perf *p);
double ic_perf_gpu_peak_bytes_per_s(const struct ic_perf *p);

#endif
