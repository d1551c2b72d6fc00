/* outfile.h: every file infercost writes goes through here. A file is
 * written under a temporary name next to its final one, flushed, fsynced
 * and renamed, so no reader ever sees half of it; an output directory's
 * files appear together or not at all; temporary names are removed when
 * SIGINT or SIGTERM ends the program. */
#ifndef IC_OUTFILE_H
#define IC_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "infercost/status.h"

/* The longest output path accepted, in bytes: PATH_MAX (4096) less room
 * for the temporary names made next to it. */
#define IC_OUT_PATH_MAX 3968

/* Writes one file's content into `f`; anything but IC_OK abandons the file. */
typedef ic_status ic_out_fill_fn(FILE *f, void *ctx);

/* "dir/name", malloc'd (the caller frees it); NULL when out of memory. */
char *ic_out_join(const char *dir, const char *name);

/* IC_OK when `path` is at most IC_OUT_PATH_MAX bytes long; otherwise
 * reports "what: path is N bytes long, at most M allowed" and IC_EINVAL. */
ic_status ic_out_check_length(const char *what, const char *path);

/* Writes `path` atomically: fill() writes a temporary file in the same
 * directory, which is then flushed, fsynced and renamed over `path`. On any
 * failure the temporary file is removed and `path` is untouched. Reports
 * problems naming `path`: IC_EINVAL (too long), IC_EIO (cannot write), or
 * what fill() returned. */
ic_status ic_out_write(const char *path, ic_out_fill_fn *fill, void *ctx);

/* Same, for a temporary file already written by another program (gnuplot):
 * fsyncs `tmp` and renames it to `path`; removes `tmp` on failure. */
ic_status ic_out_commit(const char *tmp, const char *path);

/* Checks, before a long computation, that the file `path` could be written
 * later: not too long, not a directory, and its directory lets a file be
 * created (one is made and removed). Reports and IC_EINVAL / IC_EIO. */
ic_status ic_out_check_writable(const char *path);

/* An output directory in the making (opaque). */
typedef struct ic_outdir ic_outdir;

/* Starts the output directory `dir`: creates a staging directory (next to
 * `dir` when it does not exist yet, hidden inside it when it does), which
 * also proves `dir` writable. NULL on failure, reported naming `dir`. */
ic_outdir *ic_outdir_open(const char *dir);

/* Where to write the files now (inside the staging directory). */
const char *ic_outdir_staging(const ic_outdir *d);

/* Makes the staged files appear in `dir`: one rename of the directory when
 * `dir` did not exist, else one rename per file (each file whole). Then
 * frees `d`. IC_EIO (reported) on failure, with the staging removed. */
ic_status ic_outdir_commit(ic_outdir *d);

/* Removes the staging directory and what it holds and frees `d`; NULL is
 * fine. A committed directory is not touched. */
void ic_outdir_free(ic_outdir *d);

/* Installs SIGINT, SIGTERM and SIGHUP handlers that remove the temporary
 * files and staging directories in progress, then end the process by the
 * same signal. The command line calls this once at start-up. */
void ic_out_catch_signals(void);

/* Remembers (forgets) a temporary path for the signal handler; `is_dir`
 * removes a directory and the files in it. False when the table is full
 * or the path too long (then nothing is remembered). */
bool ic_out_track(const char *path, bool is_dir);
void ic_out_untrack(const char *path);

#endif
