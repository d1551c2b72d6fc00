/* serve_impl.h: the fleet's private state, shared by serve*.c.
 *
 * The serving files are layered; each calls only the ones above it in this
 * list, never back (a policy or a listener is reached through a pointer):
 *   serve_core.c        requests, queues, the record, listeners
 *   serve_prefix.c      prefix caches: lookup and pins at admission, trim, router hints
 *   serve_router.c      loads, routing, the central queue
 *   serve_power.c       idle power-down; the power listener (ledger)
 *   serve_scale.c       scheduled autoscaling: takes nodes out and back
 *   serve_metrics.c     the time-series listener
 *   serve_disagg.c      the prefill/decode hand-off (wakes nodes through serve_power.c)
 *   serve_static.c, serve_continuous.c   the batching policies
 *   serve.c             the public fleet: alloc, submit, window, free */
#ifndef IC_SERVE_IMPL_H
#define IC_SERVE_IMPL_H

#include "infercost/cost.h"
#include "infercost/metrics.h"
#include "infercost/serve.h"

#define IC__NONE UINT32_MAX

/* A request in the fleet's pool: one cache line (the pool is 64-byte
 * aligned) with all that most requests need from arrival to completion.
 * On a large fleet, with tens of MB of requests in flight, a completion
 * reads it from DRAM; what only preemption, disaggregation and prefix
 * caches need is in a second record (struct ic__request_more), which
 * most requests never touch. */
struct ic__request {
  struct ic_request req;
  ic_time_ns first_token_ns; /* -1 before the first token */
  uint32_t next;             /* next in a queue, a static batch or the free list, or IC__NONE */
  uint32_t flags;            /* IC__REQ_* */
};
#define IC__REQ_ADMITTED 1u  /* admitted before (a re-admission, or a decode pool's admission) */
#define IC__REQ_MORE 2u      /* its struct ic__request_more is in use; without it the values a fresh request has */
/* The rest of pool entry idx (f->pool_more[idx]), valid where the entry's
 * flags have IC__REQ_MORE (ic__more). */
struct ic__request_more {
  int64_t target_prefill;    /* tokens to (re)compute before decoding: prompt + generated */
  int64_t context;           /* tokens held in the KV cache */
  int64_t generated;         /* output tokens produced */
  int64_t prefill_replica;   /* disaggregated: where its KV cache waits to move, or -1 */
  int64_t decode_replica;    /* disaggregated: where it goes, or -1 */
  ic_time_ns prefilled_ns;   /* disaggregated: end of its prefill; from its transfer's end, that end (the
                                decode pool's queueing delay counts from it) */
  int64_t cached_tokens;     /* prompt tokens the prefix cache served at its first admission (billed per class) */
};
_Static_assert(sizeof(struct ic__request) == 64, "a pool entry: one cache line");

/* What every policy's replica has; a policy keeps the rest in its own state.
 * 64 bytes on a 64-byte-aligned array: one cache line a replica (a large
 * fleet's replicas are first touches). */
struct ic__replica {
  uint32_t queue_head, queue_tail;
  int64_t queue_len;
  enum ic_gpu_state gpu_state;
  int32_t pool;              /* index in f->pools */
  int64_t busy_ns;           /* closed busy time in the window */
  int64_t outstanding;       /* queued + running requests */
  int64_t outstanding_tokens;/* prompt + output tokens of those */
  int64_t node;
  ic_prefix_cache *prefix;   /* its prefix cache, or NULL */
};

/* A request's prefix blocks, copied from the source's ring at submission
 * (the ring may overwrite them before the request runs); kept per pool
 * slot and reused, so memory follows the requests in flight. */
struct ic__req_blocks {
  uint64_t *h;
  uint32_t n, cap;
  uint32_t pinned;           /* leading blocks it holds pinned in its replica's cache */
};

/* prefix_aware router: a block hash and the replica last sent it. */
struct ic__hint {
  uint64_t h;
  int64_t replica;           /* -1: empty */
};
#define IC__HINTS (1u << 20) /* 16 MiB */

struct ic__node {
  int64_t first_replica, replicas; /* its replicas: [first_replica, first_replica + replicas) */
  int32_t pool;
  ic_time_ns link_free_ns;   /* disaggregation: its KV transfers go one at a time at the node's bandwidth */
  int64_t kv_held;           /* disaggregation: KV caches it sends or awaits; they keep it powered */
  ic_event_id off_timer;     /* pending power-down, 0 if none */
  bool off;                  /* powered down */
  ic_time_ns ready_ns;       /* end of the wake-up delay */
  ic_event_id wake_event;
  bool out;                  /* taken out of service by the autoscaler: no new requests */
  bool replacing;            /* taken away (spot): out until its replacement is provisioned */
};

struct ic__heap_entry {
  int64_t key, replica;
};

/* A state change that listeners (power, time series) follow. */
enum ic__change_kind {
  IC__GPU_STATE,             /* replica's GPUs from -> to */
  IC__QUEUED,                /* value: requests queued in the fleet */
  IC__BUSY,                  /* value: replicas running an iteration or batch */
  IC__RUNNING,               /* value: requests in running batches */
  IC__NODES_OFF,             /* value: nodes powered down (the ledger has changed) */
  IC__ARRIVAL, IC__COMPLETION, IC__REJECTION,
  IC__LOAD                   /* node's outstanding requests changed */
};
struct ic__change {
  enum ic__change_kind kind;
  int64_t replica, node;
  enum ic_gpu_state from, to;
  double value;
};
typedef void ic__listener_fn(ic_fleet *f, void *ctx, const struct ic__change *ch);
#define IC__LISTENERS 4

/* What a replica's running span or batch has done by now, beyond what its
 * end will add to f->work: busy_ns and prefill_ns are its open busy and
 * prefill time. */
struct ic__open {
  struct ic_fleet_work work;
  ic_time_ns busy_ns, prefill_ns;
  int64_t iters;             /* continuous: decode steps of the open span that have ended */
};

struct ic__policy;

/* A pool: replicas of one hardware description (its own compute model,
 * ledger and batching keys) on consecutive nodes, with one role. */
struct ic__pool {
  struct ic_serving_config serving; /* its batching keys (the router's are the fleet's) */
  const struct ic_perf *perf;
  struct ic_ledger *ledger;  /* its nodes, numbered from 0 (may be NULL) */
  int role;                  /* enum ic_pool_role_kind */
  int64_t gpus_per_replica, replicas_per_node, gpus_per_node;
  int64_t first_replica, replica_count, first_node, node_count;
  int64_t kv_capacity;       /* tokens per replica */
  double kv_bytes_per_token; /* prefix cache: a token's KV bytes on the whole replica */
  double ns_per_token;       /* least_work router: a replica's time per token of work */
  int32_t nvlink_domain;     /* 0: none; pools with one id reach each other over NVLink */
  double nvlink_bytes_per_s; /* per GPU, one direction */
  const struct ic__policy *policy;
  void *policy_state;        /* the policy's, for this pool's replicas (index r - first_replica) */
  struct ic_fleet_work work; /* closed: iterations of this pool that ended */
  uint64_t routed, completed;/* in the window: requests routed to, and completed by, its replicas */
  uint64_t batches, batched_requests; /* in the window: iterations (static: batches) and their sizes summed */
  struct ic_sketch *wait_s;  /* in the window: queueing delay in this pool (a decode pool: from the transfer's end) */
  /* Target autoscaling (serve_scale.c): the last samples of its load. */
  double scale_samples[8];
  int64_t scale_sampled;     /* samples taken so far */
  ic_time_ns scale_changed_ns; /* last decision */
};

/* A batching policy: owns its replicas' state (pool->policy_state). */
struct ic__policy {
  bool (*init)(ic_fleet *f, struct ic__pool *pl);     /* false when out of memory */
  void (*kick)(ic_fleet *f, int64_t r, bool was_queue_empty); /* a request joined r's queue, or r woke */
  bool (*has_room)(const ic_fleet *f, int64_t r);     /* central router: may r take one more */
  void (*close)(ic_fleet *f, struct ic__pool *pl, ic_time_ns end_ns); /* busy time of what still runs */
  void (*open)(const ic_fleet *f, int64_t r, ic_time_ns now, struct ic__open *o);
  void (*uncount)(ic_fleet *f, int64_t r, int64_t iters); /* window start: iterations not the window's */
  void (*free)(ic_fleet *f, struct ic__pool *pl);
  /* Disaggregation (continuous only; NULL for static): */
  int64_t (*kv_free)(const ic_fleet *f, int64_t r);   /* KV tokens r can still promise */
  void (*kv_promise)(ic_fleet *f, int64_t r, int64_t tokens); /* reserve (+) or settle (-) incoming KV */
  void (*kv_release)(ic_fleet *f, int64_t r, int64_t tokens); /* a prefill replica's held KV has moved */
  /* Spot interruption (continuous only; NULL for static): the work that
   * has ended counts, the rest is lost, and every running request goes back
   * to the front of r's queue to recompute; r is left idle. */
  void (*interrupt)(ic_fleet *f, int64_t r);
  /* Starts what a kick of r reads on its way to the cache; changes nothing
   * (NULL: none). */
  void (*prefetch)(const ic_fleet *f, int64_t r);
};
extern const struct ic__policy ic__static_policy, ic__continuous_policy;

struct ic__series_cols {
  size_t arrivals, completions, rejections, queue_length, busy_replicas, running, nodes_off, power;
};

struct ic_fleet {
  ic_sim *sim;
  struct ic_serving_config serving; /* routing, queue limit, SLOs (pools have their own batching keys) */
  struct ic__pool *pools;
  int32_t pool_count;
  bool has_ledger;           /* every pool has one */
  struct ic__replica *replicas; /* all pools', pool by pool */
  ic_time_ns *link_free_ns;  /* per replica, disaggregation over NVLink: its GPUs' transfers go one at a time */
  int64_t replica_count;
  struct ic__node *nodes;    /* all pools', pool by pool */
  int64_t node_count;
  /* Heap routers: min-heap of (key, replica), key from the router's load,
   * ties to the lower index; heap_pos maps replica to heap slot. The key
   * sits in the entry so a sift reads one array. */
  struct ic__heap_entry *heap;
  int64_t *heap_pos;
  bool use_heap;
  int32_t *fit_tree;         /* power-down: segment tree of replicas that fit (awake, below threshold) */
  double *busy_w;            /* power.model = load: per replica, W per GPU of its span now; NULL otherwise */
  int64_t fit_leaves;        /* power of two >= replica_count */
  uint64_t round_robin_next;
  gsl_rng *rng;              /* random and power-of-two routers */
  int64_t two_next[2];       /* power_of_two: the next arrival's candidates, drawn an arrival early */
  bool two_drawn;
  /* Central router: one fleet-wide FIFO. */
  uint32_t central_head, central_tail;
  int64_t central_len;
  int64_t entry_replicas;    /* replicas arrivals may go to (mixed and prefill pools: the first ones) */
  bool disaggregated;
  uint32_t handoff_head, handoff_tail; /* prefilled requests waiting for decode KV room, FIFO */
  struct ic__request *pool;  /* pool_cap entries, each with its pool_more */
  struct ic__request_more *pool_more;
  uint32_t pool_cap, pool_free; /* pool_free: the free list (freed entries, LIFO, on the fresh ones taken) */
  uint32_t pool_fresh;       /* entries from here to pool_cap never used, not yet on the free list (ic__take_fresh) */
  uint64_t in_flight;
  int64_t queued, busy_replicas, running_requests, nodes_off;
  int64_t kv_capacity;       /* tokens: the smallest pool's, which every request must fit */
  struct ic_powerdown_config powerdown;
  bool scaling;              /* some pool autoscales or is interrupted: routers skip nodes out of service */
  gsl_rng *spot_rng;         /* spot interruptions: when and which node */
  ic_time_ns idle_ns, wake_ns;
  bool slept;                /* some node has powered down: until then every node is ready */
  bool requests_later;       /* a span end may leave its requests' records for after its boundary (ic__later_update) */
  struct ic_fleet_stats stats;
  ic_series *series;
  struct ic__series_cols col;
  ic__listener_fn *listener[IC__LISTENERS];
  void *listener_ctx[IC__LISTENERS];
  uint32_t listener_mask[IC__LISTENERS]; /* bit k: it hears changes of kind k */
  uint32_t listen_mask;      /* union of the above: a change nobody hears costs one test */
  int listeners;
  /* Per change kind, the one listener that hears it, called directly
   * (ic__emit_heard, and GPU states without gpu_ledger); NULL when none
   * or several do. */
  ic__listener_fn *kind_listener[IC__LOAD + 1];
  void *kind_listener_ctx[IC__LOAD + 1];
  /* Where the first listener of GPU-state changes is the power ledger's
   * under the phase model and the fleet has one pool (most runs): its
   * ledger, which a change then moves directly (ic__gpu_state_changed);
   * NULL otherwise. */
  struct ic_ledger *gpu_ledger;
  int64_t gpu_ledger_gpus;   /* that pool's replica's (its first node is 0) */
  int gpu_after;             /* with gpu_ledger: the listeners from this index on hear a change after it; 0: none */
  bool gpu_tell;             /* a change goes to a listener (gpu_state_heard): without gpu_ledger, any; with it, gpu_after's */
  ic_serve_observer_fn *observer;
  void *observer_ctx;
  ic_status status;          /* first failure inside the fleet; IC_OK while none */
  ic_time_ns window_start_ns;
  /* Prefix cache: the source's block hashes and each request's copy. */
  const ic_source *block_src; /* NULL: no prefix cache anywhere */
  const ic_block_ring *blocks; /* its ring, once it has one */
  int64_t block_tokens;
  struct ic__req_blocks *req_blocks; /* per pool slot, req_blocks_cap of them */
  uint32_t req_blocks_cap;
  struct ic__req_blocks arriving; /* the arriving request's, for the router */
  struct ic__hint *hints;    /* prefix_aware: IC__HINTS entries, or NULL */
};

static inline struct ic__pool *ic__pool_of(const ic_fleet *f, int64_t r) { return &f->pools[f->replicas[r].pool]; }

/* Request idx's second record, to write: on its first use set to a fresh
 * request's values (the prefill target its prompt, the rest 0 or -1). */
static inline struct ic__request_more *ic__more(ic_fleet *f, uint32_t idx) {
  struct ic__request *pr = &f->pool[idx];
  struct ic__request_more *pm = &f->pool_more[idx];
  if (!(pr->flags & IC__REQ_MORE)) {
    *pm = (struct ic__request_more){.target_prefill = pr->req.prompt_tokens, .prefill_replica = -1, .decode_replica = -1};
    pr->flags |= IC__REQ_MORE;
  }
  return pm;
}
/* Request idx's tokens to (re)compute before decoding, and those in its KV cache. */
static inline int64_t ic__target_prefill(const ic_fleet *f, uint32_t idx) {
  const struct ic__request *pr = &f->pool[idx];
  return pr->flags & IC__REQ_MORE ? f->pool_more[idx].target_prefill : pr->req.prompt_tokens;
}
static inline int64_t ic__context(const ic_fleet *f, uint32_t idx) {
  return f->pool[idx].flags & IC__REQ_MORE ? f->pool_more[idx].context : 0;
}

/* serve_core.c */
bool ic__fail(ic_fleet *f, ic_status st, const char *what);
/* False (the failure recorded, the run stopped: ic__fail) unless st is
 * IC_OK; inline, as the hot paths check every step and almost never fail. */
static inline bool ic__check(ic_fleet *f, ic_status st, const char *what) { return st == IC_OK || ic__fail(f, st, what); }
/* Schedules one of the fleet's events; 0 (reported, run stopped) on failure. */
static inline ic_event_id ic__schedule(ic_fleet *f, ic_time_ns at_ns, ic_event_fn *fn, uint64_t arg) {
  ic_event_id id = ic_sim_schedule_at(f->sim, at_ns, fn, f, arg);
  ic__check(f, id ? IC_OK : IC_ENOMEM, "scheduling an event");
  return id;
}
void ic__notify(ic_fleet *f, enum ic_serve_event_kind kind, int64_t r, int64_t size, uint64_t id);
void ic__listen(ic_fleet *f, ic__listener_fn *fn, void *ctx, uint32_t kinds);
void ic__listen_more(ic_fleet *f, ic__listener_fn *fn, uint32_t kinds);
/* Sets requests_later from the fleet's features; after each change of them. */
void ic__later_update(ic_fleet *f);
#define IC__KIND(k) (1u << (k))
void ic__emit_heard(ic_fleet *f, enum ic__change_kind kind, int64_t replica, int64_t node, double value);
/* A change to the listeners that asked for its kind: a change nobody hears
 * costs the test alone, inline (several a request). */
static inline void ic__emit(ic_fleet *f, enum ic__change_kind kind, int64_t replica, int64_t node, double value) {
  if (f->listen_mask & IC__KIND(kind)) ic__emit_heard(f, kind, replica, node, value);
}
void ic__gpu_state_changed(ic_fleet *f, int64_t r, enum ic_gpu_state to);
/* Sets replica r's GPU state; listeners hear a change, not a repeat (a
 * quarter of the calls, inline so that they cost only the test). */
static inline void ic__set_gpu_state(ic_fleet *f, int64_t r, enum ic_gpu_state to) {
  if (f->replicas[r].gpu_state != to) ic__gpu_state_changed(f, r, to);
}
/* The fleet's counts of queued requests, busy replicas and running
 * requests, each change heard by its listeners. */
static inline void ic__count_queued(ic_fleet *f, int64_t delta) {
  f->queued += delta;
  ic__emit(f, IC__QUEUED, -1, -1, (double)f->queued);
}
static inline void ic__count_busy(ic_fleet *f, int64_t delta) {
  f->busy_replicas += delta;
  ic__emit(f, IC__BUSY, -1, -1, (double)f->busy_replicas);
}
static inline void ic__count_running(ic_fleet *f, int64_t delta) {
  f->running_requests += delta;
  ic__emit(f, IC__RUNNING, -1, -1, (double)f->running_requests);
}
/* Request idx joins the back of r's queue (every arrival: inline). */
static inline void ic__queue_push_back(ic_fleet *f, int64_t r, uint32_t idx) {
  struct ic__replica *rep = &f->replicas[r];
  f->pool[idx].next = IC__NONE;
  if (rep->queue_tail == IC__NONE)
    rep->queue_head = idx;
  else
    f->pool[rep->queue_tail].next = idx;
  rep->queue_tail = idx;
  rep->queue_len++;
  ic__count_queued(f, +1);
}
void ic__queue_push(ic_fleet *f, int64_t r, uint32_t idx, bool front);
uint32_t ic__queue_pop(ic_fleet *f, int64_t r);
void ic__admitted(ic_fleet *f, int64_t r, uint32_t idx);
void ic__first_token(ic_fleet *f, int64_t r, uint32_t idx);
void ic__in_system(ic_fleet *f, int64_t delta);
void ic__finish(ic_fleet *f, int64_t r, uint32_t idx);
bool ic__grow_pool(ic_fleet *f);
bool ic__take_fresh(ic_fleet *f);
void ic__advise_huge(void *p, size_t bytes);
void ic__free_pool(ic_fleet *f);
/* dur_s seconds of one replica running `running` requests holding
 * kv_tokens KV-cache tokens (every span's end: inline). */
static inline void ic__work_time(struct ic_fleet_work *w, double dur_s, double running, double kv_tokens) {
  w->busy_replica_s += dur_s;
  w->slot_s += running * dur_s;
  w->kv_token_s += kv_tokens * dur_s;
}
double ic__power_w(const ic_fleet *f);

/* serve_prefix.c */
int64_t ic__prefix_admit_kv(const ic_fleet *f, int64_t r, uint32_t idx);
int64_t ic__prefix_admit(ic_fleet *f, int64_t r, uint32_t idx, int64_t target_prefill, ic_time_ns *load_ns,
                         int64_t *kv_delta);
int64_t ic__prefix_release(ic_fleet *f, int64_t r, uint32_t idx);
void ic__prefix_trim(ic_fleet *f, int64_t r, int64_t kv_reserved);
int64_t ic__prefix_cached(const ic_fleet *f, int64_t r);
int64_t ic__prefix_hint(const ic_fleet *f);
void ic__prefix_note(ic_fleet *f, int64_t r);

/* serve_router.c */
bool ic__router_less(const ic_fleet *f, int64_t a, int64_t b);
int64_t ic__router_top(const ic_fleet *f);
void ic__heap_fix(ic_fleet *f, int64_t r);
int64_t ic__route(ic_fleet *f);
void ic__draw_two(ic_fleet *f);
/* power_of_two without power-down (the router's choice then reads nothing
 * but the two loads): of the two candidates drawn an arrival early, the one
 * with fewer outstanding requests, a tie to the first. Inline: every
 * arrival of the default configuration. */
static inline int64_t ic__route_two(ic_fleet *f) {
  if (!f->two_drawn) ic__draw_two(f);
  int64_t a = f->two_next[0], b = f->two_next[1];
  ic__draw_two(f);
  return f->replicas[b].outstanding < f->replicas[a].outstanding ? b : a;
}
void ic__load_followed(ic_fleet *f, int64_t r);
/* Replica r's load changes by requests and tokens (every arrival and
 * completion: inline); what follows loads (a heap router's heap, power-
 * down's fit tree, a listener of loads), which most runs have none of, out
 * of line. */
static inline void ic__add_load(ic_fleet *f, int64_t r, int64_t requests, int64_t tokens) {
  struct ic__replica *rep = &f->replicas[r];
  rep->outstanding += requests;
  if (requests > 0) ic__pool_of(f, r)->routed += (uint64_t)requests;
  rep->outstanding_tokens += tokens;
  if (f->use_heap || f->fit_tree || (f->listen_mask & IC__KIND(IC__LOAD))) ic__load_followed(f, r);
}
int64_t ic__node_outstanding(const ic_fleet *f, int64_t node);
void ic__fit_update(ic_fleet *f, int64_t r);
void ic__node_refit(ic_fleet *f, int64_t node);
void ic__refill(ic_fleet *f, int64_t r);
void ic__request_done(ic_fleet *f, int64_t r, uint32_t idx);

/* serve_disagg.c */
void ic__handoff(ic_fleet *f, int64_t r, uint32_t idx);
void ic__handoff_retry(ic_fleet *f);

/* serve_power.c */
void ic__power_listen(ic_fleet *f);
bool ic__power_first(const ic_fleet *f, ic__listener_fn *first);
/* The load power model: replica r's span now does `flops` FLOPs and moves
 * `bytes` bytes in `span_s` seconds (a whole iteration, or one decode step
 * of a span); its GPUs draw what that does from now (docs/cost-model.md).
 * Call before ic__set_gpu_state; only when f->busy_w is set. */
void ic__power_load(ic_fleet *f, int64_t r, double flops, double bytes, double span_s);
bool ic__node_ready(ic_fleet *f, int64_t r);
void ic__node_off(ic_fleet *f, int64_t node);
void ic__node_wake(ic_fleet *f, int64_t node, ic_time_ns delay_ns);

#endif
