/* kernels.c: the measured-kernels table read with libcsv (the published
 * tables' reader, published_configs.h), each row's FLOPs and bytes, and
 * the compute model's time for it. Conventions: docs/validation-kernels.md. */
#include "infercost/kernels.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/hw.h"
#include "infercost/published_configs.h"

/* --- reading ------------------------------------------------------------------ */

enum col {
  C_ID, C_SOURCE, C_GPU, C_KERNEL, C_PRECISION, C_M, C_N, C_K, C_BATCH, C_HEADS, C_KV_HEADS, C_HEAD_DIM,
  C_CONTEXT, C_TIME, C_P10, C_P90, C_REPS, C_NOTE, C_IMPL, C_MODEL, C_COUNT
};
static const char *const col_names[C_COUNT] = {
    "id",    "source",   "gpu",      "kernel",  "precision", "m",           "n",           "k",    "batch",
    "heads", "kv_heads", "head_dim", "context", "time_us",   "time_us_p10", "time_us_p90", "reps", "note",
    "implementation", "model"};

static const char *const kind_names[IC_KERNEL_KIND_COUNT] = {"gemm", "attn_decode", "attn_prefill", "step_decode",
                                                              "step_prefill"};

static bool is_step(enum ic_kernel_kind kind) { return kind == IC_KERNEL_STEP_DECODE || kind == IC_KERNEL_STEP_PREFILL; }
static const enum ic_precision precisions[] = {IC_FP16, IC_BF16, IC_FP8};

/* A size above this is a typo, not a kernel (and keeps products in int64_t). */
#define SIZE_MAX_WHOLE 1e9

struct loader {
  const char *path;
  int col_of[64];          /* the file's field index -> enum col, -1: unknown */
  int fields_in_header;
  bool seen[C_COUNT];
  size_t field;            /* index of the field within the record */
  int line;                /* lines so far (the header is line 1) */
  int last_term;           /* what ended the previous record: '\r' of a CRLF pair */
  bool row_bad;            /* a field of this row was reported */
  bool header_bad;         /* the header was refused: rows are not read */
  struct ic_kernel_row cur;
  struct ic_kernel_row *rows;
  size_t count, cap;
  ic_status st;
};

static void bad(struct loader *l, int c, const char *what, const char *text) {
  ic_diag(l->path, l->line + 1, "column %d (%s): %s, got '%s'", c + 1, col_names[c], what, text);
  l->st = IC_EINVAL;
  l->row_bad = true;
}

/* An empty field is NaN; else a positive finite number (a whole one of at
 * most SIZE_MAX_WHOLE when `whole`). */
static double number(struct loader *l, int c, const char *text, bool whole) {
  if (!*text) return (double)NAN;
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || *end || !(v > 0) || !isfinite(v) || (whole && (v != floor(v) || v > SIZE_MAX_WHOLE))) {
    bad(l, c, whole ? "expected a positive whole number" : "expected a positive number", text);
    return (double)NAN;
  }
  return v;
}

static void text_field(struct loader *l, int c, char *dst, size_t size, const char *text) {
  if (strlen(text) >= size) bad(l, c, "too long", text);
  else strcpy(dst, text);
}

static void header_field(struct loader *l, size_t f, const char *name) {
  int c = 0;
  while (c < C_COUNT && strcmp(name, col_names[c])) c++;
  if (c == C_COUNT || l->seen[c] || f >= sizeof l->col_of / sizeof l->col_of[0]) {
    ic_diag(l->path, 1, "header: column %zu: %s '%s' (columns: id, source, gpu, kernel, precision, m, n, k, batch, "
            "heads, kv_heads, head_dim, context, time_us, time_us_p10, time_us_p90, reps, note, implementation, model)",
            f + 1, c < C_COUNT ? "repeated column" : "unknown column", name);
    l->st = IC_EINVAL;
    return;
  }
  l->seen[c] = true;
  l->col_of[f] = c;
}

static void on_field(void *data, size_t len, void *ctx) {
  struct loader *l = ctx;
  size_t f = l->field++;
  char buf[512];
  ic_pub_field_text(buf, sizeof buf, data, len);
  if (l->line == 0) {
    header_field(l, f, buf);
    return;
  }
  if (f >= (size_t)l->fields_in_header) return; /* counted in on_record */
  struct ic_kernel_row *r = &l->cur;
  int c = l->col_of[f];
  if (l->header_bad || c < 0) return;
  switch (c) {
  case C_ID: text_field(l, c, r->id, sizeof r->id, buf); break;
  case C_SOURCE: text_field(l, c, r->source, sizeof r->source, buf); break;
  case C_NOTE: text_field(l, c, r->note, sizeof r->note, buf); break;
  case C_IMPL: text_field(l, c, r->implementation, sizeof r->implementation, buf); break;
  case C_MODEL:
    if (*buf && !ic_model_find(buf)) {
      char what[512];
      snprintf(what, sizeof what, "expected a catalogue model (%s)", ic_model_names());
      bad(l, c, what, buf);
    } else text_field(l, c, r->model, sizeof r->model, buf);
    break;
  case C_GPU:
    if (!ic_hw_find_gpu(buf)) {
      char what[256];
      snprintf(what, sizeof what, "expected a catalogue GPU (%s)", ic_hw_gpu_names());
      bad(l, c, what, buf);
    } else text_field(l, c, r->gpu, sizeof r->gpu, buf);
    break;
  case C_KERNEL: {
    int k = 0;
    while (k < IC_KERNEL_KIND_COUNT && strcmp(buf, kind_names[k])) k++;
    if (k == IC_KERNEL_KIND_COUNT) bad(l, c, "expected " IC_KERNEL_KIND_CHOICES, buf);
    else r->kind = (enum ic_kernel_kind)k;
    break;
  }
  case C_PRECISION: {
    size_t k = 0, n = sizeof precisions / sizeof precisions[0];
    while (k < n && strcmp(buf, ic_precision_name(precisions[k]))) k++;
    if (k == n) bad(l, c, "expected " IC_KERNEL_PRECISION_CHOICES, buf);
    else r->precision = precisions[k];
    break;
  }
  case C_M: r->m = number(l, c, buf, true); break;
  case C_N: r->n = number(l, c, buf, true); break;
  case C_K: r->k = number(l, c, buf, true); break;
  case C_BATCH: r->batch = number(l, c, buf, true); break;
  case C_HEADS: r->heads = number(l, c, buf, true); break;
  case C_KV_HEADS: r->kv_heads = number(l, c, buf, true); break;
  case C_HEAD_DIM: r->head_dim = number(l, c, buf, true); break;
  case C_CONTEXT: r->context = number(l, c, buf, true); break;
  case C_REPS: r->reps = number(l, c, buf, true); break;
  case C_TIME: r->time_us = number(l, c, buf, false); break;
  case C_P10: r->time_us_p10 = number(l, c, buf, false); break;
  default: r->time_us_p90 = number(l, c, buf, false); break;
  }
}

static void reset_row(struct ic_kernel_row *r) {
  *r = (struct ic_kernel_row){.kind = IC_KERNEL_KIND_COUNT, .precision = IC_PRECISION_COUNT};
  double *nan_fields[] = {&r->m,       &r->n,        &r->k,       &r->batch,       &r->heads,       &r->kv_heads,
                          &r->head_dim, &r->context, &r->time_us, &r->time_us_p10, &r->time_us_p90, &r->reps};
  for (size_t i = 0; i < sizeof nan_fields / sizeof nan_fields[0]; i++) *nan_fields[i] = (double)NAN;
}

/* What a whole row needs: its identity, the sizes of its kind and none of
 * the other kind's, a time within its spread. Reported at the row's line;
 * a row whose fields were refused is not checked again. */
static void check_row(struct loader *l, const struct ic_kernel_row *r) {
  if (l->row_bad) return; /* its fields said what was wrong */
  size_t before = ic_diag_count();
  if (!*r->id || !*r->source || !*r->gpu || r->kind == IC_KERNEL_KIND_COUNT || r->precision == IC_PRECISION_COUNT ||
      isnan(r->time_us))
    ic_diag(l->path, l->line, "columns id, source, gpu, kernel, precision, time_us: each row needs all six");
  for (size_t i = 0; i < l->count; i++)
    if (!strcmp(l->rows[i].id, r->id))
      ic_diag(l->path, l->line, "column 1 (id): '%s' already on line %d", r->id, l->rows[i].line);
  bool gemm = r->kind == IC_KERNEL_GEMM, step = is_step(r->kind);
  /* Which kinds use each size: g gemm, a attention, s step. */
  const struct {
    int col;
    double v;
    const char *kinds;
  } sizes[] = {{C_M, r->m, "g"},           {C_N, r->n, "g"},
               {C_K, r->k, "g"},           {C_BATCH, r->batch, "as"},
               {C_HEADS, r->heads, "a"},  {C_KV_HEADS, r->kv_heads, "a"},
               {C_HEAD_DIM, r->head_dim, "a"}, {C_CONTEXT, r->context, "as"}};
  char kind_letter = gemm ? 'g' : step ? 's' : 'a';
  if (r->kind != IC_KERNEL_KIND_COUNT && step != (*r->model != 0))
    ic_diag(l->path, l->line, "column %d (model): kernel %s %s", C_MODEL + 1, kind_names[r->kind],
            step ? "needs it" : "leaves it empty");
  if (r->kind != IC_KERNEL_KIND_COUNT)
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      bool wanted = strchr(sizes[i].kinds, kind_letter) != NULL;
      if (wanted == isnan(sizes[i].v))
        ic_diag(l->path, l->line, "column %d (%s): kernel %s %s", sizes[i].col + 1, col_names[sizes[i].col],
                kind_names[r->kind], wanted ? "needs it" : "leaves it empty");
    }
  if (!gemm && !step && r->kv_heads > 0 && r->heads > 0 && fmod(r->heads, r->kv_heads) != 0)
    ic_diag(l->path, l->line, "column %d (kv_heads): %g query heads are not a multiple of %g KV heads",
            C_KV_HEADS + 1, r->heads, r->kv_heads);
  if (r->time_us_p10 > r->time_us || r->time_us > r->time_us_p90)
    ic_diag(l->path, l->line, "column %d (time_us): the median %g is outside its p10 %g and p90 %g", C_TIME + 1,
            r->time_us, r->time_us_p10, r->time_us_p90);
  if (ic_diag_count() > before) l->st = IC_EINVAL;
}

static void on_record(int term, void *ctx) {
  struct loader *l = ctx;
  size_t fields = l->field;
  bool crlf_tail = fields == 0 && term == '\n' && l->last_term == '\r';
  l->field = 0;
  l->last_term = term;
  if (crlf_tail) return;
  l->line++;
  if (l->line == 1) {
    l->fields_in_header = (int)fields;
    for (int c = 0; c < C_COUNT; c++)
      if (!l->seen[c]) {
        ic_diag(l->path, 1, "header: missing column '%s'", col_names[c]);
        l->st = IC_EINVAL;
      }
    l->header_bad = l->st != IC_OK;
  } else if (fields == 0 || l->header_bad) {
    /* a blank line, or a row under a refused header (whose fields mean nothing) */
  } else if (fields != (size_t)l->fields_in_header) {
    ic_diag(l->path, l->line, "expected %d fields as in the header, got %zu", l->fields_in_header, fields);
    l->st = IC_EINVAL;
  } else {
    check_row(l, &l->cur);
    void *rows = l->rows;
    if (l->st == IC_OK && ic_pub_grow(&rows, &l->cap, l->count, sizeof *l->rows, 64) != IC_OK) l->st = IC_ENOMEM;
    if (l->st == IC_OK) {
      l->rows = rows;
      l->cur.line = l->line;
      l->rows[l->count++] = l->cur;
    }
  }
  reset_row(&l->cur);
  l->row_bad = false;
}

ic_status ic_kernel_load(const char *path, struct ic_kernel_row **rows, size_t *count) {
  struct loader l = {.path = path, .st = IC_OK};
  for (size_t f = 0; f < sizeof l.col_of / sizeof l.col_of[0]; f++) l.col_of[f] = -1;
  reset_row(&l.cur);
  ic_status st = ic_pub_read_rows(path, "the measured-kernels table", on_field, on_record, &l, &l.line, &l.st, &l.count);
  if (st != IC_OK) {
    free(l.rows);
    return st;
  }
  *rows = l.rows;
  *count = l.count;
  return IC_OK;
}

/* --- prediction ---------------------------------------------------------------- */

const char *ic_kernel_kind_name(enum ic_kernel_kind kind) {
  return (unsigned)kind < IC_KERNEL_KIND_COUNT ? kind_names[kind] : "?";
}

/* Every precision of the row's model at the row's precision. */
static struct ic_precisions row_precisions(const struct ic_kernel_row *r) {
  return (struct ic_precisions){.weights = r->precision, .activations = r->precision, .kv = r->precision,
                                .experts = r->precision};
}

/* The iteration an attention or step row times: `batch` decode steps over
 * `context` cached tokens each, or `batch` prompts of `context` tokens. */
static struct ic_iter_shape row_shape(const struct ic_kernel_row *r) {
  int64_t batch = (int64_t)r->batch, context = (int64_t)r->context;
  bool decode = r->kind == IC_KERNEL_ATTN_DECODE || r->kind == IC_KERNEL_STEP_DECODE;
  return decode ? ic_iter_shape_decode(batch, context) : ic_iter_shape_prefill(context, batch);
}

void ic_kernel_work(const struct ic_kernel_row *r, double *flops, double *bytes) {
  double elem = ic_precision_bytes(r->precision);
  if (r->kind == IC_KERNEL_GEMM) {
    *flops = 2.0 * r->m * r->n * r->k;
    *bytes = (r->m * r->k + r->k * r->n) * elem + r->m * r->n * 2.0;
    return;
  }
  struct ic_precisions prec = row_precisions(r);
  struct ic_iter_shape s = row_shape(r);
  if (is_step(r->kind)) {
    struct ic_iter_cost c = ic_model_iter_cost(ic_model_find(r->model), &prec, &s);
    *flops = c.flops;
    *bytes = c.weight_bytes + c.kv_bytes + c.act_bytes;
    return;
  }
  /* One layer of a model of this attention shape: only its attention FLOPs
   * and KV-cache bytes are read. */
  struct ic_model_spec m = {.layers = 1, .heads = (int64_t)r->heads, .kv_heads = (int64_t)r->kv_heads,
                            .head_dim = (int64_t)r->head_dim, .hidden = (int64_t)(r->heads * r->head_dim),
                            .ffn = 1, .experts = 1, .experts_active = 1};
  struct ic_iter_cost c = ic_model_iter_cost(&m, &prec, &s);
  *flops = c.attn_flops;
  *bytes = c.kv_bytes;
}

/* A step: the iteration on one GPU under `params`, less its overheads. */
static double step_predict_s(const struct ic_kernel_row *r, const struct ic_perf_params *params) {
  struct ic_precisions prec = row_precisions(r);
  struct ic_perf perf;
  if (ic_perf_init(&perf, ic_model_find(r->model), ic_hw_find_gpu(r->gpu), 1, &prec, params, r->id) != IC_OK)
    return (double)NAN;
  struct ic_iter_shape s = row_shape(r);
  struct ic_perf_breakdown b;
  ic_perf_iter_s(&perf, &s, &b);
  return b.total_s - b.overhead_s;
}

double ic_kernel_predict_s(const struct ic_kernel_row *r, const struct ic_perf_params *params) {
  if (is_step(r->kind)) return step_predict_s(r, params);
  double flops, bytes;
  ic_kernel_work(r, &flops, &bytes);
  return ic_perf_kernel_s(ic_hw_find_gpu(r->gpu), params, r->precision, flops, bytes, r->kind != IC_KERNEL_GEMM);
}

int ic_kernel_band(const struct ic_kernel_row *r, const char **label) {
  static const char *const labels[IC_KERNEL_KIND_COUNT][3] = {
      {"gemm m <= 64", "gemm m 65-1024", "gemm m > 1024"},
      {"attn_decode context <= 1024", "attn_decode context 1025-8192", "attn_decode context > 8192"},
      {"attn_prefill context <= 1024", "attn_prefill context 1025-8192", "attn_prefill context > 8192"},
      {"step_decode tokens <= 64", "step_decode tokens 65-1024", "step_decode tokens > 1024"},
      {"step_prefill tokens <= 64", "step_prefill tokens 65-1024", "step_prefill tokens > 1024"}};
  bool by_tokens = r->kind == IC_KERNEL_GEMM || is_step(r->kind);
  double size = r->kind == IC_KERNEL_GEMM        ? r->m
                : r->kind == IC_KERNEL_STEP_DECODE ? r->batch
                : r->kind == IC_KERNEL_STEP_PREFILL ? r->batch * r->context
                                                    : r->context;
  double top = by_tokens ? 64 : 1024, mid = by_tokens ? 1024 : 8192;
  int b = size <= top ? 0 : size <= mid ? 1 : 2;
  *label = labels[r->kind][b];
  return b;
}
