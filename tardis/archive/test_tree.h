// Test support: everything about a directory tree that an exact copy must keep, and the
// differences between two such snapshots, one line each.
//
// A snapshot maps each path below the root ("" is the root itself) to its type and mode,
// numeric owner, size, a hash of its contents, symlink target, device number, times in
// nanoseconds, every extended attribute, and its hardlink group (the first path, in
// sorted order, of the other names of the same inode inside the tree). It never follows
// symlinks, never opens FIFOs, and reads with O_NOATIME so taking it changes no atime.
#ifndef TARDIS_ARCHIVE_TEST_TREE_H_
#define TARDIS_ARCHIVE_TEST_TREE_H_

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>

#include "tardis/sys/file_digest.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/quote.h"

namespace tardis::archive::testing {

struct Node {
  mode_t mode = 0;  // type and permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  off_t size = 0;
  std::string content;  // xxh3-128 of a regular file's bytes
  std::string symlink;
  dev_t rdev = 0;
  struct timespec mtime = {0, 0};
  struct timespec atime = {0, 0};
  std::map<std::string, std::string> xattrs;
  std::string link_group;  // first path of this inode's names in the tree, when it has several
  dev_t dev = 0;
  ino_t ino = 0;
};

using Tree = std::map<std::string, Node>;

struct Compare {
  bool root = false;   // compare the root directory itself too
  bool mtime = true;
  bool atime = false;  // reading through overlayfs or restoring moves atimes of directories
  bool dir_size = false;  // directory sizes depend on the history of the directory
};

namespace test_tree_internal {

inline absl::StatusOr<std::map<std::string, std::string>> Xattrs(const std::string& path) {
  std::map<std::string, std::string> xattrs;
  ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size < 0) return ErrnoStatus(errno, absl::StrCat("llistxattr ", path));
  std::string names(static_cast<size_t>(size), '\0');
  size = ::llistxattr(path.c_str(), names.data(), names.size());
  if (size < 0) return ErrnoStatus(errno, absl::StrCat("llistxattr ", path));
  names.resize(static_cast<size_t>(size));
  for (size_t at = 0; at < names.size();) {
    const std::string name = names.c_str() + at;
    at += name.size() + 1;
    ssize_t value_size = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (value_size < 0) return ErrnoStatus(errno, absl::StrCat("lgetxattr ", path, " ", name));
    std::string value(static_cast<size_t>(value_size), '\0');
    value_size = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (value_size < 0) return ErrnoStatus(errno, absl::StrCat("lgetxattr ", path, " ", name));
    value.resize(static_cast<size_t>(value_size));
    xattrs[name] = value;
  }
  return xattrs;
}

inline absl::StatusOr<std::string> ContentHash(const std::string& path) {
  absl::StatusOr<FileDigest> digest = DigestFile(path);
  if (!digest.ok()) return digest.status();
  return digest->xxh3_128;
}

inline absl::Status Walk(const std::string& root, const std::string& relative, Tree* tree) {
  const std::string path = relative.empty() ? root : absl::StrCat(root, "/", relative);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, absl::StrCat("lstat ", path));
  Node node;
  node.mode = st.st_mode;
  node.uid = st.st_uid;
  node.gid = st.st_gid;
  node.size = st.st_size;
  node.rdev = st.st_rdev;
  node.mtime = st.st_mtim;
  node.atime = st.st_atim;
  node.dev = st.st_dev;
  node.ino = st.st_ino;
  absl::StatusOr<std::map<std::string, std::string>> xattrs = Xattrs(path);
  if (!xattrs.ok()) return xattrs.status();
  node.xattrs = *std::move(xattrs);
  if (S_ISREG(st.st_mode)) {
    absl::StatusOr<std::string> content = ContentHash(path);
    if (!content.ok()) return content.status();
    node.content = *std::move(content);
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("readlink ", path));
    target.resize(static_cast<size_t>(n));
    node.symlink = target;
  }
  (*tree)[relative] = node;
  if (!S_ISDIR(st.st_mode)) return absl::OkStatus();

  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return ErrnoStatus(errno, absl::StrCat("fdopendir ", path));
  }
  std::vector<std::string> children;
  while (const struct dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") children.push_back(name);
  }
  ::closedir(dir);
  for (const std::string& child : children) {
    const std::string child_relative = relative.empty() ? child : absl::StrCat(relative, "/", child);
    if (absl::Status s = Walk(root, child_relative, tree); !s.ok()) return s;
  }
  return absl::OkStatus();
}

inline std::string Time(const struct timespec& t) { return absl::StrFormat("%d.%09d", t.tv_sec, t.tv_nsec); }

}  // namespace test_tree_internal

inline absl::StatusOr<Tree> Snapshot(const std::string& root) {
  Tree tree;
  if (absl::Status s = test_tree_internal::Walk(root, "", &tree); !s.ok()) return s;
  std::map<std::pair<dev_t, ino_t>, std::vector<std::string>> inodes;
  for (const auto& [path, node] : tree) {
    if (!S_ISDIR(node.mode)) inodes[{node.dev, node.ino}].push_back(path);
  }
  for (const auto& [inode, paths] : inodes) {
    if (paths.size() < 2) continue;
    for (const std::string& path : paths) tree[path].link_group = paths.front();  // map order: sorted
  }
  return tree;
}

// One line per difference between `want` and `got`; empty when they match.
inline std::vector<std::string> DiffTrees(const Tree& want, const Tree& got, const Compare& compare = {}) {
  using test_tree_internal::Time;
  std::vector<std::string> diffs;
  // Compares the raw values; only the message quotes them (Quote() cuts long ones).
  const auto differ = [&](const std::string& path, absl::string_view what, const std::string& a,
                          const std::string& b, bool quote = false) {
    if (a == b) return;
    diffs.push_back(absl::StrCat(Quote(path, 4096), " ", what, ": want ", quote ? Quote(a, 4096) : a, ", got ",
                                 quote ? Quote(b, 4096) : b));
  };
  for (const auto& [path, a] : want) {
    if (path.empty() && !compare.root) continue;
    auto it = got.find(path);
    if (it == got.end()) {
      diffs.push_back(absl::StrCat(Quote(path, 4096), " is missing"));
      continue;
    }
    const Node& b = it->second;
    differ(path, "mode", absl::StrFormat("%o", a.mode), absl::StrFormat("%o", b.mode));
    differ(path, "owner", absl::StrCat(a.uid, ":", a.gid), absl::StrCat(b.uid, ":", b.gid));
    if (!S_ISDIR(a.mode) || compare.dir_size) differ(path, "size", absl::StrCat(a.size), absl::StrCat(b.size));
    differ(path, "content", a.content, b.content);
    differ(path, "symlink", a.symlink, b.symlink, true);
    differ(path, "rdev", absl::StrCat(major(a.rdev), ":", minor(a.rdev)),
           absl::StrCat(major(b.rdev), ":", minor(b.rdev)));
    if (compare.mtime) differ(path, "mtime", Time(a.mtime), Time(b.mtime));
    if (compare.atime) differ(path, "atime", Time(a.atime), Time(b.atime));
    differ(path, "hardlink group", a.link_group, b.link_group, true);
    std::vector<std::string> xa, xb;
    for (const auto& [name, value] : a.xattrs) xa.push_back(absl::StrCat(name, "=", absl::CHexEscape(value)));
    for (const auto& [name, value] : b.xattrs) xb.push_back(absl::StrCat(name, "=", absl::CHexEscape(value)));
    differ(path, "xattrs", absl::StrJoin(xa, " "), absl::StrJoin(xb, " "));
  }
  for (const auto& [path, node] : got) {
    if (path.empty() && !compare.root) continue;
    if (want.count(path) == 0) diffs.push_back(absl::StrCat(Quote(path, 4096), " is unexpected"));
  }
  return diffs;
}

}  // namespace tardis::archive::testing

#endif  // TARDIS_ARCHIVE_TEST_TREE_H_
