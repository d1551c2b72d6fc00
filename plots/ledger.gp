# ledger.gp: the per-day ledger as stacked bars, one bar per row: per sweep
# point (a sweep CSV) or per run (`infercost plot ledger` turns a run's
# ledger.csv into one such row first).
#
#   gnuplot -e "in='sweep.csv'; out='ledger.png'; fmt='png'; xcol='fleet.nodes'" plots/ledger.gp
#
# Variables:
#   in, out, fmt  input CSV, output path, 'png' (default) or 'svg'
#   xcol          column labelling each bar (default 'serving.max_batch')
#   parts         space-separated cost columns stacked bottom to top (default
#                 'energy_usd_per_day cooling_usd_per_day amortization_usd_per_day other_usd_per_day')
#   title         chart title
plotdir = ARG0; i = strlen(plotdir); while (i > 0 && plotdir[i:i] ne '/') { i = i - 1 }
plotdir = (i > 0 ? plotdir[1:i] : '')
load plotdir.'terminal.gp'
load plotdir.'labels.gp'

if (!exists("xcol")) xcol = 'serving.max_batch'
if (!exists("parts")) parts = 'energy_usd_per_day cooling_usd_per_day amortization_usd_per_day other_usd_per_day'
if (!exists("title")) title = "Cost per day by component"

part_name(c) = c eq 'energy_usd_per_day' ? 'IT energy' : c eq 'cooling_usd_per_day' ? 'cooling and facility' : \
  c eq 'amortization_usd_per_day' ? 'hardware amortization' : c eq 'other_usd_per_day' ? 'other' : c
part_colour(n) = word(c_green." ".c_sky." ".c_blue." ".c_grey." ".c_orange." ".c_purple." ".c_red." ".c_yellow, (n - 1) % 8 + 1)
# Bar total, for the label on top of each bar.
bar_total(n) = n > words(parts) ? 0 : column(word(parts, n)) + bar_total(n + 1)
if (!exists("xlabel")) xlabel = xcol

# A lone bar (one run) would fill the width: leave room either side.
stats in using (column(word(parts, 1))) name "L" nooutput
if (L_records < 4) { set xrange [-2:L_records + 1] }
stats in using (bar_total(1)) name "B" nooutput

set title with_subtitle(title) font ",14"
set style data histograms
set style histogram rowstacked gap 1
set style fill solid 0.9 border rgb "#333333"
set boxwidth 0.7
set ylabel "cost (USD/day)"
set xlabel xlabel
if (B_max > 0) {
  y_hi = B_max * 1.15
  set yrange [0:y_hi]
  load plotdir.'yticks.gp'
} else {
  set yrange [0:*]
}
set key at screen 0.5, screen 0.02 center bottom horizontal maxrows 1 samplen 2 width 1 reverse Left
set bmargin 6
set grid noxtics ytics

plot for [n = 1:words(parts)] in using (column(word(parts, n))):xtic(strcol(xcol)) \
       title part_name(word(parts, n)) lc rgb part_colour(n), \
     in using ($0):(bar_total(1)):(commas(bar_total(1))) with labels offset 0,0.8 font ",10" notitle
