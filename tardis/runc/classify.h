// Classify(): what a runc argv says, decided the way runc 1.1 itself parses it.
//
// runc parses with urfave/cli v1.22.1 over Go's `flag` package:
//  - global options come first and end at the first non-option word (the command) or
//    at `--`;
//  - options may be written -name or --name, `--name value` or `--name=value`;
//    booleans never take the next word (`--detach=false` is how to write false);
//  - a command's options may follow its positional arguments, because urfave/cli
//    reorders them first (except for exec and ps), with the quirk that a word right
//    after any option without `=` travels with it;
//  - `--` ends options; `-` alone is a word.
// Anything runc would reject, and anything not in grammar.h, is "not understood"; typed
// values (ints, durations) are accepted only in their plain spellings, so an exotic but
// valid one is also "not understood". Not understood always means: pass it through.
#ifndef TARDIS_RUNC_CLASSIFY_H_
#define TARDIS_RUNC_CLASSIFY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <absl/types/span.h>

#include "tardis/runc/grammar.h"
#include "tardis/runc/invocation.h"

namespace tardis::runc {

// runc's default --root when run as root; its last element is the namespace then.
inline constexpr absl::string_view kDefaultRuncRoot = "/run/runc";

namespace classify_internal {

// Go's strconv.ParseBool.
inline std::optional<bool> ParseGoBool(absl::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    return false;
  }
  return std::nullopt;
}

// Decimal without sign or leading zeros (Go would read "010" as octal), fitting int64.
inline bool IsPlainInt(absl::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty() || s.size() > 18) return false;
  if (s.size() > 1 && s.front() == '0') return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "0", or one or more <number><unit> with units ns, us, ms, s, m, h (e.g. "1m30s",
// "1.5s"), each number at most 9 digits so it cannot overflow.
inline bool IsPlainDuration(absl::string_view s) {
  if (s == "0") return true;
  if (s.empty()) return false;
  size_t i = 0;
  while (i < s.size()) {
    size_t digits = 0;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
    if (digits == 0 || digits > 9) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t fraction = 0;
      while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i, ++fraction;
      if (fraction == 0 || fraction > 9) return false;
    }
    const absl::string_view rest = s.substr(i);
    size_t unit = 0;
    for (absl::string_view u : {"ns", "us", "ms", "s", "m", "h"}) {
      if (absl::StartsWith(rest, u)) {
        unit = u.size();
        break;
      }
    }
    if (unit == 0) return false;
    i += unit;
  }
  return true;
}

inline bool IsValidValue(ValueKind kind, absl::string_view value) {
  switch (kind) {
    case ValueKind::kBool:
      return ParseGoBool(value).has_value();
    case ValueKind::kString:
      return true;
    case ValueKind::kInt:
      return IsPlainInt(value);
    case ValueKind::kDuration:
      return IsPlainDuration(value);
  }
  return false;
}

// An argv word with its index in the original argv.
struct Token {
  absl::string_view text;
  int position;
};

// urfave/cli v1.22.1's reorderArgs: options (and the word after an option written
// without `=`) move in front of the other words; from `--` on, everything stays last.
inline std::vector<Token> ReorderLikeUrfave(const std::vector<Token>& tokens) {
  std::vector<Token> flags;
  std::vector<Token> words;
  bool take_value = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const absl::string_view arg = tokens[i].text;
    if (arg == "--") {
      words.insert(words.end(), tokens.begin() + i, tokens.end());
      break;
    }
    if (take_value && !absl::StartsWith(arg, "-")) {
      take_value = false;
      flags.push_back(tokens[i]);
      continue;
    }
    take_value = false;
    if (arg != "-" && absl::StartsWith(arg, "-")) {
      flags.push_back(tokens[i]);
      take_value = arg.find('=') == absl::string_view::npos;
    } else {
      words.push_back(tokens[i]);
    }
  }
  flags.insert(flags.end(), words.begin(), words.end());
  return flags;
}

// Go's FlagSet.Parse over tokens[*next...]: appends the options it reads to `out`, a
// consumed `--` to `separator`, and leaves *next at the first positional word. Returns
// false (with `problem`) where Go's parser would fail.
inline bool ParseOptions(absl::Span<const OptionSpec> specs, const std::vector<Token>& tokens,
                         size_t* next, std::vector<Option>* out, std::vector<Word>* separator,
                         std::string* problem) {
  while (*next < tokens.size()) {
    const Token& token = tokens[*next];
    const absl::string_view s = token.text;
    if (s.size() < 2 || s[0] != '-') return true;  // first positional word
    if (s == "--") {
      separator->push_back({std::string(s), token.position});
      ++*next;
      return true;
    }
    absl::string_view name = s.substr(s[1] == '-' ? 2 : 1);
    if (name.empty() || name[0] == '-' || name[0] == '=') {
      *problem = absl::StrCat("bad option syntax: ", s);
      return false;
    }
    std::optional<absl::string_view> inline_value;
    if (const size_t eq = name.find('='); eq != absl::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = FindOption(specs, name);
    if (spec == nullptr) {
      *problem = absl::StrCat("unknown option: ", s);
      return false;
    }
    Option option;
    option.spec = spec;
    option.written.push_back({std::string(s), token.position});
    ++*next;
    if (spec->kind == ValueKind::kBool) {
      const std::optional<bool> value = inline_value ? ParseGoBool(*inline_value) : true;
      if (!value) {
        *problem = absl::StrCat("invalid boolean value: ", s);
        return false;
      }
      option.value = *value ? "true" : "false";
    } else {
      if (inline_value) {
        option.value = std::string(*inline_value);
      } else if (*next < tokens.size()) {
        option.value = std::string(tokens[*next].text);
        option.written.push_back({option.value, tokens[*next].position});
        ++*next;
      } else {
        *problem = absl::StrCat("option needs a value: ", s);
        return false;
      }
      if (!IsValidValue(spec->kind, option.value)) {
        *problem = absl::StrCat("value not understood for --", spec->name, ": ", option.value);
        return false;
      }
    }
    out->push_back(std::move(option));
  }
  return true;
}

inline bool ArityAccepts(Positionals positionals, size_t count) {
  switch (positionals) {
    case Positionals::kNone:
      return count == 0;
    case Positionals::kIdOnly:
      return count == 1;
    case Positionals::kIdThenOptional:
      return count == 1 || count == 2;
    case Positionals::kIdThenAny:
      return count >= 1;
    case Positionals::kAny:
      return true;
  }
  return false;
}

// The last element of a --root path: "/run/containerd/runc/k8s.io/" gives "k8s.io".
inline std::string LastPathElement(absl::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace classify_internal

// `argv` is runc's argv without the program name.
inline Invocation Classify(absl::Span<const std::string> argv) {
  using namespace classify_internal;
  Invocation invocation;
  std::vector<Token> tokens;
  tokens.reserve(argv.size());
  for (size_t i = 0; i < argv.size(); ++i) tokens.push_back({argv[i], static_cast<int>(i)});

  const auto fail = [&](std::string problem) {
    invocation.understood = false;
    invocation.problem = std::move(problem);
    return invocation;
  };

  size_t next = 0;
  std::string problem;
  if (!ParseOptions(kGlobalOptions, tokens, &next, &invocation.global_options,
                    &invocation.global_separator, &problem)) {
    return fail(problem);
  }
  const Option* root = invocation.FindGlobal("root");
  invocation.ns = LastPathElement(root != nullptr ? absl::string_view(root->value) : kDefaultRuncRoot);

  if (next == tokens.size()) {  // `runc`, `runc --version`, `runc --help`
    invocation.understood = true;
    return invocation;
  }

  const Token& command_token = tokens[next++];
  const CommandSpec* command = FindCommand(command_token.text);
  if (command == nullptr) return fail(absl::StrCat("unknown command: ", command_token.text));
  invocation.command = {std::string(command_token.text), command_token.position};
  invocation.command_name = std::string(command->name);

  std::vector<Token> rest(tokens.begin() + next, tokens.end());
  if (command->reorders_args) rest = ReorderLikeUrfave(rest);
  size_t at = 0;
  if (!ParseOptions(command->options, rest, &at, &invocation.options, &invocation.separator,
                    &problem)) {
    return fail(problem);
  }

  // runc shows a command's help before it counts the command's arguments.
  const size_t positionals = rest.size() - at;
  if (!invocation.Enabled("help") && !ArityAccepts(command->positionals, positionals)) {
    return fail(absl::StrCat(command->name, " does not take ", positionals, " argument(s)"));
  }
  const bool has_id = command->positionals != Positionals::kNone &&
                      command->positionals != Positionals::kAny;
  for (size_t i = at; i < rest.size(); ++i) {
    Word word{std::string(rest[i].text), rest[i].position};
    if (has_id && i == at) {
      invocation.container_id.push_back(std::move(word));
    } else {
      invocation.args.push_back(std::move(word));
    }
  }
  invocation.understood = true;
  return invocation;
}

inline Invocation Classify(const std::vector<std::string>& argv) {
  return Classify(absl::MakeConstSpan(argv));
}

}  // namespace tardis::runc

#endif  // TARDIS_RUNC_CLASSIFY_H_
