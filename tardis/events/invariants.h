// CheckInvariants(): what must hold for any input to the event parsers, whatever the
// input; the golden tests run it on every fixture and the fuzz target on everything it
// makes up. Returns "" or the first broken property.
//  - an accepted line is exactly its four fields joined by spaces, within the size limit;
//  - its unix_nanos, printed back at the line's own offset, is the printed timestamp
//    (an independent check of the date arithmetic, through absl's time zone code);
//  - MatchRecordableExit() agrees with ParseEventLine() and ParseExitPayload();
//  - an accepted payload re-encoded both ways containerd writes it (1.6's RFC 3339
//    exited_at and 1.7's {"seconds","nanos"}) parses back to the same ExitEvent.
#ifndef TARDIS_EVENTS_INVARIANTS_H_
#define TARDIS_EVENTS_INVARIANTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

#include "tardis/events/event_line.h"
#include "tardis/events/exit_event.h"
#include "tardis/events/identifier.h"
#include "tardis/events/unix_nanos.h"

namespace tardis::events {

namespace invariants_internal {

inline bool SameExit(const ExitEvent& a, const ExitEvent& b) {
  return a.container_id == b.container_id && a.id == b.id && a.pid == b.pid &&
         a.exit_status == b.exit_status && a.exited_at_unix_nanos == b.exited_at_unix_nanos;
}

// "2026-11-29 08:22:56.5 +0530 IST" -> is 2026-11-29T02:52:56.5Z at +0530 printed so?
inline std::string CheckTimestamp(const EventLine& event) {
  const std::vector<absl::string_view> parts = absl::StrSplit(event.timestamp, ' ');
  if (parts.size() != 4 || parts[2].size() != 5) return "timestamp has not 4 parts";
  int hours = 0, minutes = 0;
  if (!absl::SimpleAtoi(parts[2].substr(1, 2), &hours) ||
      !absl::SimpleAtoi(parts[2].substr(3, 2), &minutes)) {
    return "timestamp offset is not digits";
  }
  const int offset = (hours * 3600 + minutes * 60) * (parts[2][0] == '-' ? -1 : 1);
  const std::string printed = absl::FormatTime(
      "%Y-%m-%d %H:%M:%E*S %z", absl::FromUnixNanos(event.unix_nanos), absl::FixedTimeZone(offset));
  const std::string expected = absl::StrCat(parts[0], " ", parts[1], " ", parts[2]);
  if (printed != expected) return absl::StrCat("unix_nanos prints as ", printed);
  return "";
}

inline std::string CheckLine(absl::string_view input) {
  const absl::StatusOr<EventLine> event = ParseEventLine(input);
  const absl::StatusOr<ExitLineMatch> match = MatchRecordableExit(input);
  if (!event.ok()) {
    if (match.ok() || match.status() != event.status()) return "match accepts a rejected line";
    return "";
  }
  absl::string_view body = input;
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  if (!body.empty() && body.back() == '\r') body.remove_suffix(1);
  if (absl::StrCat(event->timestamp, " ", event->ns, " ", event->topic, " ", event->payload) !=
      body) {
    return "fields do not join back into the line";
  }
  if (body.size() > kMaxEventLineBytes) return "over-long line accepted";
  if (!IsContainerdIdentifier(event->ns)) return "namespace is not an identifier";
  if (event->topic.empty() || event->topic[0] != '/') return "topic without '/'";
  if (!event->payload.empty() && (event->payload.front() != '{' || event->payload.back() != '}')) {
    return "payload is not an object's shape";
  }
  if (std::string problem = CheckTimestamp(*event); !problem.empty()) return problem;

  const absl::StatusOr<ExitEvent> exit = ParseExitPayload(event->payload);
  if (event->topic != kExitTopic) {
    if (!match.ok() || match->kind != ExitLineKind::kNotExit) return "non-exit not dropped";
  } else if (!exit.ok()) {
    if (match.ok() || match.status() != exit.status()) return "bad exit payload matched";
  } else {
    if (!match.ok()) return "valid exit not matched";
    const bool own = exit->id == exit->container_id;
    if (match->kind != (own ? ExitLineKind::kRecord : ExitLineKind::kExecExit)) {
      return "exit kind wrong";
    }
    if (!SameExit(match->exit, *exit)) return "match's exit differs from the payload's";
  }
  if (match.ok() && (match->ns != event->ns || match->topic != event->topic ||
                     match->event_unix_nanos != event->unix_nanos)) {
    return "match's line fields differ";
  }
  return "";
}

inline std::string CheckPayload(absl::string_view json) {
  const absl::StatusOr<ExitEvent> exit = ParseExitPayload(json);
  if (!exit.ok()) return "";
  if (!IsContainerdIdentifier(exit->container_id) || !IsContainerdIdentifier(exit->id)) {
    return "id is not an identifier";
  }
  nlohmann::json v16 = {{"container_id", exit->container_id}, {"id", exit->id}};
  if (exit->pid != 0) v16["pid"] = exit->pid;
  if (exit->exit_status != 0) v16["exit_status"] = exit->exit_status;
  nlohmann::json v17 = v16;
  if (exit->exited_at_unix_nanos != 0) {
    v16["exited_at"] = FormatUnixNanos(exit->exited_at_unix_nanos);
    int64_t seconds = exit->exited_at_unix_nanos / 1'000'000'000;
    int64_t nanos = exit->exited_at_unix_nanos % 1'000'000'000;
    if (nanos < 0) seconds -= 1, nanos += 1'000'000'000;
    v17["exited_at"] = nlohmann::json::object();
    if (seconds != 0) v17["exited_at"]["seconds"] = seconds;
    if (nanos != 0) v17["exited_at"]["nanos"] = nanos;
  }
  for (const nlohmann::json& again : {v16, v17}) {
    const absl::StatusOr<ExitEvent> reparsed = ParseExitPayload(again.dump());
    if (!reparsed.ok()) return absl::StrCat("re-encoded payload rejected: ", again.dump());
    if (!SameExit(*reparsed, *exit))
      return absl::StrCat("re-encoded payload differs: ", again.dump());
  }
  return "";
}

}  // namespace invariants_internal

// `input` is tried both as a line and as a payload.
inline std::string CheckInvariants(absl::string_view input) {
  if (std::string problem = invariants_internal::CheckLine(input); !problem.empty()) {
    return absl::StrCat("as a line: ", problem);
  }
  if (std::string problem = invariants_internal::CheckPayload(input); !problem.empty()) {
    return absl::StrCat("as a payload: ", problem);
  }
  const absl::StatusOr<EventLine> event = ParseEventLine(input);
  if (event.ok()) {
    if (std::string problem = invariants_internal::CheckPayload(event->payload); !problem.empty()) {
      return absl::StrCat("its payload: ", problem);
    }
  }
  return "";
}

}  // namespace tardis::events

#endif  // TARDIS_EVENTS_INVARIANTS_H_
