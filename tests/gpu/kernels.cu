/* kernels.cu: times real GPU kernels for the compute model's kernel table
 * (tests/data/published/kernels.csv, docs/validation-kernels.md).
 *
 * - GEMMs through cuBLASLt, the library the serving engines call, in the
 *   layout of a linear layer (weights [n][k], activations [m][k], output
 *   [m][n]), fp16 and bf16 with fp32 accumulation, fp8 (e4m3 inputs, bf16
 *   output), over the per-GPU shapes of Llama-3.1-8B (TP 1) and
 *   Llama-3.1-70B (TP 8) and a square reference.
 * - Decode attention over a paged KV cache (blocks of 16 tokens reached
 *   through a block table, as vLLM and TensorRT-LLM keep it), a kernel written
 *   here: the query heads that share a KV head served by one read of it, the
 *   context split over blocks (flash-decoding) and combined by a second kernel.
 *
 * Each GEMM is timed as back-to-back launches over copies of its operands
 * that together exceed the L2 cache (a layer's weights are read once per
 * iteration; the next layer's are others), so the figure is a kernel's time
 * inside a CUDA graph, not a cached re-read. Each attention launch follows a
 * write of 256 MiB that evicts L2. Figures: the median and 10th / 90th
 * percentiles of the trials. Output: CSV rows in the kernel table's schema
 * on stdout; progress on stderr.
 *
 * Build (not part of the CMake build: it needs a GPU):
 *   nvcc -O3 -std=c++17 -gencode=arch=compute_90,code=sm_90 tests/gpu/kernels.cu -lcublasLt -o kernels
 * Run: tests/gpu/run_kernels.sh. */
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define CK(x)                                                                                   \
  do {                                                                                          \
    cudaError_t e_ = (x);                                                                       \
    if (e_ != cudaSuccess) {                                                                    \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_));     \
      exit(1);                                                                                  \
    }                                                                                           \
  } while (0)

static const char *g_source = "";
static const char *g_gpu = "h100-sxm";
static int g_row = 0;

/* ---- fill: a hash of the index, values in [-1, 1) ---- */
template <typename T> __device__ T from_float(float f);
template <> __device__ __half from_float<__half>(float f) { return __float2half(f); }
template <> __device__ __nv_bfloat16 from_float<__nv_bfloat16>(float f) { return __float2bfloat16(f); }
template <> __device__ __nv_fp8_e4m3 from_float<__nv_fp8_e4m3>(float f) { return __nv_fp8_e4m3(f); }

template <typename T> __global__ void fill(T *p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    uint32_t h = (uint32_t)i * 2654435761u ^ seed;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    p[i] = from_float<T>(((float)(h & 0xffff) / 32768.0f - 1.0f));
  }
}

template <typename T> static void fill_dev(T *p, size_t n, uint32_t seed) {
  fill<T><<<1024, 256>>>(p, n, seed);
  CK(cudaGetLastError());
}

static void percentiles(std::vector<double> v, double *p10, double *p50, double *p90) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  *p10 = v[(size_t)std::floor(0.1 * (n - 1))];
  *p50 = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  *p90 = v[(size_t)std::ceil(0.9 * (n - 1))];
}

/* ---- GEMMs ---- */
struct gemm_prec {
  const char *name;
  cudaDataType_t in, out;
  size_t in_bytes;
};

static const gemm_prec PRECS[] = {
    {"fp16", CUDA_R_16F, CUDA_R_16F, 2},
    {"bf16", CUDA_R_16BF, CUDA_R_16BF, 2},
    {"fp8", CUDA_R_8F_E4M3, CUDA_R_16BF, 1},
};

static cublasLtHandle_t g_lt;
static void *g_workspace;
static const size_t WORKSPACE_BYTES = 64u << 20;

#define CKL(x)                                                                                  \
  do {                                                                                          \
    cublasStatus_t s_ = (x);                                                                    \
    if (s_ != CUBLAS_STATUS_SUCCESS) {                                                          \
      fprintf(stderr, "%s:%d: %s: cublas status %d\n", __FILE__, __LINE__, #x, (int)s_);       \
      return false;                                                                             \
    }                                                                                           \
  } while (0)

/* D[n x m] (column-major) = W^T[n x k] X[k x m]: weights stored [n][k],
 * activations [m][k], output [m][n] row-major, the TN layout fp8 requires. */
static bool time_gemm(const gemm_prec &pr, int64_t m, int64_t n, int64_t k, const char *what) {
  size_t w_bytes = (size_t)n * k * pr.in_bytes, x_bytes = (size_t)m * k * pr.in_bytes, d_bytes = (size_t)m * n * 2;
  size_t set_bytes = w_bytes + x_bytes + d_bytes;
  int copies = (int)std::min<size_t>(64, std::max<size_t>(2, ((size_t)256 << 20) / set_bytes + 1));
  std::vector<void *> w(copies), x(copies), d(copies);
  for (int c = 0; c < copies; c++) {
    CK(cudaMalloc(&w[c], w_bytes));
    CK(cudaMalloc(&x[c], x_bytes));
    CK(cudaMalloc(&d[c], d_bytes));
    if (pr.in == CUDA_R_16F) {
      fill_dev((__half *)w[c], (size_t)n * k, 11 + c);
      fill_dev((__half *)x[c], (size_t)m * k, 101 + c);
    } else if (pr.in == CUDA_R_16BF) {
      fill_dev((__nv_bfloat16 *)w[c], (size_t)n * k, 11 + c);
      fill_dev((__nv_bfloat16 *)x[c], (size_t)m * k, 101 + c);
    } else {
      fill_dev((__nv_fp8_e4m3 *)w[c], (size_t)n * k, 11 + c);
      fill_dev((__nv_fp8_e4m3 *)x[c], (size_t)m * k, 101 + c);
    }
  }
  bool ok = false;
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, ld = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  do {
    cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    if (cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F) != CUBLAS_STATUS_SUCCESS) break;
    cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
    cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
    if (cublasLtMatrixLayoutCreate(&la, pr.in, k, n, k) != CUBLAS_STATUS_SUCCESS) break;
    if (cublasLtMatrixLayoutCreate(&lb, pr.in, k, m, k) != CUBLAS_STATUS_SUCCESS) break;
    if (cublasLtMatrixLayoutCreate(&ld, pr.out, n, m, n) != CUBLAS_STATUS_SUCCESS) break;
    cublasLtMatmulPreferenceCreate(&pref);
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &WORKSPACE_BYTES,
                                         sizeof WORKSPACE_BYTES);
    cublasLtMatmulHeuristicResult_t heur[1];
    int found = 0;
    if (cublasLtMatmulAlgoGetHeuristic(g_lt, op, la, lb, ld, ld, pref, 1, heur, &found) != CUBLAS_STATUS_SUCCESS ||
        found == 0) {
      fprintf(stderr, "gemm %s m=%ld n=%ld k=%ld: no cuBLASLt algorithm\n", pr.name, (long)m, (long)n, (long)k);
      break;
    }
    float alpha = 1.0f, beta = 0.0f;
    auto launch = [&](int c) {
      return cublasLtMatmul(g_lt, op, &alpha, w[c], la, x[c], lb, &beta, d[c], ld, d[c], ld, &heur[0].algo,
                            g_workspace, WORKSPACE_BYTES, 0);
    };
    if (launch(0) != CUBLAS_STATUS_SUCCESS) {
      fprintf(stderr, "gemm %s m=%ld n=%ld k=%ld: launch failed\n", pr.name, (long)m, (long)n, (long)k);
      break;
    }
    /* Warm up, and size a trial to about 2 ms of launches. */
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    for (int i = 0; i < 3; i++) launch(i % copies);
    CK(cudaEventRecord(e0));
    for (int i = 0; i < copies; i++) launch(i);
    CK(cudaEventRecord(e1));
    CK(cudaEventSynchronize(e1));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    double est_us = 1000.0 * ms / copies;
    int per_trial = (int)std::min(400.0, std::max(1.0, 2000.0 / std::max(est_us, 0.5)));
    const int trials = 15;
    std::vector<double> t;
    int c = 0;
    for (int tr = 0; tr < trials; tr++) {
      CK(cudaEventRecord(e0));
      for (int i = 0; i < per_trial; i++, c = (c + 1) % copies) launch(c);
      CK(cudaEventRecord(e1));
      CK(cudaEventSynchronize(e1));
      CK(cudaEventElapsedTime(&ms, e0, e1));
      t.push_back(1000.0 * ms / per_trial);
    }
    CK(cudaGetLastError());
    double p10, p50, p90;
    percentiles(t, &p10, &p50, &p90);
    double tflops = 2.0 * m * n * k / (p50 * 1e-6) / 1e12;
    double tbs = (double)(w_bytes + x_bytes + d_bytes) / (p50 * 1e-6) / 1e12;
    printf("K%03d,\"%s\",%s,gemm,%s,%ld,%ld,%ld,,,,,,%.3f,%.3f,%.3f,%d,\"%s; %d back-to-back launches a trial over %d operand copies; %.1f TFLOP/s, %.2f TB/s\"\n",
           ++g_row, g_source, g_gpu, pr.name, (long)m, (long)n, (long)k, p50, p10, p90, trials, what, per_trial, copies,
           tflops, tbs);
    fflush(stdout);
    fprintf(stderr, "gemm %-4s m=%6ld n=%6ld k=%6ld %10.2f us %7.1f TFLOP/s %5.2f TB/s\n", pr.name, (long)m, (long)n,
            (long)k, p50, tflops, tbs);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    ok = true;
  } while (0);
  if (pref) cublasLtMatmulPreferenceDestroy(pref);
  if (la) cublasLtMatrixLayoutDestroy(la);
  if (lb) cublasLtMatrixLayoutDestroy(lb);
  if (ld) cublasLtMatrixLayoutDestroy(ld);
  if (op) cublasLtMatmulDescDestroy(op);
  for (int c2 = 0; c2 < copies; c2++) {
    cudaFree(w[c2]);
    cudaFree(x[c2]);
    cudaFree(d[c2]);
  }
  return ok;
}

/* ---- decode attention over a paged KV cache ---- */
enum { BLOCK_TOKENS = 16, HEAD_DIM = 128 };

/* Grid (kv_head, sequence, split); SPLIT_MAX tokens of context a block at
 * most. The G query heads that share a KV head (grouped-query attention) are
 * served by one read of its keys and values:
 * 1. scores: a thread a token, its key row against the G queries (kept in
 *    shared memory, read as broadcasts), into shared memory;
 * 2. softmax of each head's scores within the split (max, exp, sum);
 * 3. values: a thread 8 dimensions of 1/8 of the tokens, for all G heads,
 *    its partial sums added over the 8 groups through shared memory.
 * Writes the split's max, sum and unnormalised output per query head. K and
 * V are [block][kv_head][16][128]. */
enum { SPLIT_MAX = 256, THREADS = 128, TOKEN_LANES = THREADS / (HEAD_DIM / 8) };

template <int G>
__global__ void __launch_bounds__(THREADS) decode_split(const __half *__restrict__ q, const __half *__restrict__ kc,
                                                        const __half *__restrict__ vc,
                                                        const int *__restrict__ block_table, int max_blocks,
                                                        int context, int kv_heads, int split_tokens,
                                                        float *__restrict__ part_mx, float *__restrict__ part_sum,
                                                        float *__restrict__ part_acc, int splits) {
  int kvh = blockIdx.x, seq = blockIdx.y, split = blockIdx.z;
  int heads = kv_heads * G;
  __shared__ float4 s_q[G][HEAD_DIM / 4];
  __shared__ float s_p[G][SPLIT_MAX];
  __shared__ float s_red[G][THREADS / 32], s_m[G], s_z[G];
  __shared__ float s_acc[TOKEN_LANES][G][HEAD_DIM];
  const float scale = rsqrtf((float)HEAD_DIM);
  for (int i = threadIdx.x; i < G * HEAD_DIM; i += THREADS)
    ((float *)s_q)[i] = __half2float(q[((size_t)seq * heads + kvh * G) * HEAD_DIM + i]) * scale;
  __syncthreads();
  int t0 = split * split_tokens, n = min(context, t0 + split_tokens) - t0;
  const int *bt = block_table + (size_t)seq * max_blocks;
  /* 1. scores */
  for (int i = threadIdx.x; i < n; i += THREADS) {
    int t = t0 + i;
    const uint4 *kr = (const uint4 *)(kc + (((size_t)bt[t / BLOCK_TOKENS] * kv_heads + kvh) * BLOCK_TOKENS +
                                            t % BLOCK_TOKENS) * HEAD_DIM);
    float s[G];
#pragma unroll
    for (int g = 0; g < G; g++) s[g] = 0.f;
#pragma unroll 4
    for (int c = 0; c < HEAD_DIM / 8; c++) {
      uint4 raw = kr[c];
      const __half2 *h = (const __half2 *)&raw;
      float2 k0 = __half22float2(h[0]), k1 = __half22float2(h[1]), k2 = __half22float2(h[2]), k3 = __half22float2(h[3]);
#pragma unroll
      for (int g = 0; g < G; g++) {
        float4 qa = s_q[g][2 * c], qb = s_q[g][2 * c + 1];
        s[g] += qa.x * k0.x + qa.y * k0.y + qa.z * k1.x + qa.w * k1.y + qb.x * k2.x + qb.y * k2.y + qb.z * k3.x +
                qb.w * k3.y;
      }
    }
#pragma unroll
    for (int g = 0; g < G; g++) s_p[g][i] = s[g];
  }
  __syncthreads();
  /* 2. each head's max and sum over the split */
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float mx[G], sum[G];
#pragma unroll
  for (int g = 0; g < G; g++) {
    float m = -INFINITY;
    for (int i = threadIdx.x; i < n; i += THREADS) m = fmaxf(m, s_p[g][i]);
    for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
    if (lane == 0) s_red[g][warp] = m;
  }
  __syncthreads();
#pragma unroll
  for (int g = 0; g < G; g++) {
    mx[g] = fmaxf(fmaxf(s_red[g][0], s_red[g][1]), fmaxf(s_red[g][2], s_red[g][3]));
  }
  __syncthreads();
#pragma unroll
  for (int g = 0; g < G; g++) {
    float z = 0.f;
    for (int i = threadIdx.x; i < n; i += THREADS) {
      float p = __expf(s_p[g][i] - mx[g]);
      s_p[g][i] = p;
      z += p;
    }
    for (int o = 16; o > 0; o >>= 1) z += __shfl_xor_sync(0xffffffffu, z, o);
    if (lane == 0) s_red[g][warp] = z;
  }
  __syncthreads();
#pragma unroll
  for (int g = 0; g < G; g++) sum[g] = s_red[g][0] + s_red[g][1] + s_red[g][2] + s_red[g][3];
  if (threadIdx.x < G) s_m[threadIdx.x] = mx[threadIdx.x], s_z[threadIdx.x] = sum[threadIdx.x];
  /* 3. values: thread = (token lane, 8-dimension chunk) */
  int chunk = threadIdx.x % (HEAD_DIM / 8), tl = threadIdx.x / (HEAD_DIM / 8);
  float acc[G][8];
#pragma unroll
  for (int g = 0; g < G; g++)
#pragma unroll
    for (int j = 0; j < 8; j++) acc[g][j] = 0.f;
  for (int i = tl; i < n; i += TOKEN_LANES) {
    int t = t0 + i;
    uint4 raw = *(const uint4 *)(vc + (((size_t)bt[t / BLOCK_TOKENS] * kv_heads + kvh) * BLOCK_TOKENS +
                                       t % BLOCK_TOKENS) * HEAD_DIM + chunk * 8);
    const __half2 *h = (const __half2 *)&raw;
    float2 v0 = __half22float2(h[0]), v1 = __half22float2(h[1]), v2 = __half22float2(h[2]), v3 = __half22float2(h[3]);
#pragma unroll
    for (int g = 0; g < G; g++) {
      float p = s_p[g][i];
      acc[g][0] += p * v0.x, acc[g][1] += p * v0.y, acc[g][2] += p * v1.x, acc[g][3] += p * v1.y;
      acc[g][4] += p * v2.x, acc[g][5] += p * v2.y, acc[g][6] += p * v3.x, acc[g][7] += p * v3.y;
    }
  }
#pragma unroll
  for (int g = 0; g < G; g++)
#pragma unroll
    for (int j = 0; j < 8; j++) s_acc[tl][g][chunk * 8 + j] = acc[g][j];
  __syncthreads();
  for (int i = threadIdx.x; i < G * HEAD_DIM; i += THREADS) {
    int g = i / HEAD_DIM, dim = i % HEAD_DIM;
    float a = 0.f;
#pragma unroll
    for (int w = 0; w < TOKEN_LANES; w++) a += s_acc[w][g][dim];
    size_t hh = (size_t)seq * heads + kvh * G + g, pi = hh * splits + split;
    part_acc[pi * HEAD_DIM + dim] = a;
    if (dim == 0) part_mx[pi] = s_m[g], part_sum[pi] = s_z[g];
  }
}

/* Multi-head attention (one query head a KV head): a warp a token, a lane 4
 * of its 128 dimensions, the context split over blocks; with no heads to
 * share a read, this measured faster than decode_split<1> (3.0 against 2.4
 * TB/s of KV read on an H100 at batch 32, 8,192 tokens). */
enum { MHA_WARPS = 8 };
__global__ void __launch_bounds__(MHA_WARPS * 32) decode_split_mha(const __half *__restrict__ q, const __half *__restrict__ kc,
                                                                  const __half *__restrict__ vc,
                                                                  const int *__restrict__ block_table, int max_blocks,
                                                                  int context, int kv_heads, int split_tokens,
                                                                  float *__restrict__ part_mx, float *__restrict__ part_sum,
                                                                  float *__restrict__ part_acc, int splits) {
  int kvh = blockIdx.x, seq = blockIdx.y, split = blockIdx.z;
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int heads = kv_heads;
  const __half *qp = q + ((size_t)seq * heads + kvh) * HEAD_DIM + lane * 4;
  float2 qa = __half22float2(*(const __half2 *)qp), qb = __half22float2(*(const __half2 *)(qp + 2));
  const float sc = rsqrtf((float)HEAD_DIM);
  float q0 = qa.x * sc, q1 = qa.y * sc, q2 = qb.x * sc, q3 = qb.y * sc;
  float mx = -INFINITY, sum = 0.f, a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;
  int t0 = split * split_tokens, t1 = min(context, t0 + split_tokens);
  const int *bt = block_table + (size_t)seq * max_blocks;
  for (int t = t0 + warp; t < t1; t += MHA_WARPS) {
    size_t off = (((size_t)bt[t / BLOCK_TOKENS] * kv_heads + kvh) * BLOCK_TOKENS + t % BLOCK_TOKENS) * HEAD_DIM + lane * 4;
    uint2 kr = *(const uint2 *)(kc + off), vr = *(const uint2 *)(vc + off);
    float2 k01 = __half22float2(*(__half2 *)&kr.x), k23 = __half22float2(*(__half2 *)&kr.y);
    float2 v01 = __half22float2(*(__half2 *)&vr.x), v23 = __half22float2(*(__half2 *)&vr.y);
    float s = q0 * k01.x + q1 * k01.y + q2 * k23.x + q3 * k23.y;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    float nm = fmaxf(mx, s), c = __expf(mx - nm), pr = __expf(s - nm);
    mx = nm;
    sum = sum * c + pr;
    a0 = a0 * c + pr * v01.x, a1 = a1 * c + pr * v01.y, a2 = a2 * c + pr * v23.x, a3 = a3 * c + pr * v23.y;
  }
  __shared__ float s_mx[MHA_WARPS], s_sum[MHA_WARPS], s_acc[MHA_WARPS][HEAD_DIM];
  if (lane == 0) s_mx[warp] = mx, s_sum[warp] = sum;
  s_acc[warp][lane * 4] = a0, s_acc[warp][lane * 4 + 1] = a1, s_acc[warp][lane * 4 + 2] = a2,
  s_acc[warp][lane * 4 + 3] = a3;
  __syncthreads();
  for (int dim = threadIdx.x; dim < HEAD_DIM; dim += MHA_WARPS * 32) {
    float m = -INFINITY;
    for (int w = 0; w < MHA_WARPS; w++) m = fmaxf(m, s_mx[w]);
    float sm = 0.f, a = 0.f;
    for (int w = 0; w < MHA_WARPS; w++) {
      float c = s_mx[w] == -INFINITY ? 0.f : __expf(s_mx[w] - m);
      sm += s_sum[w] * c;
      a += s_acc[w][dim] * c;
    }
    size_t pi = ((size_t)seq * heads + kvh) * splits + split;
    part_acc[pi * HEAD_DIM + dim] = a;
    if (dim == 0) part_mx[pi] = m, part_sum[pi] = sm;
  }
}

/* One block a (sequence, query head): combines its splits into the output. */
__global__ void decode_combine(const float *__restrict__ part_mx, const float *__restrict__ part_sum,
                               const float *__restrict__ part_acc, int splits, __half *__restrict__ out) {
  size_t h = blockIdx.x;
  int dim = threadIdx.x;
  float m = -INFINITY;
  for (int s = 0; s < splits; s++) m = fmaxf(m, part_mx[h * splits + s]);
  float sm = 0.f, a = 0.f;
  for (int s = 0; s < splits; s++) {
    float pm = part_mx[h * splits + s];
    float c = pm == -INFINITY ? 0.f : __expf(pm - m);
    sm += part_sum[h * splits + s] * c;
    a += part_acc[(h * splits + s) * HEAD_DIM + dim] * c;
  }
  out[h * HEAD_DIM + dim] = __float2half(a / sm);
}

/* A reference on the host for one (sequence, head), to check the kernel. */
static double check_head(const std::vector<__half> &q, const std::vector<__half> &kc, const std::vector<__half> &vc,
                         const std::vector<int> &bt, int max_blocks, int kv_heads, int group, int context, int seq,
                         int head, const std::vector<__half> &out) {
  int heads = kv_heads * group, kvh = head / group;
  std::vector<double> sc(context);
  double m = -1e300;
  for (int t = 0; t < context; t++) {
    size_t off = (((size_t)bt[(size_t)seq * max_blocks + t / BLOCK_TOKENS] * kv_heads + kvh) * BLOCK_TOKENS +
                  t % BLOCK_TOKENS) * HEAD_DIM;
    double s = 0;
    for (int d = 0; d < HEAD_DIM; d++)
      s += (double)__half2float(q[((size_t)seq * heads + head) * HEAD_DIM + d]) * __half2float(kc[off + d]);
    sc[t] = s / std::sqrt((double)HEAD_DIM);
    m = std::max(m, sc[t]);
  }
  double worst = 0, z = 0;
  for (int t = 0; t < context; t++) z += std::exp(sc[t] - m);
  for (int d = 0; d < HEAD_DIM; d++) {
    double a = 0;
    for (int t = 0; t < context; t++) {
      size_t off = (((size_t)bt[(size_t)seq * max_blocks + t / BLOCK_TOKENS] * kv_heads + kvh) * BLOCK_TOKENS +
                    t % BLOCK_TOKENS) * HEAD_DIM;
      a += std::exp(sc[t] - m) * __half2float(vc[off + d]);
    }
    worst = std::max(worst, std::fabs(a / z - __half2float(out[((size_t)seq * heads + head) * HEAD_DIM + d])));
  }
  return worst;
}

static void time_decode(int batch, int heads, int kv_heads, int context, const char *what, void *flush,
                        size_t flush_bytes) {
  int group = heads / kv_heads;
  int max_blocks = (context + BLOCK_TOKENS - 1) / BLOCK_TOKENS;
  size_t blocks = (size_t)batch * max_blocks;
  size_t cache_elems = blocks * kv_heads * BLOCK_TOKENS * HEAD_DIM;
  /* Split the context so that the grid fills the GPU about twice. */
  int sms = 132;
  int fill = std::min(max_blocks, (2 * sms + batch * kv_heads - 1) / (batch * kv_heads));
  int splits = group == 1 ? std::max(1, fill) : std::max((context + SPLIT_MAX - 1) / SPLIT_MAX, fill);
  int split_tokens = ((context + splits - 1) / splits + BLOCK_TOKENS - 1) / BLOCK_TOKENS * BLOCK_TOKENS;
  splits = (context + split_tokens - 1) / split_tokens;
  __half *q, *kc, *vc, *out;
  int *bt;
  float *pmx, *psum, *pacc;
  size_t nh = (size_t)batch * heads;
  CK(cudaMalloc(&q, nh * HEAD_DIM * 2));
  CK(cudaMalloc(&out, nh * HEAD_DIM * 2));
  CK(cudaMalloc(&kc, cache_elems * 2));
  CK(cudaMalloc(&vc, cache_elems * 2));
  CK(cudaMalloc(&bt, blocks * sizeof(int)));
  CK(cudaMalloc(&pmx, nh * splits * 4));
  CK(cudaMalloc(&psum, nh * splits * 4));
  CK(cudaMalloc(&pacc, nh * splits * HEAD_DIM * 4));
  fill_dev(q, nh * HEAD_DIM, 7);
  fill_dev(kc, cache_elems, 8);
  fill_dev(vc, cache_elems, 9);
  /* The block table: a shuffled assignment of cache blocks, as a paged cache
   * is after a while of admissions and releases. */
  std::vector<int> hbt(blocks);
  for (size_t i = 0; i < blocks; i++) hbt[i] = (int)i;
  uint64_t r = 88172645463325252ull;
  for (size_t i = blocks - 1; i > 0; i--) {
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    std::swap(hbt[i], hbt[r % (i + 1)]);
  }
  CK(cudaMemcpy(bt, hbt.data(), blocks * sizeof(int), cudaMemcpyHostToDevice));
  dim3 grid(kv_heads, batch, splits);
  auto launch = [&]() {
    switch (group) {
    case 1: decode_split_mha<<<grid, MHA_WARPS * 32>>>(q, kc, vc, bt, max_blocks, context, kv_heads, split_tokens, pmx, psum, pacc, splits); break;
    case 4: decode_split<4><<<grid, THREADS>>>(q, kc, vc, bt, max_blocks, context, kv_heads, split_tokens, pmx, psum, pacc, splits); break;
    case 8: decode_split<8><<<grid, THREADS>>>(q, kc, vc, bt, max_blocks, context, kv_heads, split_tokens, pmx, psum, pacc, splits); break;
    default: fprintf(stderr, "group %d not built\n", group); exit(1);
    }
    decode_combine<<<(unsigned)nh, HEAD_DIM>>>(pmx, psum, pacc, splits, out);
  };
  launch();
  CK(cudaDeviceSynchronize());
  CK(cudaGetLastError());
  /* Check two heads against the host reference (small cases only: it is slow). */
  double worst = -1;
  if ((size_t)context * batch <= 65536) {
    std::vector<__half> hq(nh * HEAD_DIM), hk(cache_elems), hv(cache_elems), ho(nh * HEAD_DIM);
    CK(cudaMemcpy(hq.data(), q, hq.size() * 2, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(hk.data(), kc, hk.size() * 2, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(hv.data(), vc, hv.size() * 2, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(ho.data(), out, ho.size() * 2, cudaMemcpyDeviceToHost));
    worst = std::max(check_head(hq, hk, hv, hbt, max_blocks, kv_heads, group, context, 0, 0, ho),
                     check_head(hq, hk, hv, hbt, max_blocks, kv_heads, group, context, batch - 1, heads - 1, ho));
    if (worst > 2e-2) {
      fprintf(stderr, "decode attention wrong: batch %d heads %d ctx %d: max abs error %g\n", batch, heads, context,
              worst);
      exit(1);
    }
  }
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  const int trials = 25;
  std::vector<double> t;
  for (int tr = 0; tr < trials; tr++) {
    CK(cudaMemsetAsync(flush, tr & 0xff, flush_bytes));
    CK(cudaEventRecord(e0));
    launch();
    CK(cudaEventRecord(e1));
    CK(cudaEventSynchronize(e1));
    float ms;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    t.push_back(1000.0 * ms);
  }
  CK(cudaGetLastError());
  double p10, p50, p90;
  percentiles(t, &p10, &p50, &p90);
  double kv_bytes = 2.0 * cache_elems * 2 * ((double)context / (max_blocks * BLOCK_TOKENS));
  double tbs = kv_bytes / (p50 * 1e-6) / 1e12;
  printf("K%03d,\"%s\",%s,attn_decode,fp16,,,,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%d,\"%s; written here (tests/gpu/kernels.cu): "
         "paged KV cache of 16-token blocks, %d context splits and a combine kernel, L2 evicted before each launch; "
         "%.2f TB/s of KV read%s\"\n",
         ++g_row, g_source, g_gpu, batch, heads, kv_heads, HEAD_DIM, context, p50, p10, p90, trials, what, splits, tbs,
         worst >= 0 ? "; checked against a host reference" : "");
  fflush(stdout);
  fprintf(stderr, "decode b=%4d h=%2d kv=%d ctx=%6d %9.2f us %5.2f TB/s splits %d check %g\n", batch, heads, kv_heads,
          context, p50, tbs, splits, worst);
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  cudaFree(q), cudaFree(out), cudaFree(kc), cudaFree(vc), cudaFree(bt), cudaFree(pmx), cudaFree(psum), cudaFree(pacc);
}

int main(int argc, char **argv) {
  bool quick = argc > 1 && !strcmp(argv[1], "--quick");
  if (getenv("KERNELS_SOURCE")) g_source = getenv("KERNELS_SOURCE");
  if (getenv("KERNELS_GPU")) g_gpu = getenv("KERNELS_GPU");
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  fprintf(stderr, "%s, %d SMs, L2 %d MB, cuBLASLt %zu\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize >> 20,
          cublasLtGetVersion());
  if (cublasLtCreate(&g_lt) != CUBLAS_STATUS_SUCCESS) return 1;
  CK(cudaMalloc(&g_workspace, WORKSPACE_BYTES));
  printf("id,source,gpu,kernel,precision,m,n,k,batch,heads,kv_heads,head_dim,context,time_us,time_us_p10,time_us_p90,reps,note\n");

  struct shape {
    int64_t n, k;
    const char *what;
  };
  const shape shapes[] = {
      {6144, 4096, "Llama-3.1-8B TP 1 QKV projection"},
      {4096, 4096, "Llama-3.1-8B TP 1 output projection"},
      {28672, 4096, "Llama-3.1-8B TP 1 gate+up projection"},
      {4096, 14336, "Llama-3.1-8B TP 1 down projection"},
      {1280, 8192, "Llama-3.1-70B TP 8 QKV projection"},
      {8192, 1024, "Llama-3.1-70B TP 8 output projection"},
      {7168, 8192, "Llama-3.1-70B TP 8 gate+up projection"},
      {8192, 3584, "Llama-3.1-70B TP 8 down projection"},
      {8192, 8192, "square reference"},
  };
  const int64_t ms_full[] = {1, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
  const int64_t ms_quick[] = {1, 64, 1024, 8192};
  const int64_t *ms = quick ? ms_quick : ms_full;
  int nm = quick ? 4 : 12;
  for (const gemm_prec &pr : PRECS)
    for (const shape &s : shapes) {
      if (!strcmp(pr.name, "bf16") && strcmp(s.what, "square reference") && strstr(s.what, "gate") == nullptr) continue;
      for (int i = 0; i < nm; i++) time_gemm(pr, ms[i], s.n, s.k, s.what);
    }

  size_t flush_bytes = (size_t)256 << 20;
  void *flush;
  CK(cudaMalloc(&flush, flush_bytes));
  struct attn {
    int heads, kv_heads;
    const char *what;
  };
  const attn attns[] = {{32, 8, "Llama-3.1-8B TP 1 decode attention"},
                        {8, 1, "Llama-3.1-70B TP 8 decode attention"},
                        {64, 8, "Llama-3.1-70B TP 1 decode attention"},
                        {32, 32, "Llama-2-7B (multi-head) decode attention"}};
  const int batches[] = {1, 8, 32, 128};
  const int contexts[] = {512, 2048, 8192};
  for (const attn &a : attns)
    for (int b : batches)
      for (int c : contexts) {
        if (quick && (b == 8 || c == 2048)) continue;
        /* Keep the cache under 8 GiB. */
        if ((double)b * c * a.kv_heads * HEAD_DIM * 4 > 8.0 * (1 << 30)) continue;
        time_decode(b, a.heads, a.kv_heads, c, a.what, flush, flush_bytes);
      }
  return 0;
}
