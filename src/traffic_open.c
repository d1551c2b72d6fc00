/* traffic_open.c: from the [traffic] section to a source: key checks,
 * request classes, generator set-up, and trace replay. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "infercost/sim.h"
#include "infercost/trace.h"
#include "infercost/traffic.h"
#include "traffic_impl.h"

#define MAX_ITEMS 24

/* --- '|'-separated lists ------------------------------------------------- */

static bool is_none(const char *text) { return strcmp(text, IC_TRAFFIC_NONE) == 0; }

/* Splits `text` into up to MAX_ITEMS items (trimmed) in items[]. Returns the
 * count. */
static size_t split(const char *text, char items[MAX_ITEMS + 1][IC_KEY_TEXT_MAX]) {
  size_t n = 0;
  const char *p = text;
  for (;;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    while (len && (*p == ' ' || *p == '\t')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    if (n <= MAX_ITEMS) {
      memcpy(items[n], p, len);
      items[n][len] = '\0';
    }
    n++;
    if (!bar) break;
    p = bar + 1;
  }
  return n;
}

/* Parses a list of `want` numbers >= lo (> lo when open) into out. Reports
 * naming the key. want == 0: any count up to MAX_ITEMS (returned in *got). */
static bool number_list(const char *key, const char *text, size_t want, double lo, bool open, double *out, size_t *got) {
  char items[MAX_ITEMS + 1][IC_KEY_TEXT_MAX];
  size_t n = split(text, items);
  if ((want && n != want) || n > MAX_ITEMS) {
    ic_diag(NULL, 0, "traffic.%s: expected %zu '|'-separated numbers, got %zu in '%s'", key, want ? want : MAX_ITEMS,
            n, text);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    char *end;
    double v = strtod(items[i], &end);
    if (!items[i][0] || *end || !isfinite(v) || v < lo || (open && v <= lo)) {
      ic_diag(NULL, 0, "traffic.%s: item %zu: expected a number %s %g, got '%s'", key, i + 1, open ? ">" : ">=", lo,
              items[i]);
      return false;
    }
    out[i] = v;
  }
  if (got) *got = n;
  return true;
}

/* --- checks ---------------------------------------------------------------- */

static bool check_lengths(const struct ic_traffic_config *c, const char *x, int kind, int64_t lo, int64_t hi,
                          double mu, double sigma) {
  bool ok = true;
  if (lo > hi) {
    ic_diag(NULL, 0, "traffic.%s_tokens_min (%lld) is above traffic.%s_tokens_max (%lld)", x, (long long)lo, x,
            (long long)hi);
    ok = false;
  }
  if (kind == IC_LENGTH_LOGNORMAL && isnan(mu) != isnan(sigma)) {
    ic_diag(NULL, 0, "traffic.%s_lognormal_mu and traffic.%s_lognormal_sigma: set both or neither (auto: from "
                     "traffic.%s_tokens and traffic.%s_tokens_cv)", x, x, x, x);
    ok = false;
  }
  if (kind == IC_LENGTH_EMPIRICAL && is_none(c->trace_path)) {
    ic_diag(NULL, 0, "traffic.%s_dist = empirical needs traffic.trace_path", x);
    ok = false;
  }
  return ok;
}

/* empirical_sampling and empirical_output_scale act on empirical lengths of
 * generated arrivals only: anything else is a key that would do nothing. */
static bool check_empirical(const struct ic_traffic_config *c) {
  bool ok = true, any = c->prompt_dist == IC_LENGTH_EMPIRICAL || c->output_dist == IC_LENGTH_EMPIRICAL;
  if (c->empirical_sampling != IC_EMPIRICAL_COLUMNS && !any) {
    ic_diag(NULL, 0, "traffic.empirical_sampling: rows and each_once draw trace rows for empirical lengths: set "
                     "traffic.prompt_dist or traffic.output_dist = empirical");
    ok = false;
  }
  if (c->empirical_sampling != IC_EMPIRICAL_COLUMNS && c->arrival == IC_ARRIVAL_TRACE) {
    ic_diag(NULL, 0, "traffic.empirical_sampling: a replay (arrival = trace) takes each row's own lengths; rows and "
                     "each_once are for generated arrivals");
    ok = false;
  }
  if (c->empirical_output_scale != 1 && c->output_dist != IC_LENGTH_EMPIRICAL) {
    ic_diag(NULL, 0, "traffic.empirical_output_scale: scales empirical outputs: has no effect without "
                     "traffic.output_dist = empirical");
    ok = false;
  }
  return ok;
}

ic_status ic_traffic_check(const struct ic_traffic_config *c) {
  bool ok = check_empirical(c);
  double w[MAX_ITEMS];
  if (!is_none(c->diurnal_hourly_weights)) {
    ok = number_list("diurnal_hourly_weights", c->diurnal_hourly_weights, 24, 0, false, w, NULL) && ok;
    double sum = 0;
    for (int i = 0; ok && i < 24; i++) sum += w[i];
    if (ok && !(sum > 0)) {
      ic_diag(NULL, 0, "traffic.diurnal_hourly_weights: the weights sum to 0");
      ok = false;
    }
  }
  if (!is_none(c->weekly_weights)) {
    bool wok = number_list("weekly_weights", c->weekly_weights, 7, 0, false, w, NULL);
    double sum = 0;
    for (int i = 0; wok && i < 7; i++) sum += w[i];
    if (wok && !(sum > 0)) {
      ic_diag(NULL, 0, "traffic.weekly_weights: the weights sum to 0");
      wok = false;
    }
    ok = wok && ok;
  }
  if (!is_none(c->rate_profile)) {
    size_t got = 0;
    bool pok = number_list("rate_profile", c->rate_profile, 0, 0, false, w, &got);
    double sum = 0;
    for (size_t i = 0; pok && i < got; i++) sum += w[i];
    if (pok && !(sum > 0)) {
      ic_diag(NULL, 0, "traffic.rate_profile: the weights sum to 0");
      pok = false;
    }
    if (c->arrival != IC_ARRIVAL_POISSON && c->arrival != IC_ARRIVAL_GAMMA) {
      ic_diag(NULL, 0, "traffic.rate_profile: for arrival = poisson or gamma (diurnal has its own profile)");
      pok = false;
    }
    if (!is_none(c->diurnal_hourly_weights) || !is_none(c->weekly_weights)) {
      ic_diag(NULL, 0, "traffic.rate_profile replaces diurnal_hourly_weights and weekly_weights: set one or the other");
      pok = false;
    }
    ok = pok && ok;
  }
  if (c->arrival == IC_ARRIVAL_TRACE && is_none(c->trace_path)) {
    ic_diag(NULL, 0, "traffic.arrival = trace needs traffic.trace_path");
    ok = false;
  }
  if (c->trace_match_volume && c->trace_speedup != 1) {
    ic_diag(NULL, 0, "traffic.trace_speedup and traffic.trace_match_volume: set one, not both "
                     "(match_volume computes the speed-up from queries_per_day)");
    ok = false;
  }
  if (c->trace_match_volume && c->trace_rate_scale != 1) {
    ic_diag(NULL, 0, "traffic.trace_rate_scale and traffic.trace_match_volume: set one, not both");
    ok = false;
  }
  if (!is_none(c->trace_class_column) && is_none(c->class_names)) {
    ic_diag(NULL, 0, "traffic.trace_class_column needs traffic.class_names listing the classes the trace names");
    ok = false;
  }
  bool reads_trace = c->arrival == IC_ARRIVAL_TRACE || c->prompt_dist == IC_LENGTH_EMPIRICAL ||
                     c->output_dist == IC_LENGTH_EMPIRICAL;
  /* A replay reads its trace once (issue 20); loops, rate-scale copies, a
   * volume match and empirical lengths read it again. */
  bool once = c->arrival == IC_ARRIVAL_TRACE && c->prompt_dist != IC_LENGTH_EMPIRICAL &&
              c->output_dist != IC_LENGTH_EMPIRICAL && !c->trace_loop && c->trace_rate_scale <= 1 &&
              !c->trace_match_volume;
  if (reads_trace && !once && strcmp(c->trace_path, "-") == 0) {
    ic_diag(NULL, 0, "traffic.trace_path = -: standard input is read once; this run reads the trace more than "
                     "once (trace_loop, trace_rate_scale > 1, trace_match_volume or empirical lengths): give a file");
    ok = false;
  }
  if (c->arrival == IC_ARRIVAL_TRACE && (c->system_prompts > 0 || c->session_turns > 1)) {
    ic_diag(NULL, 0, "traffic.system_prompts and traffic.session_turns shape generated traffic, not trace replay "
                     "(a trace brings its own block ids)");
    ok = false;
  }
  if (c->mode != IC_LOAD_OPEN && c->session_turns > 1) {
    ic_diag(NULL, 0, "traffic.session_turns needs traffic.mode = open: a session's turns follow one another by "
                     "arrival time and traffic.session_think_s, which offline and closed loads ignore");
    ok = false;
  }
  if (c->mode == IC_LOAD_OFFLINE && c->requests < 1) {
    ic_diag(NULL, 0, "traffic.mode = offline needs traffic.requests >= 1 (the requests available at time 0)");
    ok = false;
  }
  ok = check_lengths(c, "prompt", c->prompt_dist, c->prompt_tokens_min, c->prompt_tokens_max, c->prompt_lognormal_mu,
                     c->prompt_lognormal_sigma) && ok;
  ok = check_lengths(c, "output", c->output_dist, c->output_tokens_min, c->output_tokens_max, c->output_lognormal_mu,
                     c->output_lognormal_sigma) && ok;
  struct ic_traffic_class cls[IC_TRAFFIC_MAX_CLASSES];
  size_t n;
  ok = ic_traffic_classes(c, cls, &n) == IC_OK && ok;
  return ok ? IC_OK : IC_EINVAL;
}

/* --- classes ----------------------------------------------------------------- */

static bool per_class(const char *key, const char *text, size_t n, double lo, bool open, double *out) {
  if (is_none(text)) return true;
  return number_list(key, text, n, lo, open, out, NULL);
}

ic_status ic_traffic_classes(const struct ic_traffic_config *c, struct ic_traffic_class out[IC_TRAFFIC_MAX_CLASSES],
                             size_t *count) {
  char names[MAX_ITEMS + 1][IC_KEY_TEXT_MAX];
  size_t n = is_none(c->class_names) ? 1 : split(c->class_names, names);
  if (n > IC_TRAFFIC_MAX_CLASSES) {
    ic_diag(NULL, 0, "traffic.class_names: at most %d classes, got %zu", IC_TRAFFIC_MAX_CLASSES, n);
    return IC_EINVAL;
  }
  if (is_none(c->class_names)) snprintf(names[0], sizeof names[0], "default");
  double share[MAX_ITEMS], prompt[MAX_ITEMS], output[MAX_ITEMS], ttft[MAX_ITEMS], tpot[MAX_ITEMS];
  double price_in[MAX_ITEMS], price_cached[MAX_ITEMS], price_out[MAX_ITEMS];
  for (size_t i = 0; i < n; i++) {
    share[i] = 1.0 / (double)n;
    prompt[i] = (double)c->prompt_tokens;
    output[i] = (double)c->output_tokens;
    ttft[i] = tpot[i] = (double)NAN;
    price_in[i] = c->usd_per_m_input_tokens;
    price_cached[i] = c->usd_per_m_cached_input_tokens;
    price_out[i] = c->usd_per_m_output_tokens;
  }
  bool priced = !is_none(c->class_usd_per_m_input_tokens) || !is_none(c->class_usd_per_m_cached_input_tokens) ||
                !is_none(c->class_usd_per_m_output_tokens);
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    if (!names[i][0] || strlen(names[i]) >= sizeof out[0].name) {
      ic_diag(NULL, 0, "traffic.class_names: item %zu: expected a name of 1 to %zu characters, got '%s'", i + 1,
              sizeof out[0].name - 1, names[i]);
      ok = false;
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(names[i], names[j]) == 0) {
        ic_diag(NULL, 0, "traffic.class_names: '%s' appears twice", names[i]);
        ok = false;
      }
  }
  bool classes = !is_none(c->class_names);
  if (!classes) {
    static const char *const keys[] = {"class_shares", "class_prompt_tokens", "class_output_tokens",
                                       "class_ttft_target_s", "class_tpot_target_s", "class_usd_per_m_input_tokens",
                                       "class_usd_per_m_cached_input_tokens", "class_usd_per_m_output_tokens"};
    const char *vals[] = {c->class_shares, c->class_prompt_tokens, c->class_output_tokens, c->class_ttft_target_s,
                          c->class_tpot_target_s, c->class_usd_per_m_input_tokens,
                          c->class_usd_per_m_cached_input_tokens, c->class_usd_per_m_output_tokens};
    for (size_t k = 0; k < 8; k++)
      if (!is_none(vals[k]) && k != 3 && k != 4) {
        ic_diag(NULL, 0, "traffic.%s is set but traffic.class_names is none", keys[k]);
        ok = false;
      }
    /* latency targets of the single default class may be given as one value */
    ok = per_class("class_ttft_target_s", c->class_ttft_target_s, 1, 0, true, ttft) && ok;
    ok = per_class("class_tpot_target_s", c->class_tpot_target_s, 1, 0, true, tpot) && ok;
  } else {
    ok = per_class("class_shares", c->class_shares, n, 0, false, share) && ok;
    ok = per_class("class_prompt_tokens", c->class_prompt_tokens, n, 1, false, prompt) && ok;
    ok = per_class("class_output_tokens", c->class_output_tokens, n, 1, false, output) && ok;
    ok = per_class("class_ttft_target_s", c->class_ttft_target_s, n, 0, true, ttft) && ok;
    ok = per_class("class_tpot_target_s", c->class_tpot_target_s, n, 0, true, tpot) && ok;
    ok = per_class("class_usd_per_m_input_tokens", c->class_usd_per_m_input_tokens, n, 0, false, price_in) && ok;
    ok = per_class("class_usd_per_m_cached_input_tokens", c->class_usd_per_m_cached_input_tokens, n, 0, false,
                   price_cached) && ok;
    ok = per_class("class_usd_per_m_output_tokens", c->class_usd_per_m_output_tokens, n, 0, false, price_out) && ok;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += share[i];
    if (ok && fabs(sum - 1) > 1e-6) {
      ic_diag(NULL, 0, "traffic.class_shares: the shares sum to %g, expected 1", sum);
      ok = false;
    }
    bool lists = !is_none(c->class_prompt_tokens) || !is_none(c->class_output_tokens);
    int dists[] = {c->prompt_dist, c->output_dist};
    for (int k = 0; k < 2; k++)
      if (lists && dists[k] != IC_LENGTH_FIXED && dists[k] != IC_LENGTH_LOGNORMAL) {
        ic_diag(NULL, 0, "traffic.class_%s_tokens: per-class lengths apply to fixed and lognormal lengths only",
                k ? "output" : "prompt");
        ok = false;
      }
    if (!is_none(c->class_prompt_tokens) && c->prompt_dist == IC_LENGTH_LOGNORMAL && !isnan(c->prompt_lognormal_mu)) {
      ic_diag(NULL, 0, "traffic.class_prompt_tokens: per-class means need traffic.prompt_lognormal_mu = auto");
      ok = false;
    }
    if (!is_none(c->class_output_tokens) && c->output_dist == IC_LENGTH_LOGNORMAL && !isnan(c->output_lognormal_mu)) {
      ic_diag(NULL, 0, "traffic.class_output_tokens: per-class means need traffic.output_lognormal_mu = auto");
      ok = false;
    }
  }
  if (!ok) return IC_EINVAL;
  for (size_t i = 0; i < n; i++) {
    memset(&out[i], 0, sizeof out[i]);
    snprintf(out[i].name, sizeof out[i].name, "%.*s", (int)sizeof out[i].name - 1, names[i]);
    out[i].share = share[i];
    out[i].prompt_tokens = (int64_t)llround(prompt[i]);
    out[i].output_tokens = (int64_t)llround(output[i]);
    out[i].ttft_target_s = ttft[i];
    out[i].tpot_target_s = tpot[i];
    out[i].priced = priced;
    out[i].usd_per_m_input_tokens = price_in[i];
    out[i].usd_per_m_cached_input_tokens = price_cached[i];
    out[i].usd_per_m_output_tokens = price_out[i];
  }
  *count = n;
  return IC_OK;
}

/* --- trace options from the keys ----------------------------------------------- */

void ic__trace_options(const struct ic_traffic_config *c, struct ic_trace_options *o) {
  memset(o, 0, sizeof *o);
  o->format = c->trace_format;
  if (!is_none(c->trace_time_column)) snprintf(o->time_column, sizeof o->time_column, "%s", c->trace_time_column);
  if (!is_none(c->trace_prompt_column))
    snprintf(o->prompt_column, sizeof o->prompt_column, "%s", c->trace_prompt_column);
  if (!is_none(c->trace_output_column))
    snprintf(o->output_column, sizeof o->output_column, "%s", c->trace_output_column);
  o->time_unit = c->trace_time_unit;
  o->time_relative = c->trace_time_relative;
  o->skip_bad_rows = c->trace_skip_bad_rows;
  if (!is_none(c->trace_hash_column)) snprintf(o->hash_column, sizeof o->hash_column, "%s", c->trace_hash_column);
  if (!is_none(c->trace_class_column))
    snprintf(o->class_column, sizeof o->class_column, "%s", c->trace_class_column);
  o->block_tokens = c->trace_block_tokens;
}

/* --- generator set-up -------------------------------------------------------- */

static ic_status load_empirical(struct ic__gen *g, const struct ic_traffic_config *c, int column) {
  struct ic_trace_options o;
  ic__trace_options(c, &o);
  o.lengths_only = true;
  struct ic_trace_histogram h;
  ic_status st = ic_trace_histogram_read(c->trace_path, &o, column, &h);
  if (st != IC_OK) return st;
  g->base.input_hash = h.content_hash; /* both columns come from the one trace_path */
  g->emp_table[column] = gsl_ran_discrete_preproc(h.size, h.counts);
  g->emp_values[column] = h.values;
  h.values = NULL;
  ic_trace_histogram_free(&h);
  return g->emp_table[column] ? IC_OK : IC_ENOMEM;
}

/* empirical_sampling rows / each_once: every (prompt, output) row of the
 * trace, in file order. */
static ic_status load_rows(struct ic__gen *g, const struct ic_traffic_config *c) {
  struct ic_trace_options o;
  ic__trace_options(c, &o);
  o.lengths_only = true;
  ic_status st;
  ic_trace *t = ic_trace_open(c->trace_path, &o, &st);
  if (!t) return st;
  size_t cap = 0;
  struct ic_trace_record r;
  while ((st = ic_trace_next(t, &r)) == IC_OK) {
    if (g->emp_nrows == cap) {
      cap = cap ? 2 * cap : 1024;
      int64_t(*p)[2] = realloc(g->emp_rows, cap * sizeof *p);
      if (!p) {
        st = IC_ENOMEM;
        break;
      }
      g->emp_rows = p;
    }
    g->emp_rows[g->emp_nrows][0] = r.prompt_tokens;
    g->emp_rows[g->emp_nrows++][1] = r.output_tokens;
  }
  if (st == IC_ENOENT) {
    st = IC_OK;
    g->base.input_hash = ic_trace_content_hash(t);
    if (g->emp_nrows == 0) {
      ic_diag(c->trace_path, 0, "traffic.empirical_sampling: the trace has no rows to draw");
      st = IC_EINVAL;
    }
  }
  ic_trace_free(t);
  return st;
}

static void resolve_length(struct ic__gen *g, int column, int kind, int64_t mean, double cv, double mu, double sigma,
                           int64_t lo, int64_t hi, double zipf_s, struct ic__length_dist *d) {
  memset(d, 0, sizeof *d);
  d->kind = kind;
  d->fixed = mean;
  d->lo = lo;
  d->hi = hi;
  d->zipf_s = zipf_s;
  if (isnan(mu)) ic_lognormal_from_mean_cv((double)mean, cv, &d->mu, &d->sigma);
  else d->mu = mu, d->sigma = sigma;
  d->emp_table = g->emp_table[column];
  d->emp_values = g->emp_values[column];
}

static ic_status open_generator(const struct ic_traffic_config *c, ic_sim *sim, ic_time_ns end_ns,
                                const struct ic_traffic_class *cls, size_t nclass, ic_source **out) {
  struct ic__gen *g = calloc(1, sizeof *g);
  if (!g) return IC_ENOMEM;
  g->base.ops = &ic__gen_ops;
  ic_status st = IC_ENOMEM;
  g->arr = ic_sim_rng(sim, "traffic.arrivals");
  g->len = ic_sim_rng(sim, "traffic.lengths");
  g->cls = ic_sim_rng(sim, "traffic.classes");
  if (!g->arr || !g->len || !g->cls) goto fail;
  g->arrival = c->arrival;
  g->mean_gap_s = 86400.0 / c->queries_per_day;
  g->cv = c->arrival_cv;
  g->end_ns = end_ns;
  double w[MAX_ITEMS], sum = 0, day_max = 1, week_max = 1;
  if (c->arrival == IC_ARRIVAL_DIURNAL && !is_none(c->diurnal_hourly_weights)) {
    g->diurnal = IC__DIURNAL_HOURLY;
    number_list("diurnal_hourly_weights", c->diurnal_hourly_weights, 24, 0, false, w, NULL);
    for (int i = 0; i < 24; i++) sum += w[i];
    for (int i = 0; i < 24; i++) day_max = fmax(day_max, g->hourly[i] = 24 * w[i] / sum);
  } else if (c->arrival == IC_ARRIVAL_DIURNAL) {
    g->diurnal = IC__DIURNAL_SINE;
    g->peak_to_trough = c->diurnal_peak_to_trough;
    g->peak_hour = c->diurnal_peak_hour;
    day_max = ic_diurnal_factor(c->diurnal_peak_hour, c->diurnal_peak_to_trough, c->diurnal_peak_hour);
  }
  if (!is_none(c->weekly_weights)) {
    g->has_weekly = true;
    number_list("weekly_weights", c->weekly_weights, 7, 0, false, w, NULL);
    sum = 0;
    for (int i = 0; i < 7; i++) sum += w[i];
    for (int i = 0; i < 7; i++) week_max = fmax(week_max, g->weekly[i] = 7 * w[i] / sum);
  }
  if (c->arrival == IC_ARRIVAL_GAMMA && !is_none(c->diurnal_hourly_weights)) {
    g->diurnal = IC__DIURNAL_HOURLY;
    number_list("diurnal_hourly_weights", c->diurnal_hourly_weights, 24, 0, false, w, NULL);
    sum = 0;
    for (int i = 0; i < 24; i++) sum += w[i];
    for (int i = 0; i < 24; i++) g->hourly[i] = 24 * w[i] / sum;
  }
  if (!is_none(c->rate_profile)) {
    number_list("rate_profile", c->rate_profile, 0, 0, false, w, &g->nprofile);
    sum = 0;
    for (size_t i = 0; i < g->nprofile; i++) sum += w[i];
    for (size_t i = 0; i < g->nprofile; i++) g->profile[i] = (double)g->nprofile * w[i] / sum;
    g->profile_bin_s = c->rate_profile_bin_s;
  }
  /* a renewal process keeps its CV only through a time change, not by
   * thinning; a profile uses it for Poisson too */
  g->time_change = g->nprofile || (c->arrival == IC_ARRIVAL_GAMMA && (g->diurnal || g->has_weekly));
  g->seg_len_s = g->nprofile ? g->profile_bin_s : 3600;
  g->max_factor = day_max * week_max;
  g->gap_block = !g->time_change && c->arrival != IC_ARRIVAL_GAMMA && g->diurnal == IC__DIURNAL_NONE && !g->has_weekly;
  g->gap_next = IC__GAPS;
  g->emp_sampling = c->empirical_sampling;
  g->emp_output_scale = c->empirical_output_scale;
  if (g->emp_sampling != IC_EMPIRICAL_COLUMNS) {
    if ((st = load_rows(g, c)) != IC_OK) goto fail;
  } else {
    if (c->prompt_dist == IC_LENGTH_EMPIRICAL && (st = load_empirical(g, c, 0)) != IC_OK) goto fail;
    if (c->output_dist == IC_LENGTH_EMPIRICAL && (st = load_empirical(g, c, 1)) != IC_OK) goto fail;
  }
  g->nclass = nclass;
  for (size_t i = 0; i < nclass; i++) {
    resolve_length(g, 0, c->prompt_dist, cls[i].prompt_tokens, c->prompt_tokens_cv, c->prompt_lognormal_mu,
                   c->prompt_lognormal_sigma, c->prompt_tokens_min, c->prompt_tokens_max, c->prompt_zipf_s,
                   &g->prompt[i]);
    resolve_length(g, 1, c->output_dist, cls[i].output_tokens, c->output_tokens_cv, c->output_lognormal_mu,
                   c->output_lognormal_sigma, c->output_tokens_min, c->output_tokens_max, c->output_zipf_s,
                   &g->output[i]);
  }
  if (nclass > 1) {
    double share[IC_TRAFFIC_MAX_CLASSES];
    for (size_t i = 0; i < nclass; i++) share[i] = cls[i].share;
    st = IC_ENOMEM;
    if (!(g->class_table = gsl_ran_discrete_preproc(nclass, share))) goto fail;
  }
  /* one class (no class draw), fixed lengths: gen_next's lengths, once */
  g->fixed_lengths = nclass <= 1 && g->prompt[0].kind == IC_LENGTH_FIXED && g->output[0].kind == IC_LENGTH_FIXED &&
                     g->emp_sampling == IC_EMPIRICAL_COLUMNS;
  struct ic_request *fr = &g->fixed_request;
  fr->prompt_tokens = g->prompt[0].fixed;
  fr->output_tokens = g->output[0].fixed;
  ic__clamp_lengths(&fr->prompt_tokens, &fr->output_tokens, g->prompt[0].lo, g->prompt[0].hi, g->output[0].lo,
                    g->output[0].hi, 0);
  if ((st = ic__prefix_open(g, c, sim)) != IC_OK) goto fail;
  if (g->gap_block && g->fixed_lengths && !g->prefix) g->base.ops = &ic__gen_plain_ops;
  *out = &g->base;
  return IC_OK;
fail:
  ic__gen_ops.free(&g->base);
  return st;
}

ic_status ic_traffic_open(const struct ic_traffic_config *c, ic_sim *sim, ic_time_ns end_ns,
                          int64_t context_max_tokens, ic_source **out) {
  *out = NULL;
  ic_status st = ic_traffic_check(c);
  if (st != IC_OK) return st;
  struct ic_traffic_class cls[IC_TRAFFIC_MAX_CLASSES];
  size_t n = 0;
  if ((st = ic_traffic_classes(c, cls, &n)) != IC_OK) return st;
  st = c->arrival == IC_ARRIVAL_TRACE ? ic__open_replay(c, sim, end_ns, context_max_tokens, cls, n, out)
                                      : open_generator(c, sim, end_ns, cls, n, out);
  if (st == IC_OK) {
    (*out)->context_max_tokens = context_max_tokens;
    (*out)->over_context = c->over_context;
  }
  return st;
}
