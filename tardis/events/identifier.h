// IsContainerdIdentifier(): whether a name could be a containerd namespace, container id
// or process id, so that the listener can key state by it without second thoughts.
//
// The rule: 1 to 76 bytes of [A-Za-z0-9_.-], starting and ending with a letter or digit.
// containerd 1.6/1.7 validate every such name with `identifiers.Validate`, which is a
// little stricter (no two separators in a row) and, since containerd 2.0, allows 255
// bytes. Anything that passes is safe as one path component: no '/', never "." or "..".
#ifndef TARDIS_EVENTS_IDENTIFIER_H_
#define TARDIS_EVENTS_IDENTIFIER_H_

#include <cstddef>

#include <absl/strings/ascii.h>
#include <absl/strings/string_view.h>

namespace tardis::events {

// containerd 1.6/1.7's maxLength.
inline constexpr size_t kMaxIdentifierBytes = 76;

inline bool IsContainerdIdentifier(absl::string_view s) {
  if (s.empty() || s.size() > kMaxIdentifierBytes) return false;
  const auto alnum = [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace tardis::events

#endif  // TARDIS_EVENTS_IDENTIFIER_H_
