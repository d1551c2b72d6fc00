/* published_configs.c: the submissions' scheduler settings, read with
 * libcsv. What each column means and where it was read: the file's
 * source_url and note columns, docs/validation-published.md. */
#include "infercost/published_configs.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/status.h"

enum col { C_EXPERIMENT, C_MODE, C_MAX_BATCH, C_MAX_NUM_TOKENS, C_CHUNKED, C_STEPS, C_MIN_QUEUE, C_MEMORY, C_CHUNK_MAX, C_SOURCE, C_COUNT };
static const char *const col_names[C_COUNT] = {"experiment",      "mode",           "max_batch",         "max_num_tokens",
                                               "chunked_prefill", "scheduler_steps", "prefill_min_queue", "gpu_memory_utilization",
                                               "prefill_chunk_max_tokens", "source_url"};

struct loader {
  const char *path;
  int where[C_COUNT];
  size_t field;
  int line;
  struct ic_pub_config cur;
  bool has_source;
  struct ic_pub_config *rows;
  size_t count, cap;
  ic_status st;
};

static void bad(struct loader *l, const char *col, const char *what, const char *text) {
  ic_diag(l->path, l->line + 1, "column %s: %s, got '%s'", col, what, text);
  l->st = IC_EINVAL;
}

/* An empty count is 0 (not stated); else a whole number >= 0 (max_batch and scheduler_steps >= 1). */
static long count_of(struct loader *l, const char *text, int c) {
  if (!*text) return 0;
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  long least = c == C_MAX_BATCH || c == C_STEPS ? 1 : 0;
  if (errno || *end || v < least || v > 1000000000L) {
    bad(l, col_names[c], least ? "expected a whole number >= 1" : "expected a whole number >= 0", text);
    return 0;
  }
  return v;
}

/* An empty share is 0 (not stated); else a number in (0, 1]. */
static double fraction_of(struct loader *l, const char *text, int c) {
  if (!*text) return 0.0;
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || *end || !(v > 0.0 && v <= 1.0)) {
    bad(l, col_names[c], "expected a share of the GPU's memory in (0, 1]", text);
    return 0.0;
  }
  return v;
}

static void on_field(void *data, size_t len, void *ctx) {
  struct loader *l = ctx;
  size_t f = l->field++;
  char buf[1024];
  ic_pub_field_text(buf, sizeof buf, data, len);
  if (l->line == 0) {
    for (int c = 0; c < C_COUNT; c++)
      if (!strcmp(buf, col_names[c])) l->where[c] = (int)f;
    return;
  }
  struct ic_pub_config *r = &l->cur;
  for (int c = 0; c < C_COUNT; c++) {
    if (l->where[c] != (int)f) continue;
    switch (c) {
    case C_EXPERIMENT:
      if (!*buf || strlen(buf) >= sizeof r->experiment) bad(l, col_names[c], "expected an experiment id", buf);
      else strcpy(r->experiment, buf);
      break;
    case C_MODE:
      if (strcmp(buf, "offline") && strcmp(buf, "server") && strcmp(buf, "interactive"))
        bad(l, col_names[c], "expected offline, server or interactive", buf);
      else strcpy(r->mode, buf);
      break;
    case C_CHUNKED:
      if (strcmp(buf, "yes") && strcmp(buf, "no")) bad(l, col_names[c], "expected yes or no", buf);
      r->chunked = !strcmp(buf, "yes");
      break;
    case C_SOURCE:
      l->has_source = strncmp(buf, "https://", 8) == 0;
      if (!l->has_source) bad(l, col_names[c], "expected the https:// address the values were read at", buf);
      break;
    case C_MAX_BATCH: r->max_batch = count_of(l, buf, c); break;
    case C_MAX_NUM_TOKENS: r->max_num_tokens = count_of(l, buf, c); break;
    case C_STEPS: r->scheduler_steps = count_of(l, buf, c); break;
    case C_MEMORY: r->gpu_memory_utilization = fraction_of(l, buf, c); break;
    case C_CHUNK_MAX: r->prefill_chunk_max_tokens = count_of(l, buf, c); break;
    default: r->prefill_min_queue = count_of(l, buf, c); break;
    }
  }
}

static void on_record(int term, void *ctx) {
  (void)term;
  struct loader *l = ctx;
  l->field = 0;
  l->line++;
  if (l->line == 1) {
    for (int c = 0; c < C_COUNT; c++)
      if (l->where[c] < 0 && c != C_MEMORY && c != C_CHUNK_MAX) { /* these two may be absent: none stated */
        ic_diag(l->path, 1, "header: missing column '%s'", col_names[c]);
        l->st = IC_EINVAL;
      }
  } else if (l->st == IC_OK) {
    if (!*l->cur.experiment || !*l->cur.mode || !l->has_source) {
      ic_diag(l->path, l->line, "columns experiment, mode, source_url: each row needs all three");
      l->st = IC_EINVAL;
    } else if (ic_pub_find_config(l->rows, l->count, l->cur.experiment, l->cur.mode)) {
      ic_diag(l->path, l->line, "column experiment: %s, %s given twice", l->cur.experiment, l->cur.mode);
      l->st = IC_EINVAL;
    } else {
      void *rows = l->rows;
      if (ic_pub_grow(&rows, &l->cap, l->count, sizeof *l->rows, 64) != IC_OK) {
        l->st = IC_ENOMEM;
        return;
      }
      l->rows = rows;
      l->cur.line = l->line;
      l->rows[l->count++] = l->cur;
    }
  }
  memset(&l->cur, 0, sizeof l->cur);
  l->has_source = false;
}

ic_status ic_pub_grow(void **rows, size_t *cap, size_t count, size_t elem_size, size_t first_cap) {
  if (count < *cap) return IC_OK;
  size_t grown = *cap ? 2 * *cap : first_cap;
  void *p = realloc(*rows, grown * elem_size);
  if (!p) return IC_ENOMEM;
  *rows = p;
  *cap = grown;
  return IC_OK;
}

ic_status ic_pub_read_csv(const char *path, const char *what, void (*field)(void *, size_t, void *),
                          void (*record)(int, void *), void *ctx, const int *line, ic_status *st) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    ic_diag(path, 0, "cannot open %s: %s", what, strerror(errno));
    return IC_EIO;
  }
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI) != 0) {
    fclose(f);
    return IC_ENOMEM;
  }
  char block[8192];
  size_t n;
  while (*st == IC_OK && (n = fread(block, 1, sizeof block, f)) > 0)
    if (csv_parse(&p, block, n, field, record, ctx) != n) {
      ic_diag(path, *line + 1, "not valid CSV: %s", csv_strerror(csv_error(&p)));
      *st = IC_EINVAL;
    }
  if (*st == IC_OK && csv_fini(&p, field, record, ctx) != 0) {
    ic_diag(path, *line + 1, "not valid CSV: %s", csv_strerror(csv_error(&p)));
    *st = IC_EINVAL;
  }
  csv_free(&p);
  fclose(f);
  return *st;
}

ic_status ic_pub_read_rows(const char *path, const char *what, void (*field)(void *, size_t, void *),
                           void (*record)(int, void *), void *ctx, const int *line, ic_status *st, const size_t *count) {
  ic_status read = ic_pub_read_csv(path, what, field, record, ctx, line, st);
  if (read == IC_OK && *count == 0) {
    ic_diag(path, 0, "the table has no rows");
    return IC_EINVAL;
  }
  return read;
}

void ic_pub_field_text(char *buf, size_t size, const void *data, size_t len) {
  if (!data) len = 0;
  if (len >= size) len = size - 1;
  if (len) memcpy(buf, data, len);
  buf[len] = '\0';
}

ic_status ic_pub_load_configs(const char *path, struct ic_pub_config **configs, size_t *count) {
  struct loader l = {.path = path, .st = IC_OK};
  for (int c = 0; c < C_COUNT; c++) l.where[c] = -1;
  ic_status opened = ic_pub_read_csv(path, "the submissions' configuration table", on_field, on_record, &l, &l.line, &l.st);
  if (opened == IC_EIO || opened == IC_ENOMEM) return opened;
  if (l.st != IC_OK) {
    free(l.rows);
    return l.st;
  }
  *configs = l.rows;
  *count = l.count;
  return IC_OK;
}

const struct ic_pub_config *ic_pub_find_config(const struct ic_pub_config *configs, size_t count, const char *experiment,
                                               const char *mode) {
  for (size_t i = 0; i < count; i++)
    if (!strcmp(configs[i].experiment, experiment) && !strcmp(configs[i].mode, mode)) return &configs[i];
  return NULL;
}
