/* perf.c: roofline over compute and memory plus the communication of a
 * replica's layout: tensor, pipeline and expert parallelism, attention data
 * parallelism, and speculative decoding. Formulas: docs/compute-model.md.
 *
 * Every factor of the general layout is written so that on the plain layout
 * (tensor parallelism over all GPUs, no speculation) it is an exact 1.0 or
 * 0.0: x * 1.0 and x + 0.0 are exact, so plain replicas are timed to the bit
 * as before the layouts existed. */
#include "infercost/perf.h"

#include <math.h>
#include <stdio.h>

/* What the busiest GPU of a replica holds, relative to the whole model. */
struct layout {
  struct ic_parallel par; /* the layout itself (par_of) */
  double g;            /* GPUs per stage */
  double t;            /* GPUs per attention group (tensor-parallel degree of attention and dense layers) */
  double d;            /* attention groups per stage */
  double frac;         /* share of the layers in the busiest stage: ceil(L / p) / L */
  double head_share;   /* 1 - frac: the LM head sits wholly in that stage */
  double imbalance;    /* routed-expert load of the busiest GPU / mean (1 without expert parallelism) */
};

/* The layout of p: a struct ic_perf filled by hand, without one, is plain
 * tensor parallelism over its tp GPUs. */
static struct ic_parallel par_of(const struct ic_perf *p) {
  if (p->par.pipeline_stages >= 1) return p->par;
  return (struct ic_parallel){.gpus = p->tp, .pipeline_stages = 1, .microbatches = 1, .attention_dp = 1,
                              .gpus_per_node = p->tp, .expert_imbalance = 1.0};
}

static struct layout layout_of(const struct ic_perf *p, const struct ic_model_spec *m) {
  struct layout l;
  l.par = par_of(p);
  const struct ic_parallel *par = &l.par;
  l.g = (double)(par->gpus / par->pipeline_stages);
  l.d = (double)par->attention_dp;
  l.t = l.g / l.d;
  int64_t stage_layers = (m->layers + par->pipeline_stages - 1) / par->pipeline_stages;
  l.frac = (double)stage_layers / (double)m->layers;
  l.head_share = 1.0 - l.frac;
  l.imbalance = par->expert_parallel ? par->expert_imbalance : 1.0;
  return l;
}

/* One all-reduce of `bytes` over k GPUs: 2(k-1)/k of the message per GPU,
 * in 2(k-1) latency steps on a ring or 2 ceil(log2 k) on a tree
 * (perf.allreduce). */
static double allreduce_s(const struct ic_perf *p, double k, double bytes, double bw) {
  if (k <= 1.0) return 0.0;
  double steps = p->params.allreduce == IC_ALLREDUCE_TREE ? 2.0 * ceil(log2(k)) : 2.0 * (k - 1.0);
  return 2.0 * (k - 1.0) / k * bytes / (bw * p->params.link_efficiency) + steps * p->params.link_latency_s;
}

/* Bandwidth between the GPUs of a group of k: NVLink inside a node, the
 * network beyond it. */
static double group_bw(const struct ic_perf *p, const struct layout *l, double k) {
  return k <= (double)l->par.gpus_per_node ? p->gpu->link_bw_bytes_per_s : p->gpu->net_bw_bytes_per_s;
}

/* One all-to-all of an MoE layer (dispatch or combine) on the busiest GPU:
 * it exchanges imbalance x T·top-k / g token-expert pairs of h activations,
 * spread evenly over the stage's g GPUs; those in its node go over NVLink,
 * the rest over the network, at the same time. */
static double alltoall_s(const struct ic_perf *p, const struct ic_model_spec *m, const struct layout *l,
                         double tokens) {
  double bytes = l->imbalance * tokens * (double)m->experts_active / l->g * (double)m->hidden *
                 ic_precision_bytes(p->prec.activations);
  double node = l->g < (double)l->par.gpus_per_node ? l->g : (double)l->par.gpus_per_node;
  double in_node = bytes * (node - 1.0) / l->g, off_node = bytes * (l->g - node) / l->g;
  double t_in = in_node / (p->gpu->link_bw_bytes_per_s * p->params.link_efficiency);
  double t_off = off_node > 0 ? off_node / (p->gpu->net_bw_bytes_per_s * p->params.link_efficiency) : 0.0;
  return (t_in > t_off ? t_in : t_off) + p->params.link_latency_s;
}

/* Communication of one stage pass: all-reduces of the attention groups
 * (after attention, and after the FFN of layers whose FFN is not expert
 * parallel), the MoE all-to-alls, and the hand-over to the next stage. */
static double comm_s(const struct ic_perf *p, const struct ic_model_spec *m, const struct layout *l,
                     const struct ic_iter_shape *s) {
  double tokens = (double)s->new_tokens, b = ic_precision_bytes(p->prec.activations);
  double stage_layers = (double)m->layers * l->frac;
  bool a2a = l->par.expert_parallel && m->experts > 1;
  double moe_layers = a2a ? (double)ic_model_moe_layers(m) * l->frac : 0.0;
  double reduces = stage_layers + (stage_layers - moe_layers);
  double msg = tokens / l->d * (double)m->hidden * b;
  double c = reduces * allreduce_s(p, l->t, msg, group_bw(p, l, l->t));
  if (a2a && l->g > 1.0) c += 2.0 * moe_layers * alltoall_s(p, m, l, tokens);
  if (l->par.pipeline_stages > 1) {
    /* Each GPU of a stage hands its share of the hidden states on. */
    double bw = group_bw(p, l, (double)l->par.gpus);
    c += tokens * (double)m->hidden * b / l->g / (bw * p->params.link_efficiency) + p->params.link_latency_s;
  }
  return c;
}

/* Attention's efficiencies relative to the dense kernels'; 0 = unset:
 * attention runs as efficiently as they do. */
static double attention_ce(const struct ic_perf_params *q) {
  return q->attention_compute_efficiency > 0 ? q->attention_compute_efficiency : 1.0;
}

static double attention_me(const struct ic_perf_params *q) {
  return q->attention_memory_efficiency > 0 ? q->attention_memory_efficiency : 1.0;
}

/* One stage pass of `s` through `m` on the busiest GPU, overhead left out.
 * The cached context's share (attention FLOPs and KV reads) is `share` of
 * s's: a micro-batch's 1/m, kept exact so that a decode step stays affine in
 * its context sum (ic_perf_decode_line). */
static struct ic_perf_breakdown stage(const struct ic_perf *p, const struct ic_model_spec *m,
                                      const struct ic_iter_shape *s, double share) {
  struct ic_iter_cost c = ic_model_iter_cost(m, &p->prec, s);
  if (share != 1.0) {
    c.flops -= c.attn_flops * (1.0 - share);
    c.attn_flops *= share;
    c.kv_bytes = ic_model_kv_bytes_per_token(m, p->prec.kv) * ((double)s->kv_tokens_read * share + (double)s->new_tokens);
  }
  struct layout l = layout_of(p, m);
  double peak = ic_hw_peak_flops(p->gpu, p->prec.activations);
  struct ic_perf_breakdown b = {0};
  /* The busiest stage: its share of the layers plus the whole LM head. With
   * attention groups, weights outside the routed experts are read d times
   * over; the busiest GPU's experts see imbalance x the mean load. */
  double extra_d = l.d - 1.0, extra_u = l.imbalance - 1.0;
  double ne_params = c.weight_params - c.expert_params - c.head_params;
  double ne_bytes = c.weight_bytes - c.expert_bytes - c.head_bytes;
  double touched_u = 0.0;
  if (extra_u > 0.0 && m->experts > 1) {
    /* Experts the busiest GPU touches rise with its load, up to all of its own. */
    double k_tokens = l.imbalance * (double)s->new_tokens * (double)m->experts_active;
    double touched = k_tokens < (double)m->experts ? k_tokens : (double)m->experts;
    double base = (double)s->new_tokens * (double)m->experts_active;
    base = base < (double)m->experts ? base : (double)m->experts;
    touched_u = base > 0 ? (touched - base) / base : 0.0;
  }
  double dense_flops = (c.flops - c.attn_flops) * l.frac + c.head_flops * l.head_share + extra_u * c.expert_flops * l.frac;
  double params = c.weight_params * l.frac + c.head_params * l.head_share + extra_d * (ne_params * l.frac + c.head_params) +
                  touched_u * c.expert_params * l.frac;
  double bytes = c.weight_bytes * l.frac + c.head_bytes * l.head_share + extra_d * (ne_bytes * l.frac + c.head_bytes) +
                 touched_u * c.expert_bytes * l.frac;
  /* A single token runs as matrix-vector products, which stream weights as
   * they are; matrix-matrix kernels first repack (or dequantize) every weight
   * tile, a cost per weight that more tokens do not share out. */
  double pass = s->new_tokens > 1 ? p->params.weight_pass_flops * params : 0.0;
  double flop_rate = l.g * peak * p->params.compute_efficiency;
  double byte_rate = l.g * p->gpu->mem_bw_bytes_per_s * p->params.memory_efficiency;
  double dense_c = (dense_flops + pass) / flop_rate;
  /* The routed experts' GEMMs run as grouped GEMMs of tokens x top-k /
   * experts rows each, below the dense GEMMs' rate (perf.expert_compute_
   * efficiency, relative to compute_efficiency). Their FLOPs are inside
   * dense_flops at the dense rate; this adds the rest, (1/e - 1) of their
   * time. At 1 (unset) nothing is added, so dense models and the roofline
   * profile keep their times to the bit. */
  double expert_ce = p->params.expert_compute_efficiency > 0 ? p->params.expert_compute_efficiency : 1.0;
  if (expert_ce != 1.0 && c.expert_flops > 0)
    dense_c += (1.0 + extra_u) * c.expert_flops * l.frac / flop_rate * (1.0 / expert_ce - 1.0);
  double dense_m = (bytes + c.act_bytes * l.frac) / byte_rate;
  double attn_ce = attention_ce(&p->params), attn_me = attention_me(&p->params);
  double attn_c = c.attn_flops * l.frac / (flop_rate * attn_ce);
  double attn_m = c.kv_bytes * l.frac / (byte_rate * attn_me);
  b.compute_s = dense_c + attn_c;
  b.memory_s = dense_m + attn_m;
  b.dense_s = ic_perf_roofline(dense_c, dense_m, p->params.roofline_p);
  b.attention_s = ic_perf_roofline(attn_c, attn_m, p->params.roofline_p);
  b.attn_compute_s = attn_c;
  b.attn_memory_s = attn_m;
  b.comm_s = comm_s(p, m, &l, s);
  return b;
}

/* The largest of m micro-batches of s (ceilings of its tokens and
 * sequences), m <= s->seqs; its cached context is s's, for stage() to take
 * 1/m of. */
static struct ic_iter_shape micro_shape(const struct ic_iter_shape *s, int64_t m) {
  struct ic_iter_shape u = *s;
  u.new_tokens = (s->new_tokens + m - 1) / m;
  u.seqs = (s->seqs + m - 1) / m;
  return u;
}

static void scale(struct ic_perf_breakdown *b, double f) {
  b->compute_s *= f;
  b->memory_s *= f;
  b->dense_s *= f;
  b->attention_s *= f;
  b->attn_compute_s *= f;
  b->attn_memory_s *= f;
  b->comm_s *= f;
}

/* A whole iteration of `s` through `m`: (m + p - 1) stage passes of the
 * largest micro-batch, overhead excluded (total_s left 0). */
static struct ic_perf_breakdown pipelined(const struct ic_perf *p, const struct ic_model_spec *m,
                                          const struct ic_iter_shape *s) {
  const struct ic_parallel par = par_of(p);
  int64_t mb = par.microbatches < s->seqs ? par.microbatches : s->seqs;
  if (mb < 1) mb = 1;
  struct ic_iter_shape u = mb > 1 ? micro_shape(s, mb) : *s;
  struct ic_perf_breakdown b = stage(p, m, &u, mb > 1 ? 1.0 / (double)mb : 1.0);
  scale(&b, (double)(mb + par.pipeline_stages - 1));
  return b;
}

static void add(struct ic_perf_breakdown *a, const struct ic_perf_breakdown *b) {
  a->compute_s += b->compute_s;
  a->memory_s += b->memory_s;
  a->dense_s += b->dense_s;
  a->attn_compute_s += b->attn_compute_s;
  a->attn_memory_s += b->attn_memory_s;
  a->comm_s += b->comm_s;
  a->overhead_s += b->overhead_s;
}

/* Host-side overhead of one iteration (or one forward pass of speculative
 * decoding) of `seqs` sequences and `tokens` new tokens: fixed, per sequence
 * and per new token. Counted once per iteration, not per micro-batch: each
 * sequence is scheduled and sampled once whatever the pipeline split. */
static double overhead_s(const struct ic_perf *p, int64_t seqs, int64_t tokens) {
  return p->params.overhead_s + p->params.overhead_per_seq_s * (double)seqs +
         p->params.overhead_per_token_s * (double)tokens;
}

/* Speculative decoding of the decode iteration s: k draft steps (contexts
 * growing by one each), then one verification step of k + 1 positions per
 * sequence whose LM head runs on every position; per expected output token. */
static struct ic_perf_breakdown speculative(const struct ic_perf *p, const struct ic_iter_shape *s) {
  int64_t k = p->spec_tokens, n = s->seqs;
  struct ic_perf_breakdown total = {0};
  for (int64_t j = 0; j < k; j++) {
    struct ic_iter_shape d = {n, s->attn_pairs + (double)(n * j), s->kv_tokens_read + n * j, n};
    struct ic_perf_breakdown b = stage(p, &p->draft, &d, 1.0); /* the draft sits in one stage */
    b.overhead_s = overhead_s(p, d.seqs, d.new_tokens);
    add(&total, &b);
  }
  /* Position i (1-based) of k + 1 attends to the context, the drafts before
   * it and itself: per sequence (k+1)(c+1) + k(k+1)/2 pairs. */
  double kk = (double)k;
  struct ic_iter_shape v = {n * (k + 1), (kk + 1.0) * s->attn_pairs + (double)n * kk * (kk + 1.0) / 2.0,
                            s->kv_tokens_read, n * (k + 1)};
  struct ic_perf_breakdown b = pipelined(p, p->model, &v);
  /* The verification's k + 1 positions are new tokens of n sequences (v
   * counts them as sequences for the LM head). */
  b.overhead_s = overhead_s(p, n, v.new_tokens);
  add(&total, &b);
  /* The draft's and the verifier's attention kernels are one roofline over
   * the step (their sums against each other), so that the step stays
   * fixed + roofline(compute(K), memory(K)), the form ic_perf_decode_line needs. */
  total.attention_s = ic_perf_roofline(total.attn_compute_s, total.attn_memory_s, p->params.roofline_p);
  double per = 1.0 / ic_perf_tokens_per_step(p);
  scale(&total, per);
  total.overhead_s *= per;
  return total;
}

/* The launch floor of one iteration: every layer's kernels launched from
 * the host, one after another (0 when off). */
static double launch_floor_s(const struct ic_perf *p) {
  return (double)p->model->layers * p->params.launch_floor_per_layer_s;
}

double ic_perf_iter_s(const struct ic_perf *p, const struct ic_iter_shape *shape,
                      struct ic_perf_breakdown *out) {
  struct ic_perf_breakdown b;
  if (p->spec_tokens > 0 && shape->seqs > 0 && shape->new_tokens == shape->seqs) {
    b = speculative(p, shape);
  } else {
    b = pipelined(p, p->model, shape);
    b.overhead_s = overhead_s(p, shape->seqs, shape->new_tokens);
    double gpu = b.dense_s + b.attention_s + b.comm_s, floor = launch_floor_s(p);
    if (floor > gpu) b.launch_s = floor - gpu;
  }
  b.total_s = b.dense_s + b.attention_s + b.comm_s + b.launch_s + b.overhead_s;
  if (out) *out = b;
  return b.total_s;
}

double ic_perf_tokens_per_step(const struct ic_perf *p) {
  return ic_spec_tokens_per_step(p->spec_tokens, p->spec_acceptance);
}

/* Checks the layout against the model and the hardware; reports at `where`. */
static ic_status check_layout(const struct ic_parallel *par, const struct ic_model_spec *m,
                              const struct ic_gpu_spec *gpu, const char *where) {
  size_t before = ic_diag_count();
  if (par->gpus < 1 || par->pipeline_stages < 1 || par->gpus % par->pipeline_stages != 0)
    ic_diag(where, 0, "perf.pipeline_stages: %lld stages do not divide a replica's %lld GPUs",
            (long long)par->pipeline_stages, (long long)par->gpus);
  else if (par->attention_dp < 1 || (par->gpus / par->pipeline_stages) % par->attention_dp != 0)
    ic_diag(where, 0, "perf.attention_data_parallel: %lld attention groups do not divide a stage's %lld GPUs",
            (long long)par->attention_dp, (long long)(par->gpus / par->pipeline_stages));
  if (par->pipeline_stages > m->layers)
    ic_diag(where, 0, "perf.pipeline_stages: %lld stages for %lld layers (model '%s')",
            (long long)par->pipeline_stages, (long long)m->layers, m->name);
  if (par->microbatches < 1 || (par->microbatches > 1 && par->pipeline_stages < 2))
    ic_diag(where, 0, "perf.pipeline_microbatches: %lld micro-batches need pipeline_stages > 1",
            (long long)par->microbatches);
  if (par->expert_parallel && m->experts < 2)
    ic_diag(where, 0, "perf.expert_parallel: model '%s' has no experts to spread", m->name);
  if (par->attention_dp > 1 && !par->expert_parallel)
    ic_diag(where, 0, "perf.attention_data_parallel: attention groups need perf.expert_parallel = true "
            "(the experts are what the groups share)");
  if (!(par->expert_imbalance >= 1.0))
    ic_diag(where, 0, "perf.expert_imbalance: must be at least 1 (the mean), got %g", par->expert_imbalance);
  if (par->gpus_per_node < 1) ic_diag(where, 0, "fleet.gpus_per_node: must be positive");
  else if (par->gpus > par->gpus_per_node && !(gpu->net_bw_bytes_per_s > 0))
    ic_diag(where, 0, "accelerator.network_gb_per_s: a replica of %lld GPUs spans nodes of %lld, so '%s' needs "
            "a network bandwidth", (long long)par->gpus, (long long)par->gpus_per_node, gpu->name);
  return ic_diag_count() > before ? IC_EINVAL : IC_OK;
}

/* The draft of speculative decoding: a separate model, or the MTP layer (one
 * more layer of the model's own architecture, an MoE layer when it has
 * experts, sharing its embedding and LM head). */
static void draft_of(struct ic_perf *p, const struct ic_spec_decode *spec) {
  if (spec->draft) {
    p->draft = *spec->draft;
    return;
  }
  p->draft = *p->model;
  p->draft_is_mtp = true;
  snprintf(p->draft.name, sizeof p->draft.name, "%.100s-mtp", p->model->name);
  p->draft.layers = 1;
  p->draft.dense_layers = 0;
}

/* Bytes the busiest GPU holds, times g: the replica-wide figure that plain
 * tensor parallelism divides by its GPUs. */
static double weights_eff(const struct ic_perf *p, const struct layout *l) {
  const struct ic_model_spec *m = p->model;
  double bw = ic_precision_bytes(p->prec.weights);
  double all = ic_model_weight_bytes_prec(m, &p->prec);
  double vocab = ic_model_vocab_params(m) * bw;
  /* With stages the busiest holds one vocabulary matrix (embedding first, LM
   * head last); without, both. */
  double vocab_stage = l->par.pipeline_stages > 1 ? (double)m->vocab * (double)m->hidden * bw : vocab;
  double routed = ic_model_routed_params(m) * ic_precision_bytes(ic_precision_experts(&p->prec));
  double ne_layers = all - vocab - routed;
  double w = all * l->frac + (vocab_stage - vocab * l->frac) + (l->d - 1.0) * (ne_layers * l->frac + vocab_stage);
  if (p->spec_tokens > 0) {
    /* The draft's own weights (an MTP layer shares the vocabulary), held by every attention group. */
    double draft = ic_model_weight_bytes_prec(&p->draft, &p->prec);
    if (p->draft_is_mtp) draft -= ic_model_vocab_params(&p->draft) * bw;
    w += l->d * draft;
  }
  return w;
}

/* KV bytes per cached token of the replica, in the same replica-wide units:
 * a stage holds its layers' cache; an attention group of t GPUs splits it t
 * ways (GQA: at most kv_heads ways, MLA's latent: not at all), and the d
 * groups hold different sequences. */
static double kv_eff(const struct ic_perf *p, const struct layout *l) {
  const struct ic_model_spec *m = p->model;
  double kv = ic_model_kv_bytes_per_token(m, p->prec.kv);
  if (p->spec_tokens > 0) kv += ic_model_kv_bytes_per_token(&p->draft, p->prec.kv);
  double shards = m->kv_lora_rank > 0 ? 1.0 : (l->t < (double)m->kv_heads ? l->t : (double)m->kv_heads);
  return kv * l->frac * (l->g / (shards * l->d));
}

ic_status ic_perf_init_parallel(struct ic_perf *p, const struct ic_model_spec *model, const struct ic_gpu_spec *gpu,
                                const struct ic_parallel *par, const struct ic_precisions *prec,
                                const struct ic_perf_params *params, const struct ic_spec_decode *spec,
                                const char *where) {
  if (!(params->weight_pass_flops >= 0) || !(params->roofline_p >= 0) || !(params->overhead_per_seq_s >= 0) ||
      !(params->overhead_per_token_s >= 0) || !(params->compute_efficiency > 0) || !(params->memory_efficiency > 0) ||
      !(params->link_efficiency > 0) || !(params->attention_compute_efficiency >= 0) ||
      !(params->attention_memory_efficiency >= 0) || !(params->expert_compute_efficiency >= 0) ||
      !(params->expert_compute_efficiency <= 1) ||
      !(params->memory_reserve_frac >= 0 && params->memory_reserve_frac < 1) ||
      !(params->launch_floor_per_layer_s >= 0)) {
    ic_diag(where, 0, "replica: tensor parallelism and efficiencies must be positive and perf.memory_reserve_frac in [0, 1)");
    return IC_EINVAL;
  }
  if (check_layout(par, model, gpu, where) != IC_OK) return IC_EINVAL;
  if (params->launch_floor_per_layer_s > 0 && (par->pipeline_stages > 1 || spec)) {
    /* Each stage (and each draft pass) would launch its own layers: a floor per
     * pass, which the decode line's one max() term cannot hold. */
    ic_diag(where, 0, "perf.launch_floor_per_layer_s: a launch floor is modelled on one pipeline stage without "
            "speculative decoding only (pipeline_stages = %lld%s)",
            (long long)par->pipeline_stages, spec ? ", speculative decoding on" : "");
    return IC_EINVAL;
  }
  if (spec && (spec->tokens < 1 || !(spec->acceptance >= 0 && spec->acceptance <= 1))) {
    ic_diag(where, 0, "model.speculative_tokens: speculative decoding needs a draft length >= 1 and an acceptance "
            "in [0, 1], got %lld and %g", (long long)spec->tokens, spec->acceptance);
    return IC_EINVAL;
  }
  *p = (struct ic_perf){.model = model, .gpu = gpu, .tp = par->gpus, .prec = *prec, .params = *params, .par = *par};
  if (spec) {
    p->spec_tokens = spec->tokens;
    p->spec_acceptance = spec->acceptance;
    draft_of(p, spec);
  }
  struct layout l = layout_of(p, model);
  double usable = (double)par->gpus * gpu->memory_bytes * (1.0 - params->memory_reserve_frac);
  double weights = weights_eff(p, &l);
  bool plain = par->pipeline_stages == 1 && par->attention_dp == 1 && !spec;
  if (weights >= usable && !plain) {
    ic_diag(where, 0,
            "replica does not fit: the busiest of %lld x %s holds %.1f GB of %s weights but has %.1f GB usable "
            "(raise fleet.gpus_per_replica or perf.pipeline_stages, or lower model.weight_precision)",
            (long long)par->gpus, gpu->name, weights / l.g / 1e9, model->name, usable / (double)par->gpus / 1e9);
    return IC_ECAPACITY;
  }
  if (weights >= usable) {
    ic_diag(where, 0,
            "replica does not fit: %s needs %.1f GB of weights but %lld x %s hold %.1f GB usable "
            "(raise fleet.gpus_per_replica or lower model.weight_precision)",
            model->name, weights / 1e9, (long long)par->gpus, gpu->name, usable / 1e9);
    return IC_ECAPACITY;
  }
  p->kv_capacity_tokens = (usable - weights) / kv_eff(p, &l);
  /* A replica that cannot keep one full-context sequence in its KV cache
   * would stall on the longest requests the model accepts. */
  if (p->kv_capacity_tokens < (double)model->context_max) {
    ic_diag(where, 0,
            "replica does not fit: %s leaves %.2f GB for the KV cache on %lld x %s, room for %.0f tokens, "
            "less than one %lld-token context (raise fleet.gpus_per_replica or lower model.kv_precision)",
            model->name, (usable - weights) / 1e9, (long long)par->gpus, gpu->name, p->kv_capacity_tokens,
            (long long)model->context_max);
    return IC_ECAPACITY;
  }
  return IC_OK;
}

ic_status ic_perf_init(struct ic_perf *p, const struct ic_model_spec *model,
                       const struct ic_gpu_spec *gpu, int64_t tp, const struct ic_precisions *prec,
                       const struct ic_perf_params *params, const char *where) {
  if (tp < 1) {
    ic_diag(where, 0, "replica: tensor parallelism and efficiencies must be positive and perf.memory_reserve_frac in [0, 1)");
    return IC_EINVAL;
  }
  const struct ic_parallel par = {.gpus = tp, .pipeline_stages = 1, .microbatches = 1, .attention_dp = 1,
                                  .gpus_per_node = tp, .expert_imbalance = 1.0};
  return ic_perf_init_parallel(p, model, gpu, &par, prec, params, NULL, where);
}

struct ic_perf_decode_line ic_perf_decode_line(const struct ic_perf *p, int64_t n) {
  const double k1 = 1048576.0; /* a power of two: the slopes divide exactly */
  struct ic_iter_shape s0 = ic_iter_shape_decode(n, 0), s1 = s0;
  s1.attn_pairs += k1;
  s1.kv_tokens_read += (int64_t)k1;
  struct ic_perf_breakdown b0, b1;
  ic_perf_iter_s(p, &s0, &b0);
  ic_perf_iter_s(p, &s1, &b1);
  struct ic_iter_cost c0 = ic_model_iter_cost(p->model, &p->prec, &s0), c1 = ic_model_iter_cost(p->model, &p->prec, &s1);
  double bytes0 = c0.weight_bytes + c0.act_bytes + c0.kv_bytes, bytes1 = c1.weight_bytes + c1.act_bytes + c1.kv_bytes;
  double floor = launch_floor_s(p) - (b0.dense_s + b0.comm_s);
  return (struct ic_perf_decode_line){b0.dense_s + b0.comm_s + b0.overhead_s,
                                      b0.attn_compute_s, (b1.attn_compute_s - b0.attn_compute_s) / k1,
                                      b0.attn_memory_s, (b1.attn_memory_s - b0.attn_memory_s) / k1,
                                      c0.flops, (c1.flops - c0.flops) / k1, bytes0, (bytes1 - bytes0) / k1,
                                      p->params.roofline_p, floor > 0 ? floor : 0.0};
}

double ic_perf_gpu_peak_flops(const struct ic_perf *p) { return ic_hw_peak_flops(p->gpu, p->prec.activations); }

double ic_perf_gpu_peak_bytes_per_s(const struct ic_perf *p) { return p->gpu->mem_bw_bytes_per_s; }

double ic_perf_kernel_s(const struct ic_gpu_spec *gpu, const struct ic_perf_params *params, enum ic_precision prec,
                        double flops, double bytes, bool attention) {
  /* stage()'s rates on one GPU of one stage (g = 1, frac = 1) */
  double flop_rate = ic_hw_peak_flops(gpu, prec) * params->compute_efficiency;
  double byte_rate = gpu->mem_bw_bytes_per_s * params->memory_efficiency;
  if (attention) {
    flop_rate *= attention_ce(params);
    byte_rate *= attention_me(params);
  }
  return ic_perf_roofline(flops / flop_rate, bytes / byte_rate, params->roofline_p);
}
