// Where images live on disk, and the moves that keep them consistent.
//
//   <parent>/<name>/                      the published image (name: its checkpoint identity)
//       manifest.json  rootfs.tar  criu/...
//   <parent>/.<name>.staging.<pid>.<n>/   an image being built (checkpoint)
//   <parent>/.<name>.previous/            the image being replaced (publish)
//   <parent>/.<name>.lease                who may use the image now (lease.h)
//
// Publishing is: fsync everything, move the old image aside, rename staging into place,
// delete the old one. A crash at any step leaves the published image, or the previous
// one (FindImage looks there when the published one is missing), and never a partial
// image under a name that is read: staging directories are only ever deleted.
// These renames are within one directory, so they are atomic on local filesystems and
// on NFS alike.
#ifndef TARDIS_IMAGE_IMAGE_STORE_H_
#define TARDIS_IMAGE_IMAGE_STORE_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "tardis/sys/remove_tree.h"
#include "tardis/sys/file_digest.h"
#include "tardis/image/manifest.h"
#include "tardis/image/validity.h"
#include "tardis/sys/directory_entries.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"

namespace tardis {

// The names around one image directory (`image_dir` = <parent>/<name>).
struct ImagePaths {
  std::string parent;
  std::string id;  // the image's name: its checkpoint identity

  static ImagePaths Of(const std::string& image_dir) {
    const size_t slash = image_dir.rfind('/');
    return {image_dir.substr(0, slash), image_dir.substr(slash + 1)};
  }
  std::string published() const { return absl::StrCat(parent, "/", id); }
  std::string previous() const { return absl::StrCat(parent, "/.", id, ".previous"); }
  std::string staging_prefix() const { return absl::StrCat(".", id, ".staging."); }
  std::string lease() const { return absl::StrCat(parent, "/.", id, ".lease"); }
};

inline bool IsDirectoryNoFollow(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Staging directories of this image that a crashed or failed checkpoint left behind.
// `paths.parent` is often a PinnedDirectory's /proc/self/fd/N, so it is followed. A
// parent that cannot be listed has none to offer; one whose listing fails part way,
// those seen (collecting them is best effort).
inline std::vector<std::string> StagingLeftovers(const ImagePaths& paths) {
  std::vector<std::string> found;
  (void)ForEachDirectoryEntry(
      paths.parent,
      [&](const DirectoryEntry& entry) {
        if (absl::StartsWith(entry.name(), paths.staging_prefix())) {
          found.push_back(absl::StrCat(paths.parent, "/", entry.name()));
        }
      },
      LastLink::kFollowed);
  return found;
}

// The directory holding the image to restore from, if any: the published one, or the
// previous one when a publish was interrupted between its two renames.
inline std::optional<std::string> FindImage(const std::string& image_dir) {
  const ImagePaths paths = ImagePaths::Of(image_dir);
  if (IsDirectoryNoFollow(paths.published())) return paths.published();
  if (IsDirectoryNoFollow(paths.previous())) return paths.previous();
  return std::nullopt;
}

// A fresh, empty staging directory beside the image. Leftovers of earlier attempts for
// the same container are removed first (checkpoints of one container never overlap).
inline absl::StatusOr<std::string> CreateStaging(const std::string& image_dir) {
  const ImagePaths paths = ImagePaths::Of(image_dir);
  if (absl::Status made = MakeDirectories(paths.parent, 0700); !made.ok()) return made;
  for (const std::string& path : StagingLeftovers(paths)) (void)RemoveTree(path);
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const std::string staging = absl::StrCat(paths.parent, "/", paths.staging_prefix(), ::getpid(),
                                           ".", now.tv_sec * 1000000000LL + now.tv_nsec);
  if (::mkdir(staging.c_str(), 0700) != 0) return ErrnoStatus(errno, absl::StrCat("mkdir ", staging));
  if (::mkdir(absl::StrCat(staging, "/", kCriuDirName).c_str(), 0700) != 0) {
    const int error = errno;
    (void)RemoveTree(staging);
    return ErrnoStatus(error, absl::StrCat("mkdir ", staging, "/", kCriuDirName));
  }
  return staging;
}

// Every file under criu/ of `image`, digested (and with `sync`, made durable).
// Anything that is not a regular file or directory is reported through `unexpected`.
inline absl::StatusOr<std::map<std::string, ImageFile>> DigestCriuFiles(const std::string& image,
                                                                        bool sync, StreamHash::Sha sha,
                                                                        bool* unexpected) {
  std::map<std::string, ImageFile> files;
  std::vector<std::string> pending = {kCriuDirName};
  while (!pending.empty()) {
    const std::string relative = pending.back();
    pending.pop_back();
    const std::string dir_path = absl::StrCat(image, "/", relative);
    absl::Status failed;
    const absl::StatusOr<bool> stopped = AnyDirectoryEntry(dir_path, [&](const DirectoryEntry& entry) {
      const std::string path = absl::StrCat(relative, "/", entry.name());
      struct stat st;
      if (!entry.Stat(&st)) return false;
      if (S_ISDIR(st.st_mode)) {
        pending.push_back(path);
      } else if (S_ISREG(st.st_mode)) {
        absl::StatusOr<FileDigest> digest = DigestFile(absl::StrCat(image, "/", path), sync, sha);
        if (!digest.ok()) {
          failed = digest.status();
          return true;
        }
        files[path] = ImageFile{path, digest->bytes, digest->xxh3_128, digest->sha256};
      } else {
        *unexpected = true;
      }
      return false;
    });
    // A listing that fails part way is an error too: a manifest sealed from it would
    // leave out CRIU files.
    if (!stopped.ok()) return stopped.status();
    if (!failed.ok()) return failed;
  }
  return files;
}

// Reads what validation needs from an image directory (with kAlso, for a node that
// checks signatures, the CRIU files' SHA-256s too).
inline ObservedImage ObserveImage(const std::string& image, StreamHash::Sha sha) {
  ObservedImage observed;
  if (absl::StatusOr<std::string> manifest =
          ReadSmallFile(absl::StrCat(image, "/", kManifestName), 16 << 20);
      manifest.ok()) {
    observed.manifest_text = *std::move(manifest);
  }
  // dump.log's end is all that matters; it can be long with verbose CRIU logging.
  const std::string dump_log = absl::StrCat(image, "/", kCriuDirName, "/dump.log");
  if (const int fd = ::open(dump_log.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW); fd >= 0) {
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      const off_t tail = std::min<off_t>(st.st_size, 4096);
      observed.dump_log_tail.resize(static_cast<size_t>(tail));
      const ssize_t n = ::pread(fd, observed.dump_log_tail.data(), tail, st.st_size - tail);
      observed.dump_log_tail.resize(n > 0 ? static_cast<size_t>(n) : 0);
    }
    ::close(fd);
  }
  bool unexpected = false;
  if (absl::StatusOr<std::map<std::string, ImageFile>> criu = DigestCriuFiles(image, false, sha, &unexpected);
      criu.ok()) {
    observed.criu = *std::move(criu);
  }
  observed.has_unexpected_entries = unexpected;
  struct stat st;
  const std::string rootfs = absl::StrCat(image, "/", kRootfsArchiveName);
  if (::lstat(rootfs.c_str(), &st) == 0) {
    if (S_ISREG(st.st_mode)) {
      observed.rootfs_bytes = static_cast<uint64_t>(st.st_size);
    } else {
      observed.has_unexpected_entries = true;
    }
  }
  return observed;
}

// The manifest of a finished staging directory: every CRIU file digested (with kAlso,
// by SHA-256 too, for a signed image) and made durable. The caller writes it last
// (WriteManifest), then publishes.
inline absl::StatusOr<std::vector<ImageFile>> SealCriuFiles(const std::string& staging, StreamHash::Sha sha) {
  bool unexpected = false;
  absl::StatusOr<std::map<std::string, ImageFile>> files = DigestCriuFiles(staging, true, sha, &unexpected);
  if (!files.ok()) return files.status();
  if (unexpected) return absl::FailedPreconditionError("CRIU left something other than regular files");
  std::vector<ImageFile> list;
  for (auto& [path, file] : *files) list.push_back(std::move(file));
  return list;
}

inline absl::Status WriteManifest(const std::string& staging, const Manifest& manifest) {
  const std::string path = absl::StrCat(staging, "/", kManifestName);
  if (absl::Status written = WriteFileAtomically(path, SerializeManifest(manifest), 0600); !written.ok()) {
    return written;
  }
  FsyncDirectory(absl::StrCat(staging, "/", kCriuDirName));
  FsyncDirectory(staging);
  return absl::OkStatus();
}

// Makes the finished `staging` the published image of `image_dir`.
inline absl::Status Publish(const std::string& staging, const std::string& image_dir) {
  const ImagePaths paths = ImagePaths::Of(image_dir);
  if (IsDirectoryNoFollow(paths.published())) {
    // The published image is intact, so an older "previous" is no longer needed.
    if (absl::Status removed = RemoveTree(paths.previous()); !removed.ok()) return removed;
    if (::rename(paths.published().c_str(), paths.previous().c_str()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("move aside ", paths.published()));
    }
  }
  if (::rename(staging.c_str(), paths.published().c_str()) != 0) {
    const int error = errno;
    // Put the previous image back so the published name is never empty for long.
    ::rename(paths.previous().c_str(), paths.published().c_str());
    return ErrnoStatus(error, absl::StrCat("publish ", paths.published()));
  }
  FsyncDirectoryOf(paths.published());
  return RemoveTree(paths.previous());
}

// Deletes an image: published, previous and any staging leftovers.
inline absl::Status RemoveImage(const std::string& image_dir) {
  const ImagePaths paths = ImagePaths::Of(image_dir);
  absl::Status status = RemoveTree(paths.published());
  if (absl::Status previous = RemoveTree(paths.previous()); status.ok()) status = previous;
  for (const std::string& path : StagingLeftovers(paths)) {
    if (absl::Status removed = RemoveTree(path); status.ok()) status = removed;
  }
  return status;
}

}  // namespace tardis

#endif  // TARDIS_IMAGE_IMAGE_STORE_H_
