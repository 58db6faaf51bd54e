// Test support: temporary directories and mounts (overlay, tmpfs, bind) that clean up after themselves,
// even when a test fails half-way (their destructors run on ASSERT's early return).
#ifndef TARDIS_ARCHIVE_TEST_MOUNTS_H_
#define TARDIS_ARCHIVE_TEST_MOUNTS_H_

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/sys/remove_tree.h"
#include "tardis/sys/errno_status.h"

namespace tardis::archive::testing {

// A fresh directory under the test's temporary directory, removed with all its contents.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& base = ::testing::TempDir()) {
    std::string pattern = absl::StrCat(base, base.empty() || base.back() == '/' ? "" : "/", "tardis-XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  ~ScopedTempDir() {
    if (path_.empty()) return;
    const absl::Status removed = RemoveTree(path_);
    EXPECT_TRUE(removed.ok()) << removed;
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return absl::StrCat(path_, "/", name); }

 private:
  std::string path_;
};

// An overlay mounted at `merged` until destroyed (or Unmount()ed).
class OverlayMount {
 public:
  OverlayMount() = default;
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;
  OverlayMount(OverlayMount&& other) noexcept : merged_(std::exchange(other.merged_, "")) {}
  ~OverlayMount() { EXPECT_TRUE(Unmount().ok()) << merged_; }

  static absl::StatusOr<std::unique_ptr<OverlayMount>> Mount(const std::string& lower, const std::string& upper,
                                                             const std::string& work, const std::string& merged,
                                                             const std::string& extra_options = "") {
    std::string options = absl::StrCat("lowerdir=", lower, ",upperdir=", upper, ",workdir=", work);
    if (!extra_options.empty()) absl::StrAppend(&options, ",", extra_options);
    if (::mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("mount overlay ", options, " on ", merged));
    }
    auto mount = std::make_unique<OverlayMount>();
    mount->merged_ = merged;
    return mount;
  }

  absl::Status Unmount() {
    if (merged_.empty()) return absl::OkStatus();
    if (::umount2(merged_.c_str(), 0) != 0) {
      const int error = errno;
      ::umount2(merged_.c_str(), MNT_DETACH);  // never leave it behind
      merged_.clear();
      return ErrnoStatus(error, "umount");
    }
    merged_.clear();
    return absl::OkStatus();
  }

 private:
  std::string merged_;
};

// Any other mount (a tmpfs, a bind mount) at `target` until destroyed.
class ScopedMount {
 public:
  ScopedMount() = default;
  ScopedMount(const ScopedMount&) = delete;
  ScopedMount& operator=(const ScopedMount&) = delete;
  ~ScopedMount() {
    if (target_.empty()) return;
    if (::umount2(target_.c_str(), 0) != 0) {
      ADD_FAILURE() << "umount " << target_ << ": " << std::strerror(errno);
      ::umount2(target_.c_str(), MNT_DETACH);
    }
  }

  static absl::StatusOr<std::unique_ptr<ScopedMount>> Tmpfs(const std::string& target) {
    return Mount("tmpfs", target, "tmpfs", 0, "size=16m,mode=0755");
  }
  static absl::StatusOr<std::unique_ptr<ScopedMount>> Bind(const std::string& source, const std::string& target) {
    return Mount(source, target, "", MS_BIND, "");
  }

 private:
  static absl::StatusOr<std::unique_ptr<ScopedMount>> Mount(const std::string& source, const std::string& target,
                                                            const std::string& type, unsigned long flags,
                                                            const std::string& data) {
    if (::mount(source.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("mount ", source, " on ", target));
    }
    auto mount = std::make_unique<ScopedMount>();
    mount->target_ = target;
    return mount;
  }

  std::string target_;
};

}  // namespace tardis::archive::testing

#endif  // TARDIS_ARCHIVE_TEST_MOUNTS_H_
