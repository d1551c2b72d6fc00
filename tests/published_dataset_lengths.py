#!/usr/bin/env python3
"""Mean prompt lengths of the MLPerf data sets, computed from published
per-sample token counts, and the check that the measurements table uses them.

    python3 tests/published_dataset_lengths.py            # print the statistics
    python3 tests/published_dataset_lengths.py --check    # exit 1 unless
        tests/data/published/datasets.csv holds exactly what the per-sample
        files give, and every MLPerf row of measurements.csv whose data set is
        listed there carries that mean as its input_tokens

The per-sample files (tests/data/published/datasets/*.csv.gz) are byte copies,
gzip-compressed, of mlperf-data/summaries/*.csv in
github.com/openshift-psap/performance-dashboard at commit
71007029fb5bced1d79808e7e64dc4c2af82ea55 (Apache-2.0): one line per sample of
the official MLCommons processed data set with its `input_length` (the length
of the sample's tokenized prompt, `tok_input` / `tok_input_length` /
`tok_input_len` of the pickle or JSON that MLCommons distributes) and
`output_length`. That repository's script mlperf-data/original/
generate_dataset_summaries.py says how each was made. The sha256 of each
uncompressed file is checked against datasets.csv.

Why these are the benchmark's own data sets: the sample counts are the
benchmarks' (24,576 / 15,000 / 8,313 / 13,368), and the mean reference output
lengths of the Mixtral-8x7B and Llama-3.1-405B files are the reference
tokens_per_sample that mlcommons/inference states for those benchmarks
(144.84 and 684.68, language/mixtral-8x7b/README.md and
language/llama3.1-405b/README.md at commit b66003e1): checked below to 0.01.
(The OpenOrca file's output_length is GPT-4's reference answer, not the
Llama-2 reference's 294.45 tokens; the CNN/DailyMail file's is characters / 4.
mean_output_tokens is each file's mean output_length: validate --lengths
dataset scales a file's outputs by a row's mean output over it, and uses the
OpenOrca outputs only as a spread, the CNN/DailyMail ones not at all.)

Standard library only, so CTest can run it wherever python3 exists."""
import csv
import gzip
import hashlib
import io
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "published")
STATS = os.path.join(DATA, "datasets.csv")
TABLE = os.path.join(DATA, "measurements.csv")
COLUMNS = ["dataset", "model", "samples", "mean_input_tokens", "median_input_tokens", "p90_input_tokens",
           "max_input_tokens", "reference_output_tokens", "mean_output_tokens", "summary_file", "summary_sha256",
           "source"]
# per-sample file -> (expected mean reference output length, where MLPerf states it) where checkable
OUTPUT_CROSS_CHECK = {"mixtral-8x7b.csv.gz": 144.84, "llama3-1-405b.csv.gz": 684.68}


def lengths(name):
    raw = gzip.open(os.path.join(DATA, "datasets", name), "rb").read()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    ins = sorted(int(float(r["input_length"])) for r in rows)
    outs = [float(r["output_length"]) for r in rows]
    return hashlib.sha256(raw).hexdigest(), ins, outs


def stats(ins):
    n = len(ins)
    median = ins[n // 2] if n % 2 else (ins[n // 2 - 1] + ins[n // 2]) / 2
    p90 = ins[-(-9 * n // 10) - 1]  # nearest rank
    return n, sum(ins) / n, median, p90, ins[-1]


def fmt(x):
    return ("%.4f" % x).rstrip("0").rstrip(".")


def main():
    check = "--check" in sys.argv[1:]
    with open(STATS, newline="") as f:
        listed = list(csv.DictReader(f))
    errs = []
    if not listed or list(listed[0].keys()) != COLUMNS:
        errs.append("%s: header must be %s" % (STATS, ",".join(COLUMNS)))
    means = {}
    for r in listed:
        sha, ins, outs = lengths(r["summary_file"])
        n, mean, median, p90, mx = stats(ins)
        got = {"samples": str(n), "mean_input_tokens": fmt(mean), "median_input_tokens": fmt(median),
               "p90_input_tokens": str(p90), "max_input_tokens": str(mx), "mean_output_tokens": fmt(sum(outs) / n),
               "summary_sha256": sha}
        print("%-45s n=%5d mean %9s median %7s p90 %5d max %5d  mean output %.4f" %
              (r["dataset"][:45], n, fmt(mean), fmt(median), p90, mx, sum(outs) / n))
        for k, v in got.items():
            if r[k] != v:
                errs.append("%s, %s: %s is %r, the per-sample file gives %r" % (STATS, r["dataset"], k, r[k], v))
        want = OUTPUT_CROSS_CHECK.get(r["summary_file"])
        if want is not None and abs(sum(outs) / n - want) > 0.01:
            errs.append("%s: mean output %.4f is not MLPerf's reference %.2f" % (r["summary_file"], sum(outs) / n, want))
        if not r["source"].startswith("https://") or str(n) not in r["dataset"]:
            errs.append("%s, %s: needs an https source and the sample count in its name" % (STATS, r["dataset"]))
        means[r["dataset"]] = r["mean_input_tokens"]
    with open(TABLE, newline="") as f:
        for t in csv.DictReader(f):
            if t["source_kind"] != "mlperf":
                continue
            want = means.get(t["dataset"])
            if want is None:
                errs.append("%s, %s: data set '%s' has no line in %s" % (TABLE, t["id"], t["dataset"], STATS))
            elif t["input_tokens"] != want:
                errs.append("%s, %s: input_tokens %r, the data set's mean is %s" % (TABLE, t["id"], t["input_tokens"], want))
    for e in errs:
        print("error: " + e, file=sys.stderr)
    if check and errs:
        return 1
    print("%s: %d data sets, every MLPerf row of the table uses their mean prompt length%s" %
          (STATS, len(listed), "" if not errs else " (NOT: %d errors)" % len(errs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
