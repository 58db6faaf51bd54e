// Quote(): how a string someone else wrote (a container's env, an archive entry name, a
// path) appears in an error message. Errors end up in the log, one line each, so a value
// must not be able to break a line or forge one: it is C-escaped, quoted, and cut to a
// readable length.
#ifndef TARDIS_SYS_QUOTE_H_
#define TARDIS_SYS_QUOTE_H_

#include <string>

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

namespace tardis {

inline std::string Quote(absl::string_view text, size_t limit = 300) {
  if (text.size() <= limit) return absl::StrCat("\"", absl::CHexEscape(text), "\"");
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, limit)), "\"...");
}

}  // namespace tardis

#endif  // TARDIS_SYS_QUOTE_H_
