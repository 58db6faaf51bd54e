// PackUpperdir(): a container's writable layer (its overlay upperdir) into one pax tar,
// the "saved files" of a checkpoint image.
//
// The archive is an exact copy of what overlayfs needs to rebuild the container's view:
// regular files (holes kept as holes), directories, symlinks, hardlinks (one inode stays
// one inode), FIFOs, whiteouts (character devices 0/0), modes with setuid/setgid/sticky,
// numeric owners (names are never looked up, on either side), atime/mtime in
// nanoseconds, every extended attribute (trusted.overlay.* and security.capability
// included) and POSIX ACLs. Full pax rather than pax_restricted: only full pax records
// sub-second times for every entry. Names are stored as raw bytes (pax
// hdrcharset=BINARY), relative to the upperdir ("etc/passwd"); the upperdir itself is
// not stored. File flags (chattr) are not stored: an immutable file could not be
// rolled back after unpacking.
//
// Left out, each with a note in PackResult::notes: sockets (tar cannot hold them and a
// restored process recreates its own), device nodes other than whiteouts (the unpacker
// refuses them, see entry_policy.h), and the contents of anything mounted below the
// upperdir (the walk does not cross mounts, bind mounts of the same filesystem included;
// the mount point itself is stored as the directory it shows).
//
// The archive file is created exclusively (it must not exist), written in 1 MiB blocks
// while its XXH3-128 and length are computed, and handed to the disk as it grows
// (write-behind) without waiting for it. Making it durable (fsync, before it becomes part of a published image) and
// publishing it are the caller's job. On failure it is removed.
#ifndef TARDIS_ARCHIVE_PACK_H_
#define TARDIS_ARCHIVE_PACK_H_

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/archive/entry_policy.h"
#include "tardis/archive/libarchive.h"
#include "tardis/sys/stream_hash.h"
#include "tardis/archive/working_directory.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/quote.h"

namespace tardis::archive {

struct PackResult {
  uint64_t bytes = 0;          // length of the archive file
  std::string xxh3_128_hex;    // its XXH3-128, lowercase hex (see stream_hash.h)
  std::string sha256_hex;      // its SHA-256 when asked for (a signed image), else ""
  uint64_t entries = 0;        // entries stored
  std::vector<std::string> notes;  // what was left out, and why
};

namespace pack_internal {

inline constexpr int kBlockBytes = 1 << 20;

// Write-behind: every kWritebackWindow bytes, the window just written is handed to the
// disk (without waiting), so writeback overlaps packing and the caller's final fsync
// finds little left to do.
inline constexpr uint64_t kWritebackWindow = 8 << 20;

struct Output {
  int fd = -1;
  StreamHash hash;
  uint64_t submitted = 0;  // bytes already handed to writeback
};

inline void SubmitWriteback(Output* out, bool all) {
  const uint64_t written = out->hash.bytes();
  const uint64_t end = all ? written : written - written % kWritebackWindow;
  if (end <= out->submitted) return;
  (void)::sync_file_range(out->fd, static_cast<off64_t>(out->submitted),
                          static_cast<off64_t>(end - out->submitted), SYNC_FILE_RANGE_WRITE);
  out->submitted = end;
}

inline la_ssize_t WriteBlock(struct archive* a, void* client, const void* buffer, size_t length) {
  Output* out = static_cast<Output*>(client);
  const char* data = static_cast<const char*>(buffer);
  size_t left = length;
  while (left > 0) {
    const ssize_t n = ::write(out->fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      archive_set_error(a, errno, "write");
      return -1;
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  out->hash.Update(buffer, length);
  SubmitWriteback(out, /*all=*/false);
  return static_cast<la_ssize_t>(length);
}

// Copies the current file's data, the way bsdtar does: the disk reader skips holes and
// reports offsets, the pax writer wants the bytes in order and drops those in its
// sparse map's holes.
inline absl::Status CopyData(struct archive* disk, struct archive* writer, absl::string_view name) {
  static const std::string kZeros(64 * 1024, '\0');
  int64_t progress = 0;
  while (true) {
    const void* block = nullptr;
    size_t size = 0;
    int64_t offset = 0;
    const int r = archive_read_data_block(disk, &block, &size, &offset);
    if (r == ARCHIVE_EOF) return absl::OkStatus();
    if (r < ARCHIVE_WARN) return ArchiveError(disk, absl::StrCat("read ", name));
    while (offset > progress) {
      const size_t zeros = static_cast<size_t>(std::min<int64_t>(offset - progress, kZeros.size()));
      const la_ssize_t written = archive_write_data(writer, kZeros.data(), zeros);
      if (written <= 0) return ArchiveError(writer, absl::StrCat("archive ", name));
      progress += written;
    }
    if (size == 0) continue;
    const la_ssize_t written = archive_write_data(writer, block, size);
    if (written < 0) return ArchiveError(writer, absl::StrCat("archive ", name));
    progress += static_cast<int64_t>(size);
  }
}


// Whether the directory at `path` (absolute, its last component not followed) is the root
// of a mount: a bind mount of the same filesystem has the same st_dev as its parent.
inline bool IsMountRoot(const std::string& path) {
  struct statx stx;
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &stx) != 0) {
    return false;
  }
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

// Walks `root` (absolute) and writes every entry below it to `writer`.
inline absl::Status WriteTree(const std::string& root, struct archive* writer, const struct stat& archive_st,
                              PackResult* result) {
  ArchiveReader disk(archive_read_disk_new());
  ArchiveEntry entry(archive_entry_new());
  LinkResolver links(archive_entry_linkresolver_new());
  if (disk == nullptr || entry == nullptr || links == nullptr) return absl::ResourceExhaustedError("libarchive");
  archive_entry_linkresolver_set_strategy(links.get(), ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);
  if (archive_read_disk_set_symlink_physical(disk.get()) != ARCHIVE_OK ||
      archive_read_disk_set_behavior(disk.get(),
                                     ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS | ARCHIVE_READDISK_NO_FFLAGS) !=
          ARCHIVE_OK) {
    return ArchiveError(disk.get(), "configure the disk reader");
  }
  if (archive_read_disk_open(disk.get(), root.c_str()) != ARCHIVE_OK) {
    return ArchiveError(disk.get(), absl::StrCat("open ", root));
  }
  const std::string prefix = absl::StrCat(root, "/");
  bool at_root = true;
  dev_t root_dev = 0;
  absl::flat_hash_map<std::pair<dev_t, int64_t>, std::string> whiteouts;
  while (true) {
    archive_entry_clear(entry.get());
    const int r = archive_read_next_header2(disk.get(), entry.get());
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return ArchiveError(disk.get(), absl::StrCat("walk ", root));
    const char* raw_path = archive_entry_pathname(entry.get());
    const absl::string_view path = raw_path != nullptr ? raw_path : "";
    if (r == ARCHIVE_WARN) {
      // Anything the disk reader could not fully read (an xattr, an ACL) would make the
      // copy inexact.
      return ArchiveError(disk.get(), absl::StrCat("read ", Quote(path)));
    }
    if (at_root) {
      at_root = false;
      if (archive_entry_filetype(entry.get()) != AE_IFDIR) {
        return absl::FailedPreconditionError(absl::StrCat(root, " is not a directory"));
      }
      root_dev = archive_entry_dev(entry.get());
      if (archive_read_disk_descend(disk.get()) != ARCHIVE_OK) {
        return ArchiveError(disk.get(), absl::StrCat("descend into ", root));
      }
      continue;
    }
    if (!absl::StartsWith(path, prefix)) {
      return absl::InternalError(absl::StrCat("walk of ", root, " produced ", Quote(path)));
    }
    const std::string name(path.substr(prefix.size()));
    const mode_t type = archive_entry_filetype(entry.get());
    if (archive_entry_dev(entry.get()) == archive_st.st_dev && static_cast<ino_t>(archive_entry_ino64(entry.get())) == archive_st.st_ino) {
      return absl::InvalidArgumentError(absl::StrCat("the archive is inside the upperdir: ", Quote(name)));
    }
    if (type == AE_IFSOCK) {
      result->notes.push_back(absl::StrCat("skipped socket ", Quote(name)));
      continue;
    }
    if (type == AE_IFBLK || (type == AE_IFCHR && archive_entry_rdev(entry.get()) != 0)) {
      result->notes.push_back(absl::StrCat("skipped device node ", Quote(name), " (",
                                           archive_entry_rdevmajor(entry.get()), ":",
                                           archive_entry_rdevminor(entry.get()), ")"));
      continue;
    }
    if (type == AE_IFDIR) {
      if (archive_entry_dev(entry.get()) != root_dev || IsMountRoot(std::string(path))) {
        result->notes.push_back(absl::StrCat("did not descend into mount point ", Quote(name)));
      } else if (archive_read_disk_can_descend(disk.get()) &&
                 archive_read_disk_descend(disk.get()) != ARCHIVE_OK) {
        return ArchiveError(disk.get(), absl::StrCat("descend into ", Quote(name)));
      }
    }
    archive_entry_copy_pathname(entry.get(), name.c_str());

    if (type == AE_IFCHR) {
      // libarchive's resolver never links devices, but overlayfs makes whiteouts links
      // of one shared inode.
      if (archive_entry_nlink(entry.get()) > 1) {
        const auto [first, inserted] = whiteouts.try_emplace(
            std::make_pair(archive_entry_dev(entry.get()), archive_entry_ino64(entry.get())), name);
        if (!inserted) archive_entry_copy_hardlink(entry.get(), first->second.c_str());
      }
    } else {
      struct archive_entry* linked = entry.get();
      struct archive_entry* spare = nullptr;
      archive_entry_linkify(links.get(), &linked, &spare);
      if (linked != entry.get() || spare != nullptr) {
        return absl::InternalError("unexpected deferral by libarchive's link resolver");
      }
    }
    // A second name of a symlink is a hardlink entry, not a second symlink.
    if (archive_entry_hardlink(entry.get()) != nullptr) archive_entry_set_symlink(entry.get(), nullptr);
    // What the unpacker would refuse is never written (a path too long, say).
    EntryFacts facts;
    facts.path = name;
    facts.file_type = type;
    if (const char* target = archive_entry_hardlink(entry.get())) facts.hardlink = target;
    if (const char* target = archive_entry_symlink(entry.get())) facts.symlink = target;
    facts.size = facts.hardlink.has_value() || type != AE_IFREG ? 0 : archive_entry_size(entry.get());
    if (absl::Status allowed = CheckEntry(facts).status(); !allowed.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("cannot be restored: ", allowed.message()));
    }

    const int w = archive_write_header(writer, entry.get());
    if (w < ARCHIVE_WARN) return ArchiveError(writer, absl::StrCat("archive ", Quote(name)));
    if (w == ARCHIVE_WARN) {
      const char* warning = archive_error_string(writer);
      result->notes.push_back(absl::StrCat(Quote(name), ": ", Quote(warning != nullptr ? warning : "warning")));
    }
    if (type == AE_IFREG && !facts.hardlink.has_value() && archive_entry_size(entry.get()) > 0) {
      if (absl::Status copied = CopyData(disk.get(), writer, Quote(name)); !copied.ok()) return copied;
    }
    if (archive_write_finish_entry(writer) < ARCHIVE_WARN) {
      return ArchiveError(writer, absl::StrCat("archive ", Quote(name)));
    }
    ++result->entries;
  }
  if (archive_read_close(disk.get()) != ARCHIVE_OK) return ArchiveError(disk.get(), "close the walk");
  return absl::OkStatus();
}

}  // namespace pack_internal

// Writes the tree below `upperdir` to a new file `archive_path` (which must not exist).
// With Sha::kAlso the archive's SHA-256 is computed as it is written, too.
inline absl::StatusOr<PackResult> PackUpperdir(const std::string& upperdir, const std::string& archive_path,
                                               StreamHash::Sha sha = StreamHash::Sha::kNo) {
  using namespace pack_internal;
  std::string root = upperdir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty() || root == "/") return absl::InvalidArgumentError(absl::StrCat("bad upperdir ", Quote(upperdir)));
  if (root.front() != '/') {  // the walk moves the working directory; its paths must not depend on it
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return ErrnoStatus(errno, "getcwd");
    root = absl::StrCat(cwd, std::string_view(cwd) == "/" ? "" : "/", root);
  }
  {
    const int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root_fd < 0) return ErrnoStatus(errno, absl::StrCat("open upperdir ", root));
    ::close(root_fd);
  }
  SavedWorkingDirectory cwd;
  if (!cwd.status().ok()) return cwd.status();

  Output out;
  out.hash = StreamHash(sha);
  if (!out.hash.ok()) return absl::ResourceExhaustedError("hash state");
  out.fd = ::open(archive_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out.fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", archive_path));
  PackResult result;
  absl::Status status = [&]() -> absl::Status {
    struct stat archive_st;
    if (::fstat(out.fd, &archive_st) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", archive_path));
    ArchiveWriter writer(archive_write_new());
    if (writer == nullptr) return absl::ResourceExhaustedError("libarchive");
    if (archive_write_set_format_pax(writer.get()) != ARCHIVE_OK ||
        archive_write_set_format_option(writer.get(), "pax", "hdrcharset", "BINARY") != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(writer.get(), kBlockBytes) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(writer.get(), 1) != ARCHIVE_OK) {
      return ArchiveError(writer.get(), "configure the archive writer");
    }
    if (archive_write_open(writer.get(), &out, nullptr, WriteBlock, nullptr) != ARCHIVE_OK) {
      return ArchiveError(writer.get(), absl::StrCat("open ", archive_path));
    }
    absl::Status walked = WriteTree(root, writer.get(), archive_st, &result);
    if (absl::Status back = cwd.Restore(); walked.ok() && !back.ok()) walked = back;
    if (!walked.ok()) return walked;
    if (archive_write_close(writer.get()) != ARCHIVE_OK) {
      return ArchiveError(writer.get(), absl::StrCat("finish ", archive_path));
    }
    // Hand the rest to the disk; the checkpoint makes the archive durable (fsync) when it
    // seals the image, while CRIU's dump has overlapped the writeback.
    SubmitWriteback(&out, /*all=*/true);
    struct stat written;
    if (::fstat(out.fd, &written) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", archive_path));
    if (static_cast<uint64_t>(written.st_size) != out.hash.bytes()) {
      return absl::InternalError(absl::StrCat(archive_path, " holds ", written.st_size, " bytes, ",
                                              out.hash.bytes(), " were written"));
    }
    return absl::OkStatus();
  }();
  const int close_result = ::close(out.fd);
  if (status.ok() && close_result != 0) status = ErrnoStatus(errno, absl::StrCat("close ", archive_path));
  if (!status.ok()) {
    ::unlink(archive_path.c_str());
    return status;
  }
  result.bytes = out.hash.bytes();
  result.xxh3_128_hex = out.hash.Hex();
  result.sha256_hex = out.hash.Sha256Hex();
  return result;
}

}  // namespace tardis::archive

namespace tardis {
using archive::PackResult;
using archive::PackUpperdir;
}  // namespace tardis

#endif  // TARDIS_ARCHIVE_PACK_H_
