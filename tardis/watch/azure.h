// What Azure's Scheduled Events service answers, read strictly, and the acknowledgement
// Tardis sends back:
//   GET  /metadata/scheduledevents?api-version=2020-07-01   (Metadata: true)
//     {"DocumentIncarnation": N, "Events": [{"EventId": "...", "EventType": "Preempt",
//      "ResourceType": "VirtualMachine", "Resources": ["vm"], "EventStatus": "Scheduled",
//      "NotBefore": "Mon, 19 Sep 2016 18:29:47 GMT", ...}]}
//   POST the same URL with {"StartRequests": [{"EventId": "..."}]}
// Events are delivered to every VM of an availability set or scale-set placement group,
// so a Preempt event is this node's notice only when its Resources name this VM (its
// compute name, GET /metadata/instance/compute/name). NotBefore is the deadline; it is
// empty once the event has started, and then the deadline is 30 s (Preempt's minimum
// notice) after the event was seen. One malformed event makes the whole answer bad.
#ifndef TARDIS_WATCH_AZURE_H_
#define TARDIS_WATCH_AZURE_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>
#include <nlohmann/json.hpp>

#include "tardis/sys/json_fields.h"
#include "tardis/watch/aws.h"
#include "tardis/watch/notice.h"
#include "tardis/watch/timestamps.h"

namespace tardis::watch {

inline constexpr int64_t kAzurePreemptNoticeNanos = 30LL * 1000000000;

struct AzureEvent {
  std::string id;
  std::string type;           // Freeze, Reboot, Redeploy, Preempt, Terminate, ...
  std::string resource_type;  // VirtualMachine
  std::vector<std::string> resources;
  std::string status;  // Scheduled, Started
  std::string not_before;  // as Azure wrote it; empty once started
  std::optional<int64_t> not_before_unix_nanos;

  bool operator==(const AzureEvent&) const = default;
};

struct AzureDocument {
  int64_t incarnation = 0;
  std::vector<AzureEvent> events;
};

namespace azure_internal {

inline absl::Status Bad(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("scheduledevents: ", why));
}

using json_fields::GetString;

// Event ids are GUIDs; they go into a JSON body, a log line and acted.json.
inline bool ValidEventId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

}  // namespace azure_internal

inline absl::StatusOr<AzureDocument> ParseAzureScheduledEvents(absl::string_view body) {
  using azure_internal::Bad;
  if (body.size() > kMaxMetadataBodyBytes) return Bad("answer too long");
  const nlohmann::json json = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (json.is_discarded()) return Bad("not JSON");
  if (!json.is_object()) return Bad("not a JSON object");
  AzureDocument document;
  const auto incarnation = json.find("DocumentIncarnation");
  if (incarnation == json.end() || !incarnation->is_number_integer()) return Bad("no DocumentIncarnation number");
  document.incarnation = incarnation->get<int64_t>();
  const auto events = json.find("Events");
  if (events == json.end() || !events->is_array()) return Bad("no Events array");
  for (const nlohmann::json& item : *events) {
    if (!item.is_object()) return Bad("an event is not an object");
    AzureEvent event;
    if (!azure_internal::GetString(item, "EventId", &event.id)) return Bad("an event has no EventId");
    if (!azure_internal::ValidEventId(event.id)) return Bad("an EventId is not a GUID");
    if (!azure_internal::GetString(item, "EventType", &event.type) ||
        !azure_internal::GetString(item, "ResourceType", &event.resource_type) ||
        !azure_internal::GetString(item, "EventStatus", &event.status) ||
        !azure_internal::GetString(item, "NotBefore", &event.not_before)) {
      return Bad(absl::StrCat("event ", event.id, " lacks EventType, ResourceType, EventStatus or NotBefore"));
    }
    const auto resources = item.find("Resources");
    if (resources == item.end() || !resources->is_array()) return Bad(absl::StrCat("event ", event.id, " has no Resources"));
    for (const nlohmann::json& resource : *resources) {
      if (!resource.is_string()) return Bad(absl::StrCat("event ", event.id, ": a resource is not a string"));
      event.resources.push_back(resource.get<std::string>());
    }
    if (!event.not_before.empty()) {
      absl::StatusOr<int64_t> when = ParseRfc1123(event.not_before);
      if (!when.ok()) return Bad(absl::StrCat("event ", event.id, ": NotBefore: ", when.status().message()));
      event.not_before_unix_nanos = *when;
    }
    document.events.push_back(std::move(event));
  }
  return document;
}

// This VM's Preempt event, if there is one (the first, in the document's order).
inline std::optional<AzureEvent> FindPreemption(const AzureDocument& document, absl::string_view vm_name) {
  for (const AzureEvent& event : document.events) {
    if (event.type != "Preempt" || event.resource_type != "VirtualMachine") continue;
    if (event.status != "Scheduled" && event.status != "Started") continue;
    if (std::find(event.resources.begin(), event.resources.end(), vm_name) == event.resources.end()) continue;
    return event;
  }
  return std::nullopt;
}

inline Notice AzureNotice(const AzureEvent& event, int64_t seen_unix_nanos) {
  Notice notice;
  notice.cloud = Cloud::kAzure;
  notice.kind = "scheduled-event";
  notice.action = "preempt";
  notice.key = absl::StrCat("azure:", event.id);
  notice.event_id = event.id;
  notice.dated_unix_nanos = event.not_before_unix_nanos.value_or(seen_unix_nanos);
  notice.deadline_unix_nanos = event.not_before_unix_nanos.value_or(seen_unix_nanos + kAzurePreemptNoticeNanos);
  return notice;
}

// The body that approves an event (lets Azure go ahead before NotBefore).
inline std::string AzureStartRequest(absl::string_view event_id) {
  nlohmann::json request = nlohmann::json::object();
  request["EventId"] = std::string(event_id);
  nlohmann::json body = nlohmann::json::object();
  body["StartRequests"] = nlohmann::json::array({request});
  return body.dump();
}

// The VM's name from GET /metadata/instance/compute/name?format=text.
inline absl::StatusOr<std::string> ParseAzureVmName(absl::string_view body) {
  const absl::string_view name = absl::StripTrailingAsciiWhitespace(body);
  if (name.empty()) return absl::InvalidArgumentError("compute/name: empty");
  if (name.size() > 256) return absl::InvalidArgumentError("compute/name: too long");
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return absl::InvalidArgumentError("compute/name: control characters");
  }
  return std::string(name);
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_AZURE_H_
