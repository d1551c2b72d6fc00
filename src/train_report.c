/* train_report.c: a training run for people (text) and for programs
 * (summary.json, ledger.csv). Every figure is for the whole run. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "infercost/report.h"
#include "infercost/scenario.h"
#include "infercost/train.h"
#include "train_impl.h"

#define GB 1e9

/* One ledger line of the whole run. */
struct run_row {
  const char *item;
  double kwh, usd;
};

/* The run's ledger: the per-day ledger of ic_cost_ledger times the days. */
static size_t run_rows(const struct ic_train_result *r, struct run_row *rows) {
  const struct ic_daily_cost *c = &r->day;
  double d = r->days;
  size_t n = 0;
  rows[n++] = (struct run_row){"it_energy", c->it_energy_kwh * d, c->energy_usd * d};
  rows[n++] = (struct run_row){"cooling", (c->facility_energy_kwh - c->it_energy_kwh) * d, c->cooling_usd * d};
  rows[n++] = (struct run_row){"amortization_server", 0, c->amort_server_usd * d};
  rows[n++] = (struct run_row){"amortization_gpu", 0, c->amort_gpu_usd * d};
  rows[n++] = (struct run_row){"amortization_network", 0, c->amort_network_usd * d};
  rows[n++] = (struct run_row){"amortization_facility", 0, c->amort_facility_usd * d};
  rows[n++] = (struct run_row){"maintenance", 0, c->maintenance_usd * d};
  rows[n++] = (struct run_row){"other_opex", 0, c->other_opex_usd * d};
  rows[n++] = (struct run_row){"rent", 0, c->rent_usd * d};
  rows[n++] = (struct run_row){"total", c->facility_energy_kwh * d, r->total_usd};
  return n;
}

static const char *attention_text(int mode) {
  static const char *const names[] = {"causal", "full", "none"};
  return mode >= 0 && mode <= IC_TRAIN_ATTN_NONE ? names[mode] : "?";
}

static void print_plan(const struct ic_scenario *s, const struct ic_train_result *r, FILE *out) {
  const struct ic_train_config *c = &s->train;
  const struct ic_train_memory *m = &r->memory;
  char a[64], b[64], e[64];
  const char *prec = ic_precision_name((enum ic_precision)c->precision);
  fprintf(out, "Model       %s: %.4g B parameters, %.4g B active per token\n", s->model.name, r->params / 1e9,
          r->active_params / 1e9);
  fprintf(out, "Data        %.4g tokens in sequences of %s, %s sequences per step: %s steps\n", c->tokens,
          ic_report_thousands((double)c->seq_len, a, sizeof a), ic_report_thousands((double)c->global_batch_seqs, b, sizeof b),
          ic_report_thousands(r->steps, e, sizeof e));
  fprintf(out, "GPUs        %s %s in %s nodes of %lld; tensor %lld x pipeline %lld x data %lld",
          ic_report_thousands((double)r->gpus, a, sizeof a), r->gpu_name, ic_report_thousands((double)r->nodes, b, sizeof b),
          (long long)s->fleet.gpus_per_node, (long long)c->tensor_parallel, (long long)c->pipeline_parallel,
          (long long)r->data_parallel);
  if (c->expert_parallel > 1) fprintf(out, " (experts over %lld)", (long long)c->expert_parallel);
  fprintf(out, ", ZeRO stage %lld\n", (long long)c->zero_stage);
  fprintf(out, "FLOPs       %.4e = 6ND %.4e + attention (%s) %.4e\n", r->flops.total, r->flops.dense,
          attention_text(c->attention_flops), r->flops.attention);
  fprintf(out, "Memory/GPU  %.1f of %.1f GB usable: weights %.2f, gradients %.2f, optimizer %.2f, activations %.2f "
               "(recompute %s, micro-batch %lld)\n",
          m->total / GB, m->available / GB, m->weights / GB, m->gradients / GB, m->optimizer / GB, m->activations / GB,
          ic__train_recompute_name(m->recompute), (long long)c->micro_batch_seqs);
  fprintf(out, "Rate        %.4g TFLOP/s %s peak x MFU %.3f = %.4g TFLOP/s per GPU\n", r->peak_flops_per_gpu / 1e12,
          prec, c->mfu, r->peak_flops_per_gpu * c->mfu / 1e12);
  fprintf(out, "Power       %.0f W per GPU training, %.0f W per node besides its GPUs\n\n", r->gpu_w, r->node_base_w);
}

static void print_time(const struct ic_scenario *s, const struct ic_train_result *r, FILE *out) {
  const struct ic_train_config *c = &s->train;
  char a[64];
  fprintf(out, "Compute time                   %.2f days\n", r->compute_s / 86400.0);
  fprintf(out, "Checkpoints                    +%.2f days (%.3g s stall every %.3g s)\n", r->checkpoint_s / 86400.0,
          c->checkpoint_write_s, c->checkpoint_interval_s);
  if (c->gpu_mtbf_h > 0)
    fprintf(out, "Interruptions                  +%.2f days (%.0f expected, one every %.2f h; %.3g s restart + %.3g s "
                 "lost work each)\n",
            r->failure_s / 86400.0, r->interruptions, c->gpu_mtbf_h / (double)r->gpus, c->failure_restart_s,
            (c->checkpoint_interval_s + c->checkpoint_write_s) / 2.0);
  else
    fprintf(out, "Interruptions                  none (train.gpu_mtbf_h = 0)\n");
  fprintf(out, "Wall clock                     %.2f days (%.1f%% of it training)\n", r->days, 100.0 * r->goodput);
  fprintf(out, "GPU-hours                      %s (GPUs x wall clock)\n\n", ic_report_thousands(r->gpu_hours, a, sizeof a));
}

static void print_ledger(const struct ic_scenario *s, const struct ic_train_result *r, FILE *out) {
  const struct ic_cost_config *k = &s->cost;
  bool rent = k->pricing == IC_PRICING_RENT;
  const char *method = k->amortization == IC_AMORT_ANNUITY ? "annuity" : "straight";
  struct run_row rows[16];
  size_t n = run_rows(r, rows);
  char a[64], b[128];
  snprintf(b, sizeof b, "Ledger of the run (%.2f days), %s", r->days, rent ? "rented" : "owned");
  fprintf(out, "%-42s%15s %15s\n", b, "kWh", "USD");
  fprintf(out, "  %-40s%15s %15.0f\n", rent ? "IT energy (paid in the rent)" : "IT energy",
          ic_report_thousands(rows[0].kwh, a, sizeof a), rows[0].usd);
  fprintf(out, "  %-40s%15s %15.0f\n", "Cooling, facility", ic_report_thousands(rows[1].kwh, a, sizeof a), rows[1].usd);
  if (rent) {
    snprintf(b, sizeof b, "Rent (%s GPU-h x $%.2f)", ic_report_thousands(r->gpu_hours, a, sizeof a), k->rent_usd_per_gpu_hour);
    fprintf(out, "  %-40s%15s %15.0f\n", b, "", rows[8].usd);
  } else {
    const char *what[] = {"servers", "GPUs", "network", "facility"};
    double years[] = {k->amortization_years, k->gpu_life_years, k->network_life_years, k->facility_life_years};
    for (size_t i = 0; i < 4; i++) {
      snprintf(b, sizeof b, "Amortization, %s (%.3g y, %s)", what[i], years[i], method);
      fprintf(out, "  %-40s%15s %15.0f\n", b, "", rows[2 + i].usd);
    }
    snprintf(b, sizeof b, "Maintenance (%.3g%% of capex a year)", 100.0 * k->maintenance_frac_per_year);
    fprintf(out, "  %-40s%15s %15.0f\n", b, "", rows[6].usd);
  }
  fprintf(out, "  %-40s%15s %15.0f\n", "Other opex", "", rows[7].usd);
  fprintf(out, "  %-40s%15s %15.0f\n\n", "Total", ic_report_thousands(rows[n - 1].kwh, a, sizeof a), r->total_usd);
  fprintf(out, "Capex (purchase, not per run)  USD %s\n", ic_report_thousands(r->day.capex_usd, a, sizeof a));
  fprintf(out, "Cost per million tokens        USD %.4f\n", r->usd_per_million_tokens);
  fprintf(out, "Carbon                         %.1f tCO2e (facility energy x grid intensity)\n", r->gco2e / 1e6);
}

void ic_train_print(const struct ic_scenario *s, const struct ic_train_result *r, FILE *out) {
  char prov[512];
  ic_report_provenance(s, prov, sizeof prov);
  fprintf(out, "# %s\n", prov);
  print_plan(s, r, out);
  print_time(s, r, out);
  print_ledger(s, r, out);
}

static char *summary_json(const struct ic_scenario *s, const struct ic_train_result *r) {
  char prov[512];
  ic_report_provenance(s, prov, sizeof prov);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "provenance", prov);
  cJSON_AddStringToObject(root, "recompute", ic__train_recompute_name(r->memory.recompute));
  cJSON *flops = cJSON_AddObjectToObject(root, "flops");
  cJSON_AddNumberToObject(flops, "dense_6nd", r->flops.dense);
  cJSON_AddNumberToObject(flops, "attention", r->flops.attention);
  cJSON_AddNumberToObject(flops, "total", r->flops.total);
  cJSON *mem = cJSON_AddObjectToObject(root, "memory_bytes_per_gpu");
  cJSON_AddNumberToObject(mem, "weights", r->memory.weights);
  cJSON_AddNumberToObject(mem, "gradients", r->memory.gradients);
  cJSON_AddNumberToObject(mem, "optimizer", r->memory.optimizer);
  cJSON_AddNumberToObject(mem, "activations", r->memory.activations);
  cJSON_AddNumberToObject(mem, "total", r->memory.total);
  cJSON_AddNumberToObject(mem, "available", r->memory.available);
  cJSON *time = cJSON_AddObjectToObject(root, "time_s");
  cJSON_AddNumberToObject(time, "compute", r->compute_s);
  cJSON_AddNumberToObject(time, "checkpoint", r->checkpoint_s);
  cJSON_AddNumberToObject(time, "failure", r->failure_s);
  cJSON_AddNumberToObject(time, "wall", r->wall_s);
  cJSON *ledger = cJSON_AddObjectToObject(root, "ledger_usd");
  struct run_row rows[16];
  size_t n = run_rows(r, rows);
  for (size_t i = 0; i < n; i++) cJSON_AddNumberToObject(ledger, rows[i].item, rows[i].usd);
  cJSON_AddNumberToObject(root, "capex_usd", r->day.capex_usd);
  cJSON *metrics = cJSON_AddObjectToObject(root, "metrics");
  size_t count;
  const struct ic_train_metric *t = ic_train_metric_table(&count);
  for (size_t i = 0; i < count; i++) cJSON_AddNumberToObject(metrics, t[i].name, t[i].get(r));
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  return text;
}

ic_status ic_train_write_dir(const struct ic_scenario *s, const struct ic_train_result *r, const char *dir) {
  char *json = summary_json(s, r);
  if (!json) return IC_ENOMEM;
  char *csv = NULL, prov[512];
  size_t len = 0;
  FILE *mem = open_memstream(&csv, &len);
  if (!mem) {
    cJSON_free(json);
    return IC_ENOMEM;
  }
  ic_report_provenance(s, prov, sizeof prov);
  fprintf(mem, "# %s\nitem,kwh,usd\n", prov);
  struct run_row rows[16];
  size_t n = run_rows(r, rows);
  for (size_t i = 0; i < n; i++) fprintf(mem, "%s,%.6f,%.6f\n", rows[i].item, rows[i].kwh, rows[i].usd);
  bool ok = fclose(mem) == 0;
  size_t json_len = strlen(json);
  char *json_nl = ok ? malloc(json_len + 2) : NULL;
  ic_status st = json_nl ? IC_OK : IC_ENOMEM;
  if (json_nl) {
    memcpy(json_nl, json, json_len);
    memcpy(json_nl + json_len, "\n", 2);
    st = ic_report_write_text(dir, "summary.json", json_nl);
  }
  if (st == IC_OK) st = ic_report_write_text(dir, "ledger.csv", csv);
  free(json_nl);
  free(csv);
  cJSON_free(json);
  return st;
}
