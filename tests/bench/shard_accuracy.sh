#!/usr/bin/env bash
# Sharded against unsharded runs (docs/performance.md, "Sharded mode"): for each
# shard count, the difference in cost per day and in TTFT / TPOT / e2e p99, and
# the wall time. Usage: tests/bench/shard_accuracy.sh BIN "SHARDS..." [run args...]
# e.g. tests/bench/shard_accuracy.sh build/infercost "1 2 4 8" -s run.duration_s=600 -s fleet.nodes=3616
set -euo pipefail
bin=$1 shards=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in $shards; do
  start=$(date +%s.%N)
  "$bin" run -q "$@" -s run.shards="$n" -s run.shard_workers=1 -o "$tmp/n$n"
  end=$(date +%s.%N)
  echo "$n $(echo "$end - $start" | bc)" >> "$tmp/wall"
done
python3 - "$tmp" $shards <<'PY'
import json, sys
tmp, shards = sys.argv[1], sys.argv[2:]
wall = dict(line.split() for line in open(f"{tmp}/wall"))
m = {n: json.load(open(f"{tmp}/n{n}/summary.json"))["metrics"] for n in shards}
base = m[shards[0]]
keys = ["usd_per_day", "ttft_p99_s", "tpot_p99_s", "e2e_p99_s"]
print("shards | completed | " + " | ".join(keys) + " | wall s (1 worker)")
for n in shards:
    cells = [f"{m[n][k]:.6g} ({(m[n][k] / base[k] - 1) * 100:+.3f} %)" for k in keys]
    print(f"{n} | {m[n]['completed']} | " + " | ".join(cells) + f" | {float(wall[n]):.1f}")
PY
