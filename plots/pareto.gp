# pareto.gp: cost per day against tail latency for every point of a sweep,
# with the Pareto frontier (no other point is both cheaper and faster), and
# points that fail a target or are unstable marked.
# `infercost plot pareto` computes the frontier and writes it to `front`,
# and adds the columns ic_fails and ic_unstable to the sweep table (`in`).
#
#   gnuplot -e "in='marked.csv'; front='front.csv'; out='pareto.png'; fmt='png'" plots/pareto.gp
#
# Variables:
#   in          sweep CSV with ic_fails and ic_unstable columns (a header row first)
#   front       the frontier rows, same header, sorted by latency ('' for none)
#   out, fmt    output path; 'png' (default) or 'svg'
#   xcol        latency column (default 'e2e_p99_s')
#   ycol        cost column    (default 'usd_per_day')
#   labelcol    columns whose values label each point ('' for none; default '')
#   tcols, tlims, tdirs   targets (as cost_vs_x.gp); a target on xcol is drawn as a line
#   subtitle    the scenario and window (default none)
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
if (!exists("tcols")) tcols = ''
if (!exists("tlims")) tlims = ''

stats in using (column(xcol)):(column(ycol)) nooutput
x_lo = STATS_min_x; x_hi = STATS_max_x; y_hi = STATS_max_y
stats in using (column("ic_fails")):(column("ic_unstable")) name "MARK" nooutput
if (!exists("xlog")) xlog = (x_lo > 0 && x_hi / x_lo > 20)
if (xlog) {
  set logscale x 10
  set xrange [x_lo / 1.3:x_hi * 1.6]
} else {
  if (x_hi > 0) { set xrange [0:x_hi * 1.15] }
}
if (y_hi > 0) {
  y_hi = y_hi * 1.12
  set yrange [0:y_hi]
  load plotdir.'yticks.gp'
}

if (!exists("title")) title = sprintf("%s vs %s, Pareto frontier", label_of(ycol), label_of(xcol))
set title with_subtitle(title) font ",14"
set xlabel label_of(xcol)
set ylabel label_of(ycol)
set key outside below center horizontal samplen 2 width 2 font ",10"

# A target on the latency axis is a vertical line at its bound.
do for [k = 1:words(tcols)] {
  if (word(tcols, k) eq xcol) {
    set arrow from first real(word(tlims, k)), graph 0 to first real(word(tlims, k)), graph 1 nohead lc rgb c_red dt 2 lw 1.5
    set label sprintf("target %s %s", xcol, word(tlims, k)) at first real(word(tlims, k)), graph 0.97 offset 0.5,0 \
      left tc rgb c_red font ",10"
  }
}
fails_title = MARK_max_x > 0 ? "fails a target" : ""
unstable_title = MARK_max_y > 0 ? "unstable (queues grow)" : ""
has_front = (front ne '')
has_labels = (labelcol ne '')

# "v1, v2" for the columns named in labelcol (recursive: no loops in functions).
pt_label(n) = n > words(labelcol) ? '' : \
  strcol(word(labelcol, n)) . (n < words(labelcol) ? ", " . pt_label(n + 1) : '')
label_names(n) = n > words(labelcol) ? '' : word(labelcol, n) . (n < words(labelcol) ? ", " . label_names(n + 1) : '')
if (has_labels) { set key title "point labels: ".label_names(1) }
plot in using (column(xcol)):(column(ycol)) with points pt 6 ps 1.6 lc rgb c_grey title "sweep point", \
     for [k = 1:has_front] front using (column(xcol)):(column(ycol)) with steps lc rgb c_orange lw 2 dt 2 notitle, \
     for [k = 1:has_front] front using (column(xcol)):(column(ycol)) with points pt 7 ps 1.8 lc rgb c_orange \
       title "Pareto frontier", \
     in using (column("ic_fails") != 0 ? column(xcol) : NaN):(column(ycol)) with points pt 2 ps 2.2 lw 2.5 \
       lc rgb c_red title fails_title, \
     in using (column("ic_unstable") != 0 ? column(xcol) : NaN):(column(ycol)) with points pt 8 ps 2.4 lw 2 \
       lc rgb c_red title unstable_title, \
     for [k = 1:has_labels] in using (column(xcol)):(column(ycol)):(pt_label(1)) with labels offset 0.9,0.6 left \
       font ",9" tc rgb "#555555" notitle
