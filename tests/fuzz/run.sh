#!/usr/bin/env bash
# Runs one fuzz target for a bounded time: tests/fuzz/run.sh NAME SECONDS [BUILD_DIR]
# (NAME: trace, scenario, set, sweep, target, plot). The build directory must
# be configured with clang and -DIC_FUZZ=ON (see docs/reliability.md). The
# seed corpus is copied, so the repository's corpus only changes by hand.
# Exit status: 0 when the time ran out with no crash, sanitizer report, leak
# or timeout; the fuzzer's non-zero status otherwise (its log says which).
set -euo pipefail
name=$1 seconds=$2 build=${3:-build-fuzz}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "$build" 2>/dev/null && pwd)/fuzz_$name
[ -x "$bin" ] || { echo "run.sh: $bin not built (cmake -DCMAKE_C_COMPILER=clang -DIC_FUZZ=ON)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ic-fuzz-$name-XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/tests/fuzz/corpus/$name" "$work/corpus"
# -timeout: one input over 10 s is a hang; -rss_limit_mb: unbounded memory is a finding.
# Leaks are findings too (LeakSanitizer runs at exit of each crash-free run).
(cd "$work" && "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" corpus) > "$work/log" 2>&1 && rc=0 || rc=$?
# Executions and coverage (edges "cov", features "ft") at the end.
{ grep -E "cov: " "$work/log" || true; } | tail -1
{ grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$work/log" || true; }
if [ -n "${IC_FUZZ_KEEP_LOG:-}" ]; then cp "$work/log" "$IC_FUZZ_KEEP_LOG"; fi  # the whole libFuzzer log
if [ "$rc" -ne 0 ]; then
  tail -40 "$work/log"
  mkdir -p "$root/fuzz-findings"
  cp "$work"/crash-* "$work"/timeout-* "$work"/leak-* "$work"/oom-* "$root/fuzz-findings/" 2>/dev/null || true
  echo "fuzz_$name: FAILED (exit $rc); inputs kept in fuzz-findings/" >&2
fi
exit "$rc"
