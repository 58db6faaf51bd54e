#include "tardis/config/host_config.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_replace.h>
#include <gtest/gtest.h>

#include "tardis/config/load_host_config.h"
#include "tardis/testing/golden.h"

namespace tardis {
namespace {

std::string Describe(const HostConfig& c) {
  return absl::StrCat("real_runc=", c.real_runc, " log_file=", c.log_file,
                      " log_level=", LogLevelName(c.log_level), " state_dir=", c.state_dir,
                      " checkpoint_base=", c.checkpoint_base,
                      " allowed_roots=", absl::StrJoin(c.AllowedRoots(), ":"), " ctr=", c.ctr,
                      " containerd_address=", c.containerd_address,
                      " delete_wait_ms=", c.delete_wait_ms, " tardis_listen=", c.tardis_listen);
}

// The fixture's escapes: \n, \t and \xNN.
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      if (text[i + 1] == 'n') { out += '\n'; ++i; continue; }
      if (text[i + 1] == 't') { out += '\t'; ++i; continue; }
      if (text[i + 1] == 'x' && i + 3 < text.size()) {
        out += static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16));
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string Escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

TEST(HostConfigTest, GoldenCases) {
  const auto cases = testing::ReadGoldenCases("testdata/config/host_config.golden");
  ASSERT_GE(cases.size(), 6u);
  for (const auto& c : cases) {
    const ParsedHostConfig parsed = ParseHostConfig(Unescape(c["conf"]));
    EXPECT_EQ(Describe(parsed.config), c["want"]) << "host_config.golden:" << c.line;
    EXPECT_EQ(Escape(absl::StrJoin(parsed.problems, " | ")), c["problems"])
        << "host_config.golden:" << c.line;
  }
}

TEST(LoadHostConfigTest, MissingFileMeansDefaultsWithoutComplaint) {
  const ParsedHostConfig loaded = LoadHostConfig(absl::StrCat(::testing::TempDir(), "/absent.conf"));
  EXPECT_TRUE(loaded.problems.empty());
  EXPECT_EQ(loaded.config.real_runc, "/usr/sbin/runc");
}

TEST(LoadHostConfigTest, UnreadableFileMeansDefaultsAndAProblem) {
  // A directory cannot be read as a file.
  const ParsedHostConfig loaded = LoadHostConfig(::testing::TempDir());
  ASSERT_EQ(loaded.problems.size(), 1u);
  EXPECT_NE(loaded.problems[0].find("using defaults"), std::string::npos) << loaded.problems[0];
  EXPECT_EQ(loaded.config.state_dir, "/run/tardis");
}

TEST(LoadHostConfigTest, OversizedFileMeansDefaults) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/big.conf");
  std::ofstream(path) << "log_level = DEBUG\n" << std::string(kMaxConfigBytes, '#');
  const ParsedHostConfig loaded = LoadHostConfig(path);
  EXPECT_EQ(loaded.problems.size(), 1u);
  EXPECT_EQ(loaded.config.log_level, LogLevel::kWarning);
}

TEST(LoadHostConfigTest, PathComesFromTheEnvironment) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/env.conf");
  std::ofstream(path) << "real_runc = /opt/runc\n";
  ::setenv(kConfigPathVariable, path.c_str(), 1);
  EXPECT_EQ(HostConfigPath(), path);
  EXPECT_EQ(LoadHostConfig().config.real_runc, "/opt/runc");
  ::setenv(kConfigPathVariable, "", 1);
  EXPECT_EQ(HostConfigPath(), kDefaultConfigPath);
  ::unsetenv(kConfigPathVariable);
}

}  // namespace
}  // namespace tardis

namespace tardis {
namespace {

// Every duration key: its bounds, its default, and a bad value ignored with one problem.
TEST(HostConfigTest, ImageKeyFileIsAnAbsolutePath) {
  EXPECT_EQ(ParseHostConfig("").config.image_key_file, "/etc/tardis/image.key");
  EXPECT_EQ(ParseHostConfig("image_key_file = /srv/keys/ckpt.key").config.image_key_file, "/srv/keys/ckpt.key");
  const ParsedHostConfig relative = ParseHostConfig("image_key_file = ckpt.key");
  EXPECT_EQ(relative.config.image_key_file, "/etc/tardis/image.key");
  EXPECT_EQ(relative.problems, std::vector<std::string>{
                                   "line 1: image_key_file must be an absolute path: ckpt.key (ignored)"});
}

TEST(HostConfigDurationTest, BoundsAreCheckedAndDefaultsKept) {
  struct Case {
    const char* text;
    int HostConfig::*field;
    int want_ms;
    const char* want_problem;
  };
  const Case cases[] = {
      {"", &HostConfig::lease_stale_ms, 30000, ""},
      {"lease_stale_ms = 3000", &HostConfig::lease_stale_ms, 3000, ""},
      {"lease_stale_ms = 1000", &HostConfig::lease_stale_ms, 1000, ""},
      {"lease_stale_ms = 3600000", &HostConfig::lease_stale_ms, 3600000, ""},
      {"lease_stale_ms = 999", &HostConfig::lease_stale_ms, 30000,
       "line 1: lease_stale_ms must be 1000..3600000: 999 (ignored)"},
      {"lease_stale_ms = 3600001", &HostConfig::lease_stale_ms, 30000,
       "line 1: lease_stale_ms must be 1000..3600000: 3600001 (ignored)"},
      {"lease_stale_ms = soon", &HostConfig::lease_stale_ms, 30000,
       "line 1: lease_stale_ms must be 1000..3600000: soon (ignored)"},
      {"", &HostConfig::criu_timeout_ms, 600000, ""},
      {"criu_timeout_ms = 1000", &HostConfig::criu_timeout_ms, 1000, ""},
      {"criu_timeout_ms = 86400000", &HostConfig::criu_timeout_ms, 86400000, ""},
      {"criu_timeout_ms = 999", &HostConfig::criu_timeout_ms, 600000,
       "line 1: criu_timeout_ms must be 1000..86400000: 999 (ignored)"},
      {"criu_timeout_ms = -5", &HostConfig::criu_timeout_ms, 600000,
       "line 1: criu_timeout_ms must be 1000..86400000: -5 (ignored)"},
      {"criu_timeout_ms = 10m", &HostConfig::criu_timeout_ms, 600000,
       "line 1: criu_timeout_ms must be 1000..86400000: 10m (ignored)"},
      {"", &HostConfig::watch_interval_ms, 5000, ""},
      {"watch_interval_ms = 100", &HostConfig::watch_interval_ms, 100, ""},
      {"watch_interval_ms = 99", &HostConfig::watch_interval_ms, 5000,
       "line 1: watch_interval_ms must be 100..3600000: 99 (ignored)"},
      {"", &HostConfig::watch_timeout_ms, 2000, ""},
      {"watch_timeout_ms = 120000", &HostConfig::watch_timeout_ms, 120000, ""},
      {"watch_timeout_ms = 120001", &HostConfig::watch_timeout_ms, 2000,
       "line 1: watch_timeout_ms must be 100..120000: 120001 (ignored)"},
      {"", &HostConfig::checkpoint_interval_min_ms, 5000, ""},
      {"checkpoint_interval_min_ms = 1000", &HostConfig::checkpoint_interval_min_ms, 1000, ""},
      {"checkpoint_interval_min_ms = 999", &HostConfig::checkpoint_interval_min_ms, 5000,
       "line 1: checkpoint_interval_min_ms must be 1000..86400000: 999 (ignored)"},
      {"", &HostConfig::checkpoint_interval_default_ms, 0, ""},
      {"checkpoint_interval_default_ms = 900000", &HostConfig::checkpoint_interval_default_ms, 900000, ""},
      {"checkpoint_interval_default_ms = 15m", &HostConfig::checkpoint_interval_default_ms, 0,
       "line 1: checkpoint_interval_default_ms must be 0..604800000: 15m (ignored)"},
      {"", &HostConfig::periodic_in_flight, 1, ""},
      {"periodic_in_flight = 64", &HostConfig::periodic_in_flight, 64, ""},
      {"periodic_in_flight = 0", &HostConfig::periodic_in_flight, 1,
       "line 1: periodic_in_flight must be 1..64: 0 (ignored)"},
      {"", &HostConfig::restore_max_entries, 2000000, ""},
      {"restore_max_entries = 1", &HostConfig::restore_max_entries, 1, ""},
      {"restore_max_entries = 0", &HostConfig::restore_max_entries, 2000000,
       "line 1: restore_max_entries must be 1..1000000000: 0 (ignored)"},
      {"delete_wait_ms = 0", &HostConfig::delete_wait_ms, 0, ""},
      {"delete_wait_ms = 600001", &HostConfig::delete_wait_ms, 1000,
       "line 1: delete_wait_ms must be 0..600000: 600001 (ignored)"},
  };
  for (const Case& c : cases) {
    const ParsedHostConfig parsed = ParseHostConfig(c.text);
    EXPECT_EQ(parsed.config.*c.field, c.want_ms) << c.text;
    EXPECT_EQ(parsed.problems.empty() ? "" : parsed.problems.front(), c.want_problem) << c.text;
  }
}

TEST(HostConfigTest, RestoreMaxBytes) {
  EXPECT_EQ(ParseHostConfig("").config.restore_max_bytes, int64_t{1} << 40);
  EXPECT_EQ(ParseHostConfig("restore_max_bytes = 1048576").config.restore_max_bytes, 1048576);
  EXPECT_EQ(ParseHostConfig("restore_max_bytes = 1125899906842624").config.restore_max_bytes, int64_t{1} << 50);
  for (const char* bad : {"restore_max_bytes = 1048575", "restore_max_bytes = 1125899906842625",
                          "restore_max_bytes = 1T", "restore_max_bytes = -1"}) {
    const ParsedHostConfig parsed = ParseHostConfig(bad);
    EXPECT_EQ(parsed.config.restore_max_bytes, int64_t{1} << 40) << bad;
    EXPECT_EQ(parsed.problems.size(), 1u) << bad;
  }
}

// The watcher's other keys: a bad value keeps the default, so a typo never points the
// watcher somewhere else.
TEST(HostConfigWatchTest, ValuesAreCheckedAndDefaultsKept) {
  struct Case {
    const char* text;
    std::string want;  // cloud endpoint rebalance
    const char* want_problem;
  };
  const Case cases[] = {
      {"", "auto http://169.254.169.254 false", ""},
      {"watch_cloud = gcp\nwatch_endpoint = http://127.0.0.1:8080\nwatch_rebalance = true",
       "gcp http://127.0.0.1:8080 true", ""},
      {"watch_endpoint = https://[fd00:ec2::254]", "auto https://[fd00:ec2::254] false", ""},
      {"watch_cloud = AWS", "auto http://169.254.169.254 false",
       "line 1: watch_cloud must be auto, aws, gcp or azure: AWS (ignored)"},
      {"watch_endpoint = http://169.254.169.254/latest", "auto http://169.254.169.254 false",
       "line 1: watch_endpoint must be http(s)://host[:port]: http://169.254.169.254/latest (ignored)"},
      {"watch_endpoint = file:///etc/passwd", "auto http://169.254.169.254 false",
       "line 1: watch_endpoint must be http(s)://host[:port]: file:///etc/passwd (ignored)"},
      {"watch_endpoint = http://", "auto http://169.254.169.254 false",
       "line 1: watch_endpoint must be http(s)://host[:port]: http:// (ignored)"},
      {"watch_rebalance = yes", "auto http://169.254.169.254 false",
       "line 1: watch_rebalance must be true or false: yes (ignored)"},
  };
  for (const Case& c : cases) {
    const ParsedHostConfig parsed = ParseHostConfig(Unescape(c.text));
    EXPECT_EQ(absl::StrCat(parsed.config.watch_cloud, " ", parsed.config.watch_endpoint, " ",
                           parsed.config.watch_rebalance ? "true" : "false"),
              c.want)
        << c.text;
    EXPECT_EQ(parsed.problems.empty() ? "" : parsed.problems.front(), c.want_problem) << c.text;
  }
}

}  // namespace
}  // namespace tardis
