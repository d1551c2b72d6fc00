/* perf.c: roofline over compute and memory plus tensor-parallel all-reduce. */
#include "infercost/perf.h"

#include <math.h>

ic_status ic_perf_init(struct ic_perf *p, const struct ic_model_spec *model,
                       const struct ic_gpu_spec *gpu, int64_t tp, const struct ic_precisions *prec,
                       const struct ic_perf_params *params, const char *where) {
  if (tp < 1 || !(params->weight_pass_flops >= 0) || !(params->roofline_p >= 0) ||
      !(params->overhead_per_seq_s >= 0) || !(params->overhead_per_token_s >= 0) || !(params->compute_efficiency > 0) || !(params->memory_efficiency > 0) ||
      !(params->link_efficiency > 0) || !(params->attention_compute_efficiency >= 0) ||
      !(params->attention_memory_efficiency >= 0) ||
      !(params->memory_reserve_frac >= 0 && params->memory_reserve_frac < 1)) {
    ic_diag(where, 0, "replica: tensor parallelism and efficiencies must be positive and perf.memory_reserve_frac in [0, 1)");
    return IC_EINVAL;
  }
  *p = (struct ic_perf){model, gpu, tp, *prec, *params, 0};
  double usable = (double)tp * gpu->memory_bytes * (1.0 - params->memory_reserve_frac);
  double weights = ic_model_weight_bytes(model, prec->weights);
  if (weights >= usable) {
    ic_diag(where, 0,
            "replica does not fit: %s needs %.1f GB of weights but %lld x %s hold %.1f GB usable "
            "(raise fleet.gpus_per_replica or lower model.weight_precision)",
            model->name, weights / 1e9, (long long)tp, gpu->name, usable / 1e9);
    return IC_ECAPACITY;
  }
  p->kv_capacity_tokens = (usable - weights) / ic_model_kv_bytes_per_token(model, prec->kv);
  /* A replica that cannot keep one full-context sequence in its KV cache
   * would stall on the longest requests the model accepts. */
  if (p->kv_capacity_tokens < (double)model->context_max) {
    ic_diag(where, 0,
            "replica does not fit: %s leaves %.2f GB for the KV cache on %lld x %s, room for %.0f tokens, "
            "less than one %lld-token context (raise fleet.gpus_per_replica or lower model.kv_precision)",
            model->name, (usable - weights) / 1e9, (long long)tp, gpu->name, p->kv_capacity_tokens,
            (long long)model->context_max);
    return IC_ECAPACITY;
  }
  return IC_OK;
}

double ic_perf_iter_s(const struct ic_perf *p, const struct ic_iter_shape *shape,
                      struct ic_perf_breakdown *out) {
  struct ic_iter_cost c = ic_model_iter_cost(p->model, &p->prec, shape);
  double k = (double)p->tp;
  double peak = ic_hw_peak_flops(p->gpu, p->prec.activations);
  struct ic_perf_breakdown b = {0};
  /* A single token runs as matrix-vector products, which stream weights as
   * they are; matrix-matrix kernels first repack (or dequantize) every weight
   * tile, a cost per weight that more tokens do not share out. */
  double pass = shape->new_tokens > 1 ? p->params.weight_pass_flops * c.weight_params : 0.0;
  double flop_rate = k * peak * p->params.compute_efficiency;
  double byte_rate = k * p->gpu->mem_bw_bytes_per_s * p->params.memory_efficiency;
  double dense_c = (c.flops - c.attn_flops + pass) / flop_rate;
  double dense_m = (c.weight_bytes + c.act_bytes) / byte_rate;
  /* 0 = unset: attention runs as efficiently as the dense kernels. */
  double attn_ce = p->params.attention_compute_efficiency > 0 ? p->params.attention_compute_efficiency : 1.0;
  double attn_me = p->params.attention_memory_efficiency > 0 ? p->params.attention_memory_efficiency : 1.0;
  double attn_c = c.attn_flops / (flop_rate * attn_ce);
  double attn_m = c.kv_bytes / (byte_rate * attn_me);
  b.compute_s = dense_c + attn_c;
  b.memory_s = dense_m + attn_m;
  b.dense_s = ic_perf_roofline(dense_c, dense_m, p->params.roofline_p);
  b.attention_s = ic_perf_roofline(attn_c, attn_m, p->params.roofline_p);
  b.attn_compute_s = attn_c;
  b.attn_memory_s = attn_m;
  if (p->tp > 1) {
    /* Two all-reduces per layer (after attention and after the FFN) of the
     * new tokens' hidden states; a ring moves 2(k-1)/k of the message. */
    double msg = (double)shape->new_tokens * (double)p->model->hidden *
                 ic_precision_bytes(p->prec.activations);
    double steps = p->params.allreduce == IC_ALLREDUCE_TREE ? 2.0 * ceil(log2(k)) : 2.0 * (k - 1.0);
    double one = 2.0 * (k - 1.0) / k * msg / (p->gpu->link_bw_bytes_per_s * p->params.link_efficiency) +
                 steps * p->params.link_latency_s;
    b.comm_s = 2.0 * (double)p->model->layers * one;
  }
  b.overhead_s = p->params.overhead_s + p->params.overhead_per_seq_s * (double)shape->seqs +
                 p->params.overhead_per_token_s * (double)shape->new_tokens;
  b.total_s = b.dense_s + b.attention_s + b.comm_s + b.overhead_s;
  if (out) *out = b;
  return b.total_s;
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
  return (struct ic_perf_decode_line){b0.dense_s + b0.comm_s + b0.overhead_s,
                                      b0.attn_compute_s, (b1.attn_compute_s - b0.attn_compute_s) / k1,
                                      b0.attn_memory_s, (b1.attn_memory_s - b0.attn_memory_s) / k1,
                                      c0.flops, (c1.flops - c0.flops) / k1, bytes0, (bytes1 - bytes0) / k1,
                                      p->params.roofline_p};
}

double ic_perf_gpu_peak_flops(const struct ic_perf *p) { return ic_hw_peak_flops(p->gpu, p->prec.activations); }

double ic_perf_gpu_peak_bytes_per_s(const struct ic_perf *p) { return p->gpu->mem_bw_bytes_per_s; }
