/* search_json.c: a search's answer as JSON (the Python package and
 * `infercost search --format json` read it). */
#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "infercost/report.h"
#include "infercost/search.h"

static void add_number_or_null(cJSON *o, const char *name, double v) {
  if (isfinite(v))
    cJSON_AddNumberToObject(o, name, v);
  else
    cJSON_AddNullToObject(o, name);
}

char *ic_search_result_json(const struct ic_search_space *sp, const struct ic_search_result *r) {
  size_t metric_count;
  const struct ic_headline *metrics = ic_headline_table(&metric_count);
  char prov[512];
  ic_report_provenance(sp->base, prov, sizeof prov);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "provenance", prov);
  cJSON *targets = cJSON_AddArrayToObject(root, "targets");
  for (size_t t = 0; t < sp->target_count; t++) cJSON_AddItemToArray(targets, cJSON_CreateString(sp->targets[t].text));
  cJSON_AddBoolToObject(root, "found", r->found);
  cJSON *ranked = cJSON_AddArrayToObject(root, "ranked");
  for (size_t k = 0; k < r->ranked_count; k++) {
    const struct ic_search_point *p = &r->points[r->ranked[k]];
    size_t at[IC_SWEEP_MAX_AXES];
    ic_sweep_grid_point(sp->axes, sp->axis_count, p->combo, at);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "rank", (double)(k + 1));
    cJSON *config = cJSON_AddObjectToObject(o, "config");
    for (size_t a = 0; a < sp->axis_count; a++) cJSON_AddStringToObject(config, sp->axes[a].key, sp->axes[a].values[at[a]]);
    cJSON_AddNumberToObject(config, sp->nodes->key, strtod(sp->nodes->values[p->nodes_index], NULL));
    cJSON_AddNumberToObject(o, "combination", (double)p->combo);
    cJSON *m = cJSON_AddObjectToObject(o, "metrics");
    for (size_t i = 0; i < metric_count; i++) add_number_or_null(m, metrics[i].name, p->record.mean[i]);
    cJSON_AddItemToArray(ranked, o);
  }
  cJSON_AddNumberToObject(root, "simulations", (double)r->simulations);
  cJSON_AddNumberToObject(root, "runs_per_point", (double)sp->runs);
  cJSON_AddNumberToObject(root, "exhaustive_points", (double)r->exhaustive);
  cJSON_AddNumberToObject(root, "combinations", (double)(r->exhaustive / sp->nodes->count));
  cJSON_AddNumberToObject(root, "feasible_combinations", (double)r->feasible_combos);
  if (r->money_missed) cJSON_AddNumberToObject(root, "missed_money_targets", (double)r->money_missed);
  cJSON_AddNumberToObject(root, "dropped_combinations", (double)r->dropped_combos);
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  return text;
}
