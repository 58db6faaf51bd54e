// Test support for the handlers: a node in a temp dir (host config, state store, log,
// checkpoint base), a bundle with a rootfs overlay, valid images made the way a
// checkpoint makes them, and a scripted runc in place of the real one. The handlers run
// unchanged; only real_runc points at the script, which logs every call and answers as
// the test tells it through the environment:
//   FAKE_RUNC_<COMMAND>_EXIT   the exit status of that command (default 0)
//   FAKE_RUNC_STATUS           what `state` reports (default "running")
//   FAKE_RUNC_PID              the init pid `state` reports (default 0: none)
//   FAKE_RUNC_RESTORE_RUNS=CMD a restore runs `sh -c CMD` (to look at what it was given)
//   FAKE_RUNC_RESTORE_CRIU_ROOT=1  a restore leaves the rootfs bind-mounted at
//                              <root>/<id>/criu-root, as a runc killed mid-restore does
//   FAKE_RUNC_RESTORE_HANGS=1, FAKE_RUNC_CHECKPOINT_HANGS=1  that command never ends
//                              (its CRIU died)
//   FAKE_RUNC_RESTORE_RO=DIR   a restore leaves DIR read-only (a bind mount over it)
// A checkpoint writes a dump.log that ends with CRIU's success line into --image-path;
// a delete of a container without <root>/<id>/state.json removes <root>/<id>
// recursively, across mounts, as runc does.
#ifndef TARDIS_LIFECYCLE_HANDLER_FIXTURE_H_
#define TARDIS_LIFECYCLE_HANDLER_FIXTURE_H_

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tardis/archive/pack.h"
#include "tardis/archive/test_files.h"
#include "tardis/archive/test_mounts.h"
#include "tardis/config/host_config.h"
#include "tardis/container/leftover_mounts.h"
#include "tardis/image/image_key.h"
#include "tardis/image/image_store.h"
#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/handler.h"
#include "tardis/log/logger.h"
#include "tardis/runc/classify.h"
#include "tardis/runtime/real_runc.h"
#include "tardis/state/state_store.h"
#include "tardis/sys/clock.h"
#include "tardis/sys/files.h"
#include "tardis/testing/cannot_run_here.h"

namespace tardis::testing {

using archive::testing::OverlayMount;
using archive::testing::ScopedTempDir;

inline constexpr char kFakeRunc[] = R"(#!/bin/sh
echo "$*" >>"$FAKE_RUNC_LOG"
command=
image=
root=
bundle=
for word in "$@"; do
  case $previous in --image-path) image=$word ;; --root) root=$word ;; --bundle) bundle=$word ;; esac
  case $word in
    create|start|delete|restore|checkpoint|pause|resume|state|kill) [ -z "$command" ] && command=$word ;;
  esac
  previous=$word
done
case $command in
  state) printf '{"status": "%s", "pid": %s}\n' "${FAKE_RUNC_STATUS:-running}" "${FAKE_RUNC_PID:-0}" ;;
  checkpoint) [ -n "$FAKE_RUNC_CHECKPOINT_HANGS" ] && exec sleep 1000
              [ -n "$image" ] && mkdir -p "$image" && echo "(00.1) Dumping finished successfully" >"$image/dump.log" ;;
  restore) [ -n "$FAKE_RUNC_RESTORE_RUNS" ] && sh -c "$FAKE_RUNC_RESTORE_RUNS"
           [ -n "$FAKE_RUNC_RESTORE_RO" ] && mount --bind "$FAKE_RUNC_RESTORE_RO" "$FAKE_RUNC_RESTORE_RO" &&
             mount -o remount,bind,ro "$FAKE_RUNC_RESTORE_RO"
           if [ -n "$FAKE_RUNC_RESTORE_CRIU_ROOT" ]; then
             mkdir -p "$root/$word/criu-root" && mount --bind "$bundle/rootfs" "$root/$word/criu-root"
           fi
           [ -n "$FAKE_RUNC_RESTORE_HANGS" ] && exec sleep 1000 ;;
  delete) [ -n "$root" ] && [ ! -e "$root/$word/state.json" ] && rm -rf "${root:?}/$word" ;;
esac
code=$(eval echo "\${FAKE_RUNC_$(echo "$command" | tr a-z A-Z)_EXIT:-0}")
exit "$code"
)";

class HandlerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) TARDIS_CANNOT_RUN_HERE("needs root (overlay mounts)");
    char resolved[PATH_MAX];
    ASSERT_NE(::realpath(dir_.path().c_str(), resolved), nullptr);
    top_ = resolved;
    // "callers" stands for the directory containerd makes for its --image-path.
    for (const char* sub : {"ckpt", "state", "bundle", "bundle/rootfs", "lower", "upper", "work", "runc-root",
                            "callers"}) {
      ASSERT_TRUE(MakeDirectories(Path(sub), 0755).ok()) << sub;
    }
    ASSERT_TRUE(archive::testing::WriteNewFile(Path("lower/image-file"), "from the image\n").ok());
    ASSERT_TRUE(archive::testing::WriteNewFile(Path("fake-runc"), kFakeRunc, 0755).ok());
    config_.real_runc = Path("fake-runc");
    config_.log_file = Path("tardis.log");
    config_.log_level = LogLevel::kDebug;
    config_.state_dir = Path("state");
    config_.checkpoint_base = Path("ckpt");
    config_.tardis_listen = "/nonexistent/tardis-listen";  // no listener in unit tests
    config_.image_key_file = Path("image.key");           // none unless a test writes one
    ::setenv("FAKE_RUNC_LOG", Path("runc-calls").c_str(), 1);
    for (const char* command : {"CREATE", "START", "DELETE", "RESTORE", "CHECKPOINT", "PAUSE", "RESUME", "STATE",
                                "KILL"}) {
      ::unsetenv(absl::StrCat("FAKE_RUNC_", command, "_EXIT").c_str());
    }
    ::unsetenv("FAKE_RUNC_STATUS");
    ::unsetenv("FAKE_RUNC_PID");
    ::unsetenv("FAKE_RUNC_RESTORE_RUNS");
    ::unsetenv("FAKE_RUNC_RESTORE_CRIU_ROOT");
    ::unsetenv("FAKE_RUNC_RESTORE_HANGS");
    ::unsetenv("FAKE_RUNC_RESTORE_RO");
    ::unsetenv("FAKE_RUNC_CHECKPOINT_HANGS");
    absl::StatusOr<RealRunc> runc = RealRunc::Find(config_.real_runc);
    ASSERT_TRUE(runc.ok()) << runc.status();
    runc_ = std::make_unique<RealRunc>(*runc);
    log_ = std::make_unique<Logger>("test", config_.log_file, LogLevel::kDebug);
    state_ = std::make_unique<StateStore>(config_.state_dir);
    node_ = std::make_unique<Node>(Node{config_, *log_, *runc_, *state_, clock_});
  }

  void TearDown() override {
    // What a failing test left mounted (a restore's criu-root, CRIU's cgroup yard),
    // before the rootfs and the temp dir go.
    (void)container::DetachMountsBeneath(Path("runc-root"));
    (void)container::DetachMountsBeneath(Path("state"));
    rootfs_.reset();
  }

  std::string Path(absl::string_view sub) const { return absl::StrCat(top_, "/", sub); }
  std::string Bundle() const { return Path("bundle"); }
  std::string ImageDir(absl::string_view identity, absl::string_view ns = "default") const {
    return Path(absl::StrCat("ckpt/", ns, "/", identity));
  }

  // The bundle's config.json: this env, root.path "rootfs".
  void WriteSpec(const std::vector<std::string>& env) {
    const std::string text =
        nlohmann::json{{"ociVersion", "1.0.2"}, {"root", {{"path", "rootfs"}}}, {"process", {{"env", env}}}}.dump();
    ASSERT_TRUE(WriteFileAtomically(Path("bundle/config.json"), text, 0644).ok());
  }

  void MountRootfs() {
    absl::StatusOr<std::unique_ptr<OverlayMount>> mounted =
        OverlayMount::Mount(Path("lower"), Path("upper"), Path("work"), Path("bundle/rootfs"));
    ASSERT_TRUE(mounted.ok()) << mounted.status();
    rootfs_ = *std::move(mounted);
  }

  // An opted-in container of job `identity`, created fresh (no image yet), rootfs mounted,
  // a file in its upperdir.
  void Enroll(const std::string& id, const std::string& identity, absl::string_view ns = "default") {
    WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=" + identity});
    ASSERT_TRUE(HandleCreate(*node_, CreateCall(id, ns)).pass_through());
    ASSERT_TRUE(state_->For(std::string(ns), id).Recorded()) << LogText();
    if (!rootfs_) MountRootfs();
    ASSERT_TRUE(archive::testing::WriteNewFile(Path("upper/count"), "42\n").ok() ||
                archive::testing::AppendToFile(Path("upper/count"), "").ok());
  }

  // A valid image of `identity`, made as a checkpoint makes one, holding `files`
  // (name -> content) as the saved upperdir; signed when the node has a usable key.
  void MakeImage(absl::string_view identity, const std::vector<std::pair<std::string, std::string>>& files) {
    const std::string source = Path(absl::StrCat("saved-", identity));
    ASSERT_TRUE(RemoveTree(source).ok());  // an earlier image's
    ASSERT_TRUE(MakeDirectories(source, 0755).ok());
    for (const auto& [name, content] : files) {
      ASSERT_TRUE(archive::testing::WriteNewFile(absl::StrCat(source, "/", name), content).ok());
    }
    absl::StatusOr<std::string> staging = CreateStaging(ImageDir(identity));
    ASSERT_TRUE(staging.ok()) << staging.status();
    const ImageKey key = LoadImageKey(config_.image_key_file);
    const StreamHash::Sha sha = key.sha();
    absl::StatusOr<PackResult> packed = PackUpperdir(source, absl::StrCat(*staging, "/", kRootfsArchiveName), sha);
    ASSERT_TRUE(packed.ok()) << packed.status();
    ASSERT_TRUE(archive::testing::WriteNewFile(absl::StrCat(*staging, "/criu/dump.log"),
                                               "(00.1) Dumping finished successfully\n")
                    .ok());
    absl::StatusOr<std::vector<ImageFile>> criu = SealCriuFiles(*staging, sha);
    ASSERT_TRUE(criu.ok()) << criu.status();
    Manifest manifest;
    manifest.ns = "default";
    manifest.identity = std::string(identity);
    manifest.container_id = "earlier";
    manifest.created_unix_nanos = NowUnixNanos();
    manifest.rootfs = ImageFile{kRootfsArchiveName, packed->bytes, packed->xxh3_128_hex, packed->sha256_hex};
    manifest.criu = *criu;
    if (key.signs()) manifest.mac = ManifestMac(manifest, key.bytes);
    ASSERT_TRUE(WriteManifest(*staging, manifest).ok());
    ASSERT_TRUE(Publish(*staging, ImageDir(identity)).ok());
  }

  // A call as containerd's shim makes it, in namespace `ns`.
  runc::Invocation Call(std::vector<std::string> command, absl::string_view ns = "default") const {
    std::vector<std::string> argv = {"--root", Path(absl::StrCat("runc-root/", ns)), "--log", Path("runc.log")};
    argv.insert(argv.end(), command.begin(), command.end());
    return runc::Classify(argv);
  }
  runc::Invocation CreateCall(const std::string& id, absl::string_view ns = "default") const {
    return Call({"create", "--bundle", Bundle(), "--pid-file", Path("init.pid"), id}, ns);
  }

  // What the scripted runc was asked, one call a line ("" when nothing).
  std::vector<std::string> RuncCommands() const {
    absl::StatusOr<std::string> text = ReadSmallFile(Path("runc-calls"), 1 << 20);
    std::vector<std::string> commands;
    if (!text.ok()) return commands;
    for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
      const runc::Invocation call = runc::Classify(std::vector<std::string>(absl::StrSplit(line, ' ')));
      commands.push_back(call.command_name);
    }
    return commands;
  }

  std::string LogText() const {
    absl::StatusOr<std::string> text = ReadSmallFile(config_.log_file, 1 << 20);
    return text.ok() ? *text : "";
  }

  ScopedTempDir dir_;
  std::string top_;
  HostConfig config_;
  std::unique_ptr<RealRunc> runc_;
  std::unique_ptr<Logger> log_;
  std::unique_ptr<StateStore> state_;
  CallClock clock_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<OverlayMount> rootfs_;
};

}  // namespace tardis::testing

#endif  // TARDIS_LIFECYCLE_HANDLER_FIXTURE_H_
