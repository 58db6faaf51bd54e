// Lexical path checks for paths a container's author (or a host file) hands us.
//
// Everything here is string work: no file is looked at. ".." is refused rather than
// resolved, because resolving it lexically can disagree with the filesystem (a symlink
// before the ".." changes what it means) and no legitimate setting needs it. Where a path
// must really stay inside a directory, confine.h checks it against the filesystem.
#ifndef TARDIS_CONTAINER_PATH_H_
#define TARDIS_CONTAINER_PATH_H_

#include <climits>
#include <initializer_list>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/quote.h"

namespace tardis::container {

// The kernel refuses longer paths (ENAMETOOLONG), so nothing longer is worth handling.
inline constexpr size_t kMaxPathBytes = PATH_MAX - 1;

// `path` with "//" collapsed, "." components and any trailing "/" dropped. The path must
// be absolute and free of NUL bytes and "..".
inline absl::StatusOr<std::string> NormalizeAbsolutePath(absl::string_view path) {
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("not an absolute path: ", Quote(path)));
  }
  if (path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("path contains a NUL byte");
  }
  if (path.size() > kMaxPathBytes) {
    return absl::InvalidArgumentError(absl::StrCat("path longer than ", kMaxPathBytes, " bytes"));
  }
  std::string normalized;
  normalized.reserve(path.size());
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("path contains \"..\": ", Quote(path)));
    }
    absl::StrAppend(&normalized, "/", part);
  }
  return normalized.empty() ? std::string("/") : normalized;
}

// True when NormalizeAbsolutePath() would return `path` unchanged.
inline bool IsNormalizedAbsolutePath(absl::string_view path) {
  const absl::StatusOr<std::string> normalized = NormalizeAbsolutePath(path);
  return normalized.ok() && *normalized == path;
}

// `base` + "/" + each of `names`, for a normalized `base` and single-component names.
inline std::string JoinPath(absl::string_view base,
                            std::initializer_list<absl::string_view> names) {
  std::string joined(base == "/" ? "" : base);
  for (absl::string_view name : names) absl::StrAppend(&joined, "/", name);
  return joined.empty() ? std::string("/") : joined;
}

// Whether normalized `path` is `root` or lies below it ("/a/bc" is not below "/a/b").
inline bool PathIsAtOrBelow(absl::string_view path, absl::string_view root) {
  if (root == "/") return absl::StartsWith(path, "/");
  if (!absl::StartsWith(path, root)) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

// The components of normalized `path` below normalized `root` ("" when they are equal).
// Only meaningful when PathIsAtOrBelow(path, root).
inline std::string PathBelow(absl::string_view path, absl::string_view root) {
  absl::string_view rest = path.substr(root == "/" ? 0 : root.size());
  while (absl::ConsumePrefix(&rest, "/")) {
  }
  return std::string(rest);
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_PATH_H_
