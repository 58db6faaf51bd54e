/* periodic_bench_helper: the job bench/periodic_bench.sh measures, static (it runs inside
 * a busybox rootfs, which has no C library).
 *
 *   periodic_bench_helper MIB
 *       Fills MIB MiB with pseudo-random bytes (incompressible), then works on it for
 *       ever: each unit of work rewrites 64 bytes of one page, page after page, so every
 *       page stays dirty. Every 100 ms it prints "<CLOCK_REALTIME ns> <units done>": the
 *       job's progress, and, in the gaps between lines, when it was frozen.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 2 || atol(argv[1]) <= 0) {
    fprintf(stderr, "usage: periodic_bench_helper MIB\n");
    return 2;
  }
  const size_t size = (size_t)atol(argv[1]) << 20;
  uint64_t* memory = malloc(size);
  if (memory == NULL) {
    perror("malloc");
    return 2;
  }
  uint64_t x = (uint64_t)now_ns(CLOCK_REALTIME) | 1;
  for (size_t i = 0; i < size / sizeof *memory; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    memory[i] = x;
  }
  const size_t words_per_page = 4096 / sizeof *memory;
  const size_t pages = size / 4096;
  uint64_t units = 0;
  int64_t last_print = 0;
  for (size_t page = 0;; page = (page + 1) % pages) {
    uint64_t* p = memory + page * words_per_page;
    for (int w = 0; w < 8; ++w) p[w] = p[w] * 6364136223846793005ull + units;
    ++units;
    if ((units & 0x3ff) == 0) {
      const int64_t now = now_ns(CLOCK_MONOTONIC);
      if (now - last_print >= 100000000) {
        printf("%lld %llu\n", (long long)now_ns(CLOCK_REALTIME), (unsigned long long)units);
        fflush(stdout);
        last_print = now;
      }
    }
  }
}
