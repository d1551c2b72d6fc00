/* serve_disagg.c: prefill/decode disaggregation. A request prefilled in a
 * prefill pool hands its KV cache to a decode pool: a decode replica with
 * room for its whole context (prompt + output) promises that room first;
 * while none has room the request waits, its KV cache held in the prefill
 * replica. The transfer takes KV bytes / (node bandwidth x efficiency) +
 * latency over the network described by serving.kv_link_*, one transfer at
 * a time per prefill node (a node's transfers share its links); between
 * pools of one NVLink domain, KV bytes / (GPUs x NVLink per GPU x
 * efficiency) + latency, the GPUs being the fewer of the two replicas',
 * one transfer at a time per prefill replica (its GPUs' links). Then the
 * request joins the decode replica's queue, already prefilled: it decodes
 * there and never prefills again. Both nodes hold the KV cache from the
 * prefill's end to the transfer's (kv_held): neither powers down meanwhile,
 * and a sleeping decode node is woken when its room is promised; the
 * transfer starts once it is awake. docs/serving.md has the rules. */
#include "serve_impl.h"

static void on_transfer_end(ic_sim *sim, void *ctx, uint64_t arg);

/* The whole context a request can reach: what its decode replica promises. */
static int64_t final_tokens(const struct ic__request *pr) { return pr->req.prompt_tokens + pr->req.output_tokens; }

/* The decode replica with the most room that can take `tokens`, or -1. */
static int64_t pick_decode(const ic_fleet *f, int64_t tokens) {
  int64_t best = -1, best_free = -1;
  for (int64_t r = f->entry_replicas; r < f->replica_count; r++) {
    int64_t room = ic__pool_of(f, r)->policy->kv_free(f, r);
    if (room >= tokens && room > best_free) {
      best = r;
      best_free = room;
    }
  }
  return best;
}

/* Replica r's node holds one more (+1) or one fewer (-1) KV cache in
 * transit; the power listener hears it as a load change. */
static void hold(ic_fleet *f, int64_t r, int64_t delta) {
  int64_t node = f->replicas[r].node;
  f->nodes[node].kv_held += delta;
  ic__emit(f, IC__LOAD, r, node, (double)ic__node_outstanding(f, node));
}

/* Starts request idx's transfer to decode replica d. */
static void start_transfer(ic_fleet *f, uint32_t idx, int64_t d) {
  struct ic__request_more *pm = &f->pool_more[idx];
  const struct ic__pool *src = ic__pool_of(f, pm->prefill_replica);
  struct ic__node *node = &f->nodes[f->replicas[pm->prefill_replica].node];
  ic__pool_of(f, d)->policy->kv_promise(f, d, final_tokens(&f->pool[idx]));
  pm->decode_replica = d;
  hold(f, d, +1);
  (void)ic__node_ready(f, d); /* wakes a sleeping decode node: it receives from its ready time */
  const struct ic__pool *dst = ic__pool_of(f, d);
  double bytes = (double)pm->context * ic_model_kv_bytes_per_token(src->perf->model, src->perf->prec.kv);
  double rate = (double)src->gpus_per_node * f->serving.kv_link_gb_per_s * 1e9 * f->serving.kv_link_efficiency;
  ic_time_ns *link_free = &node->link_free_ns;
  if (src->nvlink_domain > 0 && src->nvlink_domain == dst->nvlink_domain) {
    int64_t gpus = src->gpus_per_replica < dst->gpus_per_replica ? src->gpus_per_replica : dst->gpus_per_replica;
    double per_gpu = src->nvlink_bytes_per_s < dst->nvlink_bytes_per_s ? src->nvlink_bytes_per_s : dst->nvlink_bytes_per_s;
    rate = (double)gpus * per_gpu * f->serving.kv_link_efficiency;
    link_free = &f->link_free_ns[pm->prefill_replica];
  }
  ic_time_ns now = ic_sim_now(f->sim), start = *link_free > now ? *link_free : now;
  ic_time_ns ready = f->nodes[f->replicas[d].node].ready_ns;
  if (ready > start) start = ready;
  ic_time_ns busy = ic_duration_from_s(bytes / rate);
  *link_free = start + busy;
  f->stats.kv_bytes_moved += bytes;
  ic__schedule(f, start + busy + ic_duration_from_s(f->serving.kv_link_latency_s), on_transfer_end, idx);
}

/* Hands out waiting requests, oldest first, while decode replicas have room. */
void ic__handoff_retry(ic_fleet *f) {
  while (f->handoff_head != IC__NONE) {
    uint32_t idx = f->handoff_head;
    int64_t d = pick_decode(f, final_tokens(&f->pool[idx]));
    if (d < 0) return;
    f->handoff_head = f->pool[idx].next;
    if (f->handoff_head == IC__NONE) f->handoff_tail = IC__NONE;
    f->pool[idx].next = IC__NONE;
    start_transfer(f, idx, d);
  }
}

void ic__handoff(ic_fleet *f, int64_t r, uint32_t idx) {
  struct ic__request *pr = &f->pool[idx];
  struct ic__request_more *pm = ic__more(f, idx);
  pm->prefill_replica = r;
  pm->prefilled_ns = ic_sim_now(f->sim);
  pr->next = IC__NONE;
  ic__pool_of(f, r)->completed++; /* the prefill pool's part is done */
  hold(f, r, +1);                 /* its KV cache stays until the transfer ends */
  /* It no longer queues or runs here (its KV cache does not count as load). */
  ic__add_load(f, r, -1, -final_tokens(pr));
  if (f->handoff_head == IC__NONE)
    f->handoff_head = idx;
  else
    f->pool[f->handoff_tail].next = idx;
  f->handoff_tail = idx;
  ic__handoff_retry(f);
  if (pm->decode_replica < 0) f->stats.transfer_waits++; /* no decode replica had room */
}

static void on_transfer_end(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  uint32_t idx = (uint32_t)arg;
  struct ic__request_more *pm = &f->pool_more[idx];
  int64_t p = pm->prefill_replica, d = pm->decode_replica;
  int64_t tokens = final_tokens(&f->pool[idx]);
  f->stats.transfers++;
  ic__check(f, ic_sketch_add(f->stats.transfer_s, ic_time_to_s(ic_sim_now(sim) - pm->prefilled_ns)),
            "a transfer-time sketch update");
  /* The prefill replica's copy is gone: its KV room is free again. */
  ic__pool_of(f, p)->policy->kv_release(f, p, pm->context);
  if (f->serving.ttft_at == IC_TTFT_AT_TRANSFER) ic__first_token(f, p, idx); /* the prompt is the prefill pool's work */
  pm->target_prefill = pm->context; /* nothing left to prefill */
  pm->prefilled_ns = ic_sim_now(sim); /* it queues in the decode pool from now */
  pm->prefill_replica = -1;
  bool was_empty = f->replicas[d].queue_len == 0;
  ic__queue_push(f, d, idx, false);
  ic__add_load(f, d, 1, tokens);
  ic__pool_of(f, d)->policy->kick(f, d, was_empty);
  hold(f, p, -1);
  hold(f, d, -1);
}
