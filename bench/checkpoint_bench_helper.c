/* checkpoint_bench_helper: the two programs bench/checkpoint_bench.sh needs, in one
 * static binary (it also runs inside a busybox rootfs, which has no C library).
 *
 *   checkpoint_bench_helper dirty MIB DIR
 *       The container's process: mallocs MIB MiB and fills every byte with pseudo-random
 *       data (incompressible, every page dirty), then writes the buffer's checksum to
 *       DIR/ready ("<hex>\n", atomically). The data is seeded from the clock, so a
 *       process started afresh cannot pass for a restored one. Then it sleeps in sigsuspend(); on each
 *       SIGUSR1 it checksums the buffer again and writes DIR/check the same way, so a
 *       restored process can show that its memory is what was checkpointed.
 *
 *   checkpoint_bench_helper tree DIR FILES MIB
 *       Makes DIR (must not exist) with FILES files totalling MIB MiB, 100 to a directory
 *       (d0/f0 ...), sizes spread from ~0 to twice the mean, contents incompressible, a
 *       user.* xattr on every 100th file: the same tree bench/archive_bench.cc makes.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static void die(const char* what) {
  fprintf(stderr, "checkpoint_bench_helper: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void write_all(int fd, const char* data, size_t size, const char* what) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die(what);
    data += n;
    size -= (size_t)n;
  }
}

/* FNV-1a over 64-bit words: cheap, and any changed page changes it. */
static uint64_t checksum(const uint64_t* words, size_t count) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < count; ++i) {
    h ^= words[i];
    h *= 1099511628211ull;
  }
  return h;
}

static void write_sum(const char* dir, const char* name, uint64_t sum) {
  char path[4096], temp[4096], text[32];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(temp, sizeof temp, "%s/.%s.tmp", dir, name);
  const int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die(temp);
  const int n = snprintf(text, sizeof text, "%016llx\n", (unsigned long long)sum);
  write_all(fd, text, (size_t)n, temp);
  close(fd);
  if (rename(temp, path) != 0) die(path);
}

static volatile sig_atomic_t g_check = 0;
static void on_usr1(int sig) {
  (void)sig;
  g_check = 1;
}

__attribute__((noreturn)) static void dirty(long mib, const char* dir) {
  const size_t bytes = (size_t)mib << 20;
  const size_t count = bytes / sizeof(uint64_t);
  uint64_t* buffer = malloc(bytes);
  if (buffer == NULL) die("malloc");
  /* Seeded by the clock: a process started afresh (instead of restored) fills its buffer
   * differently, so its checksum cannot pass for the checkpointed one. */
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  uint64_t x = 88172645463325252ull ^ ((uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
  for (size_t i = 0; i < count; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buffer[i] = x;
  }
  sigset_t usr1, waiting;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &waiting);
  sigdelset(&waiting, SIGUSR1);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_usr1;
  sigaction(SIGUSR1, &action, NULL);
  write_sum(dir, "ready", checksum(buffer, count));
  for (;;) {
    sigsuspend(&waiting);
    if (g_check) {
      g_check = 0;
      write_sum(dir, "check", checksum(buffer, count));
    }
  }
}

static int tree(const char* root, long files, long mib) {
  if (mkdir(root, 0755) != 0) die(root);
  const uint64_t total = (uint64_t)mib << 20;
  const uint64_t mean = total / (uint64_t)files;
  const size_t pool_size = 4 << 20;
  char* pool = malloc(pool_size);
  if (pool == NULL) die("malloc");
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < pool_size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    pool[i] = (char)x;
  }
  uint64_t written = 0;
  char path[4096];
  for (long i = 0; i < files; ++i) {
    if (i % 100 == 0) {
      snprintf(path, sizeof path, "%s/d%ld", root, i / 100);
      if (mkdir(path, 0755) != 0) die(path);
    }
    uint64_t size = (uint64_t)(2.0 * (double)mean * fmod((double)i * 0.6180339887, 1.0));
    if (i == files - 1) size = total > written ? total - written : 0;
    if (size > pool_size - 4096) size = pool_size - 4096;
    snprintf(path, sizeof path, "%s/d%ld/f%ld", root, i / 100, i);
    const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) die(path);
    write_all(fd, pool + (i * 4099) % 4096, (size_t)size, path);
    close(fd);
    if (i % 100 == 0 && setxattr(path, "user.bench", "value", 5, 0) != 0) die(path);
    written += size;
  }
  free(pool);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "dirty") == 0) dirty(atol(argv[2]), argv[3]);
  if (argc == 5 && strcmp(argv[1], "tree") == 0) return tree(argv[2], atol(argv[3]), atol(argv[4]));
  fprintf(stderr,
          "usage: checkpoint_bench_helper dirty MIB DIR\n"
          "       checkpoint_bench_helper tree DIR FILES MIB\n");
  return 2;
}
