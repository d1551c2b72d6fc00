/* kernels.h: single GPU kernels measured alone (GEMMs, decode and prefill
 * attention; the table `infercost validate --kernels` reads), their FLOPs
 * and bytes by the compute model's conventions, and the time the model
 * predicts for each (docs/validation-kernels.md). */
#ifndef IC_KERNELS_H
#define IC_KERNELS_H

#include <stddef.h>

#include "infercost/model.h"
#include "infercost/perf.h"
#include "infercost/status.h"

/* A single kernel, or a whole iteration (a step) of a catalogue model on one
 * GPU: step_decode, `batch` sequences of `context` cached tokens taking one
 * token each; step_prefill, `batch` prompts of `context` tokens. */
enum ic_kernel_kind {
  IC_KERNEL_GEMM, IC_KERNEL_ATTN_DECODE, IC_KERNEL_ATTN_PREFILL, IC_KERNEL_STEP_DECODE, IC_KERNEL_STEP_PREFILL,
  IC_KERNEL_KIND_COUNT
};
#define IC_KERNEL_KIND_CHOICES "gemm|attn_decode|attn_prefill|step_decode|step_prefill"
#define IC_KERNEL_PRECISION_CHOICES "fp16|bf16|fp8"

/* One measured kernel. Sizes not used by its kind are NaN. */
struct ic_kernel_row {
  char id[32], gpu[32];               /* gpu: a catalogue name */
  char source[256], note[256];        /* who measured, where, with what; free text */
  char implementation[32];            /* whose kernel: cublaslt, written-here, pytorch-sdpa, ... */
  char model[32];                     /* steps only: a catalogue model */
  enum ic_kernel_kind kind;
  enum ic_precision precision;        /* inputs; fp8 = e4m3 with 2-byte output */
  double m, n, k;                     /* gemm: tokens, output features, input features */
  double batch, heads, kv_heads, head_dim; /* attention: sequences, query heads, KV heads, head size;
                                             steps: batch only (the model sets the rest) */
  double context;                     /* attention, steps: cached tokens per sequence (decode), prompt tokens (prefill) */
  double time_us;                     /* median of `reps` timed runs, microseconds */
  double time_us_p10, time_us_p90;    /* their spread; NaN when not given */
  double reps;
  int line;                           /* in the file, for messages */
};

/* Reads the table (the columns of docs/validation-kernels.md, each exactly
 * once). IC_OK and *rows (free()) of *count >= 1; IC_EIO when it cannot be
 * opened; IC_EINVAL with every bad field reported as file:line: column N
 * (name): what was wrong (a missing or unknown column, a number that is not
 * one, an unknown kernel, precision or GPU, a size missing for the kernel's
 * kind or given for another); IC_ENOMEM. */
ic_status ic_kernel_load(const char *path, struct ic_kernel_row **rows, size_t *count);

/* FLOPs and bytes of the row's kernel. A step: the whole iteration's
 * (ic_model_iter_cost: weights, KV cache, activations). A gemm: 2mnk, and (mk + kn) input
 * elements read plus mn 2-byte outputs written. Attention: the attention
 * FLOPs and KV-cache bytes ic_model_iter_cost charges one layer of that
 * shape (decode: the new token attends to context + 1 positions and its K
 * and V are written; prefill: context (context + 1) / 2 pairs, K and V
 * written; q and the output are the dense layers' activations). */
void ic_kernel_work(const struct ic_kernel_row *r, double *flops, double *bytes);

/* Seconds the compute model predicts for the row under `params`
 * (ic_perf_kernel_s on the row's catalogue GPU). A step: the iteration's GPU
 * work on one GPU, ic_perf_iter_s less its per-iteration overheads (host
 * time: scheduling, sampling, launches), which a step replayed as one CUDA
 * graph does not hold; NaN if the model does not fit the GPU. */
double ic_kernel_predict_s(const struct ic_kernel_row *r, const struct ic_perf_params *params);

/* The row's kind as the table writes it ("attn_decode"). */
const char *ic_kernel_kind_name(enum ic_kernel_kind kind);

/* The size band of a row (docs/validation-kernels.md): 0, 1, 2 for a gemm
 * of m <= 64, 65-1024, > 1024 tokens, attention over a context of
 * <= 1024, 1025-8192, > 8192 tokens, or a step of <= 64, 65-1024, > 1024
 * new tokens; its label ("gemm m <= 64") in *label. */
int ic_kernel_band(const struct ic_kernel_row *r, const char **label);

#endif
