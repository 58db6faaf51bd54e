// ParseOptions(): one tardisctl command's options, by that command's list of what it
// accepts. Every mistake is an error naming the option (an unknown option, a missing or
// unexpected value, an option given twice, a value not among its choices, a stray
// argument): a CLI that a spot-reclaim hook or an installer script calls must never guess
// what was meant. The same list is what `--help` shows (options_help.h), so an option is
// described where it is accepted, once.
#ifndef TARDIS_NODE_OPTIONS_H_
#define TARDIS_NODE_OPTIONS_H_

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/string_view.h>

namespace tardis::node {

struct OptionSpec {
  OptionSpec(std::string name, std::string value, std::string help, std::vector<std::string> choices = {})
      : name(std::move(name)), value(std::move(value)), help(std::move(help)), choices(std::move(choices)) {}

  std::string name;   // without the dashes: "parallel"
  std::string value;  // what the help calls its value ("N", "DIR"); "" with no choices: a flag
  std::string help;   // for --help; a '\n' starts a continuation line
  // When not empty, the only values accepted: the help shows them as the value
  // ("config|path") and a value outside them is a usage error, checked here once.
  std::vector<std::string> choices;

  bool takes_value() const { return !value.empty() || !choices.empty(); }
  std::string value_name() const { return value.empty() ? absl::StrJoin(choices, "|") : value; }
};

struct ParsedOptions {
  bool help = false;
  std::map<std::string, std::string> values;  // options with a value
  std::set<std::string> flags;                // options without one

  bool has(const std::string& name) const { return values.count(name) != 0 || flags.count(name) != 0; }
  std::string value_or(const std::string& name, std::string fallback) const {
    auto it = values.find(name);
    return it == values.end() ? std::move(fallback) : it->second;
  }
};

// "a, b or c".
inline std::string OneOf(const std::vector<std::string>& choices) {
  if (choices.size() < 2) return absl::StrJoin(choices, "");
  return absl::StrCat(absl::StrJoin(choices.begin(), choices.end() - 1, ", "), " or ", choices.back());
}

// `args`: what follows the command name. `--name value` and `--name=value` both work;
// `-h`/`--help` anywhere asks for help (and nothing else is checked).
inline absl::StatusOr<ParsedOptions> ParseOptions(const std::vector<std::string>& args,
                                                  const std::vector<OptionSpec>& spec) {
  ParsedOptions parsed;
  for (const std::string& arg : args) {
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      return parsed;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!absl::StartsWith(arg, "--") || arg == "--") {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument `", arg, "`"));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* option = nullptr;
    for (const OptionSpec& candidate : spec) {
      if (candidate.name == name) option = &candidate;
    }
    if (option == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
    if (parsed.has(name)) return absl::InvalidArgumentError(absl::StrCat("--", name, " is given twice"));
    if (!option->takes_value()) {
      if (inline_value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      parsed.flags.insert(name);
      continue;
    }
    if (inline_value) {
      parsed.values[name] = *inline_value;
    } else {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      parsed.values[name] = args[++i];
    }
    if (parsed.values[name].empty()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
  }
  // After the whole line parsed: a misspelt option is reported before a value it follows.
  for (const OptionSpec& option : spec) {
    auto given = parsed.values.find(option.name);
    if (option.choices.empty() || given == parsed.values.end()) continue;
    if (std::find(option.choices.begin(), option.choices.end(), given->second) == option.choices.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--", option.name, " must be ", OneOf(option.choices), ", not `",
                                                     given->second, "`"));
    }
  }
  return parsed;
}

// A whole number in [min, max] for option `name`.
inline absl::StatusOr<int> ParseCount(absl::string_view name, absl::string_view text, int min, int max) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " must be a whole number from ", min, " to ", max,
                                                   ", not `", text, "`"));
  }
  return value;
}

// An option that sets a field of the command's options struct as given (its text, or true
// for a flag), so that such an option is named once: in its spec, beside its field.
template <typename Fields>
struct FieldOption {
  FieldOption(OptionSpec spec, std::string Fields::*text) : spec(std::move(spec)), text(text) {}
  FieldOption(OptionSpec spec, bool Fields::*flag) : spec(std::move(spec)), flag(flag) {}

  OptionSpec spec;
  std::string Fields::*text = nullptr;
  bool Fields::*flag = nullptr;
};

template <typename Fields>
std::vector<OptionSpec> SpecsOf(const std::vector<FieldOption<Fields>>& options) {
  std::vector<OptionSpec> specs;
  for (const FieldOption<Fields>& option : options) specs.push_back(option.spec);
  return specs;
}

// Sets the fields of the options given; the others keep what `fields` held (the defaults).
template <typename Fields>
void SetFields(const ParsedOptions& parsed, const std::vector<FieldOption<Fields>>& options, Fields* fields) {
  for (const FieldOption<Fields>& option : options) {
    if (!parsed.has(option.spec.name)) continue;
    if (option.text != nullptr) fields->*option.text = parsed.value_or(option.spec.name, "");
    if (option.flag != nullptr) fields->*option.flag = true;
  }
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_OPTIONS_H_
