// Multi-line text in one-line golden values: \n, \r, \t and \\ are escapes, and a value
// of `<file NAME>` is the content of testdata file NAME (for long, real captures).
#ifndef TARDIS_NODE_GOLDEN_TEXT_H_
#define TARDIS_NODE_GOLDEN_TEXT_H_

#include <string>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/testing/golden.h"

namespace tardis::node::testing {

inline std::string Unescape(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out.push_back(text[i]);
      continue;
    }
    switch (text[++i]) {
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case '\\': out.push_back('\\'); break;
      default:
        out.push_back('\\');
        out.push_back(text[i]);
    }
  }
  return out;
}

// The text a golden value stands for; files are relative to `dir`.
inline std::string GoldenText(absl::string_view value, absl::string_view dir) {
  if (absl::StartsWith(value, "<file ") && absl::EndsWith(value, ">")) {
    const absl::string_view name = value.substr(6, value.size() - 7);
    return tardis::testing::ReadTestFile(absl::StrCat(dir, "/", name));
  }
  return Unescape(value);
}

}  // namespace tardis::node::testing

#endif  // TARDIS_NODE_GOLDEN_TEXT_H_
