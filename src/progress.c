/* progress.c: a carriage-return progress line on stderr. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "infercost/progress.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

double ic_progress_clock_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void ic_progress_start(struct ic_progress *p, bool wanted) {
  p->shown = wanted && isatty(STDERR_FILENO);
  p->start_s = ic_progress_clock_s();
  p->drawn_s = -1.0;
}

void ic_progress_draw(struct ic_progress *p, double done, const char *text, bool force) {
  if (!p->shown) return;
  double now = ic_progress_clock_s();
  if (!force && p->drawn_s >= 0 && now - p->drawn_s < 0.2) return;
  p->drawn_s = now;
  enum { WIDTH = 30 };
  done = done < 0 ? 0 : (done > 1 ? 1 : done);
  char bar[WIDTH + 1];
  int filled = (int)(done * WIDTH);
  for (int i = 0; i < WIDTH; i++) bar[i] = i < filled ? '#' : '.';
  bar[WIDTH] = '\0';
  if (done <= 0) {
    fprintf(stderr, "\r[%s] %s, ETA -:--:-- \033[K", bar, text);
  } else {
    long e = lround((now - p->start_s) / done * (1.0 - done));
    fprintf(stderr, "\r[%s] %s, ETA %ld:%02ld:%02ld \033[K", bar, text, e / 3600, e / 60 % 60, e % 60);
  }
  fflush(stderr);
}

void ic_progress_end(const struct ic_progress *p) {
  if (p->shown) fputs("\r\033[K", stderr);
}
