/* trace_input.c: a trace's bytes through zlib's gz* functions, which read
 * gzip-compressed and plain input alike (by the magic bytes), from a file
 * or from standard input ("-"). A small look-ahead lets the caller see the
 * first character (a '{' means JSON Lines) without consuming it. The bytes
 * handed out are hashed as they pass, for the run's digest. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "infercost/status.h"
#include "trace_impl.h"

#define LOOKAHEAD 4096 /* bytes of leading white space looked through by peek */
#define GZ_BUFFER (128 * 1024)

struct ic__input {
  gzFile gz;
  unsigned char ahead[LOOKAHEAD];
  size_t ahead_len, ahead_pos;
  bool eof, error;
  uint64_t hash;        /* FNV-1a 64 of the bytes handed out */
  bool hash_by_caller;  /* ic__input_defer_hash: the caller hashes them */
};

struct ic__input *ic__input_open(const char *path, ic_status *status) {
  struct ic__input *in = calloc(1, sizeof *in);
  if (!in) {
    *status = IC_ENOMEM;
    return NULL;
  }
  if (strcmp(path, "-") == 0) {
    int fd = dup(STDIN_FILENO); /* gzclose closes its descriptor, not ours */
    in->gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
    if (!in->gz && fd >= 0) close(fd);
  } else {
    in->gz = gzopen(path, "rb");
  }
  if (!in->gz) {
    ic_diag(path, 0, "cannot open trace: %s", errno ? strerror(errno) : "out of memory");
    free(in);
    *status = errno ? IC_EINVAL : IC_ENOMEM; /* a trace the scenario names that is not there: bad input */
    return NULL;
  }
  gzbuffer(in->gz, GZ_BUFFER);
  in->hash = IC__FNV1A_OFFSET;
  *status = IC_OK;
  return in;
}

/* Reads from zlib; reports and flags an error. */
static size_t raw_read(struct ic__input *in, const char *path, void *buf, size_t n) {
  if (in->eof || in->error) return 0;
  if (n > (size_t)1 << 30) n = (size_t)1 << 30;
  int got = gzread(in->gz, buf, (unsigned)n);
  int zerr = Z_OK;
  const char *msg = got < 0 || (size_t)got < n ? gzerror(in->gz, &zerr) : "";
  if (got < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
    /* zlib's message starts with the path it was given */
    size_t skip = zerr != Z_ERRNO && strncmp(msg, path, strlen(path)) == 0 && msg[strlen(path)] == ':'
                      ? strlen(path) + 2 : 0;
    ic_diag(path, 0, "read error: %s", zerr == Z_ERRNO ? strerror(errno) : msg + skip);
    in->error = true;
    return 0;
  }
  if ((size_t)got < n && gzeof(in->gz)) in->eof = true;
  return (size_t)got;
}

size_t ic__input_read(struct ic__input *in, const char *path, void *buf, size_t n, bool *eof, bool *error) {
  size_t done = 0;
  if (in->ahead_pos < in->ahead_len) {
    done = in->ahead_len - in->ahead_pos;
    if (done > n) done = n;
    memcpy(buf, in->ahead + in->ahead_pos, done);
    in->ahead_pos += done;
  }
  if (done < n) done += raw_read(in, path, (unsigned char *)buf + done, n - done);
  *eof = in->eof && in->ahead_pos == in->ahead_len;
  *error = in->error;
  if (in->error) return 0;
  if (!in->hash_by_caller) in->hash = ic__fnv1a(in->hash, buf, done);
  return done;
}

uint64_t ic__input_hash(const struct ic__input *in) { return in->hash; }

void ic__input_defer_hash(struct ic__input *in) { in->hash_by_caller = true; }

int ic__input_peek(struct ic__input *in, const char *path) {
  if (in->ahead_len == 0 && in->ahead_pos == 0) in->ahead_len = raw_read(in, path, in->ahead, sizeof in->ahead);
  if (in->error) return -2;
  size_t i = in->ahead_pos;
  if (in->ahead_len - i >= 3 && in->ahead[i] == 0xEF && in->ahead[i + 1] == 0xBB && in->ahead[i + 2] == 0xBF) i += 3;
  for (; i < in->ahead_len; i++)
    if (!strchr(" \t\r\n", in->ahead[i])) return in->ahead[i];
  return -1;
}

void ic__input_close(struct ic__input *in) {
  if (!in) return;
  if (in->gz) gzclose(in->gz);
  free(in);
}
