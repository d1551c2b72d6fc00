#!/usr/bin/env bash
# Regenerates the "## Keys" table of docs/scenario-format.md from the program's
# own resolved-scenario printout. Usage: docs/gen_keys_table.sh build/infercost
set -euo pipefail
bin=${1:-build/infercost}
doc="$(dirname "$0")/scenario-format.md"
head=$(sed '/^| key | default | unit | meaning |$/q' "$doc")
{
  printf '%s\n|---|---|---|---|\n' "$head"
  "$bin" scenario | awk '
    /^\[/ { sec = substr($1, 2, length($1) - 2); next }
    / = / && sec != "" {
      key = $1; rest = $0; sub(/^[^=]*= /, "", rest)
      val = rest; sub(/  # .*$/, "", val)
      cmt = rest; sub(/^.*  # /, "", cmt)
      unit = ""; doc = cmt
      # a unit is one word ("s", "USD/GPU-h"); a doc may hold "; " itself
      pre = substr(cmt, 1, index(cmt, "; ") - 1)
      if (index(cmt, "; ") > 0 && pre !~ / /) { unit = substr(cmt, 1, index(cmt, "; ") - 1); doc = substr(cmt, index(cmt, "; ") + 2) }
      printf "| `%s.%s` | %s | %s | %s |\n", sec, key, val, unit, doc
    }'
} > "$doc.tmp"
mv "$doc.tmp" "$doc"
