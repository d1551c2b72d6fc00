/* test_docs.c: the documentation as a reader uses it. Every `infercost`
 * example line of README.md runs as written (in a scratch directory that
 * sees the repository's scenarios/, traces/ and tests/), and so does its
 * Python example; every pandas and jq one-liner of docs/outputs.md runs on
 * real outputs, and the ledger's components add up to the summary's total;
 * every repository path a document names exists. Tools that are missing
 * (python3 with pandas, jq, mpirun) skip their lines, loudly. */
#define _XOPEN_SOURCE 700 /* popen, mkdtemp, realpath */
#include "ic_test_cli.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char out[1 << 16];
static char scratch[PATH_MAX], repo[PATH_MAX], bindir[PATH_MAX], pandas_py[64];

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *b = malloc((size_t)n + 1);
  b[fread(b, 1, (size_t)n, f)] = '\0';
  fclose(f);
  return b;
}

/* Runs `line` with sh in the scratch directory, infercost first on PATH. */
static int run_line(const char *line) {
  char script[PATH_MAX + 16];
  static char cmd[4 * PATH_MAX + 128];
  snprintf(script, sizeof script, "%s/line.sh", scratch);
  FILE *f = fopen(script, "w");
  assert_non_null(f);
  fprintf(f, "%s\n", line);
  fclose(f);
  snprintf(cmd, sizeof cmd, "cd '%s' && PATH='%s':\"$PATH\" PYTHONPATH='%s/python' sh line.sh 2>&1", scratch, bindir,
           repo);
  return ic_test_shell(cmd, out, sizeof out);
}

static bool have(const char *probe) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "%s >/dev/null 2>&1", probe);
  return system(cmd) == 0;
}

static int setup(void **state) {
  (void)state;
  assert_non_null(realpath(".", repo));
  char bin[PATH_MAX];
  assert_non_null(realpath(ic_test_bin(), bin));
  snprintf(bindir, sizeof bindir, "%s", bin);
  *strrchr(bindir, '/') = '\0';
  snprintf(scratch, sizeof scratch, "/tmp/ic_docs_XXXXXX");
  assert_non_null(mkdtemp(scratch));
  static char cmd[5 * PATH_MAX];
  snprintf(cmd, sizeof cmd, "cd '%s' && ln -s '%s/scenarios' '%s/traces' '%s/tests' . && mkdir -p docs/img", scratch,
           repo, repo, repo);
  assert_int_equal(system(cmd), 0);
  /* The python3 that has pandas (Debian's, in CI). */
  pandas_py[0] = '\0';
  if (have("python3 -c 'import pandas'")) snprintf(pandas_py, sizeof pandas_py, "python3");
  else if (have("/usr/bin/python3 -c 'import pandas'")) snprintf(pandas_py, sizeof pandas_py, "/usr/bin/python3");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
  return system(cmd) == 0 ? 0 : -1;
}

/* The indented code lines of a markdown file that start with `prefix`,
 * with continuation lines (ending in a backslash) joined; n of them. */
static size_t code_lines(const char *text, const char *prefix, char **lines, size_t max) {
  size_t n = 0;
  for (const char *p = text; *p && n < max;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len > 4 && !strncmp(p, "    ", 4) && !strncmp(p + 4, prefix, strlen(prefix))) {
      char *joined = calloc(4096, 1);
      snprintf(joined, 4096, "%.*s", (int)(len - 4), p + 4);
      while (eol && joined[strlen(joined) - 1] == '\\') {
        joined[strlen(joined) - 1] = ' ';
        p = eol + 1;
        eol = strchr(p, '\n');
        len = eol ? (size_t)(eol - p) : strlen(p);
        size_t o = strlen(joined), skip = strspn(p, " ");
        snprintf(joined + o, 4096 - o, "%.*s", (int)(len - skip), p + skip);
      }
      /* A trailing "# comment" is for the reader; sh ignores it anyway. */
      lines[n++] = joined;
    }
    p = eol ? eol + 1 : p + len;
  }
  return n;
}

/* Every README line that starts with `infercost ` runs and exits 0. */
static void readme_examples_run_as_written(void **state) {
  (void)state;
  char *readme = slurp("README.md");
  assert_non_null(readme);
  char *lines[64];
  size_t n = code_lines(readme, "infercost ", lines, 64), ran = 0;
  for (size_t i = 0; i < n; i++) {
    print_message("README: %s\n", lines[i]);
    int rc = run_line(lines[i]);
    if (rc != 0) fail_msg("README example exits %d: %s\n%s", rc, lines[i], out);
    ran++;
    free(lines[i]);
  }
  assert_true(ran >= 10);
  /* mpirun examples run where MPI is there. */
  n = code_lines(readme, "mpirun ", lines, 64);
  for (size_t i = 0; i < n; i++) {
    if (have("command -v mpirun")) {
      char line[4200];
      /* OpenMPI itself leaks at exit, which a sanitizer build would report. */
      snprintf(line, sizeof line, "ASAN_OPTIONS=detect_leaks=0 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
               "OMPI_MCA_rmaps_base_oversubscribe=1 %s", lines[i]);
      if (run_line(line) != 0) fail_msg("README example fails: %s\n%s", lines[i], out);
    } else {
      print_message("mpirun missing: skipped %s\n", lines[i]);
    }
    free(lines[i]);
  }
  /* The Python example: the indented block that starts with "import infercost". */
  const char *py = strstr(readme, "\n    import infercost\n");
  assert_non_null(py);
  if (!getenv("INFERCOST_LIB")) {
    print_message("INFERCOST_LIB unset: the README's Python example is skipped\n");
  } else {
    char script[PATH_MAX + 16];
    snprintf(script, sizeof script, "%s/example.py", scratch);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    for (const char *p = py + 1; !strncmp(p, "    ", 4) || *p == '\n';) {
      const char *eol = strchr(p, '\n');
      if (*p != '\n') fprintf(f, "%.*s\n", (int)(eol - p - 4), p + 4);
      p = eol + 1;
    }
    fclose(f);
    int rc = run_line("python3 example.py");
    if (rc != 0) fail_msg("README Python example exits %d:\n%s", rc, out);
    assert_true(strlen(out) > 0);
  }
  free(readme);
}

/* docs/outputs.md's one-liners, on outputs made the way its text says. */
static void output_one_liners_load_every_file(void **state) {
  (void)state;
  assert_int_equal(run_line("infercost run tests/data/tiny_scenario.ini -q -o out"), 0);
  assert_int_equal(run_line("infercost sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1:3:1 -o sweep.csv"), 0);
  assert_int_equal(run_line("infercost search tests/data/tiny_scenario.ini -q --target 'e2e_p99_s<=14' "
                            "--vary serving.max_batch=8,16 --nodes 1:4:1 --top 2 -o search.csv"), 0);
  char *doc = slurp("docs/outputs.md");
  assert_non_null(doc);
  char *lines[64];
  size_t n = code_lines(doc, "python3 -c", lines, 64), ran = 0;
  bool summed = false;
  for (size_t i = 0; i < n; i++) {
    if (!*pandas_py) {
      print_message("no python3 with pandas: skipped %s\n", lines[i]);
      free(lines[i]);
      continue;
    }
    char line[4200];
    snprintf(line, sizeof line, "%s%s", pandas_py, lines[i] + strlen("python3"));
    int rc = run_line(line);
    if (rc != 0 || !*out) fail_msg("docs/outputs.md one-liner exits %d: %s\n%s", rc, lines[i], out);
    ran++;
    if (strstr(lines[i], "[\"total\"]")) { /* components only: their sum is the total */
      double sum, total;
      assert_int_equal(sscanf(out, "%lf %lf", &sum, &total), 2);
      assert_true(fabs(sum - total) <= 1e-5 * total);
      summed = true;
    }
    free(lines[i]);
  }
  if (*pandas_py) assert_true(summed && ran >= 8);
  n = code_lines(doc, "jq ", lines, 64);
  size_t m = code_lines(doc, "infercost ", lines + n, 64 - n);
  for (size_t i = 0; i < n + m; i++) {
    if (!have("command -v jq")) {
      print_message("jq missing: skipped %s\n", lines[i]);
    } else {
      int rc = run_line(lines[i]);
      if (rc != 0 || !*out || strstr(out, "null\n") == out) fail_msg("one-liner exits %d: %s\n%s", rc, lines[i], out);
    }
    free(lines[i]);
  }
  assert_true(n + m >= 5);
  free(doc);
}

/* A path with a capitalised placeholder part (plots/KIND.gp, NAME.meta.json). */
static bool placeholder(const char *path) {
  for (const char *p = path; *p;) {
    size_t n = strcspn(p, "/."), caps = 0;
    for (size_t i = 0; i < n; i++) caps += p[i] >= 'A' && p[i] <= 'Z';
    if (n > 1 && caps == n) return true;
    p += n + (p[n] != '\0');
  }
  return false;
}

/* Repository paths named in README.md and docs/ (in `code` or links). */
static void documents_name_only_files_that_exist(void **state) {
  (void)state;
  /* README.md, python/README.md and every .md under docs/ and docs/formats/. */
  static char docs[64][300];
  size_t ndocs = 0;
  snprintf(docs[ndocs++], sizeof docs[0], "README.md");
  snprintf(docs[ndocs++], sizeof docs[0], "python/README.md");
  static const char *const dirs[] = {"docs", "docs/formats"};
  for (size_t k = 0; k < 2; k++) {
    DIR *dir = opendir(dirs[k]);
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir)) && ndocs < 64;) {
      size_t len = strlen(e->d_name);
      if (len > 3 && !strcmp(e->d_name + len - 3, ".md"))
        snprintf(docs[ndocs++], sizeof docs[0], "%s/%s", dirs[k], e->d_name);
    }
    closedir(dir);
  }
  assert_true(ndocs >= 18);
  regex_t path_re, link_re;
  /* A top-level directory of the repository, then a path with an extension. */
  assert_int_equal(regcomp(&path_re,
                           "(^|[^A-Za-z0-9_./-])((docs|scenarios|plots|src|include|tests|traces|python|packaging|\\.ci)"
                           "/[A-Za-z0-9_./-]*[A-Za-z0-9_-]\\.[a-z0-9]+)",
                           REG_EXTENDED),
                   0);
  assert_int_equal(regcomp(&link_re, "\\]\\(([A-Za-z0-9_./-]+\\.(md|png|svg|csv))\\)", REG_EXTENDED), 0);
  size_t checked = 0;
  for (size_t d = 0; d < ndocs; d++) {
    char *text = slurp(docs[d]);
    if (!text) fail_msg("%s is missing", docs[d]);
    regmatch_t m[3];
    for (const char *p = text; regexec(&path_re, p, 3, m, 0) == 0; p += m[2].rm_eo) {
      char path[512];
      snprintf(path, sizeof path, "%.*s", (int)(m[2].rm_eo - m[2].rm_so), p + m[2].rm_so);
      struct stat st;
      /* Outputs a doc tells the reader to create, and the build tree, are not files of the repository. */
      if (strstr(path, "/out/") || strstr(path, "*") || placeholder(path)) continue;
      /* A directory we do not have is another repository's, cited as a source
       * (NVIDIA/TensorRT-LLM docs/source/...); our own directories are checked. */
      char parent[512];
      snprintf(parent, sizeof parent, "%s", path);
      *strrchr(parent, '/') = '\0';
      if (stat(parent, &st) != 0) continue;
      if (stat(path, &st) != 0) fail_msg("%s names %s, which is not in the repository", docs[d], path);
      checked++;
    }
    char dir[320];
    snprintf(dir, sizeof dir, "%.299s", docs[d]);
    char *slash = strrchr(dir, '/');
    if (slash) slash[1] = '\0';
    else dir[0] = '\0';
    for (const char *p = text; regexec(&link_re, p, 2, m, 0) == 0; p += m[1].rm_eo) {
      char path[512];
      snprintf(path, sizeof path, "%s%.*s", dir, (int)(m[1].rm_eo - m[1].rm_so), p + m[1].rm_so);
      struct stat st;
      if (stat(path, &st) != 0) fail_msg("%s links %s, which is not in the repository", docs[d], path);
      checked++;
    }
    free(text);
  }
  regfree(&path_re);
  regfree(&link_re);
  print_message("%zu paths checked\n", checked);
  assert_true(checked > 50);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(documents_name_only_files_that_exist),
      cmocka_unit_test(output_one_liners_load_every_file),
      cmocka_unit_test(readme_examples_run_as_written),
  };
  return cmocka_run_group_tests_name("docs", tests, setup, teardown);
}
