/* fuzz_trace.c: the trace reader, every format. The first byte picks the
 * format (CSV or JSON Lines), time unit and options (and a tiny chunk size, so rows straddle
 * chunks); the rest is the file. Read to the end, then the statistics. */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */

#include "infercost/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  if (size < 1) return 0;
  uint8_t o = data[0];
  const char *path = fuzz_file(data + 1, size - 1);
  struct ic_trace_options opt = {0};
  opt.format = o % 7; /* auto, azure, burstgpt, vidur, generic, mooncake, jsonl */
  opt.time_unit = (o / 7) % 5;
  opt.skip_bad_rows = o & 0x20;
  opt.no_header = o & 0x40;
  opt.time_relative = o & 0x80;
  opt.chunk_bytes = (o & 0x10) ? 7 : 0;
  if (opt.format == IC_TRACE_GENERIC || opt.format == IC_TRACE_JSONL) {
    snprintf(opt.time_column, sizeof opt.time_column, "%s", opt.no_header ? "1" : "time");
    snprintf(opt.prompt_column, sizeof opt.prompt_column, "%s", opt.no_header ? "2" : "in");
    snprintf(opt.output_column, sizeof opt.output_column, "%s", opt.no_header ? "3" : "out");
  }
  ic_status st;
  ic_trace *t = ic_trace_open(path, &opt, &st);
  if (t) {
    struct ic_trace_record r;
    ic_time_ns last = INT64_MIN;
    while ((st = ic_trace_next(t, &r)) == IC_OK) {
      if (r.prompt_tokens < 0 || r.output_tokens < 0 || r.time_ns < last) abort(); /* the reader's promises */
      last = r.time_ns;
    }
    ic_trace_free(t);
  }
  struct ic_trace_stats stats;
  if (ic_trace_stats_compute(path, &opt, &stats) == IC_OK) {
    FILE *f = fopen("/dev/null", "w");
    ic_trace_stats_write(f, path, &stats);
    struct ic_trace_fit_options fo = {.grow = 1};
    ic_trace_fit_write(f, path, &opt, &stats, &fo);
    fclose(f);
  }
  return 0;
}
