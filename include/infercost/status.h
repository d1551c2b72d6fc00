/* status.h: status codes, and diagnostics for bad input as `path:line: message`. */
#ifndef IC_STATUS_H
#define IC_STATUS_H

#include <stddef.h>

/* One table generates the enum and the messages. */
#define IC_STATUS_MAP(X)                                              \
  X(OK, "success")                                                    \
  X(EINVAL, "invalid input")                                          \
  X(ENOMEM, "out of memory")                                          \
  X(EIO, "input/output error")                                        \
  X(ENOENT, "not found")                                              \
  X(ERANGE, "value out of range")                                     \
  X(ECAPACITY, "does not fit")                                        \
  X(EINTERNAL, "internal error")

typedef enum {
#define IC_STATUS_ENUM(name, msg) IC_##name,
  IC_STATUS_MAP(IC_STATUS_ENUM)
#undef IC_STATUS_ENUM
  IC_STATUS_COUNT
} ic_status;

/* Short English text for a status; never NULL. */
const char *ic_strerror(ic_status status);

/* Exit codes of the command line: 0 ok, 2 bad input, 1 runtime failure. */
enum { IC_EXIT_OK = 0, IC_EXIT_FAILURE = 1, IC_EXIT_BAD_INPUT = 2 };

/* Where diagnostics go. The CLI writes to stderr; tests capture a buffer. */
typedef void ic_diag_sink_fn(void *ctx, const char *line);

/* Replaces the process-wide sink; NULL restores stderr. Not thread-safe:
 * set it once at start-up (or in a test's setup). */
void ic_diag_set_sink(ic_diag_sink_fn *sink, void *ctx);

/* The current sink and its context, so a caller can put it back. */
void ic_diag_get_sink(ic_diag_sink_fn **sink, void **ctx);

/* Reports one problem as "path:line: message" (line 0 omits the line,
 * path NULL omits the location). Message is printf-style. Counts it. */
void ic_diag(const char *path, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Number of problems reported since the last reset, and the reset. */
size_t ic_diag_count(void);
void ic_diag_reset_count(void);

/* A sink for tests: appends every line (with '\n') to a fixed buffer. */
struct ic_diag_buffer {
  char text[8192];
  size_t len;
};
void ic_diag_buffer_sink(void *ctx, const char *line);

/* Turns GSL's abort-on-error handler off, so GSL calls return codes instead. */
void ic_gsl_quiet(void);

#endif
