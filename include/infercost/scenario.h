/* scenario.h: the scenario: every input of a run, with defaults, validation,
 * `section.key=value` overrides and a printout of the resolved values.
 *
 * The defaults of all keys together are the built-in scenario: a ChatGPT-like
 * service (docs/scenarios.md). Keys are a public contract (docs/scenario-format.md). */
#ifndef IC_SCENARIO_H
#define IC_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "infercost/cost.h"
#include "infercost/hw.h"
#include "infercost/keys.h"
#include "infercost/model.h"
#include "infercost/perf.h"
#include "infercost/serve.h"
#include "infercost/status.h"
#include "infercost/traffic.h"
#include "infercost/train.h"

/* [run] section. */
struct ic_run_config {
  int64_t seed;        /* base seed of every random stream */
  int64_t run;         /* replication index: same seed, independent streams */
  double duration_s;   /* simulated span; per-day figures scale to 86,400 s */
  double warmup_s;     /* simulated before the counted window, not counted; NAN = auto */
  double series_interval_s; /* row length of timeseries.csv */
  int64_t shards;      /* independent sub-fleets, each with 1/shards of the nodes and traffic */
  int64_t shard_workers; /* local processes running them; 0: one per CPU online */
};

#define IC_SCENARIO_MAX_KEYS 256
#define IC_ORIGIN_MAX 160
#define IC_SCENARIO_PATH_MAX 140 /* bytes of a scenario file's path: its "path:line" fits IC_ORIGIN_MAX */

/* Pools ([pool.NAME] sections; docs/serving.md): each a set of replicas with
 * its own fleet keys and batching keys on top of the scenario's. */
#define IC_SCENARIO_MAX_POOLS 8
#define IC_POOL_NAME_MAX 32
#define IC_POOL_MAX_SETS 40 /* a pool prints every fleet and batching key it resolves */
enum ic_pool_role { IC_POOL_MIXED, IC_POOL_PREFILL, IC_POOL_DECODE };
#define IC_POOL_ROLE_CHOICES "mixed|prefill|decode"
struct ic_pool_config {
  char name[IC_POOL_NAME_MAX];
  char origin[IC_ORIGIN_MAX];  /* where it was declared */
  int role;                    /* enum ic_pool_role */
  char nvlink_domain[IC_KEY_TEXT_MAX]; /* pools naming one domain move KV caches over NVLink; "none" */
  size_t set_count;
  struct ic_pool_set {
    char key[40];              /* a fleet or serving key, without its section */
    char value[IC_KEY_TEXT_MAX];
    char origin[IC_ORIGIN_MAX];
  } sets[IC_POOL_MAX_SETS];
};

struct ic_scenario {
  char source[256];    /* where it came from: a path or "built-in default" */
  /* Where each key got its value ("path:line", "-s #2"; "" = default), by
   * flat key index, so cross-key checks can point at the line. */
  char origin[IC_SCENARIO_MAX_KEYS][IC_ORIGIN_MAX];
  struct ic_run_config run;
  struct ic_traffic_config traffic;
  struct ic_model_config model;
  struct ic_fleet_config fleet;
  struct ic_accel_config accelerator;
  struct ic_serving_config serving;
  struct ic_perf_params perf;
  struct ic_power_config power;
  struct ic_cost_config cost;
  struct ic_train_config train; /* infercost train only */
  size_t pool_count;           /* 0: one pool, the [fleet] and [serving] keys */
  struct ic_pool_config pools[IC_SCENARIO_MAX_POOLS];
};

/* Every section in printing order, and how many. */
extern const struct ic_section_def ic_scenario_sections[];
extern const size_t ic_scenario_section_count;

/* Sets every key to its default and source to "built-in default". */
void ic_scenario_defaults(struct ic_scenario *s);

/* Reads an INI-style file on top of the current values. Every problem is
 * reported as path:line (up to 20), and then IC_EINVAL; IC_EIO when the file
 * cannot be read. */
ic_status ic_scenario_load_file(struct ic_scenario *s, const char *path);

/* Same, from text in memory; `name` stands for the path in messages. */
ic_status ic_scenario_load_text(struct ic_scenario *s, const char *text, const char *name);

/* Applies one "section.key=value" override with the same validation;
 * `where` names it in messages (e.g. "-s #2"). */
ic_status ic_scenario_set(struct ic_scenario *s, const char *assignment, const char *where);

/* Builds a scenario as the command line does: defaults, then the file at
 * `path` (NULL: none), then sets[0..count) as "section.key=value"
 * overrides named "-s #1", "-s #2"... in messages. Every problem is
 * reported; IC_EIO when the file cannot be read (overrides are then not
 * applied), IC_EINVAL on any bad value. Cross-key checks are not run. */
ic_status ic_scenario_build(struct ic_scenario *s, const char *path, const char *const *sets, size_t count);

/* Checks that keys agree with each other (model exists, replica fits in a
 * node...); reports each problem and returns IC_EINVAL if any. */
ic_status ic_scenario_check(const struct ic_scenario *s);

/* Writes the resolved scenario, every key with its value, unit and doc, in
 * the file format (so the output can be read back). */
void ic_scenario_write(const struct ic_scenario *s, FILE *out);

/* A 64-bit digest of the resolved values (for provenance lines). */
uint64_t ic_scenario_digest(const struct ic_scenario *s);

/* Pool i's fleet and serving keys: the scenario's, with the pool's own on
 * top (already validated when they were set). */
void ic_scenario_pool(const struct ic_scenario *s, size_t i, struct ic_fleet_config *fleet,
                      struct ic_serving_config *serving);

/* Pool i's [cost] keys: the scenario's, with the pool's own on top. */
void ic_scenario_pool_cost(const struct ic_scenario *s, size_t i, struct ic_cost_config *cost);

/* The definition of "pool.NAME.key" (any name), or NULL. */
const struct ic_key_def *ic_scenario_pool_key(const char *dotted);

/* Formats the value of "section.key" or "pool.NAME.key" (resolved) into
 * buf; false when the key or the pool is unknown. */
bool ic_scenario_format_key(const struct ic_scenario *s, const char *dotted, char *buf, size_t size);

/* Finds "section.key"; NULL when unknown. *section receives its section. */
const struct ic_key_def *ic_scenario_find_key(const char *dotted, const struct ic_section_def **section);

/* Where "section.key" got its value ("path:line", "-s #2", or "default"). */
const char *ic_scenario_origin(const struct ic_scenario *s, const char *dotted);

/* Formats a double so that strtod reads it back bit-exact (the shortest of
 * %.15g, %.16g, %.17g that does). */
void ic_format_double(double v, char *buf, size_t size);

/* Formats the value of `key` in config struct `cfg` into buf. */
void ic_key_format(const struct ic_key_def *key, const void *cfg, char *buf, size_t size);

#endif
