/* cli_trace_check.c: `infercost trace fit --check`: generates requests from
 * the fitted [traffic] section, the way a run would, over whole periods of
 * its rate profile, and compares them with the trace: rate, token volume,
 * length quantiles and the peak minute. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "infercost/scenario.h"
#include "infercost/sim.h"
#include "infercost/status.h"
#include "infercost/trace.h"
#include "infercost/traffic.h"

static void row(FILE *out, const char *what, double trace, double fitted) {
  fprintf(out, "  %-24s %12.4g %12.4g %+8.2f%%\n", what, trace, fitted, 100 * (fitted / trace - 1));
}

/* Generates the requests and feeds them to `all` and, period by period, to
 * a fresh accumulator whose peak minute goes into peaks[]. */
static ic_status generate(ic_source *src, double period_s, int periods, ic_trace_acc *all, double *peaks) {
  ic_trace_acc *per = NULL;
  int cur = -1;
  struct ic_request r;
  struct ic_trace_stats ps;
  ic_status st;
  while ((st = ic_source_next(src, &r)) == IC_OK) {
    int k = (int)floor(ic_time_to_s(r.arrival_ns) / period_s);
    if (k >= periods) k = periods - 1;
    if (k != cur) {
      if (per && ic_trace_acc_finish(per, &ps) == IC_OK) peaks[cur] = ps.peak_1min_rate_per_s;
      ic_trace_acc_free(per);
      if (!(per = ic_trace_acc_alloc(IC_TRACE_GENERIC, 0))) return IC_ENOMEM;
      cur = k;
    }
    struct ic_trace_record rec = {.time_ns = r.arrival_ns, .prompt_tokens = r.prompt_tokens,
                                  .output_tokens = r.output_tokens};
    if (ic_trace_acc_add(all, &rec) != IC_OK || ic_trace_acc_add(per, &rec) != IC_OK) {
      ic_trace_acc_free(per);
      return IC_ENOMEM;
    }
  }
  if (per && ic_trace_acc_finish(per, &ps) == IC_OK) peaks[cur] = ps.peak_1min_rate_per_s;
  ic_trace_acc_free(per);
  return st == IC_ENOENT ? IC_OK : st;
}

int ic__cli_trace_check(const char *file, const char *fit_text, const struct ic_trace_stats *st, int periods,
                        uint64_t seed, FILE *out) {
  const struct ic_trace_fit *f = &st->fit;
  double period_s = f->multi_day ? ceil(st->span_s / 86400) * 86400 : (double)f->profile_bins * f->profile_bin_s;
  struct ic_scenario *s = malloc(sizeof *s);
  double *peaks = calloc((size_t)periods, sizeof *peaks);
  ic_sim *sim = ic_sim_alloc(seed, 0);
  ic_trace_acc *all = ic_trace_acc_alloc(IC_TRACE_GENERIC, 0);
  ic_source *src = NULL;
  int rc = IC_EXIT_FAILURE;
  if (!s || !peaks || !sim || !all) goto done;
  ic_scenario_defaults(s);
  rc = IC_EXIT_BAD_INPUT;
  if (ic_scenario_load_text(s, fit_text, "trace fit") != IC_OK ||
      ic_traffic_open(&s->traffic, sim, ic_time_from_s(period_s * periods), 0, &src) != IC_OK)
    goto done;
  rc = IC_EXIT_FAILURE;
  struct ic_trace_stats g;
  if (generate(src, period_s, periods, all, peaks) != IC_OK || ic_trace_acc_finish(all, &g) != IC_OK) goto done;
  double span = period_s * periods, lo = INFINITY, hi = 0, sum = 0;
  for (int k = 0; k < periods; k++) {
    sum += peaks[k];
    lo = fmin(lo, peaks[k]);
    hi = fmax(hi, peaks[k]);
  }
  fprintf(out, "check of %s: %llu requests generated over %d periods of %g s (seed %llu)\n", file,
          (unsigned long long)g.rows, periods, period_s, (unsigned long long)seed);
  fprintf(out, "  %-24s %12s %12s %9s\n", "", "trace", "fitted", "error");
  row(out, "rate, req/s", (double)st->rows / st->span_s, (double)g.rows / span);
  row(out, "prompt tokens/s", st->prompt.mean * (double)st->rows / st->span_s, g.prompt.mean * (double)g.rows / span);
  row(out, "output tokens/s", st->output.mean * (double)st->rows / st->span_s, g.output.mean * (double)g.rows / span);
  row(out, "prompt p50, tokens", st->prompt.median, g.prompt.median);
  row(out, "prompt p99, tokens", (double)st->prompt.p99, (double)g.prompt.p99);
  row(out, "output p50, tokens", st->output.median, g.output.median);
  row(out, "output p99, tokens", (double)st->output.p99, (double)g.output.p99);
  row(out, "peak 1-min, req/s", st->peak_1min_rate_per_s, sum / periods);
  fprintf(out, "  (peak 1-min of each generated period: %.3f to %.3f req/s)\n", lo, hi);
  rc = IC_EXIT_OK;
done:
  ic_source_free(src);
  ic_trace_acc_free(all);
  ic_sim_free(sim);
  free(peaks);
  free(s);
  return rc;
}
