/* serve_core.c: the bottom of the serving files: the request pool and the
 * per-replica queues, the latency record, the failure status, and the
 * listeners that follow state changes (power accounting, the time series)
 * instead of being called from inside the batching code.
 *
 * Requests live in a pool and are chained into queues by index, so memory
 * follows the number of requests in flight, not the number simulated. */
#define _GNU_SOURCE /* madvise, MADV_HUGEPAGE, mremap */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "serve_impl.h"

/* Records the first failure inside the fleet (a failed event schedule, a
 * failed sketch or series update) and stops the run: a dropped failure
 * could leave a replica stalled for ever or a figure short. The caller sees
 * it in ic_fleet_status and in the next ic_fleet_submit. */
bool ic__fail(ic_fleet *f, ic_status st, const char *what) {
  if (f->status == IC_OK) {
    ic_diag(NULL, 0, "serving: %s failed at %.9f s: %s; stopping the run", what, ic_time_to_s(ic_sim_now(f->sim)),
            ic_strerror(st));
    f->status = st == IC_ENOMEM ? IC_ENOMEM : IC_EINTERNAL;
  }
  ic_sim_stop(f->sim);
  return false;
}

void ic__notify(ic_fleet *f, enum ic_serve_event_kind kind, int64_t r, int64_t size, uint64_t id) {
  if (!f->observer) return;
  struct ic_serve_event ev = {kind, ic_sim_now(f->sim), r, size, id};
  f->observer(f->observer_ctx, &ev);
}

/* A GPU-state change goes straight to its one listener when only one
 * hears it (the list's order is then moot). Where the first that hears it
 * is the power ledger's (ic__power_first), the change moves that ledger
 * directly and the others, if any, hear it after, from gpu_after on: each
 * listener hears the changes it heard before, in the same order. */
static void find_listeners(ic_fleet *f) {
  int hearing = 0, first = -1; /* of GPU states */
  for (int k = 0; k <= IC__LOAD; k++) { /* each kind's one listener */
    int n = 0;
    for (int i = 0; i < f->listeners; i++)
      if (f->listener_mask[i] & IC__KIND(k)) {
        if (n++ == 0 && k == IC__GPU_STATE) first = i;
        f->kind_listener[k] = f->listener[i];
        f->kind_listener_ctx[k] = f->listener_ctx[i];
      }
    if (n != 1) f->kind_listener[k] = NULL;
    if (k == IC__GPU_STATE) hearing = n;
  }
  const struct ic__pool *pl = &f->pools[0];
  bool direct = first >= 0 && ic__power_first(f, f->listener[first]);
  f->gpu_ledger = direct ? pl->ledger : NULL;
  f->gpu_ledger_gpus = direct ? pl->gpus_per_replica : 0;
  f->gpu_after = direct && hearing > 1 ? first + 1 : 0;
  f->gpu_tell = direct ? f->gpu_after > 0 : hearing > 0;
}

/* Listeners hear the kinds of change they asked for (a mask of IC__KIND
 * bits), in the order they registered. */
void ic__listen(ic_fleet *f, ic__listener_fn *fn, void *ctx, uint32_t kinds) {
  if (f->listeners == IC__LISTENERS) {
    ic__check(f, IC_EINTERNAL, "registering a listener");
    return;
  }
  f->listener[f->listeners] = fn;
  f->listener_ctx[f->listeners] = ctx;
  f->listener_mask[f->listeners++] = kinds;
  f->listen_mask |= kinds;
  find_listeners(f);
  ic__later_update(f);
}

/* A span end of continuous batching may leave its requests' records (first
 * tokens, completions) for after its boundary where nothing between reads
 * or tells them: no observer, no listener of a request's load, end or
 * running count (power-down, autoscaling, the series), no heap router or
 * central queue (they read the load), no prefix cache, every pool mixed
 * (no hand-offs or promises) and none with reserve admission. */
void ic__later_update(ic_fleet *f) {
  bool ok = !f->observer && !(f->listen_mask & (IC__KIND(IC__LOAD) | IC__KIND(IC__COMPLETION) | IC__KIND(IC__RUNNING))) &&
            !f->use_heap && f->serving.router != IC_ROUTER_CENTRAL && !f->block_src;
  for (int32_t i = 0; ok && i < f->pool_count; i++)
    ok = f->pools[i].role == IC_ROLE_MIXED && f->pools[i].serving.admission != IC_ADMISSION_RESERVE;
  f->requests_later = ok;
}

/* Widens what a registered listener hears. */
void ic__listen_more(ic_fleet *f, ic__listener_fn *fn, uint32_t kinds) {
  for (int i = 0; i < f->listeners; i++)
    if (f->listener[i] == fn) f->listener_mask[i] |= kinds;
  f->listen_mask |= kinds;
  find_listeners(f);
  ic__later_update(f);
}

static void emit(ic_fleet *f, const struct ic__change *ch) {
  uint32_t bit = IC__KIND(ch->kind);
  for (int i = 0; i < f->listeners; i++)
    if (f->listener_mask[i] & bit) f->listener[i](f, f->listener_ctx[i], ch);
}

/* With one listener of the kind (most: the series alone), that one without the loop. */
void ic__emit_heard(ic_fleet *f, enum ic__change_kind kind, int64_t replica, int64_t node, double value) {
  struct ic__change ch = {kind, replica, node, IC_GPU_IDLE, IC_GPU_IDLE, value};
  if (f->kind_listener[kind])
    f->kind_listener[kind](f, f->kind_listener_ctx[kind], &ch);
  else
    emit(f, &ch);
}

/* A GPU-state change to its listeners, out of line: most runs move the
 * ledger directly and tell nobody else (ic__gpu_state_changed); with the
 * series kept, it hears the change after the ledger moved (gpu_after). */
static void __attribute__((noinline)) gpu_state_heard(ic_fleet *f, int64_t r, int64_t node, enum ic_gpu_state from,
                                                      enum ic_gpu_state to) {
  struct ic__change ch = {IC__GPU_STATE, r, node, from, to, 0.0};
  if (f->kind_listener[IC__GPU_STATE] && !f->gpu_ledger) {
    f->kind_listener[IC__GPU_STATE](f, f->kind_listener_ctx[IC__GPU_STATE], &ch);
    return;
  }
  for (int i = f->gpu_ledger ? f->gpu_after : 0; i < f->listeners; i++)
    if (f->listener_mask[i] & IC__KIND(IC__GPU_STATE)) f->listener[i](f, f->listener_ctx[i], &ch);
}

/* ic__set_gpu_state's change (its caller has tested that it is one). The
 * power ledger first to hear it (find_listeners): what its listener
 * would do, without the change's record or the listener's tests. */
void ic__gpu_state_changed(ic_fleet *f, int64_t r, enum ic_gpu_state to) {
  struct ic__replica *rep = &f->replicas[r];
  enum ic_gpu_state from = rep->gpu_state;
  rep->gpu_state = to;
  if (f->gpu_ledger) ic_ledger_set_state(f->gpu_ledger, rep->node, f->gpu_ledger_gpus, from, to, ic_sim_now(f->sim));
  if (f->gpu_tell) gpu_state_heard(f, r, rep->node, from, to);
}

void ic__queue_push(ic_fleet *f, int64_t r, uint32_t idx, bool front) {
  struct ic__replica *rep = &f->replicas[r];
  if (front) {
    f->pool[idx].next = rep->queue_head;
    rep->queue_head = idx;
    if (rep->queue_tail == IC__NONE) rep->queue_tail = idx;
    rep->queue_len++;
    ic__count_queued(f, +1);
  } else {
    ic__queue_push_back(f, r, idx);
  }
}

uint32_t ic__queue_pop(ic_fleet *f, int64_t r) {
  struct ic__replica *rep = &f->replicas[r];
  uint32_t idx = rep->queue_head;
  rep->queue_head = f->pool[idx].next;
  if (rep->queue_head == IC__NONE) rep->queue_tail = IC__NONE;
  rep->queue_len--;
  f->pool[idx].next = IC__NONE;
  ic__count_queued(f, -1);
  return idx;
}

/* Replica r's pool without its record (a dependent load) where there is one pool. */
static inline struct ic__pool *pool_of(ic_fleet *f, int64_t r) {
  return f->pool_count == 1 ? &f->pools[0] : ic__pool_of(f, r);
}

/* A latency to the fleet's sketch and its class's, which with one class
 * are the same sketch (share_class_sketches in serve.c): added once. */
static ic_status add_latency(ic_sketch *fleet, ic_sketch *cls, double x) {
  return fleet == cls ? ic_sketch_add(fleet, x) : ic_sketch_add2(fleet, cls, x);
}

/* Request idx admitted on replica r: its first admission is the fleet's
 * queueing delay and its pool's; a decode pool's admission (the only one
 * there: decode pools never evict) is the decode pool's, from the
 * transfer's end. */
void ic__admitted(ic_fleet *f, int64_t r, uint32_t idx) {
  struct ic__request *pr = &f->pool[idx];
  ic_time_ns now = ic_sim_now(f->sim);
  if (pr->flags & IC__REQ_ADMITTED) { /* admitted before: a re-admission, or a decode pool's admission */
    struct ic__pool *pl = ic__pool_of(f, r);
    if (pl->role == IC_ROLE_DECODE)
      ic__check(f, ic_sketch_add(pl->wait_s, ic_time_to_s(now - f->pool_more[idx].prefilled_ns)), "a queueing-delay sketch update");
    return;
  }
  pr->flags |= IC__REQ_ADMITTED;
  double wait = ic_time_to_s(now - pr->req.arrival_ns);
  ic__check(f, add_latency(f->stats.wait_s, f->stats.classes[pr->req.class_id].wait_s, wait), "a queueing-delay sketch update");
  if (f->pool_count > 1) /* one pool's is the fleet's (ic_fleet_pool_figures) */
    ic__check(f, ic_sketch_add(ic__pool_of(f, r)->wait_s, wait), "a queueing-delay sketch update");
}

void ic__first_token(ic_fleet *f, int64_t r, uint32_t idx) {
  struct ic__request *pr = &f->pool[idx];
  if (pr->first_token_ns >= 0) return;
  pr->first_token_ns = ic_sim_now(f->sim);
  pool_of(f, r)->work.prompt_tokens += (double)pr->req.prompt_tokens;
  double ttft = ic_time_to_s(pr->first_token_ns - pr->req.arrival_ns);
  ic__check(f, add_latency(f->stats.ttft_s, f->stats.classes[pr->req.class_id].ttft_s, ttft), "a TTFT sketch update");
}

void ic__in_system(ic_fleet *f, int64_t delta) {
  f->in_flight = (uint64_t)((int64_t)f->in_flight + delta);
  ic_time_avg_set(&f->stats.in_system, ic_sim_now(f->sim), (double)f->in_flight);
}

/* Records request idx's latencies and frees it (its load is the router's).
 * A missing target counts as met. */
void ic__finish(ic_fleet *f, int64_t r, uint32_t idx) {
  struct ic__request *pr = &f->pool[idx];
  ic_time_ns now = ic_sim_now(f->sim);
  struct ic_class_stats *cls = &f->stats.classes[pr->req.class_id];
  double e2e = ic_time_to_s(now - pr->req.arrival_ns), ttft = ic_time_to_s(pr->first_token_ns - pr->req.arrival_ns);
  ic__check(f, add_latency(f->stats.e2e_s, cls->e2e_s, e2e), "an end-to-end sketch update");
  double tpot = 0.0;
  if (pr->req.output_tokens > 1) {
    tpot = (e2e - ttft) / (double)(pr->req.output_tokens - 1);
    ic__check(f, add_latency(f->stats.tpot_s, cls->tpot_s, tpot), "a TPOT sketch update");
  }
  bool ok = !(ttft > cls->ttft_target_s) && !(tpot > cls->tpot_target_s) && !(e2e > cls->e2e_target_s);
  cls->completed++;
  if (ok) cls->slo_met++;
  cls->prompt_tokens_done += pr->req.prompt_tokens;
  /* Only a prefix cache sets cached_tokens (serve_prefix.c), in the entry's second record. */
  if (pr->flags & IC__REQ_MORE) cls->cached_tokens_done += f->pool_more[idx].cached_tokens;
  cls->output_tokens_done += pr->req.output_tokens;
  f->stats.completed++;
  pool_of(f, r)->completed++;
  f->stats.prompt_tokens_done += pr->req.prompt_tokens;
  f->stats.output_tokens_done += pr->req.output_tokens;
  ic__notify(f, IC_SERVE_REQUEST_DONE, r, 1, pr->req.id);
  ic__emit(f, IC__COMPLETION, r, -1, 1.0);
  ic__in_system(f, -1);
  pr->next = f->pool_free;
  f->pool_free = idx;
}

/* Asks for 2 MiB pages (transparent huge pages, where the system leaves it
 * to a program: madvise mode) over the whole 2 MiB extents of a large
 * block. A large fleet's running slots are tens of MB read at random, a
 * line a replica each event: with 4 KiB pages almost every first touch was
 * also a page walk (a TLB reach of a few MB). Advice only: refused or
 * without THP nothing changes but the speed. Not for a block that realloc
 * grows (the request pool): the advice splits its mapping in three, which
 * mremap cannot move, so realloc would copy it at every doubling. */
void ic__advise_huge(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + bytes) & ~(huge - 1);
  if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

/* The pool's entries in a mapping of their own, advised to 2 MiB pages as
 * a whole (not split by the advice, as realloc's block would be), so that
 * mremap moves it, its pages and its advice, without copying them as it
 * doubles. A large fleet's entries are tens of MB read at random (a
 * completion's is a first touch): with 4 KiB pages most of those reads
 * were page walks too. The second records (pool_more, which most runs
 * never touch) have a mapping of their own too, without the advice: a
 * doubling neither copies nor touches them (realloc, once the C library
 * keeps a large block on its heap, copied every one of them). Elsewhere
 * pool_realloc; a mapping is page aligned. AddressSanitizer builds keep
 * the heap block, whose ends it guards. */
#if defined(MREMAP_MAYMOVE) && defined(MADV_HUGEPAGE) && !defined(__SANITIZE_ADDRESS__)
/* The first mapping: 2 MiB of entries, which a system that aligns such a mapping to its 2 MiB pages (Linux
 * does) faults in at once as one such page, where 1,024 entries grown by doubling took 512 faults of 4 KiB
 * (a mapping that grows into a 2 MiB extent whose first part has small pages keeps them); its pages are
 * touched only as arrivals reach them (ic__take_fresh). */
#define IC__POOL_FIRST ((2u << 20) / sizeof(struct ic__request))
static void *pool_entries_grow(void *pool, size_t used_bytes, size_t bytes, bool huge) {
  void *p = pool ? mremap(pool, used_bytes, bytes, MREMAP_MAYMOVE)
                 : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  if (huge) (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: refused, nothing changes but the speed */
  return p;
}
static void pool_entries_free(void *pool, size_t bytes) { (void)munmap(pool, bytes); }
/* Back to used_bytes after a grow (in place: a shrink does not move). */
static void *pool_entries_undo(void *pool, size_t used_bytes, size_t bytes) {
  if (!used_bytes) {
    pool_entries_free(pool, bytes);
    return NULL;
  }
  void *p = mremap(pool, bytes, used_bytes, 0);
  return p == MAP_FAILED ? pool : p;
}
#else
/* Without mremap: the pool's arrays are 64-byte aligned, so that an entry
 * (64 bytes) is one cache line, not two: a first touch on a large fleet,
 * with thousands of requests in flight. An array grows with realloc
 * (which moves a large block's pages without copying them) from a block
 * 64 bytes larger, the array at its first 64-byte boundary past the
 * block's start and the block's address just before it. */
#define IC__POOL_FIRST 1024u
static void *pool_realloc(void *pool, size_t used_bytes, size_t bytes) {
  char *old_block = pool ? ((char **)pool)[-1] : NULL;
  size_t old_pad = pool ? (size_t)((char *)pool - old_block) : 0;
  char *block = realloc(old_block, bytes + 64);
  if (!block) return NULL;
  size_t pad = 64 - (uintptr_t)block % 64; /* 16 to 64: malloc aligns to 16, room for the address */
  if (pool && pad != old_pad) memmove(block + pad, block + old_pad, used_bytes);
  ((char **)(block + pad))[-1] = block;
  return block + pad;
}

static void *pool_entries_grow(void *pool, size_t used_bytes, size_t bytes, bool huge) {
  (void)huge;
  return pool_realloc(pool, used_bytes, bytes);
}
static void pool_entries_free(void *pool, size_t bytes) {
  (void)bytes;
  free(((char **)pool)[-1]);
}
static void *pool_entries_undo(void *pool, size_t used_bytes, size_t bytes) {
  if (used_bytes) return pool; /* the larger block serves */
  pool_entries_free(pool, bytes);
  return NULL;
}
#endif

void ic__free_pool(ic_fleet *f) {
  if (f->pool) pool_entries_free(f->pool, (size_t)f->pool_cap * sizeof *f->pool);
  if (f->pool_more) pool_entries_free(f->pool_more, (size_t)f->pool_cap * sizeof *f->pool_more);
  f->pool = NULL;
  f->pool_more = NULL;
}

bool ic__grow_pool(ic_fleet *f) {
  uint32_t old = f->pool_cap, cap = old ? old * 2 : IC__POOL_FIRST;
  if (cap <= old || cap >= IC__NONE) return false;
  struct ic__request_more *m = pool_entries_grow(f->pool_more, (size_t)old * sizeof *m, (size_t)cap * sizeof *m, false);
  if (!m) return false;
  f->pool_more = m;
  struct ic__request *p = pool_entries_grow(f->pool, (size_t)old * sizeof *p, (size_t)cap * sizeof *p, true);
  if (!p) { /* pool_more back to pool_cap's size, which ic__free_pool unmaps */
    f->pool_more = pool_entries_undo(m, (size_t)old * sizeof *m, (size_t)cap * sizeof *m);
    return false;
  }
  f->pool = p; /* the new entries are fresh (pool_fresh = old): untouched until ic__take_fresh */
  f->pool_cap = cap;
  return true;
}

/* Fresh entries taken onto the free list a page at a time (64 of 64 bytes), growing the pool where none is
 * left, so that a doubling does not fault in all its pages at once and the pool's pages are touched only as
 * arrivals reach them. The indices come in the order of a free list threaded through every new entry at the
 * doubling: freed ones first (LIFO), then the fresh ones in order. Only on an empty free list. */
bool ic__take_fresh(ic_fleet *f) {
  enum { run = 4096 / sizeof(struct ic__request) };
  if (f->pool_fresh == f->pool_cap && !ic__grow_pool(f)) return false;
  uint32_t lo = f->pool_fresh, hi = f->pool_cap - lo > run ? lo + run : f->pool_cap;
  for (uint32_t i = lo; i < hi; i++) f->pool[i].next = i + 1 < hi ? i + 1 : IC__NONE;
  f->pool_free = lo;
  f->pool_fresh = hi;
  return true;
}

/* IT power now: every pool's ledger. */
double ic__power_w(const ic_fleet *f) {
  double w = 0.0;
  for (int32_t i = 0; i < f->pool_count; i++)
    if (f->pools[i].ledger) w += ic_ledger_power_w(f->pools[i].ledger);
  return w;
}
