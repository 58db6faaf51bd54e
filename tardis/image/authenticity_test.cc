// CheckAuthentic() and ManifestMac() over a table of manifests and keys, and
// LoadImageKey() over the ways a key file can be wrong.
#include "tardis/image/authenticity.h"

#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <string>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/image/image_key.h"
#include "tardis/sys/files.h"
#include "tardis/testing/cannot_run_here.h"

namespace tardis {
namespace {

const ImageKey kKey{ImageKey::State::kUsable, "0123456789abcdef0123456789abcdef", ""};

Manifest Signed() {
  Manifest m;
  m.ns = "default";
  m.identity = "job1";
  m.container_id = "c1";
  m.created_unix_nanos = 42;
  m.restore_options = {"--file-locks"};
  m.rootfs = {"rootfs.tar", 10240, std::string(32, 'a'), std::string(64, 'b')};
  m.criu = {{"criu/dump.log", 100, std::string(32, 'c'), std::string(64, 'd')},
            {"criu/pages-1.img", 4096, std::string(32, 'e'), std::string(64, 'f')}};
  m.mac = ManifestMac(m, kKey.bytes);
  return m;
}

TEST(AuthenticityTest, OnlyAnUnchangedManifestSignedWithTheKeyPasses) {
  struct Case {
    const char* what;
    std::function<void(Manifest&)> change;
    ImageKey key;
    const char* refused;  // nullptr: accepted
  };
  const auto unchanged = [](Manifest&) {};
  const Case cases[] = {
      {"signed, verified", unchanged, kKey, nullptr},
      {"no key: nothing to verify", [](Manifest& m) { m.mac.clear(); }, ImageKey{}, nullptr},
      {"no key, signed anyway", unchanged, ImageKey{}, nullptr},
      {"unsigned, with a key", [](Manifest& m) { m.mac.clear(); }, kKey, "not signed"},
      {"another key", unchanged, ImageKey{ImageKey::State::kUsable, std::string(32, 'k'), ""}, "does not verify"},
      {"an unusable key", unchanged, ImageKey{ImageKey::State::kUnusable, "", "mode 644"}, "cannot be used (mode 644)"},
      {"namespace", [](Manifest& m) { m.ns = "other"; }, kKey, "does not verify"},
      {"identity", [](Manifest& m) { m.identity = "job2"; }, kKey, "does not verify"},
      {"container", [](Manifest& m) { m.container_id = "c2"; }, kKey, "does not verify"},
      {"time", [](Manifest& m) { m.created_unix_nanos = 43; }, kKey, "does not verify"},
      {"restore options", [](Manifest& m) { m.restore_options.push_back("--tcp-established"); }, kKey,
       "does not verify"},
      {"archive size", [](Manifest& m) { m.rootfs.bytes = 1; }, kKey, "does not verify"},
      {"archive sha256", [](Manifest& m) { m.rootfs.sha256 = std::string(64, '0'); }, kKey, "does not verify"},
      {"a CRIU file's xxh3", [](Manifest& m) { m.criu[1].xxh3_128 = std::string(32, '0'); }, kKey,
       "does not verify"},
      {"a CRIU file dropped", [](Manifest& m) { m.criu.pop_back(); }, kKey, "does not verify"},
      {"a CRIU file added",
       [](Manifest& m) { m.criu.push_back({"criu/x.img", 1, std::string(32, '1'), std::string(64, '2')}); }, kKey,
       "does not verify"},
      {"the mac altered", [](Manifest& m) { m.mac[0] = m.mac[0] == '0' ? '1' : '0'; }, kKey, "does not verify"},
      {"signed without a file's sha256 (re-signed with the key)",
       [](Manifest& m) {
         m.criu[0].sha256.clear();
         m.mac = ManifestMac(m, kKey.bytes);
       },
       kKey, "does not name every file by SHA-256"},
  };
  for (const Case& c : cases) {
    Manifest m = Signed();
    c.change(m);
    const absl::Status status = CheckAuthentic(m, c.key);
    if (c.refused == nullptr) {
      EXPECT_TRUE(status.ok()) << c.what << ": " << status;
    } else {
      EXPECT_TRUE(absl::IsPermissionDenied(status)) << c.what << ": " << status;
      EXPECT_TRUE(absl::StrContains(status.message(), c.refused)) << c.what << ": " << status;
    }
  }
}

// What a node reads back from the storage is what was signed: text -> manifest -> MAC.
TEST(AuthenticityTest, TheMacSurvivesTheManifestsRoundTrip) {
  const Manifest m = Signed();
  absl::StatusOr<Manifest> parsed = ParseManifest(SerializeManifest(m));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, m);
  EXPECT_TRUE(CheckAuthentic(*parsed, kKey).ok());
  // Keys a forger adds are not part of what is read, so they change nothing.
  std::string text = SerializeManifest(m);
  text.insert(1, "\"extra\": 1,");
  parsed = ParseManifest(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(CheckAuthentic(*parsed, kKey).ok());
  // A malformed MAC or sha256 is a malformed manifest.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {m.mac, "zz"}, {m.rootfs.sha256, std::string(63, 'b')}}) {
    std::string bad = SerializeManifest(m);
    bad.replace(bad.find(from), from.size(), to);
    EXPECT_FALSE(ParseManifest(bad).ok()) << to;
  }
}

class ImageKeyTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const {
    return absl::StrCat(::testing::TempDir(), "/key-", ::getpid(), "-", name);
  }
  std::string Write(const std::string& name, const std::string& content, mode_t mode) {
    const std::string path = Path(name);
    EXPECT_TRUE(WriteFileAtomically(path, content, mode).ok());
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
};

TEST_F(ImageKeyTest, OnlyARootOnlyFileOfSaneSizeIsAKey) {
  if (::geteuid() != 0) TARDIS_CANNOT_RUN_HERE("ownership checks need root");
  const std::string key(32, 'k');
  EXPECT_EQ(LoadImageKey("").state, ImageKey::State::kNone);
  EXPECT_EQ(LoadImageKey(Path("missing")).state, ImageKey::State::kNone);

  const ImageKey good = LoadImageKey(Write("good", key, 0600));
  EXPECT_EQ(good.state, ImageKey::State::kUsable);
  EXPECT_EQ(good.bytes, key);
  EXPECT_TRUE(LoadImageKey(Write("read-only", key, 0400)).signs());
  EXPECT_TRUE(LoadImageKey(Write("largest", std::string(kMaxImageKeyBytes, 'k'), 0600)).signs());

  struct Case {
    const char* what;
    std::string path;
    const char* problem;
  };
  const std::string not_root = Write("not-root", key, 0600);
  ASSERT_EQ(::chown(not_root.c_str(), 1000, 1000), 0);
  ASSERT_EQ(::symlink(Path("good").c_str(), Path("link").c_str()), 0);
  ASSERT_EQ(::mkdir(Path("dir").c_str(), 0700), 0);
  const Case cases[] = {
      {"group-readable", Write("group", key, 0640), "open to group or others (mode 640)"},
      {"world-writable", Write("world", key, 0602), "open to group or others (mode 602)"},
      {"too short", Write("short", std::string(31, 'k'), 0600), "holds 31 bytes"},
      {"too long", Write("long", std::string(kMaxImageKeyBytes + 1, 'k'), 0600), "holds 4097 bytes"},
      {"not root's", not_root, "owned by uid 1000"},
      {"a symlink", Path("link"), "is a symlink"},
      {"a directory", Path("dir"), "not a regular file"},
  };
  for (const Case& c : cases) {
    const ImageKey loaded = LoadImageKey(c.path);
    EXPECT_EQ(loaded.state, ImageKey::State::kUnusable) << c.what;
    EXPECT_TRUE(loaded.bytes.empty()) << c.what;
    EXPECT_TRUE(absl::StrContains(loaded.problem, c.problem)) << c.what << ": " << loaded.problem;
  }
}

}  // namespace
}  // namespace tardis
