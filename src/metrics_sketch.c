/* metrics_sketch.c: the log-bucketed quantile sketch.
 *
 * Bucket i counts the values x with gamma^(i-1) < x <= gamma^i, where
 * gamma = (1 + alpha) / (1 - alpha); it answers 2 gamma^i / (gamma + 1),
 * which is within relative error alpha of every x in the bucket
 * (docs/metrics.md). Exact zeros have their own counter. The counts live in
 * one contiguous array covering the buckets seen so far; it grows toward new
 * values but never past the buckets of [IC_SKETCH_MIN_VALUE,
 * IC_SKETCH_MAX_VALUE], so memory depends on alpha, never on the count. */
#include "infercost/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_impl.h"

/* Buckets added beyond the needed range when the array grows, so that a
 * drifting stream does not reallocate on every new bucket. */
#define GROW_SLACK_MIN 64

struct ic_sketch {
  double rel_err;
  double ln_gamma;   /* log(gamma) */
  double value_mult; /* 2 / (gamma + 1): bucket i answers value_mult * gamma^i */
  int32_t idx_min;   /* bucket of IC_SKETCH_MIN_VALUE */
  int32_t idx_max;   /* bucket of IC_SKETCH_MAX_VALUE */
  uint64_t *counts;  /* counts[j] is bucket offset + j */
  int32_t offset;
  size_t len;
  uint64_t zeros;   /* exact zeros and positive values below IC_SKETCH_MIN_VALUE */
  uint64_t count;   /* every value, zeros included */
  uint64_t clamped; /* positive values outside [MIN_VALUE, MAX_VALUE] */
  double sum, sum_comp;
  double min, max;
};

static int32_t bucket_index(const ic_sketch *s, double x) {
  return (int32_t)ceil(log(x) / s->ln_gamma);
}

ic_sketch *ic_sketch_alloc(double rel_err) {
  if (!(rel_err >= IC_SKETCH_MIN_REL_ERR && rel_err <= IC_SKETCH_MAX_REL_ERR)) return NULL;
  ic_sketch *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->rel_err = rel_err;
  /* log1p keeps the digits of a gamma close to 1. */
  s->ln_gamma = log1p(2.0 * rel_err / (1.0 - rel_err));
  s->value_mult = 1.0 - rel_err; /* = 2 / (gamma + 1) */
  s->idx_min = bucket_index(s, IC_SKETCH_MIN_VALUE);
  s->idx_max = bucket_index(s, IC_SKETCH_MAX_VALUE);
  s->min = s->max = (double)NAN;
  return s;
}

/* Makes buckets [lo, hi] (within the limits) addressable; false when out of
 * memory, leaving the sketch as it was. */
static bool cover(ic_sketch *s, int32_t lo, int32_t hi) {
  int32_t cur_lo = s->offset, cur_hi = s->offset + (int32_t)s->len - 1;
  if (s->len && lo >= cur_lo && hi <= cur_hi) return true;
  int32_t new_lo = lo, new_hi = hi;
  if (s->len) {
    size_t slack = s->len / 2 > GROW_SLACK_MIN ? s->len / 2 : GROW_SLACK_MIN;
    if (lo < cur_lo) new_lo = lo - (int32_t)slack;
    else new_lo = cur_lo;
    if (hi > cur_hi) new_hi = hi + (int32_t)slack;
    else new_hi = cur_hi;
  } else {
    new_lo = lo - GROW_SLACK_MIN / 2;
    new_hi = hi + GROW_SLACK_MIN / 2;
  }
  if (new_lo < s->idx_min) new_lo = s->idx_min;
  if (new_hi > s->idx_max) new_hi = s->idx_max;
  size_t new_len = (size_t)(new_hi - new_lo) + 1;
  uint64_t *c = calloc(new_len, sizeof *c);
  if (!c) return false;
  if (s->len) memcpy(c + (size_t)(cur_lo - new_lo), s->counts, s->len * sizeof *c);
  free(s->counts);
  s->counts = c;
  s->offset = new_lo;
  s->len = new_len;
  return true;
}

/* x's bucket before clamping to the limits; only for x in
 * [IC_SKETCH_MIN_VALUE, IC_SKETCH_MAX_VALUE]. */
static int32_t value_bucket(const ic_sketch *s, double x) {
  return x > IC_SKETCH_MAX_VALUE ? s->idx_max : bucket_index(s, x);
}

/* ic_sketch_add_n with x checked and, when x >= IC_SKETCH_MIN_VALUE, its
 * bucket found by value_bucket. */
static ic_status add_in_bucket(ic_sketch *s, double x, uint64_t count, int32_t idx) {
  if (count == 0) return IC_OK;
  if (x < IC_SKETCH_MIN_VALUE) {
    if (x > 0.0) s->clamped += count;
    s->zeros += count;
  } else {
    if (x > IC_SKETCH_MAX_VALUE) s->clamped += count;
    /* Rounding in log() may put x one bucket outside the limits. */
    if (idx < s->idx_min) idx = s->idx_min;
    if (idx > s->idx_max) idx = s->idx_max;
    size_t j = (size_t)((int64_t)idx - s->offset); /* huge when below offset */
    if (j >= s->len) { /* a bucket not yet covered (the array grows rarely: a call only then) */
      if (!cover(s, idx, idx)) return IC_ENOMEM;
      j = (size_t)(idx - s->offset);
    }
    s->counts[j] += count;
  }
  if (s->count == 0 || x < s->min) s->min = x;
  if (s->count == 0 || x > s->max) s->max = x;
  s->count += count;
  ic__metrics_sum_add(&s->sum, &s->sum_comp, x * (double)count);
  return IC_OK;
}

ic_status ic_sketch_add_n(ic_sketch *s, double x, uint64_t count) {
  if (!(x >= 0.0) || isinf(x)) return IC_EINVAL;
  return add_in_bucket(s, x, count, x < IC_SKETCH_MIN_VALUE || count == 0 ? 0 : value_bucket(s, x));
}

ic_status ic_sketch_add(ic_sketch *s, double x) { return ic_sketch_add_n(s, x, 1); }

ic_status ic_sketch_add2(ic_sketch *a, ic_sketch *b, double x) {
  if (!(x >= 0.0) || isinf(x)) return IC_EINVAL;
  /* Both are tried even when the first fails, as two separate adds would. */
  if (a->ln_gamma != b->ln_gamma) {
    ic_status st = ic_sketch_add(a, x), st_b = ic_sketch_add(b, x);
    return st != IC_OK ? st : st_b;
  }
  int32_t idx = x < IC_SKETCH_MIN_VALUE ? 0 : value_bucket(a, x);
  ic_status st = add_in_bucket(a, x, 1, idx), st_b = add_in_bucket(b, x, 1, idx);
  return st != IC_OK ? st : st_b;
}

ic_status ic_sketch_merge(ic_sketch *dst, const ic_sketch *src) {
  if (dst->rel_err != src->rel_err) return IC_EINVAL;
  if (src->count == 0) return IC_OK;
  if (src->len && !cover(dst, src->offset, src->offset + (int32_t)src->len - 1)) return IC_ENOMEM;
  for (size_t j = 0; j < src->len; j++)
    dst->counts[(size_t)(src->offset - dst->offset) + j] += src->counts[j];
  if (dst->count == 0 || src->min < dst->min) dst->min = src->min;
  if (dst->count == 0 || src->max > dst->max) dst->max = src->max;
  dst->zeros += src->zeros;
  dst->count += src->count;
  dst->clamped += src->clamped;
  ic__metrics_sum_add(&dst->sum, &dst->sum_comp, src->sum);
  ic__metrics_sum_add(&dst->sum, &dst->sum_comp, src->sum_comp);
  return IC_OK;
}

/* Nearest rank k = max(1, ceil(q n)) in [1, n]. q n is computed in floating
 * point: 0.07 * 100 gives 7.000000000000001, whose ceiling would be 8, so a
 * product within a relative 1e-12 of an integer is taken as that integer. */
static uint64_t nearest_rank(double q, uint64_t n) {
  double x = q * (double)n;
  double r = nearbyint(x);
  double k = fabs(x - r) <= 1e-12 * x ? r : ceil(x);
  if (k < 1.0) return 1;
  if (k >= (double)n) return n;
  return (uint64_t)k;
}

double ic_sketch_quantile(const ic_sketch *s, double q) {
  if (s->count == 0 || !(q >= 0.0 && q <= 1.0)) return (double)NAN;
  if (q == 0.0) return s->min;
  if (q == 1.0) return s->max;
  uint64_t k = nearest_rank(q, s->count);
  double v = s->max; /* reached only if the counts were inconsistent */
  if (k <= s->zeros) {
    v = 0.0;
  } else {
    uint64_t seen = s->zeros;
    for (size_t j = 0; j < s->len; j++) {
      seen += s->counts[j];
      if (seen >= k) {
        v = s->value_mult * exp((double)(s->offset + (int32_t)j) * s->ln_gamma);
        break;
      }
    }
  }
  /* The true quantile lies in [min, max], so clamping only brings v closer. */
  if (v < s->min) v = s->min;
  if (v > s->max) v = s->max;
  return v;
}

uint64_t ic_sketch_count(const ic_sketch *s) { return s->count; }

double ic_sketch_mean(const ic_sketch *s) {
  return s->count ? (s->sum + s->sum_comp) / (double)s->count : (double)NAN;
}

double ic_sketch_min(const ic_sketch *s) { return s->min; }
double ic_sketch_max(const ic_sketch *s) { return s->max; }
double ic_sketch_rel_err(const ic_sketch *s) { return s->rel_err; }
uint64_t ic_sketch_clamped_count(const ic_sketch *s) { return s->clamped; }
size_t ic_sketch_bucket_count(const ic_sketch *s) { return s->len; }

size_t ic_sketch_bucket_limit(const ic_sketch *s) {
  return (size_t)(s->idx_max - s->idx_min) + 1;
}

/* The fixed part of the wire form, then `len` bucket counts. Native byte
 * order: both ends are this program on one architecture. */
struct wire {
  double rel_err;
  int32_t offset, pad;
  uint64_t len, zeros, count, clamped;
  double sum, sum_comp, min, max;
};

ic_status ic_sketch_write(const ic_sketch *s, FILE *out) {
  struct wire w = {s->rel_err, s->offset, 0, s->len, s->zeros, s->count, s->clamped, s->sum, s->sum_comp, s->min, s->max};
  if (fwrite(&w, sizeof w, 1, out) != 1) return IC_EIO;
  if (s->len && fwrite(s->counts, sizeof *s->counts, s->len, out) != s->len) return IC_EIO;
  return IC_OK;
}

ic_sketch *ic_sketch_read(FILE *in) {
  struct wire w;
  if (fread(&w, sizeof w, 1, in) != 1) return NULL;
  ic_sketch *s = ic_sketch_alloc(w.rel_err);
  if (!s) return NULL;
  /* Buckets only within the limits the sketch itself would keep to. */
  bool ok = w.len <= (uint64_t)(s->idx_max - s->idx_min + 1) && (w.len == 0 || (w.offset >= s->idx_min &&
            (int64_t)w.offset + (int64_t)w.len - 1 <= (int64_t)s->idx_max));
  if (ok && w.len && !(s->counts = malloc((size_t)w.len * sizeof *s->counts))) ok = false;
  if (ok && w.len && fread(s->counts, sizeof *s->counts, (size_t)w.len, in) != w.len) ok = false;
  uint64_t n = w.zeros;
  for (size_t j = 0; ok && j < w.len; j++) n += s->counts[j];
  if (!ok || n != w.count) {
    ic_sketch_free(s);
    return NULL;
  }
  s->offset = w.offset;
  s->len = (size_t)w.len;
  s->zeros = w.zeros;
  s->count = w.count;
  s->clamped = w.clamped;
  s->sum = w.sum;
  s->sum_comp = w.sum_comp;
  s->min = w.min;
  s->max = w.max;
  return s;
}

void ic_sketch_free(ic_sketch *s) {
  if (!s) return;
  free(s->counts);
  free(s);
}
