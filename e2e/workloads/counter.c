/* A job with progress to lose: every 100 ms it increments a counter held only in
 * memory, prints it, and writes it to a file. Restored from a checkpoint, it continues
 * from the checkpointed value; started fresh, it starts from 1. The file is replaced by
 * rename, so a reader never sees it empty or half written.
 *
 *   counter [FILE]        FILE defaults to /count (relative paths follow the cwd)
 *   counter FILE LIMIT    exits 0 after LIMIT increments
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "/count";
  const long limit = argc > 2 ? atol(argv[2]) : 0;
  char temp[4096];
  if (snprintf(temp, sizeof temp, "%s.tmp", path) >= (int)sizeof temp) return 2;
  const struct timespec tick = {0, 100 * 1000 * 1000};
  long count = 0;
  for (;;) {
    ++count;
    printf("%ld\n", count);
    fflush(stdout);
    FILE* f = fopen(temp, "w");
    if (f != NULL) {
      fprintf(f, "%ld\n", count);
      if (fclose(f) == 0) rename(temp, path);
    }
    if (limit > 0 && count >= limit) return 0;
    nanosleep(&tick, NULL);
  }
}
