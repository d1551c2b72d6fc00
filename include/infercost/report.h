/* report.h: a run's results as a readable ledger, summary.json and CSV tables.
 * Every file starts with a provenance line (version, scenario, seed, run). */
#ifndef IC_REPORT_H
#define IC_REPORT_H

#include <stdio.h>

#include "infercost/run.h"
#include "infercost/scenario.h"
#include "infercost/status.h"

/* Writes the provenance line's text (without comment marker or newline). */
void ic_report_provenance(const struct ic_scenario *s, char *buf, size_t size);

/* The same for a run's outputs: when the run read a trace, the digest also
 * covers the trace's bytes (r->input_hash, printed as "trace ..."). */
void ic_report_provenance_run(const struct ic_scenario *s, const struct ic_run_result *r, char *buf, size_t size);

/* Prints the per-day ledger and headline metrics for people. */
void ic_report_print(const struct ic_scenario *s, const struct ic_run_result *r, FILE *out);

/* Writes the warnings a run's figures need next to them (requests longer
 * than the context) to `err`; nothing when there are none. The CLI calls it
 * even with -q. */
void ic_report_warn(const struct ic_scenario *s, const struct ic_run_result *r, FILE *err);

/* Writes summary.json, ledger.csv and metrics.csv into `dir` (created if
 * missing). Each file is written to a temporary name and renamed, so a
 * failure never leaves a half-written output. IC_EIO on failure (reported). */
ic_status ic_report_write_dir(const struct ic_scenario *s, const struct ic_run_result *r, const char *dir);

/* Formats v rounded to a whole number with thousands separators
 * ("1,234,568") into buf; returns buf. */
const char *ic_report_thousands(double v, char *buf, size_t size);

/* Writes `text` to dir/name (dir created if missing) through a temporary
 * name renamed at the end, so a failure never leaves a half-written file.
 * IC_EIO on failure (reported). */
ic_status ic_report_write_text(const char *dir, const char *name, const char *text);

#endif
