// UnpackIntoUpperdir(): a checkpoint's saved files back into a new container's upperdir,
// confined beneath it whatever the archive says, and undoable to the last entry.
//
// The archive is hostile (see entry_policy.h). Three layers keep it inside:
//  1. every entry passes CheckEntry() before anything is written for it;
//  2. what it may touch on disk: its parent must be the upperdir itself or a directory
//     this same archive created earlier, a hardlink's target must be a non-directory
//     this archive created earlier, and its own path must not exist yet. Nothing that
//     was in the upperdir before is modified, replaced, or descended into, so no symlink
//     can be on the way to anything written: the only directories written into are
//     ones we made, and nothing we made is ever replaced;
//  3. libarchive's disk writer runs with SECURE_SYMLINKS, SECURE_NODOTDOT,
//     SECURE_NOABSOLUTEPATHS and NO_AUTODIR (and NO_OVERWRITE), in case 1 or 2 miss
//     something.
// An existing directory counts as existing: an archive entry naming it fails the unpack
// rather than descending into it. Merging into it would leave the archive's own
// metadata for that directory (its mode, its trusted.overlay.opaque) unapplied, so the
// result would not be the saved container; it is also never needed, since containerd
// hands over a fresh, empty upperdir and the packer stores parents before children.
//
// libarchive resolves entry names against the working directory, and its deferred
// directory fix-ups (modes, times) by name when the writer closes; it refuses absolute
// names under SECURE_NOABSOLUTEPATHS and, with SECURE_SYMLINKS, would refuse an upperdir
// whose host path contains a symlink. So the extraction runs with the working directory
// set (fchdir) to the upperdir, and the caller's working directory is restored on every
// return path (working_directory.h).
//
// The stream is hashed as it is read (XXH3-128 and its length, compared at the end
// after reading past the end-of-archive marker to the end of the file); a size that
// already differs fails before anything is written. On any failure, whatever this call
// created is removed again and the upperdir's own times are put back, so the upperdir is
// as it was (bar its ctime). On success the returned record says exactly what was
// created, for RollbackUnpack() if the restore that follows fails.
#ifndef TARDIS_ARCHIVE_UNPACK_H_
#define TARDIS_ARCHIVE_UNPACK_H_

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>

#include "tardis/archive/entry_policy.h"
#include "tardis/archive/libarchive.h"
#include "tardis/sys/remove_tree.h"
#include "tardis/archive/unpack_budget.h"
#include "tardis/sys/stream_hash.h"
#include "tardis/archive/working_directory.h"
#include "tardis/sys/directory_entries.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/quote.h"

namespace tardis::archive {

struct UnpackRecord {
  std::vector<std::string> created;  // relative to the upperdir, in creation order
  uint64_t entries = 0;              // archive entries extracted
  // The upperdir's own times before the unpack, which a rollback puts back.
  struct timespec upperdir_atime = {0, UTIME_OMIT};
  struct timespec upperdir_mtime = {0, UTIME_OMIT};
};

namespace unpack_internal {

inline constexpr size_t kReadBytes = 1 << 20;


// The directory holding `path` (relative to `root_fd`), opened without following any
// symlink on the way; `*last` is the final component.
inline absl::StatusOr<int> OpenParent(int root_fd, absl::string_view path, std::string* last) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  *last = std::string(parts.back());
  int fd = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus(errno, "dup");
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string part(parts[i]);
    const int next = ::openat(fd, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int error = errno;
    ::close(fd);
    if (next < 0) return ErrnoStatus(error, absl::StrCat("open ", Quote(path), " up to ", Quote(part)));
    fd = next;
  }
  return fd;
}

// Removes `record.created` below `root_fd`, latest first (so children before parents).
inline absl::Status Rollback(int root_fd, const UnpackRecord& record) {
  absl::Status first_error;
  for (auto it = record.created.rbegin(); it != record.created.rend(); ++it) {
    // A record may have been kept and handed back: only ever names below the root.
    if (absl::Status valid = NormalizeEntryPath(*it, false).status(); !valid.ok()) {
      if (first_error.ok()) first_error = valid;
      continue;
    }
    std::string last;
    absl::StatusOr<int> parent = OpenParent(root_fd, *it, &last);
    if (!parent.ok()) {
      if (!absl::IsNotFound(parent.status()) && first_error.ok()) first_error = parent.status();
      continue;
    }
    struct stat st;
    if (::fstatat(*parent, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        ::unlinkat(*parent, last.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && first_error.ok()) {
      first_error = ErrnoStatus(errno, absl::StrCat("remove ", Quote(*it)));
    }
    ::close(*parent);
  }
  const struct timespec times[2] = {record.upperdir_atime, record.upperdir_mtime};
  if (::futimens(root_fd, times) != 0 && first_error.ok()) {
    first_error = ErrnoStatus(errno, "restore the upperdir's times");
  }
  return first_error;
}

struct Input {
  int fd = -1;
  StreamHash hash;
  std::unique_ptr<char[]> buffer{new char[kReadBytes]};
  int error = 0;

  // Next chunk of the file (0 at its end, -1 on error), hashed on the way.
  ssize_t Read() {
    while (true) {
      const ssize_t n = ::read(fd, buffer.get(), kReadBytes);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = errno;
        return -1;
      }
      hash.Update(buffer.get(), static_cast<size_t>(n));
      return n;
    }
  }
};

inline la_ssize_t ReadBlock(struct archive* a, void* client, const void** block) {
  Input* in = static_cast<Input*>(client);
  const ssize_t n = in->Read();
  if (n < 0) archive_set_error(a, in->error, "read the archive");
  *block = in->buffer.get();
  return n;
}

inline constexpr int kDiskFlags =
    ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_NO_AUTODIR | ARCHIVE_EXTRACT_NO_OVERWRITE;

class Extraction {
 public:
  Extraction(int root_fd, UnpackRecord* record, UnpackBudget budget)
      : root_fd_(root_fd), record_(record), meter_(budget) {}

  // Checks one entry against the policy and against what exists, then writes it.
  absl::Status Extract(struct archive* reader, struct archive* disk, struct archive_entry* entry) {
    const char* raw_path = archive_entry_pathname(entry);
    if (raw_path == nullptr) return absl::InvalidArgumentError("entry without a usable path");
    EntryFacts facts;
    facts.path = raw_path;
    facts.file_type = archive_entry_filetype(entry);
    if (const char* target = archive_entry_hardlink(entry)) facts.hardlink = target;
    if (const char* target = archive_entry_symlink(entry)) facts.symlink = target;
    facts.size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
    facts.rdev_major = archive_entry_rdevmajor(entry);
    facts.rdev_minor = archive_entry_rdevminor(entry);
    absl::StatusOr<CheckedEntry> checked = CheckEntry(facts);
    if (!checked.ok()) return checked.status();
    // Before anything of it is written; a sparse entry is charged its whole size.
    if (absl::Status charged = meter_.Charge(facts.size > 0 ? static_cast<uint64_t>(facts.size) : 0); !charged.ok()) {
      return charged;
    }
    if (checked->kind == EntryKind::kWhiteout && archive_entry_rdev(entry) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(Quote(checked->path), ": not a whiteout"));
    }
    const std::string& path = checked->path;

    const size_t slash = path.rfind('/');
    if (slash != std::string::npos) {
      const auto parent = made_.find(absl::string_view(path).substr(0, slash));
      if (parent == made_.end() || !parent->second) {
        return absl::InvalidArgumentError(
            absl::StrCat(Quote(path), ": its parent is not a directory this archive created"));
      }
    }
    if (checked->kind == EntryKind::kHardlink) {
      const auto target = made_.find(checked->hardlink_target);
      if (target == made_.end() || target->second) {
        return absl::InvalidArgumentError(absl::StrCat(
            Quote(path), ": hardlink to ", Quote(checked->hardlink_target),
            ", which is not a file this archive created"));
      }
    }
    struct stat st;
    if (::fstatat(root_fd_, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      return absl::AlreadyExistsError(absl::StrCat(Quote(path), " already exists in the upperdir"));
    }
    if (errno != ENOENT) return ErrnoStatus(errno, absl::StrCat("stat ", Quote(path)));

    archive_entry_copy_pathname(entry, path.c_str());
    if (checked->kind == EntryKind::kHardlink) archive_entry_copy_hardlink(entry, checked->hardlink_target.c_str());
    const int header = archive_write_header(disk, entry);
    // Whatever is there now was made by this call, even if the header then failed.
    if (::fstatat(root_fd_, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      record_->created.push_back(path);
      made_.emplace(path, S_ISDIR(st.st_mode));
    }
    // A warning here is metadata that could not be set: not an exact copy.
    if (header != ARCHIVE_OK) return ArchiveError(disk, absl::StrCat("extract ", Quote(path)));
    if (checked->kind == EntryKind::kRegular && facts.size > 0) {
      while (true) {
        const void* block = nullptr;
        size_t size = 0;
        int64_t offset = 0;
        const int r = archive_read_data_block(reader, &block, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK) {
          return ArchiveError(reader, absl::StrCat("read ", Quote(path)), absl::StatusCode::kDataLoss);
        }
        if (archive_write_data_block(disk, block, size, offset) != ARCHIVE_OK) {
          return ArchiveError(disk, absl::StrCat("write ", Quote(path)));
        }
      }
    }
    if (archive_write_finish_entry(disk) != ARCHIVE_OK) {
      return ArchiveError(disk, absl::StrCat("finish ", Quote(path)));
    }
    ++record_->entries;
    return absl::OkStatus();
  }

 private:
  int root_fd_;
  UnpackRecord* record_;
  BudgetMeter meter_;
  absl::flat_hash_map<std::string, bool> made_;  // path -> is a directory
};

// Everything between opening the upperdir and rolling back: extraction with the working
// directory in the upperdir, then the stream's checks.
inline absl::Status ExtractAll(int archive_fd, int root_fd, absl::string_view expected_hex, uint64_t expected_bytes,
                               UnpackBudget budget, absl::string_view expected_sha256_hex, UnpackRecord* record) {
  Input in;
  in.fd = archive_fd;
  if (!expected_sha256_hex.empty()) in.hash = StreamHash(StreamHash::Sha::kAlso);
  if (!in.hash.ok()) return absl::ResourceExhaustedError("xxh3 state");
  ArchiveReader reader(archive_read_new());
  ArchiveWriter disk(archive_write_disk_new());
  if (reader == nullptr || disk == nullptr) return absl::ResourceExhaustedError("libarchive");
  if (archive_read_support_format_tar(reader.get()) != ARCHIVE_OK ||
      archive_write_disk_set_options(disk.get(), kDiskFlags) != ARCHIVE_OK) {
    return absl::InternalError("configure libarchive");
  }

  SavedWorkingDirectory cwd;
  if (!cwd.status().ok()) return cwd.status();
  if (::fchdir(root_fd) != 0) return ErrnoStatus(errno, "enter the upperdir");
  absl::Status status = [&]() -> absl::Status {
    if (archive_read_open(reader.get(), &in, nullptr, ReadBlock, nullptr) != ARCHIVE_OK) {
      return ArchiveError(reader.get(), "open the archive", absl::StatusCode::kDataLoss);
    }
    Extraction extraction(root_fd, record, budget);
    while (true) {
      struct archive_entry* entry = nullptr;
      const int r = archive_read_next_header(reader.get(), &entry);
      if (r == ARCHIVE_EOF) break;
      // A warning is a header only partly understood (a malformed pax record, say): what
      // it would have restored is lost, so the copy would not be exact.
      if (r != ARCHIVE_OK) return ArchiveError(reader.get(), "read the archive", absl::StatusCode::kDataLoss);
      if (absl::Status s = extraction.Extract(reader.get(), disk.get(), entry); !s.ok()) return s;
    }
    // Fix-ups are by name: close while still in the upperdir.
    if (archive_write_close(disk.get()) != ARCHIVE_OK) return ArchiveError(disk.get(), "finish extracting");
    return absl::OkStatus();
  }();
  disk.reset();  // a failed extraction's fix-ups, too, are applied here, before leaving
  if (absl::Status back = cwd.Restore(); !back.ok()) return back;
  if (!status.ok()) return status;

  while (true) {  // the rest of the file, past the end-of-archive marker
    const ssize_t n = in.Read();
    if (n < 0) return ErrnoStatus(in.error, "read the archive");
    if (n == 0) break;
  }
  if (in.hash.bytes() != expected_bytes) {
    return absl::DataLossError(absl::StrCat("archive is ", in.hash.bytes(), " bytes, expected ", expected_bytes));
  }
  const std::string hex = in.hash.Hex();
  if (hex != absl::AsciiStrToLower(expected_hex)) {
    return absl::DataLossError(absl::StrCat("archive's xxh3-128 is ", hex, ", expected ", expected_hex));
  }
  if (!expected_sha256_hex.empty() && in.hash.Sha256Hex() != expected_sha256_hex) {
    return absl::DataLossError(absl::StrCat("archive's sha256 is ", in.hash.Sha256Hex(), ", expected ",
                                            expected_sha256_hex));
  }
  return absl::OkStatus();
}

}  // namespace unpack_internal

namespace unpack_internal {

inline constexpr char kStagePrefix[] = ".tardis-unpack.";

// Stages in `parent` that an unpack killed mid-way left behind: an unpack of an
// upperdir is the only writer of the stages beside it, and containerd or Docker runs one
// create of a container at a time. Best effort: a parent that cannot be listed has none
// removed, one whose listing fails part way those seen. Stage has opened `parent`
// without following a symlink, and it is listed the same way.
inline void RemoveStaleStages(const std::string& parent) {
  std::vector<std::string> stale;
  (void)ForEachDirectoryEntry(parent, [&](const DirectoryEntry& entry) {
    if (absl::StartsWith(entry.name(), kStagePrefix)) stale.push_back(absl::StrCat(parent, "/", entry.name()));
  });
  for (const std::string& path : stale) (void)RemoveTree(path);
}

// Where the archive is extracted before its entries move into the upperdir: a fresh
// directory beside it, on the same filesystem (the stale ones of killed unpacks go
// first), whose parent's times are put back when it goes. Without one (the parent is
// elsewhere, or not writable) the extraction goes into the upperdir directly.
class Stage {
 public:
  explicit Stage(const std::string& upperdir) {
    const size_t slash = upperdir.rfind('/');
    if (slash == std::string::npos || slash == 0) return;
    const std::string parent = upperdir.substr(0, slash);
    parent_fd_ = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat parent_st, upper_st;
    if (parent_fd_ < 0 || ::fstat(parent_fd_, &parent_st) != 0 || ::stat(upperdir.c_str(), &upper_st) != 0 ||
        parent_st.st_dev != upper_st.st_dev) {
      return;
    }
    RemoveStaleStages(parent);
    if (::fstat(parent_fd_, &parent_st) != 0) return;
    parent_times_[0] = parent_st.st_atim;
    parent_times_[1] = parent_st.st_mtim;
    std::string pattern = absl::StrCat(parent, "/", kStagePrefix, "XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) return;
    path_ = pattern;
    fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0) Remove();
  }
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;
  ~Stage() {
    Remove();
    if (parent_fd_ >= 0) ::close(parent_fd_);
  }

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Moves the stage's top-level entries (in `record`, in creation order) into the
  // upperdir, never replacing anything there; on failure, those moved go back.
  absl::Status MoveInto(int upper_fd, const UnpackRecord& record) {
    std::vector<const std::string*> moved;
    for (const std::string& path : record.created) {
      if (path.find('/') != std::string::npos) continue;
      if (::renameat2(fd_, path.c_str(), upper_fd, path.c_str(), RENAME_NOREPLACE) == 0) {
        moved.push_back(&path);
        continue;
      }
      const int error = errno;
      for (auto it = moved.rbegin(); it != moved.rend(); ++it) {
        (void)::renameat2(upper_fd, (*it)->c_str(), fd_, (*it)->c_str(), RENAME_NOREPLACE);
      }
      if (error == EEXIST) return absl::AlreadyExistsError(absl::StrCat(Quote(path), " already exists in the upperdir"));
      return ErrnoStatus(error, absl::StrCat("move ", Quote(path), " into the upperdir"));
    }
    return absl::OkStatus();
  }

 private:
  void Remove() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (path_.empty()) return;
    (void)RemoveTree(path_);
    path_.clear();
    (void)::futimens(parent_fd_, parent_times_);
  }

  int parent_fd_ = -1;
  struct timespec parent_times_[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  std::string path_;
  int fd_ = -1;
};

}  // namespace unpack_internal

// Extracts `archive_path` into `upperdir`; see the header comment for the guarantees.
// An archive over `budget` (unpack_budget.h) fails like any other bad archive.
//
// The extraction happens in a stage beside the upperdir, and only a complete, verified
// one moves in (a rename per top-level entry): an unpack cut short, even by SIGKILL,
// leaves the upperdir as it was, so a later create of the same container (Docker's
// `docker start` reuses its writable layer) never runs on an upperdir holding half an
// image. What a killed unpack leaves in the stage is removed by the next unpack beside
// the same upperdir.
inline absl::StatusOr<UnpackRecord> UnpackIntoUpperdir(const std::string& archive_path, const std::string& upperdir,
                                                       absl::string_view expected_xxh3_128_hex,
                                                       uint64_t expected_bytes,
                                                       UnpackBudget budget = UnpackBudget::Unlimited(),
                                                       absl::string_view expected_sha256_hex = "") {
  if (!IsXxh3_128Hex(expected_xxh3_128_hex)) {
    return absl::InvalidArgumentError(absl::StrCat("bad expected xxh3-128 ", Quote(expected_xxh3_128_hex)));
  }
  if (!expected_sha256_hex.empty() && !IsSha256Hex(expected_sha256_hex)) {
    return absl::InvalidArgumentError(absl::StrCat("bad expected sha256 ", Quote(expected_sha256_hex)));
  }
  const int archive_fd = ::open(archive_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (archive_fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", archive_path));
  const int root_fd = ::open(upperdir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) {
    const int error = errno;
    ::close(archive_fd);
    return ErrnoStatus(error, absl::StrCat("open upperdir ", upperdir));
  }
  unpack_internal::Stage stage(upperdir);
  const int extract_fd = stage.ok() ? stage.fd() : root_fd;
  UnpackRecord record;
  absl::Status status = [&]() -> absl::Status {
    struct stat st;
    if (::fstat(archive_fd, &st) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", archive_path));
    if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError(absl::StrCat(archive_path, " is not a file"));
    if (static_cast<uint64_t>(st.st_size) != expected_bytes) {
      return absl::DataLossError(
          absl::StrCat(archive_path, " is ", st.st_size, " bytes, expected ", expected_bytes));
    }
    if (::fstat(root_fd, &st) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", upperdir));
    record.upperdir_atime = st.st_atim;
    record.upperdir_mtime = st.st_mtim;
    absl::Status extracted =
        unpack_internal::ExtractAll(archive_fd, extract_fd, expected_xxh3_128_hex, expected_bytes, budget,
                                    expected_sha256_hex, &record);
    if (!extracted.ok() || !stage.ok()) return extracted;
    return stage.MoveInto(root_fd, record);
  }();
  ::close(archive_fd);
  // A stage's leftovers go with it; an extraction straight into the upperdir is undone.
  if (!status.ok() && !stage.ok() && record.upperdir_mtime.tv_nsec != UTIME_OMIT) {
    if (absl::Status undone = unpack_internal::Rollback(root_fd, record); !undone.ok()) {
      status = absl::Status(status.code(), absl::StrCat(status.message(), "; rolling back: ", undone.message()));
    }
  }
  if (!status.ok() && stage.ok() && record.upperdir_mtime.tv_nsec != UTIME_OMIT) {
    const struct timespec times[2] = {record.upperdir_atime, record.upperdir_mtime};
    (void)::futimens(root_fd, times);
  }
  ::close(root_fd);
  if (!status.ok()) return status;
  return record;
}

// Removes exactly what `record` says an unpack created in `upperdir`, latest first,
// never following a symlink, and puts back the upperdir's own times. Entries already
// gone are fine; a directory that is no longer empty stays (and is reported).
inline absl::Status RollbackUnpack(const std::string& upperdir, const UnpackRecord& record) {
  const int root_fd = ::open(upperdir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) return ErrnoStatus(errno, absl::StrCat("open upperdir ", upperdir));
  absl::Status status = unpack_internal::Rollback(root_fd, record);
  ::close(root_fd);
  return status;
}

}  // namespace tardis::archive

namespace tardis {
using archive::RollbackUnpack;
using archive::UnpackIntoUpperdir;
using archive::UnpackRecord;
}  // namespace tardis

#endif  // TARDIS_ARCHIVE_UNPACK_H_
