/* train.h: what training a model costs: training FLOPs, the memory check at
 * the chosen parallelism, GPU-hours and wall-clock time with checkpoints and
 * failures, and energy, carbon and money through the same power model and
 * ledger as `run`. Formulas and sources: docs/training.md. */
#ifndef IC_TRAIN_H
#define IC_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "infercost/cost.h"
#include "infercost/model.h"
#include "infercost/status.h"

struct ic_scenario;

/* How attention's score and value products are counted in training FLOPs:
 * causal (each token attends to its prefix: the work a causal mask leaves),
 * full (the whole s x s matrix, as Chowdhery et al. 2022 count for MFU), or
 * none (6ND alone, as Kaplan et al. 2020 and Brown et al. 2020 count). */
enum ic_train_attention { IC_TRAIN_ATTN_CAUSAL, IC_TRAIN_ATTN_FULL, IC_TRAIN_ATTN_NONE };
#define IC_TRAIN_ATTENTION_CHOICES "causal|full|none"

/* Activation recomputation (Korthikanti et al. 2022): none keeps every
 * activation, selective recomputes attention's s x s part (what
 * FlashAttention-style kernels also avoid storing), full keeps only each
 * layer's input. auto takes the first of none, selective, full that fits. */
enum ic_train_recompute { IC_RECOMPUTE_AUTO, IC_RECOMPUTE_NONE, IC_RECOMPUTE_SELECTIVE, IC_RECOMPUTE_FULL };
#define IC_TRAIN_RECOMPUTE_CHOICES "auto|none|selective|full"

/* [train] section (a plain value). */
struct ic_train_config {
  double tokens;                 /* D: training tokens */
  int64_t seq_len;               /* tokens per training sequence */
  int64_t global_batch_seqs;     /* sequences per optimizer step */
  int64_t micro_batch_seqs;      /* sequences per micro-batch on one pipeline */
  int precision;                 /* enum ic_precision of matrix math (fp32, bf16, fp16, fp8) */
  int64_t gpus;                  /* GPUs of the job, whole nodes of fleet.gpus_per_node */
  int64_t tensor_parallel, pipeline_parallel;
  int64_t data_parallel;         /* 0: gpus / (tensor x pipeline) */
  int64_t expert_parallel;       /* experts spread over this many data-parallel ranks */
  int64_t zero_stage;            /* 0 none; over data-parallel ranks, 1 shards optimizer, 2 + gradients, 3 + weights */
  int recompute;                 /* enum ic_train_recompute */
  double mfu;                    /* model FLOPs (as counted by attention_flops) / (GPU-seconds x peak) */
  int attention_flops;           /* enum ic_train_attention */
  double gpu_w;                  /* per GPU while training; NaN = compute-phase power (power.gpu_prefill_w) */
  double memory_reserve_frac;    /* share of GPU memory the check leaves free */
  double gpu_mtbf_h;             /* mean time between job interruptions per GPU, hours; 0 = none */
  double failure_restart_s;      /* from an interruption to training again (detect, reschedule, reload) */
  double checkpoint_interval_s;  /* training time between checkpoints */
  double checkpoint_write_s;     /* training stalls this long per checkpoint */
};

/* Training FLOPs of the whole run. */
struct ic_train_flops {
  double dense;        /* 6 N D: N active parameters (embeddings excluded, LM head included) */
  double attention;    /* 3 x forward QK^T and AV as attention_flops counts them */
  double total;        /* dense + attention */
};

/* Bytes per GPU of one configuration (the memory check). */
struct ic_train_memory {
  double params_per_gpu;         /* parameters held per GPU before data-parallel sharding */
  double weights, gradients, optimizer, activations; /* bytes per GPU */
  double total;                  /* the four above */
  double available;              /* device memory x (1 - reserve) */
  int recompute;                 /* enum ic_train_recompute: the level these figures assume */
};

/* Everything `infercost train` reports (a plain value). */
struct ic_train_result {
  char gpu_name[IC_KEY_TEXT_MAX];
  double params, active_params;  /* model parameters, total and per token */
  struct ic_train_flops flops;
  struct ic_train_memory memory;
  int64_t gpus, nodes, data_parallel;
  double steps;                  /* optimizer steps: tokens / (global batch x seq_len) */
  double peak_flops_per_gpu;     /* dense peak of train.precision */
  double compute_s;              /* productive time: FLOPs / (gpus x peak x mfu) */
  double checkpoint_s;           /* stalls writing checkpoints */
  double failure_s;              /* restarts and work lost to interruptions */
  double interruptions;          /* expected interruptions over the run */
  double wall_s;                 /* compute + checkpoint + failure */
  double goodput;                /* compute_s / wall_s */
  double gpu_hours;              /* gpus x wall hours: the job holds every GPU throughout */
  double gpu_w, node_base_w;     /* resolved training power */
  struct ic_daily_cost day;      /* the run's ledger per day (ic_cost_ledger over wall_s) */
  double days;                   /* wall_s / 86,400 */
  double it_energy_kwh, facility_energy_kwh, gco2e; /* whole run */
  double total_usd;              /* whole run */
  double usd_per_million_tokens; /* total / (tokens / 1e6) */
};

/* Training FLOPs of `tokens` tokens in sequences of `seq_len` on model `m`. */
struct ic_train_flops ic_train_count_flops(const struct ic_model_spec *m, double tokens, int64_t seq_len,
                                           enum ic_train_attention mode);

/* Bytes per GPU at recompute level `level` (not auto) for `cfg`'s
 * parallelism, with `data_parallel` ranks and `memory_bytes` per GPU. */
struct ic_train_memory ic_train_memory_at(const struct ic_model_spec *m, const struct ic_train_config *cfg,
                                          int64_t data_parallel, double memory_bytes, enum ic_train_recompute level);

/* Wall-clock seconds that `compute_s` seconds of training take with
 * checkpoints and interruptions (Young 1974, first order); fills the
 * stall, loss and interruption figures of `r`. Returns +inf when
 * interruptions come faster than the job can make progress. */
double ic_train_wall_s(const struct ic_train_config *cfg, int64_t gpus, double compute_s, struct ic_train_result *r);

/* Checks the [train] keys against each other and the model, accelerator
 * and fleet (parallelism divides the GPUs, precision supported, batch
 * large enough). Reports each problem at the key's origin; IC_EINVAL if any. */
ic_status ic_train_check(const struct ic_scenario *s);

/* Estimates the whole run of the (checked) scenario into *out. IC_EINVAL
 * (reported) when the model does not fit the GPUs at the parallelism given,
 * the job never progresses, or the hardware does not resolve; IC_ENOMEM. */
ic_status ic_train_estimate(const struct ic_scenario *s, struct ic_train_result *out);

/* The train metrics by name, as sweep CSV columns. */
struct ic_train_metric {
  const char *name, *unit;
  double (*get)(const struct ic_train_result *r);
};
const struct ic_train_metric *ic_train_metric_table(size_t *count);

/* Prints the run for people: FLOPs, memory, time, the run's ledger. */
void ic_train_print(const struct ic_scenario *s, const struct ic_train_result *r, FILE *out);

/* Writes dir/summary.json and dir/ledger.csv (the whole run) through
 * temporary files. IC_EIO (reported) on failure. */
ic_status ic_train_write_dir(const struct ic_scenario *s, const struct ic_train_result *r, const char *dir);

#endif
