/* progress.h: one progress line with an ETA on stderr, for sweeps, searches
 * and long single runs. Shown only when asked and stderr is a terminal, so
 * pipes, logs and tests never see it. */
#ifndef IC_PROGRESS_H
#define IC_PROGRESS_H

#include <stdbool.h>

struct ic_progress {
  bool shown;        /* asked for, and stderr is a terminal */
  double start_s;    /* monotonic clock at start */
  double drawn_s;    /* when the line was last drawn (throttles redraws) */
};

/* Monotonic wall-clock seconds (for ETAs, never for results). */
double ic_progress_clock_s(void);

/* Starts a progress line when `wanted` and stderr is a terminal. */
void ic_progress_start(struct ic_progress *p, bool wanted);

/* Redraws "[####....] TEXT, ETA h:mm:ss" for fraction `done` in [0, 1]
 * (the ETA is elapsed time scaled to the rest). `text` is what has been
 * done in the caller's words ("12/40 points"). Draws at most every 0.2 s
 * unless `force`. */
void ic_progress_draw(struct ic_progress *p, double done, const char *text, bool force);

/* Clears the line. */
void ic_progress_end(const struct ic_progress *p);

#endif
