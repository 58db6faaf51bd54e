// Golden fixtures for table-driven tests: files under testdata/ made of cases, each a
// few `key: value` lines, cases separated by blank lines, `#` lines are comments.
//
//   # a create from containerd 1.6
//   argv: ["--root", "/r/default", "create", "p1"]
//   want: create ns=default id=p1 ...
#ifndef TARDIS_TESTING_GOLDEN_H_
#define TARDIS_TESTING_GOLDEN_H_

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <gtest/gtest.h>

namespace tardis::testing {

struct GoldenCase {
  int line = 0;  // where the case starts, for failure messages
  std::map<std::string, std::string> fields;

  const std::string& operator[](const std::string& key) const {
    static const std::string kEmpty;
    auto it = fields.find(key);
    return it == fields.end() ? kEmpty : it->second;
  }
  bool has(const std::string& key) const { return fields.count(key) != 0; }
};

// A file from the runfiles tree, by its path from the workspace root.
inline std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::vector<std::string> ReadTestLines(const std::string& path) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(ReadTestFile(path), '\n')) {
    if (!line.empty()) lines.emplace_back(line);
  }
  return lines;
}

inline std::vector<GoldenCase> ReadGoldenCases(const std::string& path) {
  std::vector<GoldenCase> cases;
  GoldenCase current;
  int number = 0;
  const auto flush = [&] {
    if (!current.fields.empty()) cases.push_back(current);
    current = GoldenCase();
  };
  for (absl::string_view line : absl::StrSplit(ReadTestFile(path), '\n')) {
    ++number;
    if (absl::StartsWith(line, "#")) continue;
    if (absl::StripAsciiWhitespace(line).empty()) {
      flush();
      continue;
    }
    const size_t colon = line.find(':');
    EXPECT_NE(colon, absl::string_view::npos) << path << ":" << number << ": no `key:`";
    if (colon == absl::string_view::npos) continue;
    if (current.fields.empty()) current.line = number;
    std::string key(absl::StripAsciiWhitespace(line.substr(0, colon)));
    std::string value(absl::StripLeadingAsciiWhitespace(line.substr(colon + 1)));
    EXPECT_EQ(current.fields.count(key), 0u) << path << ":" << number << ": repeated " << key;
    current.fields[key] = value;
  }
  flush();
  return cases;
}

}  // namespace tardis::testing

#endif  // TARDIS_TESTING_GOLDEN_H_
