# published.gp: infercost's predictions against published GPU measurements
# (`infercost validate --published -o DIR` writes DIR/published.csv), log-log,
# one marker per GPU, with y = x and a ±25% band. Rows skipped or failed
# (empty predicted) are left out.
#
#   gnuplot -e "in='out/published.csv'; out='out/published.png'; fmt='png'" plots/published.gp
#
# Variables:
#   in, out, fmt   input CSV, output path, 'png' (default) or 'svg'
#   title          chart title
# Columns read: gpu, predicted, published (any unit: each row's own).
plotdir = ARG0; i = strlen(plotdir); while (i > 0 && plotdir[i:i] ne '/') { i = i - 1 }
plotdir = (i > 0 ? plotdir[1:i] : '')
if (!exists("in") && exists("datafile")) in = datafile
if (!exists("out") && exists("outfile")) out = outfile
if (!exists("width")) width = 1000
if (!exists("height")) height = 850
load plotdir.'terminal.gp'
if (!exists("title")) title = "infercost predicted vs published GPU measurements (each row in its own unit)"

set datafile missing ""
stats in using (column("published")):(column("predicted")) nooutput
lo = (STATS_min_x < STATS_min_y ? STATS_min_x : STATS_min_y) / 1.5
hi = (STATS_max_x > STATS_max_y ? STATS_max_x : STATS_max_y) * 1.5
set xrange [lo:hi]
set yrange [lo:hi]
set logscale xy
set grid xtics ytics mxtics mytics lc rgb "#e5e5e5"
set format x "%g"
set format y "%g"
set xlabel "published (tokens/s, ms, J/token or W)"
set ylabel "predicted by infercost (same unit)"
set title title font ",15"
set key top left box opaque samplen 2
set size ratio -1

gpu_is(g) = strcol("gpu") eq g
pt(g) = column("predicted") > 0 && gpu_is(g) ? column("predicted") : NaN
plot x title "y = x" with lines lc rgb "black" dt 2, \
     x * 1.25 notitle with lines lc rgb c_grey dt 3, \
     x / 1.25 title "±25%" with lines lc rgb c_grey dt 3, \
     in using (column("published")):(pt("H100")) title "H100" with points pt 7 ps 1.5 lc rgb c_green, \
     in using (column("published")):(pt("H200")) title "H200" with points pt 5 ps 1.5 lc rgb c_red, \
     in using (column("published")):(pt("B200")) title "B200" with points pt 9 ps 1.8 lc rgb c_purple, \
     in using (column("published")):(pt("MI300X")) title "MI300X" with points pt 11 ps 1.8 lc rgb c_blue, \
     in using (column("published")):(pt("MI325X")) title "MI325X" with points pt 13 ps 1.8 lc rgb c_orange
