/* status.c: status texts and the diagnostics sink. */
#include "infercost/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

static const char *const status_text[] = {
#define IC_STATUS_TEXT(name, msg) msg,
    IC_STATUS_MAP(IC_STATUS_TEXT)
#undef IC_STATUS_TEXT
};

const char *ic_strerror(ic_status status) {
  if ((int)status < 0 || status >= IC_STATUS_COUNT) return "unknown status";
  return status_text[status];
}

static void stderr_sink(void *ctx, const char *line) {
  (void)ctx;
  fprintf(stderr, "%s\n", line);
}

static ic_diag_sink_fn *diag_sink = stderr_sink;
static void *diag_ctx;
static size_t diag_reported;

void ic_diag_set_sink(ic_diag_sink_fn *sink, void *ctx) {
  diag_sink = sink ? sink : stderr_sink;
  diag_ctx = sink ? ctx : NULL;
}

void ic_diag_get_sink(ic_diag_sink_fn **sink, void **ctx) {
  *sink = diag_sink;
  *ctx = diag_ctx;
}

void ic_diag(const char *path, long line, const char *fmt, ...) {
  /* Most messages fit the stack buffer; a longer one (a long path, a long
   * value quoted back) gets a heap buffer of its size, never a cut. */
  char small[1024], *msg = small;
  int used = 0;
  if (path && line > 0)
    used = snprintf(NULL, 0, "%s:%ld: ", path, line);
  else if (path)
    used = snprintf(NULL, 0, "%s: ", path);
  va_list ap;
  va_start(ap, fmt);
  int body = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (used < 0 || body < 0) used = body = 0;
  size_t need = (size_t)used + (size_t)body + 1;
  if (need > sizeof small && !(msg = malloc(need))) {
    msg = small; /* out of memory: the cut message is better than none */
    need = sizeof small;
  }
  /* A cut prefix is fine (out of memory); a failed one is dropped. */
  int prefix = 0;
  if (path && line > 0)
    prefix = snprintf(msg, need, "%s:%ld: ", path, line);
  else if (path)
    prefix = snprintf(msg, need, "%s: ", path);
  if (prefix <= 0) msg[0] = '\0';
  size_t at = strlen(msg);
  va_start(ap, fmt);
  vsnprintf(msg + at, need - at, fmt, ap);
  va_end(ap);
  diag_reported++;
  diag_sink(diag_ctx, msg);
  if (msg != small) free(msg);
}

size_t ic_diag_count(void) { return diag_reported; }
void ic_diag_reset_count(void) { diag_reported = 0; }

void ic_diag_buffer_sink(void *ctx, const char *line) {
  struct ic_diag_buffer *buf = ctx;
  size_t n = strlen(line);
  size_t room = sizeof buf->text - buf->len;
  if (room <= 1) return;
  if (n + 1 >= room) n = room - 2;
  memcpy(buf->text + buf->len, line, n);
  buf->len += n;
  buf->text[buf->len++] = '\n';
  buf->text[buf->len] = '\0';
}

void ic_gsl_quiet(void) { gsl_set_error_handler_off(); }
