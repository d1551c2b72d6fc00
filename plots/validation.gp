# validation.gp: predicted vs measured iteration time of `infercost validate`.
# Usage: gnuplot -e "datafile='out/validation.csv'; outfile='out/validation.png'" plots/validation.gp
if (!exists("datafile")) datafile = 'validation.csv'
if (!exists("outfile")) outfile = 'validation.png'

# pngcairo when this gnuplot has it (gnuplot-nox does), else the libgd png terminal.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 900,800 enhanced font "sans,11"
} else {
  set terminal png size 900,800
}
set output outfile
set datafile separator ","
set key top left box opaque
set logscale xy
set grid xtics ytics mxtics mytics
set xlabel "measured iteration time (s)"
set ylabel "predicted iteration time (s)"
set title "infercost compute model vs a real fp32 transformer forward pass on this CPU"
set size square

stats datafile using 7:6 nooutput
lo = (STATS_min_x < STATS_min_y ? STATS_min_x : STATS_min_y) / 1.5
hi = (STATS_max_x > STATS_max_y ? STATS_max_x : STATS_max_y) * 1.5
set xrange [lo:hi]
set yrange [lo:hi]

# Columns: shape,phase,batch,tokens,context,predicted_s,measured_s,error,bound
plot x title "y = x" with lines lc rgb "black" dt 2, \
     x * 1.15 notitle with lines lc rgb "gray" dt 3, \
     x / 1.15 title "±15%" with lines lc rgb "gray" dt 3, \
     datafile using (strcol(2) eq "prefill" ? $7 : 1/0):6 title "prefill" with points pt 7 ps 1.3 lc rgb "#d95f02", \
     datafile using (strcol(2) eq "decode" ? $7 : 1/0):6 title "decode" with points pt 5 ps 1.3 lc rgb "#1b9e77", \
     datafile using (strcol(2) eq "mixed" ? $7 : 1/0):6 title "mixed (chunked prefill)" with points pt 9 ps 1.6 lc rgb "#7570b3"
