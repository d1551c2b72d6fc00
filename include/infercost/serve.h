/* serve.h: replicas on GPU nodes, a router and a batching policy. */
#ifndef IC_SERVE_H
#define IC_SERVE_H

#include <stdint.h>

#include "infercost/keys.h"
#include "infercost/metrics.h"
#include "infercost/perf.h"
#include "infercost/prefix_cache.h"
#include "infercost/sim.h"
#include "infercost/traffic.h"

/* [fleet] section: the hardware. */
struct ic_fleet_config {
  char gpu[IC_KEY_TEXT_MAX];     /* built-in accelerator */
  char server[IC_KEY_TEXT_MAX];  /* built-in server (base power, price) */
  int64_t gpus_per_node;
  int64_t nodes;
  int64_t gpus_per_replica;      /* GPUs of one replica (a multiple of gpus_per_node when it spans nodes) */
};

enum ic_batching { IC_BATCHING_STATIC, IC_BATCHING_CONTINUOUS };
#define IC_BATCHING_CHOICES "static|continuous"
/* central: one FIFO for the fleet, a request goes to the first replica with
 * room (the textbook M/M/c and M/D/c discipline). */
enum ic_router {
  IC_ROUTER_ROUND_ROBIN,
  IC_ROUTER_LEAST_OUTSTANDING,
  IC_ROUTER_RANDOM,
  IC_ROUTER_LEAST_TOKENS,
  IC_ROUTER_POWER_OF_TWO,
  IC_ROUTER_CENTRAL,
  IC_ROUTER_LEAST_WORK,      /* least expected time to drain: outstanding tokens x the pool's seconds per token */
  IC_ROUTER_PREFIX_AWARE     /* most cached prompt tokens less prefix_route_weight x outstanding tokens */
};
#define IC_ROUTER_CHOICES "round_robin|least_outstanding|random|least_tokens|power_of_two|central|least_work|prefix_aware"
/* skip: a continuous batch jumps from one membership change to the next;
 * token: one event per iteration (the reference the skip is tested against). */
enum ic_step_mode { IC_STEP_SKIP, IC_STEP_TOKEN };
#define IC_STEP_MODE_CHOICES "skip|token"
/* evict: admit while the prompts fit, evict and recompute the latest when
 * decoding overflows (vLLM); reserve: admit only when the whole prompt +
 * output fits beside what the running requests will need (TensorRT-LLM's
 * guaranteed no-evict policy), so nothing is ever evicted. */
enum ic_admission { IC_ADMISSION_EVICT, IC_ADMISSION_RESERVE };
#define IC_ADMISSION_CHOICES "evict|reserve"
/* What an iteration's token budget (prefill_chunk_tokens, or
 * max_batched_tokens for whole prompts) counts. prefill: prompt tokens
 * only, and whole prompts run in iterations of their own, the decodes
 * waiting (vLLM V0 without chunked prefill); iteration: every token the
 * iteration computes, one per decoding request first and prompt tokens in
 * what is left, and the decodes always run beside the prompts, whole or
 * chunked (TensorRT-LLM's in-flight batching, MicroBatchScheduler). */
enum ic_token_budget { IC_TOKEN_BUDGET_PREFILL, IC_TOKEN_BUDGET_ITERATION };
#define IC_TOKEN_BUDGET_CHOICES "prefill|iteration"

/* [serving] section: how requests become batches. */
struct ic_serving_config {
  int batching;              /* enum ic_batching */
  int router;                /* enum ic_router */
  int64_t max_batch;         /* requests per batch, B */
  double batch_timeout_s;    /* longest a queued request waits for the batch to fill */
  int64_t prefill_chunk_tokens; /* continuous: prompt tokens prefilled per iteration, 0 = whole prompts */
  int64_t max_batched_tokens; /* continuous, whole prompts: prompt tokens per iteration (vLLM max_num_batched_tokens), 0 = no limit */
  int admission;             /* enum ic_admission (continuous) */
  int token_budget;          /* enum ic_token_budget (continuous) */
  int64_t prefill_chunk_max_tokens; /* continuous, chunked: prompt tokens one request may take an iteration (vLLM long_prefill_token_threshold), 0 = no limit */
  int64_t scheduler_steps;   /* continuous: decode steps between scheduling decisions (vLLM num_scheduler_steps), 1 = every step */
  int64_t prefill_min_queue; /* continuous: with requests running, admit only with this many queued or after a decision that admitted none; 0 = off */
  int step_mode;             /* enum ic_step_mode */
  int64_t max_queue;         /* requests queued per replica (fleet for central) before rejecting; 0 = no limit */
  double slo_ttft_s;         /* TTFT target of classes without their own; NAN = none */
  double slo_tpot_s;         /* time-per-output-token target of classes without their own; NAN = none */
  double slo_e2e_s;          /* end-to-end target of every request; NAN = none */
  /* Prefill/decode disaggregation: the KV cache moves from a prefill pool's
   * node to a decode pool's over this network. */
  double kv_link_gb_per_s;   /* per GPU, one direction (400 Gb/s InfiniBand or RoCE: 50) */
  double kv_link_efficiency; /* achieved / nominal, (0, 1] */
  double kv_link_latency_s;  /* per transfer */
  int ttft_at;               /* enum ic_ttft_at */
  /* Prefix cache (continuous; mixed and prefill pools), blocks of the
   * traffic's trace_block_tokens: */
  bool prefix_cache;
  int64_t prefix_cache_blocks; /* HBM blocks per replica of its own memory; 0: shares the KV budget */
  double prefix_dram_gb, prefix_dram_gb_per_s; /* host DRAM tier per replica (0 GB: none) */
  double prefix_ssd_gb, prefix_ssd_gb_per_s;   /* local SSD tier per replica (0 GB: none) */
  double prefix_route_weight; /* prefix_aware router: cached tokens worth one outstanding token */
  /* Scheduled autoscaling (per pool; docs/serving.md). */
  int autoscale;             /* enum ic_autoscale */
  char autoscale_replicas_hourly[IC_KEY_TEXT_MAX]; /* 24 replica counts, or "none" */
  double boot_s, model_load_s; /* provisioning delay of a node brought back */
  double spot_interruptions_per_node_hour; /* spot: nodes taken away, per node-hour (0: none) */
  double autoscale_requests_per_replica; /* target policy: outstanding requests per replica in service */
  double autoscale_window_s, autoscale_cooldown_s;
  int64_t autoscale_min_replicas, autoscale_max_replicas; /* max 0: all */
};

enum ic_autoscale { IC_AUTOSCALE_OFF, IC_AUTOSCALE_SCHEDULE, IC_AUTOSCALE_TARGET };
#define IC_AUTOSCALE_CHOICES "off|schedule|target"

/* Where a disaggregated request's first token counts as emitted. */
enum ic_ttft_at { IC_TTFT_AT_TRANSFER, IC_TTFT_AT_PREFILL };
#define IC_TTFT_AT_CHOICES "transfer|prefill"

/* What a pool does: today's colocated serving, or one phase of it. */
enum ic_pool_role_kind { IC_ROLE_MIXED, IC_ROLE_PREFILL, IC_ROLE_DECODE };

/* Idle power-down (keys of the [power] section, filled by run). */
struct ic_powerdown_config {
  bool enabled;
  double idle_s;             /* a node with no request for this long powers down */
  double wake_s;             /* power-up delay before a woken node serves */
  int64_t wake_threshold;    /* wake a node when every awake replica has this many outstanding */
};

/* Latency record of one request class. Sketches are owned by the fleet. */
struct ic_class_stats {
  char name[32];
  double ttft_target_s, tpot_target_s; /* NAN = none */
  double e2e_target_s;                 /* NAN = none */
  uint64_t completed, slo_met;         /* slo_met: every target met (a missing target counts as met) */
  int64_t prompt_tokens_done, cached_tokens_done, output_tokens_done; /* over completed requests; cached: of the prompt */
  struct ic_sketch *e2e_s, *ttft_s, *tpot_s, *wait_s;
};

#define IC_KV_HIST_BINS 1000

/* What the fleet counted over its counted window (from
 * ic_fleet_start_window, or from time 0). Sketches are owned by the fleet. */
struct ic_fleet_stats {
  uint64_t in_flight_at_start; /* requests in the fleet when the window started */
  uint64_t arrived;            /* requests submitted */
  uint64_t completed;          /* requests whose last token was produced */
  uint64_t batches;            /* batches started */
  uint64_t batched_requests;   /* sum of batch sizes over started batches */
  uint64_t interruptions;      /* spot nodes taken away */
  uint64_t requeued;           /* requests sent back to the queue by an interruption */
  int64_t prompt_tokens_done;  /* over completed requests */
  int64_t output_tokens_done;
  double busy_replica_s;       /* replica-seconds spent running batches */
  double prefill_replica_s;    /* of which in prefill */
  struct ic_sketch *e2e_s;     /* arrival to last token */
  struct ic_sketch *ttft_s;    /* arrival to first token */
  struct ic_sketch *wait_s;    /* arrival to first admission or batch start (queueing delay) */
  struct ic_sketch *tpot_s;    /* (e2e - ttft) / (output - 1), requests with output > 1 */
  uint64_t *batch_hist;        /* [b]: iterations (static: batches) of b requests, b in 0..max_batch */
  size_t batch_bins;           /* of batch_hist: the largest pool's max_batch + 1 */
  uint64_t kv_hist[IC_KV_HIST_BINS]; /* continuous: iterations by KV reserved / capacity, bins of 1/IC_KV_HIST_BINS */
  double kv_frac_sum;          /* sum over iterations of KV reserved / capacity */
  double kv_frac_max;          /* the largest KV reserved / capacity of an iteration (at most 1: conservation) */
  uint64_t rejected;           /* never fit the KV cache, or the queue was full */
  uint64_t preemptions;        /* continuous: requests evicted to recompute later */
  uint64_t wakeups;            /* nodes woken from power-down */
  uint64_t transfers;          /* disaggregation: KV caches moved to a decode pool (completed transfers) */
  double kv_bytes_moved;       /* their bytes */
  uint64_t transfer_waits;     /* prefilled requests that waited for decode KV room */
  struct ic_sketch *transfer_s;/* transfer time: from the prefill's end (or the wait's) to the KV in place */
  struct ic_time_avg in_system;/* requests in flight over time (Little's law) */
  /* Prefix cache, counted at a request's first admission (requests with
   * prefix blocks on a replica with a cache): */
  uint64_t prefix_requests, prefix_hit_requests; /* looked up; with at least one cached block */
  uint64_t prefix_tier_requests[IC_PREFIX_TIERS]; /* with at least one cached block in tier t */
  int64_t prefix_prompt_tokens, prefix_hit_tokens; /* their prompt tokens; of which cached */
  int64_t prefix_tier_tokens[IC_PREFIX_TIERS];     /* cached tokens by the tier that held them */
  int64_t prefill_tokens_saved; /* prompt tokens not computed, every admission (preempted ones again) */
  double prefix_load_replica_s; /* replica-seconds of transfers from slower tiers into HBM */
  size_t class_count;
  struct ic_class_stats classes[IC_TRAFFIC_MAX_CLASSES];
};

/* The work a fleet did from time 0 up to some time, iterations still
 * running counted up to then (docs/metrics.md defines each). Take the
 * difference of two readings for a window. */
struct ic_fleet_work {
  double output_tokens;      /* generated, each at the end of the iteration that produced it */
  double prompt_tokens;      /* of requests whose (first) prefill ended */
  double flops, bytes;       /* model FLOPs and bytes moved (ic_model_iter_cost) of iterations run;
                                a mixed or static-prefill iteration counts when it ends */
  double slot_s;             /* running requests x seconds (continuous: in the batch; static: in a running batch) */
  double kv_token_s;         /* KV-cache tokens reserved x seconds */
  double busy_replica_s;     /* replica-seconds with an iteration running */
};

/* Something that happened on a replica, for observers (tests, traces). */
enum ic_serve_event_kind {
  IC_SERVE_BATCH_START, IC_SERVE_FIRST_TOKEN, IC_SERVE_BATCH_END, /* static batching */
  IC_SERVE_REQUEST_DONE,     /* any policy: first_request_id completed at time_ns */
  IC_SERVE_PREEMPT           /* continuous: first_request_id evicted */
};
struct ic_serve_event {
  enum ic_serve_event_kind kind;
  ic_time_ns time_ns;
  int64_t replica;
  int64_t batch_size;
  uint64_t first_request_id;   /* oldest request in the batch */
};
typedef void ic_serve_observer_fn(void *ctx, const struct ic_serve_event *ev);

typedef struct ic_fleet ic_fleet;
struct ic_ledger;

/* A fleet of nodes x gpus_per_node / gpus_per_replica replicas, all of the
 * replica described by `perf`. Power-state changes go to `ledger` (may be
 * NULL). Borrowed pointers must outlive the fleet. NULL when out of memory,
 * or where its counts would not fit 32 bits (ic_fleet_alloc_pools). */
ic_fleet *ic_fleet_alloc(ic_sim *sim, const struct ic_fleet_config *fleet,
                         const struct ic_serving_config *serving, const struct ic_perf *perf,
                         struct ic_ledger *ledger);

/* One pool of a fleet: replicas of one hardware description, described by
 * `perf`, on fleet->nodes nodes, batching by `serving`'s batching keys
 * (batching, max_batch, batch_timeout_s, prefill_chunk_tokens, step_mode),
 * its power states to `ledger` (NULL: none; every pool has one or none).
 * Borrowed pointers must outlive the fleet. */
struct ic_pool_spec {
  const char *name;
  const struct ic_fleet_config *fleet;
  const struct ic_serving_config *serving;
  const struct ic_perf *perf;
  struct ic_ledger *ledger;
  double seconds_per_token;  /* least_work router: a replica's time per token of work (0: 1 ns) */
  int role;                  /* enum ic_pool_role_kind; prefill and decode pools continuous only */
  int32_t nvlink_domain;     /* prefill and decode pools with one id > 0 move KV caches over NVLink; 0: none */
  double nvlink_bytes_per_s; /* its GPUs' NVLink, per GPU, one direction */
};

#define IC_FLEET_MAX_POOLS 64

/* A fleet of several pools (at most IC_FLEET_MAX_POOLS), replicas numbered pool by pool; `serving`
 * gives the router, queue limit, SLO targets and the KV network. A request
 * must fit the smallest pool's KV cache (else it is rejected). Arrivals go
 * to mixed and prefill pools, which must come before any decode pool; with
 * prefill pools there must be decode pools and no mixed ones. NULL when out
 * of memory, pool_count is 0 or the roles are not so, or where continuous
 * batching's counts would not fit 32 bits: a continuous pool's max_batch
 * above INT32_MAX / 2, or 2^31 replicas or more. */
ic_fleet *ic_fleet_alloc_pools(ic_sim *sim, const struct ic_pool_spec *pools, size_t pool_count,
                               const struct ic_serving_config *serving);

/* Calls `fn` on every static batch start, first token and end, on every
 * completed request and on every preemption. */
void ic_fleet_set_observer(ic_fleet *f, ic_serve_observer_fn *fn, void *ctx);

/* Request classes and their targets (a class target of NAN falls back to
 * serving.slo_*). Call before the first submit; without it there is one
 * class "default". */
void ic_fleet_set_classes(ic_fleet *f, const struct ic_traffic_class *classes, size_t count);

/* Turns on the prefix cache (serving.prefix_cache) of every mixed or
 * prefill continuous pool, for blocks of `block_tokens`, reading each
 * request's block hashes from the ring of `src` (borrowed; a replay makes
 * its ring at its first row naming blocks) at submission. Tier 0 holds
 * prefix_cache_blocks, or shares the replica's KV budget; slower tiers hold
 * their GB. Call before the first submit. IC_ENOMEM when out of memory. */
ic_status ic_fleet_set_blocks(ic_fleet *f, const ic_source *src, int64_t block_tokens);

/* Turns on idle power-down (needs a ledger; without one it does nothing).
 * Call before the first submit. IC_ENOMEM when out of memory. */
ic_status ic_fleet_set_powerdown(ic_fleet *f, const struct ic_powerdown_config *pd);

/* Turns on each pool's autoscaling policy (serving.autoscale = schedule):
 * at every hour of the day (time 0 is midnight) the pool keeps the
 * scheduled replicas in service, its lowest-numbered nodes; a node taken
 * out takes no new request, drains, then powers down; one brought back
 * serves after boot_s + model_load_s. Needs a ledger and a least_* router.
 * Call after ic_fleet_set_powerdown, before the first submit. IC_EINVAL
 * on a bad schedule (checked by the scenario already). */
ic_status ic_fleet_set_autoscale(ic_fleet *f);

/* Checks a serving config's autoscaling keys: the name of the bad key
 * with why in err, or NULL. */
const char *ic_serve_check_autoscale(const struct ic_serving_config *c, char *err, size_t err_size);

/* Records arrivals, completions, rejections, queue length, busy replicas,
 * running requests, nodes off and IT power into `series` (borrowed; columns
 * are added here). IC_EINVAL / IC_ENOMEM from ic_series_add_column. */
ic_status ic_fleet_attach_series(ic_fleet *f, ic_series *series);

/* Nearest-rank q-quantile of a histogram of `bins` counts whose bin i holds
 * values [i w, (i + 1) w): bin i's lower edge (exact for integer data with
 * w = 1). NaN when empty. */
double ic_fleet_hist_quantile(const uint64_t *counts, size_t bins, double w, double q);

/* Per-replica busy fraction over the counted window up to end_ns: min,
 * mean, max. */
void ic_fleet_utilisation(const ic_fleet *f, ic_time_ns end_ns, double *min, double *mean, double *max);

/* Starts the counted window now (the end of a warm-up): every counter,
 * sketch and histogram of ic_fleet_stats starts again from zero, busy times
 * from what is still running. Work (ic_fleet_work_so_far) is cumulative.
 * IC_ENOMEM when the sketches cannot be renewed (the fleet has failed). */
ic_status ic_fleet_start_window(ic_fleet *f);

/* The work done from time 0 up to now (the simulation's clock): the
 * fleet's, or one pool's (pools numbered as given to ic_fleet_alloc_pools). */
void ic_fleet_work_so_far(const ic_fleet *f, struct ic_fleet_work *out);
void ic_fleet_pool_work(const ic_fleet *f, int32_t pool, struct ic_fleet_work *out);

/* to += sign x w, field by field (sign -1: a window's difference). */
void ic_fleet_work_add(struct ic_fleet_work *to, const struct ic_fleet_work *w, double sign);

int32_t ic_fleet_pool_count(const ic_fleet *f);

/* Requests completed in the counted window by pool `pool`'s replicas. */
uint64_t ic_fleet_pool_completed(const ic_fleet *f, int32_t pool);

/* Requests routed to pool `pool` in the counted window (each once). */
uint64_t ic_fleet_pool_routed(const ic_fleet *f, int32_t pool);

/* A pool's batching and queueing in the counted window (docs/metrics.md). */
struct ic_fleet_pool_figures {
  uint64_t batches;          /* iterations (static: batches) its replicas ran */
  uint64_t batched_requests; /* their sizes summed: / batches is its mean batch */
  const struct ic_sketch *wait_s; /* queueing delay in it: arrival (a decode pool: the transfer's end) to admission */
};
void ic_fleet_pool_figures(const ic_fleet *f, int32_t pool, struct ic_fleet_pool_figures *out);

/* Routes a request that arrives now, or rejects it (counted in stats) when
 * its prompt + output exceed a replica's KV cache or its queue is full
 * (serving.max_queue). IC_EINVAL (nothing done) for more prompt or output
 * tokens than IC_REQUEST_TOKENS_MAX; IC_ENOMEM when out of memory; once
 * the fleet has failed (ic_fleet_status), that failure. */
ic_status ic_fleet_submit(ic_fleet *f, const struct ic_request *req);

/* Closes busy-time accounting at `end_ns` for batches still running. */
void ic_fleet_close(ic_fleet *f, ic_time_ns end_ns);

/* Counters and sketches; valid until ic_fleet_free. */
const struct ic_fleet_stats *ic_fleet_stats(const ic_fleet *f);

/* IC_OK, or the first failure inside the fleet (an event that could not be
 * scheduled: IC_ENOMEM; a sketch or time-series update refused:
 * IC_EINTERNAL), reported through ic_diag when it happened; the fleet then
 * stopped the simulation, and its figures are not to be used. */
ic_status ic_fleet_status(const ic_fleet *f);

/* Requests submitted, not rejected and not yet completed. */
uint64_t ic_fleet_in_flight(const ic_fleet *f);

int64_t ic_fleet_replica_count(const ic_fleet *f);

/* Frees the fleet; NULL does nothing. */
void ic_fleet_free(ic_fleet *f);

#endif
