# yticks.gp: y-axis ticks from 0 to y_hi with thousands separators (loaded,
# not run on its own; needs labels.gp and the variable y_hi > 0).
y_step = nice_step(y_hi)
set ytics (tick_text(0, y_step) 0)
do for [i = 1:int(y_hi / y_step + 1e-9)] { set ytics add (tick_text(i * y_step, y_step) i * y_step) }
