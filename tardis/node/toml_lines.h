// A line-level reading of a TOML file, enough to edit containerd's config.toml as text
// (a text edit is what lets uninstall restore the file exactly; no TOML library writes a
// file back byte for byte): which lines are table headers and which are keys, with their
// full dotted paths decoded, and which lines belong to a value that spans several lines
// (multi-line strings and arrays), so that nothing inside a value is mistaken for a
// header or a key. What the file means (its version, which table is where, whether it is
// TOML at all, and whether an edit reads as intended) is toml++'s to say
// (containerd_config_toml.h); this reader's own refusals come first only because they
// name the line more plainly.
#ifndef TARDIS_NODE_TOML_LINES_H_
#define TARDIS_NODE_TOML_LINES_H_

#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/string_view.h>

namespace tardis::node::toml {

// One line of the file: its text without the line ending, and the ending itself ("\n",
// "\r\n", or "" for a last line without one).
struct Line {
  std::string content;
  std::string ending;
};

inline std::vector<Line> SplitLines(absl::string_view text) {
  std::vector<Line> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t newline = text.find('\n', start);
    if (newline == absl::string_view::npos) {
      lines.push_back({std::string(text.substr(start)), ""});
      break;
    }
    const bool crlf = newline > start && text[newline - 1] == '\r';
    const size_t end = crlf ? newline - 1 : newline;
    Line line;
    line.content = std::string(text.substr(start, end - start));
    line.ending = crlf ? "\r\n" : "\n";
    lines.push_back(std::move(line));
    start = newline + 1;
  }
  return lines;
}

inline std::string JoinLines(const std::vector<Line>& lines) {
  std::string text;
  for (const Line& line : lines) absl::StrAppend(&text, line.content, line.ending);
  return text;
}

// The line ending the file uses (its first one), "\n" when it has none.
inline std::string LineEndingOf(const std::vector<Line>& lines) {
  for (const Line& line : lines) {
    if (!line.ending.empty()) return line.ending;
  }
  return "\n";
}

enum class LineKind {
  kBlank,         // empty, whitespace or a comment
  kTable,         // [a.b]
  kArrayTable,    // [[a.b]]
  kKey,           // a.b = value
  kContinuation,  // inside a value that began on an earlier line
};

struct ClassifiedLine {
  LineKind kind = LineKind::kBlank;
  std::vector<std::string> table;  // the table the line is in (for headers: the one they open)
  std::vector<std::string> key;    // key lines: the dotted key, decoded
  std::string indent;              // leading whitespace
  bool value_continues = false;    // key lines: the value goes on over the next lines
};

namespace internal {

inline bool IsBareKeyChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

inline void SkipSpace(absl::string_view text, size_t* i) {
  while (*i < text.size() && (text[*i] == ' ' || text[*i] == '\t')) ++*i;
}

// Reads one key part (bare, "basic" or 'literal') at *i; nullopt when there is none.
inline std::optional<std::string> ReadKeyPart(absl::string_view text, size_t* i) {
  if (*i >= text.size()) return std::nullopt;
  const char first = text[*i];
  if (first == '"') {
    std::string part;
    for (size_t j = *i + 1; j < text.size(); ++j) {
      const char c = text[j];
      if (c == '"') {
        *i = j + 1;
        return part;
      }
      if (c != '\\') {
        part.push_back(c);
        continue;
      }
      if (++j >= text.size()) return std::nullopt;
      switch (text[j]) {
        case '"': part.push_back('"'); break;
        case '\\': part.push_back('\\'); break;
        case 'b': part.push_back('\b'); break;
        case 't': part.push_back('\t'); break;
        case 'n': part.push_back('\n'); break;
        case 'f': part.push_back('\f'); break;
        case 'r': part.push_back('\r'); break;
        default:
          // \uXXXX and \UXXXXXXXX: kept as written; no name Tardis looks for needs them.
          part.push_back('\\');
          part.push_back(text[j]);
      }
    }
    return std::nullopt;
  }
  if (first == '\'') {
    const size_t close = text.find('\'', *i + 1);
    if (close == absl::string_view::npos) return std::nullopt;
    std::string part(text.substr(*i + 1, close - *i - 1));
    *i = close + 1;
    return part;
  }
  size_t j = *i;
  while (j < text.size() && IsBareKeyChar(text[j])) ++j;
  if (j == *i) return std::nullopt;
  std::string part(text.substr(*i, j - *i));
  *i = j;
  return part;
}

// A dotted key at *i, up to (not including) what follows it.
inline std::optional<std::vector<std::string>> ReadDottedKey(absl::string_view text, size_t* i) {
  std::vector<std::string> parts;
  while (true) {
    SkipSpace(text, i);
    std::optional<std::string> part = ReadKeyPart(text, i);
    if (!part) return std::nullopt;
    parts.push_back(*std::move(part));
    SkipSpace(text, i);
    if (*i < text.size() && text[*i] == '.') {
      ++*i;
      continue;
    }
    return parts;
  }
}

// Where a value stands at the end of a line: inside a multi-line string, or inside
// brackets (arrays, inline tables) still open.
struct ValueState {
  enum class String { kNone, kMultiBasic, kMultiLiteral } string = String::kNone;
  int depth = 0;
  bool open() const { return string != String::kNone || depth > 0; }
};

// Scans value text, updating `state`. False when the text cannot be TOML (a one-line
// string that never closes).
inline bool ScanValue(absl::string_view text, ValueState* state) {
  size_t i = 0;
  while (i < text.size()) {
    if (state->string == ValueState::String::kMultiBasic) {
      if (text[i] == '\\') {
        i += 2;
      } else if (text.substr(i, 3) == "\"\"\"") {
        // Up to two more quotes may belong to the string itself.
        i += 3;
        while (i < text.size() && text[i] == '"') ++i;
        state->string = ValueState::String::kNone;
      } else {
        ++i;
      }
      continue;
    }
    if (state->string == ValueState::String::kMultiLiteral) {
      if (text.substr(i, 3) == "'''") {
        i += 3;
        while (i < text.size() && text[i] == '\'') ++i;
        state->string = ValueState::String::kNone;
      } else {
        ++i;
      }
      continue;
    }
    const char c = text[i];
    if (c == '#') return true;  // a comment: the rest of the line
    if (text.substr(i, 3) == "\"\"\"") {
      state->string = ValueState::String::kMultiBasic;
      i += 3;
    } else if (text.substr(i, 3) == "'''") {
      state->string = ValueState::String::kMultiLiteral;
      i += 3;
    } else if (c == '"') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      if (j >= text.size()) return false;
      i = j + 1;
    } else if (c == '\'') {
      const size_t close = text.find('\'', i + 1);
      if (close == absl::string_view::npos) return false;
      i = close + 1;
    } else {
      if (c == '[' || c == '{') ++state->depth;
      if (c == ']' || c == '}') --state->depth;
      ++i;
    }
  }
  return true;
}

// The rest of a line after a header or a value: nothing, or a comment.
inline bool OnlyCommentFollows(absl::string_view text, size_t i) {
  SkipSpace(text, &i);
  return i >= text.size() || text[i] == '#';
}

}  // namespace internal

// Classifies every line. InvalidArgument names the first line that is not TOML as far
// as this reader can tell (better to refuse than to edit a file it misreads).
inline absl::StatusOr<std::vector<ClassifiedLine>> ClassifyLines(const std::vector<Line>& lines) {
  using namespace internal;
  std::vector<ClassifiedLine> classified;
  std::vector<std::string> table;
  ValueState state;
  int number = 0;
  for (const Line& line : lines) {
    ++number;
    const absl::string_view text = line.content;
    ClassifiedLine out;
    size_t i = 0;
    SkipSpace(text, &i);
    out.indent = std::string(text.substr(0, i));
    out.table = table;
    const auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("line ", number, ": ", why, ": ", text));
    };
    if (state.open()) {
      out.kind = LineKind::kContinuation;
      if (!ScanValue(text, &state)) return bad("a string does not close");
    } else if (i >= text.size() || text[i] == '#') {
      out.kind = LineKind::kBlank;
    } else if (text[i] == '[') {
      const bool array = i + 1 < text.size() && text[i + 1] == '[';
      i += array ? 2 : 1;
      std::optional<std::vector<std::string>> path = ReadDottedKey(text, &i);
      if (!path) return bad("cannot read this table header");
      if (text.substr(i, array ? 2 : 1) != (array ? "]]" : "]")) return bad("cannot read this table header");
      i += array ? 2 : 1;
      if (!OnlyCommentFollows(text, i)) return bad("unexpected text after the table header");
      out.kind = array ? LineKind::kArrayTable : LineKind::kTable;
      table = *path;
      out.table = table;
    } else {
      std::optional<std::vector<std::string>> key = ReadDottedKey(text, &i);
      if (!key || i >= text.size() || text[i] != '=') return bad("expected a table header or `key = value`");
      out.kind = LineKind::kKey;
      out.key = *std::move(key);
      if (!ScanValue(text.substr(i + 1), &state)) return bad("a string does not close");
      if (state.depth < 0) return bad("unbalanced brackets");
      out.value_continues = state.open();
    }
    classified.push_back(std::move(out));
  }
  if (state.open()) return absl::InvalidArgumentError("the file ends inside a value");
  return classified;
}

// `a."b.c".d` for messages and headers: bare where TOML allows, else quoted.
inline std::string DottedName(const std::vector<std::string>& path) {
  std::vector<std::string> parts;
  for (const std::string& part : path) {
    bool bare = !part.empty();
    for (char c : part) bare = bare && internal::IsBareKeyChar(c);
    parts.push_back(bare ? part : absl::StrCat("\"", part, "\""));
  }
  return absl::StrJoin(parts, ".");
}

}  // namespace tardis::node::toml

#endif  // TARDIS_NODE_TOML_LINES_H_
