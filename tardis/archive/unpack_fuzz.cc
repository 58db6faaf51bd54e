// Fuzz target: any bytes, as the saved-files archive of an image whose manifest matches
// them (so the checksum passes and the entries themselves are exercised), unpacked into a
// fresh empty upperdir. Whatever happens, nothing outside the upperdir changes (a
// sentinel directory beside it, with a symlink pointing at it, stays byte-identical), a
// failed unpack leaves the upperdir empty, a successful one rolls back to empty, and the
// working directory never moves.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/remove_tree.h"
#include "tardis/archive/test_tree.h"
#include "tardis/archive/unpack.h"
#include "tardis/sys/stream_hash.h"

namespace {

using tardis::archive::testing::DiffTrees;
using tardis::archive::testing::Snapshot;
using tardis::archive::testing::Tree;

[[noreturn]] void Fail(const std::string& why) {
  std::fprintf(stderr, "unpack_fuzz: %s\n", why.c_str());
  std::abort();
}

struct Fixture {
  std::string base;      // <tmp>/tardis-unpack-fuzz-XXXXXX
  std::string upper;     // base/upper, made anew for each input
  std::string sentinel;  // base/sentinel
  std::string archive;   // base/rootfs.tar
  std::string cwd;
  Tree before;           // everything in base but the upperdir and the archive
};

void WriteOrDie(const std::string& path, absl::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) Fail(absl::StrCat("create ", path));
  if (!data.empty() && ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    Fail(absl::StrCat("write ", path));
  }
  ::close(fd);
}

Tree Outside(const Fixture& f) {
  absl::StatusOr<Tree> tree = Snapshot(f.base);
  if (!tree.ok()) Fail(tree.status().ToString());
  for (auto it = tree->begin(); it != tree->end();) {
    if (it->first == "upper" || it->first.rfind("upper/", 0) == 0 || it->first == "rootfs.tar") {
      it = tree->erase(it);
    } else {
      ++it;
    }
  }
  tree->erase("");  // the base itself: its mtime moves as the upperdir comes and goes
  return *tree;
}

Fixture* MakeFixture() {
  auto* f = new Fixture;
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/tardis-unpack-fuzz-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) Fail("mkdtemp");
  f->base = pattern;
  f->upper = f->base + "/upper";
  f->sentinel = f->base + "/sentinel";
  f->archive = f->base + "/rootfs.tar";
  if (::mkdir(f->sentinel.c_str(), 0755) != 0 || ::mkdir((f->sentinel + "/sub").c_str(), 0755) != 0) {
    Fail("mkdir sentinel");
  }
  WriteOrDie(f->sentinel + "/secret", "secret");
  WriteOrDie(f->sentinel + "/sub/deeper", "deeper");
  // Ways out the corpus names: "../sentinel/...", "../to_sentinel/...".
  if (::symlink(f->sentinel.c_str(), (f->base + "/to_sentinel").c_str()) != 0) Fail("symlink");
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) Fail("getcwd");
  f->cwd = cwd;
  f->before = Outside(*f);
  return f;
}

Fixture& TheFixture() {
  static Fixture* f = MakeFixture();
  static const bool cleanup = [] {
    std::atexit([] { (void)tardis::RemoveTree(TheFixture().base); });
    return true;
  }();
  (void)cleanup;
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = TheFixture();
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (::mkdir(f.upper.c_str(), 0755) != 0) Fail("mkdir upper");
  WriteOrDie(f.archive, bytes);

  absl::StatusOr<tardis::UnpackRecord> unpacked =
      tardis::UnpackIntoUpperdir(f.archive, f.upper, tardis::Xxh3_128Hex(bytes), size);

  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr || f.cwd != cwd) Fail("the working directory moved");
  if (unpacked.ok()) {
    if (absl::Status undone = tardis::RollbackUnpack(f.upper, *unpacked); !undone.ok()) {
      Fail(absl::StrCat("rollback: ", undone.ToString()));
    }
  } else if (unpacked.status().message().find('\n') != absl::string_view::npos) {
    Fail(absl::StrCat("a line break in the message: ", unpacked.status().ToString()));
  }
  absl::StatusOr<Tree> left = Snapshot(f.upper);
  if (!left.ok()) Fail(left.status().ToString());
  if (left->size() != 1) {
    Fail(absl::StrCat(unpacked.ok() ? "rollback" : "failed unpack", " left ", left->size() - 1,
                      " entries, the first ", left->rbegin()->first));
  }
  const Tree after = Outside(f);
  if (const std::vector<std::string> diffs = DiffTrees(f.before, after); !diffs.empty()) {
    Fail(absl::StrCat("outside the upperdir: ", diffs.front()));
  }
  if (absl::Status removed = tardis::RemoveTree(f.upper); !removed.ok()) Fail(removed.ToString());
  ::unlink(f.archive.c_str());
  return 0;
}
