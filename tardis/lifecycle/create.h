// create: for an opted-in container with a valid image, restore it instead.
//
//   1. enroll it (enroll.h): settings, checkpoint identity, lease, record;
//   2. in shared-filesystem mode, bind-mount its work dir and make it the working
//      directory (for the restore and for a fresh create alike);
//   3. if a valid image of its identity exists: put the saved files into its upperdir,
//      run `runc restore --detach` with create's options, and skip containerd's next
//      start. An upperdir that already holds files (Docker's `docker start` of the same
//      container) has them displaced first (archive/displace.h), with the overlay
//      unmounted (container/rootfs_overlay.h), and dropped once the restore worked.
//      The restored tasks wait, stopped, for containerd's start, which continues them
//      (container/criu_config_hold.h; start.h).
// No image, or any failure: undo exactly what was unpacked and displaced, and let runc
// create the container as if Tardis were not there.
#ifndef TARDIS_LIFECYCLE_CREATE_H_
#define TARDIS_LIFECYCLE_CREATE_H_

#include <limits.h>
#include <sys/statvfs.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>

#include <optional>
#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/archive/displace.h"
#include "tardis/archive/unpack.h"
#include "tardis/container/criu_config_hold.h"
#include "tardis/container/recorded_dir.h"
#include "tardis/container/restore_leftovers.h"
#include "tardis/container/rootfs_overlay.h"
#include "tardis/container/spec_edit.h"
#include "tardis/image/image_key.h"
#include "tardis/image/image_store.h"
#include "tardis/image/validity.h"
#include "tardis/lifecycle/enroll.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/runc/restore_argv.h"
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

// The saved files in the upperdir, and how to take them out again.
class PlacedFiles {
 public:
  PlacedFiles(container::OverlayMount overlay, UnpackRecord unpacked, std::optional<std::string> displaced)
      : overlay_(std::move(overlay)), unpacked_(std::move(unpacked)), displaced_(std::move(displaced)) {}

  // Unpacks into the upperdir of `overlay`: directly into an empty one, which nobody has
  // looked at through the mount; otherwise with the overlay unmounted, after displacing
  // what it holds.
  // With `key`, the archive's SHA-256 is checked as it is read, too.
  static absl::StatusOr<PlacedFiles> Place(const container::OverlayMount& overlay, const std::string& archive,
                                           const Manifest& manifest, const HostConfig& config, const ImageKey& key) {
    const std::string& upperdir = overlay.upperdir;
    // The image is whoever wrote the storage's: what it may cost is bounded before it
    // is written (archive/unpack_budget.h).
    struct statvfs fs;
    const uint64_t free_bytes = ::statvfs(upperdir.c_str(), &fs) == 0
                                    ? static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_frsize)
                                    : UINT64_MAX;
    const archive::UnpackBudget budget = archive::DecideUnpackBudget(
        static_cast<uint64_t>(config.restore_max_bytes), static_cast<uint64_t>(config.restore_max_entries), free_bytes);
    const auto unpack = [&] {
      return UnpackIntoUpperdir(archive, upperdir, manifest.rootfs.xxh3_128, manifest.rootfs.bytes, budget,
                                key.signs() ? manifest.rootfs.sha256 : "");
    };
    if (!UpperdirHasEntries(upperdir)) {
      absl::StatusOr<UnpackRecord> unpacked = unpack();
      if (!unpacked.ok()) return unpacked.status();
      return PlacedFiles(overlay, *std::move(unpacked), std::nullopt);
    }
    absl::StatusOr<UnpackRecord> unpacked = absl::UnknownError("not unpacked");
    std::optional<std::string> displaced;
    absl::Status placed = container::WithOverlayUnmounted(overlay, [&]() -> absl::Status {
      absl::StatusOr<std::string> moved = DisplaceEntries(upperdir);
      if (!moved.ok()) return moved.status();
      displaced = *moved;
      unpacked = unpack();  // undoes itself on failure
      if (unpacked.ok()) return absl::OkStatus();
      if (absl::Status back = PutBackDisplaced(*displaced, upperdir); !back.ok()) {
        return absl::Status(unpacked.status().code(), absl::StrCat(unpacked.status().message(),
                                                                   "; putting the displaced files back: ",
                                                                   back.message()));
      }
      return unpacked.status();
    });
    if (!placed.ok()) return placed;
    return PlacedFiles(overlay, *std::move(unpacked), std::move(displaced));
  }

  bool displaced_any() const { return displaced_.has_value(); }

  // The restore kept them: whatever they displaced goes.
  absl::Status Keep() { return displaced_ ? DropDisplaced(*displaced_) : absl::OkStatus(); }

  // The restore failed after looking through the mount: out with them, unmounted.
  absl::Status TakeOut() {
    return container::WithOverlayUnmounted(overlay_, [&]() -> absl::Status {
      if (absl::Status rolled_back = RollbackUnpack(overlay_.upperdir, unpacked_); !rolled_back.ok()) {
        return rolled_back;
      }
      return displaced_ ? PutBackDisplaced(*displaced_, overlay_.upperdir) : absl::OkStatus();
    });
  }

 private:
  container::OverlayMount overlay_;
  UnpackRecord unpacked_;
  std::optional<std::string> displaced_;
};

// The CRIU configuration that holds the restored tasks stopped until start, named in
// config.json for the restore; Release() puts what runc would have given CRIU back in it.
class RestoreHold {
 public:
  // Unheld (nullopt, with the reason logged) when the spec names its own CRIU
  // configuration or a file cannot be written: the container is then restored running,
  // as before.
  static std::optional<RestoreHold> Set(const Node& node, const std::string& who, const std::string& bundle,
                                        const std::string& config_text, const std::string& work_path) {
    RestoreHold hold(bundle, config_text, absl::StrCat(work_path, "/", kFileName));
    const auto unheld = [&](const absl::Status& why) -> std::optional<RestoreHold> {
      node.log.Warning(who, ": restored running from create, not held until start: ", why.message());
      return std::nullopt;
    };
    absl::StatusOr<std::string> annotated = container::AnnotateCriuConfig(config_text, hold.criu_config_);
    if (!annotated.ok()) return unheld(annotated.status());
    if (Exists(container::kRuncCriuConfigPath)) {
      absl::StatusOr<std::string> runc_conf = ReadSmallFile(container::kRuncCriuConfigPath, kMaxRuncConfBytes);
      if (!runc_conf.ok()) return unheld(runc_conf.status());
      hold.runc_conf_ = *std::move(runc_conf);
    }
    if (absl::Status written = WriteFileAtomically(hold.criu_config_, container::HoldingCriuConfig(hold.runc_conf_),
                                                   0600);
        !written.ok()) {
      return unheld(written);
    }
    if (absl::Status written = WriteFileAtomically(hold.config_json(), *annotated, 0644); !written.ok()) {
      return unheld(written);
    }
    return hold;
  }

  // After the restore, whatever its outcome: later dumps of the container read the same
  // file (runc keeps the annotation), and must not leave their tasks stopped.
  absl::Status Release() { return WriteFileAtomically(criu_config_, runc_conf_, 0600); }

  // A restore that is undone: the container created fresh gets containerd's config.json.
  absl::Status PutBackConfigJson() { return WriteFileAtomically(config_json(), config_text_, 0644); }

 private:
  static constexpr char kFileName[] = "criu.conf";
  static constexpr size_t kMaxRuncConfBytes = 64 * 1024;

  RestoreHold(std::string bundle, std::string config_text, std::string criu_config)
      : bundle_(std::move(bundle)), config_text_(std::move(config_text)), criu_config_(std::move(criu_config)) {}
  std::string config_json() const { return absl::StrCat(bundle_, "/config.json"); }

  std::string bundle_;
  std::string config_text_;  // config.json before the annotation
  std::string criu_config_;
  std::string runc_conf_;    // what runc would have given CRIU
};

}  // namespace create_internal

inline Outcome HandleCreate(const Node& node, const runc::Invocation& call) {
  using namespace create_internal;
  node.clock.Enter("config.json");
  absl::StatusOr<std::string> resolved_bundle = BundleOf(call);
  if (!resolved_bundle.ok()) return Outcome::PassThrough();  // runc will say what is wrong
  const std::string& bundle = *resolved_bundle;
  absl::StatusOr<std::string> config = ReadSmallFile(absl::StrCat(bundle, "/config.json"), kMaxConfigJsonBytes);
  if (!config.ok()) return Outcome::PassThrough();

  // 1. Opted in, and its job's image is this container's to use.
  std::optional<Enrollment> enrolled = EnrollContainer(node, call, bundle, *config);
  if (!enrolled) return Outcome::PassThrough();
  const ContainerRecord& record = enrolled->record;
  const std::string who = absl::StrCat(call.ns, "/", call.id());
  ContainerState state = node.state.For(call.ns, call.id());

  // 2. Shared-filesystem mode: the work dir, mounted, is the working directory.
  std::string config_text = *config;  // config.json as it is now
  if (!record.work_dir.empty()) {
    absl::StatusOr<std::string> edited =
        container::AddWorkdirMount(*config, record.work_dir, enrolled->settings.workdir_container_path);
    absl::Status written = edited.ok() ? WriteFileAtomically(absl::StrCat(bundle, "/config.json"), *edited, 0644)
                                       : edited.status();
    if (!written.ok()) {
      node.log.Error(who, ": work dir not mounted: ", written.message(), "; config.json left unchanged");
    } else {
      config_text = *edited;
      node.log.Info(who, ": work dir ", record.work_dir, " mounted at ", enrolled->settings.workdir_container_path);
    }
  }

  // 3. Restore from a valid image of its identity, if there is one: read through the
  // directories enrollment confined, held open (the storage is others' to change).
  node.clock.Enter("image");
  const container::RecordedDir& image_dir = enrolled->image_dir;
  const std::optional<std::string> found = FindImage(image_dir.path());
  absl::StatusOr<PinnedDirectory> pinned_image =
      found ? PinnedDirectory::Open(*found) : absl::NotFoundError("no image");
  if (!pinned_image.ok()) {
    node.log.Info(who, ": no image in ", record.image_dir, "; creating fresh");
    return Outcome::PassThrough();
  }
  const std::string shown_image = image_dir.Shown(*found);
  const std::string image = pinned_image->path();
  const ImageKey key = LoadImageKey(node.config.image_key_file);
  absl::StatusOr<Manifest> manifest = JudgeImage(ObserveImage(image, key.sha()), call.ns, record.identity, key);
  if (!manifest.ok()) {
    node.log.Warning(who, ": image ", shown_image, " is not valid (", manifest.status().message(),
                     "); creating fresh");
    return Outcome::PassThrough();
  }
  const auto create_fresh = [&](absl::string_view what, const absl::Status& why) {
    node.log.Error(who, ": ", what, ": ", why.message(), "; creating fresh");
    return Outcome::PassThrough();
  };
  node.clock.Enter("upperdir");
  absl::StatusOr<container::OverlayMount> overlay = container::FindRootfsOverlay(record.rootfs);
  if (!overlay.ok()) return create_fresh("finding the upperdir", overlay.status());
  const std::string work_path = state.ScratchDir(container::kRestoreWorkDirName);
  if (absl::Status made = MakeDirectories(work_path, 0700); !made.ok()) return create_fresh("restore work dir", made);
  absl::StatusOr<runc::Invocation> restore = runc::RestoreInsteadOfCreate(
      call, PinnedDirectory::ForChildren(absl::StrCat(image, "/", kCriuDirName)), work_path,
      manifest->restore_options);
  if (!restore.ok()) return create_fresh("restore", restore.status());

  absl::StatusOr<PlacedFiles> placed =
      PlacedFiles::Place(*overlay, absl::StrCat(image, "/", kRootfsArchiveName), *manifest, node.config, key);
  if (!placed.ok()) return create_fresh("unpacking the saved files", placed.status());
  if (placed->displaced_any()) node.log.Info(who, ": the upperdir's files were displaced by the image's");

  std::optional<RestoreHold> hold = RestoreHold::Set(node, who, bundle, config_text, work_path);
  absl::StatusOr<int> code = RunRunc(node, *restore);
  const absl::Status released = hold ? hold->Release() : absl::OkStatus();
  // The restored container runs already (held stopped, or running); containerd's start
  // must not reach runc, which refuses to start a running container (the front-end
  // sends a start without this flag straight to runc), and must continue a held one.
  // Without the flags, or with a CRIU configuration that would leave later dumps'
  // tasks stopped, the restore is undone below and the container created fresh: its
  // image stays for the next time.
  const bool restored = code.ok() && *code == 0;
  node.clock.Enter("skip flag");
  absl::Status skip = restored ? released : absl::OkStatus();
  if (restored && skip.ok() && hold) skip = state.Set(Flag::kContinueAtStart);
  if (restored && skip.ok()) skip = state.Set(Flag::kSkipStart);
  if (restored && skip.ok()) {
    if (absl::Status dropped = placed->Keep(); !dropped.ok()) {
      node.log.Warning(who, ": removing the displaced files: ", dropped.message());
    }
    node.log.Info(who, ": restored from ", shown_image, " (made by ", manifest->ns, "/", manifest->container_id, ")");
    return Outcome::Exit(0);
  }
  // runc may leave a half-made container behind (or a whole one, undone for want of its
  // flag); create needs the name free. A runc that died mid-restore leaves the rootfs
  // bind-mounted in runc's directory of it, which the delete would empty.
  container::DetachRestoreLeftovers(node.log, call, state.ScratchDir(container::kRestoreWorkDirName));
  (void)QueryRunc(node, call, {"delete", "--force", call.id()});
  if (absl::Status rolled_back = placed->TakeOut(); !rolled_back.ok()) {
    node.log.Error(who, ": rolling back the saved files: ", rolled_back.message());
  }
  (void)state.Consume(Flag::kContinueAtStart);
  if (hold) {
    if (absl::Status put_back = hold->PutBackConfigJson(); !put_back.ok()) {
      node.log.Error(who, ": putting config.json back: ", put_back.message());
    }
  }
  if (!skip.ok()) return create_fresh("restored, but its start could not be prepared; undone", skip);
  return create_fresh("runc restore",
                      code.ok() ? absl::InternalError(absl::StrCat("exit status ", *code)) : code.status());
}

}  // namespace tardis

#endif  // TARDIS_LIFECYCLE_CREATE_H_
