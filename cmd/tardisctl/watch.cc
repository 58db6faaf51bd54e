// tardisctl watch: the cloud's spot notice, from its metadata service (tardis/watch), and
// finalize (finalize_node.h) once, on the first notice.
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <iostream>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include "cmd/tardisctl/command.h"
#include "cmd/tardisctl/finalize_node.h"
#include "tardis/config/load_host_config.h"
#include "tardis/node/report.h"
#include "tardis/sys/clock.h"
#include "tardis/sys/files.h"
#include "tardis/watch/curl_http.h"
#include "tardis/watch/detect.h"
#include "tardis/watch/watch_files.h"
#include "tardis/watch/watch_loop.h"

namespace tardisctl {
namespace {

const node::CommandSpec kSpec = {
    .name = "watch",
    .summary = "watch the cloud's metadata service; finalize on a spot notice",
    .about =
        "Polls the instance metadata service for a spot notice (AWS: spot/instance-action over\n"
        "IMDSv2; GCP: instance/preempted, long polls; Azure: a Preempt scheduled event for this\n"
        "VM) and, on the first notice, runs finalize once for the whole node against the\n"
        "notice's deadline, then acknowledges it (Azure) and keeps watching until SIGTERM. A\n"
        "notice is acted on once, even across restarts (<state_dir>/watch/acted.json); one\n"
        "watcher per node. No answer, a slow one, a 5xx, garbage, an unknown action or a notice\n"
        "dated more than 10 minutes ago never finalizes: it is logged and polling goes on.\n"
        "Defaults come from the host configuration (watch_* keys).\n",
    .options = {{"cloud", "", "auto probes each once at start", {"aws", "gcp", "azure", "auto"}},
                {"endpoint", "URL", "the metadata service, http(s)://host[:port] (default http://169.254.169.254)"},
                {"interval", "D", "between polls, e.g. 5s, 500ms (GCP's long poll answers at once anyway)"},
                {"timeout", "D", "one request's limit, e.g. 2s"},
                {"rebalance", "", "AWS: a rebalance recommendation is a notice too (deadline: 2 minutes)"},
                {"dry-run", "", "log and print the notice and what would be done; do nothing"},
                kAddressOption,
                kParallelOption},
};

// SIGTERM and SIGINT end the watcher: they set a flag and wake its wait.
std::atomic<bool> g_stop{false};
int g_wake_fd = -1;

void OnStopSignal(int) {
  g_stop = true;
  const uint64_t one = 1;
  (void)!::write(g_wake_fd, &one, sizeof one);
}

class RealWatchSystem : public tardis::watch::WatchSystem {
 public:
  RealWatchSystem(Context& context, const node::ParsedOptions& options, node::FinalizeOptions finalize)
      : context_(context), options_(options), finalize_(std::move(finalize)) {}

  int64_t WallNanos() override { return tardis::NowUnixNanos(); }
  int64_t MonotonicNanos() override { return tardis::MonotonicNanos(); }
  bool Wait(int64_t nanos) override {
    const int64_t until = tardis::MonotonicNanos() + nanos;
    while (!g_stop) {
      const int64_t left = until - tardis::MonotonicNanos();
      if (left <= 0) break;
      struct pollfd wake = {g_wake_fd, POLLIN, 0};
      ::poll(&wake, 1, static_cast<int>(std::min<int64_t>(left / 1000000 + 1, 60000)));
    }
    return !g_stop;
  }
  void Log(tardis::LogLevel level, const std::string& message) override {
    context_.Log(level, absl::StrCat("watch: ", message));
  }
  void Say(const std::string& line) override { std::cout << line << std::endl; }
  absl::StatusOr<std::vector<tardis::watch::ActedEntry>> ReadActed() override {
    return tardis::watch::ReadActed(context_.host.config.state_dir);
  }
  absl::Status WriteActed(const std::vector<tardis::watch::ActedEntry>& entries) override {
    return tardis::watch::WriteActed(context_.host.config.state_dir, entries);
  }
  node::FinalizeReport Finalize(int64_t deadline_unix_nanos) override {
    node::FinalizeOptions finalize = finalize_;
    finalize.deadline_unix_nanos = deadline_unix_nanos;
    const node::FinalizeReport report = FinalizeNode(context_, options_, finalize);
    std::cout << node::FormatFinalizeTable(report) << std::flush;
    return report;
  }

 private:
  Context& context_;
  const node::ParsedOptions& options_;
  node::FinalizeOptions finalize_;
};

// "5s", "500ms", "1m" within [min, max].
absl::StatusOr<int64_t> ParseWatchDuration(const std::string& name, const std::string& text, absl::Duration min,
                                           absl::Duration max) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration < min || duration > max) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " must be a duration from ", absl::FormatDuration(min),
                                                   " to ", absl::FormatDuration(max), " (e.g. 5s), not `", text, "`"));
  }
  return absl::ToInt64Nanoseconds(duration);
}

int Run(Context& context, const node::ParsedOptions& options) {
  namespace watch = ::tardis::watch;
  const tardis::HostConfig& host = context.host.config;
  node::FinalizeOptions finalize;
  if (std::string bad = FinalizeOptionsFrom(context, options, &finalize); !bad.empty()) return UsageError("watch", bad);
  watch::WatchOptions watch_options;
  watch_options.dry_run = options.has("dry-run");
  watch_options.interval_nanos = int64_t{host.watch_interval_ms} * 1000000;
  if (options.has("interval")) {
    absl::StatusOr<int64_t> interval =
        ParseWatchDuration("interval", options.value_or("interval", ""), absl::Milliseconds(100), absl::Hours(1));
    if (!interval.ok()) return UsageError("watch", interval.status().message());
    watch_options.interval_nanos = *interval;
  }
  watch::MonitorOptions monitor_options;
  monitor_options.endpoint = options.value_or("endpoint", host.watch_endpoint);
  if (!tardis::host_config_internal::IsEndpoint(monitor_options.endpoint)) {
    return UsageError("watch", absl::StrCat("--endpoint must be http(s)://host[:port], not `", monitor_options.endpoint, "`"));
  }
  monitor_options.timeout_ms = host.watch_timeout_ms;
  if (options.has("timeout")) {
    absl::StatusOr<int64_t> timeout =
        ParseWatchDuration("timeout", options.value_or("timeout", ""), absl::Milliseconds(100), absl::Minutes(2));
    if (!timeout.ok()) return UsageError("watch", timeout.status().message());
    monitor_options.timeout_ms = *timeout / 1000000;
  }
  monitor_options.connect_timeout_ms = std::min<int64_t>(1000, monitor_options.timeout_ms);
  monitor_options.rebalance = options.has("rebalance") || host.watch_rebalance;
  monitor_options.boot_id = std::string(absl::StripAsciiWhitespace(
      tardis::ReadSmallFile("/proc/sys/kernel/random/boot_id", 64).value_or("unknown-boot")));
  // --cloud's values are checked by the parser (its choices), watch_cloud's by the host
  // configuration's: "auto" is the one name that is not a cloud.
  std::optional<watch::Cloud> cloud = watch::ParseCloud(options.value_or("cloud", host.watch_cloud));

  absl::StatusOr<watch::WatchLock> lock = watch::WatchLock::Acquire(host.state_dir);
  if (!lock.ok()) return Failure("watch", lock.status().message());
  g_wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (g_wake_fd < 0) return Failure("watch", absl::StrCat("eventfd: ", std::strerror(errno)));
  struct sigaction action = {};
  action.sa_handler = &OnStopSignal;
  ::sigemptyset(&action.sa_mask);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  watch::CurlHttpClient http([] { return g_stop.load(); });

  if (!cloud) {
    cloud = watch::DetectCloud(http, monitor_options);
    if (!cloud) {
      const std::string why =
          absl::StrCat("no metadata service of AWS, GCP or Azure answers at ", monitor_options.endpoint);
      context.Log(tardis::LogLevel::kError, absl::StrCat("watch: ", why));
      return Failure("watch", why);
    }
  }
  std::unique_ptr<watch::Monitor> monitor = watch::MakeMonitor(*cloud, monitor_options);
  RealWatchSystem system(context, options, finalize);
  return watch::RunWatch(*monitor, http, system, watch_options);
}

}  // namespace

Command WatchCommand() { return {kSpec, &Run}; }

}  // namespace tardisctl
