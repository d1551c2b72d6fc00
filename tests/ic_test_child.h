/* ic_test_child.h: runs a function in a child process with its stderr on a
 * pipe, for tests of code that must stop the process (exit 1 with a message). */
#ifndef IC_TEST_CHILD_H
#define IC_TEST_CHILD_H

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ic_test.h"

/* fn(ctx) in a child (killed after 10 s, so that a hang fails rather than
 * blocks); its stderr into text (NUL-terminated). Returns the child's exit
 * status, 0 if fn returned, -1 if it died of a signal. */
static int ic_test_child(void (*fn)(void *ctx), void *ctx, char *text, size_t cap) {
  int fd[2];
  assert_int_equal(pipe(fd), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fd[1], 2);
    close(fd[0]);
    alarm(10);
    fn(ctx);
    _exit(0);
  }
  close(fd[1]);
  size_t len = 0;
  ssize_t got;
  while (len + 1 < cap && (got = read(fd[0], text + len, cap - 1 - len)) > 0) len += (size_t)got;
  text[len] = '\0';
  close(fd[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
