// A Monitor watches one cloud's metadata service for spot notices: each Poll asks it once
// (one or a few requests) and turns the answers into at most one Notice, plus the
// problems met on the way (no answer, a 5xx, a body that does not parse: each one line,
// for the log; polling goes on). Acting on notices is the watch loop's job
// (watch_loop.h), not the monitor's: a monitor never finalizes.
//
// One monitor per cloud (aws_monitor.h, gcp_monitor.h, azure_monitor.h); each keeps what
// it needs between polls (AWS's session token, GCP's ETag, Azure's VM name).
#ifndef TARDIS_WATCH_MONITOR_H_
#define TARDIS_WATCH_MONITOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/watch/http.h"
#include "tardis/watch/notice.h"

namespace tardis::watch {

// Every cloud's metadata service answers at this link-local address.
inline constexpr char kDefaultEndpoint[] = "http://169.254.169.254";

struct MonitorOptions {
  std::string endpoint = kDefaultEndpoint;  // scheme://host[:port], no trailing slash
  int64_t connect_timeout_ms = 1000;
  int64_t timeout_ms = 2000;  // a whole request (a long poll adds its own wait)
  // AWS: also watch the rebalance recommendation, a notice without a deadline.
  bool rebalance = false;
  int64_t rebalance_deadline_nanos = 120LL * 1000000000;
  int64_t token_ttl_seconds = 21600;  // what the session token is asked for
  // GCP: how long one long poll may wait for a change.
  int64_t long_poll_seconds = 60;
  // GCP: the node's boot id (part of the notice's key).
  std::string boot_id;
};

struct PollResult {
  std::optional<Notice> notice;
  std::vector<std::string> problems;  // for the log at WARNING
  std::vector<std::string> notes;     // for the log at INFO (token renewed, ...)
};

class Monitor {
 public:
  virtual ~Monitor() = default;
  virtual Cloud cloud() const = 0;
  // Where it polls, for the log.
  virtual std::string Describe() const = 0;
  virtual PollResult Poll(HttpClient& http, int64_t wall_nanos, int64_t monotonic_nanos) = 0;
  // True when the next Poll waits at the service for a change (GCP's long poll): then
  // the watcher asks again at once instead of after its interval.
  virtual bool WaitsForChange() const { return false; }
  // After finalize: tells the cloud the node is ready (Azure); nothing elsewhere.
  virtual absl::Status Acknowledge(HttpClient& http, const Notice& notice) { return absl::OkStatus(); }
};

// A request to the service at `path`, with one header and the options' timeouts.
inline HttpRequest MetadataRequest(const MonitorOptions& options, absl::string_view method, absl::string_view path,
                                   std::string header, std::string value) {
  HttpRequest request;
  request.method = std::string(method);
  request.url = absl::StrCat(options.endpoint, path);
  request.headers = {{std::move(header), std::move(value)}};
  request.connect_timeout_ms = options.connect_timeout_ms;
  request.total_timeout_ms = options.timeout_ms;
  return request;
}

// "GET <url> answered 503" and the like: one line naming what was asked and what came.
inline std::string UnexpectedStatus(const HttpRequest& request, const HttpResponse& response) {
  return absl::StrCat(DescribeRequest(request), " answered ", response.status);
}

// The answer, when the service answered 200; otherwise why not, as one line: the
// transport's error, or UnexpectedStatus (UNAVAILABLE). Every metadata call expects 200.
inline absl::StatusOr<HttpResponse> DoExpectingOk(HttpClient& http, const HttpRequest& request) {
  absl::StatusOr<HttpResponse> answer = http.Do(request);
  if (!answer.ok()) return answer.status();
  if (answer->status != 200) return absl::UnavailableError(UnexpectedStatus(request, *answer));
  return answer;
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_MONITOR_H_
