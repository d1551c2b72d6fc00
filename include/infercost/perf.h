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
  double expert_compute_efficiency;    /* routed-expert GEMMs' FLOP/s relative to the dense GEMMs', (0, 1]:
                                          grouped GEMMs of a few hundred tokens per expert; 0 = unset, 1 */
  /* Issue 15 (docs/compute-model.md, "Fitted profile"); every one 0 = off,
   * today's model. */
  int profile;                 /* enum ic_perf_profile: where unset efficiencies come from */
  double roofline_p;           /* 0: max(compute, memory); p > 0: (compute^p + memory^p)^(1/p) */
  int allreduce;               /* enum ic_allreduce */
  double overhead_per_seq_s;   /* per sequence in the iteration (sampling, detokenization, scheduling) */
  double overhead_per_token_s; /* per new token in the iteration (embedding, logits copy, bookkeeping) */
  double launch_floor_per_layer_s; /* host time to launch one layer's kernels without CUDA graphs: an
                                      iteration's GPU work takes at least layers x this (launches overlap
                                      the GPU's work, so it is a floor, not a sum); 0 = off */
  /* The replica's layout as scenario keys ([perf]); ic_perf_init_parallel
   * reads its struct ic_parallel, which run.c fills from these. */
  int64_t pipeline_stages;     /* p: GPUs per stage = fleet.gpus_per_replica / p */
  int64_t pipeline_microbatches; /* m: micro-batches of an iteration in flight */
  bool expert_parallel;        /* routed experts spread over a stage's GPUs */
  int64_t attention_data_parallel; /* d: attention groups of a stage */
  double expert_imbalance;     /* busiest GPU's routed tokens / the mean */
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

/* How one replica spreads over its GPUs (docs/compute-model.md). The plain
 * layout is tensor parallelism over all of them: gpus = k, the rest 1/false. */
struct ic_parallel {
  int64_t gpus;              /* GPUs of the replica: pipeline_stages x GPUs per stage */
  int64_t pipeline_stages;   /* p >= 1: consecutive layers per stage; the last also holds the LM head */
  int64_t microbatches;      /* m >= 1: an iteration's batch split into m micro-batches in flight */
  bool expert_parallel;      /* routed experts spread over a stage's GPUs, reached by all-to-all */
  int64_t attention_dp;      /* d >= 1: attention and dense layers replicated in d groups of a stage */
  int64_t gpus_per_node;     /* GPUs that share NVLink; traffic beyond them takes the network */
  double expert_imbalance;   /* busiest GPU's routed tokens / the mean, >= 1 (expert parallelism) */
};

/* Speculative decoding: a draft proposes `tokens` tokens per sequence, each
 * accepted with probability `acceptance` until the first rejection, and the
 * model verifies them in one step of tokens + 1 positions per sequence. */
struct ic_spec_decode {
  int64_t tokens;                      /* draft length k >= 1 */
  double acceptance;                   /* alpha in [0, 1] */
  const struct ic_model_spec *draft;   /* a separate draft model, or NULL: the model's own MTP layer
                                          (one more layer of its architecture sharing its vocabulary) */
};

/* A replica: one model instance on par.gpus GPUs. */
struct ic_perf {
  const struct ic_model_spec *model;
  const struct ic_gpu_spec *gpu;
  int64_t tp;                  /* GPUs of the replica (= par.gpus) */
  struct ic_precisions prec;
  struct ic_perf_params params;
  double kv_capacity_tokens;   /* KV-cache tokens the replica can hold */
  struct ic_parallel par;
  /* Speculative decoding, when spec_tokens > 0. */
  int64_t spec_tokens;
  double spec_acceptance;
  struct ic_model_spec draft;  /* the draft (MTP: one layer of the model) */
  bool draft_is_mtp;           /* the draft shares the model's embedding and LM head */
};

/* Where an iteration's time goes (seconds). compute_s and memory_s add the
 * dense and the attention parts; dense_s and attention_s are each part's
 * roofline, max(compute, memory). */
struct ic_perf_breakdown {
  double compute_s, memory_s, dense_s, attention_s, comm_s, overhead_s, total_s;
  double attn_compute_s, attn_memory_s; /* the two sides of attention_s's max() */
  double launch_s; /* the launch floor's excess over the GPU's work (0 when it does not bind) */
};

/* A decode step of n sequences as a function of K, the sum of their cached
 * contexts: only attention depends on K, and each side of its max() is
 * affine in K, so
 *   step(K) = fixed_s + max(attn_compute0_s + attn_compute1_s K,
 *                           attn_memory0_s + attn_memory1_s K)
 * is ic_perf_iter_s of ic_iter_shape_decode_each(contexts summing to K, n),
 * to rounding. With a launch floor L = layers x launch_floor_per_layer_s the
 * attention's max() takes one more term, floor_s = L - dense - all-reduce
 * (0 when L is off or below them, so it never binds: attention is not
 * negative), since max(dense + comm + attention, L) + overhead
 * = fixed_s + max(attention, floor_s). The FLOPs and bytes of that step (ic_model_iter_cost) are
 * flops0 + flops1 K and bytes0 + bytes1 K. The serving model's hot loop
 * evaluates this instead of the whole roofline. */
struct ic_perf_decode_line {
  double fixed_s;                          /* dense roofline + all-reduce + overhead */
  double attn_compute0_s, attn_compute1_s; /* seconds, seconds per cached token */
  double attn_memory0_s, attn_memory1_s;
  double flops0, flops1, bytes0, bytes1;   /* FLOPs, bytes; per cached token */
  double roofline_p;                       /* perf.roofline_p: how attention's compute and memory combine */
  double floor_s;                          /* the launch floor less dense + all-reduce; 0: none binds */
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

/* Fills *p for tensor parallelism over tp GPUs (ic_perf_init_parallel with
 * the plain layout, no speculative decoding). */
ic_status ic_perf_init(struct ic_perf *p, const struct ic_model_spec *model,
                       const struct ic_gpu_spec *gpu, int64_t tp, const struct ic_precisions *prec,
                       const struct ic_perf_params *params, const char *where);

/* Fills *p for the layout `par` and, unless `spec` is NULL, speculative
 * decoding. The busiest GPU's weights (its stage's layers, the LM head,
 * attention replicated d times, experts spread over the stage) must fit with
 * one full-context sequence of KV cache. IC_ECAPACITY when they do not
 * (reported through ic_diag with `where` as location), IC_EINVAL on a bad
 * layout or params. */
ic_status ic_perf_init_parallel(struct ic_perf *p, const struct ic_model_spec *model, const struct ic_gpu_spec *gpu,
                                const struct ic_parallel *par, const struct ic_precisions *prec,
                                const struct ic_perf_params *params, const struct ic_spec_decode *spec,
                                const char *where);

/* Expected output tokens per sequence per decode step: 1, or with
 * speculative decoding ic_spec_tokens_per_step of its draft length and
 * acceptance. */
double ic_perf_tokens_per_step(const struct ic_perf *p);

/* Time of one iteration, seconds: the dense layers' roofline, plus the
 * attention kernels' roofline, plus communication and overhead. This is the
 * one place an iteration is timed. On the plain layout (tensor parallelism):
 *   dense     = max((FLOPs_dense + weight_pass_flops x weights read, when new_tokens > 1)
 *                   / (tp x peak x compute_efficiency),
 *                   (weight + activation bytes) / (tp x bandwidth x memory_efficiency))
 *   attention = max(FLOPs_attn / (tp x peak x compute_efficiency x attention_compute_efficiency),
 *                   KV bytes / (tp x bandwidth x memory_efficiency x attention_memory_efficiency))
 * They are separate kernels that run one after the other, so their times add.
 * The routed experts' share of FLOPs_dense runs at expert_compute_efficiency
 * x the dense rate (grouped GEMMs behind a router; 1 = the dense rate).
 * Pipeline stages run the busiest stage's share (its layers and the LM head)
 * for each of m micro-batches: time = (m + p - 1) x (stage + transfer) +
 * overhead. Expert parallelism replaces the FFN all-reduce of MoE layers by
 * two all-to-alls and charges the busiest GPU expert_imbalance x the mean.
 * With speculative decoding, a decode-only iteration (new_tokens == seqs) is
 * timed per output token: (k draft steps + one verification step of k + 1
 * positions) / ic_perf_tokens_per_step, so the serving code, which advances
 * each sequence one token per decode step, sees the expected time per token
 * and its KV cache grows by the accepted tokens.
 * With roofline_p > 0 each max(c, m) becomes (c^p + m^p)^(1/p), a gradual
 * transition; overhead adds overhead_per_seq_s x sequences and
 * overhead_per_token_s x new tokens. A launch floor (launch_floor_per_layer_s
 * > 0: kernels launched from the host without CUDA graphs, asynchronously,
 * so the host's launches and the GPU's work overlap) makes the GPU part
 * max(dense + attention + comm, layers x launch_floor_per_layer_s), the
 * excess in launch_s; the overheads stay serial. Only on a layout of one
 * stage without speculative decoding (ic_perf_init_parallel refuses others).
 * Overheads count per iteration: per pipelined iteration (not per micro-batch:
 * a sequence is sampled once whatever the split), and per forward pass in
 * speculative decoding (each draft step and the verification, whose new tokens
 * are its k + 1 positions per sequence), before the division by tokens per step.
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
  double a = ic_perf_roofline(c, m, d->roofline_p);
  return d->fixed_s + (a < d->floor_s ? d->floor_s : a);
}

/* Time of one kernel alone on one GPU, seconds: `flops` at the peak of
 * `prec` x compute_efficiency against `bytes` at the memory bandwidth x
 * memory_efficiency, combined as ic_perf_iter_s combines them (max, or
 * roofline_p); an attention kernel (`attention`) also takes
 * attention_compute_efficiency and attention_memory_efficiency. None of
 * the per-iteration terms (overheads, launch floor, communication), and no
 * launch time per kernel: the model has none (docs/validation-kernels.md). */
double ic_perf_kernel_s(const struct ic_gpu_spec *gpu, const struct ic_perf_params *params, enum ic_precision prec,
                        double flops, double bytes, bool attention);

/* Peak FLOP/s and memory bytes/s of one GPU of the replica at the model's
 * activation precision: the denominators of MFU and MBU. */
double ic_perf_gpu_peak_flops(const struct ic_perf *p);
double ic_perf_gpu_peak_bytes_per_s(const struct ic_perf *p);

#endif
