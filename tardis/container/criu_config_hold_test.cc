// Table tests of the config.json edit and the CRIU configuration that hold a restored
// container until containerd's start.
#include "tardis/container/criu_config_hold.h"

#include <string>

#include <absl/strings/match.h>
#include <gtest/gtest.h>

namespace tardis::container {
namespace {

constexpr char kPath[] = "/run/tardis/containers/default/c1/restore-work/criu.conf";

std::string Describe(const absl::StatusOr<std::string>& value) {
  return value.ok() ? *value : value.status().ToString();
}

TEST(AnnotateCriuConfigTest, AddsTheAnnotationOrRefuses) {
  struct Case {
    const char* config;
    const char* want;
  };
  const Case cases[] = {
      {R"({"ociVersion":"1.0.2","process":{"cwd":"/"}})",
       R"({"ociVersion":"1.0.2","process":{"cwd":"/"},"annotations":{"org.criu.config":"/run/tardis/containers/default/c1/restore-work/criu.conf"}})"},
      // Others' annotations stay, in their order; the new one goes last.
      {R"({"annotations":{"io.kubernetes.cri.container-type":"container","a":"b"},"root":{}})",
       R"({"annotations":{"io.kubernetes.cri.container-type":"container","a":"b","org.criu.config":"/run/tardis/containers/default/c1/restore-work/criu.conf"},"root":{}})"},
      {R"({"annotations":null})",
       R"({"annotations":{"org.criu.config":"/run/tardis/containers/default/c1/restore-work/criu.conf"}})"},
      // The container's own CRIU configuration is not replaced, whatever it says.
      {R"({"annotations":{"org.criu.config":"/etc/criu/mine.conf"}})",
       "FAILED_PRECONDITION: the spec names its own CRIU configuration (org.criu.config)"},
      {R"({"annotations":{"org.criu.config":""}})",
       "FAILED_PRECONDITION: the spec names its own CRIU configuration (org.criu.config)"},
      {R"({"annotations":["org.criu.config"]})", "INVALID_ARGUMENT: annotations is not an object"},
      {R"([])", "INVALID_ARGUMENT: config.json is not a JSON object"},
      {R"({"annotations":{},"annotations":{}})", "INVALID_ARGUMENT: config.json repeats the key \"annotations\""},
      {"{", ""},
  };
  for (const Case& c : cases) {
    const std::string got = Describe(AnnotateCriuConfig(c.config, kPath));
    if (c.want[0] == '\0') {
      EXPECT_TRUE(absl::StartsWith(got, "INVALID_ARGUMENT: config.json")) << c.config << " -> " << got;
    } else {
      EXPECT_EQ(got, c.want) << c.config;
    }
  }
}

TEST(AnnotateCriuConfigTest, RefusesAPathRuncCouldReadDifferently) {
  for (const char* path : {"", "relative/criu.conf", "/", "/a/../b", "/a//b"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(AnnotateCriuConfig("{}", path).status())) << path;
  }
}

TEST(HoldingCriuConfigTest, KeepsWhatRuncWouldHaveGivenAndAddsLeaveStopped) {
  const char kAdded[] = "# tardis: the restored tasks wait, stopped, for containerd's start\nleave-stopped\n";
  struct Case {
    const char* runc_conf;
    std::string want;
  };
  const Case cases[] = {
      {"", kAdded},
      {"tcp-established\n", std::string("tcp-established\n") + kAdded},
      {"tcp-established", std::string("tcp-established\n") + kAdded},
  };
  for (const Case& c : cases) EXPECT_EQ(HoldingCriuConfig(c.runc_conf), c.want) << c.runc_conf;
}

}  // namespace
}  // namespace tardis::container
