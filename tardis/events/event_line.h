// ParseEventLine(): one line of `ctr events` output, split into its timestamp (also as
// Unix nanoseconds), namespace, topic and JSON payload; anything ctr would not have
// printed is an error, so tardis-listen never records an exit code from a line it
// misread.
//
// ctr prints each event with fmt.Println(e.Timestamp, e.Namespace, e.Topic, string(out)):
//   2026-11-29 02:52:56.929400799 +0000 UTC default /tasks/exit {"container_id":"c2",...}
//  - the timestamp is Go's time.Time.String(), "2006-01-02 15:04:05.999999999 -0700 MST":
//    a 4-digit year; a fraction of 1 to 9 digits with trailing zeros trimmed, and no dot
//    at all when it is zero; a numeric offset; the zone's abbreviation, which is 3 to 6
//    letters (UTC, CEST) or, for a zone without a name, the offset itself (+03, +0530).
//    The offset, not the abbreviation, says which instant it is. Go never prints -0000,
//    and a time.Time with a monotonic reading ("m=+1.5") is not what ctr prints.
//  - the namespace is a containerd identifier (identifier.h);
//  - the topic is '/' followed by identifiers joined by '/' (containerd's validateTopic);
//  - the payload is the event marshalled by Go's encoding/json: a JSON object, or nothing
//    at all when the event had no body (the line then ends with the topic and a space).
//    Only its shape ('{' ... '}') is checked here: the listener drops every event but
//    /tasks/exit, and ParseExitPayload() (exit_event.h) reads those in full.
// One trailing "\n", "\r\n" or "\r" is ignored. Go's JSON escapes every control
// character, so none may appear anywhere else; the line must be UTF-8 as RE2 checks it
// (which lets encoded surrogates through) and at most kMaxEventLineBytes long,
// terminator excluded.
#ifndef TARDIS_EVENTS_EVENT_LINE_H_
#define TARDIS_EVENTS_EVENT_LINE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <re2/re2.h>

#include "tardis/events/identifier.h"
#include "tardis/events/unix_nanos.h"

namespace tardis::events {

inline constexpr size_t kMaxEventLineBytes = size_t{1} << 20;

struct EventLine {
  std::string timestamp;   // as printed: "2026-11-29 02:52:56.929400799 +0000 UTC"
  int64_t unix_nanos = 0;  // the same instant, UTC nanoseconds since 1970
  std::string ns;
  std::string topic;
  std::string payload;  // "" or a JSON object's text, unparsed
};

namespace event_line_internal {

// The four fields. Written so that RE2 can match it in one pass (every byte leads to
// exactly one place in the pattern), which keeps even a 1 MiB line linear and fast; the
// timestamp's details and the names' lengths are checked afterwards.
inline const RE2& LineRe() {
  static const RE2* const re =
      new RE2(R"((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4} (?:[A-Za-z]+|[+-]\d+)))"
              R"( ([A-Za-z0-9]+(?:[_.-]+[A-Za-z0-9]+)*))"
              R"( ((?:/[A-Za-z0-9]+(?:[_.-]+[A-Za-z0-9]+)*)+))"
              R"( ([^\x00-\x1f]*))");
  return *re;
}

// "9294" -> 929400000.
inline int64_t FractionNanos(absl::string_view digits) {
  int64_t nanos = 0;
  for (size_t i = 0; i < 9; ++i) nanos = nanos * 10 + (i < digits.size() ? digits[i] - '0' : 0);
  return nanos;
}

inline int TwoDigits(absl::string_view s, size_t at) {
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

// The timestamp LineRe() matched: "2006-01-02 15:04:05" at fixed places, then the
// fraction, offset and zone name, held to exactly what Go's time.Time.String() prints.
// (Read by hand rather than by a second pattern: with a group per field RE2 cannot
// match in one pass, and that match alone cost as much as the whole line's.)
inline absl::StatusOr<int64_t> GoTimestampUnixNanos(absl::string_view timestamp) {
  const auto bad = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("timestamp: ", why));
  };
  CivilFields f;
  f.year = TwoDigits(timestamp, 0) * 100 + TwoDigits(timestamp, 2);
  f.month = TwoDigits(timestamp, 5);
  f.day = TwoDigits(timestamp, 8);
  f.hour = TwoDigits(timestamp, 11);
  f.minute = TwoDigits(timestamp, 14);
  f.second = TwoDigits(timestamp, 17);
  absl::string_view rest = timestamp.substr(19);  // [.fraction] +hhmm zone
  if (rest[0] == '.') {
    const absl::string_view digits = rest.substr(1, rest.find(' ') - 1);
    if (digits.size() > 9) return bad("more than 9 fraction digits");
    if (digits.back() == '0') return bad("fraction with a trailing zero");
    f.nanos = FractionNanos(digits);
    rest.remove_prefix(1 + digits.size());
  }
  const absl::string_view offset = rest.substr(1, 5);  // "+0530"
  const absl::string_view zone = rest.substr(7);
  const int offset_hours = TwoDigits(offset, 1);
  const int offset_minutes = TwoDigits(offset, 3);
  if (offset_hours > 23 || offset_minutes > 59) return bad("UTC offset out of range");
  if (offset == "-0000") return bad("offset -0000");
  f.offset_seconds = (offset_hours * 3600 + offset_minutes * 60) * (offset[0] == '-' ? -1 : 1);
  if (zone[0] == '+' || zone[0] == '-') {
    // A zone without a name prints its offset: "+03" (whole hours) or "+0530".
    if (zone != offset &&
        !(zone.size() == 3 && offset.substr(0, 3) == zone && offset.substr(3) == "00")) {
      return bad("numeric zone name is not the offset");
    }
  } else if (zone.size() < 3 || zone.size() > 6) {
    return bad("zone name not 3 to 6 letters");
  }
  absl::StatusOr<int64_t> nanos = UnixNanosFromCivil(f);
  if (!nanos.ok()) return bad(nanos.status().message());
  return nanos;
}

}  // namespace event_line_internal

inline absl::StatusOr<EventLine> ParseEventLine(absl::string_view line) {
  using namespace event_line_internal;
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return absl::InvalidArgumentError("empty line");
  if (line.size() > kMaxEventLineBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("line longer than ", kMaxEventLineBytes, " bytes"));
  }
  re2::StringPiece fields[5];
  if (!LineRe().Match(re2::StringPiece(line.data(), line.size()), 0, line.size(), RE2::ANCHOR_BOTH,
                      fields, 5)) {
    return absl::InvalidArgumentError(
        "not a `ctr events` line: <timestamp> <namespace> <topic> <json>");
  }
  const auto view = [](re2::StringPiece p) { return absl::string_view(p.data(), p.size()); };
  const absl::string_view timestamp = view(fields[1]);
  const absl::string_view ns = view(fields[2]);
  const absl::string_view topic = view(fields[3]);
  const absl::string_view payload = view(fields[4]);

  if (!IsContainerdIdentifier(ns)) {
    return absl::InvalidArgumentError(
        absl::StrCat("namespace longer than ", kMaxIdentifierBytes, " bytes"));
  }
  for (absl::string_view component : absl::StrSplit(topic.substr(1), '/')) {
    if (!IsContainerdIdentifier(component)) {
      return absl::InvalidArgumentError(
          absl::StrCat("topic has a component longer than ", kMaxIdentifierBytes, " bytes"));
    }
  }
  if (!payload.empty() && (payload.front() != '{' || payload.back() != '}')) {
    return absl::InvalidArgumentError("payload is not a JSON object");
  }
  absl::StatusOr<int64_t> unix_nanos = GoTimestampUnixNanos(timestamp);
  if (!unix_nanos.ok()) return unix_nanos.status();

  EventLine event;
  event.timestamp = std::string(timestamp);
  event.unix_nanos = *unix_nanos;
  event.ns = std::string(ns);
  event.topic = std::string(topic);
  event.payload = std::string(payload);
  return event;
}

}  // namespace tardis::events

#endif  // TARDIS_EVENTS_EVENT_LINE_H_
