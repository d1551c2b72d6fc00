/* hw.c: the accelerator and server catalogue (sources: docs/hardware.md). */
#include "infercost/hw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define T 1e12
#define GB 1e9
/* Dense (not 2:4 sparse) FLOP/s. fp32 is the CUDA-core rate, not TF32.
 * Links are NVLink per GPU in one direction: half the datasheet's
 * bidirectional figure, which is what a ring all-reduce step can use.
 * Phase power: Splitwise (ISCA 2024) for A100 and H100; H200 taken as H100
 * (same 700 W board); B200 scaled from H100 by TDP (assumption). */
/*                            fp32      bf16     fp16     fp8      int8     int4 */
static const struct ic_gpu_spec gpus[] = {
    {"a100-40gb", {19.5 * T, 312 * T, 312 * T, 0, 624 * T, 0}, 40 * GB, 1555 * GB, 300 * GB, 400, 63, 400, 250},
    {"a100-80gb", {19.5 * T, 312 * T, 312 * T, 0, 624 * T, 0}, 80 * GB, 2039 * GB, 300 * GB, 400, 63, 400, 250},
    {"h100-sxm", {67 * T, 989 * T, 989 * T, 1979 * T, 1979 * T, 0}, 80 * GB, 3350 * GB, 450 * GB, 700, 75, 700, 380},
    {"h200", {67 * T, 989 * T, 989 * T, 1979 * T, 1979 * T, 0}, 141 * GB, 4800 * GB, 450 * GB, 700, 75, 700, 380},
    {"b200", {75 * T, 2250 * T, 2250 * T, 4500 * T, 4500 * T, 0}, 180 * GB, 8000 * GB, 900 * GB, 1000, 107, 1000, 543},
};
#undef T
#undef GB

/* base_w: the system's maximum input power minus its GPUs' TDP (an upper
 * bound on CPUs, memory, NICs, fans); prices as in docs/hardware.md. */
static const struct ic_server_spec servers[] = {
    /* DGX A100 came with 40 GB (320 GB total) and 80 GB (640 GB) GPUs; one
     * entry for both, at the 2020 launch price (docs/hardware.md) */
    {"dgx-a100", "a100-40gb|a100-80gb", 8, 6500 - 8 * 400, 199000},
    {"dgx-h100", "h100-sxm", 8, 10200 - 8 * 700, 400000},
    {"dgx-h200", "h200", 8, 10200 - 8 * 700, 450000},
    {"dgx-b200", "b200", 8, 14300 - 8 * 1000, 515000},
};

const struct ic_gpu_spec *ic_hw_find_gpu(const char *name) {
  for (size_t i = 0; i < sizeof gpus / sizeof gpus[0]; i++)
    if (strcmp(gpus[i].name, name) == 0) return &gpus[i];
  return NULL;
}

const struct ic_server_spec *ic_hw_find_server(const char *name) {
  for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++)
    if (strcmp(servers[i].name, name) == 0) return &servers[i];
  return NULL;
}

bool ic_hw_server_holds(const struct ic_server_spec *server, const char *gpu) {
  size_t len = strlen(gpu);
  for (const char *p = server->gpu_types; *p;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n == len && strncmp(p, gpu, n) == 0) return true;
    if (!bar) break;
    p = bar + 1;
  }
  return false;
}

const struct ic_server_spec *ic_hw_server_for_gpu(const char *gpu) {
  for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++)
    if (ic_hw_server_holds(&servers[i], gpu)) return &servers[i];
  return NULL;
}

const struct ic_server_spec *ic_hw_resolve_server(const char *server, const char *gpu) {
  return strcmp(server, IC_HW_SERVER_AUTO) == 0 ? ic_hw_server_for_gpu(gpu) : ic_hw_find_server(server);
}

const char *ic_hw_gpu_names(void) { return "a100-40gb|a100-80gb|h100-sxm|h200|b200"; }

const char *ic_hw_server_names(void) { return "dgx-a100|dgx-h100|dgx-h200|dgx-b200"; }

double ic_hw_peak_flops(const struct ic_gpu_spec *gpu, enum ic_precision p) {
  /* Walk from the asked precision towards wider ones until one is supported. */
  static const enum ic_precision wider[IC_PRECISION_COUNT] = {IC_FP32, IC_FP32, IC_FP32, IC_BF16, IC_BF16, IC_INT8};
  if (p < 0 || p >= IC_PRECISION_COUNT) p = IC_FP32;
  for (int guard = 0; guard < IC_PRECISION_COUNT; guard++) {
    if (gpu->peak_flops[p] > 0) return gpu->peak_flops[p];
    p = wider[p];
  }
  return gpu->peak_flops[IC_FP32];
}

ic_status ic_hw_check_gpu(const struct ic_gpu_spec *gpu, const char *where) {
  size_t before = ic_diag_count();
  if (!(gpu->peak_flops[IC_FP32] > 0) && !(gpu->peak_flops[IC_BF16] > 0) && !(gpu->peak_flops[IC_FP16] > 0))
    ic_diag(where, 0, "accelerator '%s': needs a positive peak FLOP/s in fp32, bf16 or fp16", gpu->name);
  if (!(gpu->memory_bytes > 0))
    ic_diag(where, 0, "accelerator '%s': memory must be positive, got %g bytes", gpu->name, gpu->memory_bytes);
  if (!(gpu->mem_bw_bytes_per_s > 0))
    ic_diag(where, 0, "accelerator '%s': memory bandwidth must be positive, got %g B/s", gpu->name,
            gpu->mem_bw_bytes_per_s);
  if (!(gpu->link_bw_bytes_per_s > 0))
    ic_diag(where, 0, "accelerator '%s': link bandwidth must be positive, got %g B/s", gpu->name,
            gpu->link_bw_bytes_per_s);
  return ic_diag_count() > before ? IC_EINVAL : IC_OK;
}

ic_status ic_hw_resolve_gpu(const char *name, const struct ic_accel_config *cfg, struct ic_gpu_spec *out,
                            const char *where) {
  const struct ic_gpu_spec *base = ic_hw_find_gpu(name);
  struct ic_gpu_spec g = {0};
  if (base) g = *base;
  snprintf(g.name, sizeof g.name, "%s", name);
  const double peaks[IC_PRECISION_COUNT] = {cfg->peak_tflops_fp32, cfg->peak_tflops_bf16, cfg->peak_tflops_fp16,
                                            cfg->peak_tflops_fp8, cfg->peak_tflops_int8, cfg->peak_tflops_int4};
  for (int p = 0; p < IC_PRECISION_COUNT; p++)
    if (!isnan(peaks[p])) g.peak_flops[p] = peaks[p] * 1e12;
  if (!isnan(cfg->memory_gb)) g.memory_bytes = cfg->memory_gb * 1e9;
  if (!isnan(cfg->bandwidth_gb_per_s)) g.mem_bw_bytes_per_s = cfg->bandwidth_gb_per_s * 1e9;
  if (!isnan(cfg->link_gb_per_s)) g.link_bw_bytes_per_s = cfg->link_gb_per_s * 1e9;
  if (!isnan(cfg->tdp_w)) g.tdp_w = cfg->tdp_w;
  if (!base) {
    if (!(g.tdp_w > 0)) {
      ic_diag(where, 0, "accelerator '%s' is not built in (%s): set accelerator.tdp_w and the other "
              "accelerator.* keys", name, ic_hw_gpu_names());
      return IC_EINVAL;
    }
    /* H100 SXM: idle 75 W, prefill 700 W, decode 380 W of a 700 W TDP. */
    g.idle_w = g.tdp_w * 75.0 / 700.0;
    g.prefill_w = g.tdp_w;
    g.decode_w = g.tdp_w * 380.0 / 700.0;
    if (isnan(cfg->link_gb_per_s)) g.link_bw_bytes_per_s = 1.0; /* a placeholder; tp 1 never uses it */
  }
  if (ic_hw_check_gpu(&g, where) != IC_OK) return IC_EINVAL;
  *out = g;
  return IC_OK;
}
