/* trace.c: streaming CSV trace reader on libcsv.
 *
 * The file is read in fixed-size chunks and fed to csv_parse in strict mode.
 * Fields are checked as they arrive (cb1), rows and their order at the end
 * of each record (cb2), so every message carries the line it came from.
 * libcsv gives no line numbers: CSV_REPALL_NL makes it report every CR and
 * LF, and the end-of-record callback counts them (a CR followed by LF is
 * one line end). Good rows wait in a queue bounded by the chunk size (each
 * row needs at least one byte), so memory does not grow with the trace. */
#include "infercost/trace.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "trace_impl.h"

#define DEFAULT_CHUNK (64 * 1024)
#define MAX_COLUMNS 64
#define FIELD_MAX 128 /* longest field text kept for messages */

enum { COL_TIME, COL_PROMPT, COL_OUTPUT, NCOLS, COL_CLASS = NCOLS }; /* the class column is optional */
#define MAX_CLASSES 64 /* distinct class names in a trace */

/* The first 16 characters ("2023-11-16 18:17") of the last date-time that
 * parsed, and their seconds since the epoch. Consecutive rows of a trace
 * mostly share them, so only what follows the minute is parsed again. */
struct dt_cache {
  bool valid;
  char prefix[16];
  int64_t minute_s;
};

struct ic_trace {
  char *path;
  struct ic__input *in;   /* the bytes (trace_input.c) */
  struct ic__jsonl *jsonl; /* set: a JSON Lines trace, read by trace_jsonl.c */
  struct csv_parser csv;
  bool csv_live;
  unsigned char *chunk;
  size_t chunk_bytes;
  /* The content hash (FNV-1a 64 of every byte read), computed by the reader
   * rather than by ic__input_read: a slice of the chunk at each field, so
   * that the hash's chain of multiplies runs beside libcsv's work instead
   * of before it, and the rest of the chunk once it is parsed. */
  uint64_t hash;
  const unsigned char *hash_at, *hash_end; /* bytes of the chunk not hashed yet */
  struct ic_trace_options opt;
  int format;            /* resolved */
  int time_unit;         /* resolved */
  bool time_relative;    /* resolved */

  /* header */
  bool header_done;
  char (*header)[IC_TRACE_COLUMN_MAX];
  size_t header_fields;  /* fields seen in the header (all of them) */
  size_t ncols;          /* fields every row must have; 0 = unknown yet */
  long col[NCOLS + 1];   /* 0-based field index of time, prompt, output, class (-1: none) */
  char col_name[NCOLS + 1][IC_TRACE_COLUMN_MAX];
  char (*classes)[IC_TRACE_COLUMN_MAX]; /* class names met so far, each kept once */
  size_t nclasses;
  size_t row_class;      /* index into classes of the current row's */

  /* row being assembled */
  long line;             /* line the next record starts on */
  long extra_lines;      /* newlines inside quoted fields of this record */
  int last_term;         /* terminator of the previous record */
  size_t field;          /* fields seen in this record */
  bool row_bad;
  bool in_row;           /* messages now are about a data row (skippable) */
  uint64_t rows_seen;    /* data records met, good or bad */
  ic_time_ns row_time;
  int64_t row_tokens[2];
  char row_time_text[FIELD_MAX];
  struct dt_cache dt;    /* the last date-time's date, hour and minute */

  /* order check and time base */
  bool have_prev;
  ic_time_ns prev_time;  /* raw (before subtracting the base) */
  long prev_line;
  bool have_base;
  ic_time_ns base;

  /* queue of good rows */
  struct ic_trace_record *q;
  size_t q_head, q_len, q_cap;

  /* outcome */
  bool eof, fatal, nomem, io_error;
  uint64_t good_rows, skipped;
  size_t errors;
  char first_skip[640];
};

/* --- messages ----------------------------------------------------------- */

static void vreport(ic_trace *t, long line, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

static void vreport(ic_trace *t, long line, const char *fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (t->opt.skip_bad_rows && t->in_row && !t->fatal) {
    if (t->skipped == 0) snprintf(t->first_skip, sizeof t->first_skip, "line %ld: %s", line, msg);
    return;
  }
  if (t->errors < IC_TRACE_MAX_ERRORS) ic_diag(t->path, line, "%s", msg);
  t->errors++;
  if (t->errors == IC_TRACE_MAX_ERRORS) {
    ic_diag(t->path, 0, "too many errors (%d), stopping", IC_TRACE_MAX_ERRORS);
    t->fatal = true;
  }
}

static void report(ic_trace *t, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void report(ic_trace *t, long line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(t, line, fmt, ap);
  va_end(ap);
}

/* A problem with one field of the current row. */
static void field_error(ic_trace *t, int which, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void field_error(ic_trace *t, int which, const char *fmt, ...) {
  if (t->row_bad) return; /* one message per row */
  t->row_bad = true;
  char what[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  report(t, t->line, "column %ld (%s): %s", t->col[which] + 1, t->col_name[which], what);
}

/* --- number and time parsing --------------------------------------------- */

static const char *const format_names[] = {"auto", "azure", "burstgpt", "vidur", "generic", "mooncake", "jsonl"};

const char *ic_trace_format_name(int format) {
  if (format < 0 || format > IC_TRACE_JSONL) return "?";
  return format_names[format];
}

/* isdigit is '0' to '9' in every locale; this one is inlined. */
static inline bool is_digit(char c) { return (unsigned)(c - '0') <= 9; }

/* Parses digits [ '.' digits ] exactly into units of 10^-9 of the unit; the
 * fraction beyond 9 digits is truncated. false if not of that shape. */
static bool parse_decimal_nano(const char *s, size_t len, int64_t *out) {
  size_t i = 0;
  int64_t whole = 0, frac = 0;
  int frac_digits = 0;
  bool any = false;
  while (i < len && is_digit(s[i])) {
    if (whole > (INT64_MAX / 10 - 9) / 1000000000) return false;
    whole = whole * 10 + (s[i] - '0');
    i++;
    any = true;
  }
  if (i < len && s[i] == '.') {
    i++;
    while (i < len && is_digit(s[i])) {
      if (frac_digits < 9) {
        frac = frac * 10 + (s[i] - '0');
        frac_digits++;
      }
      i++;
      any = true;
    }
  }
  /* The loop's bound keeps `whole` itself in range; this one its nanos. */
  if (!any || i != len || whole > (INT64_MAX - 999999999) / 1000000000) return false;
  for (; frac_digits < 9; frac_digits++) frac *= 10;
  *out = whole * 1000000000 + frac;
  return true;
}

static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!is_digit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

/* The date, hour and minute of s[0..15] ("2023-11-16 18:17", or with 'T')
 * as seconds since the epoch; false if not a valid one. */
static bool parse_minute(const char *s, int64_t *minute_s) {
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y, mo, d, h, mi;
  if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
      (s[10] != ' ' && s[10] != 'T') || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59) return false;
  if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  *minute_s = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
  return true;
}

/* The date-time s[0..len) (no NUL needed); with a cache, a date and minute
 * equal to the last one's are not parsed again. Every character is checked
 * either way: the cached prefix is compared byte for byte. */
static bool parse_datetime(const char *s, size_t len, struct dt_cache *cache, ic_time_ns *out_ns) {
  int64_t minute_s;
  int se;
  if (len < 19) return false;
  if (cache && cache->valid && memcmp(s, cache->prefix, sizeof cache->prefix) == 0) {
    minute_s = cache->minute_s;
  } else {
    if (!parse_minute(s, &minute_s)) return false;
    if (cache) {
      memcpy(cache->prefix, s, sizeof cache->prefix);
      cache->minute_s = minute_s;
      cache->valid = true;
    }
  }
  if (s[16] != ':' || !digits(s + 17, 2, &se) || se > 60) return false;
  const char *p = s + 19, *end = s + len;
  int64_t frac = 0;
  if (p < end && *p == '.') {
    p++;
    int n = 0;
    if (p >= end || !is_digit(*p)) return false;
    while (p < end && is_digit(*p)) {
      if (n < 9) {
        frac = frac * 10 + (*p - '0');
        n++;
      }
      p++;
    }
    for (; n < 9; n++) frac *= 10;
  }
  int64_t offset_s = 0;
  if (p < end && *p == 'Z') {
    p++;
  } else if (p < end && (*p == '+' || *p == '-')) {
    int oh, om;
    if (end - p != 6 || !digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
      return false;
    offset_s = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    p += 6;
  }
  if (p != end) return false;
  int64_t secs = minute_s + se - offset_s;
  /* Nanoseconds in 64 bits reach 1677-09-21 to 2262-04-11; beyond, refuse
   * rather than overflow. */
  int64_t ns;
  if (__builtin_mul_overflow(secs, IC_NS_PER_S, &ns) || __builtin_add_overflow(ns, frac, &ns)) return false;
  *out_ns = ns;
  return true;
}

bool ic_trace_parse_datetime(const char *s, ic_time_ns *out_ns) { return parse_datetime(s, strlen(s), NULL, out_ns); }

/* --- field checks ---------------------------------------------------------- */

static void copy_field(char *dst, size_t cap, const char *s, size_t len) {
  if (len >= cap) len = cap - 1;
  memcpy(dst, s, len);
  dst[len] = '\0';
}

/* A time that parsed: its text is kept only when finish_row will need it
 * for a message (it goes backwards, or too far from the base; neither
 * moves before then). true: the field held no line end. */
static bool time_parsed(ic_trace *t, const char *s, size_t len) {
  int64_t unused;
  if ((t->have_prev && t->row_time < t->prev_time) ||
      (t->have_base && __builtin_sub_overflow(t->row_time, t->base, &unused)))
    copy_field(t->row_time_text, sizeof t->row_time_text, s, len);
  return true;
}

/* Checks the time field; true when it parsed as a number or a date-time,
 * both without line ends. */
static bool check_time(ic_trace *t, const char *s, size_t len) {
  if (t->time_unit == IC_TRACE_UNIT_DATETIME && len < FIELD_MAX && parse_datetime(s, len, &t->dt, &t->row_time))
    return time_parsed(t, s, len);
  char *text = t->row_time_text;
  copy_field(text, sizeof t->row_time_text, s, len);
  if (t->time_unit == IC_TRACE_UNIT_DATETIME) {
    /* Well formed but out of range: the same text in the year 2000 parses. */
    char in_2000[FIELD_MAX];
    ic_time_ns unused;
    memcpy(in_2000, text, sizeof in_2000);
    if (len >= 19) memcpy(in_2000, "2000", 4);
    if (len >= 19 && len < FIELD_MAX && parse_datetime(in_2000, len, NULL, &unused))
      field_error(t, COL_TIME, "date-time '%s' is out of range: allowed from 1677-09-22 to 2262-04-11 UTC "
                  "(nanoseconds in 64 bits)", text);
    else
      field_error(t, COL_TIME, "expected a date-time like 2023-11-16 18:17:03.9799600, got '%s'", text);
    return false;
  }
  static const int64_t per_unit_div[] = {1, 1000, 1000000, 1000000000}; /* ns per 1e9 units */
  int64_t nano_units;
  double v;
  char *endp;
  if (parse_decimal_nano(s, len, &nano_units)) {
    t->row_time = nano_units / per_unit_div[t->time_unit];
    return time_parsed(t, s, len);
  }
  errno = 0;
  v = (len > 0 && len < FIELD_MAX) ? strtod(text, &endp) : (double)NAN;
  if (len == 0 || len >= FIELD_MAX || *endp != '\0' || !isfinite(v) || errno == ERANGE ||
      (t->time_relative && v < 0) || fabs(v) > 9e18 / 1e9 * (double)per_unit_div[t->time_unit]) {
    static const char *const unit_names[] = {"seconds", "milliseconds", "microseconds", "nanoseconds"};
    field_error(t, COL_TIME, "expected %s time in %s, got '%s'", t->time_relative ? "a non-negative" : "a",
                unit_names[t->time_unit], text);
    return false;
  }
  /* per_unit_div[u] is also units per second: v units are v / that seconds */
  t->row_time = ic_time_from_s(v / (double)per_unit_div[t->time_unit]);
  return false; /* strtod skips leading white space, line ends included */
}

/* True when the field is a token count (digits, no line end) of at most
 * IC_REQUEST_TOKENS_MAX. */
static bool check_tokens(ic_trace *t, int which, const char *s, size_t len) {
  int64_t v = 0;
  size_t i = 0;
  bool ok = len > 0, over = false;
  for (; ok && i < len && is_digit(s[i]); i++) {
    over = over || v > IC_REQUEST_TOKENS_MAX;
    if (!over) v = v * 10 + (s[i] - '0');
  }
  if (ok && i < len) {
    /* accept a whole number written as "12.0" (BurstGPT, Vidur) */
    if (s[i] == '.' && i > 0) {
      for (i++; i < len && s[i] == '0'; i++) {}
    }
    ok = i == len;
  }
  if (!ok || over || v > IC_REQUEST_TOKENS_MAX) {
    char text[FIELD_MAX];
    copy_field(text, sizeof text, s, len);
    if (ok)
      field_error(t, which, "%s tokens are more than infercost's limit of %lld for one request", text,
                  (long long)IC_REQUEST_TOKENS_MAX);
    else
      field_error(t, which, "expected a non-negative integer, got '%s'", text);
    return false;
  }
  t->row_tokens[which - COL_PROMPT] = v;
  return true;
}

/* The class names are kept once each (records point at them), so a trace
 * may name at most MAX_CLASSES. */
static void check_class(ic_trace *t, const char *s, size_t len) {
  char text[IC_TRACE_COLUMN_MAX];
  copy_field(text, sizeof text, s, len);
  if (len == 0 || len >= IC_TRACE_COLUMN_MAX) {
    field_error(t, COL_CLASS, "expected a class name of 1 to %d characters, got '%s'", IC_TRACE_COLUMN_MAX - 1, text);
    return;
  }
  for (t->row_class = 0; t->row_class < t->nclasses; t->row_class++)
    if (strcmp(t->classes[t->row_class], text) == 0) return;
  if (t->nclasses == MAX_CLASSES) {
    field_error(t, COL_CLASS, "more than %d distinct class names; '%s' is one too many", MAX_CLASSES, text);
    return;
  }
  if (!t->classes && !(t->classes = calloc(MAX_CLASSES, sizeof *t->classes))) {
    t->nomem = t->fatal = true;
    return;
  }
  memcpy(t->classes[t->nclasses++], text, len + 1);
}

/* --- header ----------------------------------------------------------------- */

static long find_header(const ic_trace *t, const char *name) {
  for (size_t i = 0; i < t->header_fields && i < MAX_COLUMNS; i++)
    if (strcmp(t->header[i], name) == 0) return (long)i;
  return -1;
}

static void header_list(const ic_trace *t, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < t->header_fields && i < MAX_COLUMNS && used + 1 < size; i++) {
    int n = snprintf(buf + used, size - used, "%s%s", i ? "," : "", t->header[i]);
    if (n < 0) break;
    used += (size_t)n;
  }
}

/* Maps a column given by name or by 1-based number. */
static bool map_column(ic_trace *t, int which, const char *spec, const char *role) {
  char *end;
  long idx = -1;
  if (*spec && isdigit((unsigned char)*spec)) {
    idx = strtol(spec, &end, 10) - 1;
    if (*end || idx < 0 || (t->header_fields && (size_t)idx >= t->header_fields)) {
      report(t, 1, "%s column %s: expected a header name or a column number from 1 to %zu", role, spec,
             t->header_fields ? t->header_fields : (size_t)MAX_COLUMNS);
      return false;
    }
  } else if (!t->opt.no_header) {
    idx = find_header(t, spec);
  }
  if (idx < 0) {
    char have[512];
    header_list(t, have, sizeof have);
    report(t, 1, "missing column '%s' (%s; the header has: %s)", spec, role, have);
    return false;
  }
  t->col[which] = idx;
  if (!t->opt.no_header && (size_t)idx < t->header_fields && idx < MAX_COLUMNS)
    snprintf(t->col_name[which], IC_TRACE_COLUMN_MAX, "%s", t->header[idx]);
  else
    snprintf(t->col_name[which], IC_TRACE_COLUMN_MAX, "%s", role);
  return true;
}

static int detect_format(const ic_trace *t) {
  if (find_header(t, "TIMESTAMP") == 0 && find_header(t, "ContextTokens") == 1 && find_header(t, "GeneratedTokens") == 2)
    return IC_TRACE_AZURE;
  if (find_header(t, "Timestamp") >= 0 && find_header(t, "Request tokens") >= 0) return IC_TRACE_BURSTGPT;
  if (find_header(t, "arrived_at") == 0 && find_header(t, "num_prefill_tokens") == 1 &&
      find_header(t, "num_decode_tokens") == 2)
    return IC_TRACE_VIDUR;
  return IC_TRACE_AUTO;
}

/* Called once the header row (or, without one, the options) is known. */
static void resolve_columns(ic_trace *t) {
  static const char *const known[][3] = {
      {NULL, NULL, NULL},
      {"TIMESTAMP", "ContextTokens", "GeneratedTokens"},
      {"Timestamp", "Request tokens", "Response tokens"},
      {"arrived_at", "num_prefill_tokens", "num_decode_tokens"},
  };
  static const char *const roles[] = {"time", "prompt tokens", "output tokens"};
  t->header_done = true;
  if (t->format == IC_TRACE_AUTO) {
    t->format = detect_format(t);
    if (t->format == IC_TRACE_AUTO) {
      char have[512];
      header_list(t, have, sizeof have);
      report(t, 1, "unknown trace header '%s': expected Azure (TIMESTAMP,ContextTokens,GeneratedTokens), "
                   "BurstGPT (Timestamp,...,Request tokens,Response tokens), Vidur (arrived_at,num_prefill_tokens,"
                   "num_decode_tokens), or format generic with a column mapping", have);
      t->fatal = true;
      return;
    }
  }
  bool ok = true;
  for (int c = 0; c < NCOLS; c++) {
    const char *spec = t->format == IC_TRACE_GENERIC
                           ? (c == COL_TIME ? t->opt.time_column : c == COL_PROMPT ? t->opt.prompt_column : t->opt.output_column)
                           : known[t->format][c];
    if (!*spec && c == COL_TIME && t->format == IC_TRACE_GENERIC && t->opt.lengths_only) continue; /* time 0 */
    if (!*spec) {
      report(t, 1, "generic trace: no %s column given", roles[c]);
      ok = false;
      continue;
    }
    ok = map_column(t, c, spec, roles[c]) && ok;
  }
  if (t->opt.class_column[0]) ok = map_column(t, COL_CLASS, t->opt.class_column, "class") && ok;
  switch (t->format) {
  case IC_TRACE_AZURE: t->time_unit = IC_TRACE_UNIT_DATETIME; t->time_relative = false; break;
  case IC_TRACE_BURSTGPT: t->time_unit = IC_TRACE_UNIT_S; t->time_relative = true; break;
  case IC_TRACE_VIDUR: t->time_unit = IC_TRACE_UNIT_S; t->time_relative = true; break;
  default: t->time_unit = t->opt.time_unit; t->time_relative = t->opt.time_relative; break;
  }
  if (t->time_unit == IC_TRACE_UNIT_DATETIME) t->time_relative = false;
  if (!ok) t->fatal = true;
  t->ncols = t->header_fields;
}

/* --- libcsv callbacks ---------------------------------------------------- */

#define HASH_SLICE 16 /* bytes hashed at each field: about 64 cycles of a chain the parse overlaps */

static inline void hash_slice(ic_trace *t) {
  if (t->hash_end - t->hash_at >= HASH_SLICE) {
    t->hash = ic__fnv1a(t->hash, t->hash_at, HASH_SLICE);
    t->hash_at += HASH_SLICE;
  }
}

static void on_field(void *s, size_t len, void *data) {
  ic_trace *t = data;
  hash_slice(t);
  const char *f = s ? s : "";
  size_t i = t->field++;
  bool no_line_end = false; /* checked as a number or a date-time: no newline to count */
  if (t->fatal) {
  } else if (!t->header_done) {
    if (i < MAX_COLUMNS) copy_field(t->header[i], IC_TRACE_COLUMN_MAX, f, len);
    t->header_fields = t->field;
  } else if (!t->row_bad) {
    t->in_row = true;
    if ((long)i == t->col[COL_TIME]) no_line_end = check_time(t, f, len);
    else if ((long)i == t->col[COL_PROMPT]) no_line_end = check_tokens(t, COL_PROMPT, f, len);
    else if ((long)i == t->col[COL_OUTPUT]) no_line_end = check_tokens(t, COL_OUTPUT, f, len);
    else if ((long)i == t->col[COL_CLASS]) check_class(t, f, len);
    t->in_row = false;
  }
  if (no_line_end) return;
  for (const char *nl = memchr(f, '\n', len); nl; nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - f)))
    t->extra_lines++;
}

static bool push(ic_trace *t, const struct ic_trace_record *r) {
  if (t->q_len == t->q_cap) {
    size_t cap = t->q_cap ? 2 * t->q_cap : 256; /* a power of 2: indices wrap by a mask */
    struct ic_trace_record *nq = malloc(cap * sizeof *nq);
    if (!nq) {
      t->nomem = t->fatal = true;
      return false;
    }
    for (size_t k = 0; k < t->q_len; k++) nq[k] = t->q[(t->q_head + k) & (t->q_cap - 1)];
    free(t->q);
    t->q = nq;
    t->q_cap = cap;
    t->q_head = 0;
  }
  t->q[(t->q_head + t->q_len++) & (t->q_cap - 1)] = *r;
  return true;
}

static void finish_row(ic_trace *t) {
  if (t->ncols == 0) { /* headerless: the first row fixes the field count */
    t->ncols = t->field;
    for (int c = 0; c <= COL_CLASS; c++)
      if (t->col[c] >= 0 && (size_t)t->col[c] >= t->ncols) {
        t->fatal = true;
        t->in_row = false;
        ic_diag(t->path, t->line, "column %ld (%s) is beyond the %zu fields of the first row", t->col[c] + 1,
                t->col_name[c], t->ncols);
        t->errors++;
        return;
      }
  }
  if (t->field != t->ncols) {
    if (!t->row_bad) {
      t->row_bad = true;
      report(t, t->line, "malformed row: expected %zu fields, got %zu", t->ncols, t->field);
    }
  } else if (!t->row_bad && t->have_prev && t->row_time < t->prev_time) {
    field_error(t, COL_TIME, "timestamp goes backwards: '%s' is %.6f s before the previous row's (line %ld)",
                t->row_time_text, ((double)t->prev_time - (double)t->row_time) / 1e9, t->prev_line);
  }
  int64_t since_base = 0;
  if (!t->row_bad && t->have_base && __builtin_sub_overflow(t->row_time, t->base, &since_base))
    field_error(t, COL_TIME, "'%s' is more than 292 years after the first row's time (nanoseconds in 64 bits)",
                t->row_time_text);
  if (t->row_bad) {
    if (t->opt.skip_bad_rows && !t->fatal) t->skipped++;
    return;
  }
  if (!t->have_base) {
    t->have_base = true;
    t->base = t->time_relative ? 0 : t->row_time;
  }
  t->have_prev = true;
  t->prev_time = t->row_time;
  t->prev_line = t->line;
  struct ic_trace_record r = {t->line, t->row_time - t->base, t->row_tokens[0], t->row_tokens[1], NULL, 0,
                              t->col[COL_CLASS] >= 0 ? t->classes[t->row_class] : NULL}; /* checked above */
  if (push(t, &r)) t->good_rows++;
}

static void on_record(int c, void *data) {
  ic_trace *t = data;
  if (t->field == 0) {
    /* LF of a CRLF pair, or a blank line (skipped, but counted) */
    if (!(c == '\n' && t->last_term == '\r')) t->line++;
    t->last_term = c;
    return;
  }
  if (!t->fatal) {
    if (!t->header_done) {
      resolve_columns(t);
    } else {
      t->rows_seen++;
      t->in_row = true;
      finish_row(t);
      t->in_row = false;
    }
  }
  t->field = 0;
  t->row_bad = false;
  t->line += 1 + t->extra_lines;
  t->extra_lines = 0;
  t->last_term = c;
}

/* --- reading --------------------------------------------------------------- */

static void parse_error(ic_trace *t) {
  report(t, t->line, "malformed CSV: %s", csv_strerror(csv_error(&t->csv)));
  t->fatal = true;
}

/* Reads and parses one more chunk; sets eof at the end of the file. */
static void fill(ic_trace *t) {
  bool eof, error;
  size_t n = ic__input_read(t->in, t->path, t->chunk, t->chunk_bytes, &eof, &error);
  if (error) { /* reported */
    t->io_error = t->fatal = true;
    return;
  }
  const unsigned char *p = t->chunk;
  t->hash_at = p;
  t->hash_end = p + n; /* a byte-order mark included */
  if (t->line == 1 && t->field == 0 && !t->header_done && n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
    p += 3; /* UTF-8 byte-order mark: accepted and stripped */
    n -= 3;
  }
  bool parsed = n == 0 || csv_parse(&t->csv, p, n, on_field, on_record, t) == n;
  t->hash = ic__fnv1a(t->hash, t->hash_at, (size_t)(t->hash_end - t->hash_at));
  t->hash_at = t->hash_end;
  if (!parsed) {
    parse_error(t);
    return;
  }
  if (eof) {
    if (csv_fini(&t->csv, on_field, on_record, t) != 0) parse_error(t);
    t->eof = true;
  }
}

static void check_end(ic_trace *t) {
  if (t->fatal) return;
  if (!t->header_done || (t->opt.no_header && t->rows_seen == 0)) {
    report(t, 0, "empty file: expected %s", t->opt.no_header ? "at least one row" : "a header line and rows");
  } else if (t->good_rows == 0 && t->errors == 0) {
    if (t->skipped)
      report(t, 0, "no valid rows: all %llu data rows were bad and skipped (first: %s)",
             (unsigned long long)t->skipped, t->first_skip);
    else
      report(t, 0, "no data rows after the header");
  }
}

ic_status ic_trace_next(ic_trace *t, struct ic_trace_record *rec) {
  if (t->jsonl) return ic__jsonl_next(t->jsonl, rec);
  while (t->q_len == 0 && !t->eof && !t->fatal) {
    fill(t);
    if (t->eof) check_end(t);
  }
  if (t->q_len > 0 && !t->fatal) {
    *rec = t->q[t->q_head];
    t->q_head = (t->q_head + 1) & (t->q_cap - 1);
    t->q_len--;
    return IC_OK;
  }
  if (t->nomem) return IC_ENOMEM;
  if (t->io_error) return IC_EIO;
  return t->errors ? IC_EINVAL : IC_ENOENT;
}

ic_trace *ic_trace_open(const char *path, const struct ic_trace_options *opt, ic_status *status) {
  static const struct ic_trace_options defaults = {0};
  ic_status st = IC_ENOMEM;
  ic_trace *t = calloc(1, sizeof *t);
  if (!t) goto fail;
  t->opt = opt ? *opt : defaults;
  t->chunk_bytes = t->opt.chunk_bytes ? t->opt.chunk_bytes : DEFAULT_CHUNK;
  t->path = malloc(strlen(path) + 1);
  t->chunk = malloc(t->chunk_bytes);
  t->header = calloc(MAX_COLUMNS, sizeof *t->header);
  if (!t->path || !t->chunk || !t->header) goto fail;
  strcpy(t->path, path);
  t->format = t->opt.format;
  t->line = 1;
  for (int c = 0; c <= COL_CLASS; c++) t->col[c] = -1;
  if (t->format < IC_TRACE_AUTO || t->format > IC_TRACE_JSONL) {
    ic_diag(path, 0, "unknown trace format %d", t->format);
    st = IC_EINVAL;
    goto fail;
  }
  if (t->opt.no_header && t->format != IC_TRACE_GENERIC) {
    ic_diag(path, 0, "a trace without a header line needs format generic with column numbers");
    st = IC_EINVAL;
    goto fail;
  }
  if (csv_init(&t->csv, CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI) != 0) goto fail;
  t->csv_live = true;
  if (!(t->in = ic__input_open(path, &st))) goto fail;
  t->hash = IC__FNV1A_OFFSET;
  int first = IC_TRACE_IS_JSONL(t->format) || t->format == IC_TRACE_AUTO ? ic__input_peek(t->in, path) : 0;
  if (first == -2) {
    st = IC_EIO;
    goto fail;
  }
  if (IC_TRACE_IS_JSONL(t->format) || first == '{') { /* JSON Lines: the other reader */
    struct ic__input *in = t->in;
    t->in = NULL;
    if (!(t->jsonl = ic__jsonl_open(path, in, &t->opt, &st))) goto fail;
    if (status) *status = IC_OK;
    return t;
  }
  if (t->opt.hash_column[0]) {
    ic_diag(path, 0, "block ids are read from JSON Lines traces only; this one is CSV");
    st = IC_EINVAL;
    goto fail;
  }
  ic__input_defer_hash(t->in); /* hashed in fill and on_field */
  if (t->opt.no_header) {
    resolve_columns(t); /* numbers only; the first row fixes the field count */
    if (t->fatal) {
      st = IC_EINVAL;
      goto fail;
    }
  }
  /* Read until the header is known so that header problems fail here. */
  while (!t->header_done && !t->eof && !t->fatal) {
    fill(t);
    if (t->eof) check_end(t);
  }
  if (t->fatal || (t->eof && t->errors)) {
    st = t->io_error ? IC_EIO : IC_EINVAL;
    goto fail;
  }
  if (status) *status = IC_OK;
  return t;
fail:
  if (status) *status = st;
  ic_trace_free(t);
  return NULL;
}

int ic_trace_format(const ic_trace *t) { return t->jsonl ? ic__jsonl_format(t->jsonl) : t->format; }
uint64_t ic_trace_content_hash(const ic_trace *t) {
  return t->jsonl ? ic__jsonl_content_hash(t->jsonl) : t->hash;
}
uint64_t ic_trace_skipped_rows(const ic_trace *t) { return t->jsonl ? ic__jsonl_skipped(t->jsonl) : t->skipped; }
const char *ic_trace_first_skip_reason(const ic_trace *t) {
  return t->jsonl ? ic__jsonl_first_skip(t->jsonl) : t->first_skip;
}

void ic_trace_free(ic_trace *t) {
  if (!t) return;
  ic__input_close(t->in);
  ic__jsonl_free(t->jsonl);
  if (t->csv_live) csv_free(&t->csv);
  free(t->q);
  free(t->header);
  free(t->classes);
  free(t->chunk);
  free(t->path);
  free(t);
}
