/* trace_impl.h: what the trace readers (trace.c for CSV, trace_jsonl.c for
 * JSON Lines) share: the byte input, gzip or plain, from a file or standard
 * input. Not public. */
#ifndef IC_TRACE_IMPL_H
#define IC_TRACE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infercost/trace.h"

/* A trace's bytes: a file or "-" (standard input), gzip-compressed or not
 * (recognised by its magic bytes, not its name). */
struct ic__input;

/* Opens `path`; NULL with the problem reported and *status set (IC_EIO,
 * IC_ENOMEM). */
struct ic__input *ic__input_open(const char *path, ic_status *status);

/* Reads up to `n` bytes into buf and returns how many; sets *eof at the end.
 * On a read or decompression error reports it (naming `path`), sets *error
 * and returns 0. */
size_t ic__input_read(struct ic__input *in, const char *path, void *buf, size_t n, bool *eof, bool *error);

/* The first byte of the content that is not white space or a UTF-8
 * byte-order mark, without consuming anything; -1 when there is none in the
 * first 4 KiB; -2 on a read error (reported, naming `path`). */
int ic__input_peek(struct ic__input *in, const char *path);

/* FNV-1a 64 of the bytes ic__input_read has handed out so far: of the
 * decompressed content, so a trace and its gzip share one hash. */
uint64_t ic__input_hash(const struct ic__input *in);

/* From now on ic__input_read hands out bytes without hashing them, and
 * ic__input_hash must not be called: the caller hashes every byte it was
 * handed, in order, with ic__fnv1a from IC__FNV1A_OFFSET (the CSV reader
 * does, in slices between libcsv's callbacks). */
void ic__input_defer_hash(struct ic__input *in);

#define IC__FNV1A_OFFSET UINT64_C(0xcbf29ce484222325)

/* FNV-1a 64 of n more bytes after h. One multiply per byte, each waiting
 * for the last: about 4 cycles a byte whatever the compiler does. */
static inline uint64_t ic__fnv1a(uint64_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * UINT64_C(0x100000001b3);
  return h;
}

/* Closes the input; NULL does nothing. */
void ic__input_close(struct ic__input *in);

/* JSON Lines reader (trace_jsonl.c). It takes ownership of `in`, also when
 * it fails. The functions mirror ic_trace_*. */
struct ic__jsonl;
struct ic__jsonl *ic__jsonl_open(const char *path, struct ic__input *in, const struct ic_trace_options *opt,
                                 ic_status *status);
ic_status ic__jsonl_next(struct ic__jsonl *j, struct ic_trace_record *rec);
int ic__jsonl_format(const struct ic__jsonl *j);
uint64_t ic__jsonl_skipped(const struct ic__jsonl *j);
const char *ic__jsonl_first_skip(const struct ic__jsonl *j);
uint64_t ic__jsonl_content_hash(const struct ic__jsonl *j);
void ic__jsonl_free(struct ic__jsonl *j);

#endif
