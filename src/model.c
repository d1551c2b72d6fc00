/* model.c: the transformer catalogue and its FLOP and byte counts.
 * Sources of every architecture are in docs/compute-model.md. */
#include "infercost/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

double ic_precision_bytes(enum ic_precision p) {
  /* nvfp4: 16 x 4 bits + one 8-bit scale = 72 bits per 16 values (NVIDIA,
   * "Introducing NVFP4", 2025); mxfp4: 32 x 4 + 8 = 136 bits per 32 (OCP
   * Microscaling Formats v1.0, 2023). */
  static const double bytes[IC_PRECISION_COUNT] = {4, 2, 2, 1, 1, 0.5, 0.5 + 1.0 / 16.0, 0.5 + 1.0 / 32.0};
  return (p >= 0 && p < IC_PRECISION_COUNT) ? bytes[p] : 2;
}

const char *ic_precision_name(enum ic_precision p) {
  static const char *const names[IC_PRECISION_COUNT] = {"fp32", "bf16", "fp16", "fp8", "int8", "int4", "nvfp4", "mxfp4"};
  return (p >= 0 && p < IC_PRECISION_COUNT) ? names[p] : "?";
}

enum ic_precision ic_precision_experts(const struct ic_precisions *p) {
  return p->experts_set ? p->experts : p->weights;
}

double ic_spec_tokens_per_step(int64_t k, double alpha) {
  if (k <= 0) return 1.0;
  if (alpha >= 1.0) return (double)(k + 1);
  return (1.0 - pow(alpha, (double)(k + 1))) / (1.0 - alpha);
}

/* Public configs (config.json of each model card; GPT-3: Brown et al. 2020,
 * table 2.1). GPT-3's FFN is 4h and its LM head reuses the token embedding;
 * its 2,048 x 12,288 learned position embedding (25 M) is left out. */
/* The fields every model has, in order; the MoE and MLA extras are named. */
#define MODEL(n, l, h, q, kvh, d, f, gated, v, ctx, e, k, tied)                                                   \
  {.name = n, .layers = l, .hidden = h, .heads = q, .kv_heads = kvh, .head_dim = d, .ffn = f, .gated_ffn = gated, \
   .vocab = v, .context_max = ctx, .experts = e, .experts_active = k, .tied_embeddings = tied}
static const struct ic_model_spec catalogue[] = {
    /* name, layers, hidden, heads, kv_heads, head_dim, ffn, gated, vocab, ctx, experts, active, tied */
    MODEL("gpt3-175b", 96, 12288, 96, 96, 128, 49152, false, 50257, 2048, 1, 1, true),
    MODEL("llama2-7b", 32, 4096, 32, 32, 128, 11008, true, 32000, 4096, 1, 1, false),
    MODEL("llama2-13b", 40, 5120, 40, 40, 128, 13824, true, 32000, 4096, 1, 1, false),
    MODEL("llama2-70b", 80, 8192, 64, 8, 128, 28672, true, 32000, 4096, 1, 1, false),
    MODEL("llama3-8b", 32, 4096, 32, 8, 128, 14336, true, 128256, 8192, 1, 1, false),
    MODEL("llama3-70b", 80, 8192, 64, 8, 128, 28672, true, 128256, 8192, 1, 1, false),
    MODEL("llama3-405b", 126, 16384, 128, 8, 128, 53248, true, 128256, 131072, 1, 1, false),
    MODEL("mixtral-8x7b", 32, 4096, 32, 8, 128, 14336, true, 32000, 32768, 8, 2, false),
    MODEL("llama3.1-8b", 32, 4096, 32, 8, 128, 14336, true, 128256, 131072, 1, 1, false),
    MODEL("qwen3-32b", 64, 5120, 64, 8, 128, 25600, true, 151936, 40960, 1, 1, false),
    /* MoE: ffn is one expert's inner size (moe_intermediate_size). */
    MODEL("qwen3-235b-a22b", 94, 4096, 64, 4, 128, 1536, true, 151936, 40960, 128, 8, false),
    /* gpt-oss: alternate layers attend over a 128-token sliding window; the
     * model counts every layer's KV in full (docs/compute-model.md). */
    MODEL("gpt-oss-120b", 36, 2880, 64, 8, 64, 2880, true, 201088, 131072, 128, 4, false),
    MODEL("gpt-oss-20b", 24, 2880, 64, 8, 64, 2880, true, 201088, 131072, 32, 4, false),
    /* Llama 4 Maverick: MoE in every other layer (interleave_moe_layer_step 2),
     * one shared expert; the other 24 layers have a dense FFN of 16,384. */
    {.name = "llama4-maverick", .layers = 48, .hidden = 5120, .heads = 40, .kv_heads = 8, .head_dim = 128,
     .ffn = 8192, .gated_ffn = true, .vocab = 202048, .context_max = 1048576, .experts = 128,
     .experts_active = 1, .shared_experts = 1, .dense_layers = 24, .dense_ffn = 16384},
    /* DeepSeek-V3 (R1 has the same architecture): MLA, 3 dense layers, one
     * shared and 256 routed experts, top-8. head_dim = qk_nope = v_head_dim. */
    {.name = "deepseek-v3", .layers = 61, .hidden = 7168, .heads = 128, .kv_heads = 128, .head_dim = 128,
     .ffn = 2048, .gated_ffn = true, .vocab = 129280, .context_max = 163840, .experts = 256, .experts_active = 8,
     .shared_experts = 1, .dense_layers = 3, .dense_ffn = 18432, .kv_lora_rank = 512, .q_lora_rank = 1536,
     .rope_head_dim = 64},
    /* Kimi K2: DeepSeek-V3's architecture with 64 heads, 384 experts, 1 dense layer. */
    {.name = "kimi-k2", .layers = 61, .hidden = 7168, .heads = 64, .kv_heads = 64, .head_dim = 128, .ffn = 2048,
     .gated_ffn = true, .vocab = 163840, .context_max = 131072, .experts = 384, .experts_active = 8,
     .shared_experts = 1, .dense_layers = 1, .dense_ffn = 18432, .kv_lora_rank = 512, .q_lora_rank = 1536,
     .rope_head_dim = 64},
};
#undef MODEL

const struct ic_model_spec *ic_model_find(const char *name) {
  for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++)
    if (strcmp(catalogue[i].name, name) == 0) return &catalogue[i];
  return NULL;
}

const char *ic_model_names(void) {
  return "gpt3-175b|llama2-7b|llama2-13b|llama2-70b|llama3-8b|llama3-70b|llama3-405b|mixtral-8x7b|llama3.1-8b|"
         "qwen3-32b|qwen3-235b-a22b|gpt-oss-120b|gpt-oss-20b|llama4-maverick|deepseek-v3|kimi-k2";
}

/* Per layer: attention projections (Q and O are h x heads*d; K and V are
 * h x kv_heads*d) and the FFN of each expert (2 or 3 matrices h x f).
 * Biases and norms are under 0.1% and left out. MLA (DeepSeek-V2, arXiv
 * 2405.04434, section 2.1): Q = h x q_rank then q_rank x heads*(d + rope)
 * (or h x heads*(d + rope) without a rank); KV = h x (kv_rank + rope) then
 * kv_rank x heads*(d + d), the up-projections of keys and values; O = heads*d x h. */
double ic_model_attn_params_per_layer(const struct ic_model_spec *m) {
  double h = (double)m->hidden, heads = (double)m->heads, d = (double)m->head_dim;
  if (m->kv_lora_rank > 0) {
    double qk = d + (double)m->rope_head_dim, kvr = (double)m->kv_lora_rank;
    double q = m->q_lora_rank > 0 ? h * (double)m->q_lora_rank + (double)m->q_lora_rank * heads * qk : h * heads * qk;
    double kv = h * (kvr + (double)m->rope_head_dim) + kvr * heads * 2.0 * d;
    return q + kv + heads * d * h;
  }
  double qo = 2.0 * (double)m->hidden * (double)(m->heads * m->head_dim);
  double kv = 2.0 * (double)m->hidden * (double)(m->kv_heads * m->head_dim);
  return qo + kv;
}

static double ffn_params_per_expert(const struct ic_model_spec *m) {
  return (m->gated_ffn ? 3.0 : 2.0) * (double)m->hidden * (double)m->ffn;
}

static double dense_ffn_params(const struct ic_model_spec *m) {
  return (m->gated_ffn ? 3.0 : 2.0) * (double)m->hidden * (double)m->dense_ffn;
}

static double router_params_per_layer(const struct ic_model_spec *m) {
  return m->experts > 1 ? (double)m->hidden * (double)m->experts : 0.0;
}

int64_t ic_model_moe_layers(const struct ic_model_spec *m) {
  return m->experts > 1 ? m->layers - m->dense_layers : 0;
}

/* Layers other than the dense_layers: a dense model's are all of them.
 * Their FFN part is `experts` (or the top-k) plus the shared experts. */
static double expert_layers(const struct ic_model_spec *m) { return (double)(m->layers - m->dense_layers); }

/* The dense_layers' parameters (0 when there are none). */
static double dense_layer_params(const struct ic_model_spec *m) {
  return (double)m->dense_layers * (ic_model_attn_params_per_layer(m) + dense_ffn_params(m));
}

double ic_model_routed_params(const struct ic_model_spec *m) {
  return (double)ic_model_moe_layers(m) * (double)m->experts * ffn_params_per_expert(m);
}

double ic_model_vocab_params(const struct ic_model_spec *m) {
  return (double)m->vocab * (double)m->hidden * (m->tied_embeddings ? 1.0 : 2.0);
}

double ic_model_params(const struct ic_model_spec *m) {
  double per_layer = ic_model_attn_params_per_layer(m) +
                     (double)(m->experts + m->shared_experts) * ffn_params_per_expert(m) + router_params_per_layer(m);
  double embed = (double)m->vocab * (double)m->hidden;
  return expert_layers(m) * per_layer + dense_layer_params(m) + embed * (m->tied_embeddings ? 1.0 : 2.0);
}

double ic_model_active_params(const struct ic_model_spec *m) {
  double per_layer = ic_model_attn_params_per_layer(m) +
                     (double)(m->experts_active + m->shared_experts) * ffn_params_per_expert(m) +
                     router_params_per_layer(m);
  return expert_layers(m) * per_layer + dense_layer_params(m) + (double)m->vocab * (double)m->hidden;
}

double ic_model_kv_bytes_per_token(const struct ic_model_spec *m, enum ic_precision kv) {
  if (m->kv_lora_rank > 0)
    return (double)m->layers * (double)(m->kv_lora_rank + m->rope_head_dim) * ic_precision_bytes(kv);
  return 2.0 * (double)m->layers * (double)m->kv_heads * (double)m->head_dim * ic_precision_bytes(kv);
}

double ic_model_weight_bytes(const struct ic_model_spec *m, enum ic_precision weights) {
  return ic_model_params(m) * ic_precision_bytes(weights);
}

double ic_model_weight_bytes_prec(const struct ic_model_spec *m, const struct ic_precisions *prec) {
  enum ic_precision e = ic_precision_experts(prec);
  if (e == prec->weights) return ic_model_weight_bytes(m, prec->weights);
  double routed = ic_model_routed_params(m);
  return (ic_model_params(m) - routed) * ic_precision_bytes(prec->weights) + routed * ic_precision_bytes(e);
}

struct ic_iter_shape ic_iter_shape_prefill(int64_t prompt_tokens, int64_t batch) {
  /* Token i (1-based) attends to i tokens: sum = P(P+1)/2 per sequence. */
  double p = (double)prompt_tokens;
  return (struct ic_iter_shape){prompt_tokens * batch, (double)batch * p * (p + 1.0) / 2.0, 0, batch};
}

struct ic_iter_shape ic_iter_shape_decode(int64_t batch, int64_t context_tokens_each) {
  /* The new token attends to the cached context plus itself. */
  return (struct ic_iter_shape){batch, (double)batch * (double)(context_tokens_each + 1),
                                batch * context_tokens_each, batch};
}

struct ic_iter_shape ic_iter_shape_decode_each(const int64_t *context_tokens, size_t n) {
  struct ic_iter_shape s = {0};
  for (size_t i = 0; i < n; i++) s = ic_iter_shape_add(s, ic_iter_shape_decode(1, context_tokens[i]));
  return s;
}

ic_status ic_model_check(const struct ic_model_spec *m, const char *where) {
  size_t before = ic_diag_count();
  const struct {
    const char *key;
    int64_t value;
  } sizes[] = {{"layers", m->layers},     {"hidden", m->hidden}, {"heads", m->heads},
               {"kv_heads", m->kv_heads}, {"head_dim", m->head_dim}, {"ffn", m->ffn},
               {"context_max", m->context_max}, {"experts", m->experts},
               {"experts_active", m->experts_active}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    if (sizes[i].value < 1)
      ic_diag(where, 0, "model.%s: model '%s' needs a positive value, got %lld", sizes[i].key, m->name,
              (long long)sizes[i].value);
  if (m->vocab < 0)
    ic_diag(where, 0, "model.vocab: model '%s' needs a non-negative value, got %lld", m->name, (long long)m->vocab);
  if (m->heads > 0 && m->kv_heads > 0 && m->heads % m->kv_heads != 0)
    ic_diag(where, 0, "model.kv_heads: %lld query heads are not a multiple of %lld KV heads (model '%s')",
            (long long)m->heads, (long long)m->kv_heads, m->name);
  if (m->experts_active > m->experts)
    ic_diag(where, 0, "model.experts_active: top-%lld exceeds %lld experts (model '%s')",
            (long long)m->experts_active, (long long)m->experts, m->name);
  if (m->dense_layers < 0 || m->dense_layers >= m->layers || (m->dense_layers > 0 && m->experts < 2))
    ic_diag(where, 0, "model.dense_layers: %lld dense layers need an MoE model with more layers than that "
            "(model '%s': %lld layers, %lld experts)", (long long)m->dense_layers, m->name, (long long)m->layers,
            (long long)m->experts);
  if (m->dense_layers > 0 && m->dense_ffn < 1)
    ic_diag(where, 0, "model.dense_ffn: model '%s' has %lld dense layers, so dense_ffn must be positive, got %lld",
            m->name, (long long)m->dense_layers, (long long)m->dense_ffn);
  if (m->shared_experts < 0 || (m->shared_experts > 0 && m->experts < 2))
    ic_diag(where, 0, "model.shared_experts: %lld shared experts need an MoE model (model '%s' has %lld experts)",
            (long long)m->shared_experts, m->name, (long long)m->experts);
  if (m->kv_lora_rank < 0 || m->q_lora_rank < 0 || m->rope_head_dim < 0 ||
      (m->kv_lora_rank == 0 && (m->q_lora_rank > 0 || m->rope_head_dim > 0)))
    ic_diag(where, 0, "model.kv_lora_rank: latent attention needs kv_lora_rank > 0 before q_lora_rank or "
            "rope_head_dim (model '%s': %lld, %lld, %lld)", m->name, (long long)m->kv_lora_rank,
            (long long)m->q_lora_rank, (long long)m->rope_head_dim);
  return ic_diag_count() > before ? IC_EINVAL : IC_OK;
}

/* Overrides *field with `value` unless 0; a missing value of a model outside
 * the catalogue is an error. */
static void take(int64_t *field, int64_t value, bool custom, const char *key, const char *name,
                 const char *where, bool *ok) {
  if (value != 0) *field = value;
  else if (custom) {
    ic_diag(where, 0, "model.%s: '%s' is not a built-in model (%s), so model.%s must be set", key, name,
            ic_model_names(), key);
    *ok = false;
  }
}

ic_status ic_model_resolve(const struct ic_model_config *cfg, struct ic_model_spec *out, const char *where) {
  const struct ic_model_spec *base = ic_model_find(cfg->name);
  bool custom = base == NULL, ok = true;
  struct ic_model_spec m = {.experts = 1, .experts_active = 1, .gated_ffn = true};
  if (base) m = *base;
  snprintf(m.name, sizeof m.name, "%s", cfg->name);
  take(&m.layers, cfg->layers, custom, "layers", cfg->name, where, &ok);
  take(&m.hidden, cfg->hidden, custom, "hidden", cfg->name, where, &ok);
  take(&m.heads, cfg->heads, custom, "heads", cfg->name, where, &ok);
  take(&m.ffn, cfg->ffn, custom, "ffn", cfg->name, where, &ok);
  /* vocab: auto (IC_KEY_INT_AUTO) = the catalogue's; 0 = no embedding and
   * no LM head (a model that outputs hidden states, or a body timed alone) */
  if (cfg->vocab >= 0) {
    m.vocab = cfg->vocab;
  } else if (custom) {
    ic_diag(where, 0, "model.vocab: '%s' is not a built-in model (%s), so model.vocab must be set (0: no LM head)",
            cfg->name, ic_model_names());
    ok = false;
  }
  take(&m.context_max, cfg->context_max, custom, "context_max", cfg->name, where, &ok);
  /* Defaults that follow from other keys: multi-head attention, d = h / heads, dense. */
  if (custom) {
    m.kv_heads = m.heads;
    m.head_dim = m.heads > 0 ? m.hidden / m.heads : 0;
  }
  take(&m.kv_heads, cfg->kv_heads, false, "kv_heads", cfg->name, where, &ok);
  take(&m.head_dim, cfg->head_dim, false, "head_dim", cfg->name, where, &ok);
  take(&m.experts, cfg->experts, false, "experts", cfg->name, where, &ok);
  take(&m.experts_active, cfg->experts_active, false, "experts_active", cfg->name, where, &ok);
  if (cfg->gated_ffn != IC_MODEL_FLAG_AUTO) m.gated_ffn = cfg->gated_ffn == IC_MODEL_FLAG_YES;
  if (cfg->tied_embeddings != IC_MODEL_FLAG_AUTO) m.tied_embeddings = cfg->tied_embeddings == IC_MODEL_FLAG_YES;
  /* 0 = the catalogue's value (a user-defined model: none). */
  take(&m.shared_experts, cfg->shared_experts, false, "shared_experts", cfg->name, where, &ok);
  take(&m.dense_layers, cfg->dense_layers, false, "dense_layers", cfg->name, where, &ok);
  take(&m.dense_ffn, cfg->dense_ffn, false, "dense_ffn", cfg->name, where, &ok);
  take(&m.kv_lora_rank, cfg->kv_lora_rank, false, "kv_lora_rank", cfg->name, where, &ok);
  take(&m.q_lora_rank, cfg->q_lora_rank, false, "q_lora_rank", cfg->name, where, &ok);
  take(&m.rope_head_dim, cfg->rope_head_dim, false, "rope_head_dim", cfg->name, where, &ok);
  if (!ok) return IC_EINVAL;
  if (ic_model_check(&m, where) != IC_OK) return IC_EINVAL;
  *out = m;
  return IC_OK;
}

struct ic_iter_cost ic_model_iter_cost(const struct ic_model_spec *m, const struct ic_precisions *prec,
                                       const struct ic_iter_shape *s) {
  double layers = (double)m->layers, h = (double)m->hidden;
  double body_params = ic_model_active_params(m) - (double)m->vocab * h; /* layers only */
  double lm_head = (double)m->vocab * h;
  struct ic_iter_cost c = {0};
  /* 2 FLOPs per multiply-add; the LM head runs once per sequence (last token). */
  c.flops = 2.0 * body_params * (double)s->new_tokens + 2.0 * lm_head * (double)s->seqs;
  if (m->kv_lora_rank > 0) {
    /* MLA with the up-projections absorbed (the decode kernel of DeepSeek's
     * FlashMLA): each head scores against the kv_rank latent plus the rope
     * key (2 (kv_rank + rope) FLOPs) and sums the latent (2 kv_rank). */
    c.attn_flops = 2.0 * layers * (double)m->heads * (double)(2 * m->kv_lora_rank + m->rope_head_dim) * s->attn_pairs;
  } else {
    /* QK^T and AV: 2 matmuls of 2 FLOPs per (query head, dim, context) triple. */
    c.attn_flops = 4.0 * layers * (double)(m->heads * m->head_dim) * s->attn_pairs;
  }
  c.flops += c.attn_flops;
  /* Weights read once per iteration: with experts, the experts the batch
   * touches; bounded by all experts. Shared experts run for every token. */
  double experts_touched = (double)m->experts;
  if (m->experts > 1) {
    double routed = (double)(s->new_tokens * m->experts_active);
    experts_touched = routed < (double)m->experts ? routed : (double)m->experts;
  }
  double weight_params = expert_layers(m) * (ic_model_attn_params_per_layer(m) + router_params_per_layer(m) +
                                             (experts_touched + (double)m->shared_experts) * ffn_params_per_expert(m)) +
                         dense_layer_params(m) + lm_head;
  c.weight_params = weight_params;
  c.weight_bytes = weight_params * ic_precision_bytes(prec->weights);
  if (m->experts > 1) {
    double moe = (double)ic_model_moe_layers(m);
    c.expert_params = moe * experts_touched * ffn_params_per_expert(m);
    c.expert_flops = 2.0 * moe * (double)m->experts_active * ffn_params_per_expert(m) * (double)s->new_tokens;
    c.expert_bytes = c.expert_params * ic_precision_bytes(ic_precision_experts(prec));
    if (ic_precision_experts(prec) != prec->weights)
      c.weight_bytes = (weight_params - c.expert_params) * ic_precision_bytes(prec->weights) + c.expert_bytes;
  }
  c.head_flops = 2.0 * lm_head * (double)s->seqs;
  c.head_params = lm_head;
  c.head_bytes = lm_head * ic_precision_bytes(prec->weights);
  double kv_tok = ic_model_kv_bytes_per_token(m, prec->kv);
  c.kv_bytes = kv_tok * (double)(s->kv_tokens_read + s->new_tokens);
  /* Activations: about 2 reads/writes of an h-vector per matrix per token. */
  c.act_bytes = 2.0 * layers * 8.0 * h * (double)s->new_tokens * ic_precision_bytes(prec->activations);
  return c;
}
