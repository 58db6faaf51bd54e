// HandDumpToCaller(): what a checkpoint does when CRIU's dump succeeded but Tardis could
// not archive the upperdir beside it (the two run at once, see checkpoint.h).
//
// The container is stopped by then and Tardis has no image to publish, but CRIU's dump
// is whole. Plain runc would have left exactly those files in the caller's
// --image-path; putting them there gives containerd its own checkpoint, as it would
// have had without Tardis, and Tardis's previous image stays as it was.
//
// ShareDumpWithCaller(): the same files, left in Tardis's published image too, for a
// caller that restores from its own copy (Docker, see callers_dump.h): hard links where
// both directories are on one filesystem, copies otherwise.
#ifndef TARDIS_IMAGE_DUMP_HANDOVER_H_
#define TARDIS_IMAGE_DUMP_HANDOVER_H_

#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/runc/checkpoint_argv.h"
#include "tardis/runc/invocation.h"
#include "tardis/sys/directory_entries.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"

namespace tardis {

namespace dump_handover_internal {

inline absl::Status LinkOrCopy(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return absl::OkStatus();
  if (errno != EXDEV && errno != EPERM) return ErrnoStatus(errno, absl::StrCat("link ", from, " to ", to));
  return CopyFile(from, to);
}

enum class Handover { kMove, kShare };

// Puts the regular files of `criu_dir` (CRIU writes no others) into the directory plain
// runc would have used for `checkpoint`, and returns that directory.
inline absl::StatusOr<std::string> PlaceDump(const std::string& criu_dir, const runc::Invocation& checkpoint,
                                             Handover how) {
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return ErrnoStatus(errno, "getcwd");
  const std::string placed = runc::CallersImagePath(checkpoint, cwd);
  if (absl::Status made = MakeDirectories(placed, 0700); !made.ok()) return made;

  // The whole listing before anything moves: one that fails part way hands over nothing,
  // rather than a dump short of files that looks whole. criu/ is Tardis's own
  // directory, never a symlink.
  std::vector<std::string> names;
  if (absl::Status listed = ForEachDirectoryEntry(criu_dir,
                                                  [&names](const DirectoryEntry& entry) {
                                                    if (entry.IsRegularFile()) names.emplace_back(entry.name());
                                                  });
      !listed.ok()) {
    return listed;
  }
  for (const std::string& name : names) {
    const std::string from = absl::StrCat(criu_dir, "/", name), to = absl::StrCat(placed, "/", name);
    absl::Status done = how == Handover::kMove ? MoveFile(from, to) : LinkOrCopy(from, to);
    if (!done.ok()) return done;
  }
  return placed;
}

}  // namespace dump_handover_internal

// Moves CRIU's files out of `criu_dir` to the caller, and returns where they went.
inline absl::StatusOr<std::string> HandDumpToCaller(const std::string& criu_dir,
                                                    const runc::Invocation& checkpoint) {
  using namespace dump_handover_internal;
  return PlaceDump(criu_dir, checkpoint, Handover::kMove);
}

// Gives the caller CRIU's files and keeps them in `criu_dir`.
inline absl::StatusOr<std::string> ShareDumpWithCaller(const std::string& criu_dir,
                                                       const runc::Invocation& checkpoint) {
  using namespace dump_handover_internal;
  return PlaceDump(criu_dir, checkpoint, Handover::kShare);
}

}  // namespace tardis

#endif  // TARDIS_IMAGE_DUMP_HANDOVER_H_
