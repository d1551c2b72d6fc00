/* sweep_grid.c: --vary value lists and ranges, and the Cartesian product. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/sweep.h"

#define MAX_VALUES 100000 /* per axis: a typo like 1:1e9:1 is an error, not a hang */

typedef char value_text[IC_KEY_TEXT_MAX];

struct value_list {
  value_text *items;
  size_t count, cap;
};

static bool push(struct value_list *l, const char *text, size_t len) {
  if (l->count == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    value_text *grown = realloc(l->items, cap * sizeof *grown);
    if (!grown) return false;
    l->items = grown;
    l->cap = cap;
  }
  snprintf(l->items[l->count++], IC_KEY_TEXT_MAX, "%.*s", (int)len, text);
  return true;
}

static bool parse_number(const char *text, double *out) {
  char *end;
  errno = 0;
  *out = strtod(text, &end);
  return end != text && *end == '\0' && errno == 0 && isfinite(*out);
}

/* %.15g prints 0.1 + 2 x 0.1 as 0.3, where %.17g would show the binary noise. */
static bool push_number(struct value_list *l, double v, bool integer) {
  char buf[64];
  if (integer) v = round(v);
  snprintf(buf, sizeof buf, "%.15g", v);
  if (integer && l->count && strcmp(l->items[l->count - 1], buf) == 0) return true;
  return push(l, buf, strlen(buf));
}

/* "LO:HI:STEP", "LO:HI:xF" or "LO:HI:logN" into l. */
static ic_status expand_range(const char *text, bool integer, const char *where, struct value_list *l) {
  char lo_t[64], hi_t[64], step_t[64];
  const char *c1 = strchr(text, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c2 || strchr(c2 + 1, ':') || (size_t)(c1 - text) >= sizeof lo_t || (size_t)(c2 - c1 - 1) >= sizeof hi_t ||
      strlen(c2 + 1) >= sizeof step_t) {
    ic_diag(where, 0, "range '%s': expected LO:HI:STEP, LO:HI:xFACTOR or LO:HI:logCOUNT", text);
    return IC_EINVAL;
  }
  snprintf(lo_t, sizeof lo_t, "%.*s", (int)(c1 - text), text);
  snprintf(hi_t, sizeof hi_t, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
  snprintf(step_t, sizeof step_t, "%s", c2 + 1);
  double lo, hi, step;
  if (!parse_number(lo_t, &lo) || !parse_number(hi_t, &hi) || hi < lo) {
    ic_diag(where, 0, "range '%s': LO and HI must be numbers with LO <= HI", text);
    return IC_EINVAL;
  }
  bool ok = true;
  if (step_t[0] == 'x') {
    if (!parse_number(step_t + 1, &step) || step <= 1.0 || lo <= 0.0) {
      ic_diag(where, 0, "range '%s': xFACTOR needs FACTOR > 1 and LO > 0", text);
      return IC_EINVAL;
    }
    /* Counted before the loop: an integer key drops repeated values, so a
     * factor like x1.0000000001 would otherwise loop 10^10 times. */
    double steps = log(hi / lo) / log(step);
    if (!(steps < MAX_VALUES)) {
      ic_diag(where, 0, "range '%s' has more than %d values (at most %d per axis)", text, MAX_VALUES, MAX_VALUES);
      return IC_EINVAL;
    }
    /* The relative slack keeps HI when repeated products land just above it. */
    size_t n = 0;
    for (double v = lo; ok && v <= hi * (1.0 + 1e-12) && n <= (size_t)steps + 1; v *= step, n++)
      ok = push_number(l, v, integer);
  } else if (strncmp(step_t, "log", 3) == 0) {
    double n;
    if (!parse_number(step_t + 3, &n) || n < 2.0 || n != floor(n) || n > MAX_VALUES || lo <= 0.0) {
      ic_diag(where, 0, "range '%s': logCOUNT needs a whole COUNT >= 2 and LO > 0", text);
      return IC_EINVAL;
    }
    size_t count = (size_t)n;
    for (size_t i = 0; ok && i < count; i++) {
      /* End points exactly, not through exp(log()). */
      double v = i == 0 ? lo : i + 1 == count ? hi : lo * pow(hi / lo, (double)i / (double)(count - 1));
      ok = push_number(l, v, integer);
    }
  } else {
    if (!parse_number(step_t, &step) || step <= 0.0) {
      ic_diag(where, 0, "range '%s': STEP must be a positive number (or xFACTOR, logCOUNT)", text);
      return IC_EINVAL;
    }
    double span = (hi - lo) / step;
    if (span >= MAX_VALUES) {
      ic_diag(where, 0, "range '%s' has more than %d values (at most %d per axis)", text, MAX_VALUES, MAX_VALUES);
      return IC_EINVAL;
    }
    /* Multiplying (not accumulating) avoids drift; the slack keeps HI. */
    size_t count = (size_t)floor(span + 1e-9) + 1;
    for (size_t i = 0; ok && i < count; i++) ok = push_number(l, lo + (double)i * step, integer);
  }
  if (!ok) return IC_ENOMEM;
  if (l->count >= MAX_VALUES) {
    ic_diag(where, 0, "range '%s' has more than %d values", text, MAX_VALUES);
    return IC_EINVAL;
  }
  return IC_OK;
}

/* "a,b,c" into l, items as they are. */
static ic_status expand_list(const char *text, const char *where, struct value_list *l) {
  for (const char *p = text; p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == 0 || len >= IC_KEY_TEXT_MAX) {
      ic_diag(where, 0, "list '%s': empty or over-long item", text);
      return IC_EINVAL;
    }
    if (!push(l, p, len)) return IC_ENOMEM;
    p = comma ? comma + 1 : NULL;
  }
  return IC_OK;
}

ic_status ic_sweep_expand(const char *text, bool integer, const char *where, value_text **values, size_t *count) {
  struct value_list l = {0};
  ic_status st = IC_OK;
  *values = NULL;
  *count = 0;
  if (!*text) {
    ic_diag(where, 0, "no values given");
    return IC_EINVAL;
  }
  if (strchr(text, ':') && !strchr(text, ','))
    st = expand_range(text, integer, where, &l);
  else
    st = expand_list(text, where, &l);
  if (st != IC_OK) {
    free(l.items);
    return st;
  }
  *values = l.items;
  *count = l.count;
  return IC_OK;
}

ic_status ic_sweep_axis_parse(struct ic_sweep_axis *axis, const char *spec, const struct ic_scenario *base) {
  memset(axis, 0, sizeof *axis);
  const char *eq = strchr(spec, '=');
  const struct ic_section_def *sec = NULL;
  if (!eq || (size_t)(eq - spec) >= IC_SWEEP_KEY_MAX) {
    ic_diag("--vary", 0, "expected section.key=VALUES, got '%s'", spec);
    return IC_EINVAL;
  }
  snprintf(axis->key, sizeof axis->key, "%.*s", (int)(eq - spec), spec);
  char where[IC_SWEEP_KEY_MAX + 16];
  snprintf(where, sizeof where, "--vary %s", axis->key);
  const struct ic_key_def *k = ic_scenario_find_key(axis->key, &sec);
  if (!k) k = ic_scenario_pool_key(axis->key); /* pool.NAME.key */
  /* Ranges are for numbers; a ':' in a text value (a path) is a list item. */
  bool numeric = k && (k->type == IC_KEY_INT || k->type == IC_KEY_REAL);
  ic_status st;
  if (numeric) {
    st = ic_sweep_expand(eq + 1, k->type == IC_KEY_INT, where, &axis->values, &axis->count);
  } else if (!eq[1]) {
    ic_diag(where, 0, "no values given");
    st = IC_EINVAL;
  } else {
    struct value_list l = {0};
    st = expand_list(eq + 1, where, &l);
    if (st == IC_OK) {
      axis->values = l.items;
      axis->count = l.count;
    } else {
      free(l.items);
    }
  }
  if (st != IC_OK) return st;
  /* Each value through the scenario's own validation, on a scratch copy. */
  struct ic_scenario *scratch = malloc(sizeof *scratch);
  if (!scratch) {
    ic_sweep_axis_fini(axis);
    return IC_ENOMEM;
  }
  size_t before = ic_diag_count();
  for (size_t i = 0; i < axis->count && ic_diag_count() - before < 20; i++) {
    char assignment[IC_SWEEP_KEY_MAX + IC_KEY_TEXT_MAX + 2], at[IC_SWEEP_KEY_MAX + IC_KEY_TEXT_MAX + 16];
    memcpy(scratch, base, sizeof *scratch);
    snprintf(assignment, sizeof assignment, "%s=%s", axis->key, axis->values[i]);
    snprintf(at, sizeof at, "--vary %s", assignment);
    if (ic_scenario_set(scratch, assignment, at) != IC_OK && !k) break; /* unknown key: say it once */
  }
  free(scratch);
  if (ic_diag_count() > before) {
    ic_sweep_axis_fini(axis);
    return IC_EINVAL;
  }
  return IC_OK;
}

void ic_sweep_axis_fini(struct ic_sweep_axis *axis) {
  free(axis->values);
  axis->values = NULL;
  axis->count = 0;
}

size_t ic_sweep_grid_count(const struct ic_sweep_axis *axes, size_t axis_count) {
  size_t n = 1;
  for (size_t i = 0; i < axis_count; i++) {
    if (axes[i].count == 0) return 0;
    if (n > SIZE_MAX / axes[i].count) return SIZE_MAX;
    n *= axes[i].count;
  }
  return n;
}

void ic_sweep_grid_point(const struct ic_sweep_axis *axes, size_t axis_count, size_t index, size_t *value_index) {
  for (size_t i = axis_count; i-- > 0;) {
    value_index[i] = index % axes[i].count;
    index /= axes[i].count;
  }
}

const char *ic_sweep_server_for_gpu(const char *gpu) {
  const struct ic_server_spec *server = ic_hw_server_for_gpu(gpu);
  return server ? server->name : NULL;
}

static bool axis_varies(const struct ic_sweep_grid *g, const char *key) {
  for (size_t i = 0; i < g->axis_count; i++)
    if (strcmp(g->axes[i].key, key) == 0) return true;
  return false;
}

ic_status ic_sweep_grid_build(void *grid, size_t index, struct ic_scenario *s) {
  const struct ic_sweep_grid *g = grid;
  size_t at[IC_SWEEP_MAX_AXES];
  memcpy(s, g->base, sizeof *s);
  ic_sweep_grid_point(g->axes, g->axis_count, index, at);
  ic_status st = IC_OK;
  for (size_t i = 0; i < g->axis_count; i++) {
    char assignment[IC_SWEEP_KEY_MAX + IC_KEY_TEXT_MAX + 2], where[IC_SWEEP_KEY_MAX + IC_KEY_TEXT_MAX + 16];
    snprintf(assignment, sizeof assignment, "%s=%s", g->axes[i].key, g->axes[i].values[at[i]]);
    snprintf(where, sizeof where, "--vary %s", assignment);
    if (ic_scenario_set(s, assignment, where) != IC_OK) st = IC_EINVAL;
  }
  /* A GPU comes in its own server unless the server is varied too. */
  if (st == IC_OK && axis_varies(g, "fleet.gpu") && !axis_varies(g, "fleet.server")) {
    const char *server = ic_sweep_server_for_gpu(s->fleet.gpu);
    if (server) snprintf(s->fleet.server, sizeof s->fleet.server, "%s", server);
  }
  return st;
}
