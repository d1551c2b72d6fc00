/* traffic_replay.c: trace replay as a source: start point, speed-up and
 * loops; a k-fold rate from time-shifted or thinned copies of the trace;
 * classes named by the trace; rows with zero output tokens; and the
 * prompts' block hashes, handed over through the source's ring.
 *
 * Each copy streams the trace through its own reader and holds one pending
 * row; the next request is the earliest pending row (ties: lowest copy), so
 * memory is one reader per copy whatever the trace's length. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "infercost/sim.h"
#include "infercost/trace.h"
#include "infercost/traffic.h"
#include "traffic_impl.h"

#define MAX_COPIES 64 /* traffic.trace_rate_scale <= 64 */

struct copy {
  ic_trace *t;
  uint64_t loop_index;
  bool row_this_loop;
  double shift_s;       /* added to this copy's arrival times, s */
  double keep;          /* share of rows kept (thinning); 1 = all */
  bool pending, done;
  struct ic_trace_record rec; /* the pending row; its pointers live until t's next row */
  double time_s;        /* simulated arrival of rec, s */
  ic_time_ns time_ns;   /* the same in ns */
};

struct replay {
  ic_source base;
  char path[IC_KEY_TEXT_MAX];
  struct ic_trace_options opt;
  ic_time_ns start_ns;      /* trace time where replay starts */
  ic_time_ns period_ns;     /* trace time of one loop */
  double speedup;
  bool loop, drop_zero;
  ic_time_ns end_ns;
  uint64_t next_id;
  int64_t ctx;
  struct ic_traffic_config lim; /* bounds of lengths */
  gsl_rng *cls, *thin;
  gsl_ran_discrete_t *class_table;
  struct ic_traffic_class classes[IC_TRAFFIC_MAX_CLASSES];
  size_t nclass;
  size_t ncopies;
  struct copy copy[MAX_COPIES];
  /* The checking pass: every row of the trace is checked once, by the pass
   * that also replays it (copy 0's first loop), or by a survey before the
   * run when traffic.trace_match_volume needs the row count up front. */
  bool checked;             /* the checking pass reached the end: hash, counts and period known */
  bool refuse_long;         /* traffic.over_context = error: a too long row is an error */
  uint64_t kept, dropped;   /* rows replayed by one loop; rows dropped for 0 output tokens */
  ic_time_ns first, last;   /* trace times of the first and last rows kept */
  long first_line;
};

/* The index of the class the row names, or -1 (reported). */
static int class_of(const struct replay *r, const struct ic_trace_record *rec) {
  for (size_t i = 0; i < r->nclass; i++)
    if (strcmp(r->classes[i].name, rec->class_name) == 0) return (int)i;
  char names[IC_TRAFFIC_MAX_CLASSES * 33] = "";
  for (size_t i = 0, used = 0; i < r->nclass && used < sizeof names; i++) {
    int w = snprintf(names + used, sizeof names - used, "%s%s", i ? "|" : "", r->classes[i].name);
    if (w < 0) break;
    used += (size_t)w;
  }
  ic_diag(r->path, rec->line, "%s: class '%s' is not one of traffic.class_names (%s)", r->opt.class_column,
          rec->class_name, names);
  return -1;
}

/* Whether a row takes part in the replay at all (start point, zero output). */
static bool wanted(const struct replay *r, const struct ic_trace_record *rec) {
  return rec->time_ns >= r->start_ns && !(r->drop_zero && rec->output_tokens == 0);
}

/* The checking pass's look at one row: its class, and with over_context =
 * error its length; counts what looping and rescaling need. */
static ic_status check_row(struct replay *r, const struct ic_trace_record *rec) {
  if (rec->class_name && class_of(r, rec) < 0) return IC_EINVAL;
  if (!wanted(r, rec)) {
    r->dropped += rec->time_ns >= r->start_ns;
    return IC_OK;
  }
  int64_t p = rec->prompt_tokens, o = rec->output_tokens; /* as replay_next bounds them */
  ic__clamp_lengths(&p, &o, r->lim.prompt_tokens_min, r->lim.prompt_tokens_max, r->lim.output_tokens_min,
                    r->lim.output_tokens_max, 0);
  if (r->refuse_long && p + o > r->ctx) {
    ic_diag(r->path, rec->line, "%lld prompt + %lld output tokens exceed the model's context of %lld "
            "(model.context_max; traffic.over_context = error: clamp or reject count such rows instead)",
            (long long)p, (long long)o, (long long)r->ctx);
    return IC_EINVAL;
  }
  if (r->kept++ == 0) {
    r->first = rec->time_ns;
    r->first_line = rec->line;
  }
  r->last = rec->time_ns;
  return IC_OK;
}

/* The checking pass reached the trace's end (t): the content hash for the
 * digest, the notes, and one loop's length: from the start point to the
 * last row, plus one mean gap so that the next loop's first row does not
 * land on the last one. */
static void finish_check(struct replay *r, const ic_trace *t) {
  r->checked = true;
  r->base.input_hash = ic_trace_content_hash(t);
  if (ic_trace_skipped_rows(t))
    ic_diag(r->path, 0, "note: skipped %llu bad rows (first at %s)", (unsigned long long)ic_trace_skipped_rows(t),
            ic_trace_first_skip_reason(t));
  if (r->dropped)
    ic_diag(r->path, 0, "note: dropped %llu rows with 0 output tokens (traffic.trace_zero_output = drop)",
            (unsigned long long)r->dropped);
  double mean_gap_s = r->kept > 1 ? ic_time_to_s(r->last - r->first) / (double)(r->kept - 1) : 1.0;
  if (!(mean_gap_s > 0)) mean_gap_s = 1.0;
  r->period_ns = r->last - r->start_ns + ic_time_from_s(mean_gap_s);
}

/* Makes copy c's next row pending, or marks it done. IC_OK or an error. */
static ic_status advance(struct replay *r, struct copy *c) {
  ic_status st;
  while (!c->pending && !c->done) {
    bool checking = !r->checked && c == &r->copy[0] && c->loop_index == 0;
    st = ic_trace_next(c->t, &c->rec);
    if (st == IC_OK && checking && (st = check_row(r, &c->rec)) != IC_OK) return st;
    if (st == IC_ENOENT && checking) finish_check(r, c->t);
    else if (st == IC_ENOENT && ic_trace_content_hash(c->t) != r->base.input_hash) {
      /* the digest holds the survey's hash: each copy and loop must have read the same bytes */
      ic_diag(r->path, 0, "the trace changed while the run read it (its content hash differs from the checking "
              "pass's); replay a file that nothing writes to");
      return IC_EINVAL;
    }
    if (st == IC_ENOENT) {
      if (!r->loop || !c->row_this_loop) {
        c->done = true;
        break;
      }
      ic_trace_free(c->t);
      if (!(c->t = ic_trace_open(r->path, &r->opt, &st))) return st;
      c->loop_index++;
      c->row_this_loop = false;
      continue;
    }
    if (st != IC_OK) return st;
    if (!wanted(r, &c->rec)) continue;
    c->row_this_loop = true;
    if (c->keep < 1 && gsl_rng_uniform(r->thin) >= c->keep) continue;
    double trace_s = ic_time_to_s(c->rec.time_ns - r->start_ns);
    if (c->loop_index) trace_s += (double)c->loop_index * ic_time_to_s(r->period_ns); /* (+ 0.0 changes nothing) */
    c->time_s = trace_s / r->speedup + c->shift_s;
    c->time_ns = ic_time_from_s(c->time_s);
    if (c->time_ns >= r->end_ns) c->done = true; /* rows are in time order */
    else c->pending = true;
  }
  return IC_OK;
}

/* Chained hashes of the row's blocks into the ring; each loop and copy is
 * salted as new content, so replaying the trace again does not hit on
 * itself. */
static void push_blocks(struct replay *r, const struct copy *c, size_t ci, int64_t prompt, struct ic_request *out) {
  int64_t bt = ic_block_ring_block_tokens(r->base.blocks);
  size_t n = c->rec.block_count, fit = (size_t)((prompt + bt - 1) / bt);
  if (n > fit) n = fit; /* the prompt was cut to the context */
  uint64_t h = c->loop_index * MAX_COPIES + ci;
  out->block_pos = ic_block_ring_end(r->base.blocks);
  out->block_count = (uint32_t)n;
  for (size_t i = 0; i < n; i++) ic_block_ring_push(r->base.blocks, h = ic_block_chain(h, c->rec.block_ids[i]));
}

static ic_status replay_next(ic_source *src, struct ic_request *out) {
  struct replay *r = (struct replay *)src;
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < r->ncopies; i++) {
    struct copy *c = &r->copy[i];
    ic_status st = advance(r, c);
    if (st != IC_OK) return st;
    if (c->pending && (best == SIZE_MAX || c->time_s < r->copy[best].time_s)) best = i;
  }
  if (best == SIZE_MAX) return IC_ENOENT;
  struct copy *c = &r->copy[best];
  c->pending = false;
  int64_t p = c->rec.prompt_tokens, o = c->rec.output_tokens;
  ic__clamp_lengths(&p, &o, r->lim.prompt_tokens_min, r->lim.prompt_tokens_max, r->lim.output_tokens_min,
                    r->lim.output_tokens_max, 0); /* the context limit is ic_source_next's */
  int cls = 0;
  if (c->rec.class_name) {
    if ((cls = class_of(r, &c->rec)) < 0) return IC_EINVAL;
  } else if (r->class_table) {
    cls = (int)gsl_ran_discrete(r->cls, r->class_table);
  }
  *out = (struct ic_request){.id = r->next_id++, .arrival_ns = c->time_ns, .prompt_tokens = p,
                             .output_tokens = o, .class_id = cls};
  if (c->rec.block_count && !r->base.blocks &&
      !(r->base.blocks = ic_block_ring_alloc(IC_BLOCK_RING_DEFAULT, r->opt.block_tokens > 0 ? r->opt.block_tokens
                                                                                            : IC_BLOCK_TOKENS_DEFAULT)))
    return IC_ENOMEM; /* made at the first row that names blocks */
  if (c->rec.block_count) push_blocks(r, c, best, p, out);
  return IC_OK;
}

/* The run is over: the checking pass reads on to the trace's end, so that
 * every row is checked and the digest hashes the whole trace, as when the
 * run replays all of it. */
static ic_status replay_finish(ic_source *src) {
  struct replay *r = (struct replay *)src;
  struct copy *c = &r->copy[0];
  ic_status st = IC_OK;
  while (!r->checked && (st = ic_trace_next(c->t, &c->rec)) == IC_OK)
    if ((st = check_row(r, &c->rec)) != IC_OK) return st;
  if (!r->checked && st == IC_ENOENT) finish_check(r, c->t);
  return r->checked ? IC_OK : st;
}

static void replay_free(ic_source *src) {
  struct replay *r = (struct replay *)src;
  for (size_t i = 0; i < r->ncopies; i++) ic_trace_free(r->copy[i].t);
  gsl_ran_discrete_free(r->class_table);
  ic_block_ring_free(r->base.blocks);
  free(r);
}

static const struct ic_source_ops replay_ops = {"trace-replay", replay_next, replay_free, replay_finish};

/* traffic.trace_match_volume needs the row count before the first
 * arrival: the checking pass runs through the whole trace first. */
static ic_status survey(struct replay *r) {
  ic_status st;
  ic_trace *t = ic_trace_open(r->path, &r->opt, &st);
  if (!t) return st;
  struct ic_trace_record rec;
  while ((st = ic_trace_next(t, &rec)) == IC_OK)
    if ((st = check_row(r, &rec)) != IC_OK) break;
  if (st == IC_ENOENT) finish_check(r, t);
  ic_trace_free(t);
  return st == IC_ENOENT ? IC_OK : st;
}

/* Copies for traffic.trace_rate_scale = k: floor(k) whole ones, and one
 * thinned to the fraction left; copy j of n is shifted by j/n of the
 * spread. */
static void plan_copies(struct replay *r, double k, double spread_s) {
  double whole = floor(k), frac = k - whole;
  r->ncopies = (size_t)whole + (frac > 1e-12);
  for (size_t j = 0; j < r->ncopies; j++) {
    r->copy[j].keep = j < (size_t)whole ? 1 : frac;
    r->copy[j].shift_s = spread_s * (double)j / (double)r->ncopies;
  }
}

ic_status ic__open_replay(const struct ic_traffic_config *c, ic_sim *sim, ic_time_ns end_ns, int64_t ctx,
                          const struct ic_traffic_class *cls, size_t nclass, ic_source **out) {
  struct replay *r = calloc(1, sizeof *r);
  if (!r) return IC_ENOMEM;
  r->base.ops = &replay_ops;
  snprintf(r->path, sizeof r->path, "%s", c->trace_path);
  ic__trace_options(c, &r->opt);
  r->start_ns = ic_time_from_s(c->trace_start_s);
  r->speedup = c->trace_speedup;
  r->loop = c->trace_loop;
  r->drop_zero = c->trace_zero_output == IC_ZERO_OUTPUT_DROP;
  r->end_ns = end_ns;
  r->ctx = ctx;
  r->lim = *c;
  r->nclass = nclass;
  memcpy(r->classes, cls, nclass * sizeof *cls);
  r->refuse_long = c->over_context == IC_OVER_CONTEXT_ERROR && ctx > 0;
  ic_status st = IC_OK;
  if (c->trace_match_volume) {
    if ((st = survey(r)) != IC_OK) goto fail;
    if (r->kept > 0) r->speedup = (c->queries_per_day / 86400.0) / ((double)r->kept / ic_time_to_s(r->period_ns));
  }
  st = IC_ENOMEM;
  if (nclass > 1) {
    double share[IC_TRAFFIC_MAX_CLASSES];
    for (size_t i = 0; i < nclass; i++) share[i] = cls[i].share;
    if (!(r->cls = ic_sim_rng(sim, "traffic.classes")) || !(r->class_table = gsl_ran_discrete_preproc(nclass, share)))
      goto fail;
  }
  plan_copies(r, c->trace_rate_scale, c->trace_rate_scale_shift_s);
  if (r->copy[r->ncopies - 1].keep < 1 && !(r->thin = ic_sim_rng(sim, "traffic.trace_thin"))) goto fail;
  for (size_t j = 0; j < r->ncopies; j++)
    if (!(r->copy[j].t = ic_trace_open(r->path, &r->opt, &st))) goto fail;
  /* The first row, read by the pass that replays it, decides whether
   * anything arrives at all. */
  if ((st = advance(r, &r->copy[0])) != IC_OK) goto fail;
  if (r->kept == 0) {
    ic_diag(r->path, 0, "no rows at or after traffic.trace_start_s = %g s", c->trace_start_s);
    st = IC_EINVAL;
    goto fail;
  }
  /* Relative times are kept as they are: a trace cut from day 225 of a
   * longer one starts 225 days in, and would replay nothing. Copy 0 is not
   * shifted, so its first row is the earliest of all copies. */
  double first_at_s = ic_time_to_s(r->first - r->start_ns) / r->speedup;
  if (ic_time_from_s(first_at_s) >= end_ns) {
    ic_diag(r->path, r->first_line, "the first row replayed arrives at %.9g s (trace time %.9g s), after the run ends "
            "at %.9g s (run.warmup_s + run.duration_s): nothing would arrive. Set traffic.trace_start_s = %.9g to "
            "replay from this row (see docs/formats/trace.md)", first_at_s, ic_time_to_s(r->first),
            ic_time_to_s(end_ns), ic_time_to_s(r->first));
    st = IC_EINVAL;
    goto fail;
  }
  *out = &r->base;
  return IC_OK;
fail:
  replay_free(&r->base);
  return st;
}
