// The per-container state shared by concurrent runc calls and the listener, under
// `<state_dir>/containers/<namespace>/<id>/`:
//   record.json   the container is opted in, and where its image lives (create)
//   skip-start    the next start must not call runc (a restore already started it)
//   skip-resume   the next resume must not call runc (the checkpoint stopped it)
//   exit.json     its own process's exit code (tardis-listen)
//
// Every change is one atomic filesystem operation, so concurrent callers and crashes
// at any moment leave a readable state: flags are created with O_EXCL and consumed by
// unlink (only one caller can succeed); records are replaced by rename; a container is
// forgotten by renaming its directory away before deleting it. The listener writes into
// an existing directory only, so an exit arriving after `delete` cannot resurrect it.
//
// Nothing here is flushed to disk (Durability::kProcessCrash): the state describes the
// node's running containers, and a power loss ends them all (state_dir is /run/tardis,
// a tmpfs, by default). A crash of tardis-runc or tardis-listen keeps every change made,
// in the page cache. Each flush cost every opted-in create and delete up to milliseconds.
#ifndef TARDIS_STATE_STATE_STORE_H_
#define TARDIS_STATE_STATE_STORE_H_

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <absl/functional/function_ref.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <nlohmann/json.hpp>

#include "tardis/sys/remove_tree.h"
#include "tardis/container/leftover_mounts.h"
#include "tardis/state/checkpoint_stats.h"
#include "tardis/state/container_record.h"
#include "tardis/state/pause_journal.h"
#include "tardis/sys/directory_entries.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"
#include "tardis/sys/pinned_directory.h"

namespace tardis {

// kSkipStart, kSkipResume: what create and checkpoint left for containerd's next call.
// kPausedByTardis: a checkpoint froze the container itself and has not thawed it yet; set
// before the pause, so that a checkpoint that dies leaves it for the next one to undo.
// kContinueAtStart: create restored the container held stopped (criu_config_hold.h);
// start continues it.
enum class Flag { kSkipStart, kSkipResume, kPausedByTardis, kContinueAtStart };

inline constexpr size_t kMaxStateFileBytes = 64 * 1024;

// Whether the directory at `path` has a subdirectory (or cannot be listed: then it may).
inline bool HoldsDirectory(const std::string& path) {
  const absl::StatusOr<bool> holds =
      AnyDirectoryEntry(path, [](const DirectoryEntry& entry) { return entry.IsDirectory(); });
  return !holds.ok() || *holds;
}

// One container's state. Namespace and id must already be validated identifiers.
class ContainerState {
 public:
  static constexpr Durability kDurability = Durability::kProcessCrash;

  ContainerState(std::string containers_dir, std::string ns, std::string id)
      : containers_dir_(std::move(containers_dir)),
        dir_(absl::StrCat(containers_dir_, "/", ns, "/", id)),
        ns_(std::move(ns)),
        id_(std::move(id)) {}

  const std::string& dir() const { return dir_; }

  // Starts the container's state afresh (whatever an earlier container with the same id
  // left behind is dropped) and records that it is opted in.
  absl::Status Record(const ContainerRecord& record) {
    if (absl::Status forgot = Forget(); !forgot.ok()) return forgot;
    if (absl::Status made = MakeDirectories(dir_, 0700); !made.ok()) return made;
    return WriteFileAtomically(Path("record.json"), SerializeContainerRecord(record), 0600, kDurability);
  }

  // The record, or nullopt when the container is not opted in (or its record is
  // unreadable, which is treated the same way: Tardis then leaves it alone).
  std::optional<ContainerRecord> Recorded() const { return ReadParsed("record.json", ParseContainerRecord); }

  absl::Status Set(Flag flag) {
    const std::string path = Path(FlagName(flag));
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno != EEXIST) return ErrnoStatus(errno, absl::StrCat("create ", path));
    if (fd >= 0) ::close(fd);
    return absl::OkStatus();
  }

  // True exactly once per Set(): whoever removes the flag owns it.
  bool Consume(Flag flag) {
    const std::string path = Path(FlagName(flag));
    return ::unlink(path.c_str()) == 0;
  }

  // Writes the exit into the container whose record `applies` accepts; NotFound when
  // it is not opted in. The record is read and the exit written through one open
  // descriptor of the container's directory: a delete and re-create of the same id in
  // between (which renames that directory away and removes it) leaves the new
  // container without the old one's exit: the write finds no directory (NotFound).
  absl::Status RecordExit(const ExitRecord& exit,
                          absl::FunctionRef<absl::Status(const ContainerRecord&)> applies) {
    absl::StatusOr<PinnedDirectory> incarnation = PinnedDirectory::Open(dir_);
    if (!incarnation.ok()) return NotOptedIn();
    absl::StatusOr<std::string> text =
        ReadSmallFile(absl::StrCat(incarnation->path(), "/record.json"), kMaxStateFileBytes);
    if (!text.ok()) return NotOptedIn();
    absl::StatusOr<ContainerRecord> record = ParseContainerRecord(*text);
    if (!record.ok()) return NotOptedIn();
    if (absl::Status accepted = applies(*record); !accepted.ok()) return accepted;
    return WriteFileAtomically(absl::StrCat(incarnation->path(), "/exit.json"), SerializeExitRecord(exit), 0600,
                               kDurability);
  }

  std::optional<ExitRecord> Exit() const { return ReadParsed("exit.json", ParseExitRecord); }

  // Tardis's own pause of the container, journaled before it is made: the runc argv
  // (without the program) that thaws it, for whoever finds the journal of a checkpoint
  // that died (the next checkpoint, or tardis-listen), and, once runc's checkpoint is
  // started, that runc (pid and start time): while it lives, CRIU is at work and a thaw
  // would be undone by it. Cleared with Consume().
  absl::Status JournalPause(const PauseJournal& journal) {
    return WriteFileAtomically(Path(FlagName(Flag::kPausedByTardis)), SerializePauseJournal(journal), 0600,
                               kDurability);
  }

  // The journal, if a pause is journaled and reads as one whose thaw is `... resume
  // <this container's id>`.
  std::optional<PauseJournal> JournaledPause() const {
    absl::StatusOr<std::string> text = ReadSmallFile(Path(FlagName(Flag::kPausedByTardis)), kMaxStateFileBytes);
    if (!text.ok()) return std::nullopt;
    std::optional<PauseJournal> journal = ParsePauseJournal(*text);
    if (!journal || journal->thaw.size() < 2 || journal->thaw[journal->thaw.size() - 2] != "resume" ||
        journal->thaw.back() != id_) {
      return std::nullopt;
    }
    return journal;
  }

  // What the last checkpoint cost (checkpoint_stats.h); one file, replaced each time.
  absl::Status RecordCheckpointStats(const CheckpointStats& stats) {
    return WriteFileAtomically(Path("last-checkpoint.json"), SerializeCheckpointStats(stats), 0600, kDurability);
  }

  std::optional<CheckpointStats> LastCheckpointStats() const {
    return ReadParsed("last-checkpoint.json", ParseCheckpointStats);
  }

  absl::Status ForgetExit() {
    if (::unlink(Path("exit.json").c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("remove ", Path("exit.json")));
    }
    return absl::OkStatus();
  }

  // Drops everything remembered about the container. The directory disappears in one
  // rename; deleting what it held comes after.
  absl::Status Forget() {
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const std::string doomed = absl::StrCat(containers_dir_, "/.forgotten.", ns_, ".", id_, ".",
                                            ::getpid(), ".", now.tv_sec, now.tv_nsec);
    if (::rename(dir_.c_str(), doomed.c_str()) != 0) {
      if (errno == ENOENT) return absl::OkStatus();
      return ErrnoStatus(errno, absl::StrCat("forget ", dir_));
    }
    // A restore killed mid-way leaves CRIU's cgroup yard mounted in its work dir: a
    // tree with a mount in it cannot be removed. Only scratch directories can hold one,
    // and most containers have none: the mount table (long on a busy node) is read
    // only when there is a directory to look beneath.
    if (HoldsDirectory(doomed)) (void)container::DetachMountsBeneath(doomed);
    return RemoveTree(doomed);
  }

  // Held (an exclusive flock on <dir>/checkpoint.lock) by the checkpoint at work on this
  // container, released when its process ends however it ends: who gets it knows no
  // other checkpoint of the container is running. -1 and an error when it cannot be had.
  // With `wait` false, a checkpoint at work means Unavailable at once.
  absl::StatusOr<int> LockForCheckpoint(bool wait = true) const {
    return LockFile("checkpoint.lock", wait ? -1 : 0, "a checkpoint of the container is at work");
  }

  // Held (<dir>/periodic.lock) by tardis-listen across a periodic checkpoint's whole ctr
  // call, containerd's pause and resume around the handler included, and taken by a
  // final checkpoint before its checkpoint lock: containerd's resume of a periodic
  // checkpoint comes after that handler let go of the checkpoint lock, and must not thaw
  // the container under a final checkpoint. Waits up to `wait_ms` (0: not at all); then
  // Unavailable.
  absl::StatusOr<int> LockAgainstPeriodic(int64_t wait_ms) const {
    return LockFile("periodic.lock", wait_ms, "a periodic checkpoint of the container is in flight");
  }

  // A scratch directory of this container's own (restore logs).
  std::string ScratchDir(absl::string_view name) const { return Path(name); }

 private:
  // One of the container's files, parsed: nullopt when it is missing or unreadable as
  // what it should be (a half-written or foreign file reads as nothing).
  template <typename Parse>
  auto ReadParsed(absl::string_view name, Parse parse) const
      -> std::optional<typename decltype(parse(absl::string_view()))::value_type> {
    absl::StatusOr<std::string> text = ReadSmallFile(Path(name), kMaxStateFileBytes);
    if (!text.ok()) return std::nullopt;
    auto parsed = parse(*text);
    if (!parsed.ok()) return std::nullopt;
    return *std::move(parsed);
  }

  static absl::string_view FlagName(Flag flag) {
    switch (flag) {
      case Flag::kSkipStart:
        return "skip-start";
      case Flag::kSkipResume:
        return "skip-resume";
      case Flag::kPausedByTardis:
        return "paused-by-tardis";
      case Flag::kContinueAtStart:
        return "continue-at-start";
    }
    return "unknown-flag";
  }
  // An exclusive flock on <dir>/<name>, as an open descriptor (closing it lets go):
  // waiting for ever (wait_ms < 0), not at all (0), or up to wait_ms.
  absl::StatusOr<int> LockFile(absl::string_view name, int64_t wait_ms, absl::string_view busy) const {
    const std::string path = Path(name);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t deadline_ms = now.tv_sec * 1000 + now.tv_nsec / 1000000 + std::max<int64_t>(wait_ms, 0);
    while (::flock(fd, wait_ms < 0 ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::clock_gettime(CLOCK_MONOTONIC, &now);
      if (error == EWOULDBLOCK && now.tv_sec * 1000 + now.tv_nsec / 1000000 < deadline_ms) {
        ::usleep(10000);
        continue;
      }
      ::close(fd);
      if (error == EWOULDBLOCK) return absl::UnavailableError(std::string(busy));
      return ErrnoStatus(error, absl::StrCat("lock ", path));
    }
    return fd;
  }
  absl::Status NotOptedIn() const {
    return absl::NotFoundError(absl::StrCat(ns_, "/", id_, " is not an opted-in container"));
  }
  std::string Path(absl::string_view name) const { return absl::StrCat(dir_, "/", name); }

  std::string containers_dir_;
  std::string dir_;
  std::string ns_;
  std::string id_;
};

class StateStore {
 public:
  explicit StateStore(std::string state_dir) : state_dir_(std::move(state_dir)) {}

  const std::string& state_dir() const { return state_dir_; }
  std::string containers_dir() const { return absl::StrCat(state_dir_, "/containers"); }

  ContainerState For(const std::string& ns, const std::string& id) const {
    return ContainerState(containers_dir(), ns, id);
  }

 private:
  std::string state_dir_;
};

}  // namespace tardis

#endif  // TARDIS_STATE_STATE_STORE_H_
