/* traffic.c: stochastic request generators and their samplers. */
#include "infercost/traffic.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "infercost/rng.h"
#include "traffic_impl.h"

#define IC_PI 3.14159265358979323846

/* --- samplers ----------------------------------------------------------- */

void ic_lognormal_from_mean_cv(double mean, double cv, double *mu, double *sigma) {
  double s2 = log1p(cv * cv);
  *sigma = sqrt(s2);
  *mu = log(mean) - 0.5 * s2;
}

/* What gsl_ran_exponential(r, mu) returns, by GSL's own operations (2.7:
 * -mu log1p(-u) of one uniform; test_traffic checks it draw for draw) with
 * the uniform inline (ic_rng_uniform). */
static inline double exponential(const gsl_rng *r, double mu) { return -mu * log1p(-ic_rng_uniform(r)); }

double ic_ran_gamma_gap(const gsl_rng *r, double mean_s, double cv) {
  double shape = 1.0 / (cv * cv);
  return gsl_ran_gamma(r, shape, mean_s / shape);
}

double ic_cdf_gamma_gap_P(double x_s, double mean_s, double cv) {
  double shape = 1.0 / (cv * cv);
  return gsl_cdf_gamma_P(x_s, shape, mean_s / shape);
}

/* Helpers of rejection-inversion: log1p(x)/x and expm1(x)/x, both -> 1. */
static double helper1(double x) { return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x)); }
static double helper2(double x) { return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x)); }
static double zipf_h_integral(double x, double s) {
  double lx = log(x);
  return helper2((1 - s) * lx) * lx;
}
static double zipf_h(double x, double s) { return exp(-s * log(x)); }
static double zipf_h_integral_inverse(double x, double s) {
  double t = x * (1 - s);
  if (t < -1) t = -1; /* numerical guard */
  return exp(helper1(t) * x);
}

unsigned long ic_ran_zipf(const gsl_rng *r, double s, unsigned long n) {
  if (n <= 1) return 1;
  double hx1 = zipf_h_integral(1.5, s) - 1;
  double hn = zipf_h_integral((double)n + 0.5, s);
  double sdiv = 2 - zipf_h_integral_inverse(zipf_h_integral(2.5, s) - zipf_h(2, s), s);
  for (;;) {
    double u = hn + ic_rng_uniform(r) * (hx1 - hn);
    double x = zipf_h_integral_inverse(u, s);
    double kd = floor(x + 0.5);
    unsigned long k = kd < 1 ? 1 : kd > (double)n ? n : (unsigned long)kd;
    if ((double)k - x <= sdiv || u >= zipf_h_integral((double)k + 0.5, s) - zipf_h((double)k, s)) return k;
  }
}

double ic_ran_zipf_pdf(unsigned long k, double s, unsigned long n) {
  if (k < 1 || k > n) return 0;
  double h = 0;
  for (unsigned long i = n; i >= 1; i--) h += pow((double)i, -s); /* small terms first */
  return pow((double)k, -s) / h;
}

double ic_diurnal_factor(double hour, double peak_to_trough, double peak_hour) {
  double a = (peak_to_trough - 1) / (peak_to_trough + 1);
  return 1 + a * cos(2 * IC_PI * (hour - peak_hour) / 24.0);
}

/* --- lengths ----------------------------------------------------------------- */

int64_t ic__length_sample(const struct ic__length_dist *d, gsl_rng *r) {
  double v;
  switch (d->kind) {
  case IC_LENGTH_UNIFORM:
    return d->lo + (int64_t)ic_rng_uniform_int(r, (unsigned long)(d->hi - d->lo + 1));
  case IC_LENGTH_LOGNORMAL:
    v = round(gsl_ran_lognormal(r, d->mu, d->sigma));
    break;
  case IC_LENGTH_ZIPF:
    return (int64_t)ic_ran_zipf(r, d->zipf_s, (unsigned long)d->hi);
  case IC_LENGTH_EMPIRICAL:
    return d->emp_values[gsl_ran_discrete(r, d->emp_table)];
  default:
    return d->fixed;
  }
  if (v < (double)d->lo) return d->lo;
  if (v > (double)d->hi) return d->hi;
  return (int64_t)v;
}

void ic__gen_lengths(struct ic__gen *g, int c, int64_t *prompt, int64_t *output) {
  const struct ic__length_dist *dp = &g->prompt[c], *dout = &g->output[c];
  if (g->emp_sampling == IC_EMPIRICAL_COLUMNS) {
    *prompt = ic__length_sample(dp, g->len);
    *output = ic__length_sample(dout, g->len);
  } else {
    const int64_t *row;
    if (g->emp_sampling == IC_EMPIRICAL_ROWS) {
      row = g->emp_rows[ic_rng_uniform_int(g->len, (unsigned long)g->emp_nrows)];
    } else { /* each_once: a new order at the start of every pass */
      if (g->emp_next == 0) gsl_ran_shuffle(g->len, g->emp_rows, g->emp_nrows, sizeof g->emp_rows[0]);
      row = g->emp_rows[g->emp_next];
      if (++g->emp_next == g->emp_nrows) g->emp_next = 0;
    }
    *prompt = dp->kind == IC_LENGTH_EMPIRICAL ? row[0] : ic__length_sample(dp, g->len);
    *output = dout->kind == IC_LENGTH_EMPIRICAL ? row[1] : ic__length_sample(dout, g->len);
  }
  if (dout->kind == IC_LENGTH_EMPIRICAL && g->emp_output_scale != 1) {
    double o = round((double)*output * g->emp_output_scale);
    *output = o < 1 ? 1 : (int64_t)o;
  }
}

/* --- generator ------------------------------------------------------------- */

/* Relative rate at time t (mean 1 over a day, and over a week). */
static double rate_factor(const struct ic__gen *g, double t_s) {
  double f = 1;
  double hour = fmod(t_s / 3600.0, 24.0);
  if (g->diurnal == IC__DIURNAL_SINE) f = ic_diurnal_factor(hour, g->peak_to_trough, g->peak_hour);
  else if (g->diurnal == IC__DIURNAL_HOURLY) f = g->hourly[(int)hour];
  if (g->has_weekly) f *= g->weekly[(long)floor(t_s / 86400.0) % 7];
  if (g->nprofile) f *= g->profile[(size_t)floor(t_s / g->profile_bin_s) % g->nprofile];
  return f;
}

/* Maps operational time g->clock_s to real time through the segments of
 * constant rate; false past end_ns. */
static bool time_change(struct ic__gen *g, double *t_s) {
  for (;;) {
    double start_s = (double)g->seg * g->seg_len_s;
    if (ic_time_from_s(start_s) >= g->end_ns) return false;
    double f = rate_factor(g, start_s + 0.5 * g->seg_len_s), len_tau = f * g->seg_len_s;
    if (g->clock_s < g->seg_tau + len_tau) {
      *t_s = start_s + (g->clock_s - g->seg_tau) / f; /* f > 0 here */
      return true;
    }
    g->seg_tau += len_tau;
    g->seg++;
  }
}

/* The next IC__GAPS uniforms of the arrivals stream, as exponential()
 * takes them, and their log1p's: calls with no dependence between them. */
static __attribute__((noinline)) void refill_gaps(struct ic__gen *g) {
  double u[IC__GAPS];
  ic_rng_uniforms(g->arr, u, IC__GAPS);
  for (int i = 0; i < IC__GAPS; i++) g->gap_log1p[i] = log1p(-u[i]);
  g->gap_next = 0;
}

/* The arrival processes but plain Poisson: out of line, so that gen_next
 * keeps only plain Poisson's few lines. */
static __attribute__((noinline)) ic_status gen_arrival_other(struct ic__gen *g, ic_time_ns *t) {
  if (g->time_change) {
    double gap = g->arrival == IC_ARRIVAL_GAMMA ? ic_ran_gamma_gap(g->arr, g->mean_gap_s, g->cv)
                                                : exponential(g->arr, g->mean_gap_s);
    double t_s;
    g->clock_s += gap;
    if (!time_change(g, &t_s)) return IC_ENOENT;
    *t = ic_time_from_s(t_s);
    return *t >= g->end_ns ? IC_ENOENT : IC_OK;
  }
  if (g->arrival == IC_ARRIVAL_GAMMA) {
    g->clock_s += ic_ran_gamma_gap(g->arr, g->mean_gap_s, g->cv);
  } else {
    /* thinning (Lewis and Shedler): candidates at the peak rate, each kept
     * with probability rate(t) / peak */
    do {
      g->clock_s += exponential(g->arr, g->mean_gap_s / g->max_factor);
      if (ic_time_from_s(g->clock_s) >= g->end_ns) return IC_ENOENT;
    } while (ic_rng_uniform(g->arr) * g->max_factor > rate_factor(g, g->clock_s));
  }
  *t = ic_time_from_s(g->clock_s);
  return *t >= g->end_ns ? IC_ENOENT : IC_OK;
}

/* Plain Poisson's next arrival (g->gap_block). */
static inline ic_status poisson_arrival(struct ic__gen *g, ic_time_ns *t) {
  if (g->gap_next == IC__GAPS) refill_gaps(g);
  g->clock_s += -g->mean_gap_s * g->gap_log1p[g->gap_next++]; /* exponential()'s value */
  *t = ic_time_from_s(g->clock_s);
  return *t >= g->end_ns ? IC_ENOENT : IC_OK;
}

/* ic__gen_arrival, inline in gen_next (every generated arrival). */
static inline ic_status gen_arrival(struct ic__gen *g, ic_time_ns *t) {
  if (!g->gap_block) return gen_arrival_other(g, t);
  return poisson_arrival(g, t);
}

/* The request of one class with fixed lengths (g->fixed_lengths) at t. */
static inline void fixed_request(struct ic__gen *g, struct ic_request *out, ic_time_ns t) {
  *out = g->fixed_request; /* copied whole: ic_source_next's one read of both lengths meets one store */
  out->id = g->next_id++;
  out->arrival_ns = t;
}

ic_status ic__gen_arrival(struct ic__gen *g, ic_time_ns *t) { return gen_arrival(g, t); }

static ic_status gen_next(ic_source *src, struct ic_request *out) {
  struct ic__gen *g = (struct ic__gen *)src;
  if (g->prefix) return ic__prefix_next(g, out);
  ic_time_ns t;
  if (gen_arrival(g, &t) != IC_OK) return IC_ENOENT;
  if (g->fixed_lengths) { /* what the lines below give for one class, without reading its distributions */
    fixed_request(g, out, t);
    return IC_OK;
  }
  int c = ic__gen_class(g);
  int64_t p, o;
  const struct ic__length_dist *dp = &g->prompt[c], *dout = &g->output[c];
  if (dp->kind == IC_LENGTH_FIXED && dout->kind == IC_LENGTH_FIXED && g->emp_sampling == IC_EMPIRICAL_COLUMNS)
    p = dp->fixed, o = dout->fixed; /* what ic__gen_lengths gives, without a call */
  else
    ic__gen_lengths(g, c, &p, &o);
  ic__clamp_lengths(&p, &o, g->prompt[c].lo, g->prompt[c].hi, g->output[c].lo, g->output[c].hi, 0);
  *out = (struct ic_request){.id = g->next_id++, .arrival_ns = t, .prompt_tokens = p, .output_tokens = o,
                             .class_id = c};
  return IC_OK;
}

/* gen_next where the generator is plain Poisson with one class of fixed
 * lengths and no prefixes (the default and 2025 scenarios; ic__gen_plain_ops,
 * chosen at open): the same lines without gen_next's tests of the other
 * cases or the frame that their registers need. */
static ic_status gen_next_plain(ic_source *src, struct ic_request *out) {
  struct ic__gen *g = (struct ic__gen *)src;
  ic_time_ns t;
  if (poisson_arrival(g, &t) != IC_OK) return IC_ENOENT;
  fixed_request(g, out, t);
  return IC_OK;
}

static void gen_free(ic_source *src) {
  struct ic__gen *g = (struct ic__gen *)src;
  ic__prefix_free(g->prefix);
  ic_block_ring_free(g->base.blocks);
  gsl_ran_discrete_free(g->class_table);
  for (int i = 0; i < 2; i++) {
    gsl_ran_discrete_free(g->emp_table[i]);
    free(g->emp_values[i]);
  }
  free(g->emp_rows);
  free(g);
}

const struct ic_source_ops ic__gen_ops = {"generator", gen_next, gen_free, NULL};
const struct ic_source_ops ic__gen_plain_ops = {"generator", gen_next_plain, gen_free, NULL};

/* --- the lead's original constructor ---------------------------------------- */

struct poisson_fixed {
  ic_source base;
  gsl_rng *rng;
  double mean_gap_s;
  int64_t prompt_tokens, output_tokens;
  ic_time_ns end_ns;
  double clock_s; /* kept in seconds so gaps do not accumulate rounding */
  uint64_t next_id;
};

static ic_status poisson_fixed_next(ic_source *src, struct ic_request *out) {
  struct poisson_fixed *p = (struct poisson_fixed *)src;
  p->clock_s += exponential(p->rng, p->mean_gap_s);
  ic_time_ns t = ic_time_from_s(p->clock_s);
  if (t >= p->end_ns) return IC_ENOENT;
  *out = (struct ic_request){p->next_id++, t, p->prompt_tokens, p->output_tokens, 0, 0, 0};
  return IC_OK;
}

static void free_plain(ic_source *src) { free(src); }

static const struct ic_source_ops poisson_fixed_ops = {"poisson-fixed", poisson_fixed_next, free_plain, NULL};

ic_source *ic_source_poisson_fixed(gsl_rng *rng, double rate_per_s, int64_t prompt_tokens,
                                   int64_t output_tokens, ic_time_ns end_ns) {
  struct poisson_fixed *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->base.ops = &poisson_fixed_ops;
  p->rng = rng;
  p->mean_gap_s = 1.0 / rate_per_s;
  p->prompt_tokens = prompt_tokens;
  p->output_tokens = output_tokens;
  p->end_ns = end_ns;
  return &p->base;
}

/* prompt + output > context: counted, then cut (the prompt to context - 1
 * if longer, the output to what is left), rejected, or refused. */
ic_status ic_source_next(ic_source *src, struct ic_request *out) {
  int64_t ctx = src->context_max_tokens;
  for (;;) {
    ic_status st = src->ops->next(src, out);
    if (st != IC_OK) return st;
    /* a warm-up's requests are simulated, not counted */
    bool counted = out->arrival_ns >= src->count_from_ns;
    if (counted) {
      src->offered.requests++;
      src->offered.prompt_tokens += out->prompt_tokens;
      src->offered.output_tokens += out->output_tokens;
    }
    if (ctx <= 0 || out->prompt_tokens + out->output_tokens <= ctx) break;
    struct ic_request_count none = {0}, *over = counted ? &src->over : &none;
    if (src->over_context == IC_OVER_CONTEXT_ERROR) {
      ic_diag(NULL, 0, "traffic.over_context = error: request %llu has %lld prompt + %lld output tokens, more than "
              "the model's context of %lld (model.context_max); choose clamp or reject to count such requests",
              (unsigned long long)src->delivered, (long long)out->prompt_tokens, (long long)out->output_tokens,
              (long long)ctx);
      return IC_EINVAL;
    }
    over->requests++;
    if (src->over_context == IC_OVER_CONTEXT_REJECT) {
      over->prompt_tokens += out->prompt_tokens;
      over->output_tokens += out->output_tokens;
      continue;
    }
    int64_t p = out->prompt_tokens, o = out->output_tokens;
    ic__clamp_lengths(&out->prompt_tokens, &out->output_tokens, 1, INT64_MAX, 1, INT64_MAX, ctx);
    over->prompt_tokens += p - out->prompt_tokens;
    over->output_tokens += o - out->output_tokens;
    if (src->blocks) { /* the blocks of the prompt kept: the cut is at its end */
      int64_t bt = ic_block_ring_block_tokens(src->blocks);
      uint64_t fit = (uint64_t)((out->prompt_tokens + bt - 1) / bt);
      if (out->block_count > fit) out->block_count = (uint32_t)fit;
    }
    break;
  }
  if (out->prompt_tokens > IC_REQUEST_TOKENS_MAX || out->output_tokens > IC_REQUEST_TOKENS_MAX) {
    /* a session's prompt grows with its turns: no key bounds it (traces and drawn lengths are bounded at their source) */
    ic_diag(NULL, 0, "request %llu has %lld prompt + %lld output tokens, more than infercost's limit of %lld for "
            "either (set model.context_max to clamp or reject longer requests)",
            (unsigned long long)src->delivered, (long long)out->prompt_tokens, (long long)out->output_tokens,
            (long long)IC_REQUEST_TOKENS_MAX);
    return IC_EINVAL;
  }
  out->id = src->delivered++;
  return IC_OK;
}

ic_status ic_source_finish(ic_source *src) { return src->ops->finish ? src->ops->finish(src) : IC_OK; }

const struct ic_request_count *ic_source_over_context(const ic_source *src) { return &src->over; }
const struct ic_request_count *ic_source_offered(const ic_source *src) { return &src->offered; }
uint64_t ic_source_input_hash(const ic_source *src) { return src->input_hash; }
void ic_source_count_from(ic_source *src, ic_time_ns from_ns) { src->count_from_ns = from_ns; }

const ic_block_ring *ic_source_blocks(const ic_source *src) { return src->blocks; }

void ic_source_free(ic_source *src) {
  if (src) src->ops->free(src);
}
