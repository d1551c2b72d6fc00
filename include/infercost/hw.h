/* hw.h: the accelerator and server catalogue. Sources in docs/hardware.md. */
#ifndef IC_HW_H
#define IC_HW_H

#include <stdbool.h>
#include <stdint.h>

#include "infercost/keys.h"
#include "infercost/model.h"
#include "infercost/status.h"

/* One accelerator (a plain value). */
struct ic_gpu_spec {
  char name[IC_KEY_TEXT_MAX];
  double peak_flops[IC_PRECISION_COUNT]; /* dense FLOP/s per compute precision; 0 = unsupported */
  double memory_bytes;                   /* device memory (HBM; a CPU: its RAM) */
  double mem_bw_bytes_per_s;             /* peak device-memory bandwidth */
  double link_bw_bytes_per_s;            /* NVLink (or equivalent) per GPU, one direction */
  double tdp_w;
  double idle_w, prefill_w, decode_w;    /* power by phase, W (docs/hardware.md) */
};

/* A server that hosts GPUs (a plain value). */
struct ic_server_spec {
  char name[IC_KEY_TEXT_MAX];
  const char *gpu_types;  /* the catalogue accelerators it holds, '|'-separated;
                             fleet.server = auto picks the first server holding fleet.gpu */
  int64_t gpus;           /* accelerators per node */
  double base_w;          /* node power besides the GPUs: CPUs, memory, NICs, fans */
  double price_usd;       /* whole server with its GPUs */
};

/* [accelerator] section: overrides of the catalogue accelerator named by
 * fleet.gpu, or, for a name outside the catalogue, the whole of a
 * user-defined one. NaN = auto (the catalogue's value). */
struct ic_accel_config {
  double peak_tflops_fp32, peak_tflops_bf16, peak_tflops_fp16;   /* dense, 10^12 FLOP/s */
  double peak_tflops_fp8, peak_tflops_int8, peak_tflops_int4;
  double memory_gb;            /* device memory, 10^9 bytes */
  double bandwidth_gb_per_s;   /* device memory bandwidth */
  double link_gb_per_s;        /* GPU-to-GPU, one direction */
  double tdp_w;                /* board power; sets phase power of a user-defined accelerator */
};

/* The accelerator a scenario names: the catalogue entry `name` with every
 * set field of `cfg` applied, or a user-defined one built from `cfg` alone
 * (memory, bandwidth, a peak and TDP required; link defaults to 0 = only
 * tensor parallelism 1). Phase power of a user-defined accelerator scales
 * its TDP by the H100's measured ratios (docs/hardware.md). Problems are
 * reported at `where`; IC_EINVAL if any. */
ic_status ic_hw_resolve_gpu(const char *name, const struct ic_accel_config *cfg, struct ic_gpu_spec *out,
                            const char *where);

/* Built-in accelerator / server called `name`, or NULL. */
const struct ic_gpu_spec *ic_hw_find_gpu(const char *name);
const struct ic_server_spec *ic_hw_find_server(const char *name);

/* fleet.server's default: the catalogue server holding fleet.gpu. */
#define IC_HW_SERVER_AUTO "auto"

/* Whether catalogue server `server` holds accelerator `gpu`. */
bool ic_hw_server_holds(const struct ic_server_spec *server, const char *gpu);

/* The first catalogue server holding accelerator `gpu`, or NULL. */
const struct ic_server_spec *ic_hw_server_for_gpu(const char *gpu);

/* The catalogue server a scenario names: `server` itself, or for "auto" the
 * one holding `gpu`; NULL for a user-defined server (or auto with none). */
const struct ic_server_spec *ic_hw_resolve_server(const char *server, const char *gpu);

/* Names of all built-in accelerators / servers, "a|b|c", for messages. */
const char *ic_hw_gpu_names(void);
const char *ic_hw_server_names(void);

/* Checks a (user-defined) accelerator: positive FLOP/s, memory and
 * bandwidths. Reports each problem at `where`; IC_EINVAL if any. */
ic_status ic_hw_check_gpu(const struct ic_gpu_spec *gpu, const char *where);

/* Peak dense FLOP/s of `gpu` for matrix work in precision `p`; falls back to
 * the nearest wider precision the GPU supports (int4 weights run as fp16/bf16). */
double ic_hw_peak_flops(const struct ic_gpu_spec *gpu, enum ic_precision p);

#endif
