/* bench_serve.c: whole-simulation cost of serving, skip-ahead against the
 * token-by-token reference.
 *
 * Not part of CTest (timings are machine-dependent); build with
 * -DIC_BUILD_BENCH=ON and run ./bench_serve [nodes] [seconds]. Prints CPU
 * seconds, events and generated tokens per CPU second for each step mode,
 * and whether both gave the same figures. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "infercost/run.h"
#include "infercost/scenario.h"

static double run_once(struct ic_scenario *s, const char *mode, struct ic_run_result *r) {
  char kv[64];
  snprintf(kv, sizeof kv, "serving.step_mode=%s", mode);
  if (ic_scenario_set(s, kv, "bench") != IC_OK) exit(2);
  clock_t t0 = clock();
  if (ic_run_scenario(s, r) != IC_OK) exit(1);
  return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

int main(int argc, char **argv) {
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  char kv[96];
  long nodes = argc > 1 ? atol(argv[1]) : 100;
  double seconds = argc > 2 ? atof(argv[2]) : 600.0;
  snprintf(kv, sizeof kv, "fleet.nodes=%ld", nodes);
  ic_scenario_set(&s, kv, "bench");
  snprintf(kv, sizeof kv, "run.duration_s=%.17g", seconds);
  ic_scenario_set(&s, kv, "bench");
  /* The built-in load per replica (195 M queries/day on 3,617 replicas). */
  snprintf(kv, sizeof kv, "traffic.queries_per_day=%.17g", 195e6 / 3617.0 * (double)nodes);
  ic_scenario_set(&s, kv, "bench");
  ic_scenario_set(&s, "traffic.output_dist=lognormal", "bench");
  struct ic_run_result skip, token;
  double t_skip = run_once(&s, "skip", &skip), t_token = run_once(&s, "token", &token);
  double tokens = (double)skip.output_tokens_per_s * skip.span_s;
  printf("%ld nodes, %.0f simulated s, %llu requests, %.3g output tokens\n", nodes, seconds,
         (unsigned long long)skip.completed, tokens);
  printf("skip : %7.2f CPU s, %10llu events, %8.3g tokens per CPU s\n", t_skip, (unsigned long long)skip.events,
         tokens / t_skip);
  printf("token: %7.2f CPU s, %10llu events, %8.3g tokens per CPU s\n", t_token, (unsigned long long)token.events,
         tokens / t_token);
  printf("same results: %s (e2e mean %.9g s vs %.9g s)\n",
         skip.completed == token.completed && skip.e2e_mean_s == token.e2e_mean_s ? "yes" : "NO", skip.e2e_mean_s,
         token.e2e_mean_s);
  return 0;
}
