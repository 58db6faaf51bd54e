// AzureMonitor: Preempt events from Azure's Scheduled Events service, and their
// acknowledgement once finalize is done.
//
// The VM's own name (which a Preempt event must list in its Resources) is asked once,
// before the first look at the events; until it is known no event is taken for this
// node's. The service is switched on by the first request for events, which may take up
// to two minutes to answer: until one answer has come, that request may take as long.
#ifndef TARDIS_WATCH_AZURE_MONITOR_H_
#define TARDIS_WATCH_AZURE_MONITOR_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/watch/azure.h"
#include "tardis/watch/http.h"
#include "tardis/watch/monitor.h"

namespace tardis::watch {

inline constexpr char kAzureEventsPath[] = "/metadata/scheduledevents?api-version=2020-07-01";
inline constexpr char kAzureNamePath[] = "/metadata/instance/compute/name?api-version=2021-02-01&format=text";
inline constexpr int64_t kAzureFirstAnswerMs = 120000;

class AzureMonitor : public Monitor {
 public:
  explicit AzureMonitor(MonitorOptions options) : options_(std::move(options)) {}

  Cloud cloud() const override { return Cloud::kAzure; }
  std::string Describe() const override {
    return absl::StrCat("Azure Scheduled Events at ", options_.endpoint,
                        vm_name_ ? absl::StrCat(" for VM ", *vm_name_) : std::string());
  }

  PollResult Poll(HttpClient& http, int64_t wall_nanos, int64_t monotonic_nanos) override {
    PollResult result;
    if (!vm_name_) {
      absl::StatusOr<HttpResponse> answer = DoExpectingOk(http, Request(options_, kAzureNamePath));
      if (!answer.ok()) {
        result.problems.push_back(absl::StrCat("this VM's name: ", answer.status().message()));
        return result;
      }
      absl::StatusOr<std::string> name = ParseAzureVmName(answer->body);
      if (!name.ok()) {
        result.problems.push_back(std::string(name.status().message()));
        return result;
      }
      vm_name_ = *name;
      result.notes.push_back(absl::StrCat("this VM is `", *vm_name_, "`"));
    }
    HttpRequest request = Request(options_, kAzureEventsPath);
    if (!answered_) request.total_timeout_ms = std::max<int64_t>(request.total_timeout_ms, kAzureFirstAnswerMs);
    absl::StatusOr<HttpResponse> answer = DoExpectingOk(http, request);
    if (!answer.ok()) {
      result.problems.push_back(std::string(answer.status().message()));
      return result;
    }
    answered_ = true;
    absl::StatusOr<AzureDocument> document = ParseAzureScheduledEvents(answer->body);
    if (!document.ok()) {
      result.problems.push_back(std::string(document.status().message()));
      return result;
    }
    if (document->incarnation != incarnation_) {
      result.notes.push_back(absl::StrCat("scheduled events: incarnation ", document->incarnation, ", ",
                                          document->events.size(), " event(s)"));
      incarnation_ = document->incarnation;
    }
    if (std::optional<AzureEvent> preempt = FindPreemption(*document, *vm_name_)) {
      result.notice = AzureNotice(*preempt, wall_nanos);
    }
    return result;
  }

  absl::Status Acknowledge(HttpClient& http, const Notice& notice) override {
    if (notice.event_id.empty()) return absl::OkStatus();
    HttpRequest request = Request(options_, kAzureEventsPath);
    request.method = "POST";
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = AzureStartRequest(notice.event_id);
    return DoExpectingOk(http, request).status();
  }

  // Is this Azure's instance metadata service? (It names the VM.)
  static bool Probe(HttpClient& http, const MonitorOptions& options) {
    absl::StatusOr<HttpResponse> answer = http.Do(Request(options, kAzureNamePath));
    return answer.ok() && answer->status == 200 && ParseAzureVmName(answer->body).ok();
  }

 private:
  static HttpRequest Request(const MonitorOptions& options, const char* path) {
    return MetadataRequest(options, "GET", path, "Metadata", "true");
  }

  MonitorOptions options_;
  std::optional<std::string> vm_name_;
  bool answered_ = false;
  int64_t incarnation_ = -1;
};

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_AZURE_MONITOR_H_
