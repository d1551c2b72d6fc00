/* plot.c: runs the gnuplot scripts in plots/ on infercost's tables. The C side
 * checks the input and the columns first (gnuplot's own errors are cryptic),
 * passes paths and column names as gnuplot string variables, and publishes an
 * image only once gnuplot succeeded and the file looks like a PNG or SVG. */
#define _POSIX_C_SOURCE 200809L /* posix_spawnp, mkstemp, readlink */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "infercost/outfile.h"
#include "infercost/plot.h"
#include "plot_impl.h"

extern char **environ;

struct kind_def {
  const char *name, *script;
};

static const struct kind_def kinds[] = {
    [IC_PLOT_COST_VS_X] = {"cost-vs-x", "cost_vs_x.gp"},
    [IC_PLOT_PARETO] = {"pareto", "pareto.gp"},
    [IC_PLOT_TIMESERIES] = {"timeseries", "timeseries.gp"},
    [IC_PLOT_LEDGER] = {"ledger", "ledger.gp"},
    [IC_PLOT_VALIDATION] = {"validation", "validation.gp"},
    [IC_PLOT_PUBLISHED] = {"published", "published.gp"},
};
enum { KIND_COUNT = sizeof kinds / sizeof kinds[0] };

/* The sweep's cost components, bottom to top of the ledger bars. */
static const char *const ledger_parts[] = {"energy_usd_per_day", "cooling_usd_per_day", "amortization_usd_per_day",
                                           "other_usd_per_day"};
static const char *const timeseries_columns[] = {"time_s",        "arrivals",   "completions", "queue_length",
                                                 "busy_replicas", "it_power_w"};
static const char *const validation_columns[] = {"phase", "predicted_s", "measured_s"};
static const char *const published_columns[] = {"gpu", "predicted", "published"};

void ic_plot_request_init(struct ic_plot_request *req, enum ic_plot_kind kind) {
  *req = (struct ic_plot_request){.kind = kind, .formats = IC_PLOT_PNG, .target_max = (double)NAN,
                                  .target_min = (double)NAN};
}

ic_status ic_plot_kind_parse(const char *name, enum ic_plot_kind *kind) {
  for (size_t i = 0; i < KIND_COUNT; i++)
    if (!strcmp(name, kinds[i].name)) {
      *kind = (enum ic_plot_kind)i;
      return IC_OK;
    }
  return IC_EINVAL;
}

const char *ic_plot_kind_name(enum ic_plot_kind kind) {
  return (size_t)kind < KIND_COUNT ? kinds[kind].name : "?";
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

const char *ic_plot_script_dir(void) {
  static char dir[PATH_MAX];
  char probe[PATH_MAX + 32];
  const char *env = getenv("IC_PLOTS_DIR");
  if (env && *env) {
    snprintf(dir, sizeof dir, "%s", env);
    return dir;
  }
  /* Installed layout: <prefix>/bin/infercost and <prefix>/share/infercost/plots. */
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(probe, sizeof probe, "%.3900s/../share/infercost/plots/terminal.gp", exe);
    if (is_file(probe)) {
      snprintf(dir, sizeof dir, "%.3900s/../share/infercost/plots", exe);
      return dir;
    }
  }
  snprintf(dir, sizeof dir, "%s/plots", IC_SOURCE_DIR);
  return dir;
}

/* Appends `name='value'; ` to a gnuplot -e program, doubling single quotes
 * (gnuplot's escape inside '...'); control characters would end the
 * statement, so they are refused. false when refused or out of room. */
static bool add_string(char *prog, size_t size, const char *name, const char *value) {
  size_t o = strlen(prog);
  int w = snprintf(prog + o, size - o, "%s='", name);
  if (w < 0 || (size_t)w >= size - o) return false;
  o += (size_t)w;
  for (const char *p = value; *p; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7f) return false;
    if (o + 3 >= size) return false;
    if (*p == '\'') prog[o++] = '\'';
    prog[o++] = *p;
  }
  w = snprintf(prog + o, size - o, "'; ");
  return w >= 0 && (size_t)w < size - o;
}

static bool add_number(char *prog, size_t size, const char *name, double value) {
  size_t o = strlen(prog);
  int w = snprintf(prog + o, size - o, "%s=%.17g; ", name, value);
  return w >= 0 && (size_t)w < size - o;
}

/* Copies gnuplot's captured stderr into the diagnostics, a line each. */
static void relay_stderr(int fd, const char *script) {
  FILE *f = fdopen(fd, "r");
  if (!f) {
    close(fd);
    return;
  }
  rewind(f);
  char line[512];
  int shown = 0;
  while (fgets(line, sizeof line, f) && shown < 20) {
    line[strcspn(line, "\r\n")] = '\0';
    if (*line) ic_diag(script, 0, "gnuplot: %s", line), shown++;
  }
  fclose(f);
}

/* Runs `gnuplot -e prog script` with stderr captured (shown only on failure:
 * on success gnuplot's stats warnings are noise). */
static ic_status run_gnuplot(char *prog, char *script) {
  char errpath[] = "/tmp/infercost-gnuplot-XXXXXX";
  int errfd = mkstemp(errpath);
  if (errfd < 0) {
    ic_diag(errpath, 0, "cannot create a temporary file: %s", strerror(errno));
    return IC_EIO;
  }
  unlink(errpath);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, errfd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  char *args[] = {(char *)"gnuplot", (char *)"-e", prog, script, NULL};
  pid_t pid;
  int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    close(errfd);
    ic_diag("gnuplot", 0, "cannot run gnuplot: %s; install it (Debian: apt-get install gnuplot-nox, see .ci/setup.sh)",
            strerror(rc));
    return IC_EIO;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      close(errfd);
      ic_diag("gnuplot", 0, "waitpid: %s", strerror(errno));
      return IC_EIO;
    }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    close(errfd);
    return IC_OK;
  }
  relay_stderr(errfd, script);
  if (WIFEXITED(status))
    ic_diag(script, 0, "gnuplot failed (exit status %d); no image written", WEXITSTATUS(status));
  else
    ic_diag(script, 0, "gnuplot was killed (signal %d); no image written", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return IC_EIO;
}

/* True when `path` is a non-empty PNG (by its 8-byte signature) or SVG. */
static bool image_ok(const char *path, int format) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  unsigned char head[512];
  size_t n = fread(head, 1, sizeof head - 1, f);
  fclose(f);
  head[n] = '\0';
  if (format == IC_PLOT_PNG) return n >= 8 && !memcmp(head, "\x89PNG\r\n\x1a\n", 8);
  return n > 0 && strstr((const char *)head, "<svg") != NULL;
}

/* `path` without a .png, .svg or .csv extension, into buf. */
static void strip_extension(const char *path, char *buf, size_t size) {
  snprintf(buf, size, "%s", path);
  char *dot = strrchr(buf, '.');
  char *slash = strrchr(buf, '/');
  if (dot && (!slash || dot > slash) && (!strcmp(dot, ".png") || !strcmp(dot, ".svg") || !strcmp(dot, ".csv")))
    *dot = '\0';
}

/* Renders `prog` (without `out` and `fmt`) to base.png / base.svg. */
static ic_status render_formats(const char *prog, char *script, const char *base, int formats) {
  for (int format = IC_PLOT_PNG; format <= IC_PLOT_SVG; format <<= 1) {
    if (!(formats & format)) continue;
    const char *ext = format == IC_PLOT_PNG ? "png" : "svg";
    char path[PATH_MAX], tmp[PATH_MAX + 32], full[8192];
    snprintf(path, sizeof path, "%.4000s.%s", base, ext);
    snprintf(tmp, sizeof tmp, "%.4000s.tmp%ld.%s", base, (long)getpid(), ext);
    snprintf(full, sizeof full, "%s", prog);
    if (!add_string(full, sizeof full, "out", tmp) || !add_string(full, sizeof full, "fmt", ext)) {
      ic_diag(path, 0, "output path too long or has control characters");
      return IC_EINVAL;
    }
    ic_out_track(tmp, false);
    ic_status st = run_gnuplot(full, script);
    if (st == IC_OK && !image_ok(tmp, format)) {
      ic_diag(path, 0, "gnuplot exited normally but wrote no %s image", ext);
      st = IC_EIO;
    }
    if (st == IC_OK) st = ic_out_commit(tmp, path); /* removes tmp on failure */
    if (st != IC_OK) {
      remove(tmp);
      ic_out_untrack(tmp);
      return st;
    }
    printf("wrote %s\n", path);
  }
  return IC_OK;
}

/* The varied keys of a sweep: the columns before `seed`/`seeds`, else those
 * with a dot (section.key), space-separated for pareto.gp's labels;
 * false when they do not fit `buf` (refused, never cut). */
static bool varied_keys(const struct ic__plot_table *t, char *buf, size_t size) {
  long seed = ic__plot_table_column(t, "seed");
  if (seed < 0) seed = ic__plot_table_column(t, "seeds");
  buf[0] = '\0';
  for (size_t i = 0; i < t->ncolumns; i++) {
    bool varied = seed >= 0 ? (long)i < seed : strchr(t->columns[i], '.') != NULL;
    if (!varied || strchr(t->columns[i], ' ')) continue;
    size_t o = strlen(buf);
    if ((size_t)snprintf(buf + o, size - o, "%s%s", o ? " " : "", t->columns[i]) >= size - o) {
      buf[0] = '\0'; /* too many to label: no labels rather than a cut one */
      return false;
    }
  }
  return true;
}

/* Reports variables that could not be passed to gnuplot. */
static ic_status vars_done(bool ok, const char *in) {
  if (!ok) ic_diag(in, 0, "a path or column name is too long or has control characters; cannot pass it to gnuplot");
  return ok ? IC_OK : IC_EINVAL;
}

/* Kind-specific checks and variables; may write a derived table to `derived`. */
static ic_status prepare(const struct ic_plot_request *req, const struct ic__plot_table *t, char *prog, size_t size,
                         const char *derived) {
  const char *in = req->input;
  const char *first = t->columns[0];
  const char *xcol, *ycol = req->y_column ? req->y_column : "usd_per_day";
  char labels[1024];
  switch (req->kind) {
  case IC_PLOT_COST_VS_X: {
    xcol = req->x_column ? req->x_column : first;
    const char *need[] = {xcol, ycol, req->target_column};
    if (!ic__plot_table_require(t, in, need, 3)) return IC_EINVAL;
    bool ok = add_string(prog, size, "in", in) && add_string(prog, size, "xcol", xcol) &&
              add_string(prog, size, "ycol", ycol);
    char ci[256]; /* a multi-seed sweep's 95% half-width of ycol, drawn as error bars */
    if ((size_t)snprintf(ci, sizeof ci, "%s_ci95", ycol) >= sizeof ci) return vars_done(false, in);
    if (ic__plot_table_column(t, ci) >= 0) ok = ok && add_string(prog, size, "ci_col", ci);
    if (req->target_column) {
      ok = ok && add_string(prog, size, "target_col", req->target_column);
      if (!isnan(req->target_max)) ok = ok && add_number(prog, size, "target_max", req->target_max);
      if (!isnan(req->target_min)) ok = ok && add_number(prog, size, "target_min", req->target_min);
    }
    return vars_done(ok, in);
  }
  case IC_PLOT_PARETO: {
    xcol = req->x_column ? req->x_column : "e2e_p99_s";
    const char *need[] = {xcol, ycol};
    if (!ic__plot_table_require(t, in, need, 2)) return IC_EINVAL;
    ic_status st = ic__plot_write_front(t, (size_t)ic__plot_table_column(t, xcol),
                                        (size_t)ic__plot_table_column(t, ycol), derived);
    if (st != IC_OK) return st;
    if (!varied_keys(t, labels, sizeof labels)) return vars_done(false, in);
    return vars_done(add_string(prog, size, "in", in) && add_string(prog, size, "front", derived) &&
                         add_string(prog, size, "xcol", xcol) && add_string(prog, size, "ycol", ycol) &&
                         add_string(prog, size, "labelcol", labels),
                     in);
  }
  case IC_PLOT_TIMESERIES:
    if (!ic__plot_table_require(t, in, timeseries_columns, 6)) return IC_EINVAL;
    return vars_done(add_string(prog, size, "in", in) &&
                         (req->replicas <= 0 || add_number(prog, size, "replicas", (double)req->replicas)),
                     in);
  case IC_PLOT_LEDGER: {
    const char *data = in;
    if (ic__plot_table_column(t, "item") == 0 && ic__plot_table_column(t, "usd_per_day") > 0) {
      ic_status st = ic__plot_write_run_ledger(t, in, derived); /* a run's ledger.csv: one bar */
      if (st != IC_OK) return st;
      data = derived;
      xcol = "scenario";
    } else {
      xcol = req->x_column ? req->x_column : first;
      const char *need[] = {xcol, ledger_parts[0], ledger_parts[1], ledger_parts[2]};
      if (!ic__plot_table_require(t, in, need, 4)) return IC_EINVAL;
    }
    labels[0] = '\0';
    for (size_t i = 0; i < 4; i++) /* other_usd_per_day is optional in a sweep */
      if (data != in || ic__plot_table_column(t, ledger_parts[i]) >= 0)
        snprintf(labels + strlen(labels), sizeof labels - strlen(labels), "%s%s", i ? " " : "", ledger_parts[i]);
    return vars_done(add_string(prog, size, "in", data) && add_string(prog, size, "xcol", xcol) &&
                         add_string(prog, size, "parts", labels),
                     in);
  }
  case IC_PLOT_VALIDATION:
    if (!ic__plot_table_require(t, in, validation_columns, 3)) return IC_EINVAL;
    return vars_done(add_string(prog, size, "in", in), in);
  case IC_PLOT_PUBLISHED:
    if (!ic__plot_table_require(t, in, published_columns, 3)) return IC_EINVAL;
    return vars_done(add_string(prog, size, "in", in), in);
  }
  return IC_EINVAL;
}

ic_status ic_plot_render(const struct ic_plot_request *req) {
  if ((size_t)req->kind >= KIND_COUNT || !req->input) return IC_EINVAL;
  char script[PATH_MAX + 64], base[PATH_MAX], derived[PATH_MAX + 32];
  snprintf(script, sizeof script, "%s/%s", ic_plot_script_dir(), kinds[req->kind].script);
  if (!is_file(script)) {
    ic_diag(script, 0, "plot script not found (set IC_PLOTS_DIR to the plots/ directory)");
    return IC_EIO;
  }
  if (ic_out_check_length("plot input", req->input) != IC_OK ||
      (req->output && ic_out_check_length("plot output", req->output) != IC_OK))
    return IC_EINVAL;
  if (req->output) {
    strip_extension(req->output, base, sizeof base);
  } else {
    char in_base[PATH_MAX];
    strip_extension(req->input, in_base, sizeof in_base);
    snprintf(base, sizeof base, "%.*s-%s", PATH_MAX - 32, in_base, kinds[req->kind].name);
  }
  snprintf(derived, sizeof derived, "%s.tmp%ld.csv", base, (long)getpid());
  ic_out_track(derived, false); /* a gnuplot input, removed below or on a signal */
  struct ic__plot_table t;
  ic_status st = ic__plot_table_read(req->input, &t);
  if (st != IC_OK) return st == IC_ENOMEM ? IC_ENOMEM : IC_EINVAL;
  static char prog[8192];
  prog[0] = '\0';
  st = prepare(req, &t, prog, sizeof prog, derived);
  ic__plot_table_free(&t);
  if (st == IC_OK) st = render_formats(prog, script, base, req->formats ? req->formats : IC_PLOT_PNG);
  remove(derived); /* written only by pareto and run ledgers; absent otherwise */
  ic_out_untrack(derived);
  return st;
}

ic_status ic_plot_run_dir(const char *dir, int formats, long replicas) {
  char in[PATH_MAX], out[PATH_MAX];
  struct ic_plot_request req;
  snprintf(in, sizeof in, "%s/timeseries.csv", dir);
  if (is_file(in)) {
    ic_plot_request_init(&req, IC_PLOT_TIMESERIES);
    snprintf(out, sizeof out, "%s/timeseries", dir);
    req.input = in;
    req.output = out;
    req.formats = formats;
    req.replicas = replicas;
    ic_status st = ic_plot_render(&req);
    if (st != IC_OK) return st;
  }
  ic_plot_request_init(&req, IC_PLOT_LEDGER);
  snprintf(in, sizeof in, "%s/ledger.csv", dir);
  snprintf(out, sizeof out, "%s/ledger", dir);
  req.input = in;
  req.output = out;
  req.formats = formats;
  return ic_plot_render(&req);
}
