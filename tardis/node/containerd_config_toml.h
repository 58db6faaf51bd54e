// containerd's config as a real TOML parser (toml++) reads it: the version it declares,
// where a table is defined, and whether an edited text reads as exactly what the edit
// meant. containerd_config_edit.h edits the file line by line (so that uninstall can
// restore it byte for byte, which no TOML library's writer does); this is what tells it
// which table to edit, and what refuses an edit whose result would read differently
// from what was intended (a key the line reader did not recognise, a table it misplaced)
// before anything is written.
#ifndef TARDIS_NODE_CONTAINERD_CONFIG_TOML_H_
#define TARDIS_NODE_CONTAINERD_CONFIG_TOML_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <toml++/toml.h>

namespace tardis::node::containerd_toml {

// The whole document; InvalidArgument "line L, column C: what" where it is not TOML.
inline absl::StatusOr<::toml::table> Parse(absl::string_view text) {
  ::toml::parse_result result = ::toml::parse(std::string_view(text.data(), text.size()));
  if (!result) {
    const ::toml::parse_error& error = result.error();
    const std::string_view what = error.description();  // a std::string_view, which Debian's absl is not
    return absl::InvalidArgumentError(absl::StrCat("line ", error.source().begin.line, ", column ",
                                                   error.source().begin.column, ": ",
                                                   absl::string_view(what.data(), what.size())));
  }
  return std::move(result).table();
}

// The node at `path` (keys as decoded), or nullptr.
inline const ::toml::node* At(const ::toml::table& root, const std::vector<std::string>& path) {
  const ::toml::node* node = &root;
  for (const std::string& key : path) {
    const ::toml::table* table = node->as_table();
    if (table == nullptr) return nullptr;
    node = table->get(key);
    if (node == nullptr) return nullptr;
  }
  return node;
}

// The table at `path`, with empty tables made where there are none; nullptr when
// something other than a table is in the way.
inline ::toml::table* TableAt(::toml::table& root, const std::vector<std::string>& path) {
  ::toml::table* table = &root;
  for (const std::string& key : path) {
    ::toml::node* node = table->get(key);
    if (node == nullptr) node = &table->insert(key, ::toml::table{}).first->second;
    table = node->as_table();
    if (table == nullptr) return nullptr;
  }
  return table;
}

// The 1-based line where toml++ says the table at `path` begins, when it is a table of
// its own (not inline, not one of an array's). For a table with a header that is its
// header's line; the caller checks that the line is that header (a table made only
// implicitly, by a deeper header or a dotted key, begins elsewhere).
inline std::optional<size_t> TableLine(const ::toml::table& root, const std::vector<std::string>& path) {
  const ::toml::node* node = At(root, path);
  if (node == nullptr || !node->is_table() || node->as_table()->is_inline()) return std::nullopt;
  return static_cast<size_t>(node->source().begin.line);
}

// The top-level `version`: absent (containerd's v1), or its value and line. `value` is
// nullopt when it is not an integer.
struct Version {
  bool present = false;
  std::optional<int64_t> value;
  size_t line = 0;
};

inline Version VersionOf(const ::toml::table& root) {
  Version version;
  const ::toml::node* node = root.get("version");
  if (node == nullptr) return version;
  version.present = true;
  version.line = node->source().begin.line;
  if (const ::toml::value<int64_t>* number = node->as_integer()) version.value = number->get();
  return version;
}

// OK when `edited` reads as exactly `intended`, every key and value (comments, layout
// and key order aside); otherwise why not, naming `intent`.
inline absl::Status VerifyEdit(absl::string_view edited, const ::toml::table& intended, absl::string_view intent) {
  absl::StatusOr<::toml::table> parsed = Parse(edited);
  if (!parsed.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("refused: the edited config would not be TOML (",
                                                      parsed.status().message(), "); make the change (", intent,
                                                      ") yourself"));
  }
  if (!(*parsed == intended)) {
    return absl::FailedPreconditionError(absl::StrCat("refused: the edited config would not read as intended (",
                                                      intent, ", all else unchanged); make the change yourself"));
  }
  return absl::OkStatus();
}

}  // namespace tardis::node::containerd_toml

#endif  // TARDIS_NODE_CONTAINERD_CONFIG_TOML_H_
