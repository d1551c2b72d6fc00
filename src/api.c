/* api.c: the stable C API (api.h) over the run, report and job modules.
 * Diagnostics are captured while a call runs, so a Python caller gets them
 * as an exception's message instead of on stderr. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "infercost/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/job.h"
#include "infercost/report.h"

static struct ic_diag_buffer last_error;

/* Sends diagnostics to last_error for the length of a call. */
struct capture {
  ic_diag_sink_fn *sink;
  void *ctx;
};

static void capture_begin(struct capture *c) {
  ic_gsl_quiet();
  last_error.len = 0;
  last_error.text[0] = '\0';
  ic_diag_get_sink(&c->sink, &c->ctx);
  ic_diag_set_sink(ic_diag_buffer_sink, &last_error);
}

/* Restores the sink; a failure always leaves a message. */
static int capture_status(const struct capture *c, ic_status st) {
  ic_diag_set_sink(c->sink, c->ctx);
  if (st != IC_OK && last_error.len == 0)
    snprintf(last_error.text, sizeof last_error.text, "infercost: %s\n", ic_strerror(st));
  return (int)st;
}

/* Same, for calls returning text: `text` on success, else NULL (freed). */
static char *capture_end(const struct capture *c, ic_status st, char *text, int *status) {
  if (st == IC_OK && !text) st = IC_ENOMEM;
  int code = capture_status(c, st);
  if (status) *status = code;
  if (st != IC_OK) {
    free(text);
    return NULL;
  }
  return text;
}

int ic_api_version(void) { return IC_API_VERSION; }

const char *ic_api_last_error(void) { return last_error.text; }

void ic_api_free(char *text) { free(text); }

/* Builds and runs one scenario (scenario storage is large: on the heap). */
static ic_status run_one(const char *scenario, const char *const *overrides, size_t n, struct ic_scenario *s,
                         struct ic_run_result *out) {
  ic_status st = ic_scenario_build(s, scenario, overrides, n);
  if (st == IC_EIO) st = IC_EINVAL; /* a scenario file that cannot be read is bad input */
  if (st == IC_OK) st = ic_scenario_check(s);
  return st == IC_OK ? ic_run_scenario(s, out) : st;
}

int ic_api_run(const char *scenario, const char *const *overrides, size_t n_overrides, struct ic_run_result *out) {
  struct capture c;
  capture_begin(&c);
  struct ic_scenario *s = malloc(sizeof *s);
  ic_status st = s ? run_one(scenario, overrides, n_overrides, s, out) : IC_ENOMEM;
  free(s);
  return capture_status(&c, st);
}

char *ic_api_run_json(const char *scenario, const char *const *overrides, size_t n_overrides, int *status) {
  struct capture c;
  capture_begin(&c);
  struct ic_scenario *s = malloc(sizeof *s);
  struct ic_run_result *r = malloc(sizeof *r);
  ic_status st = s && r ? run_one(scenario, overrides, n_overrides, s, r) : IC_ENOMEM;
  char *text = st == IC_OK ? ic_report_json(s, r) : NULL;
  free(s);
  free(r);
  return capture_end(&c, st, text, status);
}

char *ic_api_sweep_csv(const char *scenario, const char *const *overrides, size_t n_overrides,
                       const char *const *vary, size_t n_vary, const char *const *targets, size_t n_targets,
                       long runs, long workers, int *status) {
  struct capture c;
  capture_begin(&c);
  struct ic_job job = {.scenario_path = scenario, .sets = overrides, .set_count = n_overrides, .vary = vary,
                       .vary_count = n_vary, .targets = targets, .target_count = n_targets,
                       .runs = runs > 0 ? runs : 1, .workers = workers > 0 ? workers : 1};
  struct ic_job_sweep *sw = malloc(sizeof *sw);
  ic_status st = sw ? ic_job_sweep_run(&job, sw) : IC_ENOMEM;
  char *text = NULL;
  size_t len = 0;
  if (st == IC_OK) {
    FILE *mem = open_memstream(&text, &len);
    st = mem ? ic_sweep_write_csv(mem, &sw->grid, job.runs, sw->records, sw->meets, sw->count) : IC_ENOMEM;
    if (mem && fclose(mem) != 0) st = IC_ENOMEM;
  }
  if (sw) ic_job_sweep_fini(sw);
  free(sw);
  return capture_end(&c, st, text, status);
}

char *ic_api_search_json(const char *scenario, const char *const *overrides, size_t n_overrides,
                         const char *const *vary, size_t n_vary, const char *const *targets, size_t n_targets,
                         const char *nodes, long runs, long workers, long top, int allow_unstable, int *status) {
  struct capture c;
  capture_begin(&c);
  struct ic_job job = {.scenario_path = scenario, .sets = overrides, .set_count = n_overrides, .vary = vary,
                       .vary_count = n_vary, .targets = targets, .target_count = n_targets, .nodes = nodes,
                       .runs = runs > 0 ? runs : 1, .workers = workers > 0 ? workers : 1,
                       .top = top > 0 ? (size_t)top : 1, .allow_unstable = allow_unstable != 0};
  struct ic_job_search *se = malloc(sizeof *se);
  ic_status st = se ? ic_job_search_run(&job, se) : IC_ENOMEM;
  char *text = st == IC_OK ? ic_search_result_json(&se->space, &se->result) : NULL;
  if (se) ic_job_search_fini(se);
  free(se);
  return capture_end(&c, st, text, status);
}
