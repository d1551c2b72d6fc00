# cost_vs_x.gp: cost per day (or any metric) against one varied key of a sweep,
# e.g. serving.max_batch or fleet.nodes, optionally one line per value of a
# second key, with every target drawn and failing or unstable points marked.
# Input: a sweep CSV (a header row, then one row per point; columns by name)
# with two more columns: ic_fails (1: violates a target) and ic_unstable
# (1: stable is 0); `infercost plot` adds them.
#
#   gnuplot -e "in='marked.csv'; out='cost.png'; fmt='png'; xcol='fleet.nodes'" plots/cost_vs_x.gp
#
# Variables (all optional but in/out):
#   in          input CSV
#   out         output image path
#   fmt         'png' (default) or 'svg'
#   xcol        column on the x axis            (default 'serving.max_batch')
#   ycol        column on the y axis            (default 'usd_per_day')
#   xvals       the x column's distinct values, space-separated (for text x values)
#   xtext       1 when the x values are names: one tick per value (default 0)
#   bycol       one line per value of this column (default '': one line)
#   byvals      bycol's distinct values, space-separated
#   tcols, tlims, tdirs   targets: columns, bounds, 'max' or 'min' (space-separated)
#   ci_col      column holding the 95% half-width of ycol, drawn as error bars
#   xlabel, bylabel, subtitle   texts (default: the column names; none)
#   xlog, ylog  1 for a log axis; default: log when the data span over 20x
#   title       chart title (default built from ycol and xcol)
plotdir = ARG0; i = strlen(plotdir); while (i > 0 && plotdir[i:i] ne '/') { i = i - 1 }
plotdir = (i > 0 ? plotdir[1:i] : '')
load plotdir.'terminal.gp'
load plotdir.'labels.gp'

if (!exists("xcol")) xcol = 'serving.max_batch'
if (!exists("ycol")) ycol = 'usd_per_day'
if (!exists("xtext")) xtext = 0
if (!exists("xvals")) xvals = ''
if (!exists("bycol")) bycol = ''
if (!exists("byvals")) byvals = ''
if (!exists("tcols")) tcols = ''
if (!exists("tlims")) tlims = ''
if (!exists("tdirs")) tdirs = ''
if (!exists("ci_col")) ci_col = ''
if (!exists("xlabel")) xlabel = xcol
if (!exists("bylabel")) bylabel = bycol
has_ci = (ci_col ne '') # 0 or 1: the error-bar plot element iterates this many times
nt = words(tcols)
nby = bycol ne '' ? words(byvals) : 1

# x position of a row: the value, or its index among xvals when values are names.
xidx(s, n) = n > words(xvals) ? NaN : (word(xvals, n) eq s ? n : xidx(s, n + 1))
xpos(dummy) = xtext ? xidx(strcol(xcol), 1) : column(xcol)
# Row in series k (always, without --by).
in_series(k) = bycol eq '' ? 1 : strcol(bycol) eq word(byvals, k)
series_colour(k) = word(c_blue." ".c_orange." ".c_green." ".c_purple." ".c_sky." ".c_red." ".c_yellow." ".c_grey, (k - 1) % 8 + 1)
series_title(k) = bycol eq '' ? label_of(ycol) : sprintf("%s = %s", bycol, word(byvals, k))
target_colour(k) = word("#555555 #999999 #333333 #bbbbbb", (k - 1) % 4 + 1)
# Target k of series j, for m = 1 .. nt * nby (plot iterations do not nest).
mk(m) = (m - 1) / nby + 1
mj(m) = (m - 1) % nby + 1
target_title(k) = sprintf("target %s %s %s", word(tcols, k), word(tdirs, k) eq 'max' ? "≤" : "≥", word(tlims, k))

# Every stats call comes before any range is set: stats honours xrange.
stats in using (xpos(0)):(column(ycol)) nooutput
x_lo = STATS_min_x; x_hi = STATS_max_x; y_hi = STATS_max_y; y_lo = STATS_min_y
stats in using (column("ic_fails")):(column("ic_unstable")) name "MARK" nooutput
fails_title = MARK_max_x > 0 ? "fails a target" : ""      # no key entry for marks not drawn
unstable_title = MARK_max_y > 0 ? "unstable (queues grow)" : ""
t_lo = 1e300; t_hi = -1e300
do for [k = 1:nt] {
  stats in using (column(word(tcols, k))) name "T" nooutput
  lim = real(word(tlims, k))
  t_lo = T_min < t_lo ? T_min : t_lo; t_lo = lim < t_lo ? lim : t_lo
  t_hi = T_max > t_hi ? T_max : t_hi; t_hi = lim > t_hi ? lim : t_hi
}
if (!exists("xlog")) xlog = (!xtext && x_lo > 0 && x_hi / x_lo > 20)
if (!exists("ylog")) ylog = (y_lo > 0 && y_hi / y_lo > 20)
if (xlog) { set logscale x 2 }
if (ylog) { set logscale y 10 }
# A single point (or equal x values) still gets a non-empty range.
x_pad = x_hi > x_lo ? 0.05 * (x_hi - x_lo) : (x_hi != 0 ? 0.1 * abs(x_hi) : 1)
if (xtext) { x_pad = 0.5 }
if (!xlog) { set xrange [x_lo - x_pad:x_hi + x_pad] }
if (xlog) { set xrange [x_lo / 1.3:x_hi * 1.3] }
# Names: one tick each; a few numbers: a tick at each value, with separators.
if (xtext) {
  set xtics (word(xvals, 1) 1)
  do for [k = 2:words(xvals)] { set xtics add (word(xvals, k) k) }
} else { if (words(xvals) <= 12) {
  set xtics (commas(real(word(xvals, 1))) real(word(xvals, 1)))
  do for [k = 2:words(xvals)] { set xtics add (commas(real(word(xvals, k))) real(word(xvals, k))) }
} }
if (!ylog && y_hi > 0) {
  y_hi = y_hi * 1.12
  set yrange [0:y_hi]
  load plotdir.'yticks.gp'
}

if (!exists("title")) title = sprintf("%s vs %s", label_of(ycol), xcol)
set title with_subtitle(title) font ",14"
set xlabel xlabel
set ylabel label_of(ycol)
set key outside below center horizontal maxcols 2 samplen 2 width 1 font ",10"

if (nt > 0) {
  set y2tics nomirror tc rgb c_grey
  set y2label (nt == 1 ? label_of(word(tcols, 1)) : "target metrics") tc rgb c_grey
  if (t_lo > 0 && t_hi / t_lo > 20) {
    set logscale y2 2   # ticks at powers of 2: labelled every step over a 20-1000x span
    set y2range [t_lo / 1.5:t_hi * 1.5]
  } else { if (t_hi > 0) {
    set y2range [0:t_hi * 1.12]
  } }
}

# gnuplot evaluates an empty plot iteration once: without targets the target
# element must not be the right axis's only (empty) data.
t_axes = nt > 0 ? "x1y2" : "x1y1"
# Each target's bound: a line across the plot on the right axis.
do for [k = 1:nt] {
  set arrow from graph 0, second real(word(tlims, k)) to graph 1, second real(word(tlims, k)) nohead \
    lc rgb c_red dt k+1 lw 1.5 back
}

plot for [k = 1:nby] in using (in_series(k) ? xpos(0) : NaN):(column(ycol)) with lines lc rgb series_colour(k) lw 2 \
       notitle, \
     for [k = 1:nby] in using (in_series(k) && column("ic_fails") == 0 && column("ic_unstable") == 0 ? xpos(0) : NaN):(column(ycol)) \
       with points pt 7 ps 1.6 lc rgb series_colour(k) title (series_title(k)), \
     for [k = 1:has_ci * nby] in using (in_series(k) ? xpos(0) : NaN):(column(ycol)):(column(ci_col)) with yerrorbars \
       lc rgb series_colour(k) pt 0 lw 1.2 title (k == 1 ? "95% confidence interval" : ""), \
     for [m = 1:nt * nby] in using (in_series(mj(m)) ? xpos(0) : NaN):(column(word(tcols, mk(m)))) axes @t_axes \
       with linespoints lc rgb (nby > 1 ? series_colour(mj(m)) : target_colour(mk(m))) dt mk(m)+1 lw 1 pt 6 \
       ps 0.9 title (mj(m) == 1 ? label_of(word(tcols, mk(m))) . " (right axis)" : ""), \
     for [k = 1:nt] keyentry with lines lc rgb c_red dt k+1 lw 1.5 title (target_title(k)), \
     in using (column("ic_fails") != 0 ? xpos(0) : NaN):(column(ycol)) with points pt 2 ps 2.4 lw 3 lc rgb c_red \
       title fails_title, \
     in using (column("ic_unstable") != 0 ? xpos(0) : NaN):(column(ycol)) with points pt 8 ps 2.2 \
       lw 2.5 lc rgb c_red title unstable_title
