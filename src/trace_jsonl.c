/* trace_jsonl.c: JSON Lines traces: one object per line, Mooncake's
 * (timestamp in ms, input_length, output_length, hash_ids) or any other
 * with a field map.
 *
 * One line is read at a time into a buffer that grows up to
 * IC_TRACE_LINE_MAX and is parsed by cJSON, which is freed before the next
 * line: memory is bounded by the longest line, never by the trace. Every
 * problem names the file, the line and the field, as the CSV reader does. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "trace_impl.h"

#define CHUNK (64 * 1024)
#define SHOW_MAX 48 /* characters of a bad value quoted in a message */

enum { F_TIME, F_PROMPT, F_OUTPUT, F_HASH, F_CLASS, NFIELDS };

struct ic__jsonl {
  char *path;
  struct ic__input *in;
  struct ic_trace_options opt;
  int format;                   /* IC_TRACE_MOONCAKE or IC_TRACE_JSONL */
  char field[NFIELDS][IC_TRACE_COLUMN_MAX]; /* "" = not read */
  int hash_mode;                /* 0: decided by the first row, 1: every row, 2: none */
  int time_unit;
  bool time_relative;
  int64_t block_tokens;

  /* input */
  char *chunk;
  size_t chunk_len, chunk_pos;
  bool eof;
  char *line;                   /* the current line, NUL-terminated */
  size_t line_cap;
  long line_no;                 /* line of the current line, from 1 */
  bool line_ended;              /* it ended with a newline (not the end of the file) */

  /* the current row */
  uint64_t *ids;
  size_t ids_cap;
  char class_text[IC_TRACE_COLUMN_MAX];
  bool row_bad;

  /* order and time base */
  bool have_prev, have_base;
  ic_time_ns prev_time, base;
  long prev_line;

  /* outcome */
  bool fatal, io_error, nomem;
  uint64_t good_rows, skipped;
  size_t errors;
  char first_skip[640];
};

/* --- messages ------------------------------------------------------------ */

static void row_error(struct ic__jsonl *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A problem with the current line: reported, or counted when skipping. */
static void row_error(struct ic__jsonl *j, const char *fmt, ...) {
  if (j->row_bad) return; /* one message per line */
  j->row_bad = true;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (j->opt.skip_bad_rows) {
    if (j->skipped == 0) snprintf(j->first_skip, sizeof j->first_skip, "line %ld: %s", j->line_no, msg);
    j->skipped++;
    return;
  }
  if (j->errors < IC_TRACE_MAX_ERRORS) ic_diag(j->path, j->line_no, "%s", msg);
  if (++j->errors == IC_TRACE_MAX_ERRORS) {
    ic_diag(j->path, 0, "too many errors (%d), stopping", IC_TRACE_MAX_ERRORS);
    j->fatal = true;
  }
}

/* The value as JSON text, shortened, for messages. */
static void show(const cJSON *v, char out[SHOW_MAX + 4]) {
  char *text = cJSON_PrintUnformatted(v);
  if (!text) {
    snprintf(out, SHOW_MAX + 4, "?");
    return;
  }
  snprintf(out, SHOW_MAX + 4, "%.*s%s", SHOW_MAX, text, strlen(text) > SHOW_MAX ? "..." : "");
  cJSON_free(text);
}

/* --- lines ------------------------------------------------------------------ */

/* Reads the next line into j->line (without its CR LF). false at the end
 * of the input or on a read error. A line longer than IC_TRACE_LINE_MAX is
 * read to its end, kept truncated, and flagged in *too_long. */
static bool next_line(struct ic__jsonl *j, size_t *len, bool *too_long) {
  size_t n = 0;
  bool any = false;
  *too_long = false;
  for (;;) {
    if (j->chunk_pos == j->chunk_len) {
      if (j->eof) break;
      bool error;
      j->chunk_len = ic__input_read(j->in, j->path, j->chunk, CHUNK, &j->eof, &error);
      j->chunk_pos = 0;
      if (error) {
        j->io_error = j->fatal = true;
        return false;
      }
      continue;
    }
    any = true;
    const char *start = j->chunk + j->chunk_pos;
    const char *nl = memchr(start, '\n', j->chunk_len - j->chunk_pos);
    size_t take = nl ? (size_t)(nl - start) : j->chunk_len - j->chunk_pos;
    j->chunk_pos += take + (nl != NULL);
    if (n + take + 1 > j->line_cap && !*too_long) {
      size_t cap = j->line_cap;
      while (cap < n + take + 1 && cap < IC_TRACE_LINE_MAX + 1) cap *= 2;
      if (cap > IC_TRACE_LINE_MAX + 1) cap = IC_TRACE_LINE_MAX + 1;
      char *p = cap > j->line_cap ? realloc(j->line, cap) : j->line;
      if (!p) {
        j->nomem = j->fatal = true;
        return false;
      }
      j->line = p;
      j->line_cap = cap;
    }
    if (n + take + 1 > j->line_cap) {
      *too_long = true;
      take = j->line_cap - 1 - n;
    }
    memcpy(j->line + n, start, take);
    n += take;
    if (nl) break;
  }
  j->line_ended = n > 0 && j->chunk_pos > 0 && j->chunk[j->chunk_pos - 1] == '\n';
  if (!any) return false;
  if (n > 0 && j->line[n - 1] == '\r') n--;
  if (j->line_no == 0 && n >= 3 && memcmp(j->line, "\xEF\xBB\xBF", 3) == 0) { /* byte-order mark */
    memmove(j->line, j->line + 3, n - 3);
    n -= 3;
  }
  j->line[n] = '\0';
  *len = n;
  return true;
}

/* --- fields --------------------------------------------------------------------- */

/* The field, or NULL after reporting it missing (with the keys the line has). */
static const cJSON *get(struct ic__jsonl *j, const cJSON *obj, int f) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, j->field[f]);
  if (v) return v;
  char have[256];
  size_t used = 0;
  have[0] = '\0';
  for (const cJSON *c = obj->child; c && used + 1 < sizeof have; c = c->next) {
    int w = snprintf(have + used, sizeof have - used, "%s%s", used ? ", " : "", c->string);
    if (w < 0) break;
    used += (size_t)w;
  }
  row_error(j, "%s: missing (the line has: %s)", j->field[f], used ? have : "no fields");
  return NULL;
}

static bool whole(double v, double lo, double hi) { return isfinite(v) && v == floor(v) && v >= lo && v <= hi; }

static bool tokens(struct ic__jsonl *j, const cJSON *obj, int f, int64_t *out) {
  const cJSON *v = get(j, obj, f);
  if (!v) return false;
  if (!cJSON_IsNumber(v) || !whole(v->valuedouble, 0, (double)IC_TRACE_MAX_TOKENS)) {
    char text[SHOW_MAX + 4];
    show(v, text);
    row_error(j, "%s: expected a whole number of tokens from 0 to %lld, got %s", j->field[f],
              (long long)IC_TRACE_MAX_TOKENS, text);
    return false;
  }
  *out = (int64_t)v->valuedouble;
  return true;
}

static bool time_field(struct ic__jsonl *j, const cJSON *obj, ic_time_ns *out) {
  static const char *const unit_names[] = {"seconds", "milliseconds", "microseconds", "nanoseconds"};
  static const int64_t ns_per_unit[] = {1000000000, 1000000, 1000, 1};
  const cJSON *v = get(j, obj, F_TIME);
  if (!v) return false;
  char text[SHOW_MAX + 4];
  if (j->time_unit == IC_TRACE_UNIT_DATETIME) {
    if (cJSON_IsString(v) && ic_trace_parse_datetime(v->valuestring, out)) return true;
    show(v, text);
    row_error(j, "%s: expected a date-time string like \"2023-11-16 18:17:03.9799600\", got %s", j->field[F_TIME],
              text);
    return false;
  }
  double x = cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
  double limit_units = 9e18 / (double)ns_per_unit[j->time_unit];
  if (!isfinite(x) || fabs(x) > limit_units || (j->time_relative && x < 0)) {
    show(v, text);
    row_error(j, "%s: expected %s number of %s, got %s", j->field[F_TIME], j->time_relative ? "a non-negative" : "a",
              unit_names[j->time_unit], text);
    return false;
  }
  /* whole numbers exactly; fractions rounded once to the nanosecond */
  if (x == floor(x) && fabs(x) < 9007199254740992.0) *out = (int64_t)x * ns_per_unit[j->time_unit];
  else *out = ic_time_from_s(x * (double)ns_per_unit[j->time_unit] / 1e9);
  return true;
}

/* 64-bit FNV-1a of a string id, so ids may be hex digests. */
static uint64_t hash_text(const char *s) {
  uint64_t h = UINT64_C(14695981039346656037);
  for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
  return h;
}

static bool hash_ids(struct ic__jsonl *j, const cJSON *obj, int64_t prompt, size_t *count) {
  const char *name = j->field[F_HASH];
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (j->hash_mode == 0) j->hash_mode = v ? 1 : 2; /* mooncake: the first row decides */
  *count = 0;
  if (j->hash_mode == 2) return true;
  if (!(v = get(j, obj, F_HASH))) return false;
  char text[SHOW_MAX + 4];
  if (!cJSON_IsArray(v)) {
    show(v, text);
    row_error(j, "%s: expected an array of block ids, got %s", name, text);
    return false;
  }
  size_t n = (size_t)cJSON_GetArraySize(v);
  int64_t want = (prompt + j->block_tokens - 1) / j->block_tokens;
  if ((int64_t)n != want) {
    row_error(j, "%s: %zu ids for %lld prompt tokens, expected %lld (one per block of %lld tokens)", name, n,
              (long long)prompt, (long long)want, (long long)j->block_tokens);
    return false;
  }
  if (n > j->ids_cap) {
    uint64_t *p = realloc(j->ids, n * sizeof *p);
    if (!p) {
      j->nomem = j->fatal = true;
      return false;
    }
    j->ids = p;
    j->ids_cap = n;
  }
  size_t i = 0;
  for (const cJSON *e = v->child; e; e = e->next, i++) {
    if (cJSON_IsString(e)) {
      j->ids[i] = hash_text(e->valuestring);
    } else if (cJSON_IsNumber(e) && whole(e->valuedouble, 0, 9007199254740992.0)) {
      j->ids[i] = (uint64_t)e->valuedouble;
    } else {
      show(e, text);
      row_error(j, "%s: item %zu: expected an integer from 0 to 2^53 or a string, got %s", name, i + 1, text);
      return false;
    }
  }
  *count = n;
  return true;
}

static bool class_field(struct ic__jsonl *j, const cJSON *obj) {
  const cJSON *v = get(j, obj, F_CLASS);
  if (!v) return false;
  if (cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) < sizeof j->class_text) {
    snprintf(j->class_text, sizeof j->class_text, "%s", v->valuestring);
    return true;
  }
  if (cJSON_IsNumber(v) && whole(v->valuedouble, -1e15, 1e15)) {
    snprintf(j->class_text, sizeof j->class_text, "%.0f", v->valuedouble);
    return true;
  }
  char text[SHOW_MAX + 4];
  show(v, text);
  row_error(j, "%s: expected a class name (a string of 1 to %zu characters, or an integer), got %s",
            j->field[F_CLASS], sizeof j->class_text - 1, text);
  return false;
}

/* --- rows ------------------------------------------------------------------- */

/* Parses the current line into *rec; false when the line is bad (reported). */
static bool parse_row(struct ic__jsonl *j, size_t len, struct ic_trace_record *rec) {
  const char *end = NULL;
  cJSON *obj = cJSON_ParseWithLengthOpts(j->line, len, &end, false);
  if (!obj) {
    size_t col = end && end >= j->line ? (size_t)(end - j->line) + 1 : 1;
    if (col >= len || !j->line_ended)
      row_error(j, "malformed JSON: the line ends inside an unfinished value (truncated?)");
    else
      row_error(j, "malformed JSON near column %zu", col);
    return false;
  }
  bool ok = false;
  while (end && end < j->line + len && isspace((unsigned char)*end)) end++;
  if (end && end != j->line + len) {
    row_error(j, "malformed JSON near column %zu: text after the object", (size_t)(end - j->line) + 1);
  } else if (!cJSON_IsObject(obj)) {
    row_error(j, "expected a JSON object on each line");
  } else {
    ic_time_ns t = 0;
    int64_t p = 0, o = 0;
    size_t nids = 0;
    ok = time_field(j, obj, &t) && tokens(j, obj, F_PROMPT, &p) && tokens(j, obj, F_OUTPUT, &o) &&
         hash_ids(j, obj, p, &nids) && (!j->field[F_CLASS][0] || class_field(j, obj));
    if (ok && j->have_prev && t < j->prev_time) {
      row_error(j, "%s: goes backwards: %.6f s before the previous row's (line %ld)", j->field[F_TIME],
                ic_time_to_s(j->prev_time - t), j->prev_line);
      ok = false;
    }
    if (ok) {
      *rec = (struct ic_trace_record){.line = j->line_no, .time_ns = t, .prompt_tokens = p, .output_tokens = o};
      rec->block_ids = nids ? j->ids : NULL;
      rec->block_count = nids;
      rec->class_name = j->field[F_CLASS][0] ? j->class_text : NULL;
    }
  }
  cJSON_Delete(obj);
  return ok;
}

ic_status ic__jsonl_next(struct ic__jsonl *j, struct ic_trace_record *rec) {
  size_t len;
  bool too_long;
  while (!j->fatal && next_line(j, &len, &too_long)) {
    j->line_no++;
    j->row_bad = false;
    size_t k = 0;
    while (k < len && isspace((unsigned char)j->line[k])) k++;
    if (k == len && !too_long) continue; /* blank line: skipped, counted */
    if (too_long) {
      row_error(j, "line longer than %d bytes", IC_TRACE_LINE_MAX);
      continue;
    }
    if (!parse_row(j, len, rec)) continue;
    if (!j->have_base) {
      j->have_base = true;
      j->base = j->time_relative ? 0 : rec->time_ns;
    }
    j->have_prev = true;
    j->prev_time = rec->time_ns;
    j->prev_line = j->line_no;
    rec->time_ns -= j->base;
    j->good_rows++;
    return IC_OK;
  }
  if (j->nomem) return IC_ENOMEM;
  if (j->io_error) return IC_EIO;
  if (!j->fatal && j->good_rows == 0 && j->errors == 0) {
    if (j->skipped)
      ic_diag(j->path, 0, "no valid rows: all %llu rows were bad and skipped (first: %s)",
              (unsigned long long)j->skipped, j->first_skip);
    else
      ic_diag(j->path, 0, "empty file: expected one JSON object per line");
    j->errors++;
    j->fatal = true;
  }
  return j->errors ? IC_EINVAL : IC_ENOENT;
}

/* --- open and close ------------------------------------------------------------- */

struct ic__jsonl *ic__jsonl_open(const char *path, struct ic__input *in, const struct ic_trace_options *opt,
                                 ic_status *status) {
  struct ic__jsonl *j = calloc(1, sizeof *j);
  *status = IC_ENOMEM;
  if (!j) {
    ic__input_close(in);
    return NULL;
  }
  j->in = in;
  j->opt = *opt;
  j->path = malloc(strlen(path) + 1);
  j->chunk = malloc(CHUNK);
  j->line_cap = 4096;
  j->line = malloc(j->line_cap);
  if (!j->path || !j->chunk || !j->line) goto fail;
  strcpy(j->path, path);
  j->block_tokens = opt->block_tokens > 0 ? opt->block_tokens : 512;
  snprintf(j->field[F_CLASS], IC_TRACE_COLUMN_MAX, "%s", opt->class_column);
  if (opt->format == IC_TRACE_JSONL) {
    j->format = IC_TRACE_JSONL;
    const char *given[] = {opt->time_column, opt->prompt_column, opt->output_column};
    static const char *const roles[] = {"time", "prompt tokens", "output tokens"};
    for (int f = 0; f < 3; f++) {
      if (!given[f][0]) {
        ic_diag(path, 0, "format jsonl: no %s field given", roles[f]);
        *status = IC_EINVAL;
        goto fail;
      }
      snprintf(j->field[f], IC_TRACE_COLUMN_MAX, "%s", given[f]);
    }
    snprintf(j->field[F_HASH], IC_TRACE_COLUMN_MAX, "%s", opt->hash_column);
    j->hash_mode = opt->hash_column[0] ? 1 : 2;
    j->time_unit = opt->time_unit;
    j->time_relative = opt->time_unit != IC_TRACE_UNIT_DATETIME && opt->time_relative;
  } else {
    if (opt->format != IC_TRACE_MOONCAKE && opt->format != IC_TRACE_AUTO) {
      ic_diag(path, 0, "a JSON Lines trace needs format auto, mooncake or jsonl, not %s",
              ic_trace_format_name(opt->format));
      *status = IC_EINVAL;
      goto fail;
    }
    j->format = IC_TRACE_MOONCAKE;
    static const char *const names[] = {"timestamp", "input_length", "output_length", "hash_ids"};
    for (int f = 0; f < 4; f++) snprintf(j->field[f], IC_TRACE_COLUMN_MAX, "%s", names[f]);
    j->hash_mode = 0;
    j->time_unit = IC_TRACE_UNIT_MS;
    j->time_relative = true;
  }
  *status = IC_OK;
  return j;
fail:
  ic__jsonl_free(j);
  return NULL;
}

int ic__jsonl_format(const struct ic__jsonl *j) { return j->format; }
uint64_t ic__jsonl_skipped(const struct ic__jsonl *j) { return j->skipped; }
const char *ic__jsonl_first_skip(const struct ic__jsonl *j) { return j->first_skip; }
uint64_t ic__jsonl_content_hash(const struct ic__jsonl *j) { return ic__input_hash(j->in); }

void ic__jsonl_free(struct ic__jsonl *j) {
  if (!j) return;
  ic__input_close(j->in);
  free(j->ids);
  free(j->line);
  free(j->chunk);
  free(j->path);
  free(j);
}
