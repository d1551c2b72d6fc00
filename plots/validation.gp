# validation.gp: the compute model's predicted iteration time against the
# measured one (`infercost validate -o DIR` writes DIR/validation.csv), log-log,
# with y = x and a ±15% band.
#
#   gnuplot -e "in='out/validation.csv'; out='out/validation.png'; fmt='png'" plots/validation.gp
#
# Variables:
#   in, out, fmt   input CSV, output path, 'png' (default) or 'svg'
#                  (`datafile` and `outfile` are accepted for in and out)
#   title          chart title
# Columns read: phase (prefill, decode or mixed), predicted_s, measured_s.
plotdir = ARG0; i = strlen(plotdir); while (i > 0 && plotdir[i:i] ne '/') { i = i - 1 }
plotdir = (i > 0 ? plotdir[1:i] : '')
if (!exists("in") && exists("datafile")) in = datafile
if (!exists("out") && exists("outfile")) out = outfile
if (!exists("width")) width = 1000
if (!exists("height")) height = 850
load plotdir.'terminal.gp'
if (!exists("title")) title = "Compute model vs a real fp32 transformer forward pass on this CPU"

stats in using (column("measured_s")):(column("predicted_s")) nooutput
lo = (STATS_min_x < STATS_min_y ? STATS_min_x : STATS_min_y) / 1.5
hi = (STATS_max_x > STATS_max_y ? STATS_max_x : STATS_max_y) * 1.5
set xrange [lo:hi]
set yrange [lo:hi]
set logscale xy
set grid xtics ytics mxtics mytics lc rgb "#e5e5e5"
set format x "%g"
set format y "%g"
set xlabel "measured iteration time (s)"
set ylabel "predicted iteration time (s)"
set title title font ",15"
set key top left box opaque samplen 2
set size ratio -1

phase_is(p) = strcol("phase") eq p
plot x title "y = x" with lines lc rgb "black" dt 2, \
     x * 1.15 notitle with lines lc rgb c_grey dt 3, \
     x / 1.15 title "±15%" with lines lc rgb c_grey dt 3, \
     in using (phase_is("prefill") ? column("measured_s") : NaN):(column("predicted_s")) title "prefill" \
       with points pt 7 ps 1.6 lc rgb c_red, \
     in using (phase_is("decode") ? column("measured_s") : NaN):(column("predicted_s")) title "decode" \
       with points pt 5 ps 1.6 lc rgb c_green, \
     in using (phase_is("mixed") ? column("measured_s") : NaN):(column("predicted_s")) title "mixed (chunked prefill)" \
       with points pt 9 ps 2 lc rgb c_purple
