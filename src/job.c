/* job.c: sweeps and searches from their textual description, shared by the
 * command line (cli_sweep.c) and the C API (api.c). */
#include "infercost/job.h"

#include <stdlib.h>
#include <string.h>

/* The scenario and the --vary axes (each checked against the scenario). */
static bool parse_base(const struct ic_job *j, struct ic_scenario *base, struct ic_sweep_axis *axes) {
  if (ic_scenario_build(base, j->scenario_path, j->sets, j->set_count) != IC_OK || ic_scenario_check(base) != IC_OK)
    return false;
  if (j->vary_count > IC_SWEEP_MAX_AXES) {
    ic_diag("--vary", 0, "at most %d axes", IC_SWEEP_MAX_AXES);
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < j->vary_count; i++) {
    if (ic_sweep_axis_parse(&axes[i], j->vary[i], base) != IC_OK) ok = false;
    for (size_t k = 0; ok && k < i; k++)
      if (!strcmp(axes[i].key, axes[k].key)) {
        ic_diag("--vary", 0, "%s is varied twice", axes[i].key);
        ok = false;
      }
  }
  return ok;
}

static bool parse_targets(const struct ic_job *j, struct ic_search_target *targets) {
  bool ok = j->target_count <= IC_JOB_MAX_TARGETS;
  if (!ok) ic_diag("--target", 0, "at most %d targets", IC_JOB_MAX_TARGETS);
  for (size_t i = 0; ok && i < j->target_count; i++)
    if (ic_search_target_parse(j->targets[i], "--target", &targets[i]) != IC_OK) ok = false;
  return ok;
}

ic_status ic_job_sweep_run(const struct ic_job *j, struct ic_job_sweep *out) {
  memset(out, 0, sizeof *out);
  if (j->train && j->target_count) {
    ic_diag("infercost", 0, "sweep: --target works on serving metrics; with --train, filter the CSV instead");
    return IC_EINVAL;
  }
  if (!parse_base(j, &out->base, out->axes) || !parse_targets(j, out->targets)) return IC_EINVAL;
  if (j->vary_count == 0) {
    ic_diag("infercost", 0, "sweep: nothing to vary: give at least one --vary section.key=VALUES");
    return IC_EINVAL;
  }
  enum ic_sweep_mode mode = j->train ? IC_SWEEP_TRAIN : IC_SWEEP_SERVE;
  out->grid = (struct ic_sweep_grid){.base = &out->base, .axes = out->axes, .axis_count = j->vary_count, .mode = mode};
  out->count = ic_sweep_grid_count(out->axes, j->vary_count);
  if (out->count > 1000000) {
    ic_diag("infercost", 0, "sweep: %zu points is more than 1,000,000", out->count);
    return IC_EINVAL;
  }
  struct ic_sweep_exec x = {.point = ic_sweep_grid_build, .ctx = &out->grid, .count = out->count, .runs = j->runs,
                            .workers = j->workers, .progress = j->progress, .mode = mode};
  if (ic_sweep_validate(&x) != IC_OK) return IC_EINVAL;
  out->records = calloc(out->count, sizeof *out->records);
  out->meets = j->target_count ? calloc(out->count, sizeof *out->meets) : NULL;
  if (!out->records || (j->target_count && !out->meets)) {
    ic_diag("infercost", 0, "sweep: out of memory for %zu records", out->count);
    return IC_ENOMEM;
  }
  ic_status st = ic_sweep_execute(&x, out->records);
  for (size_t i = 0; i < out->count; i++) {
    if (out->meets) out->meets[i] = ic_search_meets(&out->records[i], out->targets, j->target_count);
    out->failed += out->records[i].status != IC_OK;
  }
  return st;
}

void ic_job_sweep_fini(struct ic_job_sweep *out) {
  for (size_t i = 0; i < IC_SWEEP_MAX_AXES; i++) ic_sweep_axis_fini(&out->axes[i]);
  free(out->records);
  free(out->meets);
  out->records = NULL;
  out->meets = NULL;
}

ic_status ic_job_search_run(const struct ic_job *j, struct ic_job_search *out) {
  memset(out, 0, sizeof *out);
  if (!parse_base(j, &out->base, out->axes)) return IC_EINVAL;
  bool ok = j->target_count > 0;
  if (!ok) ic_diag("infercost", 0, "search: give at least one --target METRIC<=VALUE");
  if (ok && !parse_targets(j, out->targets)) ok = false;
  /* An overloaded fleet's completed requests look fast while its queues
   * grow; unless asked otherwise, a configuration must also be stable. */
  out->user_targets = j->target_count;
  size_t n = j->target_count;
  if (ok && !j->allow_unstable && ic_search_target_parse("stable>=1", "search", &out->targets[n++]) != IC_OK) ok = false;
  /* Sized to the list: a long --nodes list must not lose its tail. */
  size_t spec_size = (j->nodes ? strlen(j->nodes) : 0) + 64;
  char *spec = malloc(spec_size);
  if (!spec) return IC_ENOMEM;
  if (j->nodes && strchr(j->nodes, '='))
    snprintf(spec, spec_size, "%s", j->nodes); /* KEY=VALUES: a pool's node count */
  else if (j->nodes)
    snprintf(spec, spec_size, "fleet.nodes=%s", j->nodes);
  else
    snprintf(spec, spec_size, "fleet.nodes=1:%lld:1", (long long)out->base.fleet.nodes);
  if (ic_sweep_axis_parse(&out->nodes, spec, &out->base) != IC_OK) ok = false;
  free(spec);
  if (!ok) return IC_EINVAL;
  out->space = (struct ic_search_space){.base = &out->base, .axes = out->axes, .axis_count = j->vary_count,
                                        .nodes = &out->nodes, .targets = out->targets, .target_count = n,
                                        .runs = j->runs, .workers = j->workers, .progress = j->progress,
                                        .top = j->top};
  return ic_search_run(&out->space, &out->result);
}

void ic_job_search_fini(struct ic_job_search *out) {
  for (size_t i = 0; i < IC_SWEEP_MAX_AXES; i++) ic_sweep_axis_fini(&out->axes[i]);
  ic_sweep_axis_fini(&out->nodes);
  ic_search_result_fini(&out->result);
}
