#!/usr/bin/env bash
# Paired CPU time of two infercost binaries (docs/performance.md, "Thirteenth
# round"): for each workload, N rounds, each running OLD and NEW once, their
# order alternated round by round; user CPU time from `perf stat -e user_time`
# (nanoseconds: /usr/bin/time's %U is too coarse for 0.1-s runs). Prints each
# binary's best and median and the median of the rounds' ratios NEW/OLD, with
# the number of rounds NEW was faster: on a shared, noisy machine the paired
# ratio is the figure that compares; the best is the figure of a rate.
# Run from the repository root (the workloads name its scenarios).
# Usage: [WL="SD SW S25 S60"] tests/bench/pair_cpu.sh N OLD_BINARY NEW_BINARY
set -euo pipefail
n=$1 old=$2 new=$3
wl=${WL:-"S25 SD S60"}
declare -A W
W[S25]="scenarios/chatgpt-2025.ini -s run.warmup_s=5 -s run.duration_s=10"  # 434 k requests, mostly fill-up
W[SD]="-s run.duration_s=60"                                                 # the default, 272.6 k requests
W[S60]="scenarios/chatgpt-2025.ini -s fleet.nodes=60 -s traffic.queries_per_day=2.5e7 -s run.warmup_s=500 -s run.duration_s=1000"
W[SW]="scenarios/chatgpt-2025.ini -s run.warmup_s=60 -s run.duration_s=10"  # 2.0 M requests, the day's steady state
command -v perf >/dev/null || { echo "pair_cpu.sh: perf is needed (Debian: linux-perf)" >&2; exit 2; }
user_s() { perf stat -x, -e user_time "$@" 2>&1 >/dev/null | awk -F, '/user_time/ { printf "%.6f", $1 / 1e9 }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for w in $wl; do
  [ -n "${W[$w]:-}" ] || { echo "pair_cpu.sh: unknown workload $w (S25, SD, S60, SW)" >&2; exit 2; }
  : >"$tmp/$w"
  for i in $(seq "$n"); do
    # shellcheck disable=SC2086 # the workload's arguments split on purpose
    if ((i % 2)); then b=$(user_s "$new" run -q ${W[$w]}); a=$(user_s "$old" run -q ${W[$w]})
    else a=$(user_s "$old" run -q ${W[$w]}); b=$(user_s "$new" run -q ${W[$w]}); fi
    echo "$a $b" >>"$tmp/$w"
  done
  awk -v w="$w" '
    { o[NR] = $1; n[NR] = $2; r[NR] = $2 / $1; if ($2 < $1) f++ }
    function median(a, k,   i, j, t) { # sorts a in place (awk passes arrays by reference; N is small)
      for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    END { k = NR; mo = median(o, k); mn = median(n, k); mr = median(r, k)
          printf "%s old best %.4f median %.4f | new best %.4f median %.4f | paired %.3f, new faster in %d of %d\n",
                 w, o[1], mo, n[1], mn, mr, f + 0, k }' "$tmp/$w"
done
