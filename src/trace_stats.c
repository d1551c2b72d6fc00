/* trace_stats.c: one streaming pass over a trace: rates, token percentiles,
 * burstiness, and the fits written by `infercost trace fit`.
 *
 * Memory is bounded by the data's shape, not its length: token counts go
 * into a dense histogram for 0..DENSE_MAX-1 plus a list of the (rare) larger
 * values; the sliding 60 s window keeps only the arrivals inside it, so its
 * size is bounded by the peak rate. */
#include "infercost/trace.h"

#include "infercost/blocks.h"
#include "trace_stats_impl.h"

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

/* Prefix hits of one row against every earlier row's blocks. */
struct prefix_count {
  ic_block_set *seen;
  uint64_t *chain;
  size_t cap;
};

static bool prefix_add(struct prefix_count *pc, struct ic_trace_stats *st, const struct ic_trace_record *r) {
  if (!pc->seen && !(pc->seen = ic_block_set_alloc())) return false;
  if (r->block_count > pc->cap) {
    uint64_t *p = realloc(pc->chain, r->block_count * sizeof *p);
    if (!p) return false;
    pc->chain = p;
    pc->cap = r->block_count;
  }
  uint64_t h = 0;
  for (size_t i = 0; i < r->block_count; i++) pc->chain[i] = h = ic_block_chain(h, r->block_ids[i]);
  size_t hit = ic_block_set_match_insert(pc->seen, pc->chain, r->block_count);
  if (hit == SIZE_MAX) return false;
  st->block_rows++;
  st->block_prompt_tokens += (uint64_t)r->prompt_tokens;
  st->block_hit_tokens += (uint64_t)ic_block_tokens_covered(hit, st->block_tokens, r->prompt_tokens);
  st->block_hit_rows += hit > 0;
  return true;
}

struct ic_trace_acc {
  struct ic_trace_stats st;
  struct tokhist hp, ho;
  bool hp_ok, ho_ok;
  struct window w;
  struct prefix_count pc;
  ic_time_ns first, prev;
  int64_t bin;
  uint64_t bin_count, zero_gaps, pos_gaps;
  double gap_mean, gap_m2, pos_gap_sum, pos_gap_logsum;
  uint64_t grid_ns;             /* gcd of the positive gaps */
  struct ic__arrival_counts counts;
};

ic_trace_acc *ic_trace_acc_alloc(int format, int64_t block_tokens) {
  ic_trace_acc *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->hp_ok = hist_init(&a->hp);
  a->ho_ok = hist_init(&a->ho);
  if (!a->hp_ok || !a->ho_ok) {
    ic_trace_acc_free(a);
    return NULL;
  }
  a->st.format = format;
  a->st.block_tokens = block_tokens > 0 ? block_tokens : IC_BLOCK_TOKENS_DEFAULT;
  a->bin = -1;
  return a;
}

static uint64_t gcd_u64(uint64_t x, uint64_t y) {
  while (y) {
    uint64_t t = x % y;
    x = y;
    y = t;
  }
  return x;
}

ic_status ic_trace_acc_add(ic_trace_acc *a, const struct ic_trace_record *r) {
  struct ic_trace_stats *st = &a->st;
  if (st->rows == 0) {
    a->first = r->time_ns;
  } else {
    double g = ic_time_to_s(r->time_ns - a->prev), n = (double)st->rows; /* gaps so far + 1 */
    double d = g - a->gap_mean;
    a->gap_mean += d / n;
    a->gap_m2 += d * (g - a->gap_mean);
    if (r->time_ns == a->prev) {
      a->zero_gaps++;
    } else {
      a->pos_gaps++;
      a->pos_gap_sum += g;
      a->pos_gap_logsum += log(g);
      a->grid_ns = gcd_u64(a->grid_ns, (uint64_t)(r->time_ns - a->prev));
    }
  }
  a->prev = r->time_ns;
  st->rows++;
  window_expire(&a->w, r->time_ns);
  if (!window_push(&a->w, r->time_ns) || !hist_add(&a->hp, r->prompt_tokens) || !hist_add(&a->ho, r->output_tokens) ||
      !ic__counts_add(&a->counts, r->time_ns - a->first))
    return IC_ENOMEM;
  if (a->w.len > st->peak_1min_count) st->peak_1min_count = a->w.len;
  int64_t b = (r->time_ns - a->first) / WINDOW_NS;
  a->bin_count = b == a->bin ? a->bin_count + 1 : 1;
  a->bin = b;
  if (a->bin_count > st->peak_fixed_bin_count) st->peak_fixed_bin_count = a->bin_count;
  if (r->output_tokens == 0) st->zero_output_rows++;
  if (r->block_count && !prefix_add(&a->pc, st, r)) return IC_ENOMEM;
  return IC_OK;
}

ic_status ic_trace_acc_finish(ic_trace_acc *a, struct ic_trace_stats *out) {
  struct ic_trace_stats *st = &a->st;
  if (st->rows == 0) return IC_EINVAL;
  st->first_s = ic_time_to_s(a->first);
  st->last_s = ic_time_to_s(a->prev);
  st->span_s = ic_time_to_s(a->prev - a->first);
  st->mean_rate_per_s = st->span_s > 0 ? (double)st->rows / st->span_s : (double)NAN;
  st->peak_1min_rate_per_s = (double)st->peak_1min_count / 60.0;
  uint64_t gaps = st->rows - 1;
  st->iat_mean_s = gaps ? a->gap_mean : (double)NAN;
  st->iat_cv = gaps && a->gap_mean > 0 ? sqrt(a->gap_m2 / (double)gaps) / a->gap_mean : (double)NAN;
  st->zero_gap_frac = gaps ? (double)a->zero_gaps / (double)gaps : (double)NAN;
  st->iat_gamma_mle_cv = (double)NAN;
  if (a->pos_gaps >= 2) {
    double k = gamma_mle_shape(log(a->pos_gap_sum / (double)a->pos_gaps) - a->pos_gap_logsum / (double)a->pos_gaps);
    st->iat_gamma_mle_cv = 1 / sqrt(k);
  }
  summarise(&a->hp, &st->prompt);
  summarise(&a->ho, &st->output);
  st->distinct_blocks = a->pc.seen ? ic_block_set_size(a->pc.seen) : 0;
  ic__fit_arrivals(&a->counts, ic_time_to_s((ic_time_ns)a->grid_ns), st, &st->fit);
  *out = *st;
  return IC_OK;
}

void ic_trace_acc_free(ic_trace_acc *a) {
  if (!a) return;
  if (a->hp_ok) hist_fini(&a->hp);
  if (a->ho_ok) hist_fini(&a->ho);
  free(a->w.t);
  ic_block_set_free(a->pc.seen);
  free(a->pc.chain);
  free(a->counts.n);
  free(a);
}

ic_status ic_trace_stats_compute(const char *path, const struct ic_trace_options *opt, struct ic_trace_stats *st) {
  memset(st, 0, sizeof *st);
  ic_status status;
  ic_trace *t = ic_trace_open(path, opt, &status);
  if (!t) return status;
  ic_trace_acc *a = ic_trace_acc_alloc(ic_trace_format(t), opt ? opt->block_tokens : 0);
  struct ic_trace_record r;
  if (!a) status = IC_ENOMEM;
  else
    while ((status = ic_trace_next(t, &r)) == IC_OK)
      if ((status = ic_trace_acc_add(a, &r)) != IC_OK) break;
  if (status == IC_ENOENT) {
    status = ic_trace_acc_finish(a, st);
    st->skipped_rows = ic_trace_skipped_rows(t);
  }
  ic_trace_acc_free(a);
  ic_trace_free(t);
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
  if (st->block_rows)
    fprintf(out, "prefix blocks of %lld tokens: rows=%llu distinct=%llu, unbounded cache: hit tokens=%llu of %llu "
                 "(%.6f), rows with a hit=%llu\n",
            (long long)st->block_tokens, (unsigned long long)st->block_rows, (unsigned long long)st->distinct_blocks,
            (unsigned long long)st->block_hit_tokens, (unsigned long long)st->block_prompt_tokens,
            (double)st->block_hit_tokens / (double)st->block_prompt_tokens, (unsigned long long)st->block_hit_rows);
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
