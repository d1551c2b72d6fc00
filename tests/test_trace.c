/* test_trace.c: the streaming trace reader, `trace stats` against
 * tests/trace_stats_ref.py, every bad-input message, and `trace fit`. */
#include "ic_test.h"
#include "ic_test_diag.h"
#include "ic_test_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infercost/scenario.h"
#include "infercost/status.h"
#include "infercost/trace.h"
#include "infercost/traffic.h"

int ic_cli_trace(int argc, char **argv); /* src/cli_trace.c */

#define DATA IC_SOURCE_DIR "/tests/data/"
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* Writes the stats report to a temporary file and reads it back. */
static void stats_text(const char *path, const struct ic_trace_options *opt, char *buf, size_t size) {
  struct ic_trace_stats st;
  assert_int_equal(ic_trace_stats_compute(path, opt, &st), IC_OK);
  FILE *f = tmpfile();
  assert_non_null(f);
  ic_trace_stats_write(f, "X", &st);
  rewind(f);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
}

/* --- the shipped traces against tests/trace_stats_ref.py ------------------ */

/* Expected lines: printed by `python3 tests/trace_stats_ref.py
 * traces/azure2023_code.csv traces/azure2023_conv.csv` (an independent
 * reference, exact arithmetic; its "== file [format]" line left out). CTest
 * also runs that script against the binary on more traces. */
struct shipped_case {
  const char *name, *path, *expect;
};

static struct shipped_case shipped_cases[] = {
    {"azure2023_code", IC_SOURCE_DIR "/traces/azure2023_code.csv",
     "rows=8819 duration=3435.9s (0.95 h) mean_rate=2.567 req/s\n"
     "peak 1-min: sliding 723 req (12.050 req/s), fixed-bin 632 req (10.533 req/s)\n"
     "input  tokens: mean=2047.8 median=1469.0 p99=7436 min=3 max=7437\n"
     "output tokens: mean=27.9 median=13.0 p99=252 min=6 max=1899\n"
     "inter-arrival: mean=0.3897s CV=13.151 zero-gap fraction=0.000 out-of-order rows=0 zero-output rows=0\n"},
    {"azure2023_conv", IC_SOURCE_DIR "/traces/azure2023_conv.csv",
     "rows=19366 duration=3501.7s (0.97 h) mean_rate=5.530 req/s\n"
     "peak 1-min: sliding 522 req (8.700 req/s), fixed-bin 507 req (8.450 req/s)\n"
     "input  tokens: mean=1154.7 median=1020.0 p99=4142 min=2 max=14050\n"
     "output tokens: mean=211.1 median=129.0 p99=601 min=7 max=1000\n"
     "inter-arrival: mean=0.1808s CV=1.094 zero-gap fraction=0.000 out-of-order rows=0 zero-output rows=0\n"},
};

static void run_shipped_case(void **state) {
  const struct shipped_case *c = *state;
  char text[2048];
  stats_text(c->path, NULL, text, sizeof text);
  assert_true(strncmp(text, "== X [azure]\n", 13) == 0);
  assert_string_equal(text + 13, c->expect);
  /* the chunk size never changes a number: 7-byte chunks split every
   * line, field and CRLF pair */
  struct ic_trace_options small = {.chunk_bytes = 7};
  char text7[2048];
  stats_text(c->path, &small, text7, sizeof text7);
  assert_string_equal(text7, text);
  assert_int_equal(ic_diag_count(), 0);
}

/* --- formats ------------------------------------------------------------------- */

/* Expected rows worked out by hand from the fixture files. */
struct format_case {
  const char *name, *file;
  struct ic_trace_options opt;
  int format;
  size_t n;
  long line[3];
  double time_s[3];
  int64_t prompt[3], output[3];
};

static struct format_case format_cases[] = {
    {"azure2023_crlf_no_final_newline", "trace_azure_ok.csv", {0}, IC_TRACE_AZURE, 3, {2, 3, 4},
     /* 18:15:50.9951690 - 18:15:46.6805900 = 4.314579 s; 51.2224670 - 46.6805900 = 4.541877 s */
     {0, 4.314579, 4.541877}, {374, 396, 879}, {44, 109, 55}},
    {"utf8_bom_accepted", "trace_bom.csv", {0}, IC_TRACE_AZURE, 3, {2, 3, 4},
     {0, 4.314579, 4.541877}, {374, 396, 879}, {44, 109, 55}},
    /* 02:00:01.509930+02:00 is 00:00:01.509930 UTC; Z is UTC */
    {"azure2024_utc_offsets", "trace_azure2024.csv", {0}, IC_TRACE_AZURE, 3, {2, 3, 4},
     {0, 1.5, 2.99007}, {2048, 100, 310}, {12, 7, 21}},
    /* relative seconds: the first row keeps its 5 s offset */
    {"burstgpt_relative_zero_output", "trace_burstgpt.csv", {0}, IC_TRACE_BURSTGPT, 3, {2, 3, 4},
     {5, 45, 118}, {472, 1087, 417}, {18, 0, 161}},
    {"vidur_whole_decimals", "trace_vidur.csv", {0}, IC_TRACE_VIDUR, 3, {2, 3, 4},
     {0, 0.25, 1.75}, {1234, 2385, 99}, {56, 7, 400}},
    {"generic_by_name_ms_absolute", "trace_generic_ms.csv",
     {.format = IC_TRACE_GENERIC, .time_column = "t_ms", .prompt_column = "in", .output_column = "out",
      .time_unit = IC_TRACE_UNIT_MS},
     IC_TRACE_GENERIC, 3, {2, 3, 4}, {0, 0.5, 3.0}, {10, 30, 50}, {20, 40, 60}},
    /* the slow path (exponents, signs) in the unit given: 1e3 s is 1,000 s,
     * 2e6 ms is 2,000 s, and absolute negative times count from the first */
    {"generic_exponent_seconds", "trace_generic_exp_s.csv",
     {.format = IC_TRACE_GENERIC, .time_column = "t", .prompt_column = "in", .output_column = "out"},
     IC_TRACE_GENERIC, 3, {2, 3, 4}, {0, 1000, 2500}, {10, 30, 50}, {20, 40, 60}},
    {"generic_exponent_ms", "trace_generic_exp_ms.csv",
     {.format = IC_TRACE_GENERIC, .time_column = "t_ms", .prompt_column = "in", .output_column = "out",
      .time_unit = IC_TRACE_UNIT_MS},
     IC_TRACE_GENERIC, 3, {2, 3, 4}, {0, 2000, 2000.0005}, {10, 30, 50}, {20, 40, 60}},
    {"generic_negative_absolute_seconds", "trace_generic_negative_s.csv",
     {.format = IC_TRACE_GENERIC, .time_column = "t", .prompt_column = "in", .output_column = "out"},
     IC_TRACE_GENERIC, 3, {2, 3, 4}, {0, 1.25, 1.75}, {10, 30, 50}, {20, 40, 60}},
    {"generic_by_index_us_relative_no_header", "trace_generic_noheader_us.csv",
     {.format = IC_TRACE_GENERIC, .time_column = "2", .prompt_column = "1", .output_column = "3",
      .time_unit = IC_TRACE_UNIT_US, .time_relative = true, .no_header = true},
     IC_TRACE_GENERIC, 3, {1, 2, 3}, {0.00025, 1.25, 2.5}, {7, 9, 3}, {11, 12, 13}},
};

static void run_format_case(void **state) {
  const struct format_case *c = *state;
  char path[512];
  snprintf(path, sizeof path, DATA "%s", c->file);
  ic_status st;
  ic_trace *t = ic_trace_open(path, &c->opt, &st);
  assert_non_null(t);
  assert_int_equal(ic_trace_format(t), c->format);
  struct ic_trace_record r;
  for (size_t i = 0; i < c->n; i++) {
    assert_int_equal(ic_trace_next(t, &r), IC_OK);
    assert_int_equal(r.line, c->line[i]);
    assert_true(llabs(r.time_ns - ic_time_from_s(c->time_s[i])) <= 1);
    assert_int_equal(r.prompt_tokens, c->prompt[i]);
    assert_int_equal(r.output_tokens, c->output[i]);
  }
  assert_int_equal(ic_trace_next(t, &r), IC_ENOENT);
  ic_trace_free(t);
  assert_int_equal(ic_diag_count(), 0);
}

/* --- bad input: one row per case, the whole message asserted -------------- */

struct bad_case {
  const char *name, *file;
  bool skip;
  int format;
  ic_status status;
  const char *message; /* after the "tests/data/" directory prefix */
};

static struct bad_case bad_cases[] = {
    {"empty_file", "trace_empty.csv", false, 0, IC_EINVAL,
     "trace_empty.csv: empty file: expected a header line and rows\n"},
    {"header_only", "trace_header_only.csv", false, 0, IC_EINVAL,
     "trace_header_only.csv: no data rows after the header\n"},
    {"missing_column", "trace_missing_column.csv", false, 0, IC_EINVAL,
     "trace_missing_column.csv:1: unknown trace header 'TIMESTAMP,ContextTokens': expected Azure "
     "(TIMESTAMP,ContextTokens,GeneratedTokens), BurstGPT (Timestamp,...,Request tokens,Response tokens), Vidur "
     "(arrived_at,num_prefill_tokens,num_decode_tokens), or format generic with a column mapping\n"},
    {"unknown_header", "trace_unknown_header.csv", false, 0, IC_EINVAL,
     "trace_unknown_header.csv:1: unknown trace header 'prompt,output': expected Azure "
     "(TIMESTAMP,ContextTokens,GeneratedTokens), BurstGPT (Timestamp,...,Request tokens,Response tokens), Vidur "
     "(arrived_at,num_prefill_tokens,num_decode_tokens), or format generic with a column mapping\n"},
    {"missing_column_named", "trace_missing_column.csv", false, IC_TRACE_AZURE, IC_EINVAL,
     "trace_missing_column.csv:1: missing column 'GeneratedTokens' (output tokens; the header has: "
     "TIMESTAMP,ContextTokens)\n"},
    {"missing_column_burstgpt", "trace_burstgpt_missing.csv", false, 0, IC_EINVAL,
     "trace_burstgpt_missing.csv:1: missing column 'Response tokens' (output tokens; the header has: "
     "Timestamp,Model,Request tokens,Total tokens,Log Type)\n"},
    {"negative_tokens", "trace_negative.csv", false, 0, IC_EINVAL,
     "trace_negative.csv:3: column 2 (ContextTokens): expected a non-negative integer, got '-396'\n"},
    {"non_numeric_tokens", "trace_nonnumeric.csv", false, 0, IC_EINVAL,
     "trace_nonnumeric.csv:3: column 3 (GeneratedTokens): expected a non-negative integer, got 'many'\n"},
    {"timestamp_backwards", "trace_backwards.csv", false, 0, IC_EINVAL,
     "trace_backwards.csv:4: column 1 (TIMESTAMP): timestamp goes backwards: '2023-11-16 18:15:49.0000000' is "
     "1.995169 s before the previous row's (line 3)\n"},
    {"short_row", "trace_short_row.csv", false, 0, IC_EINVAL,
     "trace_short_row.csv:3: malformed row: expected 3 fields, got 2\n"},
    {"bad_quote", "trace_bad_quote.csv", false, 0, IC_EINVAL,
     "trace_bad_quote.csv:3: malformed CSV: error parsing data while strict checking enabled\n"},
    {"bad_time", "trace_bad_time.csv", false, 0, IC_EINVAL,
     "trace_bad_time.csv:3: column 1 (TIMESTAMP): expected a date-time like 2023-11-16 18:17:03.9799600, got "
     "'16/11/2023 18:15:50'\n"},
    {"every_bad_row_reported", "trace_two_bad.csv", false, 0, IC_EINVAL,
     "trace_two_bad.csv:3: column 2 (ContextTokens): expected a non-negative integer, got '-396'\n"
     "trace_two_bad.csv:4: column 3 (GeneratedTokens): expected a non-negative integer, got 'x'\n"},
    /* skipping is explicit: the rows are counted, nothing is reported */
    {"skip_bad_rows_counts", "trace_two_bad.csv", true, 0, IC_OK, ""},
    /* a broken CSV cannot be resynchronised: fatal even when skipping */
    {"skip_cannot_skip_bad_quote", "trace_bad_quote.csv", true, 0, IC_EINVAL,
     "trace_bad_quote.csv:3: malformed CSV: error parsing data while strict checking enabled\n"},
    /* the reader parses a date and minute equal to the previous row's only
     * once (a cache): every row that shares line 2's "2023-11-16 18:17" but
     * is bad after it, the prefix alone, and a bad hour met twice are each
     * refused as without the cache */
    {"datetime_cache_bad_rows", "trace_bad_minutes.csv", false, 0, IC_EINVAL,
     "trace_bad_minutes.csv:3: column 1 (TIMESTAMP): expected a date-time like 2023-11-16 18:17:03.9799600, got "
     "'2023-11-16 18:17:6x'\n"
     "trace_bad_minutes.csv:4: column 1 (TIMESTAMP): expected a date-time like 2023-11-16 18:17:03.9799600, got "
     "'2023-11-16 18:1x:03'\n"
     "trace_bad_minutes.csv:5: column 1 (TIMESTAMP): expected a date-time like 2023-11-16 18:17:03.9799600, got "
     "'2023-11-16 18:17:61'\n"
     "trace_bad_minutes.csv:6: column 1 (TIMESTAMP): expected a date-time like 2023-11-16 18:17:03.9799600, got "
     "'2023-11-16 18:17'\n"
     "trace_bad_minutes.csv:7: column 1 (TIMESTAMP): expected a date-time like 2023-11-16 18:17:03.9799600, got "
     "'2023-11-16 18:17:03.'\n"
     "trace_bad_minutes.csv:8: column 1 (TIMESTAMP): expected a date-time like 2023-11-16 18:17:03.9799600, got "
     "'2023-11-16 24:00:00'\n"
     "trace_bad_minutes.csv:9: column 1 (TIMESTAMP): expected a date-time like 2023-11-16 18:17:03.9799600, got "
     "'2023-11-16 24:00:00'\n"
     "trace_bad_minutes.csv:11: column 1 (TIMESTAMP): timestamp goes backwards: '2023-11-16 18:17:03' is 1.000000 s "
     "before the previous row's (line 10)\n"},
    {"no_such_file", "trace_does_not_exist.csv", false, 0, IC_EINVAL,
     "trace_does_not_exist.csv: cannot open trace: No such file or directory\n"},
};

static void run_bad_case(void **state) {
  const struct bad_case *c = *state;
  char path[512], expect[2048];
  snprintf(path, sizeof path, DATA "%s", c->file);
  struct ic_trace_options opt = {.skip_bad_rows = c->skip, .format = c->format};
  struct ic_trace_stats st;
  assert_int_equal(ic_trace_stats_compute(path, &opt, &st), c->status);
  /* every message line starts with the full path */
  char *out = expect;
  for (const char *m = c->message; *m;) {
    const char *nl = strchr(m, '\n');
    out += sprintf(out, DATA "%.*s", (int)(nl - m + 1), m);
    m = nl + 1;
  }
  *out = '\0';
  assert_string_equal(diag.text, expect);
  if (c->status == IC_OK) {
    assert_int_equal(st.rows, 2);
    assert_int_equal(st.skipped_rows, 2);
  }
}

/* --- date-times ------------------------------------------------------------------ */

struct dt_case {
  const char *name, *text;
  bool ok;
  ic_time_ns expect; /* ns since 1970-01-01 UTC; from `date -u -d ... +%s` */
};

static struct dt_case dt_cases[] = {
    /* date -u -d '2023-11-16 18:17:03' +%s = 1700158623 */
    {"azure2023_7_digits", "2023-11-16 18:17:03.9799600", true, INT64_C(1700158623979960000)},
    /* date -u -d '2024-05-10 00:00:00' +%s = 1715299200 */
    {"azure2024_offset", "2024-05-10 00:00:00.009930+00:00", true, INT64_C(1715299200009930000)},
    {"negative_offset", "2024-05-09 19:30:00-04:30", true, INT64_C(1715299200000000000)},
    {"t_separator_z", "2024-05-10T00:00:00Z", true, INT64_C(1715299200000000000)},
    /* date -u -d '2024-02-29 12:00:00' +%s = 1709208000 */
    {"leap_day", "2024-02-29 12:00:00.5", true, INT64_C(1709208000500000000)},
    {"not_leap", "2023-02-29 12:00:00", false, 0},
    {"month_13", "2023-13-01 00:00:00", false, 0},
    {"trailing_junk", "2023-11-16 18:17:03.98x", false, 0},
    {"bad_offset", "2023-11-16 18:17:03+0100", false, 0},
    {"date_only", "2023-11-16", false, 0},
};

static void run_dt_case(void **state) {
  const struct dt_case *c = *state;
  ic_time_ns t = 0;
  assert_int_equal(ic_trace_parse_datetime(c->text, &t), c->ok);
  if (c->ok) assert_int_equal(t, c->expect);
}

/* Rows through the reader, whose date-time parse keeps the last row's date
 * and minute (first 16 characters) and parses only what follows when they
 * repeat. Expected: ns after the first row, 2023-12-31 23:58:59.5 UTC
 * (`date -u -d '2023-12-31 23:58:59' +%s` = 1704067139); 2024-01-01
 * 00:00:00 is 1704067200, so 60.5 s after it; 2024-02-28 23:59:59 is
 * 1709164799, 2024-02-29 00:00:00 1709164800, 2024-03-01 00:00:00
 * 1709251200. Read whole and in 7-byte chunks (fields split across
 * chunks). */
static void datetime_cache_rows(void **state) {
  (void)state;
  static const ic_time_ns expect[] = {
      0,
      250000000,               /* 23:58:59.75: same minute, cached */
      500000000,               /* 23:59:00: the minute changes */
      INT64_C(60500000000),    /* 23:59:60, a leap second: 2024-01-01 00:00:00 */
      INT64_C(60500000100),    /* 2024-01-01 00:00:00.0000001: the year, month and day change */
      INT64_C(3660500000000),  /* 01:00:00Z: the hour changes */
      INT64_C(3660500000000),  /* T02:00:00+01:00, the same instant: 'T' is a new prefix */
      INT64_C(3661623456789),  /* T02:00:01.123456789123+01:00: cached, digits past 9 cut */
      INT64_C(5097659500000000), /* 2024-02-28 23:59:59: 60.5 + 58 x 86,400 + 86,399 s */
      INT64_C(5097660500000000), /* 2024-02-29 00:00:00 (leap year) */
      INT64_C(5184060500000000), /* 2024-03-01 00:00:00 */
  };
  static const size_t chunks[] = {0, 7};
  for (size_t k = 0; k < 2; k++) {
    struct ic_trace_options opt = {.chunk_bytes = chunks[k]};
    ic_status st;
    ic_trace *t = ic_trace_open(DATA "trace_azure_minutes.csv", &opt, &st);
    assert_non_null(t);
    struct ic_trace_record r;
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
      assert_int_equal(ic_trace_next(t, &r), IC_OK);
      assert_int_equal(r.line, (long)i + 2);
      assert_int_equal(r.time_ns, expect[i]);
      assert_int_equal(r.prompt_tokens, 10 + (int64_t)i);
    }
    assert_int_equal(ic_trace_next(t, &r), IC_ENOENT);
    ic_trace_free(t);
  }
  /* skipping: only lines 2 and 10 of the bad file are good (line 11 goes
   * backwards from line 10) */
  struct ic_trace_options skip = {.skip_bad_rows = true};
  ic_status st;
  ic_trace *t = ic_trace_open(DATA "trace_bad_minutes.csv", &skip, &st);
  assert_non_null(t);
  struct ic_trace_record r;
  assert_int_equal(ic_trace_next(t, &r), IC_OK);
  assert_int_equal(r.line, 2);
  assert_int_equal(ic_trace_next(t, &r), IC_OK);
  assert_int_equal(r.line, 10);
  assert_int_equal(r.time_ns, INT64_C(1000000000));
  assert_int_equal(ic_trace_next(t, &r), IC_ENOENT);
  assert_int_equal(ic_trace_skipped_rows(t), 8);
  assert_string_equal(ic_trace_first_skip_reason(t), "line 3: column 1 (TIMESTAMP): expected a date-time like "
                      "2023-11-16 18:17:03.9799600, got '2023-11-16 18:17:6x'");
  ic_trace_free(t);
  assert_int_equal(ic_diag_count(), 0);
}

/* A NUL byte inside a date-time field is refused with what follows it:
 * the reader once parsed the field's text only up to the NUL, so
 * "2023-11-16 18:17:04<NUL>junk" was read as 18:17:04. */
static void datetime_nul_refused(void **state) {
  (void)state;
  static const char text[] = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,1,1\n"
                             "2023-11-16 18:17:04\0junk,1,1\n";
  const char *path = "/tmp/ic_test_trace_nul.csv";
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
  assert_int_equal(fclose(f), 0);
  ic_status st;
  assert_null(ic_trace_open(path, NULL, &st)); /* one chunk holds the file: it fails at the open */
  assert_int_equal(st, IC_EINVAL);
  remove(path);
  assert_string_equal(diag.text, "/tmp/ic_test_trace_nul.csv:3: column 1 (TIMESTAMP): expected a date-time like "
                      "2023-11-16 18:17:03.9799600, got '2023-11-16 18:17:04'\n");
}

/* The CSV reader hashes its chunk in 16-byte slices, one at each field,
 * and the rest once the chunk is parsed: whatever the chunk size (7 bytes:
 * slices never fit; 16 and 17: one, and one byte left) the hash is FNV-1a
 * 64 of the whole file, by the tests' own loop; a byte-order mark and a
 * missing final newline included, and with bad rows skipped. */
static void content_hash_any_chunk(void **state) {
  (void)state;
  static const char *const files[] = {DATA "trace_bom.csv", DATA "trace_azure_ok.csv", DATA "trace_two_bad.csv",
                                      IC_SOURCE_DIR "/traces/azure2023_conv.csv"};
  static const size_t chunks[] = {7, 15, 16, 17, 4096, 0};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    uint64_t want = ic_test_fnv1a_file(files[f]);
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
      struct ic_trace_options opt = {.chunk_bytes = chunks[k], .skip_bad_rows = true};
      ic_status st;
      ic_trace *t = ic_trace_open(files[f], &opt, &st);
      assert_non_null(t);
      struct ic_trace_record r;
      while ((st = ic_trace_next(t, &r)) == IC_OK) {
      }
      assert_int_equal(st, IC_ENOENT);
      assert_true(ic_trace_content_hash(t) == want);
      ic_trace_free(t);
    }
  }
}

/* Token counts above the dense histogram's range (131,071) take the
 * overflow path: prompts 200000, 5, 300000, 150000 have median
 * (150000 + 200000) / 2 = 175000 and nearest-rank p99 = the 4th value. */
static void stats_overflow_path(void **state) {
  (void)state;
  struct ic_trace_stats st;
  assert_int_equal(ic_trace_stats_compute(DATA "trace_vidur_long_prompts.csv", NULL, &st), IC_OK);
  assert_near(st.prompt.median, 175000, 0);
  assert_int_equal(st.prompt.p99, 300000);
  assert_int_equal(st.prompt.min, 5);
  assert_int_equal(st.prompt.max, 300000);
  assert_near(st.prompt.mean, 162501.25, 1e-9);
  assert_near(st.output.median, 2.5, 0);
}

/* --- the command line --------------------------------------------------------------- */

static void cli_exit_codes(void **state) {
  (void)state;
  char *bad[] = {"trace", "stats", DATA "trace_negative.csv"};
  assert_int_equal(ic_cli_trace(3, bad), IC_EXIT_BAD_INPUT);
  char *unknown[] = {"trace", "frobnicate", "x.csv"};
  assert_int_equal(ic_cli_trace(3, unknown), IC_EXIT_BAD_INPUT);
  char *noarg[] = {"trace", "stats"};
  assert_int_equal(ic_cli_trace(2, noarg), IC_EXIT_BAD_INPUT);
  assert_non_null(strstr(diag.text, "trace stats: missing FILE"));
}

/* `trace fit -o` writes a [traffic] section the scenario reader accepts and
 * whose lognormal (--lengths lognormal) has the maximum-likelihood sigma
 * (population std of ln(tokens); checked against numpy-free awk:
 * awk -F, 'NR>1{l=log($2);s+=l;q+=l*l;n++}END{m=s/n;print m,sqrt(q/n-m*m)}'
 * traces/azure2023_conv.csv prints 6.63331 0.985154) and keeps the mean
 * (1154.697408 by awk): mu = ln(1154.697408) - 0.985154^2 / 2 = 6.566329.
 * The arrival CV 2.09 is tests/fit_reference.py's. */
static void fit_round_trip(void **state) {
  (void)state;
  char out[] = "/tmp/ic_test_trace_fit.ini";
  remove(out);
  char *argv[] = {"trace", "fit", IC_SOURCE_DIR "/traces/azure2023_conv.csv", "--lengths", "lognormal", "-o", out};
  assert_int_equal(ic_cli_trace(7, argv), IC_EXIT_OK);
  struct ic_scenario *s = malloc(sizeof *s);
  assert_non_null(s);
  ic_scenario_defaults(s);
  assert_int_equal(ic_scenario_load_file(s, out), IC_OK);
  assert_int_equal(s->traffic.arrival, IC_ARRIVAL_GAMMA);
  assert_near(s->traffic.arrival_cv, 2.09, 1e-9);
  assert_int_equal(s->traffic.prompt_dist, IC_LENGTH_LOGNORMAL);
  assert_near(s->traffic.prompt_lognormal_mu, 6.566329, 2e-6);
  assert_near(s->traffic.prompt_lognormal_sigma, 0.985154, 1e-6);
  /* 5.530 req/s x 86,400 s (the reference script's mean rate) */
  assert_near(s->traffic.queries_per_day, 19366 / 3501.722 * 86400, 50);
  assert_int_equal(ic_traffic_check(&s->traffic), IC_OK);
  free(s);
  remove(out);
  /* a failing fit leaves no file behind */
  char *bad[] = {"trace", "fit", DATA "trace_negative.csv", "-o", out};
  assert_int_equal(ic_cli_trace(5, bad), IC_EXIT_BAD_INPUT);
  FILE *f = fopen(out, "r");
  assert_null(f);
}

#define ROWS(cases, fn)                                                                  \
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)                           \
  tests[n++] = (struct CMUnitTest){cases[i].name, fn, diag_capture, diag_release, &cases[i]}

int main(void) {
  struct CMUnitTest tests[64];
  size_t n = 0;
  ROWS(shipped_cases, run_shipped_case);
  ROWS(format_cases, run_format_case);
  ROWS(bad_cases, run_bad_case);
  ROWS(dt_cases, run_dt_case);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(datetime_cache_rows, diag_capture, diag_release);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(datetime_nul_refused, diag_capture, diag_release);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(content_hash_any_chunk, diag_capture, diag_release);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(stats_overflow_path, diag_capture, diag_release);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(cli_exit_codes, diag_capture, diag_release);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(fit_round_trip, diag_capture, diag_release);
  return _cmocka_run_group_tests("trace", tests, n, NULL, NULL);
}
