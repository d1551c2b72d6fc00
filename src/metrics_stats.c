/* metrics_stats.c: the running summary (Welford) and the time-weighted
 * average. Both are plain structs the caller owns; nothing here allocates. */
#include "infercost/metrics.h"

#include <assert.h>
#include <math.h>

#include "metrics_impl.h"

/* Welford's update: the mean and the sum of squared deviations move by
 * small corrections, so nothing cancels catastrophically as
 * sum(x^2) - n mean^2 would. Subtracting the first value first keeps the
 * running mean small, so its rounding is relative to the spread, not to the
 * offset (x - shift is exact when x is within a factor 2 of shift). */
void ic_summary_add(struct ic_summary *s, double x) {
  if (s->count == 0) {
    s->shift = s->min = s->max = x;
  } else {
    if (x < s->min) s->min = x;
    if (x > s->max) s->max = x;
  }
  s->count++;
  double y = x - s->shift;
  double d = y - s->mean_dev;
  s->mean_dev += d / (double)s->count;
  s->m2 += d * (y - s->mean_dev);
}

/* Chan, Golub and LeVeque (1979): M2 = M2a + M2b + delta^2 na nb / n, with
 * delta the difference of the two means, taken shift to shift first. */
void ic_summary_merge(struct ic_summary *dst, const struct ic_summary *src) {
  if (src->count == 0) return;
  if (dst->count == 0) {
    *dst = *src;
    return;
  }
  double na = (double)dst->count, nb = (double)src->count, n = na + nb;
  double delta = (src->shift - dst->shift) + (src->mean_dev - dst->mean_dev);
  dst->mean_dev += delta * (nb / n);
  dst->m2 += src->m2 + delta * delta * (na * nb / n);
  dst->count += src->count;
  if (src->min < dst->min) dst->min = src->min;
  if (src->max > dst->max) dst->max = src->max;
}

double ic_summary_mean(const struct ic_summary *s) {
  return s->count ? s->shift + s->mean_dev : (double)NAN;
}

double ic_summary_variance(const struct ic_summary *s) {
  return s->count >= 2 ? s->m2 / (double)(s->count - 1) : (double)NAN;
}

double ic_summary_stddev(const struct ic_summary *s) { return sqrt(ic_summary_variance(s)); }

void ic_time_avg_init(struct ic_time_avg *a, ic_time_ns start_ns, double value) {
  *a = (struct ic_time_avg){.start_ns = start_ns, .last_ns = start_ns, .value = value, .max = -HUGE_VAL};
}

/* Adds value x (now - last) to the area. The duration is exact as a double
 * below 2^53 ns (104 days), so each term is rounded once. Only a value held
 * for a positive time enters the max: one replaced at the same instant (two
 * events at one time, or a change exactly on a series boundary) never held. */
static void flush(struct ic_time_avg *a, ic_time_ns now_ns) {
  assert(now_ns >= a->last_ns && "time_avg: time went backwards");
  if (now_ns <= a->last_ns) return;
  ic__metrics_sum_add(&a->area, &a->area_comp, a->value * (double)(now_ns - a->last_ns));
  if (a->value > a->max) a->max = a->value;
  a->last_ns = now_ns;
}

void ic_time_avg_set(struct ic_time_avg *a, ic_time_ns now_ns, double value) {
  flush(a, now_ns);
  a->value = value;
}

double ic_time_avg_mean(const struct ic_time_avg *a, ic_time_ns end_ns) {
  assert(end_ns >= a->last_ns && "time_avg: mean asked before the latest change");
  if (end_ns < a->last_ns) end_ns = a->last_ns;
  if (end_ns <= a->start_ns) return (double)NAN;
  double area = a->area, comp = a->area_comp;
  ic__metrics_sum_add(&area, &comp, a->value * (double)(end_ns - a->last_ns));
  return (area + comp) / (double)(end_ns - a->start_ns);
}

double ic_time_avg_max(const struct ic_time_avg *a) { return a->value > a->max ? a->value : a->max; }

void ic_time_avg_restart(struct ic_time_avg *a, ic_time_ns at_ns) {
  flush(a, at_ns);
  ic_time_avg_init(a, a->last_ns, a->value);
}
