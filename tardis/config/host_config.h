// The host's configuration: tardis.conf's text in, settings out, every problem named.
//
// The format is `key = value` lines; `#` starts a comment. The key names are a contract
// with operators and tests (SPEC.md "Host configuration"). A line that cannot be used
// (no `=`, unknown key, bad value) is reported and ignored, so that key keeps its
// default: a typo never takes a node's containers down.
#ifndef TARDIS_CONFIG_HOST_CONFIG_H_
#define TARDIS_CONFIG_HOST_CONFIG_H_

#include <string>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>

#include "tardis/log/level.h"

namespace tardis {

inline constexpr char kDefaultConfigPath[] = "/etc/tardis/tardis.conf";
inline constexpr char kConfigPathVariable[] = "TARDIS_CONFIG";

struct HostConfig {
  std::string real_runc = "/usr/sbin/runc";
  std::string log_file = "/var/log/tardis/tardis.log";
  LogLevel log_level = LogLevel::kWarning;
  std::string state_dir = "/run/tardis";
  std::string checkpoint_base = "/var/lib/tardis/checkpoints";
  // Empty means "the checkpoint base"; see AllowedRoots().
  std::vector<std::string> allowed_roots;
  std::string ctr = "ctr";
  std::string containerd_address;  // empty: ctr's own default
  int delete_wait_ms = 1000;
  // A checkpoint identity's lease not refreshed for this long is stale: another node may
  // take it over (image/lease.h). tardis-listen refreshes leases every third of it.
  int lease_stale_ms = 30000;
  // How long a runc checkpoint or restore (CRIU at work) may take before Tardis kills it
  // and cleans up as on a failure: a CRIU that died leaves runc waiting for ever.
  int criu_timeout_ms = 600000;
  // Periodic checkpoints (periodic/interval.h, SPEC.md "Periodic checkpoints"): the
  // shortest interval a container may ask for; the interval of opted-in containers that
  // ask for none (0: no periodic checkpoints); how many may run at once on the node
  // (each writes a whole image, and they share the disk).
  int checkpoint_interval_min_ms = 5000;
  int checkpoint_interval_default_ms = 0;
  int periodic_in_flight = 1;
  // What a restore may unpack (archive/unpack_budget.h): an image is written by whoever
  // can write the checkpoint storage. The bytes are also bounded by the upperdir's free
  // space.
  int64_t restore_max_bytes = int64_t{1} << 40;
  int restore_max_entries = 2000000;
  // The key the nodes sharing a checkpoint store sign their images with
  // (image/authenticity.h); a missing file means unsigned images, as before.
  std::string image_key_file = "/etc/tardis/image.key";
  // The tardis-listen binary; empty means "beside the running tardis binary".
  std::string tardis_listen;
  // `tardisctl watch`: which cloud's metadata service (aws, gcp, azure, or auto: probe
  // each at start), where it answers, how often it is asked, how long one question may
  // take, and whether AWS's rebalance recommendation counts as a notice. Its flags win.
  std::string watch_cloud = "auto";
  std::string watch_endpoint = "http://169.254.169.254";
  int watch_interval_ms = 5000;
  int watch_timeout_ms = 2000;
  bool watch_rebalance = false;

  std::vector<std::string> AllowedRoots() const {
    return allowed_roots.empty() ? std::vector<std::string>{checkpoint_base} : allowed_roots;
  }
};

struct ParsedHostConfig {
  HostConfig config;
  std::vector<std::string> problems;  // one line each, for the log
};

namespace host_config_internal {

// A whole-number key (most are milliseconds) in [min, max]: "" when taken, else the
// problem.
inline std::string ParseMilliseconds(absl::string_view key, absl::string_view value, int min, int max, int* out) {
  int ms = 0;
  if (!absl::SimpleAtoi(value, &ms) || ms < min || ms > max) {
    return absl::StrCat(key, " must be ", min, "..", max, ": ", value);
  }
  *out = ms;
  return "";
}

// scheme://host[:port], http or https, without a path: where a metadata service answers.
inline bool IsEndpoint(absl::string_view value) {
  absl::string_view rest = value;
  if (!absl::ConsumePrefix(&rest, "http://") && !absl::ConsumePrefix(&rest, "https://")) return false;
  if (rest.empty() || value.size() > 256) return false;
  for (const char c : rest) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']') {
      return false;
    }
  }
  return true;
}

inline bool IsAbsolutePath(absl::string_view value) {
  return !value.empty() && value.front() == '/';
}

// Applies one `key = value`; returns a problem, or "" when applied.
inline std::string Apply(absl::string_view key, absl::string_view value, HostConfig* config) {
  const auto absolute = [&](std::string* field) -> std::string {
    if (!IsAbsolutePath(value)) return absl::StrCat(key, " must be an absolute path: ", value);
    *field = std::string(value);
    return "";
  };
  if (key == "real_runc") return absolute(&config->real_runc);
  if (key == "log_file") return absolute(&config->log_file);
  if (key == "state_dir") return absolute(&config->state_dir);
  if (key == "checkpoint_base") return absolute(&config->checkpoint_base);
  if (key == "tardis_listen") return absolute(&config->tardis_listen);
  if (key == "image_key_file") return absolute(&config->image_key_file);
  if (key == "log_level") {
    const std::optional<LogLevel> level = ParseLogLevel(value);
    if (!level) return absl::StrCat("log_level must be DEBUG, INFO, WARNING or ERROR: ", value);
    config->log_level = *level;
    return "";
  }
  if (key == "allowed_roots") {
    std::vector<std::string> roots;
    for (absl::string_view root : absl::StrSplit(value, ':', absl::SkipEmpty())) {
      if (!IsAbsolutePath(root)) return absl::StrCat("allowed_roots entries must be absolute: ", root);
      roots.emplace_back(root);
    }
    if (roots.empty()) return "allowed_roots is empty";
    config->allowed_roots = std::move(roots);
    return "";
  }
  if (key == "ctr") {
    if (value.empty()) return "ctr is empty";
    config->ctr = std::string(value);
    return "";
  }
  if (key == "containerd_address") {
    config->containerd_address = std::string(value);
    return "";
  }
  if (key == "delete_wait_ms") return ParseMilliseconds(key, value, 0, 600000, &config->delete_wait_ms);
  if (key == "lease_stale_ms") return ParseMilliseconds(key, value, 1000, 3600000, &config->lease_stale_ms);
  if (key == "criu_timeout_ms") return ParseMilliseconds(key, value, 1000, 86400000, &config->criu_timeout_ms);
  if (key == "checkpoint_interval_min_ms") {
    return ParseMilliseconds(key, value, 1000, 86400000, &config->checkpoint_interval_min_ms);
  }
  if (key == "checkpoint_interval_default_ms") {
    return ParseMilliseconds(key, value, 0, 604800000, &config->checkpoint_interval_default_ms);
  }
  if (key == "periodic_in_flight") return ParseMilliseconds(key, value, 1, 64, &config->periodic_in_flight);
  if (key == "restore_max_entries") {
    return ParseMilliseconds(key, value, 1, 1000000000, &config->restore_max_entries);
  }
  if (key == "restore_max_bytes") {
    int64_t bytes = 0;
    if (!absl::SimpleAtoi(value, &bytes) || bytes < (int64_t{1} << 20) || bytes > (int64_t{1} << 50)) {
      return absl::StrCat(key, " must be ", int64_t{1} << 20, "..", int64_t{1} << 50, ": ", value);
    }
    config->restore_max_bytes = bytes;
    return "";
  }
  if (key == "watch_interval_ms") return ParseMilliseconds(key, value, 100, 3600000, &config->watch_interval_ms);
  if (key == "watch_timeout_ms") return ParseMilliseconds(key, value, 100, 120000, &config->watch_timeout_ms);
  if (key == "watch_cloud") {
    if (value != "auto" && value != "aws" && value != "gcp" && value != "azure") {
      return absl::StrCat("watch_cloud must be auto, aws, gcp or azure: ", value);
    }
    config->watch_cloud = std::string(value);
    return "";
  }
  if (key == "watch_endpoint") {
    if (!IsEndpoint(value)) return absl::StrCat("watch_endpoint must be http(s)://host[:port]: ", value);
    config->watch_endpoint = std::string(value);
    return "";
  }
  if (key == "watch_rebalance") {
    if (value != "true" && value != "false") return absl::StrCat("watch_rebalance must be true or false: ", value);
    config->watch_rebalance = value == "true";
    return "";
  }
  return absl::StrCat("unknown key: ", key);
}

}  // namespace host_config_internal

inline ParsedHostConfig ParseHostConfig(absl::string_view text) {
  ParsedHostConfig parsed;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (const size_t hash = line.find('#'); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    std::string problem;
    if (eq == absl::string_view::npos) {
      problem = absl::StrCat("expected `key = value`: ", line);
    } else {
      problem = host_config_internal::Apply(absl::StripAsciiWhitespace(line.substr(0, eq)),
                                            absl::StripAsciiWhitespace(line.substr(eq + 1)),
                                            &parsed.config);
    }
    if (!problem.empty()) {
      parsed.problems.push_back(absl::StrCat("line ", number, ": ", problem, " (ignored)"));
    }
  }
  return parsed;
}

}  // namespace tardis

#endif  // TARDIS_CONFIG_HOST_CONFIG_H_
