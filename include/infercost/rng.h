/* rng.h: named, seeded GSL random streams.
 *
 * A stream's seed depends on (seed, run, name) only, never on the order in
 * which streams are created, so adding a component never shifts another
 * component's draws. */
#ifndef IC_RNG_H
#define IC_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct ic_rng_set ic_rng_set;

/* The seed given to the stream `name` of (seed, run): a 64-bit hash
 * folded to the 32 bits that MT19937 uses. */
unsigned long ic_rng_stream_seed(uint64_t seed, uint64_t run, const char *name);

/* A set of streams for one simulation run; NULL when out of memory. */
ic_rng_set *ic_rng_set_alloc(uint64_t seed, uint64_t run);

/* The stream called `name`, created on first use (MT19937). The set owns it;
 * it lives until ic_rng_set_free. NULL when out of memory. */
gsl_rng *ic_rng_stream(ic_rng_set *set, const char *name);

/* Frees the set and all its streams; NULL does nothing. */
void ic_rng_set_free(ic_rng_set *set);

#endif
