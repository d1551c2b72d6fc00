# terminal.gp: shared by every plot script (loaded, not run on its own).
# Picks the terminal from `fmt` ('png' or 'svg'), sizes the canvas, opens
# `out`, and reads comma-separated files whose first rows are `#` comments
# followed by one header row (columns are addressed by header name).
if (!exists("fmt")) fmt = 'png'
if (!exists("width")) width = 1000
if (!exists("height")) height = 700
if (fmt eq 'svg') {
  set terminal svg size width,height dynamic noenhanced font "sans,13" background "white"
} else {
  # pngcairo when this gnuplot has it (gnuplot-nox does), else the libgd png terminal.
  if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size width,height noenhanced font "sans,11"
  } else {
    set terminal png size width,height noenhanced
  }
}
set output out
set datafile separator comma
set datafile commentschars "#"
set datafile columnheaders
set encoding utf8
set grid xtics ytics lc rgb "#dddddd" lw 1 dt 1
set border 3
set tics nomirror
# Palette used across scripts (colour-blind safe, Okabe-Ito).
c_blue = "#0072B2"; c_orange = "#E69F00"; c_green = "#009E73"; c_red = "#D55E00"
c_purple = "#CC79A7"; c_sky = "#56B4E9"; c_grey = "#7f7f7f"; c_yellow = "#F0E442"
