/* calib_xf.c: a real fp32 forward pass of Llama-style decoder layers on the
 * CPU: RMSNorm, fused QKV projection, KV-cache append, causal attention with
 * grouped KV heads, output projection, SwiGLU FFN, residuals. Matrix work
 * goes through CBLAS (OpenBLAS), as the roofline's peak was measured there.
 * Left out (all elementwise, under 1% of the time): rotary embeddings,
 * biases, the LM head and sampling. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, sysconf */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calib_impl.h"

struct layer {
  float *wqkv;   /* [(q_dim + 2 kv_dim) x hidden], rows are output features */
  float *wo;     /* [hidden x q_dim] */
  float *wgu;    /* [2 ffn x hidden]: gate rows, then up rows */
  float *wd;     /* [hidden x ffn] */
  float *norm1, *norm2;
  float *k, *v;  /* KV cache [max_seqs][kv_heads][max_ctx][head_dim]: each head's
                    history contiguous, as in paged KV blocks, so reads stream */
};

struct ic__xf {
  int64_t layer_count, hidden, heads, kv_heads, head_dim, ffn;
  int64_t q_dim, kv_dim, qkv_dim;
  int64_t max_seqs, max_ctx, max_tokens;
  struct layer *layers;
  float *x, *xn, *qkv, *attn, *gu, *act, *scores;
  size_t scores_floats;
};

/* A run of new tokens of one sequence: `n` tokens after `cached` ones. */
struct segment {
  int64_t seq, n, cached;
};

enum { ATTN_ROW_BLOCK = 128, EXP_BLOCK = 16, KV_TILE = 512 /* 128 KiB of K or V */ };

double ic__calib_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double ic__calib_fastest(const double *v, int n) {
  double m = v[0];
  for (int i = 1; i < n; i++) m = v[i] < m ? v[i] : m;
  return m;
}

double ic__calib_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* 64-byte aligned floats, every page written (uniform in [-scale, scale])
 * so that timed runs see neither page faults nor denormals. */
static float *alloc_floats(size_t n, float scale, uint32_t *seed) {
  size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  float *p = aligned_alloc(64, bytes ? bytes : 64);
  if (!p) return NULL;
  for (size_t i = 0; i < n; i++) {
    *seed = *seed * 1664525u + 1013904223u; /* Numerical Recipes LCG: cheap, good enough for fill */
    p[i] = scale * ((float)(*seed >> 8) * (1.0f / 8388608.0f) - 1.0f);
  }
  return p;
}

/* e^x for x in [-80, 80], relative error ~2e-7: x = (n + f) ln 2 with n an
 * integer and |f| <= 1/2, 2^f by a degree-6 polynomial, 2^n into the
 * exponent. Branch-free so that fixed-size blocks of it vectorize at -O2. */
static inline float exp_fast(float x) {
  x = x < -80.0f ? -80.0f : (x > 80.0f ? 80.0f : x); /* keeps 2^n normal */
  float t = x * 1.44269504f;
  float r = t + 12582912.0f; /* 1.5 * 2^23: rounds t to the nearest integer */
  union { float f; int32_t i; } nb = {r}, out;
  float n = r - 12582912.0f, f = t - n;
  float p = 1.0f + f * (0.693147182f + f * (0.240226507f + f * (0.0555041087f + f * (0.00961812911f +
                   f * (0.00133335581f + f * 0.000154035304f)))));
  out.f = p;
  out.i += (nb.i - 0x4B400000) * (1 << 23);
  return out.f;
}

/* Softmax of s[0..valid) in place; s[valid..total) set to 0 (causal mask). */
static void softmax_row(float *s, int64_t valid, int64_t total) {
  float mx = s[0];
  for (int64_t i = 1; i < valid; i++) mx = s[i] > mx ? s[i] : mx;
  float acc[EXP_BLOCK] = {0};
  int64_t i = 0;
  for (; i + EXP_BLOCK <= valid; i += EXP_BLOCK)
    for (int j = 0; j < EXP_BLOCK; j++) {
      s[i + j] = exp_fast(s[i + j] - mx);
      acc[j] += s[i + j];
    }
  float sum = 0;
  for (; i < valid; i++) sum += (s[i] = exp_fast(s[i] - mx));
  for (int j = 0; j < EXP_BLOCK; j++) sum += acc[j];
  float inv = 1.0f / sum;
  for (i = 0; i < valid; i++) s[i] *= inv;
  for (; i < total; i++) s[i] = 0;
}

static void rmsnorm(float *out, const float *x, const float *w, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * dim;
    float ss = 0;
    for (int64_t i = 0; i < dim; i++) ss += xr[i] * xr[i];
    float scale = 1.0f / sqrtf(ss / (float)dim + 1e-5f);
    for (int64_t i = 0; i < dim; i++) out[r * dim + i] = xr[i] * scale * w[i];
  }
}

/* y[rows x out] = x[rows x in] W^T with W [out x in]. One row is a GEMV:
 * what serving engines run at batch 1, and OpenBLAS's GEMM would first copy
 * (pack) all of W for a single row. */
static void linear(float *y, const float *x, const float *w, int64_t rows, int64_t out, int64_t in) {
  if (rows == 1)
    ic__blas.sgemv(CblasRowMajor, CblasNoTrans, (blasint)out, (blasint)in, 1.0f, w, (blasint)in, x, 1, 0.0f, y, 1);
  else
    ic__blas.sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows, (blasint)out, (blasint)in, 1.0f, x,
                (blasint)in, w, (blasint)in, 0.0f, y, (blasint)out);
}

/* Attention of one segment whose queries start at row r0. Decode (n = 1):
 * tiled GEMVs per KV group against the cache.
 * Prefill: per query head, blocks of rows against the visible prefix only,
 * so masked work is at most one block's triangle (as FlashAttention skips
 * masked tiles). */
static void attention(ic__xf *x, const struct layer *ly, const struct segment *sg, int64_t r0) {
  const int64_t d = x->head_dim, group = x->heads / x->kv_heads, ctx = sg->cached + sg->n;
  const float scale = 1.0f / sqrtf((float)d);
  const float *kc = ly->k + sg->seq * x->max_ctx * x->kv_dim, *vc = ly->v + sg->seq * x->max_ctx * x->kv_dim;
  const int64_t head_stride = x->max_ctx * d; /* floats between KV heads */
  float *s = x->scores;
  if (sg->n == 1) {
    /* GEMVs over tiles of the cache small enough to stay in L2 while every
     * query head of the group uses them: K and V come from memory once per
     * group, as a GQA decode kernel reads them (the roofline's assumption). */
    for (int64_t g = 0; g < x->kv_heads; g++) {
      const float *kg = kc + g * head_stride, *vg = vc + g * head_stride;
      const float *q = x->qkv + r0 * x->qkv_dim + g * group * d;
      float *out = x->attn + r0 * x->q_dim + g * group * d;
      for (int64_t t0 = 0; t0 < ctx; t0 += KV_TILE) {
        int64_t len = t0 + KV_TILE < ctx ? KV_TILE : ctx - t0;
        for (int64_t i = 0; i < group; i++)
          ic__blas.sgemv(CblasRowMajor, CblasNoTrans, (blasint)len, (blasint)d, scale, kg + t0 * d, (blasint)d,
                      q + i * d, 1, 0.0f, s + i * ctx + t0, 1);
      }
      for (int64_t i = 0; i < group; i++) softmax_row(s + i * ctx, ctx, ctx);
      for (int64_t t0 = 0; t0 < ctx; t0 += KV_TILE) {
        int64_t len = t0 + KV_TILE < ctx ? KV_TILE : ctx - t0;
        for (int64_t i = 0; i < group; i++)
          ic__blas.sgemv(CblasRowMajor, CblasTrans, (blasint)len, (blasint)d, 1.0f, vg + t0 * d, (blasint)d,
                      s + i * ctx + t0, 1, t0 ? 1.0f : 0.0f, out + i * d, 1);
      }
    }
    return;
  }
  for (int64_t h = 0; h < x->heads; h++) {
    const int64_t g = h / group;
    for (int64_t b0 = 0; b0 < sg->n; b0 += ATTN_ROW_BLOCK) {
      int64_t b1 = b0 + ATTN_ROW_BLOCK < sg->n ? b0 + ATTN_ROW_BLOCK : sg->n, rows = b1 - b0;
      int64_t visible = sg->cached + b1;
      const float *q = x->qkv + (r0 + b0) * x->qkv_dim + h * d;
      ic__blas.sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows, (blasint)visible, (blasint)d, scale, q,
                  (blasint)x->qkv_dim, kc + g * head_stride, (blasint)d, 0.0f, s, (blasint)visible);
      for (int64_t i = 0; i < rows; i++) softmax_row(s + i * visible, sg->cached + b0 + i + 1, visible);
      ic__blas.sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)rows, (blasint)d, (blasint)visible, 1.0f, s,
                  (blasint)visible, vc + g * head_stride, (blasint)d, 0.0f,
                  x->attn + (r0 + b0) * x->q_dim + h * d, (blasint)x->q_dim);
    }
  }
  (void)ctx;
}

/* Appends each segment's keys and values to its cache, then attends. */
static void append_and_attend(ic__xf *x, const struct layer *ly, const struct segment *segs, size_t nseg) {
  int64_t r0 = 0;
  for (size_t i = 0; i < nseg; i++) {
    for (int64_t t = 0; t < segs[i].n; t++) {
      const float *row = x->qkv + (r0 + t) * x->qkv_dim + x->q_dim;
      for (int64_t g = 0; g < x->kv_heads; g++) {
        size_t at = (size_t)(((segs[i].seq * x->kv_heads + g) * x->max_ctx + segs[i].cached + t) * x->head_dim);
        memcpy(ly->k + at, row + g * x->head_dim, (size_t)x->head_dim * sizeof(float));
        memcpy(ly->v + at, row + x->kv_dim + g * x->head_dim, (size_t)x->head_dim * sizeof(float));
      }
    }
    attention(x, ly, &segs[i], r0);
    r0 += segs[i].n;
  }
}

static void layer_forward(ic__xf *x, const struct layer *ly, const struct segment *segs, size_t nseg,
                          int64_t rows) {
  const int64_t h = x->hidden, f = x->ffn;
  rmsnorm(x->xn, x->x, ly->norm1, rows, h);
  linear(x->qkv, x->xn, ly->wqkv, rows, x->qkv_dim, h);
  append_and_attend(x, ly, segs, nseg);
  linear(x->xn, x->attn, ly->wo, rows, h, x->q_dim);
  for (int64_t i = 0; i < rows * h; i++) x->x[i] += x->xn[i];
  rmsnorm(x->xn, x->x, ly->norm2, rows, h);
  linear(x->gu, x->xn, ly->wgu, rows, 2 * f, h);
  for (int64_t r = 0; r < rows; r++) {
    const float *gate = x->gu + r * 2 * f, *up = gate + f;
    float *a = x->act + r * f;
    for (int64_t j = 0; j < f; j++) a[j] = gate[j] / (1.0f + exp_fast(-gate[j])) * up[j]; /* SiLU(gate) * up */
  }
  linear(x->xn, x->act, ly->wd, rows, h, f);
  for (int64_t i = 0; i < rows * h; i++) x->x[i] += x->xn[i];
}

void ic__xf_free(ic__xf *x) {
  if (!x) return;
  for (int64_t l = 0; x->layers && l < x->layer_count; l++) {
    struct layer *ly = &x->layers[l];
    free(ly->wqkv); free(ly->wo); free(ly->wgu); free(ly->wd);
    free(ly->norm1); free(ly->norm2); free(ly->k); free(ly->v);
  }
  free(x->layers);
  free(x->x); free(x->xn); free(x->qkv); free(x->attn); free(x->gu); free(x->act); free(x->scores);
  free(x);
}

ic__xf *ic__xf_alloc(const struct ic_model_spec *m, int64_t max_seqs, int64_t max_ctx, int64_t max_tokens) {
  ic__xf *x = calloc(1, sizeof *x);
  if (!x) return NULL;
  *x = (ic__xf){.layer_count = m->layers, .hidden = m->hidden, .heads = m->heads, .kv_heads = m->kv_heads,
                .head_dim = m->head_dim, .ffn = m->ffn, .q_dim = m->heads * m->head_dim,
                .kv_dim = m->kv_heads * m->head_dim, .max_seqs = max_seqs, .max_ctx = max_ctx,
                .max_tokens = max_tokens};
  x->qkv_dim = x->q_dim + 2 * x->kv_dim;
  uint32_t seed = 20240917u;
  const float wscale = 1.0f / sqrtf((float)m->hidden); /* keeps activations O(1) through the stack */
  const size_t h = (size_t)m->hidden, f = (size_t)m->ffn, t = (size_t)max_tokens;
  const size_t cache = (size_t)(max_seqs * max_ctx * x->kv_dim);
  x->layers = calloc((size_t)m->layers, sizeof *x->layers);
  if (!x->layers) goto fail;
  for (int64_t l = 0; l < m->layers; l++) {
    struct layer *ly = &x->layers[l];
    ly->wqkv = alloc_floats((size_t)x->qkv_dim * h, wscale, &seed);
    ly->wo = alloc_floats(h * (size_t)x->q_dim, wscale, &seed);
    ly->wgu = alloc_floats(2 * f * h, wscale, &seed);
    ly->wd = alloc_floats(h * f, 1.0f / sqrtf((float)f), &seed);
    ly->norm1 = alloc_floats(h, 1.0f, &seed);
    ly->norm2 = alloc_floats(h, 1.0f, &seed);
    ly->k = alloc_floats(cache, 1.0f, &seed);
    ly->v = alloc_floats(cache, 1.0f, &seed);
    if (!ly->wqkv || !ly->wo || !ly->wgu || !ly->wd || !ly->norm1 || !ly->norm2 || !ly->k || !ly->v) goto fail;
  }
  x->scores_floats = (size_t)((ATTN_ROW_BLOCK > x->heads ? ATTN_ROW_BLOCK : x->heads) * max_ctx);
  x->x = alloc_floats(t * h, 1.0f, &seed);
  x->xn = alloc_floats(t * h, 1.0f, &seed);
  x->qkv = alloc_floats(t * (size_t)x->qkv_dim, 1.0f, &seed);
  x->attn = alloc_floats(t * (size_t)x->q_dim, 1.0f, &seed);
  x->gu = alloc_floats(t * 2 * f, 1.0f, &seed);
  x->act = alloc_floats(t * f, 1.0f, &seed);
  x->scores = alloc_floats(x->scores_floats, 1.0f, &seed);
  if (!x->x || !x->xn || !x->qkv || !x->attn || !x->gu || !x->act || !x->scores) goto fail;
  return x;
fail:
  ic__xf_free(x);
  return NULL;
}

/* The shape as segments: one per sequence that gets new tokens. */
static size_t segments(const struct ic_calib_shape *s, struct segment *out, size_t cap) {
  size_t n = 0;
  if (s->phase == IC_CALIB_PREFILL)
    for (int64_t b = 0; b < s->batch && n < cap; b++) out[n++] = (struct segment){b, s->tokens, 0};
  else if (s->phase == IC_CALIB_DECODE)
    for (int64_t b = 0; b < s->batch && n < cap; b++) out[n++] = (struct segment){b, 1, s->context};
  else {
    out[n++] = (struct segment){0, s->tokens, s->context};
    for (int64_t b = 0; b < s->batch && n < cap; b++) out[n++] = (struct segment){b + 1, 1, s->context};
  }
  return n;
}

/* Checks the shape against the buffers and fills fresh inputs (outside the
 * timed region); returns the rows of new tokens, or -1. */
static int64_t prepare(ic__xf *x, const struct ic_calib_shape *shape, struct segment *segs, size_t cap,
                       size_t *nseg) {
  *nseg = segments(shape, segs, cap);
  int64_t rows = 0;
  for (size_t i = 0; i < *nseg; i++) {
    if (segs[i].seq >= x->max_seqs || segs[i].cached + segs[i].n > x->max_ctx) return -1;
    rows += segs[i].n;
  }
  if (rows > x->max_tokens) return -1;
  for (int64_t i = 0; i < rows * x->hidden; i++) x->x[i] = (float)((i * 7919) % 2001 - 1000) * 1e-3f;
  for (int64_t i = 0; i < rows * x->qkv_dim; i++) x->qkv[i] = (float)((i * 104729) % 2001 - 1000) * 1e-3f;
  return rows;
}

double ic__xf_run(ic__xf *x, const struct ic_calib_shape *shape) {
  struct segment segs[1024];
  size_t nseg;
  int64_t rows = prepare(x, shape, segs, sizeof segs / sizeof segs[0], &nseg);
  if (rows < 0) return -1;
  double t0 = ic__calib_now_s();
  for (int64_t l = 0; l < x->layer_count; l++) layer_forward(x, &x->layers[l], segs, nseg, rows);
  return ic__calib_now_s() - t0;
}

double ic__xf_run_attention(ic__xf *x, const struct ic_calib_shape *shape) {
  struct segment segs[1024];
  size_t nseg;
  if (prepare(x, shape, segs, sizeof segs / sizeof segs[0], &nseg) < 0) return -1;
  double t0 = ic__calib_now_s();
  for (int64_t l = 0; l < x->layer_count; l++) append_and_attend(x, &x->layers[l], segs, nseg);
  return ic__calib_now_s() - t0;
}
