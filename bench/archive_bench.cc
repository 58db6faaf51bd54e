// archive_bench: the upperdir archive (tardis/archive) against GNU tar on the same tree.
//
// A checkpoint packs the container's upperdir and a restore unpacks it, both on the path
// of a container's stop and start, so they should cost no more than tar would. This
// generates a tree (default: 200 MiB in 10,000 files, 100 directories, incompressible
// contents, a user.* xattr on every 100th file) in a fresh directory under --dir, then
// per repetition, in alternating order:
//   pack:    PackUpperdir(tree, a)                       (writes, hashes, fsyncs)
//   pack signed: the same with SHA-256 too (a node with image_key_file)
//   tar -c:  tar --xattrs --xattrs-include='*' --numeric-owner -cf b -C tree .
//            then fsync(b), which PackUpperdir does and tar does not
//   unpack:  UnpackIntoUpperdir(a, fresh dir, hash, size)  (reads, hashes, extracts)
//   unpack signed: the same, checking the SHA-256 too
//   tar -x:  tar --xattrs --xattrs-include='*' --numeric-owner -xf b -C fresh dir
// Wall time of each (CLOCK_MONOTONIC), with sync() between steps so no step pays for
// the previous one's writeback. Caches stay warm (the tree is read from the page cache
// by both). Prints the median and min per variant and the tardis/tar ratios of the medians,
// and removes everything it created (also on SIGINT/SIGTERM).
//
// Needs root (unpack restores owners). Usage:
//   bazel run //bench:archive_bench -- [--files=10000] [--mib=200] [--reps=5] [--dir=/tmp]
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/match.h>

#include "tardis/archive/pack.h"
#include "tardis/sys/remove_tree.h"
#include "tardis/archive/unpack.h"
#include "tardis/sys/file_digest.h"

extern char** environ;

namespace {

struct Options {
  int files = 10000;
  int mib = 200;
  int reps = 5;
  std::string dir = "/tmp";
};

std::string g_base;  // what to remove on exit

void Cleanup() {
  if (!g_base.empty()) (void)tardis::RemoveTree(g_base);
  g_base.clear();
}

void OnSignal(int) {
  Cleanup();
  std::_Exit(130);
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "archive_bench: %s\n", message.c_str());
  Cleanup();
  std::exit(2);
}

double Now() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

void WriteFile(const std::string& path, const char* data, size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) Die("create " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) Die("write " + path);
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

// `files` files totalling `mib` MiB in directories of 100, sizes spread from ~0 to twice
// the mean, contents incompressible.
void MakeTree(const std::string& root, const Options& o) {
  if (::mkdir(root.c_str(), 0755) != 0) Die("mkdir " + root);
  const uint64_t total = static_cast<uint64_t>(o.mib) << 20;
  const uint64_t mean = total / static_cast<uint64_t>(o.files);
  std::string pool(4 << 20, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& c : pool) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  uint64_t written = 0;
  for (int i = 0; i < o.files; ++i) {
    const std::string dir = absl::StrCat(root, "/d", i / 100);
    if (i % 100 == 0 && ::mkdir(dir.c_str(), 0755) != 0) Die("mkdir " + dir);
    // sizes mean..: 2*mean*(i*0.618 mod 1), the last file takes the remainder
    uint64_t size = static_cast<uint64_t>(2.0 * static_cast<double>(mean) * std::fmod(i * 0.6180339887, 1.0));
    if (i == o.files - 1) size = total > written ? total - written : 0;
    size = std::min<uint64_t>(size, pool.size() - 4096);
    const std::string path = absl::StrCat(dir, "/f", i);
    WriteFile(path, pool.data() + (i * 4099) % 4096, size);
    if (i % 100 == 0) ::setxattr(path.c_str(), "user.bench", "value", 5, 0);
    written += size;
  }
  ::sync();
}

int Run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) Die("spawn " + argv[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void FsyncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) Die("fsync " + path);
  ::close(fd);
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) Die("stat " + path);
  return static_cast<uint64_t>(st.st_size);
}

std::string Flag(const char* arg, const char* name) {
  const std::string prefix = absl::StrCat("--", name, "=");
  return absl::StartsWith(arg, prefix) ? std::string(arg + prefix.size()) : std::string();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (!(v = Flag(argv[i], "files")).empty() && absl::SimpleAtoi(v, &o.files)) continue;
    if (!(v = Flag(argv[i], "mib")).empty() && absl::SimpleAtoi(v, &o.mib)) continue;
    if (!(v = Flag(argv[i], "reps")).empty() && absl::SimpleAtoi(v, &o.reps)) continue;
    if (!(v = Flag(argv[i], "dir")).empty()) {
      o.dir = v;
      continue;
    }
    Die(absl::StrCat("unknown argument ", argv[i]));
  }
  if (o.files < 1 || o.mib < 1 || o.reps < 1) Die("--files, --mib and --reps must be positive");
  if (::geteuid() != 0) Die("needs root (unpacking restores owners)");

  std::string pattern = o.dir + "/archive-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) Die("mkdtemp in " + o.dir);
  g_base = pattern;
  ::signal(SIGINT, OnSignal);
  ::signal(SIGTERM, OnSignal);

  const std::string tree = g_base + "/tree";
  std::printf("generating %d files, %d MiB in %s ...\n", o.files, o.mib, tree.c_str());
  std::fflush(stdout);
  MakeTree(tree, o);

  const std::string ours = g_base + "/tardis.tar", theirs = g_base + "/gnu.tar", out = g_base + "/out";
  std::map<std::string, std::vector<double>> times;
  std::string hash, sha256;
  uint64_t bytes = 0;
  const auto pack = [&](const char* name, tardis::StreamHash::Sha sha) {
    ::unlink(ours.c_str());
    const double start = Now();
    absl::StatusOr<tardis::PackResult> packed = tardis::PackUpperdir(tree, ours, sha);
    const double end = Now();
    if (!packed.ok()) Die(packed.status().ToString());
    hash = packed->xxh3_128_hex;
    sha256 = packed->sha256_hex;  // "" unless signed: two packs of one tree differ (times)
    bytes = packed->bytes;
    times[name].push_back(end - start);
  };
  const auto unpack = [&](const char* name, bool signed_image) {
    if (signed_image && sha256.empty()) {  // the last pack was unsigned: its SHA-256, untimed
      absl::StatusOr<tardis::FileDigest> digest = tardis::DigestFile(ours, false, tardis::StreamHash::Sha::kAlso);
      if (!digest.ok()) Die(digest.status().ToString());
      sha256 = digest->sha256;
    }
    const std::string expected_sha256 = signed_image ? sha256 : "";
    if (::mkdir(out.c_str(), 0755) != 0) Die("mkdir " + out);
    const double start = Now();
    absl::StatusOr<tardis::UnpackRecord> unpacked = tardis::UnpackIntoUpperdir(
        ours, out, hash, bytes, tardis::archive::UnpackBudget::Unlimited(), expected_sha256);
    const double end = Now();
    if (!unpacked.ok()) Die(unpacked.status().ToString());
    times[name].push_back(end - start);
    ::sync();
    if (absl::Status removed = tardis::RemoveTree(out); !removed.ok()) Die(removed.ToString());
  };

  const std::vector<std::pair<std::string, std::function<void()>>> packs = {
      {"tardis pack signed", [&] { pack("tardis pack signed", tardis::StreamHash::Sha::kAlso); }},
      {"tardis pack", [&] { pack("tardis pack", tardis::StreamHash::Sha::kNo); }},
      {"tar -c",
       [&] {
         ::unlink(theirs.c_str());
         const double start = Now();
         const int code = Run({"tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-cf", theirs, "-C",
                               tree, "."});
         const double mid = Now();
         FsyncFile(theirs);
         const double end = Now();
         if (code != 0) Die("tar -c failed");
         times["tar -c"].push_back(mid - start);
         times["tar -c + fsync"].push_back(end - start);
       }},
  };
  const std::vector<std::pair<std::string, std::function<void()>>> unpacks = {
      {"tardis unpack", [&] { unpack("tardis unpack", false); }},
      {"tardis unpack signed", [&] { unpack("tardis unpack signed", true); }},
      {"tar -x",
       [&] {
         if (::mkdir(out.c_str(), 0755) != 0) Die("mkdir " + out);
         const double start = Now();
         const int code = Run({"tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xf", theirs, "-C", out});
         const double end = Now();
         if (code != 0) Die("tar -x failed");
         times["tar -x"].push_back(end - start);
         ::sync();
         if (absl::Status removed = tardis::RemoveTree(out); !removed.ok()) Die(removed.ToString());
       }},
  };

  for (int rep = 0; rep < o.reps; ++rep) {
    // Each variant first in turn; the unpacks read the last tardis pack's archive.
    for (size_t i = 0; i < packs.size(); ++i) {
      packs[(i + rep) % packs.size()].second();
      ::sync();
    }
    for (size_t i = 0; i < unpacks.size(); ++i) {
      unpacks[(i + rep) % unpacks.size()].second();
      ::sync();
    }
    std::printf("rep %d: pack %.3fs tar -c %.3fs (+fsync %.3fs) unpack %.3fs tar -x %.3fs\n", rep + 1,
                times["tardis pack"].back(), times["tar -c"].back(), times["tar -c + fsync"].back(),
                times["tardis unpack"].back(), times["tar -x"].back());
    std::fflush(stdout);
  }

  const auto median = [&](const std::string& name) {
    std::vector<double> v = times[name];
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  const auto minimum = [&](const std::string& name) { return *std::min_element(times[name].begin(), times[name].end()); };
  std::printf("\n%d files, %d MiB, %d repetitions; archives: tardis %.1f MiB, tar %.1f MiB\n", o.files, o.mib, o.reps,
              static_cast<double>(FileSize(ours)) / (1 << 20), static_cast<double>(FileSize(theirs)) / (1 << 20));
  std::printf("%-22s %10s %10s\n", "variant", "median s", "min s");
  for (const char* name : {"tardis pack", "tardis pack signed", "tar -c", "tar -c + fsync", "tardis unpack",
                           "tardis unpack signed", "tar -x"}) {
    std::printf("%-22s %10.3f %10.3f\n", name, median(name), minimum(name));
  }
  std::printf("\npack / (tar -c + fsync): %.2f   pack / tar -c: %.2f   unpack / tar -x: %.2f\n",
              median("tardis pack") / median("tar -c + fsync"), median("tardis pack") / median("tar -c"),
              median("tardis unpack") / median("tar -x"));
  std::printf("signed / unsigned: pack %.2f   unpack %.2f\n", median("tardis pack signed") / median("tardis pack"),
              median("tardis unpack signed") / median("tardis unpack"));
  Cleanup();
  return 0;
}
