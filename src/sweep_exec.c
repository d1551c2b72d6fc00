/* sweep_exec.c: evaluating points on local worker processes (fork + pipes)
 * or on MPI ranks. Records land in point order whoever finishes first, so
 * the output does not depend on the number of workers or ranks. */
#define _POSIX_C_SOURCE 200809L /* fork, pipe, poll, kill, clock_gettime */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef IC_WITH_MPI
#include <mpi.h>
#endif

#include "infercost/progress.h"
#include "infercost/sweep.h"

/* ---- progress ---- */

/* A batch's progress within its job (a search runs many batches). */
struct progress {
  struct ic_progress line;
  const struct ic_sweep_exec *x;
};

static void progress_update(struct progress *p, size_t done) {
  const struct ic_sweep_exec *x = p->x;
  size_t total = x->progress_total ? x->progress_total : x->count;
  size_t all = x->progress_base + done;
  char text[64];
  snprintf(text, sizeof text, "%zu/%s%zu points", all, x->progress_total ? "~" : "", total);
  ic_progress_draw(&p->line, total ? (double)all / (double)total : 1.0, text, done == x->count);
}

static void progress_start(struct progress *p, const struct ic_sweep_exec *x, bool wanted) {
  p->x = x;
  ic_progress_start(&p->line, wanted);
  if (x->progress_start_s > 0) p->line.start_s = x->progress_start_s;
  progress_update(p, 0);
}

static void progress_end(const struct progress *p) {
  if (!p->x->progress_keep) ic_progress_end(&p->line);
}

/* ---- pipes ---- */

static bool write_full(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* true when all n bytes came; false at end of file or on error. */
static bool read_full(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= (size_t)r;
  }
  return true;
}

struct worker {
  pid_t pid;
  int to_child, from_child; /* -1 when closed */
  size_t point;             /* the point it works on */
  bool busy;
};

/* A worker: reads point indices until end of file, answers with records. */
static void worker_loop(const struct ic_sweep_exec *x, int in, int out) {
  uint64_t index;
  struct ic_sweep_record rec;
  while (read_full(in, &index, sizeof index)) {
    ic_sweep_eval_point(x, (size_t)index, &rec);
    if (!write_full(out, &rec, sizeof rec)) break;
  }
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static bool spawn(const struct ic_sweep_exec *x, struct worker *w, size_t n, size_t me) {
  int down[2], up[2];
  if (pipe(down) != 0) return false;
  if (pipe(up) != 0) {
    close(down[0]);
    close(down[1]);
    return false;
  }
  fflush(NULL); /* or the child would write the parent's buffered output again */
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(down[0]), close(down[1]), close(up[0]), close(up[1]);
    return false;
  }
  if (pid == 0) {
#ifdef __linux__
    /* A worker dies with its parent (even a SIGKILLed one) instead of
     * finishing its point as an orphan; the check covers a parent that
     * died before prctl ran. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(1);
#else
    (void)parent;
#endif
    /* Earlier workers' pipe ends would keep their end-of-file from coming. */
    for (size_t i = 0; i < n; i++)
      if (i != me) close_fd(&w[i].to_child), close_fd(&w[i].from_child);
    close(down[1]);
    close(up[0]);
    worker_loop(x, down[0], up[1]);
    _exit(0);
  }
  close(down[0]);
  close(up[1]);
  w[me] = (struct worker){.pid = pid, .to_child = down[1], .from_child = up[0], .point = 0, .busy = false};
  return true;
}

static void mark_failed(struct ic_sweep_record *rec, int32_t runs, const char *why) {
  memset(rec, 0, sizeof *rec);
  rec->status = IC_EINTERNAL;
  rec->runs = runs;
  snprintf(rec->message, sizeof rec->message, "%s", why);
  for (size_t m = 0; m < IC_HEADLINE_MAX; m++) rec->mean[m] = rec->ci95[m] = (double)NAN;
}

/* Hands the next point to w, or closes its input when none is left. */
static void feed(struct worker *w, size_t *next, size_t count) {
  if (*next < count) {
    uint64_t index = *next;
    if (write_full(w->to_child, &index, sizeof index)) {
      w->point = (*next)++;
      w->busy = true;
      return;
    }
  }
  w->busy = false;
  close_fd(&w->to_child);
}

static ic_status execute_forked(const struct ic_sweep_exec *x, struct ic_sweep_record *records, struct progress *p) {
  size_t n = (size_t)x->workers < x->count ? (size_t)x->workers : x->count;
  struct worker *w = calloc(n, sizeof *w);
  struct pollfd *fds = calloc(n, sizeof *fds);
  size_t *slot = calloc(n, sizeof *slot);
  if (!w || !fds || !slot) {
    free(w), free(fds), free(slot);
    return IC_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) w[i] = (struct worker){.pid = -1, .to_child = -1, .from_child = -1};
  /* A worker that dies must not kill us through a write to its pipe. */
  struct sigaction ignore = {.sa_handler = SIG_IGN}, old_pipe;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &old_pipe);
  ic_status st = IC_OK;
  size_t started = 0;
  for (; started < n; started++)
    if (!spawn(x, w, n, started)) break;
  if (started == 0) st = IC_EIO;
  size_t next = 0, done = 0;
  for (size_t i = 0; i < started; i++) feed(&w[i], &next, x->count);
  while (st == IC_OK && done < x->count) {
    nfds_t nf = 0;
    for (size_t i = 0; i < started; i++)
      if (w[i].busy) fds[nf] = (struct pollfd){.fd = w[i].from_child, .events = POLLIN}, slot[nf++] = i;
    if (nf == 0) { /* every worker died: the rest cannot be run */
      for (; next < x->count; next++, done++) mark_failed(&records[next], (int32_t)x->runs, "no worker process left");
      break;
    }
    if (poll(fds, nf, -1) < 0) {
      if (errno == EINTR) continue;
      st = IC_EIO;
      break;
    }
    for (nfds_t k = 0; k < nf; k++) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      struct worker *wk = &w[slot[k]];
      if (read_full(wk->from_child, &records[wk->point], sizeof records[wk->point])) {
        feed(wk, &next, x->count);
      } else {
        mark_failed(&records[wk->point], (int32_t)x->runs, "worker process died while running this point");
        wk->busy = false;
        close_fd(&wk->to_child);
        close_fd(&wk->from_child);
      }
      progress_update(p, ++done);
    }
  }
  for (size_t i = 0; i < started; i++) {
    close_fd(&w[i].to_child);
    close_fd(&w[i].from_child);
    if (st != IC_OK) kill(w[i].pid, SIGTERM);
    while (waitpid(w[i].pid, NULL, 0) < 0 && errno == EINTR) {}
  }
  sigaction(SIGPIPE, &old_pipe, NULL);
  free(w), free(fds), free(slot);
  return st;
}

/* ---- MPI ---- */

static int mpi_rank = 0, mpi_size = 1;
#ifdef IC_WITH_MPI
static bool mpi_on;
#endif

/* Forking an MPI process is unsafe with some transports: one rank, one process. */
static bool under_mpi(void) {
#ifdef IC_WITH_MPI
  return mpi_on;
#else
  return false;
#endif
}

ic_status ic_sweep_mpi_begin(void) {
#ifdef IC_WITH_MPI
  /* Only under a launcher: a plain run never touches MPI (no singleton
   * start-up, no daemon, no noise). */
  if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE") && !getenv("PMIX_RANK")) return IC_OK;
  /* Going on alone would have every rank write the same file. */
  if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
    ic_diag("infercost", 0, "started by an MPI launcher, but MPI_Init failed");
    return IC_EIO;
  }
  mpi_on = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
#endif
  return IC_OK;
}

int ic_sweep_mpi_rank(void) { return mpi_rank; }
int ic_sweep_mpi_size(void) { return mpi_size; }

void ic_sweep_mpi_end(void) {
#ifdef IC_WITH_MPI
  if (mpi_on) MPI_Finalize();
  mpi_on = false;
  mpi_rank = 0;
  mpi_size = 1;
#endif
}

#ifdef IC_WITH_MPI
enum { TAG_RECORD = 17, BCAST_CHUNK = 65536 };

/* OpenMPI's blocking calls spin on the CPU while they wait; a rank that has
 * finished its points would take a core from one still working. Polling
 * every millisecond costs nothing next to a simulation. */
static void wait_quietly(MPI_Request *req) {
  int done = 0;
  const struct timespec pause = {.tv_sec = 0, .tv_nsec = 1000000};
  while (MPI_Test(req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done) nanosleep(&pause, NULL);
}

/* Static round-robin: point i on rank i mod size. Every rank builds the same
 * point list, so only records travel; rank 0 collects them in point order
 * (MPI keeps messages from one sender in order) and broadcasts the lot, so
 * every rank can take the next decision of a search. Records go as bytes:
 * the ranks must share one architecture (a homogeneous cluster). */
static ic_status execute_mpi(const struct ic_sweep_exec *x, struct ic_sweep_record *records, struct progress *p) {
  size_t ranks = (size_t)mpi_size, me = (size_t)mpi_rank, done = 0;
  for (size_t i = me; i < x->count; i += ranks) {
    ic_sweep_eval_point(x, i, &records[i]);
    if (me != 0) {
      MPI_Request req;
      MPI_Isend(&records[i], (int)sizeof records[i], MPI_BYTE, 0, TAG_RECORD, MPI_COMM_WORLD, &req);
      wait_quietly(&req);
    }
    else
      progress_update(p, ++done);
  }
  if (me == 0)
    for (size_t i = 0; i < x->count; i++)
      if (i % ranks != 0) {
        MPI_Request req;
        MPI_Irecv(&records[i], (int)sizeof records[i], MPI_BYTE, (int)(i % ranks), TAG_RECORD, MPI_COMM_WORLD, &req);
        wait_quietly(&req);
        progress_update(p, ++done);
      }
  for (size_t i = 0; i < x->count; i += BCAST_CHUNK) {
    size_t n = x->count - i < BCAST_CHUNK ? x->count - i : BCAST_CHUNK;
    MPI_Request req;
    MPI_Ibcast(&records[i], (int)(n * sizeof records[i]), MPI_BYTE, 0, MPI_COMM_WORLD, &req);
    wait_quietly(&req);
  }
  return IC_OK;
}
#endif

ic_status ic_sweep_execute(const struct ic_sweep_exec *x, struct ic_sweep_record *records) {
  struct progress p;
  progress_start(&p, x, x->progress && mpi_rank == 0);
  ic_status st = IC_OK;
#ifdef IC_WITH_MPI
  if (mpi_on && mpi_size > 1) {
    st = execute_mpi(x, records, &p);
    progress_end(&p);
    return st;
  }
#endif
  if (x->workers > 1 && x->count > 1 && !under_mpi()) {
    st = execute_forked(x, records, &p);
  } else {
    for (size_t i = 0; i < x->count; i++) {
      ic_sweep_eval_point(x, i, &records[i]);
      progress_update(&p, i + 1);
    }
  }
  progress_end(&p);
  return st;
}
