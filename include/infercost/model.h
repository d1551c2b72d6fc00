/* model.h: decoder-only transformer shapes: parameters, FLOPs and bytes of an
 * iteration (prefill, decode, or a mix), KV-cache bytes per token. */
#ifndef IC_MODEL_H
#define IC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infercost/keys.h"
#include "infercost/status.h"

/* Numeric formats; bytes per element from ic_precision_bytes. New formats
 * go at the end: the values are scenario choice indices. NVFP4: 4-bit E2M1
 * values with one FP8 (E4M3) scale per 16; MXFP4 (OCP microscaling): one
 * 8-bit (E8M0) scale per 32. */
enum ic_precision { IC_FP32, IC_BF16, IC_FP16, IC_FP8, IC_INT8, IC_INT4, IC_NVFP4, IC_MXFP4, IC_PRECISION_COUNT };
#define IC_PRECISION_CHOICES "fp32|bf16|fp16|fp8|int8|int4|nvfp4|mxfp4"

/* Bytes per element of `p`, block scales included (nvfp4: 0.5 + 1/16,
 * mxfp4: 0.5 + 1/32; int4: 0.5, group scales left out). */
double ic_precision_bytes(enum ic_precision p);

/* Lower-case name of `p` ("bf16"), as in scenario files. */
const char *ic_precision_name(enum ic_precision p);

/* Architecture of a decoder-only transformer (a plain value). */
struct ic_model_spec {
  char name[IC_KEY_TEXT_MAX];
  int64_t layers;
  int64_t hidden;        /* model width h */
  int64_t heads;         /* query heads */
  int64_t kv_heads;      /* key/value heads (GQA); == heads for multi-head attention */
  int64_t head_dim;      /* usually hidden / heads */
  int64_t ffn;           /* FFN inner size per expert */
  bool gated_ffn;        /* SwiGLU-style: 3 matrices instead of 2 */
  int64_t vocab;
  int64_t context_max;   /* longest prompt + output the model accepts, tokens */
  int64_t experts;       /* 1 for a dense model */
  int64_t experts_active;/* experts per token (top-k); 1 for a dense model */
  bool tied_embeddings;  /* LM head shares the embedding matrix */
  /* Mixture-of-experts details (0 = none). */
  int64_t shared_experts;/* experts of size ffn every token runs besides its top-k (DeepSeek, Llama 4) */
  int64_t dense_layers;  /* layers with one dense FFN of dense_ffn instead of experts (first or interleaved) */
  int64_t dense_ffn;     /* FFN inner size of those layers */
  /* Multi-head latent attention (MLA, DeepSeek-V2/V3) when kv_lora_rank > 0:
   * the cache holds a kv_lora_rank latent plus rope_head_dim rotary key per
   * token and layer; head_dim is the per-head no-rope query/key and value size. */
  int64_t kv_lora_rank;
  int64_t q_lora_rank;   /* query down-projection rank; 0 = a full query projection */
  int64_t rope_head_dim; /* decoupled rotary part of each query/key head */
};

/* What an iteration computes, in tokens; see ic_iter_shape_* helpers. */
struct ic_iter_shape {
  int64_t new_tokens;        /* tokens run through the layers (prefill chunk tokens + 1 per decoding sequence) */
  double attn_pairs;         /* sum over new tokens of the context each attends to (itself included) */
  int64_t kv_tokens_read;    /* sum over sequences of cached tokens read from the KV cache */
  int64_t seqs;              /* sequences in the batch (LM-head rows: 1 per sequence) */
};

/* FLOPs and bytes moved by one iteration on the whole model (all GPUs). */
struct ic_iter_cost {
  double flops;
  double attn_flops;     /* of which QK^T and AV over the cached context */
  double weight_bytes;   /* weights read once per iteration */
  double kv_bytes;       /* KV cache read and written */
  double act_bytes;      /* activations written and read between kernels (rough) */
  double weight_params;  /* weight elements read this iteration */
  /* Parts of the above, for expert and pipeline parallelism. */
  double expert_flops;         /* routed experts' FLOPs (0 for a dense model) */
  double expert_params;        /* routed experts' weight elements read (E_touched of each MoE layer) */
  double expert_bytes;         /* their bytes */
  double head_flops;           /* the LM head's FLOPs */
  double head_params;          /* the LM head's weight elements */
  double head_bytes;           /* their bytes */
};

/* Precisions of a deployment. Routed experts' weights may differ from the
 * rest (gpt-oss ships MXFP4 experts and BF16 attention): see
 * ic_precision_experts. */
struct ic_precisions {
  enum ic_precision weights, activations, kv;
  bool experts_set;            /* false (zero-initialised): experts as `weights` */
  enum ic_precision experts;   /* routed experts' weights when experts_set */
};

/* The precision of routed experts' weights under `p`. */
enum ic_precision ic_precision_experts(const struct ic_precisions *p);

/* [model] section of a scenario. The architecture keys default to 0,
 * meaning "take it from the catalogue entry `name`"; a name outside the
 * catalogue (e.g. "custom") needs every architecture key set. */
struct ic_model_config {
  char name[IC_KEY_TEXT_MAX];  /* a built-in model, or any name for a user-defined one */
  int weight_precision;        /* enum ic_precision */
  int activation_precision;    /* enum ic_precision; also the precision of matrix math */
  int kv_precision;            /* enum ic_precision */
  int64_t layers, hidden, heads, kv_heads, head_dim, ffn, context_max;
  int64_t vocab;               /* IC_KEY_INT_AUTO = catalogue; 0 = no embedding, no LM head */
  int64_t experts, experts_active;  /* 0 = catalogue (a user-defined model: 0 = dense) */
  int gated_ffn;               /* IC_MODEL_FLAG_*: auto takes the catalogue value */
  int tied_embeddings;         /* IC_MODEL_FLAG_* */
  int64_t shared_experts, dense_layers, dense_ffn; /* 0 = catalogue (a user-defined model: none) */
  int64_t kv_lora_rank, q_lora_rank, rope_head_dim; /* 0 = catalogue (a user-defined model: no MLA) */
  int expert_precision;        /* 0 = as weight_precision, else enum ic_precision + 1 */
  /* Speculative decoding: a draft proposes speculative_tokens tokens per
   * sequence, the model verifies them in one step (docs/compute-model.md). */
  char speculative_draft[IC_KEY_TEXT_MAX]; /* none, mtp (the model's own MTP layer), or a built-in model */
  int64_t speculative_tokens;  /* draft length k */
  double speculative_acceptance; /* alpha: probability that each drafted token is accepted */
};
enum { IC_MODEL_FLAG_AUTO, IC_MODEL_FLAG_NO, IC_MODEL_FLAG_YES };
#define IC_MODEL_FLAG_CHOICES "auto|no|yes"

/* The built-in model called `name` (case-sensitive), or NULL. */
const struct ic_model_spec *ic_model_find(const char *name);

/* Names of all built-in models, "a|b|c", for messages. */
const char *ic_model_names(void);

/* Checks that an architecture is self-consistent (positive sizes, query heads
 * a multiple of KV heads, top-k <= experts). Reports each problem through
 * ic_diag at `where` and returns IC_EINVAL; IC_OK otherwise. */
ic_status ic_model_check(const struct ic_model_spec *m, const char *where);

/* Builds the architecture a scenario asks for: the catalogue entry cfg->name
 * with every non-zero architecture key overriding it, or, for a name outside
 * the catalogue, a model made of the keys alone. Checks the result with
 * ic_model_check. IC_EINVAL (reported at `where`) on an unknown name with
 * missing keys or an inconsistent architecture. */
ic_status ic_model_resolve(const struct ic_model_config *cfg, struct ic_model_spec *out, const char *where);

/* Layers with routed experts (layers - dense_layers; 0 for a dense model). */
int64_t ic_model_moe_layers(const struct ic_model_spec *m);

/* Weight elements of one layer's attention block (projections; MLA: its
 * down- and up-projections). */
double ic_model_attn_params_per_layer(const struct ic_model_spec *m);

/* Weight elements of the routed experts of all layers (0 for a dense model). */
double ic_model_routed_params(const struct ic_model_spec *m);

/* Weight elements of the token embedding and LM head (one matrix if tied). */
double ic_model_vocab_params(const struct ic_model_spec *m);

/* Total parameters, including embeddings (and the LM head unless tied). */
double ic_model_params(const struct ic_model_spec *m);

/* Parameters used per token (active experts only; embeddings excluded,
 * LM head included). */
double ic_model_active_params(const struct ic_model_spec *m);

/* Bytes of KV cache per token: 2 * layers * kv_heads * head_dim * bytes;
 * MLA: layers * (kv_lora_rank + rope_head_dim) * bytes. */
double ic_model_kv_bytes_per_token(const struct ic_model_spec *m, enum ic_precision kv);

/* Bytes of weights held in memory, all in `weights`. */
double ic_model_weight_bytes(const struct ic_model_spec *m, enum ic_precision weights);

/* Bytes of weights held in memory, routed experts in their own precision. */
double ic_model_weight_bytes_prec(const struct ic_model_spec *m, const struct ic_precisions *prec);

/* Expected tokens each sequence gains per verification step of speculative
 * decoding with k drafted tokens each accepted with probability alpha (until
 * the first rejection), plus the verifier's own token:
 * (1 - alpha^(k+1)) / (1 - alpha); k + 1 at alpha = 1; 1 at k = 0. */
double ic_spec_tokens_per_step(int64_t k, double alpha);

/* Shapes of common iterations. Prefill: `batch` prompts of prompt_tokens
 * each, nothing cached. Decode: one new token for each of `batch` sequences
 * that have context_tokens_each tokens cached. */
struct ic_iter_shape ic_iter_shape_prefill(int64_t prompt_tokens, int64_t batch);
struct ic_iter_shape ic_iter_shape_decode(int64_t batch, int64_t context_tokens_each);

/* A chunk of chunk_tokens prompt tokens of one sequence whose first
 * cached_tokens prompt tokens are already in the KV cache (chunked prefill).
 * Chunk token i (1-based) attends to the cached prefix and i chunk tokens;
 * the prefix is read from the KV cache once for the whole chunk. Inline:
 * an admission's hot path builds one per prompt. */
static inline struct ic_iter_shape ic_iter_shape_prefill_chunk(int64_t chunk_tokens, int64_t cached_tokens) {
  double c = (double)chunk_tokens;
  return (struct ic_iter_shape){chunk_tokens, c * (double)cached_tokens + c * (c + 1.0) / 2.0, cached_tokens, 1};
}

/* Decode of n sequences with individual cached contexts (tokens). */
struct ic_iter_shape ic_iter_shape_decode_each(const int64_t *context_tokens, size_t n);

/* The iteration that runs a and b together (a mixed, chunked-prefill batch
 * is a chunk plus decodes). Inline, as ic_iter_shape_prefill_chunk. */
static inline struct ic_iter_shape ic_iter_shape_add(struct ic_iter_shape a, struct ic_iter_shape b) {
  return (struct ic_iter_shape){a.new_tokens + b.new_tokens, a.attn_pairs + b.attn_pairs,
                                a.kv_tokens_read + b.kv_tokens_read, a.seqs + b.seqs};
}

/* FLOPs and bytes of one iteration. */
struct ic_iter_cost ic_model_iter_cost(const struct ic_model_spec *m, const struct ic_precisions *prec,
                                       const struct ic_iter_shape *shape);

#endif
