/* bench_run.c: speed of the whole simulation on the built-in scenario.
 *
 * Not part of CTest (timings are machine-dependent); build with
 * -DIC_BUILD_BENCH=ON and run
 *   ./bench_run [seconds] [repeats] [SCENARIO.ini] [section.key=value]...
 * Runs the scenario (default: the built-in one, 3,617 replicas, 195 M
 * queries/day, continuous batching) over a window of `seconds` (the
 * scenario's own warm-up first), `repeats` times, and prints the best wall
 * and CPU time with simulated requests (arrived in warm-up and window) and
 * events per CPU second, and the peak RSS. On a shared machine the best of
 * several repeats is the figure to quote. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "infercost/run.h"
#include "infercost/scenario.h"

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  static struct ic_scenario s;
  double seconds = argc > 1 ? atof(argv[1]) : 600.0;
  int repeats = argc > 2 ? atoi(argv[2]) : 3;
  char kv[96];
  const char *sets[64];
  size_t nsets = 0;
  snprintf(kv, sizeof kv, "run.duration_s=%.17g", seconds);
  sets[nsets++] = kv;
  for (int i = 4; i < argc && nsets < 64; i++) sets[nsets++] = argv[i];
  const char *path = argc > 3 && strcmp(argv[3], "-") != 0 ? argv[3] : NULL;
  if (ic_scenario_build(&s, path, sets, nsets) != IC_OK) return 2;
  double best_wall = HUGE_VAL, best_cpu = HUGE_VAL;
  struct ic_run_result r;
  for (int i = 0; i < (repeats > 0 ? repeats : 1); i++) {
    double w0 = wall_s();
    clock_t c0 = clock();
    if (ic_run_scenario(&s, &r) != IC_OK) return 1;
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC, wall = wall_s() - w0;
    if (cpu < best_cpu) best_cpu = cpu;
    if (wall < best_wall) best_wall = wall;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%s, %.0f simulated s after %.0f s of warm-up: %llu requests arrived, %llu completed, %llu events\n",
         path ? path : "built-in scenario", seconds, r.warmup_s, (unsigned long long)r.arrived, (unsigned long long)r.completed,
         (unsigned long long)r.events);
  /* per CPU s of the whole run, warm-up included: the requests simulated
   * (the warm-up's and the window's, as issue 20's rates count them) and
   * the window's arrivals alone, which understate them by the warm-up's */
  printf("best of %d: %.3f s wall, %.3f s CPU; %llu requests simulated (warm-up and window): %.3g requests, %.3g "
         "window arrivals and %.3g events per CPU s; %.0fx real time; peak RSS %.1f MiB\n",
         repeats, best_wall, best_cpu, (unsigned long long)r.requests_simulated, (double)r.requests_simulated / best_cpu,
         (double)r.arrived / best_cpu, (double)r.events / best_cpu, seconds / best_cpu, (double)ru.ru_maxrss / 1024.0);
  return 0;
}
