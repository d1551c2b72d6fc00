/* calib.c: micro-benchmarks that calibrate the CPU entry (peak SGEMM rate,
 * streaming bandwidth), and the validation that predicts transformer shapes
 * with the simulator's own model (model.c + perf.c) and measures them. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, sysconf */
#include "infercost/calib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib_impl.h"
#include "infercost/outfile.h"
#include "ic_version.h"
#include "infercost/meta.h"

enum { PASS_N = 3072 }; /* 36 MiB fp32 weight: past the 32 MiB L3 */

static int threads_of(const struct ic_calib_options *opt) { return opt->threads > 0 ? opt->threads : 1; }

static int repeats_of(const struct ic_calib_options *opt) {
  return opt->repeats > 0 ? opt->repeats : (opt->quick ? 3 : 5);
}

/* Fastest seconds of C[m x n] = A[m x k] B[n x k]^T (the layout of a linear
 * layer) after a warm-up run. */
static double time_gemm(const float *a, const float *b, float *c, int64_t m, int64_t n, int64_t k, int repeats) {
  double t[32];
  if (repeats > 32) repeats = 32;
  for (int r = -1; r < repeats; r++) {
    double t0 = ic__calib_now_s();
    ic__blas.sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)n, (blasint)k, 1.0f, a, (blasint)k,
                b, (blasint)k, 0.0f, c, (blasint)n);
    if (r >= 0) t[r] = ic__calib_now_s() - t0;
  }
  return ic__calib_fastest(t, repeats);
}

/* Fastest seconds of a dot product of two n-float arrays: the STREAM "dot"
 * pattern, through the same BLAS. Two streams keep more cache misses in
 * flight than one, which is how a GEMV reads a matrix. */
static double time_stream(const float *x, const float *y, size_t n, int repeats, float *sink) {
  double t[32];
  if (repeats > 32) repeats = 32;
  for (int r = -1; r < repeats; r++) {
    double t0 = ic__calib_now_s();
    *sink += ic__blas.sdot((blasint)n, x, 1, y, 1);
    if (r >= 0) t[r] = ic__calib_now_s() - t0;
  }
  return ic__calib_fastest(t, repeats);
}

/* Work per weight element of skinny GEMMs beyond 2 m FLOPs, in units of
 * peak FLOPs: OpenBLAS repacks the whole weight matrix on every call. The
 * median over m = 4, 16, 64 on a square PASS_N weight. */
static double measure_pass(const struct ic_calib *c, const float *w, const float *x, float *y, int repeats) {
  static const int64_t ms[] = {4, 16, 64};
  double est[3];
  double nk = (double)PASS_N * (double)PASS_N;
  for (int i = 0; i < 3; i++) {
    double s = time_gemm(x, w, y, ms[i], PASS_N, PASS_N, repeats);
    est[i] = (s * c->gemm_flops_per_s - 2.0 * (double)ms[i] * nk) / nk;
  }
  double m = ic__calib_median(est, 3);
  return m > 0 ? m : 0;
}

/* The attention kernel alone on shapes that none of the validation shapes
 * use: a long prefill (compute-bound: QK^T and AV with inner size d) and
 * a decode batch whose cache (50 MB a layer) streams from DRAM. Rates are
 * counted with the simulator's own FLOP and byte formulas, so that the
 * resulting efficiencies are exactly what the roofline needs. */
static ic_status measure_attention(struct ic_calib *c, bool quick, int repeats) {
  struct ic_model_spec m;
  ic_calib_model(&m, quick);
  m.layers = 1;
  const struct ic_calib_shape prefill = {IC_CALIB_PREFILL, 1, quick ? 384 : 768, 0};
  const struct ic_calib_shape decode = {IC_CALIB_DECODE, 16, 0, 1536};
  ic__xf *xf = ic__xf_alloc(&m, 16, 1537, 768);
  if (!xf) return IC_ENOMEM;
  struct ic_precisions prec = {.weights = IC_FP32, .activations = IC_FP32, .kv = IC_FP32};
  double t[32];
  int reps = repeats > 32 ? 32 : repeats;
  const struct ic_calib_shape *shapes[2] = {&prefill, &decode};
  double secs[2];
  for (int i = 0; i < 2; i++) {
    if (ic__xf_run_attention(xf, shapes[i]) < 0) { /* warm-up */
      ic__xf_free(xf);
      return IC_EINTERNAL;
    }
    for (int k = 0; k < reps; k++) t[k] = ic__xf_run_attention(xf, shapes[i]);
    secs[i] = ic__calib_fastest(t, reps);
  }
  ic__xf_free(xf);
  struct ic_iter_shape ps = ic_iter_shape_prefill(prefill.tokens, prefill.batch);
  struct ic_iter_shape ds = ic_iter_shape_decode(decode.batch, decode.context);
  c->attn_flops_per_s = ic_model_iter_cost(&m, &prec, &ps).attn_flops / secs[0];
  c->attn_kv_bytes_per_s = ic_model_iter_cost(&m, &prec, &ds).kv_bytes / secs[1];
  return IC_OK;
}

ic_status ic_calib_measure(struct ic_calib *c, const struct ic_calib_options *opt) {
  const int threads = threads_of(opt), repeats = repeats_of(opt);
  memset(c, 0, sizeof *c);
  ic_status loaded = ic__blas_load(threads);
  if (loaded != IC_OK) return loaded;
  c->threads = threads;
  c->ram_bytes = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
  /* Peak GEMM: big enough that packing and edges are noise, small enough
   * to take a fraction of a second on one core. */
  c->gemm_n = opt->quick ? 1024 : 2048;
  size_t nn = (size_t)(c->gemm_n * c->gemm_n), pn = (size_t)PASS_N * PASS_N;
  if (pn > nn) nn = pn;
  /* Stream: two arrays of 8x (quick: 2x) a 32 MiB L3 together. */
  size_t sn = (opt->quick ? 32u : 128u) << 20;
  c->stream_bytes = 2.0 * (double)sn;
  sn /= sizeof(float);
  float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *m = malloc(nn * sizeof *m);
  float *x = malloc(sn * sizeof *x), *y = malloc(sn * sizeof *y);
  ic_status st = IC_ENOMEM;
  if (!a || !b || !m || !x || !y) goto done;
  for (size_t i = 0; i < nn; i++) {
    a[i] = (float)(i % 97) * 0.01f;
    b[i] = (float)(i % 89) * 0.01f;
    m[i] = 0;
  }
  for (size_t i = 0; i < sn; i++) {
    x[i] = (float)(i & 1023) * 1e-3f;
    y[i] = (float)(i & 511) * 1e-3f;
  }
  double gemm_s = time_gemm(a, b, m, c->gemm_n, c->gemm_n, c->gemm_n, repeats);
  c->gemm_flops_per_s = 2.0 * (double)c->gemm_n * (double)c->gemm_n * (double)c->gemm_n / gemm_s;
  float sink = 0;
  c->stream_bytes_per_s = c->stream_bytes / time_stream(x, y, sn, repeats * 2, &sink);
  c->weight_pass_flops = measure_pass(c, b, a, m, repeats);
  st = measure_attention(c, opt->quick, repeats);
  if (st != IC_OK) goto done;
  st = (isfinite(sink) && c->gemm_flops_per_s > 0 && c->stream_bytes_per_s > 0) ? IC_OK : IC_EINTERNAL;
done:
  free(a);
  free(b);
  free(m);
  free(x);
  free(y);
  return st;
}

void ic_calib_cpu_gpu(const struct ic_calib *c, struct ic_gpu_spec *out) {
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "cpu-%dt", c->threads);
  out->peak_flops[IC_FP32] = c->gemm_flops_per_s;
  out->memory_bytes = c->ram_bytes;
  out->mem_bw_bytes_per_s = c->stream_bytes_per_s;
  out->link_bw_bytes_per_s = 1e9; /* unused: a CPU replica has tp = 1 */
}

static double ratio_at_most_1(double num, double den) {
  double r = num / den;
  return r > 0 && r < 1 ? r : 1.0;
}

struct ic_perf_params ic_calib_cpu_params(const struct ic_calib *c) {
  /* Decode attention moves little math per byte; if the compute side would
   * already explain its time, its memory efficiency stays 1. */
  double attn_ce = ratio_at_most_1(c->attn_flops_per_s, c->gemm_flops_per_s);
  return (struct ic_perf_params){.compute_efficiency = 1.0, .memory_efficiency = 1.0, .link_efficiency = 1.0,
                                 .link_latency_s = 0.0, .overhead_s = 0.0, .memory_reserve_frac = 0.0,
                                 .weight_pass_flops = c->weight_pass_flops,
                                 .attention_compute_efficiency = attn_ce,
                                 .attention_memory_efficiency =
                                     ratio_at_most_1(c->attn_kv_bytes_per_s, c->stream_bytes_per_s)};
}

void ic_calib_model(struct ic_model_spec *out, bool quick) {
  /* Llama-style proportions (GQA 4:1, d = 64, SwiGLU at 2.75 h) at a width
   * one core runs in milliseconds; 45 MB of fp32 weights per layer, so even
   * the quick model's 2 layers overflow the 32 MB L3 and decode streams its
   * weights from DRAM as a GPU streams them from HBM. */
  *out = (struct ic_model_spec){.name = "cpu-validate", .layers = quick ? 2 : 4, .hidden = 1024, .heads = 16,
                                .kv_heads = 4, .head_dim = 64, .ffn = 2816, .gated_ffn = true, .vocab = 0,
                                .context_max = 8192, .experts = 1, .experts_active = 1,
                                .tied_embeddings = false};
}

#define P(t, b) {IC_CALIB_PREFILL, b, t, 0}
#define D(b, c) {IC_CALIB_DECODE, b, 0, c}
#define M(t, c, b) {IC_CALIB_MIXED, b, t, c}
static const struct ic_calib_shape full_shapes[] = {
    D(1, 256), D(2, 256), D(4, 256), D(8, 256), D(16, 256), D(32, 256), D(64, 256),
    D(1, 2048), D(2, 2048), D(4, 2048), D(8, 2048), D(16, 2048), D(32, 2048), D(64, 2048),
    D(1, 4096), D(16, 4096),
    P(32, 1), P(128, 1), P(512, 1), P(1024, 1), P(2048, 1), P(64, 4), P(256, 4),
    M(256, 512, 8), M(64, 2048, 4), M(512, 1024, 16),
};
static const struct ic_calib_shape quick_shapes[] = {
    D(1, 256), D(4, 256), D(32, 256), D(1, 1024), D(16, 1024), P(32, 1), P(256, 1), P(64, 4), M(128, 256, 4),
};
#undef P
#undef D
#undef M

size_t ic_calib_shapes(bool quick, struct ic_calib_shape *out, size_t cap) {
  const struct ic_calib_shape *src = quick ? quick_shapes : full_shapes;
  size_t n = quick ? sizeof quick_shapes / sizeof quick_shapes[0] : sizeof full_shapes / sizeof full_shapes[0];
  for (size_t i = 0; i < n && i < cap; i++) out[i] = src[i];
  return n;
}

/* The shape in the simulator's terms. */
static struct ic_iter_shape iter_shape(const struct ic_calib_shape *s) {
  switch (s->phase) {
  case IC_CALIB_PREFILL: return ic_iter_shape_prefill(s->tokens, s->batch);
  case IC_CALIB_DECODE: return ic_iter_shape_decode(s->batch, s->context);
  default:
    return ic_iter_shape_add(ic_iter_shape_prefill_chunk(s->tokens, s->context),
                             ic_iter_shape_decode(s->batch, s->context));
  }
}

static void label(const struct ic_calib_shape *s, char *buf, size_t size) {
  if (s->phase == IC_CALIB_PREFILL)
    snprintf(buf, size, "prefill b=%lld p=%lld", (long long)s->batch, (long long)s->tokens);
  else if (s->phase == IC_CALIB_DECODE)
    snprintf(buf, size, "decode b=%lld ctx=%lld", (long long)s->batch, (long long)s->context);
  else
    snprintf(buf, size, "mixed chunk=%lld+%lld b=%lld", (long long)s->tokens, (long long)s->context,
             (long long)s->batch);
}

ic_status ic_calib_validate(const struct ic_calib *c, const struct ic_calib_options *opt,
                            const struct ic_calib_shape *shapes, struct ic_calib_row *rows, size_t n,
                            FILE *progress) {
  struct ic_model_spec model;
  ic_calib_model(&model, opt->quick);
  struct ic_gpu_spec cpu;
  ic_calib_cpu_gpu(c, &cpu);
  struct ic_perf_params params = ic_calib_cpu_params(c);
  struct ic_precisions prec = {.weights = IC_FP32, .activations = IC_FP32, .kv = IC_FP32};
  struct ic_perf perf;
  ic_status st = ic_perf_init(&perf, &model, &cpu, 1, &prec, &params, "validate");
  if (st != IC_OK) return st;
  int64_t max_seqs = 1, max_ctx = 1, max_tokens = 1;
  for (size_t i = 0; i < n; i++) {
    const struct ic_calib_shape *s = &shapes[i];
    int64_t seqs = s->phase == IC_CALIB_MIXED ? s->batch + 1 : s->batch;
    int64_t ctx = s->context + (s->phase == IC_CALIB_DECODE ? 1 : s->tokens);
    int64_t toks = iter_shape(s).new_tokens;
    max_seqs = seqs > max_seqs ? seqs : max_seqs;
    max_ctx = ctx > max_ctx ? ctx : max_ctx;
    max_tokens = toks > max_tokens ? toks : max_tokens;
  }
  if ((st = ic__blas_load(c->threads)) != IC_OK) return st;
  ic__xf *xf = ic__xf_alloc(&model, max_seqs, max_ctx, max_tokens);
  if (!xf) return IC_ENOMEM;
  const int repeats = repeats_of(opt);
  for (size_t i = 0; i < n; i++) {
    struct ic_calib_row *r = &rows[i];
    memset(r, 0, sizeof *r);
    r->shape = shapes[i];
    label(&shapes[i], r->label, sizeof r->label);
    struct ic_iter_shape is = iter_shape(&shapes[i]);
    struct ic_perf_breakdown b;
    r->predicted_s = ic_perf_iter_s(&perf, &is, &b);
    r->compute_bound = b.compute_s >= b.memory_s;
    struct ic_iter_cost cost = ic_model_iter_cost(&model, &prec, &is);
    r->intensity = cost.flops / (cost.weight_bytes + cost.kv_bytes + cost.act_bytes);
    double t[32];
    int reps = repeats > 32 ? 32 : repeats;
    if (ic__xf_run(xf, &shapes[i]) < 0) { /* warm-up; negative: shape exceeds the buffers */
      st = IC_EINTERNAL;
      break;
    }
    for (int k = 0; k < reps; k++) t[k] = ic__xf_run(xf, &shapes[i]);
    r->measured_s = ic__calib_fastest(t, reps);
    r->error = (r->predicted_s - r->measured_s) / r->measured_s;
    if (progress)
      fprintf(progress, "  %-28s predicted %9.3f ms  measured %9.3f ms  error %+6.1f%%  (%s-bound)\n", r->label,
              r->predicted_s * 1e3, r->measured_s * 1e3, 100.0 * r->error, r->compute_bound ? "compute" : "memory");
  }
  ic__xf_free(xf);
  return st;
}

void ic_calib_error_stats(const struct ic_calib_row *rows, size_t n, double *median, double *p90) {
  *median = *p90 = (double)NAN;
  if (n == 0) return;
  double *e = malloc(n * sizeof *e);
  if (!e) return;
  for (size_t i = 0; i < n; i++) e[i] = fabs(rows[i].error);
  *median = ic__calib_median(e, (int)n); /* sorts e */
  size_t rank = (size_t)ceil(0.9 * (double)n); /* nearest-rank percentile, 1-based */
  *p90 = e[(rank > 0 ? rank : 1) - 1];
  free(e);
}

struct csv_out {
  const struct ic_calib_row *rows;
  size_t n;
};

static ic_status fill_csv(FILE *f, void *ctx) {
  const struct csv_out *o = ctx;
  fprintf(f, "shape,phase,batch,tokens,context,predicted_s,measured_s,error,bound\n");
  static const char *const phase[] = {"prefill", "decode", "mixed"};
  for (size_t i = 0; i < o->n; i++) {
    const struct ic_calib_row *r = &o->rows[i];
    fprintf(f, "%s,%s,%lld,%lld,%lld,%.6e,%.6e,%.4f,%s\n", r->label, phase[r->shape.phase],
            (long long)r->shape.batch, (long long)r->shape.tokens, (long long)r->shape.context, r->predicted_s,
            r->measured_s, r->error, r->compute_bound ? "compute" : "memory");
  }
  return IC_OK;
}

ic_status ic_calib_write_csv(const struct ic_calib *c, const struct ic_calib_row *rows, size_t n,
                             const char *path) {
  struct csv_out o = {rows, n};
  ic_status st = ic_out_write(path, fill_csv, &o);
  if (st != IC_OK) return st;
  /* The machine's measured rates are the provenance of this table. */
  char note[320];
  snprintf(note, sizeof note, "cpu threads=%d gemm_flops_per_s=%.4e stream_bytes_per_s=%.4e weight_pass_flops=%.2f "
           "attn_flops_per_s=%.4e attn_kv_bytes_per_s=%.4e", c->threads, c->gemm_flops_per_s, c->stream_bytes_per_s,
           c->weight_pass_flops, c->attn_flops_per_s, c->attn_kv_bytes_per_s);
  char dir[4096];
  const char *slash = strrchr(path, '/');
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
  const struct ic_meta m = {.command = "validate", .scenario = NULL, .note = note};
  const struct ic_meta_file file = {"validation.csv", "compute model predicted against measured, one row per shape"};
  return ic_meta_write_dir(dir, &m, &file, 1);
}
