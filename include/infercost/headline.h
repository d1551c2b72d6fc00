/* headline.h: the headline metrics of a run by name: the columns of a sweep
 * CSV, the names `search --target` accepts, the names plot scripts read. */
#ifndef IC_HEADLINE_H
#define IC_HEADLINE_H

#include <stddef.h>

#include "infercost/run.h"

#define IC_HEADLINE_MAX 40 /* room for metrics added later */

/* Which way is better, so a target and a monotonicity argument know the sense. */
enum ic_headline_sense { IC_LOWER_IS_BETTER, IC_HIGHER_IS_BETTER };

struct ic_headline {
  const char *name;                            /* e.g. "ttft_p99_s" */
  const char *unit;                            /* e.g. "s", "USD/day" */
  enum ic_headline_sense sense;
  double (*get)(const struct ic_run_result *r); /* NaN when undefined (nothing completed) */
};

/* The table, in CSV column order; *count receives its length (<= IC_HEADLINE_MAX). */
const struct ic_headline *ic_headline_table(size_t *count);

/* Index of the metric called `name` in the table, or -1. */
int ic_headline_find(const char *name);

/* All names joined by ", " (for messages). */
const char *ic_headline_names(void);

#endif
