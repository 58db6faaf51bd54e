/* A process tree CRIU cannot checkpoint, by construction: CRIU dumps a task through
 * ptrace, and a task has only one tracer. Here the parent already traces its child, so
 * CRIU cannot seize the child and `runc checkpoint` fails. Tests use it to make a
 * checkpoint fail for real.
 *
 *   undumpable        starts the traced child, prints "ready", then waits forever
 */
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  const pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return 1;
  }
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    for (;;) pause();
  }
  int status = 0;
  waitpid(child, &status, 0);  /* the child stops, traced */
  ptrace(PTRACE_CONT, child, 0, 0);
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
