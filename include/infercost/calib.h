/* calib.h: calibrates the compute model on this CPU (peak SGEMM FLOP/s and
 * streaming bandwidth) and validates it against a real fp32 transformer
 * forward pass run through CBLAS (OpenBLAS). Calibration and validation are
 * kept apart: the transformer shapes are predicted, never fitted. */
#ifndef IC_CALIB_H
#define IC_CALIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "infercost/hw.h"
#include "infercost/model.h"
#include "infercost/perf.h"
#include "infercost/status.h"

/* How to measure. */
struct ic_calib_options {
  int threads;      /* OpenBLAS threads for calibration and validation alike; 0 = 1 */
  bool quick;       /* small shapes and few repeats (well under a minute) */
  int repeats;      /* timed runs per measurement, fastest kept; 0 = default (5, quick 3) */
};

/* What the micro-benchmarks measured on this CPU. */
struct ic_calib {
  int threads;
  double gemm_flops_per_s;     /* fastest run of a large square SGEMM */
  int64_t gemm_n;              /* its size n (n x n x n) */
  double stream_bytes_per_s;   /* best read bandwidth of a streaming dot product */
  double stream_bytes;         /* bytes streamed per run (well past the caches) */
  double weight_pass_flops;    /* per-weight cost of a skinny SGEMM beyond its math, FLOP-equivalents */
  double attn_flops_per_s;     /* prefill attention kernel, model-counted FLOPs per second */
  double attn_kv_bytes_per_s;  /* decode attention kernel, model-counted KV bytes per second */
  double ram_bytes;            /* physical memory */
};

/* Phases of a validation shape. */
enum ic_calib_phase { IC_CALIB_PREFILL, IC_CALIB_DECODE, IC_CALIB_MIXED };

/* One transformer iteration to predict and to measure. Prefill: `batch`
 * prompts of `tokens` each. Decode: `batch` sequences with `context` cached
 * tokens each. Mixed: a chunk of `tokens` prompt tokens after `context`
 * cached ones, plus `batch` decodes with `context` cached tokens each. */
struct ic_calib_shape {
  enum ic_calib_phase phase;
  int64_t batch, tokens, context;
};

/* One row of the validation table. */
struct ic_calib_row {
  struct ic_calib_shape shape;
  char label[48];              /* e.g. "decode b=16 ctx=1024" */
  double predicted_s, measured_s;
  double error;                /* (predicted - measured) / measured */
  double intensity;            /* predicted FLOPs per byte moved */
  bool compute_bound;          /* the roofline's compute term is the larger */
};

/* Runs the micro-benchmarks (sets OpenBLAS's thread count). IC_ENOMEM when
 * the buffers cannot be allocated. */
ic_status ic_calib_measure(struct ic_calib *c, const struct ic_calib_options *opt);

/* This CPU as one more accelerator: fp32 peak = measured SGEMM rate, memory
 * = RAM, bandwidth = measured streaming rate; power and link figures 0. */
void ic_calib_cpu_gpu(const struct ic_calib *c, struct ic_gpu_spec *out);

/* Roofline knobs for the CPU: GEMM efficiencies 1 (the peaks are measured
 * ones), attention efficiencies from the attention micro-benchmark relative
 * to those peaks, the measured per-weight pass cost, no per-iteration
 * overhead, no reserve. */
struct ic_perf_params ic_calib_cpu_params(const struct ic_calib *c);

/* The small Llama-style model validated on (fp32, GQA, gated FFN, no LM head). */
void ic_calib_model(struct ic_model_spec *out, bool quick);

/* The validation shapes: writes up to `cap` into `out`, returns how many
 * exist. Spans memory-bound decodes and compute-bound prefills. */
size_t ic_calib_shapes(bool quick, struct ic_calib_shape *out, size_t cap);

/* Predicts every shape with ic_perf (the simulator's model) on the CPU entry
 * made from `c`, then measures it with the CPU forward pass. `rows` has room
 * for `n` rows. `progress`, if not NULL, gets one line per shape.
 * IC_ENOMEM when the model's buffers cannot be allocated. */
ic_status ic_calib_validate(const struct ic_calib *c, const struct ic_calib_options *opt,
                            const struct ic_calib_shape *shapes, struct ic_calib_row *rows, size_t n,
                            FILE *progress);

/* Median and 90th percentile of |error| over n rows (nearest rank). */
void ic_calib_error_stats(const struct ic_calib_row *rows, size_t n, double *median, double *p90);

/* Writes the rows as CSV with a header (shape, phase, batch, tokens, context,
 * predicted_s, measured_s, error, bound), after a '#' provenance line. */
ic_status ic_calib_write_csv(const struct ic_calib *c, const struct ic_calib_row *rows, size_t n,
                             const char *path);

#endif
