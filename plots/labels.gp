# labels.gp: axis labels with units for the headline metric columns (loaded
# by the plot scripts). An unknown column is shown by its name.
label_of(c) = \
  c eq 'usd_per_day' ? 'cost (USD/day)' : \
  c eq 'usd_per_query' ? 'cost per query (USD)' : \
  c eq 'usd_per_million_output_tokens' ? 'cost (USD per million output tokens)' : \
  c eq 'queries_per_day' ? 'queries served (per day)' : \
  c eq 'wh_per_query' ? 'energy per query (Wh)' : \
  c eq 'energy_usd_per_day' ? 'IT energy (USD/day)' : \
  c eq 'cooling_usd_per_day' ? 'cooling and facility (USD/day)' : \
  c eq 'amortization_usd_per_day' ? 'amortization (USD/day)' : \
  c eq 'other_usd_per_day' ? 'other (USD/day)' : \
  c eq 'e2e_mean_s' ? 'end-to-end latency, mean (s)' : \
  c eq 'e2e_p99_s' ? 'end-to-end latency, p99 (s)' : \
  c eq 'ttft_mean_s' ? 'time to first token, mean (s)' : \
  c eq 'ttft_p99_s' ? 'time to first token, p99 (s)' : \
  c eq 'tpot_mean_s' ? 'time per output token, mean (s)' : \
  c eq 'tpot_p99_s' ? 'time per output token, p99 (s)' : \
  c eq 'wait_mean_s' ? 'queueing delay, mean (s)' : \
  c eq 'utilisation' ? 'utilisation (fraction of replica time busy)' : \
  c eq 'mean_batch_size' ? 'mean batch size (requests)' : \
  c eq 'slo_attainment' ? 'SLO attainment (fraction of requests)' : \
  c eq 'gpus' ? 'GPUs' : label_of2(c)
label_of2(c) = \
  c eq 'stable' ? 'stable (1: queues did not grow)' : \
  c eq 'gco2e_per_query' ? 'carbon per query (gCO2e)' : \
  c eq 'e2e_p50_s' ? 'end-to-end latency, median (s)' : \
  c eq 'throughput_rps' ? 'throughput (requests/s)' : c

# Thousands separators ("1,234,567"): gnuplot's own formats have none
# without a locale, so tick labels are written with these.
commas_pos(v) = v < 1000 ? sprintf("%.0f", v) : commas_pos(floor(v / 1000)) . sprintf(",%03.0f", v - 1000 * floor(v / 1000))
commas(v) = v != v ? "NaN" : v < 0 ? "-" . commas_pos(floor(-v + 0.5)) : commas_pos(floor(v + 0.5))
# A tick step giving about five ticks over [0, r]: 1, 2 or 5 times a power of ten.
tick_mag(r) = 10 ** floor(log10(r / 5.0))
nice_step(r) = (r / 5.0 / tick_mag(r) <= 1 ? 1 : r / 5.0 / tick_mag(r) <= 2 ? 2 : r / 5.0 / tick_mag(r) <= 5 ? 5 : 10) * tick_mag(r)
tick_text(v, step) = step >= 1 ? commas(v) : gprintf("%g", v)
# A title with the scenario and window under it, when the table's sidecar names them.
if (!exists("subtitle")) subtitle = ''
with_subtitle(t) = subtitle ne '' ? t . "\n" . subtitle : t
