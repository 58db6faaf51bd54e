// create: for an opted-in container with a valid image, restore it instead.
//
//   1. read the container's own settings from the bundle's config.json; confine the
//      host paths they name to the allowed roots; remember the container is opted in;
//   2. in shared-filesystem mode, bind-mount its work dir and make it the working
//      directory (for the restore and for a fresh create alike);
//   3. if a valid image exists: unpack its saved files into the new upperdir, then run
//      `runc restore --detach` with create's options, and skip containerd's next start.
// No image, or any failure: undo exactly what was unpacked and let runc create the
// container as if Tardis were not there.
#ifndef TARDIS_LIFECYCLE_CREATE_H_
#define TARDIS_LIFECYCLE_CREATE_H_

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>

#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/archive/unpack.h"
#include "tardis/container/confine.h"
#include "tardis/container/image_location.h"
#include "tardis/container/opt_in.h"
#include "tardis/container/spec_edit.h"
#include "tardis/image/image_store.h"
#include "tardis/image/validity.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/lifecycle/identity.h"
#include "tardis/lifecycle/listener_starter.h"
#include "tardis/lifecycle/unmounted_rollback.h"
#include "tardis/lifecycle/upperdir.h"
#include "tardis/runc/restore_argv.h"
#include "tardis/sys/clock.h"
#include "tardis/sys/files.h"

namespace tardis {

namespace create_internal {

inline constexpr size_t kMaxConfigJsonBytes = 16 << 20;

// runc's bundle (--bundle, or the working directory), resolved: mountinfo shows
// resolved paths, and the record must name the same directory later.
inline absl::StatusOr<std::string> BundleOf(const runc::Invocation& call) {
  const runc::Option* bundle = call.Find("bundle");
  const std::string value = bundle != nullptr && !bundle->value.empty() ? bundle->value : ".";
  char resolved[PATH_MAX];
  if (::realpath(value.c_str(), resolved) == nullptr) return ErrnoStatus(errno, absl::StrCat("bundle ", value));
  return std::string(resolved);
}


}  // namespace create_internal

inline Outcome HandleCreate(const Node& node, const runc::Invocation& call) {
  using namespace create_internal;
  absl::StatusOr<std::string> resolved_bundle = BundleOf(call);
  if (!resolved_bundle.ok()) return Outcome::PassThrough();  // runc will say what is wrong
  const std::string& bundle = *resolved_bundle;
  absl::StatusOr<std::string> config = ReadSmallFile(absl::StrCat(bundle, "/config.json"), kMaxConfigJsonBytes);
  if (!config.ok()) return Outcome::PassThrough();

  absl::StatusOr<container::ContainerSettings> settings = container::ReadContainerSettings(*config);
  if (!settings.ok() || !settings->enabled) {
    if (!settings.ok()) {
      node.log.Error(call.ns, "/", call.id(), ": unreadable settings in config.json (",
                     settings.status().message(), "); not opted in");
    }
    // A container that does not opt in has no state, whatever an earlier container with
    // the same name left.
    if (HasValidIdentity(call)) (void)node.state.For(call.ns, call.id()).Forget();
    return Outcome::PassThrough();
  }
  if (!HasValidIdentity(call)) {
    node.log.Error("create: namespace \"", call.ns, "\" or id \"", call.id(), "\" is not usable in paths; not opted in");
    return Outcome::PassThrough();
  }
  const std::string who = absl::StrCat(call.ns, "/", call.id());
  const auto not_opted_in = [&](absl::string_view what, const absl::Status& why) {
    node.log.Error(who, ": ", what, ": ", why.message(), "; leaving the container alone");
    return Outcome::PassThrough();
  };

  // 1. Where its image (and work dir) may live.
  absl::StatusOr<container::ImageLocation> location =
      container::LocateImage(*settings, call.ns, call.id(), node.config.checkpoint_base);
  if (!location.ok()) return not_opted_in("image location", location.status());
  const std::vector<std::string> roots = node.config.AllowedRoots();
  // The image itself may not exist yet; the directory that will hold it must be inside
  // an allowed root (and is made now, so that a checkpoint can write there).
  absl::StatusOr<std::string> image_parent = container::ConfineToAllowedRoots(
      location->image_dir.substr(0, location->image_dir.rfind('/')), roots, /*create=*/true);
  if (!image_parent.ok()) return not_opted_in("image location", image_parent.status());
  ContainerRecord record{absl::StrCat(*image_parent, "/", call.id()), "", bundle, NowUnixNanos()};
  if (!location->work_dir.empty()) {
    absl::StatusOr<std::string> work_dir =
        container::ConfineToAllowedRoots(location->work_dir, roots, /*create=*/true);
    if (!work_dir.ok()) return not_opted_in("work dir", work_dir.status());
    record.work_dir = *work_dir;
  }
  ContainerState state = node.state.For(call.ns, call.id());
  if (absl::Status recorded = state.Record(record); !recorded.ok()) {
    return not_opted_in("recording the container", recorded);
  }
  EnsureListenerRunning(node);

  // 2. Shared-filesystem mode: the work dir, mounted, is the working directory.
  if (!record.work_dir.empty()) {
    absl::StatusOr<std::string> edited =
        container::AddWorkdirMount(*config, record.work_dir, settings->workdir_container_path);
    absl::Status written = edited.ok() ? WriteFileAtomically(absl::StrCat(bundle, "/config.json"), *edited, 0644)
                                       : edited.status();
    if (!written.ok()) {
      node.log.Error(who, ": work dir not mounted: ", written.message(), "; config.json left unchanged");
    } else {
      node.log.Info(who, ": work dir ", record.work_dir, " mounted at ", settings->workdir_container_path);
    }
  }

  // 3. Restore from a valid image, if there is one.
  const std::optional<std::string> image = FindImage(record.image_dir);
  if (!image) {
    node.log.Info(who, ": no image in ", record.image_dir, "; creating fresh");
    return Outcome::PassThrough();
  }
  absl::StatusOr<Manifest> manifest = JudgeImage(ObserveImage(*image), call.ns, call.id());
  if (!manifest.ok()) {
    node.log.Warning(who, ": image ", *image, " is not valid (", manifest.status().message(), "); creating fresh");
    return Outcome::PassThrough();
  }
  const auto create_fresh = [&](absl::string_view what, const absl::Status& why) {
    node.log.Error(who, ": ", what, ": ", why.message(), "; creating fresh");
    return Outcome::PassThrough();
  };
  absl::StatusOr<std::string> upperdir = UpperdirOfBundle(bundle);
  if (!upperdir.ok()) return create_fresh("finding the upperdir", upperdir.status());
  const std::string work_path = state.ScratchDir("restore-work");
  if (absl::Status made = MakeDirectories(work_path, 0700); !made.ok()) return create_fresh("restore work dir", made);
  absl::StatusOr<runc::Invocation> restore = runc::RestoreInsteadOfCreate(
      call, absl::StrCat(*image, "/", kCriuDirName), work_path, manifest->restore_options);
  if (!restore.ok()) return create_fresh("restore", restore.status());

  absl::StatusOr<UnpackRecord> unpacked =
      UnpackIntoUpperdir(absl::StrCat(*image, "/", kRootfsArchiveName), *upperdir,
                         manifest->rootfs.xxh3_128, manifest->rootfs.bytes);
  if (!unpacked.ok()) return create_fresh("unpacking the saved files", unpacked.status());

  absl::StatusOr<int> code = RunRunc(node, *restore);
  if (code.ok() && *code == 0) {
    if (absl::Status skip = state.Set(Flag::kSkipStart); !skip.ok()) {
      node.log.Error(who, ": restored, but could not remember to skip start: ", skip.message());
    }
    node.log.Info(who, ": restored from ", *image);
    return Outcome::Exit(0);
  }
  // runc may leave a half-made container behind; create needs the name free.
  (void)QueryRunc(node, call, {"delete", "--force", call.id()});
  absl::Status rolled_back = RollBackUnmounted(bundle, *upperdir, *unpacked);
  if (!rolled_back.ok()) node.log.Error(who, ": rolling back the saved files: ", rolled_back.message());
  return create_fresh("runc restore",
                      code.ok() ? absl::InternalError(absl::StrCat("exit status ", *code)) : code.status());
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_CREATE_H_
