#!/usr/bin/env python3
"""Summarises `infercost validate --published -o DIR`'s DIR/published.csv by
GPU, metric and half, as docs/validation-published.md tabulates it, and lists
the worst rows.

    python3 tests/published_summary.py DIR/published.csv [--worst N]

Median and nearest-rank p90 of |error|, the same statistics validate prints,
and each half's objective as tests/fit_published.py scores it (mean over the
half's predicted rows of min(|error|, 1)), over every GPU and over the NVIDIA
ones.
Standard library only."""
import csv
import math
import sys


def stats(errors):
    a = sorted(abs(e) for e in errors)
    if not a:
        return "—"
    n = len(a)
    med = a[n // 2] if n % 2 else (a[n // 2 - 1] + a[n // 2]) / 2
    p90 = a[max(math.ceil(0.9 * n), 1) - 1]
    return "%.1f%% / %.1f%%" % (100 * med, 100 * p90)


def main():
    path = sys.argv[1]
    worst = int(sys.argv[sys.argv.index("--worst") + 1]) if "--worst" in sys.argv else 10
    rows = [r for r in csv.DictReader(open(path, newline="")) if r["status"] == "ok"]
    for r in rows:
        r["e"] = float(r["error"])
    gpus = sorted({r["gpu"] for r in rows}, key=["H100", "H200", "B200", "MI300X", "MI325X"].index)
    metrics = sorted({r["metric"] for r in rows})
    print("| GPU | metric | fit rows | fit median / p90 | held-out rows | held-out median / p90 |")
    print("|---|---|---|---|---|---|")
    for g in gpus + ["all"]:
        for m in metrics:
            sel = [r for r in rows if (g == "all" or r["gpu"] == g) and r["metric"] == m]
            if not sel:
                continue
            fit = [r["e"] for r in sel if r["split"] == "fit"]
            hold = [r["e"] for r in sel if r["split"] == "holdout"]
            print("| %s | %s | %d | %s | %d | %s |" % (g, m, len(fit), stats(fit), len(hold), stats(hold)))
    print()
    print("| source | metric | fit rows | fit median / p90 | held-out rows | held-out median / p90 |")
    print("|---|---|---|---|---|---|")
    for s in sorted({r["source_kind"] for r in rows}):
        for m in metrics:
            sel = [r for r in rows if r["source_kind"] == s and r["metric"] == m]
            if sel:
                fit = [r["e"] for r in sel if r["split"] == "fit"]
                hold = [r["e"] for r in sel if r["split"] == "holdout"]
                print("| %s | %s | %d | %s | %d | %s |" % (s, m, len(fit), stats(fit), len(hold), stats(hold)))
    print()
    for half in ("fit", "holdout"):
        for label, keep in (("every GPU", lambda g: True), ("NVIDIA", lambda g: g in ("H100", "H200", "B200"))):
            sel = [min(abs(r["e"]), 1.0) for r in rows if r["split"] == half and keep(r["gpu"])]
            if sel:
                print("objective, %s half, %s: %.4f over %d rows" % (half, label, sum(sel) / len(sel), len(sel)))
    print()
    print("worst %d rows by |error|:" % worst)
    for r in sorted(rows, key=lambda r: -abs(r["e"]))[:worst]:
        print("  %s %-7s %-6s %-14s %-11s %-17s %-5s published %-12s predicted %-12s %+.1f%%" %
              (r["id"], r["split"], r["gpu"], r["model"], r["mode"], r["metric"], r["statistic"], r["published"],
               r["predicted"], 100 * r["e"]))


if __name__ == "__main__":
    main()
