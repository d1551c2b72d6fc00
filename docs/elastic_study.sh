#!/usr/bin/env bash
# The elastic-fleet study of docs/scenarios.md (issue 17): scenarios/elastic-day.ini
# (a reserved base plus on-demand burst nodes released when idle) against the
# same load on a fixed owned fleet and a fixed rented one, and with the burst
# bought as spot capacity, and with the burst on a schedule made ahead: cost per day, SLO attainment, TTFT p99 over the day
# and over the morning scale-up (05:00-13:00), margin at the scenario's token
# prices. Usage, from the repository root: docs/elastic_study.sh [build/infercost]
set -euo pipefail
bin=${1:-build/infercost}
ini=scenarios/elastic-day.ini
out=out/elastic
mkdir -p "$out"
fixed=(-s power.powerdown=off -s pool.base.reserved_nodes=0 -s pool.burst.idle_node=kept)
owned=("${fixed[@]}" -s pool.base.pricing=own -s pool.burst.pricing=own)
spot=(-s pool.burst.burst_tier=spot -s pool.burst.spot_discount=0.6 -s pool.burst.spot_interruptions_per_node_hour=0.05)
# A plan made ahead instead of idle power-down: burst replicas in service by hour of the day.
scheduled=(-s power.powerdown=off -s pool.burst.autoscale=schedule
           -s "pool.burst.autoscale_replicas_hourly=1|1|1|1|1|1|2|2|4|6|6|6|8|8|8|8|8|6|6|4|4|2|2|1")
morning=(-s run.warmup_s=18000 -s run.duration_s=28800)
summary() { # dir: the figures of one run
  jq -r '[.metrics.usd_per_day, .metrics.slo_attainment, .metrics.ttft_p99_s, .money.gross_margin,
          .money.held_fraction] | @tsv' "$1/summary.json"
}
printf '%-22s %10s %8s %12s %16s %8s %8s\n' fleet USD/day SLO "TTFT p99 s" "p99 05-13h s" margin held
case_() { # name, overrides...
  local name=$1
  shift
  "$bin" run -q -o "$out/$name" "$ini" "$@"
  "$bin" run -q -o "$out/$name-morning" "$ini" "$@" "${morning[@]}"
  read -r usd slo ttft margin held < <(summary "$out/$name")
  read -r _ _ ttft_m _ _ < <(summary "$out/$name-morning")
  printf '%-22s %10.2f %8.4f %12.3f %16.3f %8.3f %8.3f\n' "$name" "$usd" "$slo" "$ttft" "$ttft_m" "$margin" "$held"
}
case_ elastic
case_ elastic-spot "${spot[@]}"
case_ scheduled "${scheduled[@]}"
case_ fixed-rented "${fixed[@]}"
case_ fixed-owned "${owned[@]}"
