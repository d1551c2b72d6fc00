/* calib_impl.h: private to the calib module: a real fp32 transformer
 * forward pass on the CPU, and the clock. */
#ifndef IC_CALIB_IMPL_H
#define IC_CALIB_IMPL_H

#include <stdint.h>

#include <cblas.h>

#include "infercost/calib.h"
#include "infercost/model.h"

/* A stack of decoder layers with their own weights and KV cache. */
typedef struct ic__xf ic__xf;

/* Allocates weights for m->layers layers, activations for max_tokens new
 * tokens per iteration and a KV cache for max_seqs
 * sequences of max_ctx tokens each, all touched once (no page faults inside
 * timed runs). NULL when memory runs out. */
ic__xf *ic__xf_alloc(const struct ic_model_spec *m, int64_t max_seqs, int64_t max_ctx, int64_t max_tokens);
void ic__xf_free(ic__xf *x);

/* Runs one iteration of `shape` through every layer (prefill prompts, decode
 * steps, or a chunk plus decodes) and returns its wall time in seconds. The
 * KV cache holds arbitrary values; positions beyond those the shape reads
 * are overwritten. */
double ic__xf_run(ic__xf *x, const struct ic_calib_shape *shape);

/* The same iteration's attention alone (KV-cache append, QK^T, softmax,
 * AV) through every layer, with arbitrary queries: the attention
 * micro-benchmark of the calibration. Seconds, or -1 if it does not fit. */
double ic__xf_run_attention(ic__xf *x, const struct ic_calib_shape *shape);

/* The CBLAS functions the calibration calls, from OpenBLAS opened at run
 * time (calib_blas.c): linked in, its threads would start in every process. */
struct ic__blas {
  __typeof__(cblas_sgemm) *sgemm;
  __typeof__(cblas_sgemv) *sgemv;
  __typeof__(cblas_sdot) *sdot;
  __typeof__(openblas_set_num_threads) *set_num_threads;
};
extern struct ic__blas ic__blas;

/* Opens OpenBLAS on first use and sets its thread count. IC_OK, or
 * IC_EINTERNAL (reported) when it cannot be loaded. */
ic_status ic__blas_load(int threads);

/* Monotonic clock, seconds. */
double ic__calib_now_s(void);

/* The smallest of n timings: interference from other processes only ever
 * adds time, so the fastest run is the best estimate of the machine's own. */
double ic__calib_fastest(const double *v, int n);

/* Median of n values (sorts v in place). */
double ic__calib_median(double *v, int n);

#endif
