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

struct Option {
  const OptionSpec* spec = nullptr;  // its entry in grammar.h
  // The value runc will use: the text for value options, "true" or "false" for booleans.
  std::string value;
  // Exactly as written: {"--bundle", "/b"}, {"-b=/b"}, {"--detach"}, ...
  std::vector<std::string> tokens;
  int position = kAdded;

  absl::string_view name() const { return spec->name; }
  bool enabled() const { return value == "true"; }
};

// A token that is not an option: the command name, `--`, the container id, or an
// argument after it.
struct Word {
  std::string text;
  int position = kAdded;
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
  option.tokens.push_back("--" + std::string(spec.name));
  if (spec.kind != ValueKind::kBool) option.tokens.push_back(value);
  option.value = std::move(value);
  return option;
}

// The argv (without the program name) that `invocation` stands for.
inline std::vector<std::string> Rebuild(const Invocation& invocation) {
  // Sort keys: an original part keeps 2*position. An added command option goes just
  // before the command's `--` or its id (2*anchor-1), or last when neither exists; an
  // added global option goes first.
  int anchor = 1 << 29;
  for (const auto* words : {&invocation.separator, &invocation.container_id}) {
    for (const Word& w : *words) {
      if (w.position != kAdded) anchor = std::min(anchor, w.position);
    }
  }
  const auto key = [&](int position, int added_key) {
    return position == kAdded ? added_key : 2 * position;
  };

  struct Part {
    int key;
    const std::vector<std::string>* tokens;  // an option's tokens, or
    const std::string* word;                 // a single word
  };
  std::vector<Part> parts;
  for (const Option& o : invocation.global_options) {
    parts.push_back({key(o.position, -1), &o.tokens, nullptr});
  }
  for (const Option& o : invocation.options) {
    parts.push_back({key(o.position, 2 * anchor - 1), &o.tokens, nullptr});
  }
  const auto add_words = [&](const std::vector<Word>& words) {
    for (const Word& w : words) parts.push_back({key(w.position, 2 * anchor - 1), nullptr, &w.text});
  };
  add_words(invocation.global_separator);
  if (invocation.has_command()) {
    parts.push_back({key(invocation.command.position, -1), nullptr, &invocation.command.text});
  }
  add_words(invocation.separator);
  add_words(invocation.container_id);
  add_words(invocation.args);
  std::stable_sort(parts.begin(), parts.end(),
                   [](const Part& a, const Part& b) { return a.key < b.key; });

  std::vector<std::string> argv;
  for (const Part& part : parts) {
    if (part.tokens != nullptr) {
      argv.insert(argv.end(), part.tokens->begin(), part.tokens->end());
    } else {
      argv.push_back(*part.word);
    }
  }
  return argv;
}

}  // namespace tardis::runc

#endif  // TARDIS_RUNC_INVOCATION_H_
