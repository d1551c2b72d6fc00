/* keys.h: how a module declares the scenario keys of its section.
 *
 * Each module owns a table of key definitions pointing into its own plain
 * config struct; the scenario module parses, validates, overrides and prints
 * every key through these tables, so there is one place where input is checked. */
#ifndef IC_KEYS_H
#define IC_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IC_KEY_TEXT_MAX 128 /* bytes in a text value, including the NUL */
#define IC_KEY_INT_AUTO INT64_C(-1) /* an IC_KEY_INT whose default is "auto", when auto */

enum ic_key_type {
  IC_KEY_REAL,   /* double */
  IC_KEY_INT,    /* int64_t, parsed as an integer (every int64 exact); accepts
                    1e6-style numbers when whole and at most 2^53 */
  IC_KEY_BOOL,   /* bool: true/false/yes/no/on/off/1/0 */
  IC_KEY_CHOICE, /* int: index into the '|'-separated `choices` */
  IC_KEY_TEXT    /* char[IC_KEY_TEXT_MAX] */
};

struct ic_key_def {
  const char *name;          /* key inside its section, e.g. "queries_per_day" */
  enum ic_key_type type;
  size_t offset;             /* offsetof() into the section's config struct */
  const char *default_text;  /* default, parsed by the same validation as input */
  double min, max;           /* allowed range of numbers (inclusive unless min_open) */
  bool min_open;             /* true: value must be > min (e.g. strictly positive) */
  const char *choices;       /* IC_KEY_CHOICE: "a|b|c"; IC_KEY_TEXT: NULL */
  const char *unit;          /* shown in docs and in the resolved scenario */
  const char *doc;           /* one line */
};

struct ic_section_def {
  const char *name;               /* e.g. "traffic" */
  const struct ic_key_def *keys;
  size_t key_count;
  size_t offset;                  /* offsetof() of the config struct in struct ic_scenario */
  const char *doc;
};

#endif
