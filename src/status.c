/* status.c: status texts and the diagnostics sink. */
#include "infercost/status.h"

#include <stdarg.h>
#include <stdio.h>
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
  char msg[1024];
  int used = 0;
  if (path && line > 0)
    used = snprintf(msg, sizeof msg, "%s:%ld: ", path, line);
  else if (path)
    used = snprintf(msg, sizeof msg, "%s: ", path);
  if (used < 0 || (size_t)used >= sizeof msg) used = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + used, sizeof msg - (size_t)used, fmt, ap);
  va_end(ap);
  diag_reported++;
  diag_sink(diag_ctx, msg);
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
