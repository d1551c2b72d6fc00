/* bench_evq.c: the classic hold model for the future event list.
 *
 * Fill the queue with N events, then repeat: pop the earliest, push one at
 * its time plus an exponential increment (mean 1 s). The queue size stays
 * N; the figure is hold operations (one pop + one push) per second. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "infercost/evq.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void) {
  const size_t sizes[] = {100, 10000, 1000000};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  printf("pending_events,hold_ops,seconds,hold_ops_per_s\n");
  for (size_t i = 0; i < 3; i++) {
    size_t n = sizes[i];
    gsl_rng_set(r, 12345);
    ic_evq *q = ic_evq_alloc(n);
    for (size_t k = 0; k < n; k++)
      ic_evq_push(q, (ic_time_ns)(gsl_ran_exponential(r, 1.0) * 1e9), NULL, NULL, k);
    const size_t ops = 5000000;
    struct ic_event ev;
    double t0 = now_s();
    for (size_t k = 0; k < ops; k++) {
      ic_evq_pop(q, &ev);
      ic_evq_push(q, ev.time_ns + (ic_time_ns)(gsl_ran_exponential(r, 1.0) * 1e9), NULL, NULL, ev.arg);
    }
    double dt = now_s() - t0;
    printf("%zu,%zu,%.3f,%.0f\n", n, ops, dt, (double)ops / dt);
    ic_evq_free(q);
  }
  gsl_rng_free(r);
  return 0;
}
