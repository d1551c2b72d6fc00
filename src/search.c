/* search.c: cheapest fleet meeting the targets, bisecting on fleet size.
 * Assumes that, all else fixed, more nodes never make a latency metric worse
 * nor the cost lower; then the smallest fleet that meets the targets is the
 * cheapest of its combination, and bisection finds it in about log2(nodes)
 * simulations. Rounds batch one probe per open combination, so the probes
 * of a round run in parallel. */
#include "infercost/search.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

ic_status ic_search_target_parse(const char *text, const char *where, struct ic_search_target *t) {
  static const struct {
    const char *op;
    enum ic_target_op code;
  } ops[] = {{"<=", IC_TARGET_LE}, {">=", IC_TARGET_GE}, {"<", IC_TARGET_LT}, {">", IC_TARGET_GT}};
  memset(t, 0, sizeof *t);
  snprintf(t->text, sizeof t->text, "%s", text);
  const char *at = strpbrk(text, "<>");
  if (!at) {
    ic_diag(where, 0, "target '%s': expected METRIC<=VALUE (or <, >=, >)", text);
    return IC_EINVAL;
  }
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)(at - text), text);
  t->metric = ic_headline_find(name);
  if (t->metric < 0) {
    ic_diag(where, 0, "target '%s': unknown metric '%s'; metrics: %s", text, name, ic_headline_names());
    return IC_EINVAL;
  }
  size_t oplen = 0;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0] && !oplen; i++)
    if (strncmp(at, ops[i].op, strlen(ops[i].op)) == 0) t->op = ops[i].code, oplen = strlen(ops[i].op);
  char *end;
  errno = 0;
  t->bound = strtod(at + oplen, &end);
  if (end == at + oplen || *end != '\0' || errno != 0 || !isfinite(t->bound)) {
    ic_diag(where, 0, "target '%s': expected a number after the comparison, got '%s'", text, at + oplen);
    return IC_EINVAL;
  }
  return IC_OK;
}

bool ic_search_meets(const struct ic_sweep_record *rec, const struct ic_search_target *targets, size_t count) {
  if (rec->status != IC_OK) return false;
  for (size_t i = 0; i < count; i++) {
    double v = rec->mean[targets[i].metric], b = targets[i].bound;
    bool ok = targets[i].op == IC_TARGET_LE   ? v <= b
              : targets[i].op == IC_TARGET_LT ? v < b
              : targets[i].op == IC_TARGET_GE ? v >= b
                                              : v > b; /* comparisons with NaN are false */
    if (!ok) return false;
  }
  return true;
}

/* The discrete axes with fleet.nodes appended as the fastest axis. */
struct full_grid {
  struct ic_sweep_axis axes[IC_SWEEP_MAX_AXES + 1];
  struct ic_sweep_grid grid;
  size_t node_values;
};

static void full_grid_init(struct full_grid *f, const struct ic_search_space *sp) {
  memcpy(f->axes, sp->axes, sp->axis_count * sizeof *sp->axes);
  f->axes[sp->axis_count] = *sp->nodes;
  f->grid = (struct ic_sweep_grid){.base = sp->base, .axes = f->axes, .axis_count = sp->axis_count + 1};
  f->node_values = sp->nodes->count;
}

ic_status ic_search_build(const struct ic_search_space *sp, size_t combo, size_t nodes_index, struct ic_scenario *s) {
  struct full_grid f;
  full_grid_init(&f, sp);
  return ic_sweep_grid_build(&f.grid, combo * f.node_values + nodes_index, s);
}

/* One round's probes: grid indices into the full grid. */
struct probes {
  struct full_grid *full;
  size_t *grid_index;
};

static ic_status build_probe(void *ctx, size_t k, struct ic_scenario *s) {
  struct probes *p = ctx;
  return ic_sweep_grid_build(&p->full->grid, p->grid_index[k], s);
}

static ic_status check_space(const struct ic_search_space *sp) {
  ic_status st = IC_OK;
  if (sp->axis_count > IC_SWEEP_MAX_AXES) {
    ic_diag("search", 0, "at most %d --vary axes", IC_SWEEP_MAX_AXES);
    return IC_EINVAL;
  }
  for (size_t i = 0; i < sp->axis_count; i++)
    if (strcmp(sp->axes[i].key, "fleet.nodes") == 0) {
      ic_diag("--vary fleet.nodes", 0, "search bisects on fleet size: give its range with --nodes");
      st = IC_EINVAL;
    }
  for (size_t i = 1; i < sp->nodes->count; i++)
    if (strtod(sp->nodes->values[i], NULL) <= strtod(sp->nodes->values[i - 1], NULL)) {
      ic_diag("--nodes", 0, "fleet sizes must ascend: %s comes after %s", sp->nodes->values[i],
              sp->nodes->values[i - 1]);
      return IC_EINVAL;
    }
  return st;
}

/* Per combination: the fleet sizes still in question are [lo, hi], and
 * nodes[hi] is known to meet the targets (with its record in `best`). */
struct bracket {
  size_t lo, hi;
  bool feasible;
  struct ic_sweep_record best;
};

static ic_status run_round(const struct ic_search_space *sp, struct probes *p, size_t n, struct ic_sweep_record *out) {
  struct ic_sweep_exec x = {.point = build_probe, .ctx = p, .count = n, .runs = sp->runs, .workers = sp->workers,
                            .progress = sp->progress};
  return ic_sweep_execute(&x, out);
}

ic_status ic_search_run(const struct ic_search_space *sp, struct ic_search_result *out) {
  memset(out, 0, sizeof *out);
  ic_status st = check_space(sp);
  if (st != IC_OK) return st;
  struct full_grid *f = malloc(sizeof *f);
  if (!f) return IC_ENOMEM;
  full_grid_init(f, sp);
  size_t combos = ic_sweep_grid_count(sp->axes, sp->axis_count), m = sp->nodes->count;
  out->exhaustive = ic_sweep_grid_count(f->axes, sp->axis_count + 1);
  struct bracket *b = calloc(combos, sizeof *b);
  size_t *index = calloc(combos, sizeof *index), *owner = calloc(combos, sizeof *owner);
  struct ic_sweep_record *recs = calloc(combos, sizeof *recs);
  if (!b || !index || !owner || !recs) st = IC_ENOMEM;
  if (combos == 0 || m == 0 || out->exhaustive == SIZE_MAX) st = IC_EINVAL;
  struct probes p = {f, index};
  /* Before anything runs: every combination at the smallest and largest
   * fleet (fleet sizes alone were checked when --nodes was parsed). */
  size_t *ends = st == IC_OK ? calloc(2 * combos, sizeof *ends) : NULL;
  if (st == IC_OK && !ends) st = IC_ENOMEM;
  for (size_t c = 0; st == IC_OK && c < combos; c++) ends[2 * c] = c * m, ends[2 * c + 1] = c * m + m - 1;
  if (st == IC_OK) {
    struct probes at_ends = {f, ends};
    struct ic_sweep_exec check = {.point = build_probe, .ctx = &at_ends, .count = 2 * combos, .runs = 1};
    st = ic_sweep_validate(&check);
  }
  free(ends);
  /* Round 0: the largest fleet; a combination failing there fails everywhere. */
  for (size_t c = 0; st == IC_OK && c < combos; c++) index[c] = c * m + (m - 1);
  if (st == IC_OK) st = run_round(sp, &p, combos, recs);
  if (st == IC_OK) out->simulations += combos;
  for (size_t c = 0; st == IC_OK && c < combos; c++) {
    b[c] = (struct bracket){.lo = 0, .hi = m - 1, .feasible = ic_search_meets(&recs[c], sp->targets, sp->target_count),
                            .best = recs[c]};
    out->feasible_combos += b[c].feasible;
  }
  while (st == IC_OK) {
    size_t n = 0;
    for (size_t c = 0; c < combos; c++)
      if (b[c].feasible && b[c].lo < b[c].hi) owner[n] = c, index[n++] = c * m + (b[c].lo + b[c].hi) / 2;
    if (n == 0) break;
    st = run_round(sp, &p, n, recs);
    out->simulations += n;
    for (size_t k = 0; st == IC_OK && k < n; k++) {
      struct bracket *bc = &b[owner[k]];
      size_t mid = (bc->lo + bc->hi) / 2;
      if (ic_search_meets(&recs[k], sp->targets, sp->target_count))
        bc->hi = mid, bc->best = recs[k];
      else
        bc->lo = mid + 1;
    }
  }
  /* Cheapest per day; ties go to the first combination, so the answer is stable. */
  int usd = ic_headline_find("usd_per_day");
  for (size_t c = 0; st == IC_OK && c < combos; c++)
    if (b[c].feasible && (!out->found || b[c].best.mean[usd] < out->record.mean[usd])) {
      out->found = true;
      out->combo = c;
      out->nodes_index = b[c].hi;
      out->record = b[c].best;
    }
  free(b), free(index), free(owner), free(recs), free(f);
  return st;
}
