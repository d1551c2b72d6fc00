/* serve.h: replicas on GPU nodes, a router and a batching policy. */
#ifndef IC_SERVE_H
#define IC_SERVE_H

#include <stdint.h>

#include "infercost/keys.h"
#include "infercost/perf.h"
#include "infercost/sim.h"
#include "infercost/traffic.h"

/* [fleet] section: the hardware. */
struct ic_fleet_config {
  char gpu[IC_KEY_TEXT_MAX];     /* built-in accelerator */
  char server[IC_KEY_TEXT_MAX];  /* built-in server (base power, price) */
  int64_t gpus_per_node;
  int64_t nodes;
  int64_t gpus_per_replica;      /* tensor-parallel degree k */
};

enum ic_batching { IC_BATCHING_STATIC };
#define IC_BATCHING_CHOICES "static"
enum ic_router { IC_ROUTER_ROUND_ROBIN, IC_ROUTER_LEAST_OUTSTANDING };
#define IC_ROUTER_CHOICES "round_robin|least_outstanding"

/* [serving] section: how requests become batches. */
struct ic_serving_config {
  int batching;              /* enum ic_batching */
  int router;                /* enum ic_router */
  int64_t max_batch;         /* requests per batch, B */
  double batch_timeout_s;    /* longest a queued request waits for the batch to fill */
};

/* What the fleet counted over a run. Sketches are owned by the fleet. */
struct ic_fleet_stats {
  uint64_t arrived;            /* requests submitted */
  uint64_t completed;          /* requests whose last token was produced */
  uint64_t batches;            /* batches started */
  uint64_t batched_requests;   /* sum of batch sizes over started batches */
  int64_t prompt_tokens_done;  /* over completed requests */
  int64_t output_tokens_done;
  double busy_replica_s;       /* replica-seconds spent running batches */
  double prefill_replica_s;    /* of which in prefill */
  struct ic_sketch *e2e_s;     /* arrival to last token */
  struct ic_sketch *ttft_s;    /* arrival to first token */
  struct ic_sketch *wait_s;    /* arrival to batch start (queueing delay) */
};

/* Something that happened on a replica, for observers (tests, traces). */
enum ic_serve_event_kind { IC_SERVE_BATCH_START, IC_SERVE_FIRST_TOKEN, IC_SERVE_BATCH_END };
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
 * NULL). Borrowed pointers must outlive the fleet. NULL when out of memory. */
ic_fleet *ic_fleet_alloc(ic_sim *sim, const struct ic_fleet_config *fleet,
                         const struct ic_serving_config *serving, const struct ic_perf *perf,
                         struct ic_ledger *ledger);

/* Calls `fn` on every batch start, first token and batch end. */
void ic_fleet_set_observer(ic_fleet *f, ic_serve_observer_fn *fn, void *ctx);

/* Routes a request that arrives now. IC_ENOMEM when out of memory. */
ic_status ic_fleet_submit(ic_fleet *f, const struct ic_request *req);

/* Closes busy-time accounting at `end_ns` for batches still running. */
void ic_fleet_close(ic_fleet *f, ic_time_ns end_ns);

/* Counters and sketches; valid until ic_fleet_free. */
const struct ic_fleet_stats *ic_fleet_stats(const ic_fleet *f);

/* Requests submitted and not yet completed. */
uint64_t ic_fleet_in_flight(const ic_fleet *f);

int64_t ic_fleet_replica_count(const ic_fleet *f);

/* Frees the fleet; NULL does nothing. */
void ic_fleet_free(ic_fleet *f);

#endif
