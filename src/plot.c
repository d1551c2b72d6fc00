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

#include "infercost/meta.h"
#include "infercost/outfile.h"
#include "infercost/plot.h"
#include "infercost/scenario.h"
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
    [IC_PLOT_KERNELS] = {"kernels", "kernels.gp"},
};
enum { KIND_COUNT = sizeof kinds / sizeof kinds[0] };

/* The sweep's cost components, bottom to top of the ledger bars. */
static const char *const ledger_parts[] = {"energy_usd_per_day", "cooling_usd_per_day", "amortization_usd_per_day",
                                           "other_usd_per_day"};
static const char *const timeseries_columns[] = {"time_s",        "arrivals",   "completions", "queue_length",
                                                 "busy_replicas", "it_power_w"};
static const char *const validation_columns[] = {"phase", "predicted_s", "measured_s"};
static const char *const published_columns[] = {"gpu", "predicted", "published"};
static const char *const kernels_columns[] = {"kernel", "measured_us", "roofline_us", "fitted_us"};

void ic_plot_request_init(struct ic_plot_request *req, enum ic_plot_kind kind) {
  *req = (struct ic_plot_request){.kind = kind, .formats = IC_PLOT_PNG};
}

void ic_plot_axis_label(const char *column, char *buf, size_t size) {
  const struct ic_section_def *sec;
  const struct ic_key_def *k = strchr(column, '.') ? ic_scenario_find_key(column, &sec) : NULL;
  buf[0] = '\0';
  if (!k) return;
  size_t n = strcspn(k->doc, ";:("); /* the meaning, without its qualifications */
  while (n > 0 && k->doc[n - 1] == ' ') n--;
  if (k->unit && *k->unit)
    snprintf(buf, size, "%.*s, %s (%s)", (int)n, k->doc, column, k->unit);
  else
    snprintf(buf, size, "%.*s, %s", (int)n, k->doc, column);
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
    char path[PATH_MAX], tmp[PATH_MAX + 32], full[20480];
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

/* Targets as gnuplot words: tcols (columns), tlims (bounds), tdirs (max or
 * min); a target with both bounds becomes two. */
static bool add_targets(const struct ic_plot_request *req, char *prog, size_t size) {
  char cols[1024] = "", lims[1024] = "", dirs[256] = "";
  for (size_t k = 0; k < req->target_count; k++) {
    const struct ic_plot_target *tg = &req->targets[k];
    for (int side = 0; side < 2; side++) {
      double v = side ? tg->min : tg->max;
      if (isnan(v)) continue;
      size_t a = strlen(cols), b = strlen(lims), c = strlen(dirs);
      snprintf(cols + a, sizeof cols - a, "%s%s", a ? " " : "", tg->column);
      snprintf(lims + b, sizeof lims - b, "%s%.17g", b ? " " : "", v);
      snprintf(dirs + c, sizeof dirs - c, "%s%s", c ? " " : "", side ? "min" : "max");
    }
  }
  return add_string(prog, size, "tcols", cols) && add_string(prog, size, "tlims", lims) &&
         add_string(prog, size, "tdirs", dirs);
}

/* What every chart of a table shares: the marked copy of the table as
 * `in`, the targets, and a subtitle naming the scenario and window. */
static ic_status add_common(const struct ic_plot_request *req, const struct ic__plot_table *t, char *prog,
                            size_t size, const char *marked) {
  const char *in = req->input;
  for (size_t k = 0; k < req->target_count; k++) {
    const char *need[] = {req->targets[k].column};
    if (!ic__plot_table_require(t, in, need, 1)) return IC_EINVAL;
  }
  ic_status st = ic__plot_write_marked(t, req->targets, req->target_count, marked);
  if (st != IC_OK) return st;
  char caption[512];
  bool ok = add_string(prog, size, "in", marked) && add_targets(req, prog, size);
  if (ic_meta_caption(in, caption, sizeof caption)) ok = ok && add_string(prog, size, "subtitle", caption);
  return vars_done(ok, in);
}

/* A column's axis label from the key table, when it is a scenario key. */
static bool add_label(char *prog, size_t size, const char *var, const char *column) {
  char label[512];
  ic_plot_axis_label(column, label, sizeof label);
  return !*label || add_string(prog, size, var, label);
}

/* Distinct values of `column` as gnuplot words (series or ticks). */
static ic_status add_values(const struct ic__plot_table *t, const char *in, const char *column, const char *var,
                            char *prog, size_t size, bool *numeric) {
  char values[4096];
  size_t count;
  if (!ic__plot_distinct(t, (size_t)ic__plot_table_column(t, column), in, values, sizeof values, &count, numeric))
    return IC_EINVAL;
  if (!strcmp(var, "byvals") && count > 12) {
    ic_diag(in, 0, "--by %s: %zu values are too many lines for one chart (at most 12)", column, count);
    return IC_EINVAL;
  }
  return vars_done(add_string(prog, size, var, values), in);
}

static ic_status prepare_cost_vs_x(const struct ic_plot_request *req, const struct ic__plot_table *t, char *prog,
                                   size_t size, const char *marked) {
  const char *in = req->input, *ycol = req->y_column ? req->y_column : "usd_per_day";
  const char *xcol = req->x_column ? req->x_column : t->columns[0];
  const char *need[] = {xcol, ycol, req->by_column};
  if (!ic__plot_table_require(t, in, need, 3)) return IC_EINVAL;
  if (req->by_column && !strcmp(req->by_column, xcol)) {
    ic_diag("--by", 0, "%s is already the x axis; give another varied key", xcol);
    return IC_EINVAL;
  }
  ic_status st = add_common(req, t, prog, size, marked);
  bool numeric;
  if (st == IC_OK) st = add_values(t, in, xcol, "xvals", prog, size, &numeric);
  if (st == IC_OK && !numeric) st = vars_done(add_number(prog, size, "xtext", 1), in); /* names: one tick each */
  if (st == IC_OK && req->by_column) st = add_values(t, in, req->by_column, "byvals", prog, size, &numeric);
  if (st != IC_OK) return st;
  bool ok = add_string(prog, size, "xcol", xcol) && add_string(prog, size, "ycol", ycol) &&
            add_label(prog, size, "xlabel", xcol);
  if (req->by_column)
    ok = ok && add_string(prog, size, "bycol", req->by_column) && add_label(prog, size, "bylabel", req->by_column);
  char ci[256]; /* a multi-seed sweep's 95% half-width of ycol, drawn as error bars */
  snprintf(ci, sizeof ci, "%s_ci95", ycol);
  if (ic__plot_table_column(t, ci) >= 0) ok = ok && add_string(prog, size, "ci_col", ci);
  return vars_done(ok, in);
}

/* Whether column `name` of the table at `path` holds numbers that differ. */
static bool column_varies(const char *path, const char *name) {
  struct ic__plot_table h;
  ic_diag_sink_fn *sink;
  void *ctx;
  ic_diag_get_sink(&sink, &ctx);
  static struct ic_diag_buffer ignored; /* a missing or odd hourly.csv only means no panel */
  ic_diag_set_sink(ic_diag_buffer_sink, &ignored);
  bool ok = ic__plot_table_read(path, &h) == IC_OK;
  ic_diag_set_sink(sink, ctx);
  ignored.len = 0;
  if (!ok) return false;
  long c = ic__plot_table_column(&h, name);
  double lo = (double)INFINITY, hi = -(double)INFINITY;
  for (size_t r = 0; c >= 0 && r < h.nrows; r++) {
    double v = ic__plot_table_number(&h, r, (size_t)c);
    if (!isnan(v)) lo = fmin(lo, v), hi = fmax(hi, v);
  }
  ic__plot_table_free(&h);
  return hi > lo;
}

/* A run's time series; the electricity price and carbon intensity come from
 * hourly.csv next to it when they vary by hour (flat ones say nothing). */
static ic_status prepare_timeseries(const struct ic_plot_request *req, char *prog, size_t size) {
  const char *in = req->input;
  char hourly[PATH_MAX], caption[512];
  const char *slash = strrchr(in, '/');
  snprintf(hourly, sizeof hourly, "%.*shourly.csv", slash ? (int)(slash - in + 1) : 0, in);
  bool price = column_varies(hourly, "price_usd_per_kwh"), carbon = column_varies(hourly, "carbon_g_per_kwh");
  bool ok = add_string(prog, size, "in", in) &&
            (req->replicas <= 0 || add_number(prog, size, "replicas", (double)req->replicas)) &&
            (req->replicas <= 0 || req->max_batch <= 0 || add_number(prog, size, "max_batch", (double)req->max_batch));
  if (price || carbon)
    ok = ok && add_string(prog, size, "hourly", hourly) && add_number(prog, size, "has_price", price) &&
         add_number(prog, size, "has_carbon", carbon);
  if (ic_meta_caption(in, caption, sizeof caption)) ok = ok && add_string(prog, size, "subtitle", caption);
  return vars_done(ok, in);
}

/* Kind-specific checks and variables; may write derived tables to
 * `derived` and `marked`. */
static ic_status prepare(const struct ic_plot_request *req, const struct ic__plot_table *t, char *prog, size_t size,
                         const char *derived, const char *marked) {
  const char *in = req->input;
  const char *first = t->columns[0];
  const char *xcol, *ycol = req->y_column ? req->y_column : "usd_per_day";
  char labels[1024];
  switch (req->kind) {
  case IC_PLOT_COST_VS_X:
    return prepare_cost_vs_x(req, t, prog, size, marked);
  case IC_PLOT_PARETO: {
    xcol = req->x_column ? req->x_column : "e2e_p99_s";
    const char *need[] = {xcol, ycol};
    if (!ic__plot_table_require(t, in, need, 2)) return IC_EINVAL;
    ic_status st = ic__plot_write_front(t, (size_t)ic__plot_table_column(t, xcol),
                                        (size_t)ic__plot_table_column(t, ycol), derived);
    if (st == IC_OK) st = add_common(req, t, prog, size, marked);
    if (st != IC_OK) return st;
    if (!varied_keys(t, labels, sizeof labels)) return vars_done(false, in);
    return vars_done(add_string(prog, size, "front", derived) && add_string(prog, size, "xcol", xcol) &&
                         add_string(prog, size, "ycol", ycol) && add_string(prog, size, "labelcol", labels),
                     in);
  }
  case IC_PLOT_TIMESERIES:
    if (!ic__plot_table_require(t, in, timeseries_columns, 6)) return IC_EINVAL;
    if (req->max_batch > 0 && req->replicas > 0) {
      const char *need[] = {"running_requests"}; /* batch occupancy's numerator */
      if (!ic__plot_table_require(t, in, need, 1)) return IC_EINVAL;
    }
    return prepare_timeseries(req, prog, size);
  case IC_PLOT_LEDGER: {
    const char *data = in;
    if (ic__plot_table_column(t, "item") >= 0 && ic__plot_table_column(t, "usd_per_day") > 0) {
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
    char caption[512];
    bool ok = add_string(prog, size, "in", data) && add_string(prog, size, "xcol", xcol) &&
              add_string(prog, size, "parts", labels) && add_label(prog, size, "xlabel", xcol);
    if (ic_meta_caption(in, caption, sizeof caption)) ok = ok && add_string(prog, size, "subtitle", caption);
    return vars_done(ok, in);
  }
  case IC_PLOT_VALIDATION:
    if (!ic__plot_table_require(t, in, validation_columns, 3)) return IC_EINVAL;
    return vars_done(add_string(prog, size, "in", in), in);
  case IC_PLOT_PUBLISHED:
    if (!ic__plot_table_require(t, in, published_columns, 3)) return IC_EINVAL;
    return vars_done(add_string(prog, size, "in", in), in);
  case IC_PLOT_KERNELS:
    if (!ic__plot_table_require(t, in, kernels_columns, 4)) return IC_EINVAL;
    return vars_done(add_string(prog, size, "in", in), in);
  }
  return IC_EINVAL;
}

ic_status ic_plot_render(const struct ic_plot_request *req) {
  if ((size_t)req->kind >= KIND_COUNT || !req->input) return IC_EINVAL;
  char script[PATH_MAX + 64], base[PATH_MAX], derived[PATH_MAX + 32], marked[PATH_MAX + 48];
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
  snprintf(marked, sizeof marked, "%s.tmp%ld.marked.csv", base, (long)getpid());
  ic_out_track(derived, false); /* a gnuplot input, removed below or on a signal */
  ic_out_track(marked, false);
  struct ic__plot_table t;
  ic_status st = ic__plot_table_read(req->input, &t);
  if (st != IC_OK) return st == IC_ENOMEM ? IC_ENOMEM : IC_EINVAL;
  static char prog[16384];
  prog[0] = '\0';
  st = prepare(req, &t, prog, sizeof prog, derived, marked);
  ic__plot_table_free(&t);
  if (st == IC_OK) st = render_formats(prog, script, base, req->formats ? req->formats : IC_PLOT_PNG);
  remove(derived); /* written only by pareto and run ledgers; absent otherwise */
  remove(marked);  /* written by cost-vs-x and pareto */
  ic_out_untrack(derived);
  ic_out_untrack(marked);
  return st;
}

ic_status ic_plot_run_dir(const char *dir, int formats, long replicas, long max_batch) {
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
    req.max_batch = max_batch;
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
