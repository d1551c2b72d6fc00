/* trace_stats.c: one streaming pass over a trace: rates, token percentiles,
 * burstiness, and the fits written by `infercost trace fit`.
 *
 * Memory is bounded by the data's shape, not its length: token counts go
 * into a dense histogram for 0..DENSE_MAX-1 plus a list of the (rare) larger
 * values; the sliding 60 s window keeps only the arrivals inside it, so its
 * size is bounded by the peak rate. */
#include "infercost/trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_psi.h>

#define DENSE_MAX (1 << 17) /* token counts below this are counted densely */
#define WINDOW_NS (60 * IC_NS_PER_S)

struct tokhist {
  uint64_t *dense;          /* DENSE_MAX counts */
  int64_t *over;            /* values >= DENSE_MAX, sorted at the end */
  size_t over_len, over_cap;
  uint64_t n, sum;
  int64_t min, max;
};

static bool hist_init(struct tokhist *h) {
  memset(h, 0, sizeof *h);
  h->dense = calloc(DENSE_MAX, sizeof *h->dense);
  h->min = INT64_MAX;
  h->max = INT64_MIN;
  return h->dense != NULL;
}

static void hist_fini(struct tokhist *h) {
  free(h->dense);
  free(h->over);
}

static bool hist_add(struct tokhist *h, int64_t v) {
  if (v < DENSE_MAX) {
    h->dense[v]++;
  } else {
    if (h->over_len == h->over_cap) {
      size_t cap = h->over_cap ? 2 * h->over_cap : 64;
      int64_t *p = realloc(h->over, cap * sizeof *p);
      if (!p) return false;
      h->over = p;
      h->over_cap = cap;
    }
    h->over[h->over_len++] = v;
  }
  h->n++;
  h->sum += (uint64_t)v;
  if (v < h->min) h->min = v;
  if (v > h->max) h->max = v;
  return true;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The i-th smallest value (0-based); needs the overflow list sorted. */
static int64_t hist_at(const struct tokhist *h, uint64_t i) {
  uint64_t cum = 0;
  for (int64_t v = 0; v < DENSE_MAX; v++) {
    cum += h->dense[v];
    if (i < cum) return v;
  }
  return h->over[i - cum];
}

/* Calls fn(value, count) for each distinct value in ascending order. */
static void hist_each(const struct tokhist *h, void (*fn)(void *, int64_t, uint64_t), void *ctx) {
  for (int64_t v = 0; v < DENSE_MAX; v++)
    if (h->dense[v]) fn(ctx, v, h->dense[v]);
  for (size_t i = 0; i < h->over_len;) {
    size_t j = i;
    while (j < h->over_len && h->over[j] == h->over[i]) j++;
    fn(ctx, h->over[i], (uint64_t)(j - i));
    i = j;
  }
}

struct lnfit {
  double mu, s1, s2, n, cum, ks, sigma;
  int pass;
};

static void lnfit_visit(void *ctx, int64_t v, uint64_t c) {
  struct lnfit *f = ctx;
  if (v < 1) return;
  double x = log((double)v), w = (double)c;
  if (f->pass == 0) {
    f->s1 += w * x;
    f->n += w;
  } else if (f->pass == 1) {
    f->s2 += w * (x - f->mu) * (x - f->mu);
  } else {
    /* integer data against the continuous fit rounded to the nearest
     * integer: compare at both sides of each jump */
    double lo = gsl_cdf_lognormal_P((double)v - 0.5, f->mu, f->sigma);
    double hi = gsl_cdf_lognormal_P((double)v + 0.5, f->mu, f->sigma);
    double before = f->cum / f->n;
    f->cum += w;
    double after = f->cum / f->n;
    f->ks = fmax(f->ks, fmax(fabs(before - lo), fabs(after - hi)));
  }
}

static void summarise(struct tokhist *h, struct ic_token_summary *s) {
  if (h->over_len) qsort(h->over, h->over_len, sizeof *h->over, cmp_i64);
  uint64_t n = h->n;
  s->mean = (double)h->sum / (double)n;
  s->median = n % 2 ? (double)hist_at(h, n / 2) : 0.5 * (double)(hist_at(h, n / 2 - 1) + hist_at(h, n / 2));
  /* nearest rank: k = max(1, ceil(p / 100 * n)) */
  double k = ceil(99.0 / 100.0 * (double)n);
  s->p99 = hist_at(h, (uint64_t)(k < 1 ? 1 : k) - 1);
  s->min = h->min;
  s->max = h->max;
  s->zero_rows = h->dense[0];
  struct lnfit f = {0};
  hist_each(h, lnfit_visit, &f);
  s->lognormal_mu = s->lognormal_sigma = s->lognormal_ks_d = (double)NAN;
  if (f.n < 2) return;
  f.mu = f.s1 / f.n;
  f.pass = 1;
  hist_each(h, lnfit_visit, &f);
  f.sigma = sqrt(f.s2 / f.n); /* maximum likelihood: divide by n */
  s->lognormal_mu = f.mu;
  s->lognormal_sigma = f.sigma;
  if (f.sigma > 0) {
    f.pass = 2;
    hist_each(h, lnfit_visit, &f);
    s->lognormal_ks_d = f.ks;
  }
}

/* Arrivals inside the last 60 s, as a growable ring. */
struct window {
  ic_time_ns *t;
  size_t head, len, cap;
};

static bool window_push(struct window *w, ic_time_ns t) {
  if (w->len == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 1024;
    ic_time_ns *p = malloc(cap * sizeof *p);
    if (!p) return false;
    for (size_t k = 0; k < w->len; k++) p[k] = w->t[(w->head + k) % w->cap];
    free(w->t);
    w->t = p;
    w->cap = cap;
    w->head = 0;
  }
  w->t[(w->head + w->len++) % w->cap] = t;
  return true;
}

static void window_expire(struct window *w, ic_time_ns now) {
  while (w->len && now - w->t[w->head] >= WINDOW_NS) {
    w->head = (w->head + 1) % w->cap;
    w->len--;
  }
}

/* Maximum-likelihood gamma shape from s = ln(mean) - mean(ln x) (Minka's
 * start, then Newton on ln k - psi(k) = s). NAN when s <= 0. */
static double gamma_mle_shape(double s) {
  if (!(s > 0)) return (double)NAN;
  double k = (3 - s + sqrt((s - 3) * (s - 3) + 24 * s)) / (12 * s);
  for (int i = 0; i < 50; i++) {
    double f = log(k) - gsl_sf_psi(k) - s;
    double df = 1 / k - gsl_sf_psi_1(k);
    double step = f / df;
    k -= step;
    if (k <= 0) k = 1e-12;
    if (fabs(step) < 1e-12 * k) break;
  }
  return k;
}

ic_status ic_trace_stats_compute(const char *path, const struct ic_trace_options *opt, struct ic_trace_stats *st) {
  memset(st, 0, sizeof *st);
  ic_status status = IC_ENOMEM;
  struct tokhist hp, ho;
  struct window w = {0};
  bool hp_ok = hist_init(&hp), ho_ok = hist_init(&ho);
  ic_trace *t = NULL;
  if (!hp_ok || !ho_ok) goto done;
  t = ic_trace_open(path, opt, &status);
  if (!t) goto done;
  st->format = ic_trace_format(t);
  struct ic_trace_record r;
  ic_time_ns first = 0, prev = 0;
  int64_t bin = -1;
  uint64_t bin_count = 0, zero_gaps = 0, pos_gaps = 0;
  double gap_mean = 0, gap_m2 = 0, pos_gap_sum = 0, pos_gap_logsum = 0;
  while ((status = ic_trace_next(t, &r)) == IC_OK) {
    if (st->rows == 0) {
      first = r.time_ns;
    } else {
      double g = ic_time_to_s(r.time_ns - prev), n = (double)st->rows; /* gaps so far + 1 */
      double d = g - gap_mean;
      gap_mean += d / n;
      gap_m2 += d * (g - gap_mean);
      if (r.time_ns == prev) zero_gaps++;
      else {
        pos_gaps++;
        pos_gap_sum += g;
        pos_gap_logsum += log(g);
      }
    }
    prev = r.time_ns;
    st->rows++;
    window_expire(&w, r.time_ns);
    if (!window_push(&w, r.time_ns) || !hist_add(&hp, r.prompt_tokens) || !hist_add(&ho, r.output_tokens)) {
      status = IC_ENOMEM;
      goto done;
    }
    if (w.len > st->peak_1min_count) st->peak_1min_count = w.len;
    int64_t b = (r.time_ns - first) / WINDOW_NS;
    bin_count = b == bin ? bin_count + 1 : 1;
    bin = b;
    if (bin_count > st->peak_fixed_bin_count) st->peak_fixed_bin_count = bin_count;
    if (r.output_tokens == 0) st->zero_output_rows++;
  }
  if (status != IC_ENOENT) goto done;
  status = IC_OK;
  st->skipped_rows = ic_trace_skipped_rows(t);
  st->first_s = ic_time_to_s(first);
  st->last_s = ic_time_to_s(prev);
  st->span_s = ic_time_to_s(prev - first);
  st->mean_rate_per_s = st->span_s > 0 ? (double)st->rows / st->span_s : (double)NAN;
  st->peak_1min_rate_per_s = (double)st->peak_1min_count / 60.0;
  uint64_t gaps = st->rows - 1;
  st->iat_mean_s = gaps ? gap_mean : (double)NAN;
  st->iat_cv = gaps && gap_mean > 0 ? sqrt(gap_m2 / (double)gaps) / gap_mean : (double)NAN;
  st->zero_gap_frac = gaps ? (double)zero_gaps / (double)gaps : (double)NAN;
  st->iat_gamma_mle_cv = (double)NAN;
  if (pos_gaps >= 2) {
    double k = gamma_mle_shape(log(pos_gap_sum / (double)pos_gaps) - pos_gap_logsum / (double)pos_gaps);
    st->iat_gamma_mle_cv = 1 / sqrt(k);
  }
  summarise(&hp, &st->prompt);
  summarise(&ho, &st->output);
done:
  ic_trace_free(t);
  free(w.t);
  if (hp_ok) hist_fini(&hp);
  if (ho_ok) hist_fini(&ho);
  return status;
}

void ic_trace_stats_write(FILE *out, const char *path, const struct ic_trace_stats *st) {
  fprintf(out, "== %s [%s]\n", path, ic_trace_format_name(st->format));
  fprintf(out, "rows=%llu duration=%.1fs (%.2f h) mean_rate=%.3f req/s\n", (unsigned long long)st->rows, st->span_s,
          st->span_s / 3600, st->mean_rate_per_s);
  fprintf(out, "peak 1-min: sliding %llu req (%.3f req/s), fixed-bin %llu req (%.3f req/s)\n",
          (unsigned long long)st->peak_1min_count, st->peak_1min_rate_per_s,
          (unsigned long long)st->peak_fixed_bin_count, (double)st->peak_fixed_bin_count / 60.0);
  const struct ic_token_summary *tk[] = {&st->prompt, &st->output};
  static const char *const label[] = {"input  tokens", "output tokens"};
  for (int i = 0; i < 2; i++)
    fprintf(out, "%s: mean=%.1f median=%.1f p99=%lld min=%lld max=%lld\n", label[i], tk[i]->mean, tk[i]->median,
            (long long)tk[i]->p99, (long long)tk[i]->min, (long long)tk[i]->max);
  fprintf(out,
          "inter-arrival: mean=%.4fs CV=%.3f zero-gap fraction=%.3f out-of-order rows=0 zero-output rows=%llu\n",
          st->iat_mean_s, st->iat_cv, st->zero_gap_frac, (unsigned long long)st->zero_output_rows);
  if (st->skipped_rows) fprintf(out, "skipped bad rows=%llu\n", (unsigned long long)st->skipped_rows);
}

void ic_trace_fit_write(FILE *out, const char *path, const struct ic_trace_stats *st) {
  double qpd = st->mean_rate_per_s * 86400.0;
  fprintf(out, "# infercost trace fit: %s (%llu rows over %.1f s)\n", path, (unsigned long long)st->rows, st->span_s);
  fprintf(out, "# Arrivals: gamma renewal with the trace's coefficient of variation of inter-arrival gaps\n");
  fprintf(out, "# (moments; a gamma maximum-likelihood fit to the positive gaps gives CV %.3f).\n", st->iat_gamma_mle_cv);
  fprintf(out, "# Lengths: lognormal by maximum likelihood on ln(tokens) of rows with >= 1 token;\n");
  fprintf(out, "# Kolmogorov-Smirnov distance of the fits: prompt %.3f, output %.3f.\n", st->prompt.lognormal_ks_d,
          st->output.lognormal_ks_d);
  fprintf(out, "# queries_per_day is the trace's mean rate times 86,400 s: scale it for a bigger day.\n");
  fprintf(out, "# For the trace's exact length histogram use instead: prompt_dist = empirical,\n");
  fprintf(out, "# output_dist = empirical, trace_path = %s\n", path);
  fprintf(out, "[traffic]\n");
  fprintf(out, "queries_per_day = %.6g\n", qpd);
  fprintf(out, "arrival = gamma\n");
  fprintf(out, "arrival_cv = %.4g\n", isfinite(st->iat_cv) && st->iat_cv > 0 ? st->iat_cv : 1.0);
  const struct ic_token_summary *tk[] = {&st->prompt, &st->output};
  static const char *const name[] = {"prompt", "output"};
  for (int i = 0; i < 2; i++) {
    fprintf(out, "%s_dist = lognormal\n", name[i]);
    fprintf(out, "%s_tokens = %.0f\n", name[i], fmax(1.0, round(tk[i]->mean)));
    fprintf(out, "%s_lognormal_mu = %.6f\n", name[i], tk[i]->lognormal_mu);
    fprintf(out, "%s_lognormal_sigma = %.6f\n", name[i], tk[i]->lognormal_sigma);
    fprintf(out, "%s_tokens_max = %lld\n", name[i], (long long)(tk[i]->max > 1 ? tk[i]->max : 1));
  }
}

/* --- empirical histogram ---------------------------------------------------- */

struct collect {
  struct ic_trace_histogram *h;
  size_t i;
};

static void collect_visit(void *ctx, int64_t v, uint64_t c) {
  struct collect *k = ctx;
  if (k->h->values) {
    k->h->values[k->i] = v;
    k->h->counts[k->i] = (double)c;
  }
  k->i++;
}

ic_status ic_trace_histogram_read(const char *path, const struct ic_trace_options *opt, int column,
                                  struct ic_trace_histogram *hist) {
  memset(hist, 0, sizeof *hist);
  struct tokhist h;
  if (!hist_init(&h)) return IC_ENOMEM;
  ic_status status;
  ic_trace *t = ic_trace_open(path, opt, &status);
  if (!t) goto done;
  struct ic_trace_record r;
  while ((status = ic_trace_next(t, &r)) == IC_OK)
    if (!hist_add(&h, column == 0 ? r.prompt_tokens : r.output_tokens)) {
      status = IC_ENOMEM;
      goto done;
    }
  if (status != IC_ENOENT) goto done;
  hist->content_hash = ic_trace_content_hash(t);
  if (h.over_len) qsort(h.over, h.over_len, sizeof *h.over, cmp_i64);
  struct collect k = {hist, 0};
  hist_each(&h, collect_visit, &k); /* count distinct values */
  hist->values = malloc(k.i * sizeof *hist->values);
  hist->counts = malloc(k.i * sizeof *hist->counts);
  if (!hist->values || !hist->counts) {
    ic_trace_histogram_free(hist);
    status = IC_ENOMEM;
    goto done;
  }
  hist->size = k.i;
  k.i = 0;
  hist_each(&h, collect_visit, &k);
  status = IC_OK;
done:
  ic_trace_free(t);
  hist_fini(&h);
  return status;
}

void ic_trace_histogram_free(struct ic_trace_histogram *hist) {
  if (!hist) return;
  free(hist->values);
  free(hist->counts);
  memset(hist, 0, sizeof *hist);
}
