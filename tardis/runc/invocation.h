// A runc command line, understood: what tardis-runc received, split into the parts the
// handlers reason about, and turned back into an argv with Rebuild().
//
// Every part remembers where it stood in the original argv, so an unmodified
// Invocation rebuilds to exactly the input (whatever order runc tolerated), and a
// handler that drops or adds options changes only those.
#ifndef TARDIS_RUNC_INVOCATION_H_
#define TARDIS_RUNC_INVOCATION_H_

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/string_view.h>

#include "tardis/runc/grammar.h"

namespace tardis::runc {

// Position of a part a handler added; Rebuild() places such parts just before the
// container id (or the `--` that precedes it).
inline constexpr int kAdded = -1;

// A token that is not an option's: the command name, `--`, the container id, or an
// argument after it. Also each word an option was written with.
struct Word {
  std::string text;
  int position = kAdded;
};

struct Option {
  const OptionSpec* spec = nullptr;  // its entry in grammar.h
  // The value runc will use: the text for value options, "true" or "false" for booleans.
  std::string value;
  // Exactly as written ({"--bundle", "/b"}, {"-b=/b"}, {"--detach"}), each word with its
  // own position: runc's reordering can take a value from a word written before the flag.
  std::vector<Word> written;

  absl::string_view name() const { return spec->name; }
  bool enabled() const { return value == "true"; }
};

struct Invocation {
  // False when runc would reject the argv or Tardis does not know a part of it; then
  // `problem` says what, and only the original argv may be used.
  bool understood = false;
  std::string problem;

  std::vector<Option> global_options;
  std::vector<Word> global_separator;  // a `--` ending the global options, if any
  Word command;                        // canonical name ("" when none); text as written
  std::string command_name;
  std::vector<Option> options;
  std::vector<Word> separator;         // a `--` ending the command's options, if any
  std::vector<Word> container_id;      // at most one
  std::vector<Word> args;              // positional arguments after the id

  // Last element of --root (runc's default root when absent): the containerd namespace.
  std::string ns;

  bool has_command() const { return !command_name.empty(); }
  std::string id() const { return container_id.empty() ? "" : container_id.front().text; }

  // The last occurrence wins, as in runc.
  const Option* FindGlobal(absl::string_view name) const { return Last(global_options, name); }
  const Option* Find(absl::string_view name) const { return Last(options, name); }
  bool Enabled(absl::string_view name) const {
    const Option* option = Find(name);
    return option != nullptr && option->enabled();
  }

  void Remove(absl::string_view name) {
    options.erase(std::remove_if(options.begin(), options.end(),
                                 [&](const Option& o) { return o.name() == name; }),
                  options.end());
  }

 private:
  static const Option* Last(const std::vector<Option>& options, absl::string_view name) {
    for (auto it = options.rbegin(); it != options.rend(); ++it) {
      if (it->name() == name) return &*it;
    }
    return nullptr;
  }
};

// A new option for a handler to append: written `--name value` (or `--name` for a
// boolean that is on).
inline Option MakeOption(const OptionSpec& spec, std::string value = "true") {
  Option option;
  option.spec = &spec;
  option.written.push_back({"--" + std::string(spec.name), kAdded});
  if (spec.kind != ValueKind::kBool) option.written.push_back({value, kAdded});
  option.value = std::move(value);
  return option;
}

// The argv (without the program name) that `invocation` stands for.
inline std::vector<std::string> Rebuild(const Invocation& invocation) {
  // Sort keys: an original word keeps 2*position. An added word of the command goes just
  // before the command's `--` or its id (2*anchor-1), or last when neither exists; an
  // added global option goes first.
  int anchor = 1 << 29;
  for (const auto* words : {&invocation.separator, &invocation.container_id}) {
    for (const Word& w : *words) {
      if (w.position != kAdded) anchor = std::min(anchor, w.position);
    }
  }
  std::vector<std::pair<int, const std::string*>> keyed;
  const auto add = [&](const Word& w, int added_key) {
    keyed.emplace_back(w.position == kAdded ? added_key : 2 * w.position, &w.text);
  };
  for (const Option& o : invocation.global_options) {
    for (const Word& w : o.written) add(w, -1);
  }
  for (const Word& w : invocation.global_separator) add(w, -1);
  if (invocation.has_command()) add(invocation.command, -1);
  for (const Option& o : invocation.options) {
    for (const Word& w : o.written) add(w, 2 * anchor - 1);
  }
  for (const auto* words : {&invocation.separator, &invocation.container_id, &invocation.args}) {
    for (const Word& w : *words) add(w, 2 * anchor - 1);
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> argv;
  argv.reserve(keyed.size());
  for (const auto& [key, text] : keyed) argv.push_back(*text);
  return argv;
}

}  // namespace tardis::runc

#endif  // TARDIS_RUNC_INVOCATION_H_
