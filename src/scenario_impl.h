/* scenario_impl.h: shared between scenario.c and scenario_pool.c. */
#ifndef IC_SCENARIO_IMPL_H
#define IC_SCENARIO_IMPL_H

#include <stdbool.h>
#include <stdio.h>

#include "infercost/scenario.h"

/* scenario.c: one value through a key's validation into `field`; false
 * with a message in err. */
bool ic__scenario_parse(const struct ic_key_def *k, const char *text, void *field, char *err, size_t errsize);

/* scenario_pool.c */
/* A "[pool.NAME]" header at path:line: declares the pool; false (reported)
 * for a bad or repeated name or too many pools. */
bool ic__pool_declare(struct ic_scenario *s, const char *name, const char *path, long line);
/* "NAME.key" = value from a file line or an override (origin "-s #N");
 * an override may declare the pool. False when reported. */
bool ic__pool_assign(struct ic_scenario *s, const char *name_key, const char *value, const char *path, long line,
                     const char *origin);
void ic__pool_check(const struct ic_scenario *s);
void ic__pool_write(const struct ic_scenario *s, FILE *out);
uint64_t ic__pool_digest(const struct ic_scenario *s, uint64_t h);

/* Whether a [serving] key at this value stays out of the digest: a key
 * added later, at the value that keeps the older behaviour, so that older
 * runs keep their digests (serving.scheduler_steps = 1, prefill_min_queue = 0,
 * token_budget = prefill). */
bool ic__digest_skips_serving(const char *key, const char *value);

#endif
