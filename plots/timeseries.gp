# timeseries.gp: a run's time series, panels sharing a time axis (hours, or
# minutes for runs under 3 h): arrival rate, busy replicas, IT power, the
# electricity price and carbon intensity when they vary by hour, queue length.
# Input: `run -o DIR`'s DIR/timeseries.csv, one row per run.series_interval_s,
# `time_s` being the end of the interval.
#
#   gnuplot -e "in='out/timeseries.csv'; out='out/timeseries.png'; fmt='png'" plots/timeseries.gp
#
# Variables:
#   in, out, fmt   input CSV, output path, 'png' (default) or 'svg'
#   replicas       fleet size in replicas; when given, utilisation is shown as a
#                  fraction of it and the fleet size is drawn as a line (default: none)
#   max_batch      serving.max_batch; with replicas, batch occupancy (running
#                  requests / (replicas x max_batch), docs/metrics.md) is drawn in
#                  the utilisation panel (default: none)
#   hourly         the run's hourly.csv; with has_price / has_carbon = 1 the
#                  electricity price and carbon intensity by hour of day get
#                  their own panels (default none)
#   subtitle       the scenario and window (default none)
#   title          chart title
# Columns read: time_s, arrivals, completions, queue_length, busy_replicas, it_power_w;
# from hourly: hour, price_usd_per_kwh, carbon_g_per_kwh.
plotdir = ARG0; i = strlen(plotdir); while (i > 0 && plotdir[i:i] ne '/') { i = i - 1 }
plotdir = (i > 0 ? plotdir[1:i] : '')
if (!exists("hourly")) hourly = ''
if (!exists("has_price")) has_price = 0
if (!exists("has_carbon")) has_carbon = 0
panels = 4 + has_price + has_carbon
if (!exists("height")) height = 900 + 200 * (panels - 4)
load plotdir.'terminal.gp'
load plotdir.'labels.gp'
if (!exists("replicas")) replicas = NaN
if (!exists("max_batch")) max_batch = NaN

# Interval length from the time column: (last - first) / (rows - 1).
stats in using (column("time_s")) name "T" nooutput
interval_s = T_records > 1 ? (T_max - T_min) / (T_records - 1) : 1
# Hours for runs of 3 h or more, minutes below (a 15-minute run would
# otherwise have a single tick).
span_s = T_max - T_min + interval_s
tscale = span_s >= 3 * 3600 ? 3600.0 : 60.0
tunit = tscale == 3600.0 ? "hours" : "minutes"
hours(t) = t / tscale
if (!exists("title")) title = span_s >= 20 * 3600 ? "A simulated day" : sprintf("A simulated %.3g %s", span_s / tscale, tunit)
stats in using (column("it_power_w")) name "P" nooutput
power_scale = P_max >= 1e6 ? 1e6 : (P_max >= 1e3 ? 1e3 : 1)
power_unit = P_max >= 1e6 ? "MW" : (P_max >= 1e3 ? "kW" : "W")
tmax = hours(T_max)

set xrange [hours(T_min - interval_s):tmax]
xstep = tscale == 3600.0 ? (tmax > 30 ? 6 : (tmax > 6 ? 2 : 0.5)) : (tmax > 90 ? 15 : (tmax > 30 ? 5 : (tmax > 8 ? 2 : 0.5)))
set xtics xstep
set mxtics 2
set key top left box opaque samplen 2 font ",10"
set lmargin 12
set rmargin 4
set multiplot layout panels,1 title with_subtitle(title) font ",14" margins 0.09,0.97,0.06,0.92 spacing 0,0.025

set format x ""
set ylabel "requests/s"
set format y "%g"
set yrange [0:*]
plot in using (hours(column("time_s"))):(column("arrivals") / interval_s) with steps lw 2 lc rgb c_blue title "arrival rate", \
     in using (hours(column("time_s"))):(column("completions") / interval_s) with steps lw 1.5 dt 2 lc rgb c_orange title "completion rate"

if (replicas == replicas) {
  set ylabel "fraction"
  set yrange [0:1.05]
  has_occ = (max_batch == max_batch)
  plot in using (hours(column("time_s"))):(column("busy_replicas") / replicas) with steps lw 2 lc rgb c_green \
       title sprintf("replicas busy (of %s)", commas(replicas)), \
       for [k = 1:has_occ] in using (hours(column("time_s"))):(has_occ ? column("running_requests") / (replicas * max_batch) : NaN) \
       with steps lw 2 lc rgb c_blue title (has_occ ? sprintf("batch occupancy (running / %s slots)", commas(replicas * max_batch)) : "")
} else {
  set ylabel "replicas"
  set yrange [0:*]
  plot in using (hours(column("time_s"))):(column("busy_replicas")) with steps lw 2 lc rgb c_green title "busy replicas (mean)"
}

set ylabel "IT power (".power_unit.")"
set yrange [0:*]
plot in using (hours(column("time_s"))):(column("it_power_w") / power_scale) with steps lw 2 lc rgb c_red title "IT power (mean)"

# hourly.csv holds hour-of-day rows (time 0 is midnight): each day of the
# window repeats them. A row's value holds from its hour to the next.
days = ceil(span_s / 86400.0)
set clip two  # the last hour's step ends outside the window: still drawn up to its edge
hour_x(h, d) = (h * 3600.0 + d * 86400.0) / tscale
if (has_price) {
  set ylabel "USD/kWh"
  set yrange [0:*]
  plot for [d = 0:days - 1] hourly using (hour_x(column("hour"), d)):(column("price_usd_per_kwh")) with steps lw 2 \
    lc rgb c_orange title (d == 0 ? "electricity price (hour of day)" : "")
}
if (has_carbon) {
  set ylabel "gCO2e/kWh"
  set yrange [0:*]
  plot for [d = 0:days - 1] hourly using (hour_x(column("hour"), d)):(column("carbon_g_per_kwh")) with steps lw 2 \
    lc rgb c_grey title (d == 0 ? "carbon intensity (hour of day)" : "")
}

set format x "%g"
set xlabel "time (".tunit.")"
set ylabel "requests"
stats in using (column("queue_length")) name "Q" nooutput
if (Q_max >= 1e4) { set format y "%.1s%c" }
plot in using (hours(column("time_s"))):(column("queue_length")) with steps lw 2 lc rgb c_purple title "queue length (end of interval)"
unset multiplot
