// GcpMonitor: preemption from GCP's metadata server, by long polling.
//
// The first poll asks `instance/preempted` plainly (an instance preempted before the
// watcher started must not wait for a change that already happened) and keeps the
// answer's ETag; every later poll is a long poll,
// `?wait_for_change=true&timeout_sec=N&last_etag=E`, which the server answers as soon as
// the value differs from E (or after N seconds, unchanged). The request's total timeout
// is the long poll's wait plus the usual timeout. A TRUE is the notice; its deadline is
// 30 s after it was seen.
#ifndef TARDIS_WATCH_GCP_MONITOR_H_
#define TARDIS_WATCH_GCP_MONITOR_H_

#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/watch/gcp.h"
#include "tardis/watch/http.h"
#include "tardis/watch/monitor.h"

namespace tardis::watch {

inline constexpr char kGcpPreemptedPath[] = "/computeMetadata/v1/instance/preempted";

class GcpMonitor : public Monitor {
 public:
  explicit GcpMonitor(MonitorOptions options) : options_(std::move(options)) {}

  Cloud cloud() const override { return Cloud::kGcp; }
  std::string Describe() const override {
    return absl::StrCat("GCP metadata server at ", options_.endpoint, " (long polls of ", options_.long_poll_seconds,
                        " s)");
  }

  PollResult Poll(HttpClient& http, int64_t wall_nanos, int64_t monotonic_nanos) override {
    PollResult result;
    HttpRequest request = Request(options_);
    if (etag_) {
      absl::StrAppend(&request.url, "?wait_for_change=true&timeout_sec=", options_.long_poll_seconds, "&last_etag=",
                      *etag_);
      request.total_timeout_ms += options_.long_poll_seconds * 1000;
    }
    absl::StatusOr<HttpResponse> answer = DoExpectingOk(http, request);
    if (!answer.ok()) {
      result.problems.push_back(std::string(answer.status().message()));
      return result;
    }
    absl::StatusOr<bool> preempted = ParseGcpPreempted(answer->Header("Metadata-Flavor"), answer->body);
    if (!preempted.ok()) {
      result.problems.push_back(std::string(preempted.status().message()));
      return result;
    }
    etag_ = UsableEtag(answer->Header("ETag"));
    if (*preempted) result.notice = GcpNotice(wall_nanos, options_.boot_id);
    return result;
  }

  bool WaitsForChange() const override { return etag_.has_value(); }

  // Is this GCP's metadata server? (It answers with Metadata-Flavor: Google.)
  static bool Probe(HttpClient& http, const MonitorOptions& options) {
    absl::StatusOr<HttpResponse> answer = http.Do(Request(options));
    return answer.ok() && answer->status == 200 && answer->Header("Metadata-Flavor") == "Google";
  }

 private:
  static HttpRequest Request(const MonitorOptions& options) {
    return MetadataRequest(options, "GET", kGcpPreemptedPath, "Metadata-Flavor", "Google");
  }

  MonitorOptions options_;
  std::optional<std::string> etag_;
};

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_GCP_MONITOR_H_
