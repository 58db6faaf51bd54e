// ParseOptions(): one tardisctl command's options, by that command's list of what it
// accepts. Every mistake is an error naming the option (an unknown option, a missing or
// unexpected value, an option given twice, a stray argument): a CLI that a spot-reclaim
// hook or an installer script calls must never guess what was meant.
#ifndef TARDIS_NODE_OPTIONS_H_
#define TARDIS_NODE_OPTIONS_H_

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
#include <absl/strings/string_view.h>

namespace tardis::node {

struct OptionSpec {
  std::string name;  // without the dashes: "parallel"
  bool takes_value = false;
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
    if (!option->takes_value) {
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

}  // namespace tardis::node

#endif  // TARDIS_NODE_OPTIONS_H_
