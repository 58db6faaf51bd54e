// EnrollContainer(): the first step of create (and of a restore someone else started,
// such as Docker's `docker start --checkpoint`): decide whether the container is opted
// in, and if so remember it.
//
//   1. read its own settings from the bundle's config.json;
//   2. name its job (container/checkpoint_identity.h) and where the job's image lives,
//      confined to the allowed roots;
//   3. claim the identity's lease (image/lease.h): one live container per job. A
//      container that cannot claim it runs as if it had not opted in, and one ERROR line
//      names the holder;
//   4. decide how often it is checkpointed while it runs (periodic/interval.h);
//   5. record it in the state store, and make sure a listener records its exit (and
//      takes its periodic checkpoints).
// Anything wrong is logged and the container is left alone (nothing recorded).
#ifndef TARDIS_LIFECYCLE_ENROLL_H_
#define TARDIS_LIFECYCLE_ENROLL_H_

#include <limits.h>
#include <stdlib.h>

#include <optional>
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/container/checkpoint_identity.h"
#include "tardis/container/confine.h"
#include "tardis/container/image_location.h"
#include "tardis/container/mountinfo.h"
#include "tardis/container/opt_in.h"
#include "tardis/container/recorded_dir.h"
#include "tardis/image/image_store.h"
#include "tardis/image/lease_store.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/identity.h"
#include "tardis/periodic/interval.h"
#include "tardis/runtime/listener_starter.h"
#include "tardis/sys/clock.h"

namespace tardis {

struct Enrollment {
  container::ContainerSettings settings;
  ContainerRecord record;
  // record.image_dir, through the parent directory just confined (container/
  // recorded_dir.h): a restore reads the image from there.
  container::RecordedDir image_dir;
};

// `bundle`: resolved; `config_json`: its config.json's text.
inline std::optional<Enrollment> EnrollContainer(const Node& node, const runc::Invocation& call,
                                                 const std::string& bundle, absl::string_view config_json) {
  node.clock.Enter("settings");
  absl::StatusOr<container::ContainerSettings> settings = container::ReadContainerSettings(config_json);
  const bool valid_identity = HasValidIdentity(call);
  // Whatever an earlier container with the same name left is not this one's.
  const auto forget = [&] {
    if (valid_identity) (void)node.state.For(call.ns, call.id()).Forget();
    return std::nullopt;
  };
  if (!settings.ok()) {
    node.log.Error(call.ns, "/", call.id(), ": unreadable settings in config.json (", settings.status().message(),
                   "); not opted in");
    return forget();
  }
  if (!settings->enabled) return forget();
  if (!valid_identity) {
    node.log.Error(call.command_name, ": namespace \"", call.ns, "\" or id \"", call.id(),
                   "\" is not usable in paths; not opted in");
    return std::nullopt;
  }
  const std::string who = absl::StrCat(call.ns, "/", call.id());
  const auto not_opted_in = [&](absl::string_view what, const absl::Status& why) {
    node.log.Error(who, ": ", what, ": ", why.message(), "; leaving the container alone");
    return forget();
  };

  absl::StatusOr<container::CheckpointIdentity> identity =
      container::DecideCheckpointIdentity(settings->checkpoint_id, settings->kubernetes, call.id());
  if (!identity.ok()) return not_opted_in("checkpoint identity", identity.status());
  absl::StatusOr<container::ImageLocation> location =
      container::LocateImage(*settings, call.ns, identity->name, node.config.checkpoint_base);
  if (!location.ok()) return not_opted_in("image location", location.status());
  const std::vector<std::string> roots = node.config.AllowedRoots();
  // The image itself may not exist yet; the directory that will hold it must be inside
  // an allowed root (and is made now, so that a checkpoint can write there).
  absl::StatusOr<container::ConfinedDirectory> image_parent = container::OpenConfined(
      location->image_dir.substr(0, location->image_dir.rfind('/')), roots, /*create=*/true);
  if (!image_parent.ok()) return not_opted_in("image location", image_parent.status());
  absl::StatusOr<std::string> rootfs = container::RootfsMountPoint(bundle, settings->root_path);
  if (!rootfs.ok()) return not_opted_in("rootfs", rootfs.status());
  // mountinfo shows resolved mount points (Docker's data-root may be behind a symlink).
  if (char resolved[PATH_MAX]; ::realpath(rootfs->c_str(), resolved) != nullptr) *rootfs = resolved;
  ContainerRecord record{absl::StrCat(image_parent->real, "/", identity->name), "", bundle, NowUnixNanos(),
                         identity->name, *rootfs};
  if (!location->work_dir.empty()) {
    absl::StatusOr<std::string> work_dir =
        container::ConfineToAllowedRoots(location->work_dir, roots, /*create=*/true);
    if (!work_dir.ok()) return not_opted_in("work dir", work_dir.status());
    record.work_dir = *work_dir;
  }
  const periodic::IntervalDecision interval = periodic::DecideInterval(
      {settings->checkpoint_interval, node.config.checkpoint_interval_default_ms,
       node.config.checkpoint_interval_min_ms, settings->mode == container::StorageMode::kNetworkFs});
  if (!interval.note.empty()) node.log.Warning(who, ": ", interval.note);
  record.checkpoint_interval_ms = interval.interval_ms;

  node.clock.Enter("lease");
  absl::StatusOr<ClaimDecision> claim = ClaimLease(ImagePaths::Of(record.image_dir).lease(), ThisContainer(node, call),
                                                   record.created_unix_nanos,
                                                   static_cast<int64_t>(node.config.lease_stale_ms) * 1000000);
  if (!claim.ok()) return not_opted_in("claiming the checkpoint identity's lease", claim.status());
  if (claim->verdict == ClaimVerdict::kHeldByOther) {
    node.log.Error(who, ": checkpoint identity ", call.ns, "/", identity->name, " is ", claim->why,
                   "; running without Tardis");
    return forget();
  }
  if (claim->verdict == ClaimVerdict::kTakeOver) node.log.Warning(who, ": took over ", claim->why);

  node.clock.Enter("record");
  ContainerState state = node.state.For(call.ns, call.id());
  if (absl::Status recorded = state.Record(record); !recorded.ok()) {
    ReleaseLease(ImagePaths::Of(record.image_dir).lease(), ThisContainer(node, call));
    return not_opted_in("recording the container", recorded);
  }
  node.log.Info(who, ": opted in as ", call.ns, "/", identity->name, " (",
                container::IdentitySourceName(identity->source), ")",
                record.checkpoint_interval_ms > 0
                    ? absl::StrCat(", checkpointed every ", record.checkpoint_interval_ms, " ms")
                    : "");
  node.clock.Enter("listener");
  EnsureListenerRunning(node.config, node.log);
  return Enrollment{*std::move(settings), std::move(record),
                    container::RecordedDir(*std::move(image_parent), identity->name)};
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_ENROLL_H_
