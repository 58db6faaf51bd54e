// JudgeImage() over a table of observed images: one valid image, then one thing wrong
// with it per case.
#include "tardis/image/validity.h"

#include <functional>
#include <string>

#include <gtest/gtest.h>

namespace tardis {
namespace {

constexpr char kHash1[] = "00000000000000000000000000000001";
constexpr char kHash2[] = "00000000000000000000000000000002";

Manifest ValidManifest() {
  Manifest m;
  m.ns = "default";
  m.identity = "c1";
  m.container_id = "c1";
  m.rootfs = {"rootfs.tar", 10240, "0123456789abcdef0123456789abcdef", ""};
  m.criu = {{"criu/dump.log", 100, kHash1, ""}, {"criu/pages-1.img", 4096, kHash2, ""}};
  return m;
}

ObservedImage ValidImage() {
  ObservedImage image;
  image.manifest_text = SerializeManifest(ValidManifest());
  image.dump_log_tail = "(00.012) Writing stats\n(00.013) Dumping finished successfully\n";
  for (const ImageFile& f : ValidManifest().criu) image.criu[f.path] = f;
  image.rootfs_bytes = 10240;
  return image;
}

struct Case {
  const char* name;
  std::function<void(ObservedImage&)> spoil;
  const char* want;  // "" for valid, else the start of the reason
};

TEST(ValidityTest, Table) {
  const Case cases[] = {
      {"valid", [](ObservedImage&) {}, ""},
      {"valid with trailing blank lines", [](ObservedImage& i) { i.dump_log_tail += "\n\n  \n"; }, ""},
      {"dump.log missing", [](ObservedImage& i) { i.dump_log_tail.clear(); }, "dump.log does not end"},
      {"dump.log truncated",
       [](ObservedImage& i) { i.dump_log_tail = "(00.012) Writing stats\n(00.013) Dumping fini"; },
       "dump.log does not end"},
      {"dump.log ends in an error",
       [](ObservedImage& i) { i.dump_log_tail += "(00.014) Error (criu/cr-dump.c:2093): Dumping FAILED.\n"; },
       "dump.log does not end"},
      {"success line not last",
       [](ObservedImage& i) { i.dump_log_tail += "(00.020) something after\n"; }, "dump.log does not end"},
      {"no manifest", [](ObservedImage& i) { i.manifest_text.reset(); }, "no manifest"},
      {"manifest garbage", [](ObservedImage& i) { i.manifest_text = "{"; }, "manifest: manifest is not JSON"},
      {"manifest of another container",
       [](ObservedImage& i) {
         Manifest m = ValidManifest();
         m.identity = "c2";
         i.manifest_text = SerializeManifest(m);
       },
       "the image is of default/c2"},
      {"manifest of another namespace",
       [](ObservedImage& i) {
         Manifest m = ValidManifest();
         m.ns = "other";
         i.manifest_text = SerializeManifest(m);
       },
       "the image is of other/c1"},
      {"a symlink in the image", [](ObservedImage& i) { i.has_unexpected_entries = true; }, "the image holds"},
      {"CRIU file missing", [](ObservedImage& i) { i.criu.erase("criu/pages-1.img"); }, "the image has 1 CRIU files"},
      {"CRIU file added",
       [](ObservedImage& i) { i.criu["criu/extra.img"] = {"criu/extra.img", 1, kHash1, ""}; },
       "the image has 3 CRIU files"},
      {"CRIU file renamed",
       [](ObservedImage& i) {
         i.criu.erase("criu/pages-1.img");
         i.criu["criu/pages-2.img"] = {"criu/pages-2.img", 4096, kHash2, ""};
       },
       "missing criu/pages-1.img"},
      {"CRIU file truncated", [](ObservedImage& i) { i.criu["criu/pages-1.img"].bytes = 4095; },
       "criu/pages-1.img does not match"},
      {"CRIU file corrupted", [](ObservedImage& i) { i.criu["criu/pages-1.img"].xxh3_128 = kHash1; },
       "criu/pages-1.img does not match"},
      {"archive missing", [](ObservedImage& i) { i.rootfs_bytes.reset(); }, "missing the upperdir archive"},
      {"archive truncated", [](ObservedImage& i) { i.rootfs_bytes = 512; }, "the upperdir archive's size"},
  };
  for (const Case& c : cases) {
    ObservedImage image = ValidImage();
    c.spoil(image);
    const absl::StatusOr<Manifest> judged = JudgeImage(image, "default", "c1", ImageKey{});
    if (std::string(c.want).empty()) {
      EXPECT_TRUE(judged.ok()) << c.name << ": " << judged.status();
    } else {
      ASSERT_FALSE(judged.ok()) << c.name;
      EXPECT_EQ(std::string(judged.status().message()).rfind(c.want, 0), 0u)
          << c.name << ": " << judged.status().message();
    }
  }
}

// With a key, the files are matched by SHA-256 as well: a file whose XXH3 collides but
// whose SHA-256 differs, or one the observer did not hash, does not match.
TEST(JudgeImageTest, WithAKeyCriuFilesMatchBySha256) {
  const ImageKey key{ImageKey::State::kUsable, std::string(32, 'k'), ""};
  Manifest m = ValidManifest();
  m.rootfs.sha256 = std::string(64, 'a');
  for (ImageFile& f : m.criu) f.sha256 = std::string(64, 'b');
  m.mac = ManifestMac(m, key.bytes);
  const auto judge = [&](const std::function<void(ObservedImage&)>& spoil) {
    ObservedImage image = ValidImage();
    image.manifest_text = SerializeManifest(m);
    for (const ImageFile& f : m.criu) image.criu[f.path] = f;
    spoil(image);
    return JudgeImage(image, "default", "c1", key).status();
  };
  EXPECT_TRUE(judge([](ObservedImage&) {}).ok());
  EXPECT_EQ(judge([](ObservedImage& i) { i.criu["criu/pages-1.img"].sha256 = std::string(64, 'c'); }).message(),
            "criu/pages-1.img does not match the manifest");
  EXPECT_EQ(judge([](ObservedImage& i) { i.criu["criu/dump.log"].sha256.clear(); }).message(),
            "criu/dump.log does not match the manifest");
  // Without a key the same observation (no SHA-256s taken) is judged by XXH3 alone.
  ObservedImage plain = ValidImage();
  plain.manifest_text = SerializeManifest(m);
  EXPECT_TRUE(JudgeImage(plain, "default", "c1", ImageKey{}).ok());
}

}  // namespace
}  // namespace tardis
