// ParseStrictJson(): JSON someone else wrote, parsed without exceptions and refused when
// Tardis could read it differently from runc (Go's encoding/json).
//
//  - A repeated key: Go decodes a repeated object into the same struct, merging the two,
//    where nlohmann keeps only the last; refusing is the only reading that cannot differ.
//  - Nesting deeper than kMaxJsonDepth: far beyond any OCI spec or runc state, and
//    writing JSON back (spec_edit.h) recurses, so a hostile depth could exhaust the stack.
#ifndef TARDIS_CONTAINER_STRICT_JSON_H_
#define TARDIS_CONTAINER_STRICT_JSON_H_

#include <set>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/sys/quote.h"

namespace tardis::container {

inline constexpr int kMaxJsonDepth = 512;

// `Json` is nlohmann::json or nlohmann::ordered_json; `what` names the text in errors.
template <typename Json>
absl::StatusOr<Json> ParseStrictJson(absl::string_view text, absl::string_view what) {
  std::vector<std::set<std::string>> keys;  // one set per open object or array
  bool too_deep = false;
  std::string repeated;
  bool has_repeated = false;
  const typename Json::parser_callback_t check = [&](int depth, typename Json::parse_event_t event,
                                                     Json& parsed) {
    using Event = typename Json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        if (depth >= kMaxJsonDepth) too_deep = true;
        keys.emplace_back();
        break;
      case Event::object_end:
      case Event::array_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Event::key:
        if (!keys.empty() && parsed.is_string() &&
            !keys.back().insert(parsed.template get_ref<const std::string&>()).second &&
            !has_repeated) {
          has_repeated = true;
          repeated = parsed.template get_ref<const std::string&>();
        }
        break;
      case Event::value:
        break;
    }
    return true;
  };
  Json json = Json::parse(text.begin(), text.end(), check, false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON"));
  }
  if (too_deep) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is nested deeper than ", kMaxJsonDepth, " levels"));
  }
  if (has_repeated) {
    return absl::InvalidArgumentError(absl::StrCat(what, " repeats the key ", Quote(repeated)));
  }
  return json;
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_STRICT_JSON_H_
