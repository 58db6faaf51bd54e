#include "tardis/image/manifest.h"

#include <string>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <gtest/gtest.h>

#include "tardis/testing/golden.h"

namespace tardis {
namespace {

std::string Describe(const absl::StatusOr<Manifest>& manifest) {
  if (!manifest.ok()) {
    return absl::StrCat(absl::StatusCodeToString(manifest.status().code()), ": ", manifest.status().message());
  }
  return absl::StrCat("OK ", manifest->ns, "/", manifest->identity, " container=", manifest->container_id, " criu=", manifest->criu.size(),
                      " restore_options=", absl::StrJoin(manifest->restore_options, ","));
}

TEST(ManifestTest, GoldenCases) {
  const auto cases = testing::ReadGoldenCases("testdata/image/manifest.golden");
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    EXPECT_EQ(Describe(ParseManifest(c["manifest"])), c["want"]) << "manifest.golden:" << c.line;
  }
}

TEST(ManifestTest, RoundTrips) {
  Manifest manifest;
  manifest.ns = "default";
  manifest.identity = "job-1";
  manifest.container_id = "0123abcd";
  manifest.created_unix_nanos = 1795920945123456789;
  manifest.restore_options = {"file-locks", "tcp-established"};
  manifest.rootfs = {"rootfs.tar", 123456789012ULL, "0123456789abcdef0123456789abcdef", ""};
  manifest.criu = {{"criu/dump.log", 10, "00000000000000000000000000000001", ""},
                   {"criu/sub/pages-1.img", 1ULL << 40, "abcdefabcdefabcdefabcdefabcdef01", ""}};
  const absl::StatusOr<Manifest> parsed = ParseManifest(SerializeManifest(manifest));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, manifest);
}

}  // namespace
}  // namespace tardis
