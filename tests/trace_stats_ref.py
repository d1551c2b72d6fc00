#!/usr/bin/env python3
"""Reference implementation of `infercost trace stats`, independent of the C code.

Standard library only. Reads a trace (Azure, BurstGPT or Vidur CSV, told
apart by the header, or Mooncake JSON Lines: a first line starting with
'{'; gzip-compressed or not), computes every figure of `infercost trace stats` from
the definitions in docs/formats/trace.md with exact arithmetic (times in
integer nanoseconds, means and variances as fractions, rounded once when
printed), and prints them in the same layout. The prefix-block line of a
trace with hash_ids comes from tests/prefix_hits.py (a trie of raw ids).

    python3 tests/trace_stats_ref.py FILE...                 # print the statistics
    python3 tests/trace_stats_ref.py --infercost BIN FILE... # compare with BIN trace stats

With --infercost it exits 1 and shows both texts when any line differs
(CTest runs it that way when python3 is installed; see CMakeLists.txt).
"""
import csv
import datetime
import gzip
import io
import json
import math
import os
import subprocess
import sys
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prefix_hits import hit_line  # noqa: E402

NS = 10**9
EPOCH = datetime.date(1970, 1, 1)


def decimal_ns(text):
    """'12.345' seconds -> nanoseconds, exactly (fraction beyond 9 digits cut)."""
    whole, _, frac = text.strip().partition(".")
    frac = (frac + "0" * 9)[:9]
    return int(whole or "0") * NS + int(frac)


def datetime_ns(text):
    """'YYYY-MM-DD HH:MM:SS[.f][Z|+HH:MM|-HH:MM]' -> ns since 1970 UTC, exactly."""
    text = text.strip()
    date, time = text[:10], text[11:]
    offset_s = 0
    if time.endswith("Z"):
        time = time[:-1]
    elif len(time) > 6 and time[-6] in "+-" and time[-3] == ":":
        sign = 1 if time[-6] == "+" else -1
        offset_s = sign * (int(time[-5:-3]) * 3600 + int(time[-2:]) * 60)
        time = time[:-6]
    hms, _, frac = time.partition(".")
    h, m, s = (int(x) for x in hms.split(":"))
    days = (datetime.date(int(date[:4]), int(date[5:7]), int(date[8:10])) - EPOCH).days
    secs = days * 86400 + h * 3600 + m * 60 + s - offset_s
    return secs * NS + int((frac + "0" * 9)[:9])


def tokens(text):
    """A whole number, also written as '12.0'."""
    whole, _, frac = text.strip().partition(".")
    assert frac.strip("0") == "", text
    return int(whole)


# name, the three header names, how to read the time column
LAYOUTS = [
    ("azure", ("TIMESTAMP", "ContextTokens", "GeneratedTokens"), datetime_ns),
    ("burstgpt", ("Timestamp", "Request tokens", "Response tokens"), decimal_ns),
    ("vidur", ("arrived_at", "num_prefill_tokens", "num_decode_tokens"), decimal_ns),
]


def read(path):
    """(layout, [(time_ns, input, output)], [(hash_ids, input)] or None)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8-sig")
    if text.lstrip().startswith("{"):  # Mooncake: timestamp in ms, relative
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        data = [(int(Fraction(str(r["timestamp"])) * 10**6), int(r["input_length"]), int(r["output_length"]))
                for r in rows]
        blocks = [(r["hash_ids"], int(r["input_length"])) for r in rows] if "hash_ids" in rows[0] else None
        return "mooncake", data, blocks
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    header = [h.strip() for h in rows[0]]
    for name, cols, parse_time in LAYOUTS:
        if all(c in header for c in cols):
            i, j, k = (header.index(c) for c in cols)
            data = [(parse_time(r[i]), tokens(r[j]), tokens(r[k])) for r in rows[1:]]
            return name, data, None
    raise SystemExit("%s: unknown header %s" % (path, ",".join(header)))


def median(sorted_values):
    n = len(sorted_values)
    if n % 2:
        return Fraction(sorted_values[n // 2])
    return Fraction(sorted_values[n // 2 - 1] + sorted_values[n // 2], 2)


def nearest_rank(sorted_values, p):
    k = max(1, math.ceil(Fraction(p, 100) * len(sorted_values)))
    return sorted_values[k - 1]


def stats_text(path):
    layout, data, blocks = read(path)
    times = [t for t, _, _ in data]
    n = len(times)
    out_of_order = sum(1 for a, b in zip(times, times[1:]) if b < a)
    span = Fraction(times[-1] - times[0], NS)
    # sliding window: arrivals j..i with t_i - t_j < 60 s
    peak, j = 0, 0
    for i, t in enumerate(times):
        while t - times[j] >= 60 * NS:
            j += 1
        peak = max(peak, i - j + 1)
    bins = {}
    for t in times:
        b = (t - times[0]) // (60 * NS)
        bins[b] = bins.get(b, 0) + 1
    fixed = max(bins.values())
    lines = ["== %s [%s]" % (path, layout)]
    lines.append("rows=%d duration=%.1fs (%.2f h) mean_rate=%.3f req/s"
                 % (n, span, span / 3600, Fraction(n) / span))
    lines.append("peak 1-min: sliding %d req (%.3f req/s), fixed-bin %d req (%.3f req/s)"
                 % (peak, Fraction(peak, 60), fixed, Fraction(fixed, 60)))
    for label, col in (("input  tokens", 1), ("output tokens", 2)):
        v = sorted(r[col] for r in data)
        lines.append("%s: mean=%.1f median=%.1f p99=%d min=%d max=%d"
                     % (label, Fraction(sum(v), n), median(v), nearest_rank(v, 99), v[0], v[-1]))
    gaps = [Fraction(b - a, NS) for a, b in zip(times, times[1:])]
    mean_gap = sum(gaps) / len(gaps)
    var_gap = sum((g - mean_gap) ** 2 for g in gaps) / len(gaps)  # population variance
    lines.append("inter-arrival: mean=%.4fs CV=%.3f zero-gap fraction=%.3f out-of-order rows=%d zero-output rows=%d"
                 % (mean_gap, math.sqrt(var_gap) / mean_gap, Fraction(sum(1 for g in gaps if g == 0), len(gaps)),
                    out_of_order, sum(1 for r in data if r[2] == 0)))
    if blocks:
        lines.append(hit_line(blocks, 512))
    return "\n".join(lines) + "\n"


def main(argv):
    binary = None
    if len(argv) > 2 and argv[1] == "--infercost":
        binary, argv = argv[2], argv[2:]
    paths = argv[1:]
    if not paths:
        raise SystemExit(__doc__)
    failed = 0
    for path in paths:
        expect = stats_text(path)
        if binary is None:
            sys.stdout.write(expect)
            continue
        got = subprocess.run([binary, "trace", "stats", path], capture_output=True, text=True, check=False).stdout
        if got != expect:
            failed += 1
            sys.stdout.write("MISMATCH %s\n-- reference:\n%s-- infercost:\n%s" % (path, expect, got))
        else:
            sys.stdout.write("ok %s\n" % path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
