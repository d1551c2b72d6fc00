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

#include "infercost/hw.h"
#include "infercost/progress.h"
#include "infercost/run.h"

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

/* Whether `key` is a node count: fleet.nodes or pool.NAME.nodes. */
static bool is_nodes_key(const char *key) {
  size_t n = strlen(key);
  return strcmp(key, "fleet.nodes") == 0 ||
         (strncmp(key, "pool.", 5) == 0 && n > 11 && strcmp(key + n - 6, ".nodes") == 0);
}

static ic_status check_space(const struct ic_search_space *sp) {
  ic_status st = IC_OK;
  if (sp->axis_count > IC_SWEEP_MAX_AXES) {
    ic_diag("search", 0, "at most %d --vary axes", IC_SWEEP_MAX_AXES);
    return IC_EINVAL;
  }
  if (sp->target_count > IC_HEADLINE_MAX) {
    ic_diag("search", 0, "at most %d --target", IC_HEADLINE_MAX);
    return IC_EINVAL;
  }
  if (!is_nodes_key(sp->nodes->key)) {
    ic_diag("--nodes", 0, "%s: search bisects on a node count: fleet.nodes or pool.NAME.nodes", sp->nodes->key);
    return IC_EINVAL;
  }
  for (size_t i = 0; i < sp->axis_count; i++)
    if (strcmp(sp->axes[i].key, sp->nodes->key) == 0) {
      ic_diag("--vary", 0, "%s: search bisects on it: give its range with --nodes", sp->axes[i].key);
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
  bool dropped;                 /* its fixed costs alone exceed the best found */
  size_t best;                  /* into the result's points: nodes[hi]'s record */
};

/* The state of one search, shared by its steps. */
struct search {
  const struct ic_search_space *sp;
  struct full_grid *full;
  size_t combos, m;
  struct bracket *b;
  size_t *index, *owner;        /* one round's probes (grid indices) and their combinations */
  struct ic_sweep_record *recs;
  struct ic_scenario *scratch;
  int usd;                      /* usd_per_day in the headline table */
  struct ic_search_result *out;
  size_t capacity;              /* of out->points */
  double *costs;                /* scratch: feasible combinations' best costs */
  double start_s;               /* the whole search's progress clock */
  /* Targets split by how they move with the fleet: latency, SLO and the
   * like improve as it grows (bisected on), money targets (margin,
   * cost-to-revenue) worsen, so they are checked at the smallest fleet
   * that meets the others, where they are best. */
  struct ic_search_target fleet_targets[IC_HEADLINE_MAX], money_targets[IC_HEADLINE_MAX];
  size_t fleet_count, money_count;
};

static bool is_money(int metric) {
  return metric == ic_headline_find("gross_margin") || metric == ic_headline_find("cost_to_revenue");
}

static double best_usd(const struct search *se, size_t c) {
  return se->out->points[se->b[c].best].record.mean[se->usd];
}

/* Simulations still to come at most: one per halving of each open bracket. */
static size_t remaining_bound(const struct search *se) {
  size_t n = 0;
  for (size_t c = 0; c < se->combos; c++) {
    const struct bracket *bc = &se->b[c];
    if (!bc->feasible || bc->dropped) continue;
    for (size_t w = bc->hi - bc->lo; w > 0; w /= 2) n++;
  }
  return n;
}

/* Appends the k-th probe of round `step` to the result's points. */
static size_t record_point(struct search *se, size_t k, size_t grid_index, int step) {
  struct ic_search_point *p = &se->out->points[se->out->point_count];
  p->combo = grid_index / se->m;
  p->nodes_index = grid_index % se->m;
  p->step = step;
  p->record = se->recs[k];
  p->meets = ic_search_meets(&p->record, se->fleet_targets, se->fleet_count);
  return se->out->point_count++;
}

/* Runs n probes; the bar counts them within the whole search. */
static ic_status run_round(struct search *se, size_t n, size_t still_to_come) {
  struct probes p = {se->full, se->index};
  size_t before = se->out->simulations;
  struct ic_sweep_exec x = {.point = build_probe, .ctx = &p, .count = n, .runs = se->sp->runs,
                            .workers = se->sp->workers, .progress = se->sp->progress, .progress_base = before,
                            .progress_total = before + n + still_to_come, .progress_start_s = se->start_s,
                            .progress_keep = true};
  if (se->out->point_count + n > se->capacity) return IC_ENOMEM; /* cannot happen: capacity bounds the rounds */
  return ic_sweep_execute(&x, se->recs);
}

/* Nodes of every pool (the fleet's when it has none). */
static int64_t total_nodes(const struct ic_scenario *s) {
  if (s->pool_count == 0) return s->fleet.nodes;
  int64_t n = 0;
  for (size_t i = 0; i < s->pool_count; i++) {
    struct ic_fleet_config fc;
    struct ic_serving_config sc;
    ic_scenario_pool(s, i, &fc, &sc);
    n += fc.nodes;
  }
  return n;
}

/* Before anything runs: every combination at the smallest and largest
 * fleet (fleet sizes alone were checked when --nodes was parsed), and the
 * bisected key must size some pool: fleet.nodes bisected while every pool
 * sets its own nodes would run one fleet over and over, silently. */
static ic_status validate_ends(struct search *se) {
  size_t *ends = calloc(2 * se->combos, sizeof *ends);
  if (!ends) return IC_ENOMEM;
  for (size_t c = 0; c < se->combos; c++) ends[2 * c] = c * se->m, ends[2 * c + 1] = c * se->m + se->m - 1;
  struct probes at_ends = {se->full, ends};
  struct ic_sweep_exec check = {.point = build_probe, .ctx = &at_ends, .count = 2 * se->combos, .runs = 1};
  ic_status st = ic_sweep_validate(&check);
  for (size_t c = 0; st == IC_OK && se->m > 1 && c < se->combos; c++) {
    int64_t lo = 0;
    st = ic_sweep_grid_build(&se->full->grid, ends[2 * c], se->scratch);
    if (st == IC_OK) lo = total_nodes(se->scratch), st = ic_sweep_grid_build(&se->full->grid, ends[2 * c + 1], se->scratch);
    if (st == IC_OK && total_nodes(se->scratch) == lo) {
      ic_diag("--nodes", 0, "%s sizes no pool of combination %zu (each sets its own nodes): bisect one pool's, e.g. "
              "--nodes pool.NAME.nodes=1:8:1", se->sp->nodes->key, c);
      st = IC_EINVAL;
    }
  }
  free(ends);
  return st;
}

/* What a combination costs per day at fleet size j before any energy
 * (ic_run_fixed_usd_per_day). Energy is never negative, so no simulation
 * there can come out cheaper. */
static double cost_floor(struct search *se, size_t c, size_t j) {
  struct ic_scenario *s = se->scratch;
  if (ic_sweep_grid_build(&se->full->grid, c * se->m + j, s) != IC_OK) return 0.0;
  double floor_usd = ic_run_fixed_usd_per_day(s);
  return isnan(floor_usd) ? 0.0 : floor_usd;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Stops probing combinations that cannot make the ranking: their cost
 * floor at the smallest fleet still in question is above the top-th
 * cheapest found so far (the cheapest when only the winner is wanted). */
static size_t drop_hopeless(struct search *se) {
  size_t top = se->sp->top > 1 ? se->sp->top : 1, n = 0;
  if (se->money_count) return 0; /* the cheapest so far may yet miss a money target */
  for (size_t c = 0; c < se->combos; c++)
    if (se->b[c].feasible) se->costs[n++] = best_usd(se, c);
  if (n < top) return 0;
  qsort(se->costs, n, sizeof *se->costs, by_value);
  double best = se->costs[top - 1];
  size_t dropped = 0;
  for (size_t c = 0; c < se->combos; c++) {
    struct bracket *bc = &se->b[c];
    if (bc->feasible && !bc->dropped && bc->lo < bc->hi && cost_floor(se, c, bc->lo) > best) {
      bc->dropped = true;
      dropped++;
    }
  }
  return dropped;
}

/* Round 0 probes the largest fleet: a combination failing there fails
 * everywhere. Later rounds halve every open bracket at once. */
static ic_status bisect(struct search *se, struct ic_search_result *out) {
  size_t m = se->m;
  for (size_t c = 0; c < se->combos; c++) se->index[c] = c * m + (m - 1);
  size_t halvings = 0;
  for (size_t w = m - 1; w > 0; w /= 2) halvings++;
  ic_status st = run_round(se, se->combos, se->combos * halvings);
  if (st != IC_OK) return st;
  out->simulations += se->combos;
  for (size_t c = 0; c < se->combos; c++) {
    size_t at = record_point(se, c, se->index[c], 0);
    bool ok = out->points[at].meets;
    se->b[c] = (struct bracket){.lo = 0, .hi = m - 1, .feasible = ok, .best = at};
    out->feasible_combos += ok;
  }
  for (int step = 1;; step++) {
    out->dropped_combos += drop_hopeless(se);
    size_t n = 0;
    for (size_t c = 0; c < se->combos; c++)
      if (se->b[c].feasible && !se->b[c].dropped && se->b[c].lo < se->b[c].hi)
        se->owner[n] = c, se->index[n++] = c * m + (se->b[c].lo + se->b[c].hi) / 2;
    if (n == 0) break;
    size_t bound = remaining_bound(se);
    if ((st = run_round(se, n, bound > n ? bound - n : 0)) != IC_OK) return st;
    out->simulations += n;
    for (size_t k = 0; k < n; k++) {
      struct bracket *bc = &se->b[se->owner[k]];
      size_t mid = (bc->lo + bc->hi) / 2;
      size_t at = record_point(se, k, se->index[k], step);
      if (out->points[at].meets)
        bc->hi = mid, bc->best = at;
      else
        bc->lo = mid + 1;
    }
  }
  for (size_t c = 0; c < se->combos && se->money_count; c++) {
    struct ic_search_point *best = &out->points[se->b[c].best];
    if (!se->b[c].feasible || ic_search_meets(&best->record, se->money_targets, se->money_count)) continue;
    best->meets = false;
    se->b[c].feasible = false;
    out->money_missed++;
  }
  return IC_OK;
}

/* Feasible combinations by their best cost (ties: lower combination). */
static const struct search *rank_ctx; /* qsort has no context argument; single-threaded use only */
static int by_cost_then_combo(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  double cx = best_usd(rank_ctx, x), cy = best_usd(rank_ctx, y);
  if (cx != cy) return cx < cy ? -1 : 1;
  return (x > y) - (x < y);
}

/* The cheapest `top` combinations (a dropped one's best is dearer than
 * the top-th's, so it never ranks). */
static ic_status rank(struct search *se) {
  struct ic_search_result *out = se->out;
  size_t top = se->sp->top > 1 ? se->sp->top : 1, n = 0;
  size_t *order = malloc((se->combos ? se->combos : 1) * sizeof *order);
  out->ranked = malloc(top * sizeof *out->ranked);
  if (!order || !out->ranked) {
    free(order);
    return IC_ENOMEM;
  }
  for (size_t c = 0; c < se->combos; c++)
    if (se->b[c].feasible && !se->b[c].dropped) order[n++] = c;
  rank_ctx = se;
  qsort(order, n, sizeof *order, by_cost_then_combo);
  for (size_t k = 0; k < n && k < top; k++) out->ranked[out->ranked_count++] = se->b[order[k]].best;
  free(order);
  if (out->ranked_count) {
    const struct ic_search_point *p = &out->points[out->ranked[0]];
    out->found = true;
    out->combo = p->combo;
    out->nodes_index = p->nodes_index;
    out->record = p->record;
  }
  return IC_OK;
}

void ic_search_result_fini(struct ic_search_result *r) {
  if (!r) return;
  free(r->points);
  free(r->ranked);
  r->points = NULL;
  r->ranked = NULL;
  r->point_count = r->ranked_count = 0;
}

ic_status ic_search_run(const struct ic_search_space *sp, struct ic_search_result *out) {
  memset(out, 0, sizeof *out);
  ic_status st = check_space(sp);
  if (st != IC_OK) return st;
  struct search se = {.sp = sp, .m = sp->nodes->count, .usd = ic_headline_find("usd_per_day"), .out = out,
                      .start_s = ic_progress_clock_s()};
  se.combos = ic_sweep_grid_count(sp->axes, sp->axis_count);
  for (size_t t = 0; t < sp->target_count && t < IC_HEADLINE_MAX; t++) {
    if (is_money(sp->targets[t].metric))
      se.money_targets[se.money_count++] = sp->targets[t];
    else
      se.fleet_targets[se.fleet_count++] = sp->targets[t];
  }
  /* Round 0 plus one probe per halving of [0, m-1], per combination. */
  size_t halvings = 0;
  for (size_t w = se.m > 0 ? se.m - 1 : 0; w > 0; w /= 2) halvings++;
  se.capacity = se.combos * (halvings + 1);
  se.full = malloc(sizeof *se.full);
  se.scratch = malloc(sizeof *se.scratch);
  se.b = calloc(se.combos, sizeof *se.b);
  se.index = calloc(se.combos, sizeof *se.index);
  se.owner = calloc(se.combos, sizeof *se.owner);
  se.recs = calloc(se.combos, sizeof *se.recs);
  se.costs = calloc(se.combos, sizeof *se.costs);
  out->points = calloc(se.capacity ? se.capacity : 1, sizeof *out->points);
  if (!se.full || !se.scratch || !se.b || !se.index || !se.owner || !se.recs || !se.costs || !out->points)
    st = IC_ENOMEM;
  if (st == IC_OK) {
    full_grid_init(se.full, sp);
    out->exhaustive = ic_sweep_grid_count(se.full->axes, sp->axis_count + 1);
    if (se.combos == 0 || se.m == 0 || out->exhaustive == SIZE_MAX) st = IC_EINVAL;
  }
  if (st == IC_OK) st = validate_ends(&se);
  if (st == IC_OK) st = bisect(&se, out);
  struct ic_progress bar;
  ic_progress_start(&bar, sp->progress && ic_sweep_mpi_rank() == 0);
  ic_progress_end(&bar);
  if (st == IC_OK) st = rank(&se);
  free(se.full), free(se.scratch), free(se.b), free(se.index), free(se.owner), free(se.recs), free(se.costs);
  return st;
}
