/* replay_main.c: without libFuzzer, a fuzz target runs each file (or each
 * file in each directory) named on the command line once, so the corpus is
 * a regression test on any compiler. Exit 0 when all ran. */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open\n", path);
    return 1;
  }
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf) return 1;
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  int bad = 0, ran = 0;
  for (int i = 1; i < argc; i++) {
    struct stat sb;
    if (stat(argv[i], &sb) != 0) {
      fprintf(stderr, "%s: not found\n", argv[i]);
      bad = 1;
      continue;
    }
    if (!S_ISDIR(sb.st_mode)) {
      bad |= run_file(argv[i]);
      ran++;
      continue;
    }
    DIR *d = opendir(argv[i]);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      size_t n = strlen(argv[i]) + strlen(e->d_name) + 2;
      char *p = malloc(n);
      if (!p) return 1;
      snprintf(p, n, "%s/%s", argv[i], e->d_name);
      bad |= run_file(p);
      ran++;
      free(p);
    }
    if (d) closedir(d);
  }
  printf("replayed %d inputs\n", ran);
  return bad || ran == 0;
}
