/* rng.h: named, seeded GSL random streams.
 *
 * A stream's seed depends on (seed, run, name) only, never on the order in
 * which streams are created, so adding a component never shifts another
 * component's draws. */
#ifndef IC_RNG_H
#define IC_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* MT19937 (Matsumoto and Nishimura, ACM TOMACS 1998) as a GSL generator
 * type of our own: every stream is one, and it draws exactly what GSL's
 * gsl_rng_mt19937 draws from the same seed (test_rng_mt checks it against
 * GSL), so gsl_ran_* work on it through its function pointers, while the
 * per-request draws below read its state inline: no indirect call into
 * libgsl, and 32-bit words (half of GSL's state). */
enum { IC_MT_N = 624 };
struct ic_mt_state {
  uint32_t mt[IC_MT_N];
  uint32_t next; /* index of the next word; IC_MT_N: regenerate first */
};
extern const gsl_rng_type ic_rng_mt19937_type;
extern const gsl_rng_type *const ic_rng_mt19937;

/* The next IC_MT_N words of the recurrence (out of line: once in 624). */
void ic__mt_regenerate(struct ic_mt_state *s);

/* A state word's output: the tempering. */
static inline uint32_t ic_mt_temper(uint32_t y) {
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  return y ^ (y >> 18);
}

/* The next tempered 32-bit word. */
static inline uint32_t ic_mt_next(struct ic_mt_state *s) {
  if (__builtin_expect(s->next >= IC_MT_N, 0)) ic__mt_regenerate(s);
  return ic_mt_temper(s->mt[s->next++]);
}

/* gsl_rng_get, gsl_rng_uniform and gsl_rng_uniform_int, value for value,
 * inline on our type and through GSL on any other. */
static inline unsigned long ic_rng_get(const gsl_rng *r) {
  if (__builtin_expect(r->type == &ic_rng_mt19937_type, 1)) return ic_mt_next(r->state);
  return r->type->get(r->state);
}
static inline double ic_rng_uniform(const gsl_rng *r) {
  if (__builtin_expect(r->type == &ic_rng_mt19937_type, 1)) return ic_mt_next(r->state) / 4294967296.0;
  return r->type->get_double(r->state);
}
/* n uniforms into u: what n calls of gsl_rng_uniform return, in order (on
 * our type in one pass over the state words, which vectorises). */
void ic_rng_uniforms(const gsl_rng *r, double *u, size_t n);

/* GSL's rule (gsl_rng.h): scale = range / n, then draws (get - min) / scale
 * until one is below n. On our type range is 2^32 - 1 and min 0, so the
 * divisions are 32-bit ones, same quotients. */
static inline unsigned long ic_rng_uniform_int(const gsl_rng *r, unsigned long n) {
  if (__builtin_expect(r->type == &ic_rng_mt19937_type && n - 1 < UINT32_MAX, 1)) {
    uint32_t scale = UINT32_MAX / (uint32_t)n, k;
    do k = ic_mt_next(r->state) / scale;
    while (k >= n);
    return k;
  }
  return gsl_rng_uniform_int(r, n); /* other types; n = 0 or too large: GSL's error */
}

typedef struct ic_rng_set ic_rng_set;

/* The seed given to the stream `name` of (seed, run): a 64-bit hash
 * folded to the 32 bits that MT19937 uses. */
unsigned long ic_rng_stream_seed(uint64_t seed, uint64_t run, const char *name);

/* A set of streams for one simulation run; NULL when out of memory. */
ic_rng_set *ic_rng_set_alloc(uint64_t seed, uint64_t run);

/* The stream called `name`, created on first use (ic_rng_mt19937). The set owns it;
 * it lives until ic_rng_set_free. NULL when out of memory. */
gsl_rng *ic_rng_stream(ic_rng_set *set, const char *name);

/* Frees the set and all its streams; NULL does nothing. */
void ic_rng_set_free(ic_rng_set *set);

#endif
