/* scenario.c: reading, validating and printing scenarios.
 *
 * The format is INI-like: `# comment` or `; comment` lines, `[section]`
 * headers, `key = value` lines, and `# comment` after a value. A hand-written
 * reader is used (not inih) because every key must carry its own line number
 * into later cross-key checks, and every problem in a file is reported, not
 * only the first. */
#include "infercost/scenario.h"

#include "scenario_impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ERRORS 20

static size_t flat_index(size_t section, size_t key) {
  size_t idx = key;
  for (size_t i = 0; i < section; i++) idx += ic_scenario_sections[i].key_count;
  return idx;
}

static void *field_ptr(struct ic_scenario *s, const struct ic_section_def *sec, const struct ic_key_def *k) {
  return (char *)s + sec->offset + k->offset;
}

static const void *cfield_ptr(const struct ic_scenario *s, const struct ic_section_def *sec,
                              const struct ic_key_def *k) {
  return (const char *)s + sec->offset + k->offset;
}

static char *trim(char *text) {
  while (isspace((unsigned char)*text)) text++;
  size_t n = strlen(text);
  while (n && isspace((unsigned char)text[n - 1])) text[--n] = '\0';
  return text;
}

/* Index of `word` in "a|b|c", or -1. */
static int choice_index(const char *choices, const char *word) {
  size_t wlen = strlen(word);
  int idx = 0;
  for (const char *p = choices; *p; idx++) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == wlen && strncmp(p, word, len) == 0) return idx;
    if (!bar) break;
    p = bar + 1;
  }
  return -1;
}

/* Name of choice `idx` into buf. */
static void choice_name(const char *choices, int idx, char *buf, size_t size) {
  const char *p = choices;
  for (int i = 0; i < idx && p; i++) {
    p = strchr(p, '|');
    if (p) p++;
  }
  if (!p) {
    snprintf(buf, size, "?");
    return;
  }
  const char *bar = strchr(p, '|');
  size_t len = bar ? (size_t)(bar - p) : strlen(p);
  snprintf(buf, size, "%.*s", (int)len, p);
}

static void describe_range(const struct ic_key_def *k, char *buf, size_t size) {
  char lo[32], hi[32];
  snprintf(lo, sizeof lo, "%.15g", k->min);
  snprintf(hi, sizeof hi, "%.15g", k->max);
  snprintf(buf, size, "%s%s, %s]", k->min_open ? "(" : "[", lo, hi);
}

static bool allows_auto(const struct ic_key_def *k) {
  return k->default_text && strcmp(k->default_text, "auto") == 0;
}

static void expected_number(const struct ic_key_def *k, const char *text, char *err, size_t errsize) {
  snprintf(err, errsize, "expected %s%s, got '%s'", k->type == IC_KEY_INT ? "an integer" : "a number",
           allows_auto(k) ? " or 'auto'" : "", text);
}

/* A decimal number as the docs define it: [sign] digits [. digits]
 * [e [sign] digits]; no hex ("0x10"), inf or nan, which strtod would take. */
static bool is_decimal(const char *p) {
  if (*p == '+' || *p == '-') p++;
  size_t digits = 0;
  for (; isdigit((unsigned char)*p); p++) digits++;
  if (*p == '.')
    for (p++; isdigit((unsigned char)*p); p++) digits++;
  if (!digits) return false;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return false;
    while (isdigit((unsigned char)*p)) p++;
  }
  return *p == '\0';
}

/* Refuses, with the reason, what strtod would take but the docs do not
 * allow (hexadecimal, inf, nan) and decimals no double holds (1e400, 1e-400). */
static bool decimal_ok(const struct ic_key_def *k, const char *text, char *err, size_t errsize) {
  const char *digits = text + (*text == '+' || *text == '-');
  if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    snprintf(err, errsize, "expected a decimal number, got hexadecimal '%s'", text);
    return false;
  }
  if (!is_decimal(text)) {
    expected_number(k, text, err, errsize);
    return false;
  }
  errno = 0;
  double v = strtod(text, NULL);
  if (errno == ERANGE) {
    char range[96];
    describe_range(k, range, sizeof range);
    snprintf(err, errsize, "value %s is out of range (%s as a double): allowed %s%s%s", text,
             fabs(v) > 1.0 ? "too large" : "too small", range, *k->unit ? " " : "", k->unit);
    return false;
  }
  return true;
}

/* An integer key, parsed as an integer so that every int64 survives
 * (a double holds integers exactly only up to 2^53): digits through strtoll;
 * the exponent form (1e6) through strtod when whole and at most 2^53. */
static bool parse_int(const struct ic_key_def *k, const char *text, int64_t *out, char *err, size_t errsize) {
  if (!decimal_ok(k, text, err, errsize)) return false;
  char *end = NULL;
  errno = 0;
  long long whole = *text ? strtoll(text, &end, 10) : 0;
  if (*text && *end == '\0' && errno == 0) {
    *out = whole;
    return true;
  }
  errno = 0;
  double v = *text ? strtod(text, &end) : (double)NAN;
  if (!*text || *end != '\0' || !isfinite(v) || errno == ERANGE) {
    expected_number(k, text, err, errsize);
    return false;
  }
  if (v != floor(v)) {
    snprintf(err, errsize, "expected a whole number, got '%s'", text);
    return false;
  }
  if (fabs(v) > 9007199254740992.0) {
    snprintf(err, errsize, "expected an integer written in digits (an exponent form is exact only up to 2^53), "
             "got '%s'", text);
    return false;
  }
  *out = (int64_t)v;
  return true;
}

/* Parses `text` into the field; on failure writes why into err and leaves
 * the field as it was. */
static bool parse_value(const struct ic_key_def *k, const char *text, void *field, char *err, size_t errsize) {
  char range[96];
  describe_range(k, range, sizeof range);
  switch (k->type) {
  case IC_KEY_INT: {
    if (allows_auto(k) && strcmp(text, "auto") == 0) {
      *(int64_t *)field = IC_KEY_INT_AUTO;
      return true;
    }
    int64_t v;
    if (!parse_int(k, text, &v, err, errsize)) return false;
    /* the bounds compared as integers, so that 2^53 + 1 is not rounded */
    int64_t lo = (int64_t)ceil(k->min), hi = k->max >= 9.2e18 ? INT64_MAX : (int64_t)floor(k->max);
    if (v < lo || v > hi || (k->min_open && (double)v <= k->min)) {
      snprintf(err, errsize, "value %s is out of range: allowed %s%s%s", text, range, *k->unit ? " " : "", k->unit);
      return false;
    }
    *(int64_t *)field = v;
    return true;
  }
  case IC_KEY_REAL: {
    if (allows_auto(k) && strcmp(text, "auto") == 0) {
      *(double *)field = (double)NAN;
      return true;
    }
    if (!decimal_ok(k, text, err, errsize)) return false;
    char *end = NULL;
    errno = 0;
    double v = *text ? strtod(text, &end) : (double)NAN;
    if (!*text || *end != '\0' || !isfinite(v) || errno == ERANGE) {
      expected_number(k, text, err, errsize);
      return false;
    }
    if (v < k->min || v > k->max || (k->min_open && v <= k->min)) {
      snprintf(err, errsize, "value %s is out of range: allowed %s%s%s", text, range, *k->unit ? " " : "", k->unit);
      return false;
    }
    *(double *)field = v;
    return true;
  }
  case IC_KEY_BOOL: {
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
      if (strcmp(text, yes[i]) == 0) { *(bool *)field = true; return true; }
      if (strcmp(text, no[i]) == 0) { *(bool *)field = false; return true; }
    }
    snprintf(err, errsize, "expected true or false, got '%s'", text);
    return false;
  }
  case IC_KEY_CHOICE: {
    int idx = choice_index(k->choices, text);
    if (idx < 0) {
      snprintf(err, errsize, "expected one of %s, got '%s'", k->choices, text);
      return false;
    }
    *(int *)field = idx;
    return true;
  }
  case IC_KEY_TEXT:
    if (!*text || strlen(text) >= IC_KEY_TEXT_MAX) {
      snprintf(err, errsize, "expected a name of 1 to %d characters, got '%s'", IC_KEY_TEXT_MAX - 1, text);
      return false;
    }
    memcpy(field, text, strlen(text) + 1);
    return true;
  }
  snprintf(err, errsize, "unsupported key type");
  return false;
}

bool ic__scenario_parse(const struct ic_key_def *k, const char *text, void *field, char *err, size_t errsize) {
  return parse_value(k, text, field, err, errsize);
}

void ic_format_double(double v, char *buf, size_t size) {
  /* the shortest of 15, 16, 17 significant digits that reads back as v
   * (17 always does): 0.05 stays "0.05", 0.1 + 0.2 prints all its digits */
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, v);
    if (strtod(buf, NULL) == v) return;
  }
}

void ic_key_format(const struct ic_key_def *k, const void *field, char *buf, size_t size) {
  switch (k->type) {
  case IC_KEY_REAL: {
    double v = *(const double *)field;
    if (isnan(v))
      snprintf(buf, size, "auto");
    else
      ic_format_double(v, buf, size);
    return;
  }
  case IC_KEY_INT: {
    int64_t v = *(const int64_t *)field;
    if (v == IC_KEY_INT_AUTO && allows_auto(k))
      snprintf(buf, size, "auto");
    else
      snprintf(buf, size, "%lld", (long long)v);
    return;
  }
  case IC_KEY_BOOL: snprintf(buf, size, "%s", *(const bool *)field ? "true" : "false"); return;
  case IC_KEY_CHOICE: choice_name(k->choices, *(const int *)field, buf, size); return;
  case IC_KEY_TEXT: snprintf(buf, size, "%s", (const char *)field); return;
  }
}

void ic_scenario_defaults(struct ic_scenario *s) {
  memset(s, 0, sizeof *s);
  snprintf(s->source, sizeof s->source, "built-in default");
  char err[256];
  for (size_t i = 0; i < ic_scenario_section_count; i++) {
    const struct ic_section_def *sec = &ic_scenario_sections[i];
    for (size_t j = 0; j < sec->key_count; j++) {
      bool ok = parse_value(&sec->keys[j], sec->keys[j].default_text, field_ptr(s, sec, &sec->keys[j]), err, sizeof err);
      if (!ok) ic_diag("scenario_keys.c", 0, "bad default for %s.%s: %s", sec->name, sec->keys[j].name, err);
    }
  }
}

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return 99;
  size_t row[64];
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (row[j] + 1 < best) best = row[j] + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* The closest "section.key" to `dotted`, for "did you mean". */
static bool suggest_key(const char *dotted, char *buf, size_t size) {
  size_t best = 99;
  char name[160];
  for (size_t i = 0; i < ic_scenario_section_count; i++) {
    const struct ic_section_def *sec = &ic_scenario_sections[i];
    for (size_t j = 0; j < sec->key_count; j++) {
      snprintf(name, sizeof name, "%s.%s", sec->name, sec->keys[j].name);
      /* The length difference bounds the distance from below: most names
       * are skipped without the quadratic table. */
      size_t la = strlen(dotted), lb = strlen(name), lk = strlen(sec->keys[j].name);
      const char *dot0 = strchr(dotted, '.');
      size_t lbare = dot0 ? strlen(dot0 + 1) : 0;
      if ((la > lb ? la - lb : lb - la) >= best && (!dot0 || (lbare > lk ? lbare - lk : lk - lbare) + 1 >= best))
        continue;
      size_t d = edit_distance(dotted, name);
      /* Also match the bare key, for a right key under the wrong section. */
      const char *dot = strchr(dotted, '.');
      size_t d2 = dot ? edit_distance(dot + 1, sec->keys[j].name) + 1 : 99;
      if (d2 < d) d = d2;
      if (d < best) {
        best = d;
        snprintf(buf, size, "%s", name);
      }
    }
  }
  size_t len = strlen(dotted);
  return best <= (len / 3 > 2 ? len / 3 : 2);
}

const struct ic_key_def *ic_scenario_find_key(const char *dotted, const struct ic_section_def **section) {
  const char *dot = strchr(dotted, '.');
  if (!dot) return NULL;
  size_t slen = (size_t)(dot - dotted);
  for (size_t i = 0; i < ic_scenario_section_count; i++) {
    const struct ic_section_def *sec = &ic_scenario_sections[i];
    if (strlen(sec->name) != slen || strncmp(sec->name, dotted, slen) != 0) continue;
    for (size_t j = 0; j < sec->key_count; j++)
      if (strcmp(sec->keys[j].name, dot + 1) == 0) {
        if (section) *section = sec;
        return &sec->keys[j];
      }
  }
  return NULL;
}

static size_t key_flat_index(const struct ic_section_def *sec, const struct ic_key_def *k) {
  return flat_index((size_t)(sec - ic_scenario_sections), (size_t)(k - sec->keys));
}

const char *ic_scenario_origin(const struct ic_scenario *s, const char *dotted) {
  const struct ic_section_def *sec = NULL;
  const struct ic_key_def *k = ic_scenario_find_key(dotted, &sec);
  if (!k) return "unknown key";
  const char *o = s->origin[key_flat_index(sec, k)];
  return *o ? o : "default";
}

/* Sets "section.key" from text; reports problems at (path, line). */
static bool assign(struct ic_scenario *s, const char *dotted, const char *value, const char *path, long line,
                   const char *origin) {
  if (strncmp(dotted, "pool.", 5) == 0) return ic__pool_assign(s, dotted + 5, value, path, line, origin);
  const struct ic_section_def *sec = NULL;
  const struct ic_key_def *k = ic_scenario_find_key(dotted, &sec);
  if (!k) {
    char hint[160];
    if (suggest_key(dotted, hint, sizeof hint))
      ic_diag(path, line, "unknown key '%s' (did you mean '%s'?)", dotted, hint);
    else
      ic_diag(path, line, "unknown key '%s' (see docs/scenario-format.md for the keys)", dotted);
    return false;
  }
  char err[512];
  if (!parse_value(k, value, field_ptr(s, sec, k), err, sizeof err)) {
    ic_diag(path, line, "%s: %s", dotted, err);
    return false;
  }
  snprintf(s->origin[key_flat_index(sec, k)], IC_ORIGIN_MAX, "%s", origin);
  return true;
}

/* Strips a trailing " # comment" or " ; comment" from a value. */
static void strip_comment(char *value) {
  for (char *p = value; *p; p++)
    if ((*p == '#' || *p == ';') && (p == value || isspace((unsigned char)p[-1]))) {
      *p = '\0';
      return;
    }
}

ic_status ic_scenario_load_text(struct ic_scenario *s, const char *text, const char *name) {
  /* Every message and provenance line names the file as "name:line"; a
   * longer name would be cut there, so it is refused. */
  if (strlen(name) > IC_SCENARIO_PATH_MAX) {
    ic_diag("infercost", 0, "scenario path is %zu bytes long, at most %d allowed: '%.60s...'", strlen(name),
            IC_SCENARIO_PATH_MAX, name);
    return IC_EINVAL;
  }
  size_t errors_before = ic_diag_count();
  size_t errors = 0;
  char section[64] = "";
  bool section_ok = false;
  bool seen[IC_SCENARIO_MAX_KEYS] = {false};
  long line_no = 0;
  snprintf(s->source, sizeof s->source, "%s", name);
  const char *p = text;
  char *buf = NULL;
  if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
  while (*p && errors < MAX_ERRORS) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    line_no++;
    /* Sized to the line: a long comment or value is never cut. */
    free(buf);
    buf = malloc(len + 1);
    if (!buf) {
      ic_diag(name, line_no, "out of memory");
      return IC_ENOMEM;
    }
    memcpy(buf, p, len);
    buf[len] = '\0';
    p = eol ? eol + 1 : p + len;
    char *line = trim(buf);
    if (!*line || *line == '#' || *line == ';') continue;
    if (*line == '[') {
      char *close = strchr(line, ']');
      char *after = close ? trim(close + 1) : NULL;
      if (!close || (*after && *after != '#' && *after != ';')) {
        ic_diag(name, line_no, "malformed section header '%s': expected [name]", line);
        errors++;
        section_ok = false;
        continue;
      }
      *close = '\0';
      snprintf(section, sizeof section, "%s", trim(line + 1));
      section_ok = false;
      if (strncmp(section, "pool.", 5) == 0) {
        section_ok = ic__pool_declare(s, section + 5, name, line_no);
        if (!section_ok) errors++;
        continue;
      }
      for (size_t i = 0; i < ic_scenario_section_count; i++)
        if (strcmp(ic_scenario_sections[i].name, section) == 0) section_ok = true;
      if (!section_ok) {
        ic_diag(name, line_no, "unknown section [%s] (sections: run, traffic, model, fleet, serving, perf, power, cost, pool.NAME)", section);
        errors++;
      }
      continue;
    }
    char *eq = strchr(line, '=');
    if (!eq) {
      ic_diag(name, line_no, "expected 'key = value', got '%s'", line);
      errors++;
      continue;
    }
    *eq = '\0';
    char *key = trim(line), *value = eq + 1;
    strip_comment(value);
    value = trim(value);
    if (!*section) {
      ic_diag(name, line_no, "key '%s' comes before any [section]", key);
      errors++;
      continue;
    }
    if (!section_ok) continue; /* already reported at the header */
    char dotted[200];
    if (strlen(key) + strlen(section) + 2 > sizeof dotted) {
      ic_diag(name, line_no, "key '%.40s...' is %zu characters long; no key is longer than %zu", key, strlen(key),
              sizeof dotted - 66);
      errors++;
      continue;
    }
    size_t slen = strlen(section), klen = strlen(key);
    memcpy(dotted, section, slen);
    dotted[slen] = '.';
    memcpy(dotted + slen + 1, key, klen + 1);
    char origin[IC_ORIGIN_MAX];
    snprintf(origin, sizeof origin, "%s:%ld", name, line_no);
    const struct ic_section_def *sec = NULL;
    const struct ic_key_def *k = ic_scenario_find_key(dotted, &sec);
    if (k) {
      size_t idx = key_flat_index(sec, k);
      if (seen[idx]) {
        ic_diag(name, line_no, "%s is set twice (first at %s)", dotted, s->origin[idx]);
        errors++;
        continue;
      }
      seen[idx] = true;
    }
    if (!assign(s, dotted, value, name, line_no, origin)) errors++;
  }
  free(buf);
  if (errors >= MAX_ERRORS) ic_diag(name, 0, "too many errors; stopped after %d", MAX_ERRORS);
  return ic_diag_count() > errors_before ? IC_EINVAL : IC_OK;
}

ic_status ic_scenario_load_file(struct ic_scenario *s, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    ic_diag(path, 0, "cannot open scenario: %s", strerror(errno));
    return IC_EIO;
  }
  size_t cap = 1 << 16, len = 0;
  char *text = malloc(cap);
  ic_status st = IC_OK;
  while (text) {
    size_t got = fread(text + len, 1, cap - 1 - len, f);
    len += got;
    if (len < cap - 1) break;
    if (cap >= (1u << 24)) {
      ic_diag(path, 0, "scenario file is larger than 16 MiB");
      st = IC_EINVAL;
      break;
    }
    char *grown = realloc(text, cap * 2);
    if (!grown) { free(text); text = NULL; break; }
    text = grown;
    cap *= 2;
  }
  if (!text) st = IC_ENOMEM;
  if (st == IC_OK && ferror(f)) {
    ic_diag(path, 0, "cannot read scenario: %s", strerror(errno));
    st = IC_EIO;
  }
  fclose(f);
  if (st == IC_OK) {
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
      ic_diag(path, 0, "scenario contains a NUL byte: not a text file");
      st = IC_EINVAL;
    } else {
      st = ic_scenario_load_text(s, text, path);
    }
  }
  free(text);
  return st;
}

ic_status ic_scenario_set(struct ic_scenario *s, const char *assignment, const char *where) {
  const char *eq = strchr(assignment, '=');
  if (!eq) {
    ic_diag(where, 0, "expected section.key=value, got '%s'", assignment);
    return IC_EINVAL;
  }
  /* A copy sized to the text: a long value is never cut. */
  size_t n = strlen(assignment) + 1;
  char *copy = malloc(n);
  if (!copy) return IC_ENOMEM;
  memcpy(copy, assignment, n);
  copy[eq - assignment] = '\0';
  char *k = trim(copy), *v = trim(copy + (eq - assignment) + 1);
  bool ok = strchr(k, '.') != NULL;
  if (!ok) ic_diag(where, 0, "expected section.key=value, got '%s'", assignment);
  ok = ok && assign(s, k, v, where, 0, where);
  free(copy);
  return ok ? IC_OK : IC_EINVAL;
}

ic_status ic_scenario_build(struct ic_scenario *s, const char *path, const char *const *sets, size_t count) {
  ic_scenario_defaults(s);
  ic_status st = path ? ic_scenario_load_file(s, path) : IC_OK;
  if (st == IC_EIO) return st;
  for (size_t i = 0; i < count; i++) {
    char where[32];
    snprintf(where, sizeof where, "-s #%zu", i + 1);
    if (ic_scenario_set(s, sets[i], where) != IC_OK) st = IC_EINVAL;
  }
  return st;
}

/* Where `dotted` got its value; for a default, the scenario's source. */
static const char *origin_or_source(const struct ic_scenario *s, const char *dotted) {
  const char *o = ic_scenario_origin(s, dotted);
  return strcmp(o, "default") == 0 ? s->source : o;
}

/* Of keys that together break a rule, the one the user set last (a -s
 * override before a file line, a file line before a default): the one
 * to blame. `keys` is NULL-terminated; the first is the fallback. */
static const char *blame(const struct ic_scenario *s, const char *const *keys) {
  const char *best = keys[0];
  int best_rank = 0;
  for (size_t i = 0; keys[i]; i++) {
    const char *o = ic_scenario_origin(s, keys[i]);
    int rank = strcmp(o, "default") == 0 ? 0 : strncmp(o, "-s #", 4) == 0 ? 2 : 1;
    if (rank > best_rank) best = keys[i], best_rank = rank;
  }
  return best;
}

/* Reports a cross-key problem at the origin of `dotted`. */
static void check_fail(const struct ic_scenario *s, const char *dotted, const char *fmt, const char *detail)
    __attribute__((format(printf, 3, 0)));
static void check_fail(const struct ic_scenario *s, const char *dotted, const char *fmt, const char *detail) {
  const char *o = origin_or_source(s, dotted);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  ic_diag(o, 0, fmt, dotted, detail);
#pragma GCC diagnostic pop
}

/* [power] lists and ranges that one key's own bounds cannot express. */
static void check_power(const struct ic_scenario *s) {
  static const char *const lists[] = {"power.electricity_usd_per_kwh_hourly", "power.carbon_g_per_kwh_hourly",
                                      "power.outdoor_temp_c_hourly"};
  const char *texts[] = {s->power.electricity_usd_per_kwh_hourly, s->power.carbon_g_per_kwh_hourly,
                         s->power.outdoor_temp_c_hourly};
  double hourly[IC_HOURS_PER_DAY];
  char why[200];
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
    if (ic_cost_parse_hourly(texts[i], 0, i == 2 ? -273.15 : 0, hourly, why, sizeof why) != IC_OK)
      check_fail(s, lists[i], "%s: %s", why);
  if (s->power.chiller_cop_min > s->power.chiller_cop_max) {
    snprintf(why, sizeof why, "%g is above power.chiller_cop_max (%g)", s->power.chiller_cop_min,
             s->power.chiller_cop_max);
    check_fail(s, blame(s, (const char *const[]){"power.chiller_cop_min", "power.chiller_cop_max", NULL}), "%s: %s",
               why);
  }
}

/* The server follows the GPU: a catalogue server (named, or auto) must hold
 * fleet.gpu and exactly fleet.gpus_per_node of them, or its price and base
 * power would be charged to the wrong hardware; a server outside the
 * catalogue is user-defined by its base power and price per node. */
static void check_server(const struct ic_scenario *s) {
  const struct ic_server_spec *server = ic_hw_resolve_server(s->fleet.server, s->fleet.gpu);
  bool is_auto = strcmp(s->fleet.server, IC_HW_SERVER_AUTO) == 0;
  char why[1024];
  if (!server) {
    if (is_auto && (isnan(s->power.node_base_w) || isnan(s->cost.server_price_usd))) {
      snprintf(why, sizeof why, "no built-in server holds accelerator '%s' (fleet.gpu at %s): name the server and set "
               "power.node_base_w and cost.server_price_usd", s->fleet.gpu, origin_or_source(s, "fleet.gpu"));
      check_fail(s, "fleet.server", "%s = auto: %s", why);
    } else if (!is_auto) {
      if (isnan(s->power.node_base_w))
        check_fail(s, "fleet.server", "%s: server not built in (%s): set power.node_base_w", ic_hw_server_names());
      if (isnan(s->cost.server_price_usd))
        check_fail(s, "fleet.server", "%s: server not built in (%s): set cost.server_price_usd", ic_hw_server_names());
    }
    return;
  }
  if (!ic_hw_server_holds(server, s->fleet.gpu)) {
    const struct ic_server_spec *own = ic_hw_server_for_gpu(s->fleet.gpu);
    snprintf(why, sizeof why, "%s holds %s, not fleet.gpu = %s (at %s): use fleet.server = auto%s%s%s, or a server of "
             "your own (any other name, with power.node_base_w and cost.server_price_usd)", server->name,
             server->gpu_types, s->fleet.gpu, origin_or_source(s, "fleet.gpu"), own ? " (" : "", own ? own->name : "",
             own ? ")" : "");
    check_fail(s, "fleet.server", "%s: %s", why);
  }
  if (server->gpus != s->fleet.gpus_per_node) {
    char named[IC_KEY_TEXT_MAX + 16];
    snprintf(named, sizeof named, is_auto ? "auto (%s)" : "%s", server->name);
    snprintf(why, sizeof why, "%lld disagrees with fleet.server = %s (at %s), which holds %lld GPUs: set "
             "fleet.gpus_per_node = %lld, or a server of your own (any other name, with power.node_base_w and "
             "cost.server_price_usd per node)", (long long)s->fleet.gpus_per_node, named,
             origin_or_source(s, "fleet.server"), (long long)server->gpus, (long long)server->gpus);
    check_fail(s, "fleet.gpus_per_node", "%s = %s", why);
  }
}

/* The matrix math runs at the activation precision, or the nearest wider
 * one the accelerator has (ic_hw_peak_flops); with none of them every
 * service time would be infinite. Reported at the line that set the
 * precision, else at the line naming the accelerator. */
static void check_activation_peak(const struct ic_scenario *s, const struct ic_gpu_spec *gpu) {
  enum ic_precision p = (enum ic_precision)s->model.activation_precision;
  if (ic_hw_peak_flops(gpu, p) > 0) return;
  const char *at = ic_scenario_origin(s, "model.activation_precision");
  if (strcmp(at, "default") == 0) at = origin_or_source(s, "fleet.gpu");
  ic_diag(at, 0, "model.activation_precision = %s: accelerator '%s' (fleet.gpu) has no peak FLOP/s for %s math "
          "or a wider precision it falls back to: set accelerator.peak_tflops_%s", ic_precision_name(p), gpu->name,
          ic_precision_name(p), ic_precision_name(p));
}

ic_status ic_scenario_check(const struct ic_scenario *s) {
  size_t before = ic_diag_count();
  char buf[128];
  /* A catalogue model, possibly with overrides, or a user-defined one. */
  struct ic_model_spec resolved;
  const struct ic_model_spec *m = NULL;
  const char *model_at = origin_or_source(s, "model.name");
  if (!ic_model_find(s->model.name) && s->model.layers == 0 && s->model.hidden == 0)
    check_fail(s, "model.name", "%s: unknown model; built-in models: %s (or give model.layers, model.hidden...)",
               ic_model_names());
  else if (ic_model_resolve(&s->model, &resolved, model_at) == IC_OK)
    m = &resolved;
  struct ic_gpu_spec gpu;
  const char *gpu_at = origin_or_source(s, "fleet.gpu");
  bool gpu_ok = ic_hw_resolve_gpu(s->fleet.gpu, &s->accelerator, &gpu, gpu_at) == IC_OK;
  if (gpu_ok) check_activation_peak(s, &gpu);
  if (gpu_ok && !ic_hw_find_gpu(s->fleet.gpu) && isnan(s->accelerator.link_gb_per_s) && s->fleet.gpus_per_replica > 1)
    check_fail(s, "fleet.gpus_per_replica", "%s: tensor parallelism over a user-defined accelerator needs %s",
               "accelerator.link_gb_per_s");
  check_server(s);
  if (s->pool_count == 0) { /* pools check their own prices (scenario_pool.c) */
    char why[256], dotted[64];
    int64_t per_replica = s->fleet.gpus_per_replica > s->fleet.gpus_per_node && s->fleet.gpus_per_node > 0
                              ? s->fleet.gpus_per_replica / s->fleet.gpus_per_node : 1;
    const char *bad = ic_cost_check(&s->cost, s->fleet.nodes, per_replica, why, sizeof why);
    if (bad) {
      snprintf(dotted, sizeof dotted, "cost.%s", bad);
      check_fail(s, dotted, "%s: %s", why);
    }
    if ((bad = ic_serve_check_autoscale(&s->serving, why, sizeof why))) {
      snprintf(dotted, sizeof dotted, "serving.%s", bad);
      check_fail(s, dotted, "%s: %s", why);
    }
  }
  if (s->fleet.gpus_per_replica <= s->fleet.gpus_per_node && s->fleet.gpus_per_node % s->fleet.gpus_per_replica != 0) {
    snprintf(buf, sizeof buf, "%lld GPUs per node", (long long)s->fleet.gpus_per_node);
    check_fail(s, blame(s, (const char *const[]){"fleet.gpus_per_replica", "fleet.gpus_per_node", NULL}),
               "%s: a replica must fit inside one node and divide it evenly, or take whole nodes (%s)", buf);
  }
  if (s->fleet.gpus_per_replica > s->fleet.gpus_per_node) {
    /* A replica across nodes takes whole nodes, and the fleet whole replicas. */
    if (s->fleet.gpus_per_replica % s->fleet.gpus_per_node != 0) {
      snprintf(buf, sizeof buf, "%lld GPUs per node", (long long)s->fleet.gpus_per_node);
      check_fail(s, "fleet.gpus_per_replica", "%s: a replica across nodes must be a whole number of nodes (%s)", buf);
    } else if (s->fleet.nodes % (s->fleet.gpus_per_replica / s->fleet.gpus_per_node) != 0) {
      snprintf(buf, sizeof buf, "%lld nodes are not whole replicas of %lld nodes each", (long long)s->fleet.nodes,
               (long long)(s->fleet.gpus_per_replica / s->fleet.gpus_per_node));
      check_fail(s, "fleet.nodes", "%s: %s", buf);
    }
  }
  if (strcmp(s->model.speculative_draft, "none") != 0 && strcmp(s->model.speculative_draft, "mtp") != 0 &&
      !ic_model_find(s->model.speculative_draft))
    check_fail(s, "model.speculative_draft", "%s: not none, mtp or a built-in model (%s)", ic_model_names());
  /* Keys that only matter with another one: set alone they would change nothing, silently. A
   * draft set to none on purpose (e.g. -s to compare) turns speculation off without complaint. */
  bool no_draft = strcmp(s->model.speculative_draft, "none") == 0 &&
                  strcmp(ic_scenario_origin(s, "model.speculative_draft"), "default") == 0;
  const struct {
    const char *key, *needs;
    bool unused;
  } alone[] = {
      {"model.speculative_tokens", "model.speculative_draft", no_draft},
      {"model.speculative_acceptance", "model.speculative_draft", no_draft},
      {"perf.expert_imbalance", "perf.expert_parallel = true", !s->perf.expert_parallel},
      {"model.expert_precision", "an MoE model", m && m->experts < 2},
      {"serving.prefix_cache_blocks", "serving.prefix_cache = true", !s->serving.prefix_cache},
      {"serving.prefix_dram_gb", "serving.prefix_cache = true", !s->serving.prefix_cache},
      {"serving.prefix_ssd_gb", "serving.prefix_cache = true", !s->serving.prefix_cache},
      {"serving.prefix_route_weight", "serving.router = prefix_aware", s->serving.router != IC_ROUTER_PREFIX_AWARE},
      {"serving.prefill_chunk_max_tokens", "serving.prefill_chunk_tokens > 0", s->pool_count == 0 && s->serving.prefill_chunk_tokens == 0},
  };
  for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++)
    if (alone[i].unused && strcmp(ic_scenario_origin(s, alone[i].key), "default") != 0)
      check_fail(s, alone[i].key, "%s: has no effect without %s", alone[i].needs);
  if (ic_traffic_check(&s->traffic) != IC_OK) { /* reported by the traffic module */ }
  if (m && s->traffic.arrival != IC_ARRIVAL_TRACE && s->traffic.prompt_dist == IC_LENGTH_FIXED &&
      s->traffic.output_dist == IC_LENGTH_FIXED &&
      s->traffic.prompt_tokens + s->traffic.output_tokens > m->context_max) {
    snprintf(buf, sizeof buf, "%lld tokens", (long long)m->context_max);
    check_fail(s, blame(s, (const char *const[]){"traffic.output_tokens", "traffic.prompt_tokens", "model.name",
                                                  "model.context_max", NULL}),
               "%s: prompt + output exceed the model's context of %s", buf);
  }
  check_power(s);
  if (s->serving.batching == IC_BATCHING_STATIC && s->serving.prefill_chunk_tokens > 0)
    check_fail(s, blame(s, (const char *const[]){"serving.prefill_chunk_tokens", "serving.batching", NULL}),
               "%s: chunked prefill needs serving.batching = %s", "continuous");
  if (s->serving.batching == IC_BATCHING_STATIC && (s->serving.scheduler_steps > 1 || s->serving.prefill_min_queue > 0))
    check_fail(s, blame(s, (const char *const[]){"serving.scheduler_steps", "serving.prefill_min_queue", "serving.batching", NULL}),
               "%s: scheduling decisions of a running batch need serving.batching = %s", "continuous");
  if (s->serving.batching == IC_BATCHING_STATIC && s->serving.token_budget == IC_TOKEN_BUDGET_ITERATION)
    check_fail(s, blame(s, (const char *const[]){"serving.token_budget", "serving.batching", NULL}),
               "%s: decodes beside prompts need serving.batching = %s", "continuous");
  if (s->serving.prefix_cache && s->serving.batching == IC_BATCHING_STATIC)
    check_fail(s, blame(s, (const char *const[]){"serving.prefix_cache", "serving.batching", NULL}),
               "%s: the prefix cache needs serving.batching = %s", "continuous");
  if (s->serving.prefix_ssd_gb > 0 && s->serving.prefix_dram_gb <= 0)
    check_fail(s, "serving.prefix_ssd_gb", "%s: the SSD tier takes what DRAM evicts: set %s too", "serving.prefix_dram_gb");
  if (s->serving.max_batched_tokens > 0 && s->serving.prefill_chunk_tokens > 0)
    check_fail(s, "serving.max_batched_tokens", "%s: a budget for whole prompts; with chunked prefill the chunk is the budget (set %s only)",
               "serving.prefill_chunk_tokens");
  ic__pool_check(s);
  return ic_diag_count() > before ? IC_EINVAL : IC_OK;
}

void ic_scenario_write(const struct ic_scenario *s, FILE *out) {
  char value[IC_KEY_TEXT_MAX + 32];
  fprintf(out, "# infercost scenario, resolved (source: %s)\n", s->source);
  for (size_t i = 0; i < ic_scenario_section_count; i++) {
    const struct ic_section_def *sec = &ic_scenario_sections[i];
    fprintf(out, "\n[%s]  # %s\n", sec->name, sec->doc);
    for (size_t j = 0; j < sec->key_count; j++) {
      const struct ic_key_def *k = &sec->keys[j];
      ic_key_format(k, cfield_ptr(s, sec, k), value, sizeof value);
      fprintf(out, "%s = %s  # %s%s%s\n", k->name, value, *k->unit ? k->unit : "", *k->unit ? "; " : "", k->doc);
    }
  }
  ic__pool_write(s, out);
}

bool ic__digest_skips_serving(const char *key, const char *value) {
  return (strcmp(key, "scheduler_steps") == 0 && strcmp(value, "1") == 0) ||
         (strcmp(key, "prefill_min_queue") == 0 && strcmp(value, "0") == 0) ||
         (strcmp(key, "token_budget") == 0 && strcmp(value, "prefill") == 0);
}

uint64_t ic_scenario_digest(const struct ic_scenario *s) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  char value[IC_KEY_TEXT_MAX + 32];
  for (size_t i = 0; i < ic_scenario_section_count; i++) {
    const struct ic_section_def *sec = &ic_scenario_sections[i];
    for (size_t j = 0; j < sec->key_count; j++) {
      ic_key_format(&sec->keys[j], cfield_ptr(s, sec, &sec->keys[j]), value, sizeof value);
      /* run.shard_workers never changes a figure, and an unsharded run's
       * digest stays what it was before run.shards existed. */
      bool is_run = strcmp(sec->name, "run") == 0;
      if (is_run && (strcmp(sec->keys[j].name, "shard_workers") == 0 ||
                     (strcmp(sec->keys[j].name, "shards") == 0 && strcmp(value, "1") == 0)))
        continue;
      /* Likewise a run without per-class prices keeps its digest. */
      if (strcmp(sec->name, "traffic") == 0 && strncmp(sec->keys[j].name, "class_usd_per_m_", 16) == 0 &&
          strcmp(value, "none") == 0)
        continue;
      /* And one whose scheduling decisions are every step, without a prefill hold-back. */
      if (strcmp(sec->name, "serving") == 0 && ic__digest_skips_serving(sec->keys[j].name, value)) continue;
      /* And one whose routed experts run at the dense rate (the model before
       * perf.expert_compute_efficiency existed). */
      if (strcmp(sec->name, "perf") == 0 && strcmp(sec->keys[j].name, "expert_compute_efficiency") == 0 &&
          strcmp(value, "1") == 0)
        continue;
      /* And one without a launch floor (the model before perf.launch_floor_per_layer_s). */
      if (strcmp(sec->name, "perf") == 0 && strcmp(sec->keys[j].name, "launch_floor_per_layer_s") == 0 &&
          strcmp(value, "0") == 0)
        continue;
      /* And one whose GPUs draw by phase or utilisation: the load model's weights play no part. */
      if (strcmp(sec->name, "power") == 0 && strncmp(sec->keys[j].name, "load_", 5) == 0 &&
          s->power.model != IC_POWER_LOAD)
        continue;
      /* And one that draws empirical lengths as before the row sampler. */
      if (strcmp(sec->name, "traffic") == 0 &&
          ((strcmp(sec->keys[j].name, "empirical_sampling") == 0 && strcmp(value, "columns") == 0) ||
           (strcmp(sec->keys[j].name, "empirical_output_scale") == 0 && strcmp(value, "1") == 0)))
        continue;
      for (const char *c = sec->keys[j].name; *c; c++) h = (h ^ (unsigned char)*c) * UINT64_C(0x100000001b3);
      for (const char *c = value; *c; c++) h = (h ^ (unsigned char)*c) * UINT64_C(0x100000001b3);
    }
  }
  return ic__pool_digest(s, h);
}
