#!/usr/bin/env bash
# The disaggregation study of docs/serving.md: Llama-3-70B (TP 4, two replicas
# per 8-GPU node) at 4 M queries/day of 2,000-token prompts and 300-token
# outputs, colocated against prefill/decode pools at several splits and two
# GPU mixes. Usage, from the repository root: docs/disagg_study.sh [build/infercost]
set -euo pipefail
bin=${1:-build/infercost}
out=out/disagg
mkdir -p "$out"
common=(-s model.name=llama3-70b -s fleet.gpus_per_replica=4 -s traffic.queries_per_day=4e6
        -s traffic.prompt_tokens=2000 -s traffic.output_tokens=300 -s run.duration_s=600)
row() { # name
  awk -F, -v n="$1" '$1=="usd_per_day"{u=$2} $1=="ttft_p99_s"{t=$2} $1=="tpot_p99_s"{p=$2} $1=="slo_attainment"{a=$2}
    $1=="gpus"{g=$2} $1=="transfer_p99_s"{x=$2} $1=="stable"{s=$2}
    END{printf "%-26s gpus %4d  USD/day %8.0f  TTFT p99 %7.3f  TPOT p99 %7.4f  transfer p99 %7.4f  SLO %.4f  stable %d\n", n, g, u, t, p, x, a, s}' \
    "$out/$1/metrics.csv"
}
colocated() { # name, nodes, gpu, extra
  "$bin" run -q -o "$out/$1" "${common[@]}" -s fleet.nodes="$2" -s fleet.gpu="$3" "${@:4}"
  row "$1"
}
disagg() { # name, prefill nodes, prefill gpu, decode nodes, decode gpu, extra
  local ini="$out/$1.ini"
  printf '[pool.prefill]\nrole = prefill\nnodes = %s\ngpu = %s\n[pool.decode]\nrole = decode\nnodes = %s\ngpu = %s\n' \
    "$2" "$3" "$4" "$5" > "$ini"
  "$bin" run -q -o "$out/$1" "$ini" "${common[@]}" "${@:6}"
  row "$1"
}
colocated colo_h100x8_chunk512 8 h100-sxm -s serving.prefill_chunk_tokens=512
colocated colo_h100x10 10 h100-sxm
colocated colo_h100x10_chunk512 10 h100-sxm -s serving.prefill_chunk_tokens=512
disagg dis_h100_4p4d 4 h100-sxm 4 h100-sxm
disagg dis_h100_4p6d 4 h100-sxm 6 h100-sxm
disagg dis_h100_5p5d 5 h100-sxm 5 h100-sxm
disagg dis_h100_4p4d_b64 4 h100-sxm 4 h100-sxm -s pool.decode.max_batch=64
disagg dis_h100p4_a100d6_b64 4 h100-sxm 6 a100-80gb -s pool.decode.max_batch=64
disagg dis_h100p4_a100d8 4 h100-sxm 8 a100-80gb
