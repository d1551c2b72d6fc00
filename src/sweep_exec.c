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

/* ---- MPI state ---- */

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

/* What forked workers compute and how their answers come back: sweep
 * records (fixed size) or a map's byte strings. */
struct job {
  size_t count;
  long workers;
  struct progress *progress;
  /* In the worker: computes task `index` and writes its answer to fd;
   * false when the pipe broke. */
  bool (*answer)(struct job *j, size_t index, int fd);
  /* In the parent: reads task `index`'s answer from fd; false when the
   * worker died before giving it all. */
  bool (*collect)(struct job *j, size_t index, int fd);
  /* In the parent: task `index` has no answer (its worker died). */
  void (*fail)(struct job *j, size_t index, const char *why);
};

/* A worker: reads task indices until end of file, answers each. */
static void worker_loop(struct job *j, int in, int out) {
  uint64_t index;
  while (read_full(in, &index, sizeof index))
    if (!j->answer(j, (size_t)index, out)) break;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static bool spawn(struct job *j, struct worker *w, size_t n, size_t me) {
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
    worker_loop(j, down[0], up[1]);
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

static ic_status execute_forked(struct job *j) {
  size_t n = (size_t)j->workers < j->count ? (size_t)j->workers : j->count;
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
    if (!spawn(j, w, n, started)) break;
  if (started == 0) st = IC_EIO;
  size_t next = 0, done = 0;
  for (size_t i = 0; i < started; i++) feed(&w[i], &next, j->count);
  while (st == IC_OK && done < j->count) {
    nfds_t nf = 0;
    for (size_t i = 0; i < started; i++)
      if (w[i].busy) fds[nf] = (struct pollfd){.fd = w[i].from_child, .events = POLLIN}, slot[nf++] = i;
    if (nf == 0) { /* every worker died: the rest cannot be run */
      for (; next < j->count; next++, done++) j->fail(j, next, "no worker process left");
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
      if (j->collect(j, wk->point, wk->from_child)) {
        feed(wk, &next, j->count);
      } else {
        j->fail(j, wk->point, "worker process died while running this point");
        wk->busy = false;
        close_fd(&wk->to_child);
        close_fd(&wk->from_child);
      }
      if (j->progress) progress_update(j->progress, ++done);
      else ++done;
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

/* ---- sweep records ---- */

struct record_job {
  struct job job; /* first: the callbacks get it back as a struct job */
  const struct ic_sweep_exec *x;
  struct ic_sweep_record *records;
};

static bool record_answer(struct job *j, size_t index, int fd) {
  struct record_job *r = (struct record_job *)j;
  struct ic_sweep_record rec;
  ic_sweep_eval_point(r->x, index, &rec);
  return write_full(fd, &rec, sizeof rec);
}

static bool record_collect(struct job *j, size_t index, int fd) {
  struct record_job *r = (struct record_job *)j;
  return read_full(fd, &r->records[index], sizeof r->records[index]);
}

static void record_fail(struct job *j, size_t index, const char *why) {
  struct record_job *r = (struct record_job *)j;
  mark_failed(&r->records[index], (int32_t)r->x->runs, why);
}

/* ---- maps: tasks answering byte strings ---- */

struct map_job {
  struct job job;
  ic_sweep_task_fn *task;
  ic_sweep_take_fn *take;
  void *ctx;
  struct answer {
    int32_t status;
    char *bytes;
    size_t len;
  } *answers;
};

/* Runs task `index` into memory: its status and bytes. */
static struct answer map_run(struct map_job *m, size_t index) {
  struct answer a = {IC_ENOMEM, NULL, 0};
  FILE *mem = open_memstream(&a.bytes, &a.len);
  if (!mem) return a;
  a.status = m->task(m->ctx, index, mem);
  if (fclose(mem) != 0 && a.status == IC_OK) a.status = IC_ENOMEM;
  return a;
}

static bool map_answer(struct job *j, size_t index, int fd) {
  struct answer a = map_run((struct map_job *)j, index);
  uint64_t head[2] = {(uint64_t)(uint32_t)a.status, a.len};
  bool ok = write_full(fd, head, sizeof head) && write_full(fd, a.bytes ? a.bytes : "", a.len);
  free(a.bytes);
  return ok;
}

static bool map_collect(struct job *j, size_t index, int fd) {
  struct answer *a = &((struct map_job *)j)->answers[index];
  uint64_t head[2];
  if (!read_full(fd, head, sizeof head) || head[1] > SIZE_MAX / 2) return false;
  free(a->bytes);
  a->bytes = malloc(head[1] ? (size_t)head[1] : 1);
  a->len = (size_t)head[1];
  a->status = (int32_t)(uint32_t)head[0];
  if (!a->bytes) a->status = IC_ENOMEM; /* the bytes still have to be drained */
  char sink[4096];
  for (size_t got = 0; got < a->len;) {
    size_t n = a->len - got < sizeof sink ? a->len - got : sizeof sink;
    if (!read_full(fd, a->bytes ? a->bytes + got : sink, n)) return false;
    got += n;
  }
  return true;
}

static void map_fail(struct job *j, size_t index, const char *why) {
  struct answer *a = &((struct map_job *)j)->answers[index];
  ic_diag("infercost", 0, "task %zu: %s", index + 1, why);
  a->status = IC_EINTERNAL;
}

/* ---- MPI ---- */

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

enum { TAG_HEAD = 18, TAG_BYTES = 19, BYTES_CHUNK = 1 << 30 };

/* Sends or receives n bytes to or from rank `peer`, in chunks an int counts. */
static void move_bytes(char *p, size_t n, int peer, bool send) {
  for (size_t done = 0; done < n;) {
    int k = (int)(n - done < (size_t)BYTES_CHUNK ? n - done : (size_t)BYTES_CHUNK);
    MPI_Request req;
    if (send) MPI_Isend(p + done, k, MPI_BYTE, peer, TAG_BYTES, MPI_COMM_WORLD, &req);
    else MPI_Irecv(p + done, k, MPI_BYTE, peer, TAG_BYTES, MPI_COMM_WORLD, &req);
    wait_quietly(&req);
    done += (size_t)k;
  }
}

/* A map over ranks: task i on rank i mod size. Rank 0 receives every other
 * rank's answers (status and length, then the bytes; MPI keeps one
 * sender's messages in order), all of them even after a failure, so that
 * no sender is left waiting. */
static void map_mpi(struct map_job *m) {
  size_t ranks = (size_t)mpi_size, me = (size_t)mpi_rank;
  for (size_t i = me; i < m->job.count; i += ranks) {
    struct answer *a = &m->answers[i];
    *a = map_run(m, i);
    if (me == 0) continue;
    uint64_t head[2] = {(uint64_t)(uint32_t)a->status, a->len};
    MPI_Request req;
    MPI_Isend(head, 2, MPI_UINT64_T, 0, TAG_HEAD, MPI_COMM_WORLD, &req);
    wait_quietly(&req);
    move_bytes(a->bytes, a->len, 0, true);
    free(a->bytes);
    a->bytes = NULL;
  }
  if (me != 0) return;
  for (size_t i = 0; i < m->job.count; i++) {
    if (i % ranks == 0) continue;
    struct answer *a = &m->answers[i];
    uint64_t head[2];
    MPI_Request req;
    MPI_Irecv(head, 2, MPI_UINT64_T, (int)(i % ranks), TAG_HEAD, MPI_COMM_WORLD, &req);
    wait_quietly(&req);
    a->status = (int32_t)(uint32_t)head[0];
    a->len = (size_t)head[1];
    a->bytes = malloc(a->len ? a->len : 1);
    char sink[65536];
    if (a->bytes) {
      move_bytes(a->bytes, a->len, (int)(i % ranks), false);
    } else { /* drained, then failed */
      for (size_t done = 0; done < a->len; done += sizeof sink)
        move_bytes(sink, a->len - done < sizeof sink ? a->len - done : sizeof sink, (int)(i % ranks), false);
      a->status = IC_ENOMEM;
    }
  }
}
#endif

ic_status ic_sweep_map(size_t count, long workers, ic_sweep_task_fn *task, ic_sweep_take_fn *take, void *ctx) {
  struct map_job m = {{count, workers, NULL, map_answer, map_collect, map_fail}, task, take, ctx, NULL};
  if (!(m.answers = calloc(count ? count : 1, sizeof *m.answers))) return IC_ENOMEM;
  for (size_t i = 0; i < count; i++) m.answers[i].status = IC_EINTERNAL;
  bool on_ranks = false, forked = workers > 1 && count > 1 && !under_mpi();
  ic_status st = forked ? execute_forked(&m.job) : IC_OK;
#ifdef IC_WITH_MPI
  if (mpi_on && mpi_size > 1) {
    map_mpi(&m);
    on_ranks = true;
    if (mpi_rank != 0) count = 0; /* only rank 0 takes the answers */
  }
#endif
  /* In task order, whoever finished first: the result does not depend on the workers. */
  for (size_t i = 0; i < count && st == IC_OK; i++) {
    struct answer *a = &m.answers[i];
    if (!forked && !on_ranks) *a = map_run(&m, i);
    st = a->status;
    FILE *in = st == IC_OK ? fmemopen(a->bytes, a->len ? a->len : 1, "rb") : NULL;
    if (st == IC_OK && !in) st = IC_ENOMEM;
    if (in) {
      st = take(ctx, i, in);
      fclose(in);
    }
    free(a->bytes);
    a->bytes = NULL;
  }
  for (size_t i = 0; i < count; i++) free(m.answers[i].bytes);
  free(m.answers);
  return st;
}

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
    struct record_job r = {{x->count, x->workers, &p, record_answer, record_collect, record_fail}, x, records};
    st = execute_forked(&r.job);
  } else {
    for (size_t i = 0; i < x->count; i++) {
      ic_sweep_eval_point(x, i, &records[i]);
      progress_update(&p, i + 1);
    }
  }
  progress_end(&p);
  return st;
}
