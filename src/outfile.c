/* outfile.c: atomic output files and directories, and their cleanup on a
 * signal. The one place that turns a temporary name into a final one. */
#define _GNU_SOURCE /* syscall, getdents64 */
#include "infercost/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- what the signal handler removes ---- */

/* A fixed table, so the handler needs no allocation: a slot is filled,
 * then published by `state` (0 free, 1 file, 2 directory). */
#define TRACK_SLOTS 32
static struct {
  volatile sig_atomic_t state;
  pid_t owner; /* a forked worker inherits the table but must not clean up for its parent */
  char path[PATH_MAX];
} tracked[TRACK_SLOTS];

bool ic_out_track(const char *path, bool is_dir) {
  size_t n = strlen(path);
  if (n >= PATH_MAX) return false;
  for (int i = 0; i < TRACK_SLOTS; i++) {
    if (tracked[i].state) continue;
    memcpy(tracked[i].path, path, n + 1);
    tracked[i].owner = getpid();
    tracked[i].state = is_dir ? 2 : 1;
    return true;
  }
  return false;
}

void ic_out_untrack(const char *path) {
  for (int i = 0; i < TRACK_SLOTS; i++)
    if (tracked[i].state && !strcmp(tracked[i].path, path)) tracked[i].state = 0;
}

/* Removes the files in `dir` and then `dir`; async-signal-safe (raw
 * getdents64 instead of opendir, which allocates). */
static void remove_tree_safe(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    char buf[4096];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        struct {
          uint64_t ino;
          int64_t off;
          unsigned short reclen;
          unsigned char type;
          char name[];
        } *e = (void *)(buf + off);
        if (strcmp(e->name, ".") != 0 && strcmp(e->name, "..") != 0) unlinkat(fd, e->name, 0);
        off += e->reclen;
      }
    }
    close(fd);
  }
  rmdir(dir);
}

static void on_signal(int sig) {
  pid_t me = getpid();
  for (int i = 0; i < TRACK_SLOTS; i++) {
    if (!tracked[i].state || tracked[i].owner != me) continue;
    if (tracked[i].state == 2)
      remove_tree_safe(tracked[i].path);
    else
      unlink(tracked[i].path);
    tracked[i].state = 0;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void ic_out_catch_signals(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) sigaddset(&sa.sa_mask, sigs[k]);
    sigaction(sigs[i], &sa, NULL);
  }
}

/* ---- files ---- */

ic_status ic_out_check_length(const char *what, const char *path) {
  size_t n = strlen(path);
  if (n <= IC_OUT_PATH_MAX) return IC_OK;
  ic_diag("infercost", 0, "%s: path is %zu bytes long, at most %d allowed", what, n, IC_OUT_PATH_MAX);
  return IC_EINVAL;
}

char *ic_out_join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s%s%s", dir, *dir ? "/" : "", name);
  return p;
}

/* A fresh temporary name next to `path`: "DIR/.BASE.tmpPID.N". */
static char *temp_name(const char *path) {
  static unsigned counter;
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
  size_t n = strlen(path) + 48;
  char *t = malloc(n);
  if (t) snprintf(t, n, "%.*s.%s.tmp%ld.%u", (int)dir_len, path, base, (long)getpid(), counter++);
  return t;
}

/* fsyncs the directory holding `path`, so the rename survives a crash. */
static void sync_parent(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd); /* best effort: some file systems refuse it on directories */
    close(fd);
  }
  free(dir);
}

ic_status ic_out_commit(const char *tmp, const char *path) {
  int fd = open(tmp, O_RDONLY);
  bool ok = fd >= 0 && fsync(fd) == 0;
  if (fd >= 0) close(fd);
  if (!ok || rename(tmp, path) != 0) {
    ic_diag(path, 0, "cannot write: %s", strerror(errno));
    remove(tmp);
    ic_out_untrack(tmp);
    return IC_EIO;
  }
  ic_out_untrack(tmp);
  sync_parent(path);
  return IC_OK;
}

ic_status ic_out_write(const char *path, ic_out_fill_fn *fill, void *ctx) {
  if (ic_out_check_length("output", path) != IC_OK) return IC_EINVAL;
  char *tmp = temp_name(path);
  if (!tmp) return IC_ENOMEM;
  ic_out_track(tmp, false);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    ic_diag(path, 0, "cannot write: %s", strerror(errno));
    if (fd >= 0) close(fd);
    remove(tmp);
    ic_out_untrack(tmp);
    free(tmp);
    return IC_EIO;
  }
  ic_status st = fill(f, ctx);
  int err = 0;
  if (st == IC_OK && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)) st = IC_EIO, err = errno;
  if (fclose(f) != 0 && st == IC_OK) st = IC_EIO, err = errno;
  if (st == IC_OK && rename(tmp, path) != 0) st = IC_EIO, err = errno;
  if (st != IC_OK) {
    if (st == IC_EIO) ic_diag(path, 0, "cannot write: %s", err ? strerror(err) : "write error");
    remove(tmp);
  } else {
    sync_parent(path);
  }
  ic_out_untrack(tmp);
  free(tmp);
  return st;
}

ic_status ic_out_check_writable(const char *path) {
  if (ic_out_check_length("output", path) != IC_OK) return IC_EINVAL;
  struct stat sb;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    ic_diag(path, 0, "cannot write: it is a directory (a file name is expected)");
    return IC_EINVAL;
  }
  char *tmp = temp_name(path);
  if (!tmp) return IC_ENOMEM;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
  if (fd < 0) {
    ic_diag(path, 0, "cannot write: %s (checked before running)", strerror(errno));
    free(tmp);
    return IC_EIO;
  }
  close(fd);
  remove(tmp);
  free(tmp);
  return IC_OK;
}

/* ---- directories ---- */

struct ic_outdir {
  char *dir;      /* what the user asked for */
  char *staging;  /* where the files are written */
  bool existed;   /* dir existed: staging is inside it, files move one by one */
};

ic_outdir *ic_outdir_open(const char *dir) {
  /* Room for the staging name and the longest file name written into it. */
  if (strlen(dir) > IC_OUT_PATH_MAX - 96) {
    ic_diag("infercost", 0, "output directory: path is %zu bytes long, at most %d allowed", strlen(dir),
            IC_OUT_PATH_MAX - 96);
    return NULL;
  }
  struct stat sb;
  bool existed = stat(dir, &sb) == 0;
  if (existed && !S_ISDIR(sb.st_mode)) {
    ic_diag(dir, 0, "cannot create output directory: a file of that name exists");
    return NULL;
  }
  ic_outdir *d = calloc(1, sizeof *d);
  if (!d || !(d->dir = strdup(dir))) {
    free(d);
    return NULL;
  }
  d->existed = existed;
  /* Inside an existing directory; otherwise a sibling, renamed into place. */
  char *trimmed = strdup(dir);
  size_t n = trimmed ? strlen(trimmed) : 0;
  while (n > 1 && trimmed[n - 1] == '/') trimmed[--n] = '\0';
  d->staging = trimmed ? (existed ? ic_out_join(trimmed, ".infercost-staging-XXXXXX") : malloc(n + 32)) : NULL;
  if (d->staging && !existed) snprintf(d->staging, n + 32, "%s.infercost-staging-XXXXXX", trimmed);
  free(trimmed);
  if (!d->staging || !mkdtemp(d->staging)) {
    ic_diag(dir, 0, "cannot create output directory: %s (checked before running)", strerror(errno));
    free(d->staging);
    free(d->dir);
    free(d);
    return NULL;
  }
  ic_out_track(d->staging, true);
  return d;
}

const char *ic_outdir_staging(const ic_outdir *d) { return d->staging; }

/* Removes the regular files in `dir`, then `dir` (outside a signal handler). */
static void remove_tree(const char *dir) {
  DIR *dp = opendir(dir);
  if (dp) {
    struct dirent *e;
    while ((e = readdir(dp)))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) unlinkat(dirfd(dp), e->d_name, 0);
    closedir(dp);
  }
  rmdir(dir);
}

void ic_outdir_free(ic_outdir *d) {
  if (!d) return;
  if (d->staging) {
    remove_tree(d->staging);
    ic_out_untrack(d->staging);
  }
  free(d->staging);
  free(d->dir);
  free(d);
}

ic_status ic_outdir_commit(ic_outdir *d) {
  /* mkdtemp made the staging directory 0700; give it the usual mode. */
  mode_t mask = umask(0);
  umask(mask);
  chmod(d->staging, 0777 & ~mask);
  if (!d->existed && rename(d->staging, d->dir) == 0) {
    ic_out_untrack(d->staging);
    sync_parent(d->dir);
    free(d->staging);
    d->staging = NULL;
    ic_outdir_free(d);
    return IC_OK;
  }
  /* `dir` exists (or appeared meanwhile): move file by file, after a first
   * pass has checked that no name is taken by a directory, the one reason
   * a rename inside one directory would fail half-way. */
  ic_status st = IC_OK;
  DIR *dp = opendir(d->staging);
  struct dirent *e;
  while (dp && st == IC_OK && (e = readdir(dp))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *to = ic_out_join(d->dir, e->d_name);
    struct stat sb;
    if (!to || (lstat(to, &sb) == 0 && S_ISDIR(sb.st_mode))) {
      ic_diag(to ? to : d->dir, 0, "cannot write: a directory of that name exists; no output written");
      st = IC_EIO;
    }
    free(to);
  }
  if (dp) rewinddir(dp);
  while (dp && st == IC_OK && (e = readdir(dp))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *from = ic_out_join(d->staging, e->d_name), *to = ic_out_join(d->dir, e->d_name);
    if (!from || !to || rename(from, to) != 0) {
      ic_diag(to ? to : d->dir, 0, "cannot write: %s", strerror(errno));
      st = IC_EIO;
    }
    free(from);
    free(to);
  }
  if (!dp) {
    ic_diag(d->dir, 0, "cannot write: %s", strerror(errno));
    st = IC_EIO;
  } else {
    closedir(dp);
  }
  sync_parent(d->staging);
  ic_outdir_free(d);
  return st;
}
