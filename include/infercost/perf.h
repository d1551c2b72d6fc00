/* perf.h: roofline service time of an iteration on a replica of k GPUs. */
#ifndef IC_PERF_H
#define IC_PERF_H

#include <math.h>
#include <stdbool.h>
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
  /* Issue 15 (docs/compute-model.md, "Fitted profile"); every one 0 = off,
   * today's model. */
  int profile;                 /* enum ic_perf_profile: where unset efficiencies come from */
  double roofline_p;           /* 0: max(compute, memory); p > 0: (compute^p + memory^p)^(1/p) */
  int allreduce;               /* enum ic_allreduce */
  double overhead_per_seq_s;   /* per sequence in the iteration (sampling, detokenization, scheduling) */
  double overhead_per_token_s; /* per new token in the iteration (embedding, logits copy, bookkeeping) */
};

/* perf.profile: roofline = the keys as they are; fitted = efficiencies and
 * overheads fitted per GPU and precision on the fitting half of the
 * published table (tests/data/published), for every key left at its default. */
enum ic_perf_profile { IC_PERF_ROOFLINE, IC_PERF_FITTED };
#define IC_PERF_PROFILE_CHOICES "roofline|fitted"

/* perf.allreduce: ring = 2(k-1) latency steps; tree = NCCL's double binary
 * tree, 2 ceil(log2 k) steps (same bandwidth term). */
enum ic_allreduce { IC_ALLREDUCE_RING, IC_ALLREDUCE_TREE };
#define IC_ALLREDUCE_CHOICES "ring|tree"

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
  double roofline_p;                       /* perf.roofline_p: how attention's compute and memory combine */
};

/* The fitted profile's parameters for `gpu` (catalogue name) running
 * activations in `prec` into *out (only the fields the profile sets: the
 * efficiencies, overheads, roofline_p, allreduce, link_latency_s); false when the table has
 * no entry for that pair (nothing was fitted on it). */
bool ic_perf_fitted(const char *gpu, enum ic_precision prec, struct ic_perf_params *out);

/* How an iteration's compute and memory times combine: max(c, m) when p
 * is 0, else (c^p + m^p)^(1/p) (p -> infinity gives the max, p = 1 the
 * sum). Inline: the decode steps of a continuous batch call it per step. */
static inline double ic_perf_roofline(double c, double m, double p) {
  double hi = c > m ? c : m;
  if (!(p > 0) || hi <= 0) return hi;
  return hi * pow(pow(c / hi, p) + pow(m / hi, p), 1.0 / p);
}

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
 * With roofline_p > 0 each max(c, m) becomes (c^p + m^p)^(1/p), a gradual
 * transition; overhead adds overhead_per_seq_s x sequences and
 * overhead_per_token_s x new tokens.
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
  return d->fixed_s + ic_perf_roofline(c, m, d->roofline_p);
}

/* Peak FLOP/s and memory bytes/s of one GPU of the replica at the model's
 * activation precision: the denominators of MFU and MBU. */
double ic_perf_gpu_peak_flops(const struct ic_perf *p);
double ic_perf_gpu_peak_bytes_per_s(const struct ic_perf *p);

#endif
