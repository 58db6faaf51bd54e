// The lease file of one image (lease.h says what it is for): claimed at create and
// restore, refreshed by tardis-listen, checked before a checkpoint, released at delete.
//
// The moves are the ones that stay atomic on shared filesystems (NFS included):
//   take       link() a finished temp file to the lease name: fails if anyone has one;
//   refresh    rename() a finished temp file over our own lease;
//   take over  rename() the stale lease aside, check it is the one judged stale (not one
//              someone took meanwhile; that one is put back), then take.
// Two nodes taking over the same stale lease at once: one rename moves it, the other
// finds nothing to move and competes in the take, where link() lets exactly one win.
// What remains is a refresh racing a take-over of our own lease judged stale: the
// refresh can overwrite the new holder's lease. It needs a node that stopped refreshing
// for longer than the staleness bound and then resumed; the next create or checkpoint of
// the other container sees the lease is not its own.
//
// Nothing is flushed to disk (no fsync): a lease matters only while its holder's node
// runs. After a power loss it is gone (the job is free at once: its container died with
// the node), unreadable (stale: taken over) or intact (stale after lease_stale_ms), each
// right. Other nodes see it without a flush: on NFS, close() sends the file to the server
// before link() or rename() publishes it. A flush cost every opted-in create and delete
// up to milliseconds.
#ifndef TARDIS_IMAGE_LEASE_STORE_H_
#define TARDIS_IMAGE_LEASE_STORE_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/image/lease.h"
#include "tardis/sys/errno_status.h"
#include "tardis/sys/files.h"

namespace tardis {

// This node's name in leases: the host name, and the state dir, so that two nodes run
// as private containerd instances on one machine (as the tests do) stay two nodes.
inline std::string LocalNodeName(const std::string& state_dir) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] != '\0' ? host : "unknown-host", ":", state_dir);
}

namespace lease_internal {

// nullopt when there is no lease; a lease that cannot be read parses as an error.
inline std::optional<absl::StatusOr<Lease>> ReadLease(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return absl::StatusOr<Lease>(ErrnoStatus(errno, absl::StrCat("open ", path)));
  }
  std::string text;
  const absl::Status read = ReadInChunks(fd, kMaxLeaseBytes + 1, path, [&](absl::string_view chunk) {
    text.append(chunk.data(), chunk.size());
    return text.size() > kMaxLeaseBytes ? absl::OutOfRangeError("lease is too large") : absl::OkStatus();
  });
  ::close(fd);
  if (!read.ok()) return absl::StatusOr<Lease>(read);
  return ParseLease(text);
}

inline std::string UniqueSibling(const std::string& path, absl::string_view what) {
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return absl::StrCat(path, ".", what, ".", ::getpid(), ".", now.tv_sec * 1000000000LL + now.tv_nsec);
}

// A finished (written and closed) file holding `lease`, beside `path`.
inline absl::StatusOr<std::string> WriteTemp(const std::string& path, const Lease& lease) {
  const std::string temp = UniqueSibling(path, "new");
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", temp));
  absl::Status status = WriteAll(fd, SerializeLease(lease), temp);
  if (::close(fd) != 0 && status.ok()) status = ErrnoStatus(errno, absl::StrCat("close ", temp));
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return temp;
}

// link() the temp file in; false when someone else's lease is there.
inline absl::StatusOr<bool> Take(const std::string& path, const Lease& lease) {
  absl::StatusOr<std::string> temp = WriteTemp(path, lease);
  if (!temp.ok()) return temp.status();
  const int linked = ::link(temp->c_str(), path.c_str());
  const int error = errno;
  ::unlink(temp->c_str());
  if (linked != 0) {
    if (error == EEXIST) return false;
    return ErrnoStatus(error, absl::StrCat("link ", path));
  }
  return true;
}

inline absl::Status Replace(const std::string& path, const Lease& lease) {
  absl::StatusOr<std::string> temp = WriteTemp(path, lease);
  if (!temp.ok()) return temp.status();
  if (::rename(temp->c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp->c_str());
    return ErrnoStatus(error, absl::StrCat("rename to ", path));
  }
  return absl::OkStatus();
}

// Moves the lease judged stale aside; true when what moved was that very lease.
inline bool MoveAsideIfUnchanged(const std::string& path, const std::optional<absl::StatusOr<Lease>>& judged) {
  const std::string aside = UniqueSibling(path, "stale");
  if (::rename(path.c_str(), aside.c_str()) != 0) return false;  // gone already: go take it
  const std::optional<absl::StatusOr<Lease>> moved = ReadLease(aside);
  const bool same = moved && judged && moved->ok() == judged->ok() && (!moved->ok() || **moved == **judged);
  // Someone's fresh lease goes back; if someone took the name meanwhile, theirs stands.
  if (!same) (void)!::link(aside.c_str(), path.c_str());
  ::unlink(aside.c_str());
  return same;
}

}  // namespace lease_internal

// Claims the lease at `path` for `me`. The decision says whether this container may use
// the image (kTake, kOurs, kTakeOver: it now holds the lease) or not (kHeldByOther).
inline absl::StatusOr<ClaimDecision> ClaimLease(const std::string& path, const LeaseHolder& me,
                                                int64_t now_unix_nanos, int64_t stale_nanos) {
  using namespace lease_internal;
  const Lease mine{me, now_unix_nanos};
  // Each round either ends or saw someone else change the lease; a few are plenty.
  for (int round = 0; round < 4; ++round) {
    const std::optional<absl::StatusOr<Lease>> existing = ReadLease(path);
    ClaimDecision decision = DecideClaim(existing, me, now_unix_nanos, stale_nanos);
    switch (decision.verdict) {
      case ClaimVerdict::kHeldByOther:
        return decision;
      case ClaimVerdict::kOurs:
        if (absl::Status refreshed = Replace(path, mine); !refreshed.ok()) return refreshed;
        return decision;
      case ClaimVerdict::kTakeOver:
        if (!MoveAsideIfUnchanged(path, existing)) continue;
        [[fallthrough]];
      case ClaimVerdict::kTake: {
        absl::StatusOr<bool> taken = Take(path, mine);
        if (!taken.ok()) return taken.status();
        if (*taken) return decision;
        continue;  // someone took it first: judge their lease
      }
    }
  }
  return absl::AbortedError(absl::StrCat("the lease ", path, " kept changing under us"));
}

// Refreshes our own lease. FailedPrecondition when it is not ours any more (someone took
// it over): the caller must stop using the image.
inline absl::Status RefreshLease(const std::string& path, const LeaseHolder& me, int64_t now_unix_nanos) {
  using namespace lease_internal;
  const std::optional<absl::StatusOr<Lease>> existing = ReadLease(path);
  if (!existing) {
    absl::StatusOr<bool> taken = Take(path, Lease{me, now_unix_nanos});
    if (!taken.ok()) return taken.status();
    if (*taken) return absl::OkStatus();
    return absl::FailedPreconditionError("the lease was taken by someone else");
  }
  if (!existing->ok() || (*existing)->holder != me) {
    return absl::FailedPreconditionError(
        existing->ok() ? absl::StrCat("the lease is held by ", DescribeHolder((*existing)->holder))
                       : absl::StrCat("the lease is unreadable: ", existing->status().message()));
  }
  return Replace(path, Lease{me, now_unix_nanos});
}

// Whether `me` holds the lease now (the check before writing a checkpoint).
inline absl::Status CheckLeaseHeld(const std::string& path, const LeaseHolder& me) {
  const std::optional<absl::StatusOr<Lease>> existing = lease_internal::ReadLease(path);
  if (!existing) return absl::FailedPreconditionError("nobody holds the lease");
  if (!existing->ok()) return absl::FailedPreconditionError(existing->status().message());
  if ((*existing)->holder != me) {
    return absl::FailedPreconditionError(absl::StrCat("the lease is held by ", DescribeHolder((*existing)->holder)));
  }
  return absl::OkStatus();
}

// Gives the lease up, if it is ours (moved aside and checked, like a take-over, so that a
// lease someone took meanwhile stays).
inline void ReleaseLease(const std::string& path, const LeaseHolder& me) {
  const std::optional<absl::StatusOr<Lease>> existing = lease_internal::ReadLease(path);
  if (!existing || !existing->ok() || (*existing)->holder != me) return;
  (void)lease_internal::MoveAsideIfUnchanged(path, existing);
}

}  // namespace tardis

#endif  // TARDIS_IMAGE_LEASE_STORE_H_
