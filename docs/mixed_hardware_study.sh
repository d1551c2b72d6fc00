#!/usr/bin/env bash
# The mixed-hardware study of docs/serving.md: GPT-3 175B at 2 M queries/day on
# DGX A100, DGX H100 and both. Usage, from the repository root:
#   docs/mixed_hardware_study.sh [build/infercost]
set -euo pipefail
bin=${1:-build/infercost}
out=out/mixed_hardware
mkdir -p "$out"
run() { # name, then run arguments
  local name=$1
  shift
  "$bin" run -q -o "$out/$name" "$@" -s traffic.queries_per_day=2e6 -s run.duration_s=600
  awk -F, -v n="$name" '$1=="usd_per_day"{u=$2} $1=="ttft_p99_s"{t=$2} $1=="tpot_p99_s"{p=$2}
    $1=="slo_attainment"{a=$2} $1=="gpus"{g=$2} $1=="usd_per_million_output_tokens"{m=$2}
    END{printf "%-22s gpus %4d  USD/day %9.0f  USD/M out %6.3f  TTFT p99 %6.3f  TPOT p99 %6.4f  SLO %.4f\n", n, g, u, m, t, p, a}' \
    "$out/$name/metrics.csv"
}
for n in 24 28 32; do run "a100x$n" -s fleet.nodes=$n -s fleet.gpu=a100-80gb; done
for n in 12 14 16; do run "h100x$n" -s fleet.nodes=$n -s fleet.gpu=h100-sxm; done
for mix in "12 8" "16 6" "8 10"; do
  set -- $mix
  ini="$out/mix_$1_$2.ini"
  printf '[serving]\nrouter = least_work\n[pool.a100]\ngpu = a100-80gb\nnodes = %s\n[pool.h100]\ngpu = h100-sxm\nnodes = %s\n' \
    "$1" "$2" > "$ini"
  run "mix_a$1_h$2_lw" "$ini"
  run "mix_a$1_h$2_lo" "$ini" -s serving.router=least_outstanding
done
