/* A job whose whole life is its restore: it sleeps in 10 ms steps until the wall clock
 * jumps by more than a second between two steps (it was checkpointed and restored
 * later), lives 200 ms more, and exits 3. Not 0, so Tardis keeps its image, and the next
 * container of the job restores the same image again: lifecycle_bench's restore variant
 * times that, round after round, from one checkpoint. (The 200 ms: containerd's start
 * comes after the restore, and its shim refuses to start a process that already
 * exited; argv[1], if given, is another linger in ms.) Never restored within 30 s, it
 * exits 4, so that a restore that did not happen fails the bench instead of hanging it.
 */
#include <stdlib.h>
#include <time.h>

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int main(int argc, char** argv) {
  const long linger_ms = argc > 1 ? atol(argv[1]) : 200;
  const struct timespec step = {0, 10 * 1000 * 1000};
  const long long started = now_ms();
  long long before = started;
  for (;;) {
    nanosleep(&step, 0);
    const long long after = now_ms();
    if (after - before > 1000) {
      const struct timespec linger = {linger_ms / 1000, linger_ms % 1000 * 1000 * 1000};
      nanosleep(&linger, 0);
      return 3;
    }
    if (after - started > 30 * 1000) return 4;
    before = after;
  }
}
