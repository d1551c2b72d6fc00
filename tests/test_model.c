/* test_model.c: parameter counts, KV bytes and FLOPs against published or
 * hand-computed figures. */
#include <math.h>
#include <string.h>

#include "ic_test.h"

#include "infercost/model.h"
#include "infercost/scenario.h"

/* Total parameters: published sizes (model cards / papers). Tolerance 1.5%:
 * biases, norms and GPT-3's position embedding are left out by design. */
struct params_case {
  const char *model;
  double published;
  const char *source;
};
static struct params_case params_cases[] = {
    {"llama2-7b", 6.74e9, "Llama 2 paper / HF model card: 6,738,415,616"},
    {"llama2-13b", 13.0e9, "Llama 2 paper: 13.0 B (HF card 13,015,864,320)"},
    {"llama2-70b", 68.98e9, "HF model card: 68,976,648,192"},
    {"llama3-8b", 8.03e9, "Meta Llama 3 model card: 8.03 B"},
    {"llama3-70b", 70.6e9, "Meta Llama 3 model card: 70.6 B"},
    {"llama3-405b", 405.9e9, "Llama 3.1 model card: 405 B (HF: 405,853,388,800)"},
    {"mixtral-8x7b", 46.7e9, "Mistral AI, Mixtral of experts (2024): 46.7 B total"},
    {"gpt3-175b", 175.0e9, "Brown et al. 2020, table 2.1: 175.0 B"},
};

static void params_match_published(void **state) {
  const struct params_case *c = *state;
  const struct ic_model_spec *m = ic_model_find(c->model);
  assert_non_null(m);
  double p = ic_model_params(m);
  if (fabs(p - c->published) / c->published > 0.015)
    fail_msg("%s: %.4g parameters, published %.4g (%s)", c->model, p, c->published, c->source);
}

/* Mixtral: 12.9 B active per token (Mistral AI, Mixtral of experts, 2024);
 * ours leaves out the input embedding (131 M) but keeps the LM head. */
static void mixtral_active_params(void **state) {
  (void)state;
  double a = ic_model_active_params(ic_model_find("mixtral-8x7b"));
  assert_true(fabs(a - (12.9e9 - 32000.0 * 4096)) / 12.9e9 < 0.02);
}

/* KV bytes per token: 2 (K and V) x layers x kv_heads x head_dim x bytes. */
struct kv_case {
  const char *model;
  enum ic_precision prec;
  double bytes;
};
static struct kv_case kv_cases[] = {
    {"gpt3-175b", IC_FP16, 4718592},   /* 2*96*12288*2, the figure */
    {"llama2-7b", IC_FP16, 524288},    /* 2*32*4096*2 = 512 KiB */
    {"llama2-70b", IC_FP16, 327680},   /* 2*80*8*128*2: GQA shrinks it 8x */
    {"llama3-405b", IC_FP8, 258048},   /* 2*126*8*128*1 */
    {"mixtral-8x7b", IC_INT8, 65536},  /* 2*32*8*128*1 */
};

static void kv_bytes_per_token(void **state) {
  const struct kv_case *c = *state;
  assert_true(ic_model_kv_bytes_per_token(ic_model_find(c->model), c->prec) == c->bytes);
}

/* Decode FLOPs: 2 x active params per token + attention 4 h ctx per layer.
 * Llama-2-7B, 4 sequences at context 1,000. Matrices by hand:
 * 32 x (4 x 4096^2 + 3 x 4096 x 11008) + 2 x 32000 x 4096 = 6,738,149,376
 * (the HF card's 6,738,415,616 adds 65 RMSNorm vectors of 4096). The input
 * embedding is a lookup (no FLOPs, not read in full); the LM head runs once
 * per sequence, here once per token. */
static void decode_flops_by_hand(void **state) {
  (void)state;
  const struct ic_model_spec *m = ic_model_find("llama2-7b");
  struct ic_precisions prec = {IC_FP16, IC_FP16, IC_FP16};
  struct ic_iter_shape s = ic_iter_shape_decode(4, 1000);
  struct ic_iter_cost c = ic_model_iter_cost(m, &prec, &s);
  double linear = 2.0 * (6738149376.0 - 32000.0 * 4096.0) * 4.0;
  double attn = 4.0 * 32 * 4096 * 4.0 * 1001.0; /* 4 L h, 1001 pairs per sequence */
  assert_true(fabs(c.flops - (linear + attn)) / (linear + attn) < 1e-9);
  /* Weights read once: 13.2 GB at fp16 less the input embedding. */
  assert_true(fabs(c.weight_bytes - 2.0 * (6738149376.0 - 32000.0 * 4096.0)) < 1.0);
  assert_true(c.kv_bytes == 524288.0 * (4000 + 4)); /* 4,000 read + 4 written */
}

/* A chunk of 3 tokens after 5 cached attends to 6 + 7 + 8 = 21 positions. */
static void chunk_and_mixed_shapes(void **state) {
  (void)state;
  struct ic_iter_shape c = ic_iter_shape_prefill_chunk(3, 5);
  assert_int_equal(c.new_tokens, 3);
  assert_true(c.attn_pairs == 21.0);
  assert_int_equal(c.kv_tokens_read, 5);
  /* A whole prompt as one chunk is the prefill. */
  struct ic_iter_shape p = ic_iter_shape_prefill(7, 1), q = ic_iter_shape_prefill_chunk(7, 0);
  assert_true(p.attn_pairs == q.attn_pairs && p.new_tokens == q.new_tokens);
  int64_t ctx[] = {10, 20, 30};
  struct ic_iter_shape d = ic_iter_shape_decode_each(ctx, 3);
  assert_int_equal(d.kv_tokens_read, 60);
  assert_true(d.attn_pairs == 63.0);
  struct ic_iter_shape mix = ic_iter_shape_add(c, d);
  assert_int_equal(mix.new_tokens, 6);
  assert_int_equal(mix.seqs, 4);
}

/* MoE: one token touches top-2 of 8 experts; 64 tokens touch all 8. */
static void moe_weights_touched(void **state) {
  (void)state;
  const struct ic_model_spec *m = ic_model_find("mixtral-8x7b");
  struct ic_precisions prec = {IC_BF16, IC_BF16, IC_BF16};
  struct ic_iter_shape one = ic_iter_shape_decode(1, 100), many = ic_iter_shape_decode(64, 100);
  double w1 = ic_model_iter_cost(m, &prec, &one).weight_bytes, w64 = ic_model_iter_cost(m, &prec, &many).weight_bytes;
  double expert = 3.0 * 4096 * 14336 * 32 * 2; /* bytes of one expert in all layers */
  assert_true(fabs((w64 - w1) - 6.0 * expert) < 1.0);
}

static void user_defined_model(void **state) {
  (void)state;
  struct ic_model_config cfg = {.name = "tiny", .layers = 2, .hidden = 256, .heads = 4, .kv_heads = 2,
                                .ffn = 512, .vocab = 1000, .context_max = 128};
  struct ic_model_spec m;
  assert_int_equal(ic_model_resolve(&cfg, &m, "t.ini"), IC_OK);
  assert_int_equal(m.head_dim, 64); /* hidden / heads */
  assert_true(m.gated_ffn);
  /* 2 * (2*256*256 + 2*256*128 + 3*256*512) + 2*1000*256 by hand */
  assert_true(ic_model_params(&m) == 2.0 * (131072 + 65536 + 393216) + 512000);
  /* A catalogue model with one key overridden. */
  struct ic_model_config deeper = {.name = "llama2-7b", .layers = 64, .vocab = IC_KEY_INT_AUTO};
  assert_int_equal(ic_model_resolve(&deeper, &m, "t.ini"), IC_OK);
  assert_int_equal(m.layers, 64);
  assert_int_equal(m.hidden, 4096);
}

/* vocab = 0: no embedding and no LM head (issue 11 item 13). The tiny
 * model above without its 2 x 1000 x 256 embedding + head has
 * 2 x (131072 + 65536 + 393216) = 1,179,648 parameters; one decode step of
 * one sequence at context 10 costs 2 x 1,179,648 FLOPs of layers (no
 * 2 x 1000 x 256 LM-head FLOPs) plus 4 x 2 layers x 256 x 11 attention
 * FLOPs, and reads 1,179,648 weights. Through the scenario too. */
static void vocab_zero_is_no_lm_head(void **state) {
  (void)state;
  struct ic_model_config cfg = {.name = "tiny", .layers = 2, .hidden = 256, .heads = 4, .kv_heads = 2,
                                .ffn = 512, .vocab = 0, .context_max = 128};
  struct ic_model_spec m;
  assert_int_equal(ic_model_resolve(&cfg, &m, "t.ini"), IC_OK);
  assert_int_equal(m.vocab, 0);
  assert_true(ic_model_params(&m) == 1179648.0);
  struct ic_precisions prec = {IC_BF16, IC_BF16, IC_BF16};
  struct ic_iter_shape one = ic_iter_shape_decode(1, 10);
  struct ic_iter_cost c = ic_model_iter_cost(&m, &prec, &one);
  assert_true(c.flops == 2.0 * 1179648 + 4.0 * 2 * 256 * 11);
  assert_true(c.weight_params == 1179648.0);
  /* a catalogue model can drop its head too: llama2-7b less 2 x 32000 x 4096 */
  struct ic_model_config bare = {.name = "llama2-7b", .vocab = 0}, full = {.name = "llama2-7b", .vocab = IC_KEY_INT_AUTO};
  struct ic_model_spec b, f;
  assert_int_equal(ic_model_resolve(&bare, &b, "t.ini"), IC_OK);
  assert_int_equal(ic_model_resolve(&full, &f, "t.ini"), IC_OK);
  assert_true(ic_model_params(&f) - ic_model_params(&b) == 2.0 * 32000 * 4096);
  /* and from a scenario file, as a user writes it */
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  assert_int_equal(ic_scenario_load_text(&s, "[model]\nname = body\nlayers = 2\nhidden = 256\nheads = 4\n"
                                             "ffn = 512\nvocab = 0\ncontext_max = 4096\n", "v.ini"), IC_OK);
  assert_int_equal(ic_scenario_check(&s), IC_OK);
}

static void bad_models_are_reported(void **state) {
  (void)state;
  struct ic_diag_buffer buf = {0};
  ic_diag_set_sink(ic_diag_buffer_sink, &buf);
  struct ic_model_config missing = {.name = "custom", .layers = 2, .vocab = IC_KEY_INT_AUTO};
  struct ic_model_spec m;
  assert_int_equal(ic_model_resolve(&missing, &m, "s.ini"), IC_EINVAL);
  assert_non_null(strstr(buf.text, "s.ini: model.hidden: 'custom' is not a built-in model"));
  assert_non_null(strstr(buf.text, "s.ini: model.vocab: 'custom' is not a built-in model"));
  buf.len = 0;
  buf.text[0] = 0;
  struct ic_model_config gqa = {.name = "llama2-7b", .kv_heads = 5, .vocab = IC_KEY_INT_AUTO};
  assert_int_equal(ic_model_resolve(&gqa, &m, "s.ini"), IC_EINVAL);
  assert_non_null(strstr(buf.text, "s.ini: model.kv_heads: 32 query heads are not a multiple of 5 KV heads"));
  ic_diag_set_sink(NULL, NULL);
}

#define ROW(fn, table, i) cmocka_unit_test_prestate(fn, (void *)&table[i])
int main(void) {
  const struct CMUnitTest tests[] = {
      ROW(params_match_published, params_cases, 0), ROW(params_match_published, params_cases, 1),
      ROW(params_match_published, params_cases, 2), ROW(params_match_published, params_cases, 3),
      ROW(params_match_published, params_cases, 4), ROW(params_match_published, params_cases, 5),
      ROW(params_match_published, params_cases, 6), ROW(params_match_published, params_cases, 7),
      ROW(kv_bytes_per_token, kv_cases, 0), ROW(kv_bytes_per_token, kv_cases, 1),
      ROW(kv_bytes_per_token, kv_cases, 2), ROW(kv_bytes_per_token, kv_cases, 3),
      ROW(kv_bytes_per_token, kv_cases, 4),
      cmocka_unit_test(mixtral_active_params),
      cmocka_unit_test(decode_flops_by_hand),
      cmocka_unit_test(chunk_and_mixed_shapes),
      cmocka_unit_test(moe_weights_touched),
      cmocka_unit_test(user_defined_model),
      cmocka_unit_test(vocab_zero_is_no_lm_head),
      cmocka_unit_test(bad_models_are_reported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
