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
  c eq 'gpus' ? 'GPUs' : c
