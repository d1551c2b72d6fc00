#!/usr/bin/env python3
"""Independent reference for the arrival part of `infercost trace fit`.

Usage: python3 tests/fit_reference.py FILE   (Azure CSV or Mooncake JSONL)

Standard library only; shares no code with the C implementation. Times are
read as exact integer nanoseconds from the first arrival. Definitions (as
docs/traffic.md states them):
  W  = 60 s (or 10 timestamp-grid steps when that is longer), whole seconds
  P  = max(6 W, ceil(span / 24 / W) W); n = min(24, max(1, round(span / P)))
  bin b holds arrivals in [b P, (b + 1) P), the last one everything after;
  its rate is count / P (the last: count / max(span - (n - 1) P, W));
  profile = rates / their mean
  windows [k W, (k + 1) W) inside the span: count c_k, expected m_k = the
  rate of the bin holding the window's middle x W;
  dispersion D = sum (c_k - m_k)^2 / sum m_k x w / (w - 1), w = P / W;
  arrival CV = sqrt(D), kept within [0.05, 100].
Prints the three lines of the fitted section that these determine.
"""
import json
import math
import sys
from datetime import datetime, timezone


def azure_ns(text):
    base, _, frac = text.strip().partition(".")
    dt = datetime.strptime(base, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    frac = (frac + "000000000")[:9]
    return int(dt.timestamp()) * 10**9 + int(frac)


def load(path):
    with open(path, encoding="utf-8") as f:
        first = f.readline()
        if first.lstrip().startswith("{"):
            lines = [first] + f.readlines()
            return [int(json.loads(l)["timestamp"]) * 10**6 for l in lines if l.strip()]
        return [azure_ns(l.split(",")[0]) for l in f if l.strip()]


def weights(ws):
    for digits in (3, 2, 1, 0):
        text = "|".join("%.*f" % (digits, w) for w in ws)
        if len(text) < 128:
            return text


def main():
    t = load(sys.argv[1])
    t0 = t[0]
    t = [x - t0 for x in t]
    grid = 0
    for a, b in zip(t, t[1:]):
        if b > a:
            grid = math.gcd(grid, b - a)
    span = t[-1] / 1e9
    W = math.ceil(max(60.0, 10 * grid / 1e9))
    P = max(6 * W, math.ceil(span / 24 / W) * W)
    n = min(24, max(1, int(math.floor(span / P + 0.5))))
    counts = [0] * n
    for x in t:
        counts[min(n - 1, (x // 10**9) // P)] += 1
    rates = [counts[b] / (P if b + 1 < n else max(span - (n - 1) * P, W)) for b in range(n)]
    mean = sum(rates) / n
    win = {}
    for x in t:
        k = (x // 10**9) // W
        win[k] = win.get(k, 0) + 1
    num = den = 0.0
    k = 0
    while (k + 1) * W <= span:
        b = min(n - 1, int((k * W + 0.5 * W) // P))
        m = rates[b] * W
        num += (win.get(k, 0) - m) ** 2
        den += m
        k += 1
    w = P / W
    cv = min(100.0, max(0.05, math.sqrt(num / den * (w / (w - 1)))))
    print("arrival_cv = %.4g" % cv)
    print("rate_profile = %s" % weights([r / mean for r in rates]))
    print("rate_profile_bin_s = %g" % P)


if __name__ == "__main__":
    main()
