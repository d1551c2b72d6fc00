/* model.c: the transformer catalogue and its FLOP and byte counts.
 * Sources of every architecture are in docs/compute-model.md. */
#include "infercost/model.h"

#include <stdio.h>
#include <string.h>

double ic_precision_bytes(enum ic_precision p) {
  static const double bytes[IC_PRECISION_COUNT] = {4, 2, 2, 1, 1, 0.5};
  return (p >= 0 && p < IC_PRECISION_COUNT) ? bytes[p] : 2;
}

const char *ic_precision_name(enum ic_precision p) {
  static const char *const names[IC_PRECISION_COUNT] = {"fp32", "bf16", "fp16", "fp8", "int8", "int4"};
  return (p >= 0 && p < IC_PRECISION_COUNT) ? names[p] : "?";
}

/* Public configs (config.json of each model card; GPT-3: Brown et al. 2020,
 * table 2.1). GPT-3's FFN is 4h and its LM head reuses the token embedding;
 * its 2,048 x 12,288 learned position embedding (25 M) is left out. */
static const struct ic_model_spec catalogue[] = {
    /* name, layers, hidden, heads, kv_heads, head_dim, ffn, gated, vocab, ctx, experts, active, tied */
    {"gpt3-175b", 96, 12288, 96, 96, 128, 49152, false, 50257, 2048, 1, 1, true},
    {"llama2-7b", 32, 4096, 32, 32, 128, 11008, true, 32000, 4096, 1, 1, false},
    {"llama2-13b", 40, 5120, 40, 40, 128, 13824, true, 32000, 4096, 1, 1, false},
    {"llama2-70b", 80, 8192, 64, 8, 128, 28672, true, 32000, 4096, 1, 1, false},
    {"llama3-8b", 32, 4096, 32, 8, 128, 14336, true, 128256, 8192, 1, 1, false},
    {"llama3-70b", 80, 8192, 64, 8, 128, 28672, true, 128256, 8192, 1, 1, false},
    {"llama3-405b", 126, 16384, 128, 8, 128, 53248, true, 128256, 131072, 1, 1, false},
    {"mixtral-8x7b", 32, 4096, 32, 8, 128, 14336, true, 32000, 32768, 8, 2, false},
};

const struct ic_model_spec *ic_model_find(const char *name) {
  for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++)
    if (strcmp(catalogue[i].name, name) == 0) return &catalogue[i];
  return NULL;
}

const char *ic_model_names(void) {
  return "gpt3-175b|llama2-7b|llama2-13b|llama2-70b|llama3-8b|llama3-70b|llama3-405b|mixtral-8x7b";
}

/* Per layer: attention projections (Q and O are h x heads*d; K and V are
 * h x kv_heads*d) and the FFN of each expert (2 or 3 matrices h x f).
 * Biases and norms are under 0.1% and left out. */
static double attn_params_per_layer(const struct ic_model_spec *m) {
  double qo = 2.0 * (double)m->hidden * (double)(m->heads * m->head_dim);
  double kv = 2.0 * (double)m->hidden * (double)(m->kv_heads * m->head_dim);
  return qo + kv;
}

static double ffn_params_per_expert(const struct ic_model_spec *m) {
  return (m->gated_ffn ? 3.0 : 2.0) * (double)m->hidden * (double)m->ffn;
}

static double router_params_per_layer(const struct ic_model_spec *m) {
  return m->experts > 1 ? (double)m->hidden * (double)m->experts : 0.0;
}

double ic_model_params(const struct ic_model_spec *m) {
  double per_layer = attn_params_per_layer(m) + (double)m->experts * ffn_params_per_expert(m) +
                     router_params_per_layer(m);
  double embed = (double)m->vocab * (double)m->hidden;
  return (double)m->layers * per_layer + embed * (m->tied_embeddings ? 1.0 : 2.0);
}

double ic_model_active_params(const struct ic_model_spec *m) {
  double per_layer = attn_params_per_layer(m) + (double)m->experts_active * ffn_params_per_expert(m) +
                     router_params_per_layer(m);
  return (double)m->layers * per_layer + (double)m->vocab * (double)m->hidden;
}

double ic_model_kv_bytes_per_token(const struct ic_model_spec *m, enum ic_precision kv) {
  return 2.0 * (double)m->layers * (double)m->kv_heads * (double)m->head_dim * ic_precision_bytes(kv);
}

double ic_model_weight_bytes(const struct ic_model_spec *m, enum ic_precision weights) {
  return ic_model_params(m) * ic_precision_bytes(weights);
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

struct ic_iter_shape ic_iter_shape_prefill_chunk(int64_t chunk_tokens, int64_t cached_tokens) {
  /* Chunk token i (1-based) attends to the cached prefix and i chunk tokens;
   * the prefix is read from the KV cache once for the whole chunk. */
  double c = (double)chunk_tokens;
  return (struct ic_iter_shape){chunk_tokens, c * (double)cached_tokens + c * (c + 1.0) / 2.0,
                                cached_tokens, 1};
}

struct ic_iter_shape ic_iter_shape_decode_each(const int64_t *context_tokens, size_t n) {
  struct ic_iter_shape s = {0};
  for (size_t i = 0; i < n; i++) s = ic_iter_shape_add(s, ic_iter_shape_decode(1, context_tokens[i]));
  return s;
}

struct ic_iter_shape ic_iter_shape_add(struct ic_iter_shape a, struct ic_iter_shape b) {
  return (struct ic_iter_shape){a.new_tokens + b.new_tokens, a.attn_pairs + b.attn_pairs,
                                a.kv_tokens_read + b.kv_tokens_read, a.seqs + b.seqs};
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
  /* QK^T and AV: 2 matmuls of 2 FLOPs per (query head, dim, context) triple. */
  c.attn_flops = 4.0 * layers * (double)(m->heads * m->head_dim) * s->attn_pairs;
  c.flops += c.attn_flops;
  /* Weights read once per iteration: with experts, the experts the batch
   * touches; bounded by all experts. */
  double experts_touched = (double)m->experts;
  if (m->experts > 1) {
    double routed = (double)(s->new_tokens * m->experts_active);
    experts_touched = routed < (double)m->experts ? routed : (double)m->experts;
  }
  double weight_params = layers * (attn_params_per_layer(m) + router_params_per_layer(m) +
                                   experts_touched * ffn_params_per_expert(m)) + lm_head;
  c.weight_params = weight_params;
  c.weight_bytes = weight_params * ic_precision_bytes(prec->weights);
  double kv_tok = ic_model_kv_bytes_per_token(m, prec->kv);
  c.kv_bytes = kv_tok * (double)(s->kv_tokens_read + s->new_tokens);
  /* Activations: about 2 reads/writes of an h-vector per matrix per token. */
  c.act_bytes = 2.0 * layers * 8.0 * h * (double)s->new_tokens * ic_precision_bytes(prec->activations);
  return c;
}
