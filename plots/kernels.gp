# kernels.gp: the compute model's time for single GPU kernels against their
# measured time (`infercost validate --kernels -o DIR` writes DIR/kernels.csv),
# log-log, one marker shape per kernel kind: filled under the roofline
# profile, open under the fitted one (rows it has no entry for are left out),
# with y = x and a ±25% band.
#
#   gnuplot -e "in='out/kernels.csv'; out='out/kernels.png'; fmt='png'" plots/kernels.gp
#
# Variables:
#   in, out, fmt   input CSV, output path, 'png' (default) or 'svg'
#   title          chart title
# Columns read: kernel, measured_us, roofline_us, fitted_us.
plotdir = ARG0; i = strlen(plotdir); while (i > 0 && plotdir[i:i] ne '/') { i = i - 1 }
plotdir = (i > 0 ? plotdir[1:i] : '')
if (!exists("in") && exists("datafile")) in = datafile
if (!exists("out") && exists("outfile")) out = outfile
if (!exists("width")) width = 1000
if (!exists("height")) height = 850
load plotdir.'terminal.gp'
if (!exists("title")) title = "infercost predicted vs measured GPU kernels"

set datafile missing ""
stats in using (column("measured_us")):(column("roofline_us")) nooutput
lo = (STATS_min_x < STATS_min_y ? STATS_min_x : STATS_min_y) / 1.5
hi = (STATS_max_x > STATS_max_y ? STATS_max_x : STATS_max_y) * 1.5
set xrange [lo:hi]
set yrange [lo:hi]
set logscale xy
set grid xtics ytics mxtics mytics lc rgb "#e5e5e5"
set format x "%g"
set format y "%g"
set xlabel "measured (µs, median of the timed runs)"
set ylabel "predicted by infercost (µs)"
set title title font ",15"
set key top left box opaque samplen 2
set size ratio -1

kind_is(k) = strcol("kernel") eq k
pt(col, k) = column(col) > 0 && kind_is(k) ? column(col) : NaN
plot x title "y = x" with lines lc rgb "black" dt 2, \
     x * 1.25 notitle with lines lc rgb c_grey dt 3, \
     x / 1.25 title "±25%" with lines lc rgb c_grey dt 3, \
     in using (column("measured_us")):(pt("roofline_us", "gemm")) title "gemm, roofline" with points pt 7 ps 1.5 lc rgb c_green, \
     in using (column("measured_us")):(pt("roofline_us", "attn_decode")) title "attn_decode, roofline" with points pt 5 ps 1.5 lc rgb c_red, \
     in using (column("measured_us")):(pt("roofline_us", "attn_prefill")) title "attn_prefill, roofline" with points pt 9 ps 1.8 lc rgb c_blue, \
     in using (column("measured_us")):(pt("roofline_us", "step_decode")) title "step_decode, roofline" with points pt 11 ps 1.8 lc rgb c_orange, \
     in using (column("measured_us")):(pt("roofline_us", "step_prefill")) title "step_prefill, roofline" with points pt 13 ps 1.8 lc rgb c_purple, \
     in using (column("measured_us")):(pt("fitted_us", "gemm")) title "gemm, fitted" with points pt 6 ps 1.5 lc rgb c_green, \
     in using (column("measured_us")):(pt("fitted_us", "attn_decode")) title "attn_decode, fitted" with points pt 4 ps 1.5 lc rgb c_red, \
     in using (column("measured_us")):(pt("fitted_us", "attn_prefill")) title "attn_prefill, fitted" with points pt 8 ps 1.8 lc rgb c_blue
