/* api.h: the stable C API of libinfercost: run a scenario, sweep, search,
 * with results as JSON or CSV text. Everything else under include/infercost/
 * is the library's inside and may change between versions; this header
 * changes only with IC_API_VERSION. The Python package (python/) calls it
 * through ctypes. Not thread-safe: one call at a time per process. */
#ifndef IC_API_H
#define IC_API_H

#include <stddef.h>

#include "infercost/run.h"

#define IC_API_VERSION 1

/* Every call takes the scenario file (NULL: the built-in default) and
 * `n_overrides` texts "section.key=value", applied in order and checked like
 * the file. On failure, calls return NULL (or a status) and the problems they
 * reported, one per line as "where: message", are in ic_api_last_error(). */

/* IC_API_VERSION of the loaded library. */
int ic_api_version(void);

/* Runs one scenario into *out. Returns an ic_status: 0 ok, 1 bad input
 * (IC_EINVAL), others as ic_strerror. */
int ic_api_run(const char *scenario, const char *const *overrides, size_t n_overrides, struct ic_run_result *out);

/* Runs one scenario; returns the summary as JSON text (the same as
 * summary.json of `infercost run -o`), or NULL. *status (may be NULL)
 * receives the ic_status. Free the text with ic_api_free. */
char *ic_api_run_json(const char *scenario, const char *const *overrides, size_t n_overrides, int *status);

/* A sweep over the Cartesian product of `vary` ("section.key=VALUES", the
 * first outermost); `targets` ("METRIC<=VALUE", may be 0) add a
 * meets_targets column; `runs` replications per point (0: 1); `workers`
 * local processes (0: 1). Returns the sweep CSV text (header first, one row
 * per point, as `infercost sweep`), or NULL. */
char *ic_api_sweep_csv(const char *scenario, const char *const *overrides, size_t n_overrides,
                       const char *const *vary, size_t n_vary, const char *const *targets, size_t n_targets,
                       long runs, long workers, int *status);

/* The cheapest configuration meeting `targets` over the discrete `vary`
 * axes and fleet sizes `nodes` (NULL: 1 to the scenario's fleet.nodes);
 * `top` ranked configurations (0: 1); stability is an implicit target
 * unless `allow_unstable`. Returns the JSON of `infercost search --format
 * json` (found false when none meets the targets), or NULL. */
char *ic_api_search_json(const char *scenario, const char *const *overrides, size_t n_overrides,
                         const char *const *vary, size_t n_vary, const char *const *targets, size_t n_targets,
                         const char *nodes, long runs, long workers, long top, int allow_unstable, int *status);

/* What the last failed call reported ("" after a success); never NULL. */
const char *ic_api_last_error(void);

/* Frees text returned by this API; NULL is fine. */
void ic_api_free(char *text);

#endif
