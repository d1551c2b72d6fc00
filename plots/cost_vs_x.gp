# cost_vs_x.gp: cost per day (or any metric) against one varied key of a sweep,
# e.g. serving.max_batch or fleet.nodes, with latency-target violations marked.
# Input: a sweep CSV (a header row, then one row per point; columns by name).
#
#   gnuplot -e "in='sweep.csv'; out='cost.png'; fmt='png'" plots/cost_vs_x.gp
#
# Variables (all optional but in/out):
#   in          input CSV
#   out         output image path
#   fmt         'png' (default) or 'svg'
#   xcol        column on the x axis            (default 'serving.max_batch')
#   ycol        column on the y axis            (default 'usd_per_day')
#   target_col  column checked against a target (default '': no target)
#   target_max  a point violates when target_col > target_max  (default: none)
#   target_min  a point violates when target_col < target_min  (default: none)
#   ci_col      column holding the 95% half-width of ycol, drawn as error bars
#               (default ''; infercost plot passes ycol.'_ci95' when the sweep has it)
#   xlog, ylog  1 for a log axis; default: log when the data span over 20x
#   title       chart title (default built from ycol and xcol)
plotdir = ARG0; i = strlen(plotdir); while (i > 0 && plotdir[i:i] ne '/') { i = i - 1 }
plotdir = (i > 0 ? plotdir[1:i] : '')
load plotdir.'terminal.gp'
load plotdir.'labels.gp'

if (!exists("xcol")) xcol = 'serving.max_batch'
if (!exists("ycol")) ycol = 'usd_per_day'
if (!exists("target_col")) target_col = ''
if (!exists("target_max")) target_max = NaN
if (!exists("target_min")) target_min = NaN
if (!exists("ci_col")) ci_col = ''
has_ci = (ci_col ne '') # 0 or 1: the error-bar plot element iterates this many times
has_target = (target_col ne '' && (target_max == target_max || target_min == target_min))

# 1 when the row fails the target, 0 when it meets it.
violates(v) = (target_max == target_max && v > target_max) || (target_min == target_min && v < target_min)

# Every stats call comes before any range is set: stats honours xrange.
if (has_target) { stats in using (column(target_col)) name "T" nooutput }
stats in using (column(xcol)):(column(ycol)) nooutput
if (!exists("xlog")) xlog = (STATS_min_x > 0 && STATS_max_x / STATS_min_x > 20)
if (!exists("ylog")) ylog = (STATS_min_y > 0 && STATS_max_y / STATS_min_y > 20)
if (xlog) { set logscale x 2 } 
if (ylog) { set logscale y 10 }
# A single point (or equal x values) still gets a non-empty range.
x_pad = STATS_max_x > STATS_min_x ? 0.05 * (STATS_max_x - STATS_min_x) : (STATS_max_x != 0 ? 0.1 * abs(STATS_max_x) : 1)
if (!xlog) { set xrange [STATS_min_x - x_pad:STATS_max_x + x_pad] }
if (xlog) { set xrange [STATS_min_x / 1.3:STATS_max_x * 1.3] }
if (!ylog && STATS_max_y > 0) { set yrange [0:STATS_max_y * 1.12] }

if (!exists("title")) title = sprintf("%s vs %s", label_of(ycol), xcol)
set title title font ",15"
set xlabel xcol
set ylabel label_of(ycol)
set key at screen 0.5, screen 0.025 center bottom horizontal samplen 2 width 1
set bmargin 6

if (has_target) {
  set y2tics nomirror
  set y2label label_of(target_col) tc rgb c_grey
  set y2tics tc rgb c_grey
  limit = (target_max == target_max ? target_max : target_min)
  t_hi = limit > T_max ? limit : T_max
  t_lo = limit < T_min ? limit : T_min
  if (t_lo > 0 && t_hi / t_lo > 20) {
    set logscale y2 2   # ticks at powers of 2: labelled every step over a 20-1000x span
    set y2range [t_lo / 1.5:t_hi * 1.5]
  } else { if (t_hi > 0) {
    set y2range [0:t_hi * 1.12]
  } }
  plot in using (column(xcol)):(column(target_col)) axes x1y2 with linespoints lc rgb c_grey dt 2 lw 1.2 pt 6 ps 1.1 \
         title label_of(target_col), \
       limit axes x1y2 with lines lc rgb c_red dt 2 lw 1.5 \
         title sprintf("target %s %s %g", target_col, (target_max == target_max ? "≤" : "≥"), limit), \
       in using (column(xcol)):(column(ycol)) with lines lc rgb c_blue lw 2 notitle, \
       for [k = 1:has_ci] in using (column(xcol)):(column(ycol)):(column(ci_col)) with yerrorbars \
         lc rgb c_blue pt 0 lw 1.2 title "95% confidence interval", \
       in using (column(xcol)):(violates(column(target_col)) ? NaN : column(ycol)) with points pt 7 ps 1.8 \
         lc rgb c_blue title "meets target", \
       in using (column(xcol)):(violates(column(target_col)) ? column(ycol) : NaN) with points pt 2 ps 2.5 lw 3 \
         lc rgb c_red title "violates target"
} else {
  plot in using (column(xcol)):(column(ycol)) with linespoints lc rgb c_blue lw 2 pt 7 ps 1.5 title label_of(ycol), \
       for [k = 1:has_ci] in using (column(xcol)):(column(ycol)):(column(ci_col)) with yerrorbars \
         lc rgb c_blue pt 0 lw 1.2 title "95% confidence interval"
}
