/* run_impl.h: what run.c and run_load.c share; not public. */
#ifndef IC_RUN_IMPL_H
#define IC_RUN_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "infercost/serve.h"
#include "infercost/sim.h"
#include "infercost/traffic.h"

/* Offers a source's requests to a fleet the way traffic.mode says: open
 * (one pending arrival event at the source's times), offline (every request
 * at time 0) or closed (a fixed number of clients, each sending its next
 * request think_ns after its last completed). Only one pending arrival per
 * client, so memory follows what is in flight, not what is simulated. */
struct ic__load {
  ic_sim *sim;
  ic_source *source;
  ic_fleet *fleet;
  int mode;                  /* enum ic_load_mode */
  int64_t to_send;           /* requests still to send; -1: no limit */
  ic_time_ns think_ns;       /* closed: pause before a client's next request */
  int64_t clients;           /* closed: clients started at time 0 */
  uint64_t outstanding;      /* sent, not rejected, not completed */
  int64_t clients_idle;      /* closed: clients whose source or budget ran out, or whose request was rejected */
  ic_time_ns done_ns;        /* when the last of a fixed number of requests completed; -1 before */
  struct ic_request next;    /* open: the pending arrival */
  ic_status status;          /* IC_ENOENT when the source ran out; other codes stop the run */
  uint64_t in_flight_limit;  /* open: stop as overloaded past this many in flight (set after begin) */
  bool overloaded;           /* stopped: in flight passed the limit */
};

/* Sets up *l: open traffic schedules its first arrival now; offline and
 * closed traffic send at time 0 through an event scheduled now, so it runs
 * after anything already due at 0 (the counted window's start). Registers
 * the fleet's observer (completions drive closed clients and the end of a
 * fixed number of requests). IC_ENOMEM when the event cannot be scheduled;
 * later failures are left in l->status and stop the run. */
ic_status ic__load_begin(struct ic__load *l, ic_sim *sim, ic_source *source, ic_fleet *fleet,
                         const struct ic_traffic_config *cfg);

#endif
