// Changing one setting of tardis.conf (`tardisctl log`), leaving every other byte as the
// operator wrote it: their comments, order, spacing and line endings.
//
// The line that counts is the last one for the key (ParseHostConfig lets a later line
// win), so that is the one rewritten: only its value, between `=` and a trailing comment.
// A key that is absent is appended as `key = value`.
#ifndef TARDIS_NODE_HOST_CONFIG_EDIT_H_
#define TARDIS_NODE_HOST_CONFIG_EDIT_H_

#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>

#include "tardis/log/level.h"
#include "tardis/node/toml_lines.h"

namespace tardis::node {

// A log level as tardis.conf spells it (DEBUG, INFO, WARNING, ERROR), from any case.
inline absl::StatusOr<std::string> CanonicalLogLevel(absl::string_view level) {
  const std::optional<LogLevel> parsed = ParseLogLevel(level);
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat("log level must be DEBUG, INFO, WARNING or ERROR, not `", level, "`"));
  }
  return std::string(LogLevelName(*parsed));
}

// A value tardis.conf can hold on one line and read back unchanged: no line breaks, no
// `#` (it would start a comment), no spaces at either end (they are stripped).
inline absl::Status ValidateConfigValue(absl::string_view key, absl::string_view value) {
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return absl::InvalidArgumentError(absl::StrCat(key, " must not contain control characters"));
    if (c == '#') return absl::InvalidArgumentError(absl::StrCat(key, " must not contain `#` (it starts a comment)"));
  }
  if (value != absl::StripAsciiWhitespace(value)) {
    return absl::InvalidArgumentError(absl::StrCat(key, " must not start or end with spaces"));
  }
  return absl::OkStatus();
}

inline absl::Status ValidateLogFile(absl::string_view path) {
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("log file must be an absolute path, not `", path, "`"));
  }
  return ValidateConfigValue("log file", path);
}

// `text` with `key` set to `value` (validated by the caller).
inline std::string SetHostConfigValue(absl::string_view text, absl::string_view key, absl::string_view value) {
  std::vector<toml::Line> lines = toml::SplitLines(text);
  std::optional<size_t> last;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view content = lines[i].content;
    if (const size_t hash = content.find('#'); hash != absl::string_view::npos) content = content.substr(0, hash);
    const size_t eq = content.find('=');
    if (eq == absl::string_view::npos) continue;
    if (absl::StripAsciiWhitespace(content.substr(0, eq)) == key) last = i;
  }
  if (!last) {
    const std::string eol = toml::LineEndingOf(lines);
    if (!lines.empty() && lines.back().ending.empty()) lines.back().ending = eol;
    lines.push_back({absl::StrCat(key, " = ", value), eol});
    return toml::JoinLines(lines);
  }
  std::string& content = lines[*last].content;
  const size_t eq = content.find('=');
  size_t start = eq + 1;
  while (start < content.size() && (content[start] == ' ' || content[start] == '\t')) ++start;
  size_t end = content.find('#', start);
  if (end == std::string::npos) end = content.size();
  while (end > start && (content[end - 1] == ' ' || content[end - 1] == '\t' || content[end - 1] == '\r')) --end;
  std::string prefix = content.substr(0, start);
  if (start == eq + 1) prefix.push_back(' ');  // `key =value` or `key =` gets its space
  std::string suffix = content.substr(end);
  // A comment right after the value needs the space that separated it.
  if (!suffix.empty() && suffix.front() == '#') suffix.insert(suffix.begin(), ' ');
  content = absl::StrCat(prefix, value, suffix);
  return toml::JoinLines(lines);
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_HOST_CONFIG_EDIT_H_
