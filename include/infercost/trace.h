/* trace.h: streaming reader for request traces (CSV via libcsv, JSON Lines
 * via cJSON; plain or gzip-compressed; a file or "-" for standard input),
 * with format detection, column mapping, time units, and clear `path:line`
 * errors; plus one-pass trace statistics and distribution fits.
 *
 * A trace is never loaded whole: the reader parses fixed-size chunks and
 * hands out one record at a time, so memory stays flat with trace length. */
#ifndef IC_TRACE_H
#define IC_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "infercost/simtime.h"
#include "infercost/status.h"

/* Formats (scenario key traffic.trace_format, CLI --format). */
enum ic_trace_format {
  IC_TRACE_AUTO,     /* recognise one of the below by its header */
  IC_TRACE_AZURE,    /* TIMESTAMP,ContextTokens,GeneratedTokens (2023 and 2024) */
  IC_TRACE_BURSTGPT, /* Timestamp,...,Request tokens,Response tokens,... */
  IC_TRACE_VIDUR,    /* arrived_at,num_prefill_tokens,num_decode_tokens */
  IC_TRACE_GENERIC,  /* columns and time unit given by the caller */
  IC_TRACE_MOONCAKE, /* JSON Lines: timestamp (ms), input_length, output_length, hash_ids */
  IC_TRACE_JSONL     /* JSON Lines, fields and time unit given by the caller */
};
#define IC_TRACE_FORMAT_CHOICES "auto|azure|burstgpt|vidur|generic|mooncake|jsonl"
#define IC_TRACE_IS_JSONL(format) ((format) == IC_TRACE_MOONCAKE || (format) == IC_TRACE_JSONL)

/* Units of the time column of a generic trace. */
enum ic_trace_time_unit {
  IC_TRACE_UNIT_S,
  IC_TRACE_UNIT_MS,
  IC_TRACE_UNIT_US,
  IC_TRACE_UNIT_NS,
  IC_TRACE_UNIT_DATETIME /* "YYYY-MM-DD HH:MM:SS[.f...][Z|+HH:MM]" */
};
#define IC_TRACE_TIME_UNIT_CHOICES "s|ms|us|ns|datetime"

#define IC_TRACE_COLUMN_MAX 128/* bytes in a column name, including the NUL */
#define IC_TRACE_MAX_ERRORS 20 /* errors reported before the reader gives up */
/* JSON Lines: most tokens in one prompt or output (2^22: above every
 * published context window; a larger count is taken for a broken row), most
 * block ids in one row, and the longest line. */
#define IC_TRACE_MAX_TOKENS (INT64_C(1) << 22)
#define IC_TRACE_MAX_BLOCKS 65536
#define IC_TRACE_LINE_MAX (4 * 1024 * 1024)

/* How to read a trace. Zero-initialised means: auto format, strict. */
struct ic_trace_options {
  int format;             /* enum ic_trace_format */
  /* Generic format only: a header name, or a 1-based column number. */
  char time_column[IC_TRACE_COLUMN_MAX];
  char prompt_column[IC_TRACE_COLUMN_MAX];
  char output_column[IC_TRACE_COLUMN_MAX];
  /* Optional: a JSON Lines field with the prompt's block ids (an array of
   * integers or strings; "" = none, mooncake: hash_ids), and a column (CSV:
   * header name or number) or field naming the request class ("" = none). */
  char hash_column[IC_TRACE_COLUMN_MAX];
  char class_column[IC_TRACE_COLUMN_MAX];
  int64_t block_tokens;   /* tokens per block of hash ids; 0 = 512. A row
                             must have ceil(prompt / block_tokens) ids. */
  int time_unit;          /* enum ic_trace_time_unit (generic only) */
  bool time_relative;     /* generic only: times are offsets from the trace
                             start (kept); false: absolute (first row is 0) */
  bool no_header;         /* generic only: the first line is data */
  bool lengths_only;      /* generic CSV only: a table of lengths with no
                             time column (time_column ""), every row at
                             time 0; for empirical lengths, never replay */
  bool skip_bad_rows;     /* count and skip bad rows instead of failing */
  size_t chunk_bytes;     /* bytes read per chunk; 0 = 64 KiB */
};

/* The most prompt or output tokens of one request: far beyond any model's
 * context, and what lets the batching policy keep a running request in 32
 * bytes (src/serve_continuous.c). Traces beyond it are refused at their
 * line (src/trace.c); any source's request beyond it stops the run
 * (ic_source_next), and ic_fleet_submit refuses one (IC_EINVAL). */
#define IC_REQUEST_TOKENS_MAX INT64_C(2147483647)

/* One trace row. */
struct ic_trace_record {
  long line;              /* line in the file, from 1 (the header is line 1) */
  ic_time_ns time_ns;     /* arrival time: from the first row (absolute
                             times) or from the trace's own zero (relative) */
  int64_t prompt_tokens;  /* >= 0, <= IC_REQUEST_TOKENS_MAX */
  int64_t output_tokens;  /* >= 0, <= IC_REQUEST_TOKENS_MAX */
  /* JSON Lines with a hash field: the row's block ids as given (strings
   * hashed to 64 bits), one per block_tokens tokens of the prompt; valid
   * until the next call. NULL and 0 otherwise. */
  const uint64_t *block_ids;
  size_t block_count;
  /* With a class column or field: its text, valid until the next call
   * (CSV: while the reader lives); NULL otherwise. */
  const char *class_name;
};

/* Streaming reader (opaque: it checks rows and their order). */
typedef struct ic_trace ic_trace;

/* Opens `path` and reads its header. NULL on failure, with the problem
 * reported via ic_diag and *status set (IC_EINVAL: cannot open, since a
 * missing input is bad input, exit 2; or a bad header or options;
 * IC_ENOMEM). The reader keeps a copy of `opt`. */
ic_trace *ic_trace_open(const char *path, const struct ic_trace_options *opt, ic_status *status);

/* Next good row: IC_OK; at the end IC_ENOENT when the file was clean (or
 * its bad rows were skipped), IC_EINVAL when some row was bad (each reported
 * as path:line: column N (Name): ...; at most IC_TRACE_MAX_ERRORS), or
 * IC_EIO on a read error. Bad rows are reported as they are met, so a
 * caller that wants all-or-nothing reads to the end before acting. */
ic_status ic_trace_next(ic_trace *t, struct ic_trace_record *rec);

/* The format in use (never IC_TRACE_AUTO once open) and its name. */
int ic_trace_format(const ic_trace *t);
const char *ic_trace_format_name(int format);

/* FNV-1a 64-bit hash of the content read so far, CSV or JSON Lines, after
 * gzip decompression (a trace and its .gz hash alike): of the whole content
 * once ic_trace_next has returned IC_ENOENT (for provenance: two different
 * traces never share a run's digest). */
uint64_t ic_trace_content_hash(const ic_trace *t);

/* Rows skipped as bad so far (skip_bad_rows only), and the message of the
 * first one ("" when none). */
uint64_t ic_trace_skipped_rows(const ic_trace *t);
const char *ic_trace_first_skip_reason(const ic_trace *t);

/* Closes the file and frees the reader; NULL does nothing. */
void ic_trace_free(ic_trace *t);

/* Parses "YYYY-MM-DD HH:MM:SS[.fraction][Z|+HH:MM|-HH:MM]" (a 'T' may stand
 * for the space; up to 9 fractional digits kept, exactly) into nanoseconds
 * since 1970-01-01 UTC. false when malformed. */
bool ic_trace_parse_datetime(const char *text, ic_time_ns *out_ns);

/* Statistics of a whole trace, computed in one streaming pass. Definitions
 * are in docs/formats/trace.md; tests/trace_stats_ref.py is an
 * independent reference. */
struct ic_token_summary {
  double mean;            /* tokens */
  double median;          /* tokens; mean of the two middle values if even */
  int64_t p99;            /* nearest-rank 99th percentile, tokens */
  int64_t min, max;       /* tokens */
  /* Lognormal fitted by maximum likelihood on the rows with >= 1 token. */
  double lognormal_mu, lognormal_sigma;
  double lognormal_ks_d;  /* Kolmogorov-Smirnov distance of that fit */
  uint64_t zero_rows;     /* rows with 0 tokens (left out of the fit) */
};

/* What `trace fit` derives from the arrival times (see docs/traffic.md).
 * Times are from the first arrival. */
#define IC_TRACE_PROFILE_MAX 24
struct ic_trace_fit {
  double grid_s;            /* timestamps sit on multiples of this (gcd of the gaps), s; 0: none */
  bool quantised;           /* the grid is coarse enough to distort raw gaps */
  double window_s;          /* window of the count dispersion, s */
  uint64_t windows;         /* windows used */
  double dispersion;        /* variance / mean of window counts about the rate profile */
  double cv;                /* arrival CV of the fitted renewal process: sqrt(dispersion) */
  bool multi_day;           /* span >= 2 days: hour-of-day profile (below) instead of bins */
  size_t profile_bins;      /* sub-day: bins of profile_bin_s from the first arrival */
  double profile_bin_s;
  double profile[IC_TRACE_PROFILE_MAX]; /* relative rates, mean 1 */
  double rate_per_s;        /* the volume: rows / span, /s */
  double hourly[24];        /* multi-day: relative rate by hour since the first arrival's hour, mean 1 */
  bool has_weekly;          /* >= 14 days: day-of-week weights */
  double weekly[7];         /* relative volume by day from the first, mean 1 */
  bool has_trend;           /* >= 14 whole days: a growth trend */
  int trend_days;           /* whole days in the regression */
  double growth_log_per_day; /* slope of ln(daily count) on the day, 1/day */
  double growth_log_se;     /* its standard error */
};

struct ic_trace_stats {
  int format;                    /* enum ic_trace_format, as detected */
  uint64_t rows;                 /* good rows */
  uint64_t skipped_rows;         /* bad rows skipped (skip_bad_rows only) */
  double first_s, last_s;        /* first and last arrival, trace seconds */
  double span_s;                 /* last - first, s */
  double mean_rate_per_s;        /* rows / span */
  uint64_t peak_1min_count;      /* most arrivals in any sliding 60 s window */
  double peak_1min_rate_per_s;   /* that / 60 */
  uint64_t peak_fixed_bin_count; /* most arrivals in a 60 s bin from the first */
  double iat_mean_s;             /* mean inter-arrival gap, s */
  double iat_cv;                 /* population std / mean of the gaps */
  double zero_gap_frac;          /* share of gaps exactly 0 */
  double iat_gamma_mle_cv;       /* 1/sqrt(shape) of a gamma ML fit to the
                                    positive gaps; NAN when undefined */
  uint64_t zero_output_rows;     /* rows with 0 output tokens */
  struct ic_token_summary prompt, output;
  /* Prefix blocks (traces with block ids), against an unbounded cache that
   * keeps every block of every earlier row: a row hits on its longest
   * prefix of blocks that an earlier row had (blocks.h). */
  int64_t block_tokens;          /* tokens per block */
  uint64_t block_rows;           /* rows with block ids */
  uint64_t distinct_blocks;      /* distinct prefixes (chained hashes) */
  uint64_t block_prompt_tokens;  /* prompt tokens of those rows */
  uint64_t block_hit_tokens;     /* of them, covered by hit blocks */
  uint64_t block_hit_rows;       /* rows with at least one hit block */
  struct ic_trace_fit fit;
};

/* The statistics above accumulated one row at a time, for a trace or any
 * other stream of rows (trace fit --check feeds it generated requests).
 * Memory: the token histograms (2 MiB), the 60 s window, per-second arrival
 * counts over the span (coarsened past 4 M bins), the prefix set. */
typedef struct ic_trace_acc ic_trace_acc;
ic_trace_acc *ic_trace_acc_alloc(int format, int64_t block_tokens);
/* Adds a row (rows in non-decreasing time): IC_OK or IC_ENOMEM. */
ic_status ic_trace_acc_add(ic_trace_acc *a, const struct ic_trace_record *r);
/* Fills *st (IC_OK), or IC_EINVAL when there were no rows. */
ic_status ic_trace_acc_finish(ic_trace_acc *a, struct ic_trace_stats *st);
void ic_trace_acc_free(ic_trace_acc *a);

/* Reads the whole trace and fills *st. IC_OK; IC_EINVAL on bad input (all
 * reported, up to the cap), also when the trace has no rows; IC_EIO when it
 * cannot be read; IC_ENOMEM. */
ic_status ic_trace_stats_compute(const char *path, const struct ic_trace_options *opt,
                                 struct ic_trace_stats *st);

/* Writes the statistics in the layout of tests/trace_stats_ref.py (same numbers,
 * same precision). */
void ic_trace_stats_write(FILE *out, const char *path, const struct ic_trace_stats *st);

/* How `trace fit` writes its [traffic] section. */
struct ic_trace_fit_options {
  bool lognormal;          /* lengths: lognormal (mean-preserving) instead of the trace's histogram */
  double grow;             /* multiply the volume by this (1 = the trace's) */
  double horizon_days;     /* > 0: and by the growth trend this many days past the trace's end */
};

/* Writes a [traffic] section that reproduces the trace: gamma renewal
 * arrivals with the CV of its window counts, time-changed through its rate
 * profile; the trace's length histogram (or a mean-preserving lognormal);
 * its volume times the growth asked for. `opt` gives the format keys to
 * repeat. IC_OK, or IC_EINVAL (reported) when the options cannot be met. */
ic_status ic_trace_fit_write(FILE *out, const char *path, const struct ic_trace_options *opt,
                             const struct ic_trace_stats *st, const struct ic_trace_fit_options *fo);

/* Histogram of one token column of a trace, for empirical length
 * sampling: `values` ascending and distinct, `counts` their frequencies.
 * IC_OK, or as ic_trace_stats_compute. column: 0 prompt, 1 output. Free
 * with ic_trace_histogram_free. */
struct ic_trace_histogram {
  int64_t *values;
  double *counts;
  size_t size;
  uint64_t content_hash;  /* ic_trace_content_hash of the whole file */
};
ic_status ic_trace_histogram_read(const char *path, const struct ic_trace_options *opt, int column,
                                  struct ic_trace_histogram *hist);
void ic_trace_histogram_free(struct ic_trace_histogram *hist);

#endif
