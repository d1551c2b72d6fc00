/* rng.c: named streams, each seeded from a hash of (seed, run, name). */
#include "infercost/rng.h"

#include <stdlib.h>
#include <string.h>

/* --- MT19937 -------------------------------------------------------------- */

enum { MT_M = 397 };
#define MT_UPPER 0x80000000u
#define MT_LOWER 0x7fffffffu
#define MT_A 0x9908b0dfu /* the twist matrix's last row */

/* One step of the twist: the upper bit of a, the lower 31 of b, times A. */
static inline uint32_t twist(uint32_t a, uint32_t b) {
  uint32_t y = (a & MT_UPPER) | (b & MT_LOWER);
  return (y >> 1) ^ (-(y & 1u) & MT_A); /* branch-free: vectorises */
}

/* Word k's new value reads words k + 1 and k + M (mod N), the latter
 * already new once k + M wraps: three loops with no carried dependence
 * shorter than the vector width, so the compiler vectorises each. */
void ic__mt_regenerate(struct ic_mt_state *s) {
  uint32_t *mt = s->mt;
  int k = 0;
  for (; k < IC_MT_N - MT_M; k++) mt[k] = mt[k + MT_M] ^ twist(mt[k], mt[k + 1]);
  for (; k < IC_MT_N - 1; k++) mt[k] = mt[k + MT_M - IC_MT_N] ^ twist(mt[k], mt[k + 1]);
  mt[IC_MT_N - 1] = mt[MT_M - 1] ^ twist(mt[IC_MT_N - 1], mt[0]);
  s->next = 0;
}

/* The published initialisation (Knuth's multiplier 1812433253), with GSL's
 * convention that seed 0 means 4357, so gsl_rng_set gives GSL's sequence. */
static void mt_set(void *state, unsigned long seed) {
  struct ic_mt_state *s = state;
  if (seed == 0) seed = 4357;
  s->mt[0] = (uint32_t)seed;
  for (uint32_t i = 1; i < IC_MT_N; i++) s->mt[i] = 1812433253u * (s->mt[i - 1] ^ (s->mt[i - 1] >> 30)) + i;
  s->next = IC_MT_N;
}

static unsigned long mt_get(void *state) { return ic_mt_next(state); }
static double mt_get_double(void *state) { return ic_mt_next(state) / 4294967296.0; }

void ic_rng_uniforms(const gsl_rng *r, double *u, size_t n) {
  if (r->type != &ic_rng_mt19937_type) {
    for (size_t i = 0; i < n; i++) u[i] = r->type->get_double(r->state);
    return;
  }
  struct ic_mt_state *s = r->state;
  while (n > 0) {
    if (s->next >= IC_MT_N) ic__mt_regenerate(s);
    size_t m = IC_MT_N - s->next < n ? IC_MT_N - s->next : n;
    const uint32_t *w = s->mt + s->next;
    for (size_t i = 0; i < m; i++) u[i] = ic_mt_temper(w[i]) / 4294967296.0;
    s->next += (uint32_t)m;
    u += m;
    n -= m;
  }
}

const gsl_rng_type ic_rng_mt19937_type = {"ic-mt19937", UINT32_MAX, 0, sizeof(struct ic_mt_state), mt_set, mt_get,
                                          mt_get_double};
const gsl_rng_type *const ic_rng_mt19937 = &ic_rng_mt19937_type;

/* --- named streams ------------------------------------------------------- */

struct named_stream {
  char *name;
  gsl_rng *rng;
};

struct ic_rng_set {
  uint64_t seed;
  uint64_t run;
  struct named_stream *streams;
  size_t count, cap;
};

/* SplitMix64 finaliser: a good avalanche for mixing 64-bit words. */
static uint64_t mix64(uint64_t z) {
  z += UINT64_C(0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

unsigned long ic_rng_stream_seed(uint64_t seed, uint64_t run, const char *name) {
  /* FNV-1a over the name, then mixed with seed and run. */
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    h ^= *p;
    h *= UINT64_C(0x100000001b3);
  }
  uint64_t z = mix64(mix64(mix64(seed) ^ run) ^ h);
  unsigned long folded = (unsigned long)((z ^ (z >> 32)) & 0xffffffffu);
  /* MT19937 treats seed 0 as its default seed 4357; avoid the alias. */
  return folded ? folded : 1;
}

ic_rng_set *ic_rng_set_alloc(uint64_t seed, uint64_t run) {
  ic_rng_set *set = calloc(1, sizeof *set);
  if (!set) return NULL;
  set->seed = seed;
  set->run = run;
  return set;
}

gsl_rng *ic_rng_stream(ic_rng_set *set, const char *name) {
  for (size_t i = 0; i < set->count; i++)
    if (strcmp(set->streams[i].name, name) == 0) return set->streams[i].rng;
  if (set->count == set->cap) {
    size_t cap = set->cap ? 2 * set->cap : 8;
    struct named_stream *grown = realloc(set->streams, cap * sizeof *grown);
    if (!grown) return NULL;
    set->streams = grown;
    set->cap = cap;
  }
  size_t len = strlen(name) + 1;
  char *copy = malloc(len);
  gsl_rng *rng = gsl_rng_alloc(ic_rng_mt19937);
  if (!copy || !rng) {
    free(copy);
    if (rng) gsl_rng_free(rng);
    return NULL;
  }
  memcpy(copy, name, len);
  gsl_rng_set(rng, ic_rng_stream_seed(set->seed, set->run, name));
  set->streams[set->count++] = (struct named_stream){copy, rng};
  return rng;
}

void ic_rng_set_free(ic_rng_set *set) {
  if (!set) return;
  for (size_t i = 0; i < set->count; i++) {
    free(set->streams[i].name);
    gsl_rng_free(set->streams[i].rng);
  }
  free(set->streams);
  free(set);
}
