// OverlayUpperdirAt(): the upperdir of the overlay mounted at a container's rootfs, read
// from /proc/self/mountinfo text (SPEC.md "Lifecycle": the saved files are the upperdir
// of the overlay mounted at <bundle>/rootfs; find it exactly).
//
// Exactly means:
//  - the mount point must equal the one asked for after decoding mountinfo's octal
//    escapes (\040 space, \011 tab, \012 newline, \134 backslash): no prefix match, since
//    one container id can be a prefix of another (/x/c1/rootfs vs /x/c10/rootfs);
//  - when mounts are stacked there, the last one listed is the one on top, and that one
//    must be an overlay of its whole filesystem (root "/"), not a bind of part of one;
//  - the upperdir is read from the super options (after " - ": fstype, source, options),
//    which overlay shows as the mounter wrote them: octal-escaped by the kernel
//    (",": \054) and, inside, with overlay's own backslash escapes ("\," for a comma in a
//    path). Both are undone. Kernels before 4.3 (seq_show_option) showed options raw, so
//    a raw "\," is also read as an escaped comma.
#ifndef TARDIS_CONTAINER_MOUNTINFO_H_
#define TARDIS_CONTAINER_MOUNTINFO_H_

#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>

#include "tardis/container/path.h"
#include "tardis/sys/quote.h"

namespace tardis::container {

// One line of /proc/<pid>/mountinfo, escapes decoded.
struct MountinfoEntry {
  std::string root;  // the part of the filesystem mounted here
  std::string mount_point;
  std::string fstype;
  std::string source;
  std::string super_options;  // still escaped; see SplitSuperOptions()
};

namespace mountinfo_internal {

inline bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// The kernel's seq escapes: a backslash and three octal digits is one byte.
inline std::string DecodeOctalEscapes(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && IsOctal(text[i + 1]) && IsOctal(text[i + 2]) &&
        IsOctal(text[i + 3])) {
      const int value = (text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0');
      if (value <= 0xff) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// overlay's ovl_unescape(): a backslash keeps the next character literally.
inline std::string OverlayUnescape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      if (++i == text.size()) break;
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace mountinfo_internal

// Fields are separated by single spaces; the optional fields end at a lone "-". Lines
// that do not have that shape give nullopt.
inline std::optional<MountinfoEntry> ParseMountinfoLine(absl::string_view line) {
  using mountinfo_internal::DecodeOctalEscapes;
  const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
  size_t separator = 6;  // after id, parent, major:minor, root, mount point, options
  while (separator < fields.size() && fields[separator] != "-") ++separator;
  if (separator + 3 >= fields.size()) return std::nullopt;
  MountinfoEntry entry;
  entry.root = DecodeOctalEscapes(fields[3]);
  entry.mount_point = DecodeOctalEscapes(fields[4]);
  entry.fstype = DecodeOctalEscapes(fields[separator + 1]);
  entry.source = DecodeOctalEscapes(fields[separator + 2]);
  entry.super_options = std::string(fields[separator + 3]);
  return entry;
}

// Super options split at the commas that separate them, each with the kernel's octal
// escapes decoded. A backslash protects the character after it from splitting (a raw
// "\," from an old kernel); overlay's own escapes are left for the caller to undo.
inline std::vector<std::string> SplitSuperOptions(absl::string_view options) {
  std::vector<std::string> out;
  std::string current;
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i] == '\\' && i + 1 < options.size()) {
      current.append(options.data() + i, 2);
      ++i;
    } else if (options[i] == ',') {
      out.push_back(mountinfo_internal::DecodeOctalEscapes(current));
      current.clear();
    } else {
      current.push_back(options[i]);
    }
  }
  out.push_back(mountinfo_internal::DecodeOctalEscapes(current));
  return out;
}

// The overlay on top at `mount_point`, with its upperdir.
struct OverlayMount {
  MountinfoEntry entry;
  std::string upperdir;
};

inline absl::StatusOr<OverlayMount> OverlayAt(absl::string_view mountinfo, absl::string_view mount_point) {
  absl::StatusOr<std::string> wanted = NormalizeAbsolutePath(mount_point);
  if (!wanted.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("mount point: ", wanted.status().message()));
  }
  std::optional<MountinfoEntry> top;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    std::optional<MountinfoEntry> entry = ParseMountinfoLine(line);
    if (entry && entry->mount_point == *wanted) top = std::move(entry);
  }
  if (!top) return absl::NotFoundError(absl::StrCat("nothing is mounted at ", Quote(*wanted)));
  if (top->fstype != "overlay") {
    return absl::FailedPreconditionError(
        absl::StrCat("the mount at ", Quote(*wanted), " is ", Quote(top->fstype), ", not overlay"));
  }
  if (top->root != "/") {
    return absl::FailedPreconditionError(absl::StrCat("the overlay at ", Quote(*wanted),
                                                      " is a bind mount of ", Quote(top->root),
                                                      " inside an overlay, not the overlay"));
  }
  std::optional<std::string> upperdir;
  for (const std::string& option : SplitSuperOptions(top->super_options)) {
    absl::string_view value = option;
    if (absl::ConsumePrefix(&value, "upperdir=")) {
      upperdir = mountinfo_internal::OverlayUnescape(value);
    }
  }
  if (!upperdir || upperdir->empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the overlay at ", Quote(*wanted), " has no upperdir (read-only)"));
  }
  if (upperdir->front() != '/') {
    return absl::FailedPreconditionError(absl::StrCat(
        "the overlay at ", Quote(*wanted), " has a relative upperdir ", Quote(*upperdir)));
  }
  return OverlayMount{*std::move(top), *std::move(upperdir)};
}

inline absl::StatusOr<std::string> OverlayUpperdirAt(absl::string_view mountinfo,
                                                     absl::string_view mount_point) {
  absl::StatusOr<OverlayMount> overlay = OverlayAt(mountinfo, mount_point);
  if (!overlay.ok()) return overlay.status();
  return std::move(overlay->upperdir);
}

// The options to mount the overlay again exactly as it was: mountinfo's super options,
// decoded once, are the options string it was mounted with.
inline std::string RemountOptions(const OverlayMount& overlay) {
  return mountinfo_internal::DecodeOctalEscapes(overlay.entry.super_options);
}

// Where a bundle's rootfs is mounted: config.json's root.path, relative to the bundle
// (containerd writes "rootfs") or absolute (Docker mounts it itself, under its
// data-root). `bundle` is resolved; the result is normalized, or an error.
inline absl::StatusOr<std::string> RootfsMountPoint(absl::string_view bundle, absl::string_view root_path) {
  if (root_path.empty()) root_path = "rootfs";
  const std::string joined = root_path.front() == '/' ? std::string(root_path) : absl::StrCat(bundle, "/", root_path);
  absl::StatusOr<std::string> normalized = NormalizeAbsolutePath(joined);
  if (!normalized.ok()) return absl::InvalidArgumentError(absl::StrCat("root.path: ", normalized.status().message()));
  return normalized;
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_MOUNTINFO_H_
