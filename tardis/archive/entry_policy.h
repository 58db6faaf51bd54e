// Which archive entries may be extracted into an upperdir, decided from the entry alone.
//
// A checkpoint image is written by whoever controls the container (its files end up in
// it) and may be replaced by anyone who can write the image directory, so every entry
// is hostile until this says otherwise. An entry passes when:
//  - its path is relative, non-empty, normalized (no "." or ".." components, no empty
//    ones, so no leading, doubled or trailing "/"; one trailing "/" is tolerated on a
//    directory, as tar writers add it), at most 4096 bytes, contains no NUL, and does not
//    name the upperdir itself;
//  - its type is regular file, directory, symlink, hardlink, FIFO, or the character
//    device 0/0 that overlayfs uses as a whiteout; every other device node, sockets and
//    unknown types are refused;
//  - a hardlink's target obeys the path rule above and the link carries no data (a
//    hardlink with data would rewrite the file it points at);
//  - a symlink's target is data: any non-empty string, never followed while extracting.
// Only regular files may carry data. What the entry is allowed to point at on disk
// (earlier entries, existing files) is decided by the unpacker, which knows what exists.
#ifndef TARDIS_ARCHIVE_ENTRY_POLICY_H_
#define TARDIS_ARCHIVE_ENTRY_POLICY_H_

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/quote.h"

namespace tardis::archive {

inline constexpr size_t kMaxEntryPathBytes = 4096;

enum class EntryKind { kRegular, kDirectory, kSymlink, kHardlink, kFifo, kWhiteout };

inline absl::string_view EntryKindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kRegular: return "regular";
    case EntryKind::kDirectory: return "directory";
    case EntryKind::kSymlink: return "symlink";
    case EntryKind::kHardlink: return "hardlink";
    case EntryKind::kFifo: return "fifo";
    case EntryKind::kWhiteout: return "whiteout";
  }
  return "?";
}

// What an archive entry says, copied out of it (the views must outlive the call).
struct EntryFacts {
  absl::string_view path;
  mode_t file_type = 0;  // the S_IFMT bits of the entry's mode; 0 when it has none
  std::optional<absl::string_view> hardlink;  // set on hardlink entries
  std::optional<absl::string_view> symlink;   // set on symlink entries
  int64_t size = 0;
  uint64_t rdev_major = 0;
  uint64_t rdev_minor = 0;
};

struct CheckedEntry {
  EntryKind kind = EntryKind::kRegular;
  std::string path;             // normalized: no trailing "/"
  std::string hardlink_target;  // normalized, for kHardlink
};

// `path` in normal form (see the header comment), or why it is refused. A directory's
// single trailing "/" is dropped.
inline absl::StatusOr<std::string> NormalizeEntryPath(absl::string_view path, bool directory) {
  if (path.empty()) return absl::InvalidArgumentError("empty path");
  if (path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("NUL in path ", Quote(path)));
  }
  if (path.front() == '/') return absl::InvalidArgumentError(absl::StrCat("absolute path ", Quote(path)));
  absl::string_view normal = path;
  if (directory && normal.back() == '/') normal.remove_suffix(1);
  if (normal.empty() || normal == ".") {
    return absl::InvalidArgumentError(absl::StrCat("path ", Quote(path), " names the root itself"));
  }
  if (normal.size() > kMaxEntryPathBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("path of ", normal.size(), " bytes is longer than ", kMaxEntryPathBytes));
  }
  size_t start = 0;
  while (start <= normal.size()) {
    size_t end = normal.find('/', start);
    if (end == absl::string_view::npos) end = normal.size();
    const absl::string_view component = normal.substr(start, end - start);
    if (component.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("empty component in ", Quote(path)));
    }
    if (component == "." || component == "..") {
      return absl::InvalidArgumentError(absl::StrCat("\"", component, "\" component in ", Quote(path)));
    }
    start = end + 1;
  }
  return std::string(normal);
}

// The entry's kind and normalized names, or why it must not be extracted.
inline absl::StatusOr<CheckedEntry> CheckEntry(const EntryFacts& entry) {
  const mode_t type = entry.file_type & S_IFMT;
  absl::StatusOr<std::string> path = NormalizeEntryPath(entry.path, type == S_IFDIR);
  if (!path.ok()) return path.status();
  CheckedEntry checked;
  checked.path = *std::move(path);
  const auto refuse = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(checked.path), ": ", why));
  };
  if (entry.size < 0) return refuse("negative size");

  if (entry.hardlink.has_value()) {
    if (entry.symlink.has_value()) return refuse("both a hardlink and a symlink");
    if (type == S_IFDIR) return refuse("hardlink to a directory");
    if (entry.size != 0) return refuse("hardlink carrying data");
    absl::StatusOr<std::string> target = NormalizeEntryPath(*entry.hardlink, false);
    if (!target.ok()) return refuse(absl::StrCat("hardlink target: ", target.status().message()));
    checked.kind = EntryKind::kHardlink;
    checked.hardlink_target = *std::move(target);
    return checked;
  }
  if (type == S_IFLNK) {
    if (!entry.symlink.has_value() || entry.symlink->empty()) return refuse("symlink without a target");
    if (entry.size != 0) return refuse("symlink carrying data");
    checked.kind = EntryKind::kSymlink;
    return checked;
  }
  // libarchive's disk writer makes a symlink of any entry with a link target.
  if (entry.symlink.has_value()) return refuse("symlink target on a non-symlink");
  if (type != S_IFREG && entry.size != 0) return refuse("data on a non-regular file");
  switch (type) {
    case S_IFREG: checked.kind = EntryKind::kRegular; return checked;
    case S_IFDIR: checked.kind = EntryKind::kDirectory; return checked;
    case S_IFIFO: checked.kind = EntryKind::kFifo; return checked;
    case S_IFCHR:
      if (entry.rdev_major != 0 || entry.rdev_minor != 0) {
        return refuse(absl::StrCat("character device ", entry.rdev_major, ":", entry.rdev_minor));
      }
      checked.kind = EntryKind::kWhiteout;
      return checked;
    case S_IFBLK:
      return refuse(absl::StrCat("block device ", entry.rdev_major, ":", entry.rdev_minor));
    case S_IFSOCK: return refuse("socket");
    default: return refuse(absl::StrFormat("unknown file type %#o", type));
  }
}

// One line for logs and golden tests: "regular etc/passwd", "hardlink a -> b".
inline std::string DescribeCheckedEntry(const CheckedEntry& entry) {
  std::string line = absl::StrCat(EntryKindName(entry.kind), " ", Quote(entry.path));
  if (entry.kind == EntryKind::kHardlink) absl::StrAppend(&line, " -> ", Quote(entry.hardlink_target));
  return line;
}

}  // namespace tardis::archive

#endif  // TARDIS_ARCHIVE_ENTRY_POLICY_H_
