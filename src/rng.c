/* rng.c: named streams, each seeded from a hash of (seed, run, name). */
#include "infercost/rng.h"

#include <stdlib.h>
#include <string.h>

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
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
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
