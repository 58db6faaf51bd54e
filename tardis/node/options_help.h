// A tardisctl command's `--help`, made from the same spec its options are parsed by
// (options.h): an option added to the spec is accepted and described at once, and the
// help cannot list an option the command refuses, nor a value it does not take.
#ifndef TARDIS_NODE_OPTIONS_HELP_H_
#define TARDIS_NODE_OPTIONS_HELP_H_

#include <algorithm>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>

#include "tardis/node/options.h"

namespace tardis::node {

struct CommandSpec {
  std::string name;     // "install"
  std::string summary;  // one line, for the list of commands
  std::string about;    // what --help says between the usage line and the options
  std::vector<OptionSpec> options = {};
  // How many of the options, from the first, the usage line names; the rest are
  // "[options]". -1: all of them.
  int usage_options = -1;
  std::string footer = "";  // after the options (exit statuses), or ""
};

namespace options_help_internal {

// Usage lines wrap before this column, continuing under the first option.
inline constexpr size_t kUsageWidth = 92;

inline std::string Synopsis(const OptionSpec& option) {
  return option.takes_value() ? absl::StrCat("[--", option.name, " ", option.value_name(), "]")
                              : absl::StrCat("[--", option.name, "]");
}

inline std::string Named(const OptionSpec& option) {
  return option.takes_value() ? absl::StrCat("--", option.name, " ", option.value_name())
                              : absl::StrCat("--", option.name);
}

}  // namespace options_help_internal

// "usage: tardisctl install [--mode config|path] [options]\n".
inline std::string UsageLine(absl::string_view program, const CommandSpec& command) {
  using namespace options_help_internal;
  std::vector<std::string> words;
  const size_t shown = command.usage_options < 0 ? command.options.size()
                                                 : std::min<size_t>(command.usage_options, command.options.size());
  for (size_t i = 0; i < shown; ++i) words.push_back(Synopsis(command.options[i]));
  if (shown < command.options.size()) words.push_back("[options]");
  const std::string head = absl::StrCat("usage: ", program, " ", command.name);
  std::string out = head;
  size_t line_start = 0;
  for (const std::string& word : words) {
    if (out.size() - line_start + 1 + word.size() > kUsageWidth && out.size() - line_start > head.size()) {
      out += "\n";
      line_start = out.size();
      out += std::string(head.size(), ' ');
    }
    absl::StrAppend(&out, " ", word);
  }
  return out + "\n";
}

// The option list: each option's description starts in one column, two spaces after the
// longest option, and its continuation lines start there too.
inline std::string OptionList(const std::vector<OptionSpec>& options) {
  using namespace options_help_internal;
  size_t width = 0;
  for (const OptionSpec& option : options) width = std::max(width, Named(option).size());
  std::string out;
  for (const OptionSpec& option : options) {
    const std::string named = Named(option);
    bool first = true;
    for (absl::string_view line : absl::StrSplit(option.help, '\n')) {
      absl::StrAppend(&out, "  ", first ? named : "", std::string(width - (first ? named.size() : 0) + 2, ' '), line,
                      "\n");
      first = false;
    }
  }
  return out;
}

// The whole `tardisctl COMMAND --help`.
inline std::string FormatHelp(absl::string_view program, const CommandSpec& command) {
  std::string out = UsageLine(program, command);
  absl::StrAppend(&out, "\n", command.about);
  if (!command.options.empty()) absl::StrAppend(&out, "\noptions:\n", OptionList(command.options));
  if (!command.footer.empty()) absl::StrAppend(&out, "\n", command.footer);
  return out;
}

// "  finalize    checkpoint and stop ...\n" for each command, summaries in one column.
inline std::string CommandList(const std::vector<const CommandSpec*>& commands) {
  size_t width = 0;
  for (const CommandSpec* command : commands) width = std::max(width, command->name.size());
  std::string out;
  for (const CommandSpec* command : commands) {
    absl::StrAppend(&out, "  ", command->name, std::string(width - command->name.size() + 3, ' '), command->summary,
                    "\n");
  }
  return out;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_OPTIONS_HELP_H_
