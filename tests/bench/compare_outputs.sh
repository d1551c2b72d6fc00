#!/usr/bin/env bash
# Byte-for-byte comparison of two infercost binaries' runs (docs/performance.md,
# fifth round): for each configuration below, every file written with -o, the
# printed report, standard error and the exit status of OLD and NEW must be
# identical. Run from the repository root; prints each configuration that
# differs and exits 1 if any does.
# Usage: tests/bench/compare_outputs.sh OLD_BINARY NEW_BINARY
# (e.g. the branch's start built in a scratch directory and copied aside, and build/infercost)
set -uo pipefail
old=$1 new=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
run() { # name, then the run's arguments (a name ending in "-p": the printed report alone, without -o)
  local name=$1
  shift
  for side in old new; do
    local bin=$old out=()
    [ "$side" = new ] && bin=$new
    mkdir -p "$tmp/$side/$name/o"
    # Without -o nothing keeps the series, so the paths that defer a request's records (item 260) run in the window too.
    [ "${name%-p}" = "$name" ] && out=(-o "$tmp/$side/$name/o")
    "$bin" run "$@" "${out[@]}" >"$tmp/$side/$name/stdout" 2>"$tmp/$side/$name/stderr"
    echo $? >"$tmp/$side/$name/rc"
  done
  n=$((n + 1))
  if ! diff -r "$tmp/old/$name" "$tmp/new/$name" >/dev/null; then
    echo "differs: $name ($*)"
    fail=1
  fi
}
run def60 -s run.duration_s=60
run def400 -s run.duration_s=30 -s fleet.nodes=400 -s run.series_interval_s=1
run deflogn -s run.duration_s=30 -s traffic.prompt_dist=lognormal -s traffic.output_dist=lognormal
run defrp2 -s run.duration_s=30 -s perf.roofline_p=2
run defmbt -s run.duration_s=30 -s serving.max_batched_tokens=2048
run defchunk -s run.duration_s=30 -s serving.prefill_chunk_tokens=512
run defsteps -s run.duration_s=30 -s serving.scheduler_steps=8 -s serving.prefill_min_queue=3
run defreserve -s run.duration_s=30 -s serving.admission=reserve
run dsv3 scenarios/deepseek-v3-h200.ini -s run.duration_s=120
run y2025 scenarios/chatgpt-2025.ini -s run.warmup_s=3 -s run.duration_s=5 -s run.series_interval_s=1
run y2025rp2 scenarios/chatgpt-2025.ini -s run.warmup_s=2 -s run.duration_s=4 -s perf.roofline_p=2
run y2025sh scenarios/chatgpt-2025.ini -s run.warmup_s=2 -s run.duration_s=4 -s run.shards=2
run y2025n60 scenarios/chatgpt-2025.ini -s fleet.nodes=60 -s traffic.queries_per_day=2.5e7 -s run.warmup_s=20 -s run.duration_s=60
run elastic scenarios/elastic-day.ini -s run.duration_s=600
run mooncake scenarios/mooncake-replay.ini -s run.duration_s=300
run c2023 scenarios/chatgpt-2023.ini
run disagg tests/data/disagg_search.ini -s run.duration_s=400
run gptoss scenarios/gpt-oss-120b-h100.ini
run classes -s run.duration_s=30 -s 'traffic.class_names=chat|code' -s 'traffic.class_prompt_tokens=500|1200' -s serving.router=least_outstanding
run class1 -s run.duration_s=30 -s traffic.class_names=chat -s traffic.output_dist=lognormal
run def60-p -s run.duration_s=60
run deflogn-p -s run.duration_s=30 -s traffic.prompt_dist=lognormal -s traffic.output_dist=lognormal
run defchunk-p -s run.duration_s=30 -s serving.prefill_chunk_tokens=512
run defsteps-p -s run.duration_s=30 -s serving.scheduler_steps=8 -s serving.prefill_min_queue=3
run y2025-p scenarios/chatgpt-2025.ini -s run.warmup_s=3 -s run.duration_s=5
run dsv3-p scenarios/deepseek-v3-h200.ini -s run.duration_s=120
run c2023-p scenarios/chatgpt-2023.ini
run classes-p -s run.duration_s=30 -s 'traffic.class_names=chat|code' -s 'traffic.class_prompt_tokens=500|1200' -s serving.router=least_outstanding
echo "compared $n configurations: $([ $fail = 0 ] && echo identical || echo DIFFERENT)"
exit $fail
