/* test_trace_jsonl.c: the JSON Lines reader (Mooncake and field-mapped),
 * gzip and standard input, and every bad-JSONL message. */
#define _POSIX_C_SOURCE 200809L
#include "ic_test.h"
#include "ic_test_cli.h"
#include "ic_test_diag.h"
#include "ic_test_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "infercost/status.h"
#include "infercost/trace.h"

#define MOONCAKE IC_SOURCE_DIR "/traces/mooncake_synthetic.jsonl"
#define DIR "/tmp/ic_test_trace_jsonl/"

static const char *fixture(const char *name, const char *text) { return ic_test_fixture(DIR, name, text); }

/* --- the shipped Mooncake trace ---------------------------------------------------- */

/* The content hash of the run's digest covers JSON Lines and gzip input:
 * it is FNV-1a 64 of the content as parsed (computed here by a loop of our
 * own over the plain file), and a gzip of the file hashes alike. */
static uint64_t hash_read(const char *path) {
  ic_status st;
  ic_trace *t = ic_trace_open(path, NULL, &st);
  assert_non_null(t);
  struct ic_trace_record r;
  while ((st = ic_trace_next(t, &r)) == IC_OK) {
  }
  assert_int_equal(st, IC_ENOENT);
  uint64_t h = ic_trace_content_hash(t);
  ic_trace_free(t);
  return h;
}

static void content_hash(void **state) {
  (void)state;
  char buf[16];
  const char *plain[] = {IC_SOURCE_DIR "/traces/mooncake_synthetic.jsonl", IC_SOURCE_DIR "/traces/azure2023_code.csv"};
  for (int i = 0; i < 2; i++) {
    uint64_t want = ic_test_fnv1a_file(plain[i]);
    assert_true(hash_read(plain[i]) == want);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p " DIR " && gzip -c %s > " DIR "h.gz", plain[i]);
    assert_int_equal(ic_test_shell(cmd, buf, sizeof buf), 0);
    assert_true(hash_read(DIR "h.gz") == want);
  }
  assert_true(hash_read(plain[0]) != hash_read(plain[1]));
}

/* The first rows as `head -3 traces/mooncake_synthetic.jsonl` shows them:
 * timestamps 0, 0, 40 ms; 40160 / 36640 / 23769 input tokens (79, 72 and
 * 47 blocks of 512, ids 0..78, 79..150, 151..197); 6 / 4 / 3 output. */
static void mooncake_rows(void **state) {
  (void)state;
  ic_status st;
  ic_trace *t = ic_trace_open(MOONCAKE, NULL, &st);
  assert_non_null(t);
  assert_int_equal(ic_trace_format(t), IC_TRACE_MOONCAKE);
  static const int64_t time_ms[] = {0, 0, 40}, in[] = {40160, 36640, 23769}, out[] = {6, 4, 3};
  static const size_t blocks[] = {79, 72, 47};
  static const uint64_t first_id[] = {0, 79, 151};
  struct ic_trace_record r;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(ic_trace_next(t, &r), IC_OK);
    assert_int_equal(r.line, i + 1);
    assert_int_equal(r.time_ns, time_ms[i] * 1000000);
    assert_int_equal(r.prompt_tokens, in[i]);
    assert_int_equal(r.output_tokens, out[i]);
    assert_int_equal(r.block_count, blocks[i]);
    assert_int_equal(r.block_ids[0], first_id[i]);
    assert_int_equal(r.block_ids[blocks[i] - 1], first_id[i] + blocks[i] - 1);
    assert_null(r.class_name);
  }
  uint64_t rows = 3;
  while ((st = ic_trace_next(t, &r)) == IC_OK) rows++;
  assert_int_equal(st, IC_ENOENT);
  assert_int_equal(rows, 3993); /* `wc -l` */
  assert_int_equal(r.time_ns, INT64_C(1022025) * 1000000); /* the last line's timestamp */
  ic_trace_free(t);
  assert_string_equal(diag.text, "");
}

/* `trace stats` of the Mooncake trace: the numbers of trace_stats.py
 * (python3 trace_stats.py mooncake_synthetic.jsonl, in the layout the CSV
 * tests use) and the prefix line of tests/prefix_hits.py. */
static void mooncake_stats_cli(void **state) {
  (void)state;
  char out[4096];
  assert_int_equal(ic_test_infercost("trace stats " MOONCAKE, out, sizeof out), 0);
  assert_non_null(strstr(out, "rows=3993 duration=1022.0s (0.28 h) mean_rate=3.907 req/s\n"
                              "peak 1-min: sliding 280 req (4.667 req/s), fixed-bin 273 req (4.550 req/s)\n"
                              "input  tokens: mean=15325.5 median=11587.0 p99=66458 min=13 max=191378\n"
                              "output tokens: mean=149.1 median=69.0 p99=769 min=1 max=893\n"
                              "inter-arrival: mean=0.2560s CV=1.011 zero-gap fraction=0.003"));
  assert_non_null(strstr(out, "prefix blocks of 512 tokens: rows=3993 distinct=43924, unbounded cache: hit "
                              "tokens=39852661 of 61194628 (0.651244), rows with a hit=1782\n"));
}

/* Standard input and gzip give the same report as the plain file. */
static void stdin_and_gzip(void **state) {
  (void)state;
  static char plain[4096], piped[4096], gz[4096];
  assert_int_equal(ic_test_infercost("trace stats " MOONCAKE " | tail -n +2", plain, sizeof plain), 0);
  assert_int_equal(ic_test_infercost("trace stats - < " MOONCAKE " | tail -n +2", piped, sizeof piped), 0);
  assert_string_equal(plain, piped);
  /* compress with zlib here, then read it back by name and from stdin */
  mkdir(DIR, 0700);
  FILE *src = fopen(MOONCAKE, "rb");
  gzFile dst = gzopen(DIR "m.jsonl.gz", "wb");
  assert_non_null(src);
  assert_non_null(dst);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, src)) > 0) assert_int_equal(gzwrite(dst, buf, (unsigned)n), (int)n);
  fclose(src);
  assert_int_equal(gzclose(dst), Z_OK);
  assert_int_equal(ic_test_infercost("trace stats " DIR "m.jsonl.gz | tail -n +2", gz, sizeof gz), 0);
  assert_string_equal(plain, gz);
  assert_int_equal(ic_test_infercost("trace stats - < " DIR "m.jsonl.gz | tail -n +2", gz, sizeof gz), 0);
  assert_string_equal(plain, gz);
  /* the same for a CSV trace */
  assert_int_equal(ic_test_infercost("trace stats " IC_SOURCE_DIR "/traces/azure2023_code.csv | tail -n +2", plain,
                                     sizeof plain), 0);
  assert_int_equal(ic_test_shell("gzip -c " IC_SOURCE_DIR "/traces/azure2023_code.csv > " DIR "c.csv.gz", buf, 16), 0);
  assert_int_equal(ic_test_infercost("trace stats " DIR "c.csv.gz | tail -n +2", gz, sizeof gz), 0);
  assert_string_equal(plain, gz);
  /* a cut gzip stream is a read error, exit 2 */
  assert_int_equal(ic_test_shell("head -c 20000 " DIR "c.csv.gz > " DIR "cut.csv.gz", buf, 16), 0);
  assert_int_equal(ic_test_infercost("trace stats " DIR "cut.csv.gz", gz, sizeof gz), 2);
  assert_non_null(strstr(gz, DIR "cut.csv.gz: read error: unexpected end of file\n"));
}

/* --- a field map ---------------------------------------------------------------------- */

/* Generic JSON Lines: fields by name, seconds, absolute times (the first
 * row is 0), string block ids, a class field; extra fields ignored. */
static void field_map(void **state) {
  (void)state;
  const char *p = fixture("map.jsonl", "{\"t\": 100.25, \"in\": 5, \"out\": 7, \"ids\": [\"a\", \"b\"], \"m\": \"chat\"}\n"
                                       "\n"
                                       "{\"t\": 101.5, \"in\": 2, \"out\": 0, \"ids\": [\"a\"], \"m\": 3, \"x\": null}\r\n");
  struct ic_trace_options opt = {.format = IC_TRACE_JSONL, .time_column = "t", .prompt_column = "in",
                                 .output_column = "out", .hash_column = "ids", .class_column = "m",
                                 .block_tokens = 4};
  ic_status st;
  ic_trace *t = ic_trace_open(p, &opt, &st);
  assert_non_null(t);
  struct ic_trace_record a, b;
  assert_int_equal(ic_trace_next(t, &a), IC_OK);
  assert_int_equal(a.time_ns, 0);
  assert_int_equal(a.block_count, 2); /* ceil(5 / 4) */
  uint64_t a0 = a.block_ids[0];
  assert_string_equal(a.class_name, "chat");
  assert_int_equal(ic_trace_next(t, &b), IC_OK);
  assert_int_equal(b.line, 3);        /* the blank line counts */
  assert_int_equal(b.time_ns, 1250000000);
  assert_int_equal(b.block_count, 1);
  assert_int_equal(b.block_ids[0], a0); /* the same string, the same id */
  assert_string_equal(b.class_name, "3");
  assert_int_equal(b.output_tokens, 0);
  assert_int_equal(ic_trace_next(t, &b), IC_ENOENT);
  ic_trace_free(t);
  assert_string_equal(diag.text, "");
}

/* --- bad input: the whole message of each ------------------------------------------- */

#define ROW0 "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 2, \"hash_ids\": [1, 2]}\n"

struct bad_case {
  const char *name, *text;
  bool skip;
  ic_status status;
  const char *message; /* after the path */
};

static struct bad_case bad_cases[] = {
    {"truncated_line", ROW0 "{\"timestamp\": 5, \"input_length\": 600, \"outp", false, IC_EINVAL,
     ":2: malformed JSON: the line ends inside an unfinished value (truncated?)\n"},
    {"broken_json", ROW0 "{\"timestamp\": 5, \"input_length\": 6,, \"output_length\": 1}\n", false, IC_EINVAL,
     ":2: malformed JSON near column 37\n"},
    {"text_after_object", ROW0 ROW0 "{} x\n", false, IC_EINVAL, ":3: malformed JSON near column 4: text after the object\n"},
    {"not_an_object", ROW0 "[1, 2]\n", false, IC_EINVAL, ":2: expected a JSON object on each line\n"},
    {"tokens_as_string", ROW0 "{\"timestamp\": 5, \"input_length\": \"600\", \"output_length\": 2, \"hash_ids\": [1, 2]}\n",
     false, IC_EINVAL, ":2: input_length: expected a whole number of tokens from 0 to 4194304, got \"600\"\n"},
    {"tokens_fraction", ROW0 "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 2.5, \"hash_ids\": [1, 2]}\n",
     false, IC_EINVAL, ":2: output_length: expected a whole number of tokens from 0 to 4194304, got 2.5\n"},
    {"tokens_negative", ROW0 "{\"timestamp\": 5, \"input_length\": -3, \"output_length\": 2, \"hash_ids\": []}\n", false,
     IC_EINVAL, ":2: input_length: expected a whole number of tokens from 0 to 4194304, got -3\n"},
    {"ten_million_token_prompt",
     ROW0 "{\"timestamp\": 5, \"input_length\": 10000000, \"output_length\": 2, \"hash_ids\": [1]}\n", false, IC_EINVAL,
     ":2: input_length: expected a whole number of tokens from 0 to 4194304, got 10000000\n"},
    {"missing_field", ROW0 "{\"timestamp\": 5, \"input_length\": 600, \"hash_ids\": [1, 2]}\n", false, IC_EINVAL,
     ":2: output_length: missing (the line has: timestamp, input_length, hash_ids)\n"},
    {"time_as_string", ROW0 "{\"timestamp\": \"5\", \"input_length\": 600, \"output_length\": 2, \"hash_ids\": [1, 2]}\n",
     false, IC_EINVAL, ":2: timestamp: expected a non-negative number of milliseconds, got \"5\"\n"},
    {"time_backwards",
     "{\"timestamp\": 100, \"input_length\": 600, \"output_length\": 2, \"hash_ids\": [1, 2]}\n"
     "{\"timestamp\": 40, \"input_length\": 600, \"output_length\": 2, \"hash_ids\": [1, 2]}\n",
     false, IC_EINVAL, ":2: timestamp: goes backwards: 0.060000 s before the previous row's (line 1)\n"},
    {"hash_ids_count", ROW0 "{\"timestamp\": 5, \"input_length\": 1100, \"output_length\": 2, \"hash_ids\": [1, 2]}\n",
     false, IC_EINVAL, ":2: hash_ids: 2 ids for 1100 prompt tokens, expected 3 (one per block of 512 tokens)\n"},
    {"hash_ids_item", ROW0 "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 2, \"hash_ids\": [1, -1]}\n",
     false, IC_EINVAL, ":2: hash_ids: item 2: expected an integer from 0 to 2^53 or a string, got -1\n"},
    {"hash_ids_not_array", ROW0 "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 2, \"hash_ids\": 7}\n",
     false, IC_EINVAL, ":2: hash_ids: expected an array of block ids, got 7\n"},
    {"hash_ids_missing_later", ROW0 "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 2}\n", false, IC_EINVAL,
     ":2: hash_ids: missing (the line has: timestamp, input_length, output_length)\n"},
    {"every_bad_row_reported",
     ROW0 "{\"timestamp\": 5, \"input_length\": -1, \"output_length\": 2, \"hash_ids\": []}\n"
          "{\"timestamp\": 6, \"input_length\": 600, \"output_length\": 2, \"hash_ids\": [1, 2]}\n"
          "{\"timestamp\": 7\n",
     false, IC_EINVAL,
     ":2: input_length: expected a whole number of tokens from 0 to 4194304, got -1\n"
     "X:4: malformed JSON: the line ends inside an unfinished value (truncated?)\n"},
    /* skipping is explicit: the rows are counted (2 good, 2 bad), nothing reported */
    {"skip_bad_rows_counts",
     ROW0 "{\"timestamp\": 5, \"input_length\": -1, \"output_length\": 2, \"hash_ids\": []}\n"
          "{\"timestamp\": 6, \"input_length\": 600, \"output_length\": 2, \"hash_ids\": [1, 2]}\n"
          "{\"timestamp\": 7\n",
     true, IC_OK, ""},
    {"all_rows_skipped", "{\"timestamp\": 7\n", true, IC_EINVAL,
     ": no valid rows: all 1 rows were bad and skipped (first: line 1: malformed JSON: the line ends inside an "
     "unfinished value (truncated?))\n"},
    {"empty_file", "\n\n", false, IC_EINVAL, ": empty file: expected one JSON object per line\n"},
};

static void run_bad_case(void **state) {
  const struct bad_case *c = *state;
  char name[80], expect[2048];
  snprintf(name, sizeof name, "%s.jsonl", c->name);
  const char *path = fixture(name, c->text);
  struct ic_trace_options opt = {.format = IC_TRACE_MOONCAKE, .skip_bad_rows = c->skip};
  struct ic_trace_stats st;
  assert_int_equal(ic_trace_stats_compute(path, &opt, &st), c->status);
  /* every message line starts with the path ("X" stands for it after the first) */
  char *out = expect;
  for (const char *m = c->message; *m;) {
    const char *nl = strchr(m, '\n');
    if (*m == 'X') m++;
    out += sprintf(out, "%s%.*s", path, (int)(nl - m + 1), m);
    m = nl + 1;
  }
  *out = '\0';
  assert_string_equal(diag.text, expect);
  if (c->status == IC_OK) {
    assert_int_equal(st.rows, 2);
    assert_int_equal(st.skipped_rows, 2);
  }
}

/* A line longer than IC_TRACE_LINE_MAX is one bad row, and the next line
 * is read normally. */
static void long_line(void **state) {
  (void)state;
  mkdir(DIR, 0700);
  FILE *f = fopen(DIR "long.jsonl", "wb");
  assert_non_null(f);
  fputs(ROW0 "{\"timestamp\": 1, \"x\": \"", f);
  for (int i = 0; i < IC_TRACE_LINE_MAX / 8 + 1; i++) fputs("abcdefgh", f);
  fputs("\"}\n" ROW0, f);
  fclose(f);
  struct ic_trace_options opt = {.skip_bad_rows = true};
  struct ic_trace_stats st;
  assert_int_equal(ic_trace_stats_compute(DIR "long.jsonl", &opt, &st), IC_OK);
  assert_int_equal(st.rows, 2);
  assert_int_equal(st.skipped_rows, 1);
  opt.skip_bad_rows = false;
  assert_int_equal(ic_trace_stats_compute(DIR "long.jsonl", &opt, &st), IC_EINVAL);
  assert_string_equal(diag.text, DIR "long.jsonl:2: line longer than 4194304 bytes\n");
}

/* From the command line: exit 2 with the message, for stats and for a run
 * (before anything is simulated). */
static void cli_exit_codes(void **state) {
  (void)state;
  fixture("cli.jsonl", ROW0 "{\"timestamp\": 5, \"input_length\": 10000000, \"output_length\": 2, \"hash_ids\": [1]}\n");
  char out[4096];
  assert_int_equal(ic_test_infercost("trace stats " DIR "cli.jsonl", out, sizeof out), 2);
  assert_string_equal(out, DIR "cli.jsonl:2: input_length: expected a whole number of tokens from 0 to 4194304, got "
                               "10000000\n");
  assert_int_equal(ic_test_infercost("run -q -s traffic.arrival=trace -s traffic.trace_path=" DIR "cli.jsonl", out,
                                     sizeof out), 2);
  assert_non_null(strstr(out, DIR "cli.jsonl:2: input_length: expected a whole number of tokens from 0 to 4194304, "
                              "got 10000000\n"));
}

/* Options that do not fit the file are refused by name. */
static void option_mismatch(void **state) {
  (void)state;
  const char *p = fixture("opt.jsonl", ROW0);
  struct ic_trace_options opt = {.format = IC_TRACE_JSONL, .time_column = "timestamp"};
  ic_status st;
  assert_null(ic_trace_open(p, &opt, &st));
  assert_int_equal(st, IC_EINVAL);
  assert_non_null(strstr(diag.text, "opt.jsonl: format jsonl: no prompt tokens field given\n"));
  struct ic_trace_options csv = {.hash_column = "ids"};
  assert_null(ic_trace_open(IC_SOURCE_DIR "/traces/azure2023_code.csv", &csv, &st));
  assert_non_null(strstr(diag.text, "azure2023_code.csv: block ids are read from JSON Lines traces only; this one "
                                    "is CSV\n"));
}

#define ROWS(cases, fn)                                                                  \
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)                           \
  tests[n++] = (struct CMUnitTest){cases[i].name, fn, diag_capture, diag_release, &cases[i]}
#define ONE(fn) tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(fn, diag_capture, diag_release)

int main(void) {
  struct CMUnitTest tests[64];
  size_t n = 0;
  ONE(mooncake_rows);
  ONE(mooncake_stats_cli);
  ONE(stdin_and_gzip);
  ONE(content_hash);
  ONE(field_map);
  ROWS(bad_cases, run_bad_case);
  ONE(long_line);
  ONE(cli_exit_codes);
  ONE(option_mismatch);
  return _cmocka_run_group_tests("trace_jsonl", tests, n, NULL, NULL);
}
