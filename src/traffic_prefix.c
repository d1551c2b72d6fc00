/* traffic_prefix.c: generated traffic whose prompts share prefixes: shared
 * system prompts (N per class, S tokens, Zipf popularity) and multi-turn
 * sessions (each turn's prompt = the previous turn's prompt and output +
 * new user tokens), with every prompt's block hashes in the generator's
 * ring.
 *
 * The arrival process gives the sessions' first turns; later turns wait in
 * a binary heap ordered by (time, order of scheduling), so memory grows
 * with the sessions open at once, not with the requests.
 *
 * Block identity. A block of B tokens is named by what it holds: a complete
 * block inside the system prompt by (class, prompt, index); any other
 * complete block by (session, index), since a session's text only grows and
 * a complete block never changes; the last, partial block by (session,
 * turn, index), since the next turn completes it with other tokens. The
 * chain of these ids (blocks.h) then makes two prompts share exactly the
 * blocks of their common prefix. */
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "infercost/sim.h"
#include "traffic_impl.h"

enum { TAG_SYSTEM = 1, TAG_SESSION, TAG_PARTIAL };

struct turn {
  ic_time_ns time_ns;
  uint64_t seq;      /* tie-break: order of scheduling */
  uint64_t session;
  int class_id;
  uint32_t sys;      /* system prompt 1..N; 0 = none */
  uint32_t turn;     /* this turn, from 1 */
  uint32_t turns;    /* of the session */
  int64_t context;   /* tokens before this turn's new user tokens */
};

struct ic__prefix {
  gsl_rng *pick, *sess;          /* "traffic.prefixes", "traffic.sessions" */
  int64_t systems, system_tokens;
  double zipf_s, turns_mean, think_s;
  int64_t block_tokens;
  size_t max_blocks;             /* identities kept per request (ring / 4) */
  struct turn *heap;
  size_t len, cap;
  uint64_t seq, sessions;
  bool starts_done;
  bool have_start;
  ic_time_ns start_ns;           /* the next session's first turn */
};

/* --- heap of waiting turns ------------------------------------------------------ */

static bool before(const struct turn *a, const struct turn *b) {
  return a->time_ns < b->time_ns || (a->time_ns == b->time_ns && a->seq < b->seq);
}

static bool heap_push(struct ic__prefix *p, struct turn t) {
  if (p->len == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 256;
    struct turn *h = realloc(p->heap, cap * sizeof *h);
    if (!h) return false;
    p->heap = h;
    p->cap = cap;
  }
  t.seq = p->seq++;
  size_t i = p->len++;
  for (; i > 0 && before(&t, &p->heap[(i - 1) / 2]); i = (i - 1) / 2) p->heap[i] = p->heap[(i - 1) / 2];
  p->heap[i] = t;
  return true;
}

static struct turn heap_pop(struct ic__prefix *p) {
  struct turn top = p->heap[0], last = p->heap[--p->len];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= p->len) break;
    if (c + 1 < p->len && before(&p->heap[c + 1], &p->heap[c])) c++;
    if (!before(&p->heap[c], &last)) break;
    p->heap[i] = p->heap[c];
    i = c;
  }
  if (p->len) p->heap[i] = last;
  return top;
}

/* --- blocks --------------------------------------------------------------------- */

static uint64_t content_id(uint64_t tag, uint64_t a, uint64_t b, uint64_t index) {
  return ic_block_chain(ic_block_chain(ic_block_chain(tag, a), b), index);
}

static void push_blocks(struct ic__gen *g, const struct turn *t, int64_t prompt, struct ic_request *out) {
  const struct ic__prefix *p = g->prefix;
  int64_t bt = p->block_tokens, sys_end = t->sys ? p->system_tokens : 0;
  size_t n = (size_t)((prompt + bt - 1) / bt);
  if (n > p->max_blocks) n = p->max_blocks; /* identities of the first blocks only */
  uint64_t h = 0;
  out->block_pos = ic_block_ring_end(g->base.blocks);
  out->block_count = (uint32_t)n;
  for (size_t i = 0; i < n; i++) {
    int64_t end = (int64_t)(i + 1) * bt;
    uint64_t id = end > prompt    ? content_id(TAG_PARTIAL, t->session, t->turn, i)
                  : end <= sys_end ? content_id(TAG_SYSTEM, (uint64_t)t->class_id, t->sys, i)
                                   : content_id(TAG_SESSION, t->session, 0, i);
    ic_block_ring_push(g->base.blocks, h = ic_block_chain(h, id));
  }
}

/* --- the source ------------------------------------------------------------------ */

/* A new session starting at `t_ns`: its class, system prompt and length. */
static struct turn new_session(struct ic__gen *g, ic_time_ns t_ns) {
  struct ic__prefix *p = g->prefix;
  struct turn t = {.time_ns = t_ns, .session = p->sessions++, .turn = 1, .turns = 1};
  t.class_id = ic__gen_class(g);
  if (p->systems > 0) {
    t.sys = (uint32_t)ic_ran_zipf(p->pick, p->zipf_s, (unsigned long)p->systems);
    t.context = p->system_tokens;
  }
  if (p->turns_mean > 1) t.turns = gsl_ran_geometric(p->sess, 1 / p->turns_mean);
  return t;
}

ic_status ic__prefix_next(struct ic__gen *g, struct ic_request *out) {
  struct ic__prefix *p = g->prefix;
  if (!p->have_start && !p->starts_done) {
    if (ic__gen_arrival(g, &p->start_ns) == IC_OK) p->have_start = true;
    else p->starts_done = true;
  }
  struct turn t;
  if (p->len && (!p->have_start || p->heap[0].time_ns <= p->start_ns)) {
    t = heap_pop(p);
  } else if (p->have_start) {
    t = new_session(g, p->start_ns);
    p->have_start = false;
  } else {
    return IC_ENOENT;
  }
  int c = t.class_id;
  int64_t user, o;
  ic__gen_lengths(g, c, &user, &o);
  int64_t one = 1;
  ic__clamp_lengths(&user, &one, g->prompt[c].lo, g->prompt[c].hi, 1, 1, 0); /* bounds of the draw */
  int64_t prompt = t.context + user;
  /* the context limit is ic_source_next's: a session that outgrows it has
   * its later turns clamped or rejected there, and counted */
  ic__clamp_lengths(&prompt, &o, 1, INT64_MAX, g->output[c].lo, g->output[c].hi, 0);
  *out = (struct ic_request){.id = g->next_id++, .arrival_ns = t.time_ns, .prompt_tokens = prompt,
                             .output_tokens = o, .class_id = c};
  push_blocks(g, &t, prompt, out);
  if (t.turn < t.turns) {
    struct turn next = t;
    next.turn++;
    next.context = prompt + o;
    next.time_ns = t.time_ns + ic_time_from_s(p->think_s > 0 ? gsl_ran_exponential(p->sess, p->think_s) : 0);
    if (next.time_ns < g->end_ns && !heap_push(p, next)) return IC_ENOMEM;
  }
  return IC_OK;
}

ic_status ic__prefix_open(struct ic__gen *g, const struct ic_traffic_config *c, ic_sim *sim) {
  if (c->system_prompts <= 0 && c->session_turns <= 1) return IC_OK;
  struct ic__prefix *p = calloc(1, sizeof *p);
  if (!p) return IC_ENOMEM;
  g->prefix = p;
  p->systems = c->system_prompts;
  p->system_tokens = c->system_prompt_tokens;
  p->zipf_s = c->system_prompt_zipf_s;
  p->turns_mean = c->session_turns;
  p->think_s = c->session_think_s;
  p->block_tokens = c->trace_block_tokens;
  p->pick = ic_sim_rng(sim, "traffic.prefixes");
  p->sess = ic_sim_rng(sim, "traffic.sessions");
  if (!p->pick || !p->sess || !(g->base.blocks = ic_block_ring_alloc(IC_BLOCK_RING_DEFAULT, p->block_tokens)))
    return IC_ENOMEM;
  p->max_blocks = ic_block_ring_capacity(g->base.blocks) / 4;
  /* queries_per_day counts requests: sessions start at 1 / turns of it */
  g->mean_gap_s *= p->turns_mean;
  return IC_OK;
}

void ic__prefix_free(struct ic__prefix *p) {
  if (!p) return;
  free(p->heap);
  free(p);
}
