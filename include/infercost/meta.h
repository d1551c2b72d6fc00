/* meta.h: provenance sidecars. A data table's first line is its header (so
 * pandas, jq-free spreadsheets and csvkit read it as it is); what produced it
 * (version, scenario, digest of the resolved values, seed, run, window) goes
 * in JSON next to it: NAME.meta.json for one file, provenance.json for an
 * output directory. Formats: docs/outputs.md. */
#ifndef IC_META_H
#define IC_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infercost/scenario.h"
#include "infercost/status.h"

/* One file a sidecar describes: its name (no directory) and one sentence. */
struct ic_meta_file {
  const char *name;
  const char *describes;
};

/* What produced the outputs: the command ("run", "sweep", ...), the
 * scenario (NULL for outputs that have none, such as validate's) and an
 * optional free-text note ("sweep of 12 points x 3 runs"; NULL for none). */
struct ic_meta {
  const char *command;
  const struct ic_scenario *scenario;
  const char *note;
  uint64_t digest;      /* 0: the scenario's own (ic_scenario_digest) */
  uint64_t trace_hash;  /* of the trace files a run read; 0: none, no "trace" field */
};

/* `data_path`'s sidecar path: the path with a trailing ".csv" (or ".json")
 * replaced by ".meta.json" ("out/sweep.csv" -> "out/sweep.meta.json"). */
void ic_meta_sidecar_path(const char *data_path, char *buf, size_t size);

/* Writes the sidecar of one data file (ic_meta_sidecar_path) through a
 * temporary name. IC_EIO (reported as path: message) on failure. */
ic_status ic_meta_write_sidecar(const char *data_path, const struct ic_meta *m, const char *describes);

/* Writes dir/provenance.json naming files[0..n) through a temporary name.
 * IC_EIO (reported) on failure. */
ic_status ic_meta_write_dir(const char *dir, const struct ic_meta *m, const struct ic_meta_file *files, size_t n);

/* Finds the provenance of `data_path` (its NAME.meta.json, else
 * provenance.json in its directory) and copies its scenario's file name
 * (without directories) and window into buf, as "chatgpt-2023.ini, 600 s
 * window". false (buf "") when there is none; never reports. */
bool ic_meta_caption(const char *data_path, char *buf, size_t size);

#endif
