// Authenticated images (image/authenticity.h) through the handlers: with the nodes' key,
// a checkpoint signs its image and a restore takes only an image whose signature
// verifies; anything else creates the container fresh, saying why.
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_replace.h>
#include <gtest/gtest.h>

#include "tardis/image/authenticity.h"
#include "tardis/lifecycle/checkpoint.h"
#include "tardis/lifecycle/create.h"
#include "tardis/lifecycle/handler_fixture.h"

namespace tardis {
namespace {

using testing::HandlerFixture;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef";
constexpr char kOtherKey[] = "fedcba9876543210fedcba9876543210";

class SignedImageTest : public HandlerFixture {
 protected:
  // The node's key file: `content` with `mode`; nullptr removes it.
  void SetKey(const char* content, mode_t mode = 0600) {
    ::unlink(config_.image_key_file.c_str());
    if (content == nullptr) return;
    ASSERT_TRUE(WriteFileAtomically(config_.image_key_file, content, mode).ok());
    ASSERT_EQ(::chmod(config_.image_key_file.c_str(), mode), 0);
  }
  std::string ManifestPath() const { return absl::StrCat(ImageDir("job1"), "/", kManifestName); }
  Manifest ReadManifest() const {
    absl::StatusOr<std::string> text = ReadSmallFile(ManifestPath(), 1 << 20);
    EXPECT_TRUE(text.ok());
    absl::StatusOr<Manifest> manifest = ParseManifest(text.ok() ? *text : "");
    EXPECT_TRUE(manifest.ok()) << manifest.status();
    return manifest.ok() ? *manifest : Manifest{};
  }
  void RewriteManifest(const Manifest& manifest) {
    ASSERT_TRUE(WriteFileAtomically(ManifestPath(), SerializeManifest(manifest), 0600).ok());
  }
};

TEST_F(SignedImageTest, ACheckpointWithAKeySignsEveryFile) {
  SetKey(kKey);
  WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
  ASSERT_TRUE(HandleCreate(*node_, CreateCall("c1")).pass_through());
  MountRootfs();
  ASSERT_TRUE(archive::testing::WriteNewFile(Path("upper/count"), "42\n").ok());
  ::setenv("FAKE_RUNC_STATUS", "paused", 1);
  const Outcome outcome = HandleCheckpoint(
      *node_, Call({"checkpoint", "--image-path", Path("callers"), "--leave-running", "c1"}));
  ::unsetenv("FAKE_RUNC_STATUS");
  ASSERT_EQ(outcome.exit_code(), 0) << LogText();
  const Manifest manifest = ReadManifest();
  EXPECT_TRUE(IsSha256Hex(manifest.mac));
  EXPECT_TRUE(IsSha256Hex(manifest.rootfs.sha256));
  ASSERT_FALSE(manifest.criu.empty());
  for (const ImageFile& file : manifest.criu) EXPECT_TRUE(IsSha256Hex(file.sha256)) << file.path;
  EXPECT_TRUE(CheckAuthentic(manifest, LoadImageKey(config_.image_key_file)).ok());
  EXPECT_FALSE(CheckAuthentic(manifest, ImageKey{ImageKey::State::kUsable, kOtherKey, ""}).ok());
}

// Every combination of how the image was made (or forged) and the key at restore.
TEST_F(SignedImageTest, ARestoreTakesOnlyWhatItsKeyVerifies) {
  struct Case {
    const char* what;
    const char* key_when_made;  // nullptr: no key, the image is unsigned
    std::function<void()> forge;
    const char* key_at_restore;
    mode_t key_mode;
    const char* refused;  // the log's reason, or nullptr when restored
  };
  const std::function<void()> none = [] {};
  const Case cases[] = {
      {"signed, same key", kKey, none, kKey, 0600, nullptr},
      {"signed, no key here: checked as before", kKey, none, nullptr, 0600, nullptr},
      {"unsigned, no key", nullptr, none, nullptr, 0600, nullptr},
      {"unsigned, a key here", nullptr, none, kKey, 0600, "the image is not signed, and this node has a key"},
      {"signed with another key", kOtherKey, none, kKey, 0600, "its MAC does not verify"},
      {"a field changed after signing", kKey,
       [this] {
         Manifest m = ReadManifest();
         m.restore_options.push_back("--tcp-established");
         RewriteManifest(m);
       },
       kKey, 0600, "its MAC does not verify"},
      {"the archive replaced and every digest recomputed, the MAC kept", kKey,
       [this] {
         Manifest m = ReadManifest();
         const std::string archive = absl::StrCat(ImageDir("job1"), "/", kRootfsArchiveName);
         ASSERT_TRUE(archive::testing::AppendToFile(archive, std::string(512, '\0')).ok());
         absl::StatusOr<FileDigest> digest = DigestFile(archive, false, StreamHash::Sha::kAlso);
         ASSERT_TRUE(digest.ok());
         m.rootfs = ImageFile{kRootfsArchiveName, digest->bytes, digest->xxh3_128, digest->sha256};
         RewriteManifest(m);
       },
       kKey, 0600, "its MAC does not verify"},
      {"the signature stripped", kKey,
       [this] {
         Manifest m = ReadManifest();
         m.mac.clear();
         RewriteManifest(m);
       },
       kKey, 0600, "the image is not signed"},
      {"a key file others may read", kKey, none, kKey, 0644, "the image key cannot be used"},
      {"a key too short", kKey, none, "short", 0600, "the image key cannot be used"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string id = absl::StrCat("c", ++n);
    (void)::unlink(ImagePaths::Of(ImageDir("job1")).lease().c_str());  // the last case's container let go
    SetKey(c.key_when_made);
    MakeImage("job1", {{"count", "17\n"}});
    c.forge();
    SetKey(c.key_at_restore, c.key_mode);
    WriteSpec({"TARDIS_ENABLE=1", "TARDIS_CHECKPOINT_ID=job1"});
    if (!rootfs_) MountRootfs();
    const size_t log_before = LogText().size();
    const Outcome outcome = HandleCreate(*node_, CreateCall(id));
    const std::string log = LogText().substr(log_before);
    if (c.refused == nullptr) {
      EXPECT_FALSE(outcome.pass_through()) << log;
      EXPECT_TRUE(absl::StrContains(log, "restored from")) << log;
    } else {
      EXPECT_TRUE(outcome.pass_through()) << log;
      EXPECT_TRUE(absl::StrContains(log, c.refused)) << log;
      EXPECT_TRUE(absl::StrContains(log, "creating fresh")) << log;
    }
  }
}

}  // namespace
}  // namespace tardis
