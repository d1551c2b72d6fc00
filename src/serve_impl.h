/* serve_impl.h: the fleet's private state, shared by serve*.c. */
#ifndef IC_SERVE_IMPL_H
#define IC_SERVE_IMPL_H

#include "infercost/cost.h"
#include "infercost/metrics.h"
#include "infercost/serve.h"

#define IC__NONE UINT32_MAX

struct ic__request {
  struct ic_request req;
  ic_time_ns start_ns;       /* first admission (static: batch start); -1 before */
  ic_time_ns first_token_ns; /* -1 before the first token */
  int64_t target_prefill;    /* tokens to (re)compute before decoding: prompt + generated */
  int64_t context;           /* tokens held in the KV cache */
  int64_t generated;         /* output tokens produced */
  uint32_t next;             /* next in a queue or static batch, or IC__NONE */
};

/* A running request of a continuous replica, its hot fields copied out of
 * the pool so a span's bookkeeping reads one contiguous array. A decoding
 * slot's context and generated are kept less the replica's decode steps,
 * so that a decode span advances every slot by adding to one counter. */
struct ic__slot {
  uint32_t idx;              /* in the pool */
  bool decoding;             /* past its prefill: context and generated are relative */
  int64_t target_prefill, context, generated, output_tokens; /* as in struct ic__request */
};

/* What the running span of a continuous replica is. */
enum ic__span { IC__SPAN_NONE, IC__SPAN_MIXED, IC__SPAN_DECODE };

/* Fields in the order a continuous replica's events touch them, so that
 * they share as few cache lines as possible; static batching's are last. */
struct ic__replica {
  uint32_t queue_head, queue_tail;
  int64_t queue_len;
  /* Continuous batching: running requests in admission order. */
  struct ic__slot *running;
  int64_t running_len, running_cap;
  int64_t decoding;          /* running requests past their prefill */
  int64_t context_sum;       /* KV tokens of the decoding requests */
  int64_t kv_reserved;       /* tokens: prefill targets of prefilling + contexts of decoding */
  int64_t kv_promised;       /* tokens: prompt + output of every running request (reserve admission) */
  int64_t steps;             /* decode steps every decoding slot has taken (see struct ic__slot) */
  int64_t first_done_step;   /* steps when the first decoding slot completes; INT64_MAX if none */
  int64_t first_prefilling;  /* every running slot before this index is decoding */
  enum ic__span span;        /* IC__SPAN_NONE when idle */
  int64_t span_iters;        /* iterations in the span (1 for MIXED) */
  ic_time_ns span_start_ns, span_end_ns;
  ic_event_id span_event;
  ic_event_id split_event;   /* mixed iteration: pending switch to decode power, 0 if none */
  double span_flops, span_bytes; /* mixed iteration: its cost */
  double span_kv_weight_ns;  /* decode span: sum over its steps i = 0.. of i x step i's ns */
  /* Both. */
  enum ic_gpu_state gpu_state;
  int64_t busy_ns;           /* closed busy time */
  int64_t outstanding;       /* queued + running requests */
  int64_t outstanding_tokens;/* prompt + output tokens of those */
  int64_t node;
  /* Static batching. */
  uint32_t batch_head;       /* IC__NONE when idle */
  int64_t batch_len;
  ic_time_ns batch_start_ns, prefill_end_ns;
  ic_time_ns decode_ns;      /* decode time of the running batch, fixed at its start */
  int64_t batch_prompt, batch_output; /* the running batch's longest prompt and output */
  double prefill_flops, prefill_bytes, decode_flops, decode_bytes; /* its cost by phase */
  ic_event_id timer;         /* pending batch-timeout event, 0 if none */
};

struct ic__node {
  int64_t outstanding;       /* requests on the node's replicas */
  ic_event_id off_timer;     /* pending power-down, 0 if none */
  bool off;                  /* powered down */
  ic_time_ns ready_ns;       /* end of the wake-up delay */
  ic_event_id wake_event;
};

struct ic__heap_entry {
  int64_t key, replica;
};

struct ic__series_cols {
  size_t arrivals, completions, rejections, queue_length, busy_replicas, running, nodes_off, power;
};

struct ic_fleet {
  ic_sim *sim;
  struct ic_serving_config serving;
  const struct ic_perf *perf;
  struct ic_ledger *ledger;
  int64_t gpus_per_replica, replicas_per_node;
  struct ic__replica *replicas;
  int64_t replica_count;
  struct ic__node *nodes;
  int64_t node_count;
  /* Heap routers: min-heap of (key, replica), key from ic__router_key, ties
   * to the lower index; heap_pos maps replica to heap slot. The key sits in
   * the entry so a sift reads one array. */
  struct ic__heap_entry *heap;
  int64_t *heap_pos;
  bool use_heap;
  int32_t *fit_tree;         /* power-down: segment tree of replicas that fit (awake, below threshold) */
  int64_t fit_leaves;        /* power of two >= replica_count */
  uint64_t round_robin_next;
  gsl_rng *rng;              /* random and power-of-two routers */
  /* Central router: one fleet-wide FIFO. */
  uint32_t central_head, central_tail;
  int64_t central_len;
  struct ic__request *pool;
  uint32_t pool_cap, pool_free;
  uint64_t in_flight;
  int64_t queued, busy_replicas, running_requests, nodes_off;
  ic_time_ns timeout_ns;
  int64_t kv_capacity;       /* tokens per replica */
  struct ic_powerdown_config powerdown;
  ic_time_ns idle_ns, wake_ns;
  struct ic__service_entry *service_cache;
  struct ic__decode_line *decode_lines; /* continuous: per batch size 0..max_batch */
  struct ic_fleet_stats stats;
  ic_series *series;
  struct ic__series_cols col;
  ic_serve_observer_fn *observer;
  void *observer_ctx;
  ic_status status;          /* first failure inside the fleet; IC_OK while none */
  struct ic_fleet_work work; /* closed: iterations that ended */
  ic_time_ns window_start_ns;
};

/* What a replica's running span or batch has done by now, beyond what its
 * end will add to f->work: busy_ns and prefill_ns are its open busy and
 * prefill time. */
struct ic__open {
  struct ic_fleet_work work;
  ic_time_ns busy_ns, prefill_ns;
  int64_t iters;             /* continuous: decode steps of the open span that have ended */
};

/* serve.c */
void ic__work_time(struct ic_fleet_work *w, double dur_s, double running, double kv_tokens);
bool ic__check(ic_fleet *f, ic_status st, const char *what);
ic_event_id ic__schedule(ic_fleet *f, ic_time_ns at_ns, ic_event_fn *fn, uint64_t arg);
void ic__gauge(ic_fleet *f, size_t col, double value);
void ic__notify(ic_fleet *f, enum ic_serve_event_kind kind, int64_t r, int64_t size, uint64_t id);
void ic__set_gpu_state(ic_fleet *f, int64_t r, enum ic_gpu_state to);
void ic__request_done(ic_fleet *f, int64_t r, uint32_t idx);
void ic__first_token(ic_fleet *f, uint32_t idx);
void ic__admitted(ic_fleet *f, uint32_t idx);
void ic__queue_push(ic_fleet *f, int64_t r, uint32_t idx, bool front);
uint32_t ic__queue_pop(ic_fleet *f, int64_t r);
void ic__refill(ic_fleet *f, int64_t r);
void ic__count_queued(ic_fleet *f, int64_t delta);
void ic__count_busy(ic_fleet *f, int64_t delta);
bool ic__node_ready(ic_fleet *f, int64_t r);

/* serve_router.c */
bool ic__router_less(const ic_fleet *f, int64_t a, int64_t b);
int64_t ic__router_top(const ic_fleet *f);
void ic__heap_fix(ic_fleet *f, int64_t r);
int64_t ic__route(ic_fleet *f);
void ic__add_load(ic_fleet *f, int64_t r, int64_t requests, int64_t tokens);
void ic__fit_update(ic_fleet *f, int64_t r);

/* serve_static.c */
bool ic__static_init(ic_fleet *f);
void ic__static_kick(ic_fleet *f, int64_t r);
void ic__static_close(ic_fleet *f, ic_time_ns end_ns);
void ic__static_open(const ic_fleet *f, int64_t r, ic_time_ns now, struct ic__open *o);

/* serve_continuous.c */
bool ic__cont_init(ic_fleet *f);
void ic__cont_kick(ic_fleet *f, int64_t r, bool was_queue_empty);
void ic__cont_close(ic_fleet *f, ic_time_ns end_ns);
void ic__cont_open(const ic_fleet *f, int64_t r, ic_time_ns now, struct ic__open *o);
void ic__cont_uncount(ic_fleet *f, int64_t r, int64_t iters);

/* serve_power.c */
void ic__power_load_changed(ic_fleet *f, int64_t node);
void ic__power_wake(ic_fleet *f, int64_t node);

#endif
