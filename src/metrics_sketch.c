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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_impl.h"

/* Buckets added beyond the needed range when the array grows, so that a
 * drifting stream does not reallocate on every new bucket. */
#define GROW_SLACK_MIN 64

/* A cell is the doubles sharing their bits above IC__SKETCH_CELL_SHIFT: an exponent and the mantissa's top 7
 * bits, a relative width of 2^-8 to 2^-7, within a bucket's at the default rel_err (about 2^-6.6), so that a
 * cell holds at most one bucket boundary there. A cell whose buckets are proved (memo_bucket) counts its
 * values itself, on either side of its boundary, with a comparison or two. The table is direct-mapped on the
 * key's low bits: 1,024 cells held 97 to 98 % of the golden cases' values in a simulation of its hits, 2,048
 * cells (32 KiB, allocated at a sketch's first proved cell) 99.6 % of SD's (1,024: 98.4 %): the queueing
 * delays spread over some 1,800 cells, 20 binades. */
#define IC__SKETCH_CELL_SHIFT 45
#define IC__SKETCH_CELLS 2048

/* How far a value's bits may be from a cell's boundary and still estimate: 2^30 ulps, 1.2e-7 to 2.4e-7 of
 * the value (6e-6 buckets and more at the largest rel_err: the estimate decides there). */
#define IC__SKETCH_GAP (UINT64_C(1) << 30)
/* A cell's edge counts 2^14 ulps from its start: 32 bits reach past its end (2^45 ulps) by more than the gap,
 * which IC__SKETCH_NO_EDGE does for a cell holding no boundary. */
#define IC__SKETCH_EDGE_UNIT 14
#define IC__SKETCH_NO_EDGE UINT32_MAX
#define IC__SKETCH_CELL_LOW ((UINT64_C(1) << IC__SKETCH_CELL_SHIFT) - 1) /* a value's bits within its cell */

/* The cell key1 - 1 (0: none): its values whose bits are below its edge by more than IC__SKETCH_GAP are in
 * its first bucket (the estimate's at its start), those above it by more in the next; those within it
 * estimate (a gap around the one boundary of a cell holding one). A cell's doubles share their exponent, so
 * their bits are in the order of their values: the test is an integer one. n[] counts the values of either
 * side until a reader or the cell's eviction moves them to the counts (fold_cell): an addition touches one
 * line, not a cell's and a count's. 16 bytes. */
struct ic__sketch_cell {
  uint32_t key1;
  uint32_t edge;
  uint32_t n[2];
};

/* Every sketch's cells until it proves one (never written: memo_bucket gives the sketch its own first): most
 * sketches of a run (a class's, a pool's) never take a value. */
static struct ic__sketch_cell no_cells[IC__SKETCH_CELLS];

struct ic_sketch {
  double rel_err;
  double ln_gamma;   /* log(gamma) */
  double inv_ln_gamma; /* 1 / ln_gamma, for fast_bucket's estimate */
  double margin;       /* fast_bucket: how far its estimate may be from log(x) / ln_gamma, in buckets */
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
  double min, max; /* NaN while the sketch is empty: an addition compares without testing the count */
  struct ic__sketch_cell *cells; /* IC__SKETCH_CELLS of them (memo_bucket); no_cells until the first is proved */
  uint64_t folded_count;         /* count when the cells' counts last moved to the array (folded) */
};

static int32_t bucket_index(const ic_sketch *s, double x) {
  return (int32_t)ceil(log(x) / s->ln_gamma);
}

/* series_ln's table: for m in [1 + j/64, 1 + (j+1)/64), 1 / c and log c
 * at the interval's centre c = 1 + (j + 1/2) / 64 (generated with Python's
 * float.hex(1 / c), float.hex(math.log(c))). */
static const double ln_table[64][2] = {
    {0x1.fc07f01fc07f0p-1, 0x1.fe02a6b106789p-8},
    {0x1.f44659e4a4271p-1, 0x1.7b91b07d5b11bp-6},
    {0x1.ecc07b301ecc0p-1, 0x1.39e87b9febd60p-5},
    {0x1.e573ac901e574p-1, 0x1.b42dd711971bfp-5},
    {0x1.de5d6e3f8868ap-1, 0x1.16536eea37ae1p-4},
    {0x1.d77b654b82c34p-1, 0x1.51b073f06183fp-4},
    {0x1.d0cb58f6ec074p-1, 0x1.8c345d6319b21p-4},
    {0x1.ca4b3055ee191p-1, 0x1.c5e548f5bc743p-4},
    {0x1.c3f8f01c3f8f0p-1, 0x1.fec9131dbeabbp-4},
    {0x1.bdd2b899406f7p-1, 0x1.1b72ad52f67a0p-3},
    {0x1.b7d6c3dda338bp-1, 0x1.371fc201e8f74p-3},
    {0x1.b2036406c80d9p-1, 0x1.526e5e3a1b438p-3},
    {0x1.ac5701ac5701bp-1, 0x1.6d60fe719d21dp-3},
    {0x1.a6d01a6d01a6dp-1, 0x1.87fa06520c911p-3},
    {0x1.a16d3f97a4b02p-1, 0x1.a23bc1fe2b563p-3},
    {0x1.9c2d14ee4a102p-1, 0x1.bc286742d8cd6p-3},
    {0x1.970e4f80cb872p-1, 0x1.d5c216b4fbb91p-3},
    {0x1.920fb49d0e229p-1, 0x1.ef0adcbdc5936p-3},
    {0x1.8d3018d3018d3p-1, 0x1.0402594b4d041p-2},
    {0x1.886e5f0abb04ap-1, 0x1.1058bf9ae4ad5p-2},
    {0x1.83c977ab2beddp-1, 0x1.1c898c16999fbp-2},
    {0x1.7f405fd017f40p-1, 0x1.2895a13de86a3p-2},
    {0x1.7ad2208e0ecc3p-1, 0x1.347dd9a987d55p-2},
    {0x1.767dce434a9b1p-1, 0x1.404308686a7e4p-2},
    {0x1.724287f46debcp-1, 0x1.4be5f957778a1p-2},
    {0x1.6e1f76b4337c7p-1, 0x1.5767717455a6cp-2},
    {0x1.6a13cd1537290p-1, 0x1.62c82f2b9c795p-2},
    {0x1.661ec6a5122f9p-1, 0x1.6e08eaa2ba1e4p-2},
    {0x1.623fa77016240p-1, 0x1.792a55fdd47a2p-2},
    {0x1.5e75bb8d015e7p-1, 0x1.842d1da1e8b17p-2},
    {0x1.5ac056b015ac0p-1, 0x1.8f11e873662c7p-2},
    {0x1.571ed3c506b3ap-1, 0x1.99d958117e08bp-2},
    {0x1.5390948f40febp-1, 0x1.a484090e5bb0ap-2},
    {0x1.5015015015015p-1, 0x1.af1293247786bp-2},
    {0x1.4cab88725af6ep-1, 0x1.b9858969310fbp-2},
    {0x1.49539e3b2d067p-1, 0x1.c3dd7a7cdad4dp-2},
    {0x1.460cbc7f5cf9ap-1, 0x1.ce1af0b85f3ebp-2},
    {0x1.42d6625d51f87p-1, 0x1.d83e7258a2f3ep-2},
    {0x1.3fb013fb013fbp-1, 0x1.e24881a7c6c26p-2},
    {0x1.3c995a47babe7p-1, 0x1.ec399d2468cc0p-2},
    {0x1.3991c2c187f63p-1, 0x1.f6123fa7028acp-2},
    {0x1.3698df3de0748p-1, 0x1.ffd2e0857f498p-2},
    {0x1.33ae45b57bcb2p-1, 0x1.04bdf9da926d2p-1},
    {0x1.30d190130d190p-1, 0x1.0986f4f573521p-1},
    {0x1.2e025c04b8097p-1, 0x1.0e44985d1cc8cp-1},
    {0x1.2b404ad012b40p-1, 0x1.12f719593efbcp-1},
    {0x1.288b01288b013p-1, 0x1.179eabbd899a1p-1},
    {0x1.25e22708092f1p-1, 0x1.1c3b81f713c25p-1},
    {0x1.23456789abcdfp-1, 0x1.20cdcd192ab6ep-1},
    {0x1.20b470c67c0d9p-1, 0x1.2555bce98f7cbp-1},
    {0x1.1e2ef3b3fb874p-1, 0x1.29d37fec2b08bp-1},
    {0x1.1bb4a4046ed29p-1, 0x1.2e47436e40268p-1},
    {0x1.19453808ca29cp-1, 0x1.32b1339121d71p-1},
    {0x1.16e0689427379p-1, 0x1.37117b54747b6p-1},
    {0x1.1485f0e0acd3bp-1, 0x1.3b68449fffc23p-1},
    {0x1.12358e75d3033p-1, 0x1.3fb5b84d16f42p-1},
    {0x1.0fef010fef011p-1, 0x1.43f9fe2f9ce67p-1},
    {0x1.0db20a88f4696p-1, 0x1.48353d1ea88dfp-1},
    {0x1.0b7e6ec259dc8p-1, 0x1.4c679afccee3ap-1},
    {0x1.0953f39010954p-1, 0x1.50913cc01686bp-1},
    {0x1.073260a47f7c6p-1, 0x1.54b2467999498p-1},
    {0x1.05197f7d73404p-1, 0x1.58cadb5cd7989p-1},
    {0x1.03091b51f5e1ap-1, 0x1.5cdb1dc6c1765p-1},
    {0x1.0101010101010p-1, 0x1.60e32f44788d9p-1},
};

/* How far series_ln(x) may be from log(x): the series' remainder, at most
 * r^4 / 4 / (1 - |r|) < 9.1e-10 for |r| <= 1/129, and the rounding of a few operations
 * (about 1e-14 at the largest exponents), with room to spare. */
#define SERIES_LN_ERR 2e-9

/* log(x) for a positive normal x, to within SERIES_LN_ERR, with no
 * division: x = 2^e m, m in [1, 2) near a table centre c, m = c (1 + r),
 * log x = e log 2 + log c + log1p(r), the series of log1p to its r^3 term. */
static double series_ln(double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  int e = (int)(bits >> 52 & 0x7ff) - 1023;
  const double *c = ln_table[bits >> 46 & 63];
  bits = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1023) << 52);
  double m;
  memcpy(&m, &bits, sizeof m);
  double r = m * c[0] - 1.0;
  return (double)e * 0x1.62e42fefa39efp-1 + c[1] + r * (1.0 - r * (0.5 - r * (1.0 / 3.0)));
}

/* bucket_index(x), exactly, mostly without log(): the estimate decides when
 * no bucket boundary lies within its error of it (then log(x) / ln_gamma
 * has the same ceiling, being within the same error); near a boundary
 * (a fraction 2 margin of values, 4e-7 at the default rel_err) log() decides. Only for x in
 * [IC_SKETCH_MIN_VALUE, IC_SKETCH_MAX_VALUE] (positive, normal). */
static inline int32_t estimated_bucket(const ic_sketch *s, double x) {
  /* Shifted by 2^20 buckets (more than the limits span) to convert by
   * truncation: floor(a) = floor(b) leaves no integer in (a, b), where
   * log(x) / ln_gamma lies, and its ceiling is then floor(b) + 1. */
  double t = series_ln(x) * s->inv_ln_gamma + 0x1p20;
  int64_t lo = (int64_t)(t - s->margin), hi = (int64_t)(t + s->margin);
  return lo == hi ? (int32_t)(lo - (INT64_C(1) << 20) + 1) : INT32_MIN; /* INT32_MIN: it does not decide */
}

/* bucket_index(x): the estimate where it decides, else log(). */
static int32_t fast_bucket(const ic_sketch *s, double x) {
  int32_t idx = estimated_bucket(s, x);
  return idx != INT32_MIN ? idx : bucket_index(s, x);
}

/* A bucket's index in counts, clamped to the limits as an addition clamps it. */
static size_t count_of(const ic_sketch *s, int32_t idx) {
  if (idx < s->idx_min) idx = s->idx_min;
  if (idx > s->idx_max) idx = s->idx_max;
  return (size_t)((int64_t)idx - s->offset); /* huge when below offset */
}

/* A proved cell's first bucket: the estimate's at its start, which decided it when the cell was proved
 * (memo_bucket), and decides it again. */
static int32_t cell_first_bucket(const ic_sketch *s, const struct ic__sketch_cell *c) {
  uint64_t lo_bits = (uint64_t)(c->key1 - 1) << IC__SKETCH_CELL_SHIFT;
  double lo;
  memcpy(&lo, &lo_bits, sizeof lo);
  return estimated_bucket(s, lo);
}

/* Moves cell c's counts to the counts array; both its buckets were covered when it was proved, and the
 * array only grows. */
static void fold_cell(ic_sketch *s, struct ic__sketch_cell *c) {
  if (!(c->n[0] | c->n[1])) return;
  int32_t idx = cell_first_bucket(s, c);
  s->counts[count_of(s, idx)] += c->n[0];
  if (c->n[1]) s->counts[count_of(s, idx + 1)] += c->n[1];
  c->n[0] = c->n[1] = 0;
}

/* Every cell's counts to the counts array, for a reader (the sketch is the caller's to change: allocated,
 * never defined const); nothing to do where no value came since the last time. */
static const ic_sketch *folded(const ic_sketch *s) {
  if (s->count == s->folded_count) return s;
  ic_sketch *w = (ic_sketch *)(uintptr_t)s;
  if (w->cells != no_cells)
    for (size_t i = 0; i < IC__SKETCH_CELLS; i++) fold_cell(w, &w->cells[i]);
  w->folded_count = w->count;
  return s;
}

/* Side `side` of cell c wrapped its 32-bit count: 2^32 of them to the counts array. */
static void __attribute__((noinline)) carry(ic_sketch *s, const struct ic__sketch_cell *c, int side) {
  s->counts[count_of(s, cell_first_bucket(s, c) + side)] += UINT64_C(1) << 32;
}

/* fast_bucket(x) for x in [IC_SKETCH_MIN_VALUE, IC_SKETCH_MAX_VALUE] of the cell `key`, which it proves and
 * remembers where it can. Where the estimate decides bucket i at two values a < b, every x in [a, b] is in i
 * as fast_bucket finds it: log(x) / ln_gamma lies between its values at a and b, each farther than the margin
 * less SERIES_LN_ERR's share (at least 1e-6 buckets) inside (i - 1, i); so does x's, whose ceiling, i, is then
 * what the estimate decides, or what log() gives within its rounding (about 1e-10 buckets). So a cell is
 * proved by the estimate at its two ends, or where they decide i and i + 1, at the two values IC__SKETCH_GAP
 * ulps either side of its edge (gamma^i as exp() rounds it, less its bits below the edge's unit), which the
 * estimate must decide too. Only a cell whose buckets are covered, so that its counts can move to the array. */
static int32_t __attribute__((noinline)) memo_bucket(ic_sketch *s, double x, uint32_t key) {
  int32_t idx = fast_bucket(s, x);
  uint64_t lo_bits = (uint64_t)key << IC__SKETCH_CELL_SHIFT, hi_bits = lo_bits | IC__SKETCH_CELL_LOW;
  double lo, hi;
  memcpy(&lo, &lo_bits, sizeof lo);
  memcpy(&hi, &hi_bits, sizeof hi);
  if (!(lo >= IC_SKETCH_MIN_VALUE && hi <= IC_SKETCH_MAX_VALUE)) return idx;
  int32_t i_lo = estimated_bucket(s, lo), i_hi = estimated_bucket(s, hi);
  if (i_lo == INT32_MIN || i_hi == INT32_MIN) return idx;
  struct ic__sketch_cell c = {key + 1, IC__SKETCH_NO_EDGE, {0, 0}};
  if (i_hi == i_lo + 1) {
    double edge = exp((double)i_lo * s->ln_gamma), a, b;
    uint64_t edge_bits;
    memcpy(&edge_bits, &edge, sizeof edge_bits);
    if (!(edge_bits >= lo_bits && edge_bits <= hi_bits)) return idx;
    c.edge = (uint32_t)((edge_bits - lo_bits) >> IC__SKETCH_EDGE_UNIT);
    uint64_t mid = lo_bits + ((uint64_t)c.edge << IC__SKETCH_EDGE_UNIT), a_bits = mid - IC__SKETCH_GAP,
             b_bits = mid + IC__SKETCH_GAP;
    if (!(mid >= lo_bits + IC__SKETCH_GAP && mid <= hi_bits - IC__SKETCH_GAP)) return idx;
    memcpy(&a, &a_bits, sizeof a);
    memcpy(&b, &b_bits, sizeof b);
    if (!(estimated_bucket(s, a) == i_lo && estimated_bucket(s, b) == i_hi)) return idx;
  } else if (i_hi != i_lo)
    return idx;
  if (!(count_of(s, i_lo) < s->len && count_of(s, i_hi) < s->len)) return idx;
  if (s->cells == no_cells) {
    struct ic__sketch_cell *own = calloc(IC__SKETCH_CELLS, sizeof *own);
    if (!own) return idx; /* the cells only save time */
    s->cells = own;
  }
  fold_cell(s, &s->cells[key % IC__SKETCH_CELLS]); /* the cell it evicts */
  s->cells[key % IC__SKETCH_CELLS] = c;
  return idx;
}

ic_sketch *ic_sketch_alloc(double rel_err) {
  if (!(rel_err >= IC_SKETCH_MIN_REL_ERR && rel_err <= IC_SKETCH_MAX_REL_ERR)) return NULL;
  ic_sketch *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->cells = no_cells;
  s->rel_err = rel_err;
  /* log1p keeps the digits of a gamma close to 1. */
  s->ln_gamma = log1p(2.0 * rel_err / (1.0 - rel_err));
  s->value_mult = 1.0 - rel_err; /* = 2 / (gamma + 1) */
  s->inv_ln_gamma = 1.0 / s->ln_gamma;
  /* SERIES_LN_ERR in buckets, doubled, and 1e-6 for the roundings of the
   * product, of the shift by 2^20 (1.2e-10) and of log(x) / ln_gamma
   * (relative 1e-15 of at most 2e5 buckets). */
  s->margin = 2.0 * SERIES_LN_ERR * s->inv_ln_gamma + 1e-6;
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
  return x > IC_SKETCH_MAX_VALUE ? s->idx_max : fast_bucket(s, x);
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
  if (!(x >= s->min)) s->min = x; /* min and max are NaN while the sketch is empty (x is not) */
  if (!(x <= s->max)) s->max = x;
  s->count += count;
  ic__metrics_sum_add(&s->sum, &s->sum_comp, x * (double)count);
  return IC_OK;
}

ic_status ic_sketch_add_n(ic_sketch *s, double x, uint64_t count) {
  if (!(x >= 0.0) || isinf(x)) return IC_EINVAL;
  return add_in_bucket(s, x, count, x < IC_SKETCH_MIN_VALUE || count == 0 ? 0 : value_bucket(s, x));
}

/* An addition's figures beyond its bucket: minimum, maximum, count and sum (in the additions' order). */
static inline void add_figures(ic_sketch *s, double x) {
  if (!(x >= s->min)) s->min = x; /* NaN while empty: no test of the count */
  if (!(x <= s->max)) s->max = x;
  s->count++;
  ic__metrics_sum_add(&s->sum, &s->sum_comp, x);
}

/* ic_sketch_add's rare paths, out of line so that its common one needs no stack frame: a value in no proved
 * cell, or near its edge (its bucket found), and a side's count wrapping (carry). */
static __attribute__((noinline)) ic_status add_found(ic_sketch *s, double x, uint32_t key) {
  if (!(x >= IC_SKETCH_MIN_VALUE && x <= IC_SKETCH_MAX_VALUE)) return ic_sketch_add_n(s, x, 1); /* false for NaN */
  const struct ic__sketch_cell *c = &s->cells[key % IC__SKETCH_CELLS];
  size_t j = count_of(s, c->key1 == key + 1 ? fast_bucket(s, x) : memo_bucket(s, x, key));
  if (j >= s->len) return ic_sketch_add_n(s, x, 1); /* a bucket not yet covered */
  s->counts[j]++;
  add_figures(s, x);
  return IC_OK;
}

static __attribute__((noinline)) ic_status add_carried(ic_sketch *s, double x, const struct ic__sketch_cell *c, int side) {
  carry(s, c, side);
  add_figures(s, x);
  return IC_OK;
}

/* What ic_sketch_add_n does for one x, in one call: a run adds three or four values a request. Most fall in
 * a proved cell, which needs no test of the range: every proved cell lies within [IC_SKETCH_MIN_VALUE,
 * IC_SKETCH_MAX_VALUE] (memo_bucket), and a negative value, zero, an infinity or a NaN has the key of none
 * (the sign is the key's bit 18, an exponent of all ones past the limits). The rest take add_found. */
ic_status ic_sketch_add(ic_sketch *s, double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  uint32_t key = (uint32_t)(bits >> IC__SKETCH_CELL_SHIFT);
  struct ic__sketch_cell *c = &s->cells[key % IC__SKETCH_CELLS];
  /* No branch on the side of the boundary (values fall either side at random); one on the gap, rare. */
  int64_t from_edge = (int64_t)((bits & IC__SKETCH_CELL_LOW) - ((uint64_t)c->edge << IC__SKETCH_EDGE_UNIT));
  if (!(c->key1 == key + 1 && __builtin_expect((uint64_t)from_edge + IC__SKETCH_GAP > 2 * IC__SKETCH_GAP, 1)))
    return add_found(s, x, key);
  int side = from_edge > 0;
  if (__builtin_expect(++c->n[side] == 0, 0)) return add_carried(s, x, c, side);
  add_figures(s, x);
  return IC_OK;
}

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
  folded(src);
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
  folded(s);
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
  folded(s);
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
  s->min = w.count ? w.min : (double)NAN; /* an empty sketch's, which the additions rely on */
  s->max = w.count ? w.max : (double)NAN;
  return s;
}

void ic_sketch_free(ic_sketch *s) {
  if (!s) return;
  free(s->counts);
  if (s->cells != no_cells) free(s->cells);
  free(s);
}
