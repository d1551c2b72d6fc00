/* serve_continuous.c: iteration-level (continuous) batching with a KV-cache
 * budget, chunked prefill and preemption by recompute.
 *
 * At every iteration boundary a replica evicts (if the next iteration's KV
 * would overflow), admits from its queue, and plans what runs next. While no
 * request is prefilling the batch only decodes, and its membership cannot
 * change before the next completion or KV overflow, so the replica plans the
 * whole run of decode iterations up to then as one span with one event
 * (step_mode = skip), or one event per iteration (step_mode = token). An
 * arrival that could join cuts the span at the first boundary at or after
 * its arrival. Both modes time an iteration with the same function of
 * integers (decode_ns), summed in integer nanoseconds, so they agree exactly.
 *
 * KV accounting: a request reserves its whole prefill (prompt, plus the
 * tokens generated before a preemption) when admitted, then grows by one
 * token per decode step. docs/serving.md has the rules and their sources. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "serve_impl.h"

/* A running request of a continuous replica, its hot fields copied out of
 * the pool so a span's bookkeeping reads one contiguous array. A decoding
 * slot's context and generated are kept less the replica's decode steps,
 * so that a decode span advances every slot by adding to one counter.
 * 32 bytes, two to a cache line (a completion reads every slot): the
 * token counts bounded by IC_REQUEST_TOKENS_MAX (ic_fleet_submit) fit 32
 * bits, target_prefill (prompt + generated, below twice that) unsigned. */
struct ic__slot {
  uint32_t idx;              /* in the pool */
  uint32_t target_prefill;   /* as in struct ic__request_more */
  int32_t output_tokens;     /* as in struct ic__request */
  bool decoding;             /* past its prefill: context and generated are relative */
  bool handed;               /* prefill pool: prefilled, leaving for a decode pool */
  int64_t context, generated; /* as in struct ic__request_more */
};
_Static_assert(sizeof(struct ic__slot) == 32, "struct ic__slot: two to a cache line");
_Static_assert(2 * IC_REQUEST_TOKENS_MAX <= UINT32_MAX && IC_REQUEST_TOKENS_MAX <= INT32_MAX,
               "struct ic__slot: token counts in 32 bits");

/* What the running span of a continuous replica is. */
enum ic__span { IC__SPAN_NONE, IC__SPAN_MIXED, IC__SPAN_DECODE };

/* A continuous replica's batch: 128 bytes, two cache lines, which
 * span_end_hint prefetches (the array of them is aligned to a line). The
 * first holds what a kick reads before it knows whether it cuts the span,
 * and the counts and sums a decode span's end advances; the second what
 * planning a span and a completion add. Only what every span end or kick
 * uses is here: the fields of features that most fleets leave off (a
 * decode pool's promises, reserve admission, prefix-cache transfers, split
 * power) are in struct cont_side. Counts of slots are 32 bits: at most
 * 2 x max_batch (checked in cont_init); a span's iterations, at most an
 * output (IC_REQUEST_TOKENS_MAX, 2^31 - 1: a decode span ends by its
 * first completion); the replica index, below 2^31 (cont_init). */
struct cont {
  uint8_t span;              /* enum ic__span: IC__SPAN_NONE when idle */
  bool admitted_last;        /* serving.prefill_min_queue: the last scheduling decision admitted */
  bool done_ordered;         /* the running slots are [decoding ones, by done step not decreasing][prefilling ones]
                                (see complete_finished) */
  int32_t running_len;       /* running requests */
  int32_t span_iters;        /* iterations in the span (1 for MIXED) */
  int32_t decoding;          /* running requests past their prefill */
  struct ic__pool *pool;     /* its pool */
  ic_time_ns span_start_ns, span_end_ns;
  int64_t context_sum;       /* KV tokens of the decoding requests */
  int64_t kv_reserved;       /* tokens: prefill targets of prefilling + contexts of decoding (a shared prefix
                                cache: less their pinned blocks' tokens, plus the pinned blocks once) */
  int64_t steps;             /* decode steps every decoding slot has taken (see struct ic__slot) */
  /* line 1 */
  int64_t first_done_step;   /* steps when the first decoding slot completes; INT64_MAX if none */
  ic_event_id span_event;
  union {
    struct {
      int64_t span_planned;  /* decode span: its steps summed so far into span_end_ns (see plan_steps) */
      double span_kv_weight_ns; /* decode span: sum over its planned steps i = 0.. of i x step i's ns */
    };
    struct {
      double span_flops, span_bytes; /* mixed iteration: its cost */
    };
  };
  struct ic__slot *running;  /* running requests in admission order */
  int32_t r;                 /* its index in the fleet */
  int32_t first_prefilling;  /* every running slot before this index is decoding */
  uint32_t first_done_idx;   /* that slot's request in the pool, IC__NONE if none (a prefetch hint only) */
  int32_t running_cap;
  int32_t last_done_ahead;   /* done_ordered: the last decoding slot's done step less first_done_step (below
                                IC_REQUEST_TOKENS_MAX: both are ahead of steps by at most an output) */
};
_Static_assert(sizeof(struct cont) == 128, "struct cont: two cache lines");
_Static_assert(IC_REQUEST_TOKENS_MAX <= INT32_MAX, "struct cont: a span's iterations in 32 bits");

/* A continuous replica's fields that only some features touch, each
 * behind its feature's own test, so that a fleet without them never
 * reads these lines. */
struct cont_side {
  int64_t kv_committed;      /* decode pool: prompt + output tokens of the requests promised room here */
  int64_t kv_promised;       /* reserve admission: prompt + output of every running request (a shared prefix
                                cache: less their pinned blocks' tokens, plus the pinned blocks once) */
  ic_time_ns prefix_load_ns; /* prefix cache: transfers from slower tiers the next mixed iteration waits for */
  ic_time_ns span_load_ns;   /* of which in the planned mixed iteration */
  ic_event_id split_event;   /* mixed iteration, ledger: pending switch to decode power, 0 if none */
};

struct ic__decode_line;
struct ic__mixed_cost;

#define IC__SLAB_BYTES (INT64_C(64) << 20) /* the largest slot block (struct cont_state) */

struct cont_state {
  struct cont *rep;          /* per replica */
  struct cont_side *side;    /* per replica */
  struct ic__slot *slab;     /* every replica's running slots, `region` each (NULL: each its own, grown), at a
                                64-byte boundary of slab_block (calloc's large blocks start 16 bytes past one, where
                                every other slot would straddle two lines) */
  void *slab_block;
  int64_t region;            /* slots per replica in the slab: max_batch and as many again to slide into */
  struct ic__decode_line *decode_lines; /* per batch size 0..max_batch */
  struct ic__mixed_cost *mixed_costs;   /* IC__MIXED_COSTS, by a hash of the shape */
  int64_t batch_cap;         /* batch_cap: of the pool's serving config, fixed for the run */
};

static struct cont_state *state(const struct ic__pool *pl) { return pl->policy_state; }

/* The start of rep's region of the slab (st->slab not NULL). */
static struct ic__slot *region_of(const struct cont_state *st, const struct cont *rep) {
  return st->slab + (rep->r - rep->pool->first_replica) * st->region;
}

/* rep's fields of the features that most fleets leave off. */
static struct cont_side *side_of(const struct cont *rep) {
  const struct cont_state *st = state(rep->pool);
  return &st->side[rep - st->rep];
}

/* Reserve admission's count of what rep's running requests may grow to
 * moves by tokens (no other admission reads it). */
static void promise(struct cont *rep, int64_t tokens) {
  if (rep->pool->serving.admission == IC_ADMISSION_RESERVE) side_of(rep)->kv_promised += tokens;
}

static struct cont *cont_of(const ic_fleet *f, int64_t r) {
  /* One pool (the usual fleet): its record without a load of r's replica record. */
  const struct ic__pool *pl = f->pool_count == 1 ? &f->pools[0] : ic__pool_of(f, r);
  return &state(pl)->rep[r - pl->first_replica];
}

static ic_time_ns iter_ns(const struct ic__pool *pl, const struct ic_iter_shape *shape) {
  return ic_duration_from_s(ic_perf_iter_s(pl->perf, shape, NULL));
}

/* A mixed iteration's time and cost, a pure function of its shape, kept
 * for the last shape seen in each of IC__MIXED_COSTS entries: with fixed
 * prompt lengths a pool sees only a few dozen shapes (one per number of
 * whole prompts), and evaluating the roofline and the model's counts was
 * a tenth of a run's instructions. */
#define IC__MIXED_COSTS 64
struct ic__mixed_cost {
  struct ic_iter_shape shape;
  ic_time_ns ns;
  double flops, bytes;
  bool ready;
};

static bool same_shape(const struct ic_iter_shape *a, const struct ic_iter_shape *b) {
  return a->new_tokens == b->new_tokens && a->kv_tokens_read == b->kv_tokens_read && a->seqs == b->seqs &&
         memcmp(&a->attn_pairs, &b->attn_pairs, sizeof a->attn_pairs) == 0; /* the same bits */
}

static const struct ic__mixed_cost *mixed_cost(const struct ic__pool *pl, const struct ic_iter_shape *shape) {
  uint64_t h = (uint64_t)shape->new_tokens * UINT64_C(0x9e3779b97f4a7c15) ^
               (uint64_t)shape->seqs * UINT64_C(0xc2b2ae3d27d4eb4f) ^ (uint64_t)shape->kv_tokens_read;
  struct ic__mixed_cost *c = &state(pl)->mixed_costs[(h ^ h >> 29) % IC__MIXED_COSTS];
  if (c->ready && same_shape(&c->shape, shape)) return c;
  struct ic_iter_cost cost = ic_model_iter_cost(pl->perf->model, &pl->perf->prec, shape);
  *c = (struct ic__mixed_cost){*shape, iter_ns(pl, shape), cost.flops, cost.weight_bytes + cost.act_bytes + cost.kv_bytes,
                               true};
  return c;
}

/* A decode step of n sequences from the compute model's own decomposition
 * (ic_perf_decode_line: exact for its max()-of-parts roofline), cached per
 * n; this is the hot loop of a day's run. With it, what a kick's four-lane
 * walk (steps_begun) asks of the line, worked out once. */
struct ic__decode_line {
  struct ic_perf_decode_line line;
  double walk_k_max;         /* the largest context sum up to which every step lies in [0, 2^50) as the lanes
                                compute it, either side of memory_bound, and roofline_p, slopes and floor let the
                                lanes step (see walk_limit); -1 where they do not */
  bool ready;
  bool memory_always;        /* attention's memory side not below its compute side at any context sum */
};

/* Two lanes of doubles (GCC and Clang vector extensions: one SSE2
 * register), and their comparison masks. */
typedef double ic__v2d __attribute__((vector_size(16)));
typedef int64_t ic__v2l __attribute__((vector_size(16)));

/* Two decode steps at once (lanes at contexts k), with the operations of
 * ic_perf_decode_step_s for roofline_p = 0 and no launch floor (the larger
 * side, then the fixed part; a line with a floor is summed step by step) and of ic_duration_from_s (rounded by adding and taking away
 * 2^52, right for nanoseconds in [0, 2^52): the caller checks). */
static inline __attribute__((always_inline)) ic__v2d decode_step2_ns(const struct ic_perf_decode_line *d, ic__v2d k,
                                                                     bool memory_bound) {
  const double exact = 0x1p52;
  ic__v2d m = d->attn_memory0_s + d->attn_memory1_s * k, hi = m;
  if (!memory_bound) {
    ic__v2d c = d->attn_compute0_s + d->attn_compute1_s * k;
    ic__v2l c_wins = c > m;
    hi = (ic__v2d)(((ic__v2l)c & c_wins) | ((ic__v2l)m & ~c_wins));
  }
  ic__v2d ns = (d->fixed_s + hi) * 1e9;
  return (ns + exact) - exact;
}

/* The walk's limit of a line (struct ic__decode_line's walk_k_max): where roofline_p is not above 0, there is no
 * launch floor and every coefficient is finite and not negative, every operation of decode_step2_ns is monotone
 * in the context sum and the step at 0 is not negative; the memory side alone is at most the max of both; so the
 * largest whole context sum whose max step is below 2^50 bounds every step up to it, on both of memory_bound's
 * sides. At most 2^52, so that the lanes' contexts are exact. Once per line: a bisection of 52 steps. */
static double walk_limit(const struct ic_perf_decode_line *d) {
  const double top = 0x1p52;
  if (d->roofline_p > 0 || d->floor_s > 0.0) return -1.0;
  const double coef[] = {d->fixed_s, d->attn_compute0_s, d->attn_compute1_s, d->attn_memory0_s, d->attn_memory1_s};
  for (size_t i = 0; i < sizeof coef / sizeof coef[0]; i++)
    if (!(coef[i] >= 0.0 && coef[i] < HUGE_VAL)) return -1.0;
  if (!(decode_step2_ns(d, (ic__v2d){0.0, 0.0}, false)[0] < 0x1p50)) return -1.0;
  if (decode_step2_ns(d, (ic__v2d){top, top}, false)[0] < 0x1p50) return top;
  int64_t lo = 0, hi = INT64_C(1) << 52; /* lo's step below 2^50, hi's not */
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    double k = (double)mid;
    if (decode_step2_ns(d, (ic__v2d){k, k}, false)[0] < 0x1p50) lo = mid;
    else hi = mid;
  }
  return (double)lo;
}

static void __attribute__((noinline)) fill_decode_line(const struct ic__pool *pl, struct ic__decode_line *d, int64_t n) {
  struct ic_perf_decode_line line = ic_perf_decode_line(pl->perf, n);
  double k_max = walk_limit(&line);
  /* Rounding is monotone: c0 <= m0 and c1 <= m1 give compute <= memory at every context sum not negative. */
  bool memory_always = k_max >= 0.0 && line.attn_compute0_s <= line.attn_memory0_s &&
                       line.attn_compute1_s <= line.attn_memory1_s;
  *d = (struct ic__decode_line){line, k_max, true, memory_always};
}

/* Inline: every span's plan and end looks its line up; it is filled once. */
static inline const struct ic__decode_line *decode_record(const struct ic__pool *pl, int64_t n) {
  struct ic__decode_line *d = &state(pl)->decode_lines[n];
  if (__builtin_expect(!d->ready, 0)) fill_decode_line(pl, d, n);
  return d;
}

static inline const struct ic_perf_decode_line *decode_line(const struct ic__pool *pl, int64_t n) {
  return &decode_record(pl, n)->line;
}

/* One decode step of n sequences whose cached contexts sum to context_sum,
 * d being n's line: a function of these two integers only, so skip and
 * token modes agree. */
static inline ic_time_ns decode_ns(const struct ic_perf_decode_line *d, int64_t context_sum) {
  return ic_duration_from_s(ic_perf_decode_step_s(d, (double)context_sum));
}

/* Whether attention's memory side is the larger at every step whose context sum is in [k0, k_last] (slopes not
 * negative, checked by the caller: every operation of either side is then monotone in the context sum, so memory
 * at the first step not below compute at the last bounds them all). Then a step is its memory side alone, the
 * value the max takes: decode_step2_ns's memory_bound, a third fewer operations a step. The default scenario's
 * decode steps (small batches of a dense model) are all of this kind. */
static inline bool memory_bound(const struct ic_perf_decode_line *d, double k0, double k_last) {
  return d->attn_compute0_s + d->attn_compute1_s * k_last <= d->attn_memory0_s + d->attn_memory1_s * k0;
}

/* Four consecutive decode steps as two pairs of lanes: the next pair's
 * contexts (k) and indices in the span (i), and the weights summed so far
 * (sum of i x step i's ns over the steps taken, each lane a share of them:
 * w, plus twice b, see four_take). One pair's state, stepped twice a four,
 * so that the loops' state and constants fit the 16 vector registers (two
 * pairs' spilled some). */
struct ic__four {
  ic__v2d k, i, w, b;
  ic__v2d half;              /* 2 x step in both lanes */
};

static inline struct ic__four four_start(double k0, double step) {
  return (struct ic__four){{k0, k0 + step}, {0.0, 1.0}, {0.0, 0.0}, {0.0, 0.0}, {2.0 * step, 2.0 * step}};
}

/* The four's two pairs of steps (decode_step2_ns), the contexts moved to the next four. */
static inline __attribute__((always_inline)) void four_steps(const struct ic_perf_decode_line *d, struct ic__four *l,
                                                             ic__v2d *na, ic__v2d *nb, bool memory_bound) {
  *na = decode_step2_ns(d, l->k, memory_bound);
  l->k += l->half;
  *nb = decode_step2_ns(d, l->k, memory_bound);
  l->k += l->half;
}

/* The steps na, nb (the four's pairs, or the parts of them taken; t2 =
 * na + nb) are taken: a lane's steps i and i + 2 weigh i x (na + nb) + 2 x
 * nb, so w adds i x t2 (t2 the caller's sum anyway) and b the second pair,
 * a product and an increment a four fewer than weighing the pairs apart;
 * the indices move to the next four. */
static inline void four_take(struct ic__four *l, ic__v2d nb, ic__v2d t2) {
  l->w += l->i * t2;
  l->b += nb;
  l->i += 4.0;
}

/* The weights taken: each term a whole number not negative, as are the
 * partial sums, so the caller's test of the result against 2^53 shows they
 * were all exact (an inexact one comes out at or above 2^53, and so does
 * every sum after it). */
static inline double four_weight(const struct ic__four *l) {
  return (l->w[0] + l->w[1]) + 2.0 * (l->b[0] + l->b[1]);
}

/* decode_steps_ns's sums for roofline_p = 0, four steps at a time in two
 * pairs of lanes. The lanes add in another order than one step after
 * another, which changes nothing while every partial sum is an integer
 * below 2^53: true when the totals are (all terms are whole and not
 * negative, and rounding is monotone, so a total that is not exact comes
 * out at or above 2^53). With slopes that are not negative every operation
 * of a step is monotone in its context sum, so the first and last steps
 * bound all of them: the line's walk_k_max (walk_limit) puts every step up
 * to the span's last in [0, 2^50). False
 * when a step or a total is outside what the step-by-step sum takes: the
 * caller then takes that. */
/* decode_steps_max's whole fours: their totals into ta, weights into l; the steps taken. */
static inline __attribute__((always_inline)) int64_t sum_fours(const struct ic_perf_decode_line *d, struct ic__four *l,
                                                               int64_t iters, ic__v2d *ta, bool memory_bound) {
  int64_t i = 0;
  for (; i + 4 <= iters; i += 4) {
    ic__v2d na, nb;
    four_steps(d, l, &na, &nb, memory_bound);
    ic__v2d t2 = na + nb;
    *ta += t2;
    four_take(l, nb, t2);
  }
  return i;
}

/* The record whose line d is (every line is one of cont_state's decode_lines, its record's first member). */
static inline const struct ic__decode_line *record_of(const struct ic_perf_decode_line *d) {
  return (const struct ic__decode_line *)(const void *)d;
}
_Static_assert(offsetof(struct ic__decode_line, line) == 0, "record_of: a line is its record's first member");

/* The line's walk_k_max bounds the span's steps (walk_limit: the last step's context sum exact where it is at
 * most that), and the last few, stepped one by one, take the lanes' operations. */
static bool decode_steps_max(const struct ic_perf_decode_line *d, int64_t context_sum, int64_t n, int64_t iters,
                             double *total_ns, double *weight_ns) {
  const struct ic__decode_line *dl = record_of(d);
  const double exact = 0x1p52, k0 = (double)context_sum, step = (double)n, k_last = k0 + (double)(iters - 1) * step;
  if (iters < 1 || !(k_last <= dl->walk_k_max)) return false;
  struct ic__four l = four_start(k0, step);
  ic__v2d ta = {0.0, 0.0};
  bool mb = dl->memory_always || memory_bound(d, k0, k_last);
  int64_t i = mb ? sum_fours(d, &l, iters, &ta, true) : sum_fours(d, &l, iters, &ta, false);
  double t = ta[0] + ta[1], w = four_weight(&l);
  for (double k = k0 + (double)i * step; i < iters; i++, k += step) { /* the lanes' operations, one lane */
    double ns = mb ? decode_step2_ns(d, (ic__v2d){k, k}, true)[0] : decode_step2_ns(d, (ic__v2d){k, k}, false)[0];
    t += ns;
    w += (double)i * ns;
  }
  *total_ns = t;
  *weight_ns = w;
  return t < exact && w < 0x1p53;
}

/* The sum of decode_ns over `iters` steps whose context sums start at
 * context_sum and grow by n, and in *weight_ns the sum of i x step i's ns
 * (i from 0: the span's own KV growth, n i tokens in step i, over time).
 * The hot loop of a run, so it stays in doubles: below 2^53 the context
 * sums and the whole-nanosecond step times are exact integers in a double,
 * and so is their total, which is therefore the same as decode_ns's integer
 * sum; anything larger takes decode_ns itself. */
static ic_time_ns decode_steps_ns(const struct ic_perf_decode_line *d, int64_t context_sum, int64_t n, int64_t iters,
                                  double *weight_ns) {
  const double exact = 0x1p52;
  double total;
  if (decode_steps_max(d, context_sum, n, iters, &total, weight_ns)) return (ic_time_ns)total;
  if ((double)context_sum + (double)n * (double)iters < exact) {
    double k = (double)context_sum, step = (double)n, weight = 0.0;
    bool ok = true;
    total = 0.0;
    for (int64_t i = 0; i < iters; i++, k += step) {
      double ns = ic_perf_decode_step_s(d, k) * 1e9;
      ok = ok && ns >= 0.0 && ns < exact; /* what ic_duration_from_s rounds in place */
      ns = (ns + exact) - exact;
      total += ns;
      weight += (double)i * ns;
    }
    *weight_ns = weight;
    if (ok && total < exact) return (ic_time_ns)total;
  }
  ic_time_ns dur = 0;
  *weight_ns = 0.0;
  for (int64_t i = 0; i < iters; i++, context_sum += n) {
    ic_time_ns ns = decode_ns(d, context_sum);
    dur += ns; /* each at most IC_DURATION_MAX: the sum fits until it exceeds it */
    if (dur > IC_DURATION_MAX) return ic_duration_from_s(ic_time_to_s(dur)); /* refuses */
    *weight_ns += (double)i * (double)ns;
  }
  return dur;
}

/* A decode span's end is summed lazily: most spans are cut by an arrival
 * after a few of their steps (95 % of the steps of the 2025 scenario's
 * spans were never run), so none is summed when it is planned: its end
 * event's time is a bound, its steps times its first step's (steps never
 * get shorter); the event queue asks for sums (span_end_refine) only when
 * the bound would come first: IC__PLAN_FIRST steps, then IC__PLAN_GROWTH
 * times as many each time, the bound being what is summed plus what is
 * left times its first step. Only where the whole span's sums are provably
 * exact integers (then any order of adding gives the one result the eager
 * sum would); otherwise the span is summed at once as before. The first
 * sum of 128 steps: most of the default scenario's lazy spans that reach a
 * refinement end within that many, in one refinement where 32 took two
 * (the 2025 scenario's spans are shorter: no change there). */
#define IC__PLAN_FIRST 128
#define IC__PLAN_GROWTH 4
/* Spans of more steps than this are planned lazily: a short span that its
 * end reaches costs a refinement besides its sum (golden cases, measured:
 * round 9's item N5). */
#define IC__LAZY_MIN 16

static bool lazy_exact(const struct ic_perf_decode_line *d, int64_t context_sum, int64_t n, int64_t iters) {
  const double exact = 0x1p52, k0 = (double)context_sum;
  if (d->roofline_p > 0 || !(d->attn_compute1_s >= 0.0 && d->attn_memory1_s >= 0.0)) return false;
  if (!(k0 + (double)n * (double)iters < exact)) return false;
  double first = ic_perf_decode_step_s(d, k0) * 1e9, last = ic_perf_decode_step_s(d, k0 + (double)(iters - 1) * (double)n) * 1e9;
  if (!(first >= 0.0 && last < exact)) return false;
  /* Every step rounds to at most last + 1 ns: bounds of the total and of the weight, with a margin of 2. */
  double k = (double)iters, step_max = last + 1.0;
  return k * step_max < 0x1p51 && k * (k - 1.0) / 2.0 * step_max < 0x1p52;
}

/* Sums the steps [span_planned, upto) of rep's decode span of n sequences
 * into its end and weight (lazy_exact: each a whole number below 2^53). */
static void plan_steps(struct cont *rep, const struct ic_perf_decode_line *d, int64_t upto) {
  int64_t from = rep->span_planned, n = rep->running_len;
  double weight_ns;
  ic_time_ns ns = decode_steps_ns(d, rep->context_sum + n * from, n, upto - from, &weight_ns);
  rep->span_end_ns += ns;
  rep->span_kv_weight_ns += weight_ns + (double)from * (double)ns;
  rep->span_planned = upto;
}

/* FLOPs and bytes of `iters` decode steps of n sequences from context sum
 * K: the line's affine counts summed over K, K + n, ... in closed form. */
static void decode_steps_cost(const struct ic_perf_decode_line *d, int64_t context_sum, int64_t n, int64_t iters,
                              double *flops, double *bytes) {
  double k = (double)iters, ksum = k * (double)context_sum + (double)n * k * (k - 1.0) / 2.0;
  *flops = k * d->flops0 + d->flops1 * ksum;
  *bytes = k * d->bytes0 + d->bytes1 * ksum;
}

static void cont_free(ic_fleet *f, struct ic__pool *pl) {
  (void)f;
  struct cont_state *st = state(pl);
  if (!st) return;
  if (st->rep && !st->slab)
    for (int64_t i = 0; i < pl->replica_count; i++) free(st->rep[i].running);
  free(st->slab_block);
  free(st->rep);
  free(st->side);
  free(st->decode_lines);
  free(st->mixed_costs);
  free(st);
  pl->policy_state = NULL;
}

static void on_span_end(ic_sim *sim, void *ctx, uint64_t arg);
static void span_end_hint(const void *ctx, uint64_t arg);
static bool span_end_refine(void *ctx, uint64_t arg, ic_time_ns *at_ns);

/* A span end's event argument: the replica in bits 0-23 and, for
 * span_end_hint, the index in the replica's region of the slab of the
 * slot its end reads first in bits 24-38, bit 39 set where it reads the
 * slot after it too (span_arg_pair), and that request's pool index in bits 40-63 (all ones: not known, or too
 * large); where replica indices take more than 24 bits, the replica alone. */
#define IC__ARG_R (INT64_C(1) << 24)
#define IC__ARG_POS (UINT64_C(1) << 14)
#define IC__ARG_ALL (UINT64_C(1) << 38)
#define IC__ARG_PAIR (UINT64_C(1) << 39)
#define IC__ARG_IDX (UINT64_C(1) << 24)

static uint64_t span_arg(const ic_fleet *f, int64_t r, int64_t pos, uint32_t idx) {
  if (f->replica_count >= IC__ARG_R) return (uint64_t)r;
  uint64_t p = (uint64_t)pos < IC__ARG_POS ? (uint64_t)pos : IC__ARG_POS - 1;
  uint64_t i = idx < IC__ARG_IDX ? idx : IC__ARG_IDX - 1;
  return (uint64_t)r | p << 24 | i << 40;
}

/* The fleet size from which a decode span's hint fetches more than its first slot (span_arg_pair,
 * span_arg_all): below it the replicas' slots stay in cache (60 nodes measured slower with them). */
#define IC__HINT_SLOTS_MIN 1024

/* arg of a span whose end reads the slot after its first one too (a
 * completion tests the next slot's finish step). */
static uint64_t span_arg_pair(const ic_fleet *f, uint64_t arg) {
  return f->replica_count >= IC__ARG_R ? arg : arg | IC__ARG_PAIR;
}

/* arg of a span whose end scans every running slot (complete_some). */
static uint64_t span_arg_all(const ic_fleet *f, uint64_t arg) {
  return f->replica_count >= IC__ARG_R ? arg : arg | IC__ARG_ALL;
}

static int64_t span_replica(const ic_fleet *f, uint64_t arg) {
  return f->replica_count >= IC__ARG_R ? (int64_t)arg : (int64_t)(arg & (IC__ARG_R - 1));
}

/* The most requests a replica runs: serving.max_batch, and with
 * serving.token_budget = iteration no more than the budget has tokens for
 * their decodes (TensorRT-LLM schedules generation requests only while
 * max_num_tokens lasts; those past it would wait anyway). */
static int64_t batch_cap_of(const struct ic_serving_config *sv) {
  int64_t cap = sv->max_batch;
  int64_t budget = sv->prefill_chunk_tokens > 0 ? sv->prefill_chunk_tokens : sv->max_batched_tokens;
  if (sv->token_budget == IC_TOKEN_BUDGET_ITERATION && budget > 0 && budget < cap) cap = budget;
  return cap;
}

static bool cont_init(ic_fleet *f, struct ic__pool *pl) {
  struct cont_state *st = calloc(1, sizeof *st);
  if (!st) return false;
  pl->policy_state = st;
  /* struct cont's 32-bit counts: a fleet's replica indices, and twice a batch (serving.max_batch <= 10^6 in a
   * scenario; a caller of the fleet's own API could ask for more). */
  if (pl->first_replica + pl->replica_count > INT32_MAX || pl->serving.max_batch > INT32_MAX / 2) return false;
  /* Records on cache lines of their own (the size a multiple of the alignment, as C11 asks). */
  st->rep = aligned_alloc(64, ((size_t)pl->replica_count * sizeof *st->rep + 63) / 64 * 64);
  st->side = calloc((size_t)pl->replica_count, sizeof *st->side);
  if (!st->rep || !st->side) return false;
  /* One block for every replica's slots, where it is not large, so that a
   * slot's address follows from its replica and index (span_end_hint);
   * calloc leaves the pages of slots never used untouched. Each replica's
   * region holds max_batch slots and as many again, into which its slots
   * slide as the oldest complete (complete_finished). */
  int64_t per = 2 * pl->serving.max_batch;
  size_t slab_bytes = (size_t)(pl->replica_count * per) * sizeof *st->slab;
  if (pl->replica_count <= IC__SLAB_BYTES / per / (int64_t)sizeof(struct ic__slot)) st->slab_block = calloc(1, slab_bytes + 64);
  if (st->slab_block) {
    st->slab = (struct ic__slot *)((char *)st->slab_block + (64 - (uintptr_t)st->slab_block % 64) % 64);
    ic__advise_huge(st->slab, slab_bytes);
  }
  st->region = per;
  st->batch_cap = batch_cap_of(&pl->serving);
  for (int64_t i = 0; i < pl->replica_count; i++)
    st->rep[i] = (struct cont){.first_done_step = INT64_MAX, .first_done_idx = IC__NONE, .done_ordered = true,
                               .pool = pl, .r = (int32_t)(pl->first_replica + i), .running = st->slab ? st->slab + i * per : NULL,
                               .running_cap = st->slab ? (int32_t)per : 0};
  st->decode_lines = calloc((size_t)pl->serving.max_batch + 1, sizeof *st->decode_lines);
  st->mixed_costs = calloc(IC__MIXED_COSTS, sizeof *st->mixed_costs);
  if (!st->decode_lines || !st->mixed_costs) return false;
  return ic_sim_set_hint(f->sim, on_span_end, span_end_hint) && ic_sim_set_refine(f->sim, on_span_end, span_end_refine);
}

/* A decoding slot's context and generated, undoing the relative form. */
static int64_t slot_context(const struct cont *rep, const struct ic__slot *sl) {
  return sl->decoding ? sl->context + rep->steps : sl->context;
}

static int64_t slot_generated(const struct cont *rep, const struct ic__slot *sl) {
  return sl->decoding ? sl->generated + rep->steps : sl->generated;
}

/* The slot's prefill is done (rep->decoding counts it already): from now
 * on it moves with rep->steps. The slots stay done_ordered when it was the
 * first prefilling one and completes no earlier than the one before it. */
static void start_decoding(struct cont *rep, struct ic__slot *sl) {
  sl->decoding = true;
  sl->context -= rep->steps;
  sl->generated -= rep->steps;
  int64_t done = sl->output_tokens - sl->generated, at = sl - rep->running;
  rep->done_ordered = rep->done_ordered && at == rep->decoding - 1 &&
                      (at == 0 || done >= rep->first_done_step + rep->last_done_ahead);
  if (rep->done_ordered) rep->last_done_ahead = at == 0 ? 0 : (int32_t)(done - rep->first_done_step);
  if (done < rep->first_done_step) {
    rep->first_done_step = done;
    rep->first_done_idx = sl->idx;
  }
}

/* Recomputes first_done_step and first_prefilling after slots left. */
static void rescan(struct cont *rep) {
  rep->first_done_step = INT64_MAX;
  rep->first_done_idx = IC__NONE;
  rep->first_prefilling = rep->running_len;
  rep->done_ordered = true;
  int64_t last_done = INT64_MIN;
  for (int64_t i = 0; i < rep->running_len; i++) {
    const struct ic__slot *sl = &rep->running[i];
    if (!sl->decoding && i < rep->first_prefilling) rep->first_prefilling = (int32_t)i;
    if (!sl->decoding) continue;
    int64_t done = sl->output_tokens - sl->generated;
    rep->done_ordered = rep->done_ordered && i < rep->first_prefilling && done >= last_done;
    last_done = done;
    if (done < rep->first_done_step) {
      rep->first_done_step = done;
      rep->first_done_idx = sl->idx;
    }
  }
  rep->last_done_ahead = rep->done_ordered && rep->decoding > 0 ? (int32_t)(last_done - rep->first_done_step) : 0;
}

/* Prefill pool: the requests whose prefill just ended leave the batch for
 * a decode pool; their KV tokens stay reserved here until moved. */
static void hand_off(ic_fleet *f, struct cont *rep) {
  int64_t kept = 0;
  for (int64_t i = 0; i < rep->running_len; i++) {
    struct ic__slot sl = rep->running[i];
    if (!sl.handed) {
      rep->running[kept++] = sl;
      continue;
    }
    struct ic__request_more *pm = ic__more(f, sl.idx);
    pm->context = sl.context;
    pm->generated = sl.generated;
    rep->kv_reserved += ic__prefix_release(f, rep->r, sl.idx); /* 0: a prefill pool keeps the whole prompt */
    ic__count_running(f, -1);
    ic__handoff(f, rep->r, sl.idx);
  }
  rep->running_len = (int32_t)kept;
  rescan(rep);
}

/* The prompt tokens a mixed iteration may take (serving.token_budget =
 * iteration: what the decoding requests, one token each, leave of the
 * budget, as TensorRT-LLM's MicroBatchScheduler schedules the generation
 * requests first; never below 0). */
static int64_t budget_left(const struct cont *rep, int64_t budget) {
  if (rep->pool->serving.token_budget != IC_TOKEN_BUDGET_ITERATION || budget <= 0) return budget;
  return budget > rep->decoding ? budget - rep->decoding : 0;
}

/* The mixed iteration: prefill chunks in admission order within the token
 * budget; without chunking (budget 0) whole prefills and the decodes wait,
 * with chunking the decodes ride along; with serving.token_budget =
 * iteration the decodes ride along with whole prompts too, and take their
 * tokens of the budget first (a whole prompt that does not fit in the rest
 * waits, unless nothing else runs); serving.prefill_chunk_max_tokens caps
 * each prompt's chunk. mixed_plan gives its shape, mixed_apply advances
 * the requests; both take the prompts' chunks from mixed_take, so that
 * what runs is what was planned. */
struct ic__mixed_budget {
  int64_t chunk, whole, budget, per_prompt, used, first_used;
  bool ride;                 /* the decodes ride along */
};

static inline __attribute__((always_inline)) struct ic__mixed_budget mixed_budget(const struct cont *rep) {
  const struct ic_serving_config *sv = &rep->pool->serving;
  struct ic__mixed_budget b = {.chunk = sv->prefill_chunk_tokens, .whole = sv->max_batched_tokens};
  b.ride = b.chunk > 0 || sv->token_budget == IC_TOKEN_BUDGET_ITERATION;
  b.budget = b.chunk > 0 ? budget_left(rep, b.chunk) : INT64_MAX;
  b.first_used = b.ride ? rep->decoding : 0;
  /* vLLM V1's long_prefill_token_threshold: one request's share of a chunked iteration. */
  b.per_prompt = b.chunk > 0 && sv->prefill_chunk_max_tokens > 0 ? sv->prefill_chunk_max_tokens : INT64_MAX;
  b.whole = b.whole > 0 ? budget_left(rep, b.whole) : INT64_MAX;
  return b;
}

/* The chunk prefilling slot pr takes next (0: none), or -1: it and the
 * slots after it wait their turn. */
static inline __attribute__((always_inline)) int64_t mixed_take(struct ic__mixed_budget *b, const struct ic__slot *pr) {
  int64_t take = pr->target_prefill - pr->context;
  if (take > b->per_prompt) take = b->per_prompt;
  if (take > b->budget) take = b->budget;
  if (take == 0) return 0;
  /* Whole prompts within a token budget: the first always runs, the rest wait their turn. */
  if (b->chunk == 0 && b->whole != INT64_MAX && (b->used > 0 || b->first_used > 0) && b->used + take > b->whole) return -1;
  b->used += take;
  b->budget -= take;
  return take;
}

static struct ic_iter_shape mixed_plan(const struct cont *rep, struct ic_iter_shape *prefill_part,
                                       struct ic_iter_shape *decode_part) {
  struct ic__mixed_budget b = mixed_budget(rep);
  /* No decode rides along: no decode part, so no power split reads the prefill part (it would be the shape). */
  if (!b.ride || rep->decoding == 0) prefill_part = NULL;
  struct ic_iter_shape shape = {0};
  if (b.ride && rep->decoding > 0) {
    /* The decodes riding along, one token each: a shape of their count and
     * context sum alone (its parts are whole numbers, so their sums in any
     * order are the per-slot sums exactly). */
    struct ic_iter_shape all = {rep->decoding, (double)(rep->context_sum + rep->decoding), rep->context_sum, rep->decoding};
    shape = all;
    *decode_part = ic_iter_shape_add(*decode_part, all);
  }
  /* The decoding slots take no part here: skip those in front. */
  for (int64_t i = rep->first_prefilling; i < rep->running_len; i++) {
    const struct ic__slot *pr = &rep->running[i];
    if (pr->decoding) continue;
    int64_t take = mixed_take(&b, pr);
    if (take < 0) break;
    if (take == 0) continue;
    struct ic_iter_shape part = ic_iter_shape_prefill_chunk(take, pr->context);
    shape = ic_iter_shape_add(shape, part);
    if (prefill_part) *prefill_part = ic_iter_shape_add(*prefill_part, part);
  }
  return shape;
}

/* A span end's requests whose records wait until after the boundary
 * (on_span_end): a mixed iteration's first tokens and a completion's
 * requests. Where nothing the boundary reads or tells depends on them
 * (f->requests_later: ic__later_update says when), their pool entries (fetched by the hint and complete_oldest) get the
 * boundary's time to arrive, where ic__first_token and finish_slot waited
 * for them. Each list keeps its order; the first tokens go first (a
 * request of one output token completes where it starts decoding). */
#define IC__LATER_MAX 8
struct ic__later {
  int32_t n, firsts;
  uint32_t idx[IC__LATER_MAX];
  uint32_t first[IC__LATER_MAX];
};

/* The first tokens left for later, now, in their order. */
static void firsts_now(ic_fleet *f, int64_t r, struct ic__later *later) {
  for (int32_t j = 0; j < later->firsts; j++) ic__first_token(f, r, later->first[j]);
  later->firsts = 0;
}

/* Request idx's first token, now or after the boundary. */
static inline void first_token_later(ic_fleet *f, const struct cont *rep, struct ic__later *later, uint32_t idx) {
  if (later->firsts < IC__LATER_MAX && f->requests_later) {
    later->first[later->firsts++] = idx;
    return;
  }
  firsts_now(f, rep->r, later); /* those before it first */
  ic__first_token(f, rep->r, idx);
}

static void mixed_apply(ic_fleet *f, struct cont *rep, struct ic__later *later) {
  struct ic__mixed_budget b = mixed_budget(rep);
  if (b.ride) { /* one step for each request decoding before this iteration */
    rep->pool->work.output_tokens += (double)rep->decoding;
    rep->steps++;
    rep->context_sum += rep->decoding;
    rep->kv_reserved += rep->decoding;
  }
  for (int64_t i = rep->first_prefilling; i < rep->running_len; i++) {
    struct ic__slot *pr = &rep->running[i];
    if (pr->decoding) continue;
    int64_t take = mixed_take(&b, pr);
    if (take < 0) break;
    if (take == 0) continue;
    pr->context += take;
    if (pr->context < pr->target_prefill) continue;
    /* The prefill's last position yields the next token. */
    pr->generated++;
    rep->pool->work.output_tokens += 1.0;
    if (rep->pool->role == IC_ROLE_PREFILL && pr->generated < pr->output_tokens) {
      /* Its decode is another pool's: it leaves the batch, its KV cache stays until moved. */
      if (f->serving.ttft_at == IC_TTFT_AT_PREFILL) ic__first_token(f, rep->r, pr->idx);
      pr->handed = true;
      continue;
    }
    first_token_later(f, rep, later, pr->idx);
    rep->decoding++;
    rep->context_sum += pr->context;
    start_decoding(rep, pr);
  }
  if (rep->pool->role == IC_ROLE_PREFILL) hand_off(f, rep);
  if (rep->decoding == rep->running_len) /* every slot decodes (the usual end of a prefill): no slot to read */
    rep->first_prefilling = rep->running_len;
  while (rep->first_prefilling < rep->running_len && rep->running[rep->first_prefilling].decoding) rep->first_prefilling++;
}

/* Evicts the latest-admitted request; it goes back to the front of the
 * queue and will recompute its prompt and everything it generated. */
static void evict(ic_fleet *f, int64_t r) {
  struct cont *rep = cont_of(f, r);
  struct ic__slot *sl = &rep->running[--rep->running_len];
  uint32_t idx = sl->idx;
  if (!sl->decoding) {
    rep->kv_reserved -= sl->target_prefill;
    if (rep->first_prefilling > rep->running_len) rep->first_prefilling = rep->running_len;
  } else {
    rep->kv_reserved -= slot_context(rep, sl);
    rep->context_sum -= slot_context(rep, sl);
    rep->decoding--;
    rescan(rep);
  }
  const struct ic__request *pr = &f->pool[idx];
  struct ic__request_more *pm = ic__more(f, idx);
  pm->generated = slot_generated(rep, sl);
  pm->target_prefill = pr->req.prompt_tokens + pm->generated;
  pm->context = 0;
  f->stats.preemptions++;
  int64_t kv_delta = ic__prefix_release(f, r, idx);
  rep->kv_reserved += kv_delta;
  promise(rep, kv_delta - (pr->req.prompt_tokens + pr->req.output_tokens));
  ic__count_running(f, -1);
  ic__notify(f, IC_SERVE_PREEMPT, r, rep->running_len, pr->req.id);
  ic__queue_push(f, r, idx, true);
}

static bool admit(ic_fleet *f, int64_t r) {
  struct cont *rep = cont_of(f, r);
  struct cont_state *st = state(rep->pool);
  if (rep->running_len == rep->running_cap && st->slab) { /* slid to its region's end: back to its start */
    struct ic__slot *start = region_of(st, rep);
    memmove(start, rep->running, (size_t)rep->running_len * sizeof *start);
    rep->running = start;
    rep->running_cap = (int32_t)st->region;
  } else if (rep->running_len == rep->running_cap) {
    int64_t cap = rep->running_cap ? 2 * (int64_t)rep->running_cap : 8;
    if (cap > rep->pool->serving.max_batch) cap = rep->pool->serving.max_batch;
    struct ic__slot *p = realloc(rep->running, (size_t)cap * sizeof *p);
    if (!p) return false;
    rep->running = p;
    rep->running_cap = (int32_t)cap;
  }
  uint32_t idx = ic__queue_pop(f, r);
  const struct ic__request *pr = &f->pool[idx];
  int64_t target = pr->req.prompt_tokens, context = 0, generated = 0;
  if (pr->flags & IC__REQ_MORE) { /* preempted, or prefilled elsewhere: it goes on from there */
    const struct ic__request_more *pm = &f->pool_more[idx];
    target = pm->target_prefill, context = pm->context, generated = pm->generated;
  }
  struct ic__slot *sl = &rep->running[rep->running_len++];
  *sl = (struct ic__slot){idx, (uint32_t)target, (int32_t)pr->req.output_tokens, false, false, context, generated};
  rep->kv_reserved += target;
  promise(rep, pr->req.prompt_tokens + pr->req.output_tokens);
  if (f->block_src && sl->context == 0) { /* its cached prefix need not be computed again */
    ic_time_ns load_ns;
    int64_t kv_delta;
    sl->context = ic__prefix_admit(f, r, idx, sl->target_prefill, &load_ns, &kv_delta);
    side_of(rep)->prefix_load_ns += load_ns;
    rep->kv_reserved += kv_delta; /* its pinned blocks count once, in the cache's */
    promise(rep, kv_delta);
  }
  if (sl->context >= sl->target_prefill) { /* prefilled elsewhere (a decode pool): it decodes from now */
    rep->decoding++;
    rep->context_sum += sl->context;
    start_decoding(rep, sl);
    if (rep->first_prefilling == rep->running_len - 1) rep->first_prefilling = rep->running_len;
  }
  ic__admitted(f, r, idx);
  ic__count_running(f, +1);
  return true;
}

/* The next event is replica arg's span end: its fleet record, its batch
 * record, the slot it reads first and that request's pool entry start on
 * their way to the cache while the current event runs. Addresses from arg
 * alone (one pool), so the hint waits on no load. */
static void span_end_hint(const void *ctx, uint64_t arg) {
  const ic_fleet *f = ctx;
  int64_t r = span_replica(f, arg);
  __builtin_prefetch(&f->replicas[r]);
  if (f->replica_count >= IC__ARG_R) return; /* the replica alone */
  uint64_t idx = arg >> 40, pos = arg >> 24 & (IC__ARG_POS - 1);
  if (idx != IC__ARG_IDX - 1)
    for (size_t b = 0; b < sizeof f->pool[idx]; b += 64) __builtin_prefetch((const char *)&f->pool[idx] + b);
  if (f->pool_count != 1) return;
  const struct cont_state *st = state(&f->pools[0]);
  int64_t i = r - f->pools[0].first_replica;
  const struct cont *rep = &st->rep[i];
  for (size_t b = 0; b < sizeof *rep; b += 64) __builtin_prefetch((const char *)rep + b);
  if (st->slab && pos != IC__ARG_POS - 1) {
    const struct ic__slot *sl = &st->slab[i * st->region + (int64_t)pos];
    __builtin_prefetch(sl);
    /* The slab is aligned: an odd slot ends its line, and a pair's next slot starts the next one. Without a branch
     * (pairs and odd slots come at random): otherwise the same line again, which costs nothing more. */
    __builtin_prefetch(sl + (arg >> 39 & pos & 1));
    if (arg & IC__ARG_ALL) { /* a batch's worth of slots, at most 64 */
      int64_t n = st->region / 2 < 64 ? st->region / 2 : 64;
      for (int64_t j = 2 - (int64_t)(pos % 2); j < n; j += 2) __builtin_prefetch(sl + j);
    }
  }
  /* The next span's power state: its node's ledger record (a replica's node from its index). */
  if (f->has_ledger && f->pools[0].replicas_per_node > 0) ic_ledger_prefetch(f->pools[0].ledger, i / f->pools[0].replicas_per_node);
}

/* A kick's batch record (one pool: its address without a load). */
static void cont_prefetch(const ic_fleet *f, int64_t r) {
  if (f->pool_count != 1) return;
  const struct cont *rep = &state(&f->pools[0])->rep[r - f->pools[0].first_replica];
  for (size_t b = 0; b < sizeof *rep; b += 64) __builtin_prefetch((const char *)rep + b);
}

/* Halfway through a mixed iteration: its decode share draws decode power. */
static void on_decode_share(ic_sim *sim, void *ctx, uint64_t arg) {
  ic_fleet *f = ctx;
  struct cont *rep = cont_of(f, (int64_t)arg);
  side_of(rep)->split_event = 0;
  if (rep->span == IC__SPAN_MIXED && ic_sim_now(sim) < rep->span_end_ns) ic__set_gpu_state(f, (int64_t)arg, IC_GPU_DECODE);
}

/* A chunked-prefill iteration that also decodes is weighted by time: its
 * prefill share (the prefill part's own time over both parts' times) runs
 * at prefill power, the rest at decode power. */
static void split_power(ic_fleet *f, int64_t r, const struct ic_iter_shape *prefill_part,
                        const struct ic_iter_shape *decode_part, ic_time_ns now, ic_time_ns dur) {
  if (!f->has_ledger) return;
  const struct ic_perf *perf = cont_of(f, r)->pool->perf;
  double tp = ic_perf_iter_s(perf, prefill_part, NULL), td = ic_perf_iter_s(perf, decode_part, NULL);
  ic_time_ns prefill_ns = ic_duration_from_s(ic_time_to_s(dur) * tp / (tp + td));
  if (prefill_ns > 0 && prefill_ns < dur)
    side_of(cont_of(f, r))->split_event = ic__schedule(f, now + prefill_ns, on_decode_share, (uint64_t)r);
}

static void go_idle(ic_fleet *f, int64_t r, bool was_busy) {
  cont_of(f, r)->span = IC__SPAN_NONE;
  ic__set_gpu_state(f, r, IC_GPU_IDLE);
  if (was_busy) ic__count_busy(f, -1);
}

/* Iterations of decode-only batch before its first completion or before
 * its KV cache would overflow, whichever comes first. */
static int64_t decode_span_iters(const struct cont *rep) {
  int64_t n = rep->running_len, left = rep->first_done_step - rep->steps; /* every slot decodes */
  int64_t room = rep->pool->kv_capacity - rep->kv_reserved;
  /* Room for left more tokens each needs no division (then kv_left >= left); left is at most an output
   * (IC_REQUEST_TOKENS_MAX) and n at most serving.max_batch (10^6), so the product is below 2^52. */
  if (room < left * n) {
    int64_t kv_left = room / n;
    if (kv_left < left) left = kv_left;
  }
  return rep->pool->serving.step_mode == IC_STEP_TOKEN || left < 1 ? 1 : left;
}

/* AMD's MLPerf vLLM scheduler (closed/AMD/setup/vllm_patches in MLPerf
 * Inference v5.1, add-MIN_REQUIRE_PREFILL_QUERY-condition.patch): with
 * requests running, a decision prefills only when prefill_min_queue requests
 * wait or the decision before did not prefill; an idle replica always may.
 * True: this decision holds the queue back. */
static bool hold_prefill(struct cont *rep, int64_t queued) {
  bool prefill = rep->running_len == 0 ||
                 (rep->running_len < rep->pool->serving.max_batch &&
                  (queued >= rep->pool->serving.prefill_min_queue || !rep->admitted_last));
  rep->admitted_last = prefill;
  return !prefill;
}

/* The most requests a replica runs (every kick and admission asks: kept in
 * the pool's state, set by cont_init from batch_cap_of). */
static int64_t batch_cap(const struct ic__pool *pl) { return state(pl)->batch_cap; }

/* The head of rep's queue fits its KV budget: its prefill target (and
 * with reserve admission its prompt and output) beside what is used, less
 * the prompt blocks already pinned in a shared cache (counted once). */
static bool head_fits(const ic_fleet *f, const struct cont *rep) {
  uint32_t head = f->replicas[rep->r].queue_head;
  const struct ic__request *pr = &f->pool[head];
  int64_t extra = f->block_src ? ic__prefix_admit_kv(f, rep->r, head) : 0, cap = rep->pool->kv_capacity;
  return rep->kv_reserved + ic__target_prefill(f, head) + extra + rep->decoding <= cap &&
         (rep->pool->serving.admission != IC_ADMISSION_RESERVE ||
          side_of(rep)->kv_promised + pr->req.prompt_tokens + pr->req.output_tokens + extra <= cap);
}

/* An iteration boundary at now: evict, admit, plan the next span. */
static void boundary(ic_fleet *f, struct cont *rep, bool was_busy) {
  int64_t r = rep->r;
  if (f->serving.router == IC_ROUTER_CENTRAL) ic__refill(f, r); /* the calls' own tests first, without a call */
  if (f->slept && !ic__node_ready(f, r)) {
    go_idle(f, r, was_busy); /* the wake-up kicks the replica again */
    return;
  }
  while (rep->running_len > 0 && rep->kv_reserved + rep->decoding > rep->pool->kv_capacity) evict(f, r);
  const struct ic__replica *q = &f->replicas[r];
  bool held = rep->pool->serving.prefill_min_queue > 0 && hold_prefill(rep, q->queue_len);
  while (!held && q->queue_len > 0 && rep->running_len < batch_cap(rep->pool) && head_fits(f, rep))
    if (!ic__check(f, admit(f, r) ? IC_OK : IC_ENOMEM, "admitting a request")) return;
  if (rep->running_len == 0) {
    go_idle(f, r, was_busy);
    return;
  }
  ic_time_ns now = ic_sim_now(f->sim), dur = 0, bound_ns = 0;
  if (rep->decoding < rep->running_len) {
    struct ic_iter_shape prefill_part = {0}, decode_part = {0};
    struct ic_iter_shape shape = mixed_plan(rep, &prefill_part, &decode_part);
    const struct ic__mixed_cost *cost = mixed_cost(rep->pool, &shape);
    dur = cost->ns;
    if (f->block_src) { /* transfers, then compute: no overlap */
      struct cont_side *side = side_of(rep);
      dur += side->prefix_load_ns;
      side->span_load_ns = side->prefix_load_ns;
    }
    rep->span_flops = cost->flops;
    rep->span_bytes = cost->bytes;
    rep->span = IC__SPAN_MIXED;
    rep->span_iters = 1;
    if (f->block_src) ic__prefix_trim(f, r, rep->kv_reserved + rep->decoding); /* what the iteration ends with */
    if (f->busy_w) ic__power_load(f, r, cost->flops, rep->span_bytes, ic_time_to_s(dur));
    ic__set_gpu_state(f, r, IC_GPU_PREFILL);
    if (decode_part.seqs > 0) split_power(f, r, &prefill_part, &decode_part, now, dur);
  } else {
    int64_t n = rep->running_len, iters = decode_span_iters(rep), context_sum = rep->context_sum;
    if (held && iters > rep->pool->serving.scheduler_steps) iters = rep->pool->serving.scheduler_steps; /* the next decision */
    const struct ic_perf_decode_line *d = decode_line(rep->pool, n);
    if (iters > IC__LAZY_MIN && lazy_exact(d, context_sum, n, iters)) {
      rep->span_planned = 0; /* none summed yet: span_end_ns = now */
      rep->span_kv_weight_ns = 0.0;
      bound_ns = now + iters * decode_ns(d, context_sum); /* no step is shorter than the first */
    } else {
      dur = decode_steps_ns(d, context_sum, n, iters, &rep->span_kv_weight_ns);
      rep->span_planned = iters;
    }
    rep->span = IC__SPAN_DECODE;
    rep->span_iters = (int32_t)iters;
    if (f->block_src) ic__prefix_trim(f, r, rep->kv_reserved + n * iters); /* what the span ends with */
    if (f->busy_w) { /* the span's middle step: its FLOPs and bytes are affine in the context sum */
      double k = (double)context_sum + (double)n * (double)(iters - 1) / 2.0;
      ic__power_load(f, r, d->flops0 + d->flops1 * k, d->bytes0 + d->bytes1 * k, ic_perf_decode_step_s(d, k));
    }
    ic__set_gpu_state(f, r, IC_GPU_DECODE);
  }
  if (!was_busy) ic__count_busy(f, +1);
  rep->span_start_ns = now;
  rep->span_end_ns = now + dur;
  /* What the span's end reads first: the prefill that ends; or the slots from the first, and the request
   * that completes first. */
  int64_t pos = rep->span == IC__SPAN_MIXED ? rep->first_prefilling : 0;
  uint32_t idx = rep->span == IC__SPAN_MIXED ? rep->running[pos].idx : rep->first_done_idx;
  const struct cont_state *st = state(rep->pool);
  uint64_t arg = span_arg(f, r, st->slab ? rep->running - region_of(st, rep) + pos : pos, idx); /* in the region */
  /* A decode span's end completes: the next slot too, or a scan of every slot (the hint fetches a full batch's
   * worth: only where the batch is at least half full). */
  if (rep->span == IC__SPAN_DECODE && f->replica_count >= IC__HINT_SLOTS_MIN)
    arg = rep->done_ordered || 2 * rep->running_len < st->region / 2 ? span_arg_pair(f, arg) : span_arg_all(f, arg);
  if (rep->span == IC__SPAN_DECODE && rep->span_planned < rep->span_iters) { /* its end is a bound */
    rep->span_event = ic_sim_schedule_bound(f->sim, bound_ns, on_span_end, f, arg);
    ic__check(f, rep->span_event ? IC_OK : IC_ENOMEM, "scheduling an event");
  } else
    rep->span_event = ic__schedule(f, rep->span_end_ns, on_span_end, arg);
}

/* The event queue's refine hook of a span end (ic_sim_set_refine): more
 * of a lazily planned decode span's steps, up to the whole span. */
static bool span_end_refine(void *ctx, uint64_t arg, ic_time_ns *at_ns) {
  ic_fleet *f = ctx;
  struct cont *rep = cont_of(f, span_replica(f, arg));
  if (rep->span_planned >= rep->span_iters) return true; /* not reached: the queue knows it is exact */
  int64_t n = rep->running_len, upto = rep->span_planned ? rep->span_planned * IC__PLAN_GROWTH : IC__PLAN_FIRST;
  const struct ic_perf_decode_line *d = decode_line(rep->pool, n);
  plan_steps(rep, d, upto < rep->span_iters ? upto : rep->span_iters);
  *at_ns = rep->span_end_ns;
  if (rep->span_planned >= rep->span_iters) return true;
  /* Steps do not get shorter (lazy_exact): what is left takes at least its first step's time each. */
  *at_ns += (rep->span_iters - rep->span_planned) * decode_ns(d, rep->context_sum + n * rep->span_planned);
  return false;
}

/* Slot sl's request is done: it leaves the replica (the caller removes
 * the slot). */
static void finish_slot(ic_fleet *f, struct cont *rep, const struct ic__slot *sl) {
  const struct ic__request *pr = &f->pool[sl->idx];
  rep->kv_reserved -= slot_context(rep, sl);
  rep->context_sum -= slot_context(rep, sl);
  rep->decoding--;
  int64_t tokens = pr->req.prompt_tokens + pr->req.output_tokens;
  if (rep->pool->role == IC_ROLE_DECODE) side_of(rep)->kv_committed -= tokens; /* only a decode pool promises */
  int64_t kv_delta = f->block_src ? ic__prefix_release(f, rep->r, sl->idx) : 0; /* no prefix caches without blocks */
  rep->kv_reserved += kv_delta;
  promise(rep, kv_delta - tokens);
  ic__count_running(f, -1);
  ic__request_done(f, rep->r, sl->idx);
}

/* complete_finished where the slots are done_ordered: the finished ones
 * are the first (a prefilling slot is never finished: its prefill's end
 * starts its decoding, or hands it off), so they leave in the scan's
 * order; in the slab the slots' start moves past them (into the region's
 * second half: admit moves them back when they reach its end), so a
 * completion reads the finished slots and the next one, not every running
 * slot. Keeps the slots done_ordered. */
static void complete_oldest(ic_fleet *f, struct cont *rep, struct ic__later *later) {
  int64_t m = 0, decoding = rep->decoding; /* finish_slot counts them down */
  /* The finished slots first, their requests' pool entries on their way (the hint fetched the first one's
   * only): each finish then waits for its own entry no more, where one after another it waited for each. */
  for (; m < decoding && rep->running[m].output_tokens - rep->running[m].generated <= rep->steps; m++)
    for (size_t b = 0; m > 0 && b < sizeof *f->pool; b += 64) __builtin_prefetch((const char *)&f->pool[rep->running[m].idx] + b);
  if (m <= IC__LATER_MAX && f->requests_later) { /* the replica's part now, the requests' after the boundary */
    for (int64_t j = 0; j < m; j++) {
      const struct ic__slot *sl = &rep->running[j];
      rep->kv_reserved -= sl->context + rep->steps; /* decoding: relative */
      rep->context_sum -= sl->context + rep->steps;
      later->idx[j] = sl->idx;
    }
    rep->decoding -= (int32_t)m;
    later->n = (int32_t)m;
  } else {
    firsts_now(f, rep->r, later); /* before a request of one token completes */
    for (int64_t j = 0; j < m; j++) finish_slot(f, rep, &rep->running[j]);
  }
  if (m > 0 && state(rep->pool)->slab) {
    rep->running += m;
    rep->running_cap -= (int32_t)m;
  } else if (m > 0) {
    memmove(rep->running, rep->running + m, (size_t)(rep->running_len - m) * sizeof *rep->running);
  }
  rep->running_len -= (int32_t)m;
  rep->first_prefilling = rep->decoding; /* the decoding slots left come first */
  int64_t first = rep->decoding > 0 ? rep->running[0].output_tokens - rep->running[0].generated : INT64_MAX;
  rep->last_done_ahead = rep->decoding > 0 ? (int32_t)(rep->last_done_ahead - (first - rep->first_done_step)) : 0;
  rep->first_done_step = first;
  rep->first_done_idx = rep->decoding > 0 ? rep->running[0].idx : IC__NONE;
  if (m > 0 && rep->pool->role == IC_ROLE_DECODE) ic__handoff_retry(f); /* room for a waiting transfer */
}

/* finish_slot's request part of the requests complete_oldest left for later, in the slots' order. */
static inline void finish_later(ic_fleet *f, int64_t r, struct ic__later *later) {
  if (later->firsts) firsts_now(f, r, later);
  for (int32_t j = 0; j < later->n; j++) {
    ic__count_running(f, -1);
    ic__request_done(f, r, later->idx[j]);
  }
}

/* complete_finished past its quick test. */
static void __attribute__((noinline)) complete_some(ic_fleet *f, struct cont *rep, struct ic__later *later) {
  if (rep->done_ordered) {
    complete_oldest(f, rep, later);
    return;
  }
  firsts_now(f, rep->r, later); /* before a request of one token completes */
  /* Every running slot's line on its way first (the scan reads and writes them all, and waited for each in
   * turn: a completion with varied output lengths reads up to max_batch slots, of which the hint fetched one). */
  for (const char *p = (const char *)rep->running, *end = (const char *)(rep->running + rep->running_len); p < end; p += 64)
    __builtin_prefetch(p, 1);
  if (rep->running_len > 0) __builtin_prefetch(&rep->running[rep->running_len - 1], 1); /* a last line p stepped over */
  /* One pass: what rescan() finds is found among the slots kept. */
  int64_t kept = 0, first_done = INT64_MAX, first_prefilling = -1, last_done = INT64_MIN;
  bool ordered = true;
  rep->first_done_idx = IC__NONE;
  for (int64_t i = 0; i < rep->running_len; i++) {
    struct ic__slot sl = rep->running[i];
    if (slot_generated(rep, &sl) < sl.output_tokens) {
      if (!sl.decoding && first_prefilling < 0) first_prefilling = kept;
      if (sl.decoding) {
        int64_t done = sl.output_tokens - sl.generated;
        ordered = ordered && first_prefilling < 0 && done >= last_done;
        last_done = done;
        if (done < first_done) {
          first_done = done;
          rep->first_done_idx = sl.idx;
        }
      }
      rep->running[kept++] = sl;
      continue;
    }
    finish_slot(f, rep, &sl);
  }
  bool freed = kept < rep->running_len;
  rep->running_len = (int32_t)kept;
  rep->first_done_step = first_done;
  rep->first_prefilling = (int32_t)(first_prefilling < 0 ? kept : first_prefilling);
  rep->done_ordered = ordered;
  rep->last_done_ahead = ordered && first_done != INT64_MAX ? (int32_t)(last_done - first_done) : 0;
  if (freed && rep->pool->role == IC_ROLE_DECODE) ic__handoff_retry(f); /* room for a waiting transfer */
}

/* Removes finished requests, keeping admission order. Inline: most span
 * ends complete nothing, and know it from the test. */
static inline void complete_finished(ic_fleet *f, struct cont *rep, struct ic__later *later) {
  /* With every slot decoding, none is done before first_done_step. */
  if (rep->decoding == rep->running_len && rep->steps < rep->first_done_step) return;
  complete_some(f, rep, later);
}

/* Adds `iters` iterations (negative: takes them away) of rep's span, as
 * it is now, to the batch and KV histograms. Unsigned counts wrap, so that
 * taking away and adding back again restores them exactly. */
static inline void __attribute__((always_inline)) count_iterations(ic_fleet *f, const struct cont *rep, int64_t iters) {
  uint64_t k = (uint64_t)iters, n = (uint64_t)rep->running_len;
  f->stats.batches += k;
  f->stats.batched_requests += n * k;
  double kv = (double)rep->kv_reserved / (double)rep->pool->kv_capacity;
  size_t bin = (size_t)(kv * IC_KV_HIST_BINS);
  f->stats.batch_hist[n] += k;
  rep->pool->batches += k;
  rep->pool->batched_requests += n * k;
  f->stats.kv_hist[bin < IC_KV_HIST_BINS ? bin : IC_KV_HIST_BINS - 1] += k;
  f->stats.kv_frac_sum += kv * (double)iters;
  if (iters > 0 && kv > f->stats.kv_frac_max) f->stats.kv_frac_max = kv;
}

/* The decode steps of r's open span that ended before the window started
 * are not the window's: its end will add the whole span. */
static void cont_uncount(ic_fleet *f, int64_t r, int64_t iters) { count_iterations(f, cont_of(f, r), -iters); }

/* Before the requests advance: the span as it ran. */
static inline __attribute__((always_inline)) void record_span(ic_fleet *f, struct cont *rep, ic_time_ns dur) {
  uint64_t iters = (uint64_t)rep->span_iters, n = (uint64_t)rep->running_len;
  struct ic_fleet_work *w = &rep->pool->work;
  double dur_s = ic_time_to_s(dur);
  ic__work_time(w, dur_s, (double)n, (double)rep->kv_reserved);
  bool mixed = rep->span == IC__SPAN_MIXED;
  if (mixed) {
    w->flops += rep->span_flops;
    w->bytes += rep->span_bytes;
  } else {
    double flops, bytes;
    decode_steps_cost(decode_line(rep->pool, (int64_t)n), rep->context_sum, (int64_t)n, (int64_t)iters, &flops, &bytes);
    w->flops += flops;
    w->bytes += bytes;
    w->kv_token_s += (double)n * rep->span_kv_weight_ns / 1e9;
    w->output_tokens += (double)(n * iters);
  }
  count_iterations(f, rep, (int64_t)iters);
  f->stats.busy_replica_s += dur_s;
  if (mixed) f->stats.prefill_replica_s += dur_s;
  f->replicas[rep->r].busy_ns += dur;
}

static void on_span_end(ic_sim *sim, void *ctx, uint64_t arg) {
  (void)sim;
  ic_fleet *f = ctx;
  int64_t r = span_replica(f, arg);
  struct cont *rep = cont_of(f, r);
  rep->span_event = 0;
  struct ic__later later;
  later.n = later.firsts = 0; /* the indices: only those counted are read */
  record_span(f, rep, rep->span_end_ns - rep->span_start_ns);
  if (rep->span == IC__SPAN_MIXED) {
    if (f->block_src) { /* without it, no transfers */
      struct cont_side *side = side_of(rep);
      f->stats.prefix_load_replica_s += ic_time_to_s(side->span_load_ns);
      side->prefix_load_ns -= side->span_load_ns;
      side->span_load_ns = 0;
    }
    mixed_apply(f, rep, &later);
  } else {
    int64_t n = rep->running_len, k = rep->span_iters;
    rep->steps += k; /* every slot decodes: k more tokens each */
    rep->context_sum += n * k;
    rep->kv_reserved += n * k;
  }
  complete_finished(f, rep, &later);
  boundary(f, rep, true);
  finish_later(f, r, &later);
}

/* The decode steps of a span of n sequences from context_sum that begin
 * before now (each step whose start *at_ns is before now: *at_ns moves to
 * its end), and in *weight_ns the sum of i x step i's ns over them. Four
 * steps at a time where that is exact (roofline_p = 0, slopes not
 * negative, every step whole and below 2^50, so four of them sum below
 * 2^52, and their weights below 2^53: then the lanes' order of adding
 * gives the step-by-step sum); the last few, and anything else, step by
 * step. */
/* steps_begun's fours: the steps from the first that begin before now; the steps taken. The caller has checked
 * the span's last context sum against its line's walk_k_max: every step lies in [0, 2^50) (walk_limit). */
static inline __attribute__((always_inline)) int64_t begun_fours(const struct ic_perf_decode_line *d, struct ic__four *l,
                                                                 int64_t iters, ic_time_ns now,
                                                                 ic_time_ns *at_ns, bool memory_bound) {
  /* What is left from the four's start to now (not negative: the span began by now), counted down: a four's test
   * is one comparison with it, and the loop's bound is fixed before it. */
  ic_time_ns left = now - *at_ns;
  int64_t k = 0, last = iters - 4;
  for (; k <= last; k += 4) {
    ic__v2d na, nb;
    four_steps(d, l, &na, &nb, memory_bound);
    ic__v2d t2 = na + nb;
    ic_time_ns t = (ic_time_ns)(t2[0] + t2[1]);
    if (t >= left) {
      /* now falls in these four: the steps that begin before it, those whose start's offset from the four's start
       * (0, na[0], na[0] + na[1], that + nb[0]: exact integers) is below left (a prefix of the four), taken
       * without a branch on how many (the count varies from kick to kick). */
      double leftd = (double)left; /* in [0, t): exact */
      ic__v2d pa = {0.0, na[0]}, pb = {na[0] + na[1], na[0] + na[1] + nb[0]};
      ic__v2l ma = pa < leftd, mb = pb < leftd;
      ic__v2d ta = (ic__v2d)((ic__v2l)na & ma), tb = (ic__v2d)((ic__v2l)nb & mb), taken = ta + tb;
      four_take(l, tb, taken);
      ic__v2l c = ma + mb; /* lanes of -1 where taken */
      k -= c[0] + c[1];
      left -= (ic_time_ns)(taken[0] + taken[1]);
      break;
    }
    left -= t;
    four_take(l, nb, t2);
  }
  *at_ns = now - left;
  return k;
}

static int64_t steps_begun(const struct ic__decode_line *dl, int64_t context_sum, int64_t n, int64_t iters,
                           ic_time_ns now, ic_time_ns *at_ns, double *weight_ns) {
  const struct ic_perf_decode_line *d = &dl->line;
  ic_time_ns at = *at_ns;
  int64_t k = 0;
  double weight = 0.0;
  if (iters >= 4) {
    /* The last step's context sum (exact where it is at most walk_k_max, which is below 2^53; above it, it comes
     * out above it too) bounds the span's steps in [0, 2^50) (walk_limit). */
    const double k0 = (double)context_sum, step = (double)n, k_last = k0 + (double)(iters - 1) * step;
    if (k_last <= dl->walk_k_max) {
      bool mb = dl->memory_always || memory_bound(d, k0, k_last);
      struct ic__four l = four_start(k0, step);
      k = mb ? begun_fours(d, &l, iters, now, &at, true) : begun_fours(d, &l, iters, now, &at, false);
      weight = four_weight(&l);
      if (!(weight < 0x1p53)) { /* not provably the step-by-step sum: all step by step */
        at = *at_ns;
        k = 0;
        weight = 0.0;
      }
    }
  }
  for (context_sum += k * n; at < now; k++, context_sum += n) {
    ic_time_ns ns = decode_ns(d, context_sum);
    weight += (double)k * (double)ns;
    at += ns;
  }
  *at_ns = at;
  *weight_ns = weight;
  return k;
}

/* The fleet size from which a cut span's end gets a new argument for its hint (the argument's few loads on
 * top of the move: +0.6 % instructions on the golden 2025 case's 600 replicas, no CPU gain on 60); below it a
 * replica's records stay in cache and the hint has little to hide. */
#define IC__CUT_ARG_MIN 1024

/* A request joined replica r's queue (or the replica woke up). An idle
 * replica starts now; a busy one cuts its span at the first boundary at or
 * after now, where the request can be admitted. */
static void cont_kick(ic_fleet *f, int64_t r, bool was_queue_empty) {
  struct cont *rep = cont_of(f, r);
  if (rep->span == IC__SPAN_NONE) {
    boundary(f, rep, false);
    return;
  }
  /* Requests behind a blocked head, or a full batch, wait for a completion,
   * which ends the span anyway. */
  if (!was_queue_empty || rep->running_len >= batch_cap(rep->pool)) return;
  /* The kick ends by moving or cancelling the span's end: its records' loads (missed on a large fleet) start now,
   * under the walk. */
  ic_sim_prefetch_event(f->sim, rep->span_event);
  ic_time_ns now = ic_sim_now(f->sim), at = rep->span_start_ns;
  int64_t k = 0;
  double weight_ns = 0.0;
  if (rep->span == IC__SPAN_DECODE) {
    int64_t n = rep->running_len;
    k = steps_begun(decode_record(rep->pool, n), rep->context_sum, n, rep->span_iters, now, &at, &weight_ns);
  } else if (at < now)
    return; /* a single iteration: its end is the next boundary */
  int64_t block = rep->pool->serving.scheduler_steps; /* decisions every block steps from the span's start */
  if (block > 1 && k % block) {
    for (int64_t i = k % block; i < block && k < rep->span_iters; i++, k++) {
      ic_time_ns step = decode_ns(decode_line(rep->pool, rep->running_len), rep->context_sum + k * rep->running_len);
      weight_ns += (double)k * (double)step;
      at += step;
    }
  }
  if (k >= rep->span_iters) return;
  if (k == 0) { /* the span starts now: plan it again with the newcomer, and drop the old plan's split */
    ic_sim_cancel(f->sim, rep->span_event);
    if (rep->span == IC__SPAN_MIXED) { /* only a mixed iteration has a split (decode spans: 0) */
      struct cont_side *side = side_of(rep);
      if (side->split_event) ic_sim_cancel(f->sim, side->split_event);
      side->split_event = 0;
    }
    boundary(f, rep, true);
    return;
  }
  rep->span_planned = k;
  rep->span_iters = (int32_t)k;
  rep->span_kv_weight_ns = weight_ns;
  rep->span_end_ns = at;
  if (f->replica_count < IC__CUT_ARG_MIN) {
    rep->span_event = ic_sim_reschedule(f->sim, rep->span_event, at);
    ic__check(f, rep->span_event ? IC_OK : IC_EINTERNAL, "moving a span's end");
    return;
  }
  /* The cut's end completes nothing (k is before the first completion) and admits the newcomer, now the queue
   * head: its hint fetches that request and the line its slot goes to, where the old argument named the first
   * completion's. A move with a new argument: the order of a move. */
  const struct cont_state *st = state(rep->pool);
  int64_t pos = (st->slab ? rep->running - region_of(st, rep) : 0) + rep->running_len;
  rep->span_event = ic_sim_reschedule_arg(f->sim, rep->span_event, at, span_arg(f, r, pos, f->replicas[r].queue_head));
  ic__check(f, rep->span_event ? IC_OK : IC_EINTERNAL, "moving a span's end");
}

static void cont_close(ic_fleet *f, struct ic__pool *pl, ic_time_ns end_ns) {
  for (int64_t r = pl->first_replica; r < pl->first_replica + pl->replica_count; r++) {
    struct cont *rep = cont_of(f, r);
    if (rep->span == IC__SPAN_NONE || rep->span_start_ns >= end_ns) continue;
    if (rep->span == IC__SPAN_DECODE && rep->span_planned < rep->span_iters)
      plan_steps(rep, decode_line(rep->pool, rep->running_len), rep->span_iters); /* its exact end */
    ic_time_ns until = rep->span_end_ns < end_ns ? rep->span_end_ns : end_ns;
    f->stats.busy_replica_s += ic_time_to_s(until - rep->span_start_ns);
    if (rep->span == IC__SPAN_MIXED) f->stats.prefill_replica_s += ic_time_to_s(until - rep->span_start_ns);
    f->replicas[r].busy_ns += until - rep->span_start_ns;
  }
}

/* A mixed iteration's tokens and cost count when it ends; a decode span's
 * by the steps that have ended; time-weighted figures up to now. */
static void cont_open(const ic_fleet *f, int64_t r, ic_time_ns now, struct ic__open *o) {
  const struct cont *rep = cont_of(f, r);
  if (rep->span == IC__SPAN_NONE || rep->span_start_ns >= now) return;
  ic_time_ns el = now - rep->span_start_ns;
  double n = (double)rep->running_len;
  struct ic_fleet_work *w = &o->work;
  o->busy_ns += el;
  ic__work_time(w, ic_time_to_s(el), n, (double)rep->kv_reserved);
  if (rep->span == IC__SPAN_MIXED) {
    o->prefill_ns += el;
    return;
  }
  const struct ic_perf_decode_line *d = &state(rep->pool)->decode_lines[rep->running_len].line; /* made when the span was planned */
  ic_time_ns at = rep->span_start_ns;
  int64_t k = 0, context_sum = rep->context_sum;
  double grown = 0.0; /* sum over ended steps of i x step i's seconds */
  for (; k < rep->span_iters; k++, context_sum += rep->running_len) {
    ic_time_ns step = decode_ns(d, context_sum);
    if (at + step > now) break;
    grown += (double)k * ic_time_to_s(step);
    at += step;
  }
  double flops, bytes;
  decode_steps_cost(d, rep->context_sum, rep->running_len, k, &flops, &bytes);
  w->flops += flops;
  w->bytes += bytes;
  w->output_tokens += n * (double)k;
  w->kv_token_s += n * (grown + (double)k * ic_time_to_s(now - at));
  o->iters += k;
}

/* The central router may hand r a request while its queue and batch
 * together are below max_batch. */
static bool cont_has_room(const ic_fleet *f, int64_t r) {
  return f->replicas[r].queue_len + cont_of(f, r)->running_len < batch_cap(ic__pool_of(f, r));
}

/* Decode pool: room not yet promised, counting every promised request at
 * its whole final context, so a decode replica never has to preempt. */
static int64_t cont_kv_free(const ic_fleet *f, int64_t r) {
  const struct cont *rep = cont_of(f, r);
  return rep->pool->kv_capacity - side_of(rep)->kv_committed;
}

static void cont_kv_promise(ic_fleet *f, int64_t r, int64_t tokens) { side_of(cont_of(f, r))->kv_committed += tokens; }

/* Prefill pool: a handed-off request's KV cache has moved; an idle replica
 * may admit again. */
static void cont_kv_release(ic_fleet *f, int64_t r, int64_t tokens) {
  cont_of(f, r)->kv_reserved -= tokens;
  if (cont_of(f, r)->span == IC__SPAN_NONE) cont_kick(f, r, true); /* an idle replica may admit again (or refill) */
}

/* The decode steps of the open span that have ended by now count (as if
 * the span had been planned that long); the step under way and a mixed
 * iteration under way are lost; every running request is evicted. */
static void cont_interrupt(ic_fleet *f, int64_t r) {
  struct cont *rep = cont_of(f, r);
  bool was_busy = rep->span != IC__SPAN_NONE;
  if (rep->span == IC__SPAN_DECODE) {
    ic_time_ns now = ic_sim_now(f->sim), at = rep->span_start_ns;
    int64_t n = rep->running_len, k = 0, context_sum = rep->context_sum;
    double weight_ns = 0.0;
    const struct ic_perf_decode_line *d = decode_line(rep->pool, n);
    for (ic_time_ns step; k < rep->span_iters && at + (step = decode_ns(d, context_sum)) <= now; k++, context_sum += n) {
      weight_ns += (double)k * (double)step;
      at += step;
    }
    if (k > 0) {
      rep->span_iters = (int32_t)k;
      rep->span_kv_weight_ns = weight_ns;
      record_span(f, rep, at - rep->span_start_ns);
      rep->steps += k;
      rep->context_sum += n * k;
      rep->kv_reserved += n * k;
      struct ic__later later;
      later.n = later.firsts = 0;
      complete_finished(f, rep, &later);
      finish_later(f, r, &later);
    }
  }
  if (rep->span_event) ic_sim_cancel(f->sim, rep->span_event);
  struct cont_side *side = side_of(rep);
  if (side->split_event) ic_sim_cancel(f->sim, side->split_event);
  rep->span_event = side->split_event = 0;
  while (rep->running_len > 0) evict(f, r);
  go_idle(f, r, was_busy);
}

const struct ic__policy ic__continuous_policy = {cont_init,   cont_kick,       cont_has_room,  cont_close,
                                                 cont_open,   cont_uncount,    cont_free,      cont_kv_free,
                                                 cont_kv_promise, cont_kv_release, cont_interrupt,
                                                 cont_prefetch};
