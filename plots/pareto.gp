# pareto.gp: cost per day against tail latency for every point of a sweep,
# with the Pareto frontier (no other point is both cheaper and faster).
# `infercost plot pareto` computes the frontier and writes it to `front`.
#
#   gnuplot -e "in='sweep.csv'; front='front.csv'; out='pareto.png'; fmt='png'" plots/pareto.gp
#
# Variables:
#   in          sweep CSV (`#` comment lines, then a header row)
#   front       the frontier rows, same header, sorted by latency ('' for none)
#   out, fmt    output path; 'png' (default) or 'svg'
#   xcol        latency column (default 'e2e_p99_s')
#   ycol        cost column    (default 'usd_per_day')
#   labelcol    column whose value labels each point ('' for none; default '')
#   xlog        1 for a log latency axis; default: log when the data span over 20x
#   title       chart title
plotdir = ARG0; i = strlen(plotdir); while (i > 0 && plotdir[i:i] ne '/') { i = i - 1 }
plotdir = (i > 0 ? plotdir[1:i] : '')
load plotdir.'terminal.gp'
load plotdir.'labels.gp'

if (!exists("front")) front = ''
if (!exists("xcol")) xcol = 'e2e_p99_s'
if (!exists("ycol")) ycol = 'usd_per_day'
if (!exists("labelcol")) labelcol = ''

stats in using (column(xcol)):(column(ycol)) nooutput
if (!exists("xlog")) xlog = (STATS_min_x > 0 && STATS_max_x / STATS_min_x > 20)
if (xlog) {
  set logscale x 10
  set xrange [STATS_min_x / 1.3:STATS_max_x * 1.6]
} else {
  if (STATS_max_x > 0) { set xrange [0:STATS_max_x * 1.15] }
}
if (STATS_max_y > 0) { set yrange [0:STATS_max_y * 1.12] }

if (!exists("title")) title = sprintf("%s vs %s, Pareto frontier", label_of(ycol), label_of(xcol))
set title title font ",15"
set xlabel label_of(xcol)
set ylabel label_of(ycol)
set key outside below center horizontal samplen 2 width 2

# "v1, v2" for the columns named in labelcol (recursive: no loops in functions).
pt_label(n) = n > words(labelcol) ? '' : \
  strcol(word(labelcol, n)) . (n < words(labelcol) ? ", " . pt_label(n + 1) : '')
label_names(n) = n > words(labelcol) ? '' : word(labelcol, n) . (n < words(labelcol) ? ", " . label_names(n + 1) : '')
if (labelcol ne '') { set key title "point labels: ".label_names(1) }
if (front ne '' && labelcol ne '') {
  plot in using (column(xcol)):(column(ycol)) with points pt 6 ps 1.6 lc rgb c_grey title "sweep point", \
       front using (column(xcol)):(column(ycol)) with steps lc rgb c_orange lw 2 dt 2 notitle, \
       front using (column(xcol)):(column(ycol)) with points pt 7 ps 1.8 lc rgb c_orange title "Pareto frontier", \
       in using (column(xcol)):(column(ycol)):(pt_label(1)) with labels offset 0.9,0.6 left font ",10" \
         tc rgb "#555555" notitle
} else { if (front ne '') {
  plot in using (column(xcol)):(column(ycol)) with points pt 6 ps 1.6 lc rgb c_grey title "sweep point", \
       front using (column(xcol)):(column(ycol)) with steps lc rgb c_orange lw 2 dt 2 notitle, \
       front using (column(xcol)):(column(ycol)) with points pt 7 ps 1.8 lc rgb c_orange title "Pareto frontier"
} else {
  plot in using (column(xcol)):(column(ycol)) with points pt 7 ps 1.6 lc rgb c_blue title "sweep point"
}}
