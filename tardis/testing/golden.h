// Golden fixtures for table-driven tests: files under testdata/ made of cases, each a
// few `key: value` lines, cases separated by blank lines, `#` lines are comments.
//
//   # a create from containerd 1.6
//   argv: ["--root", "/r/default", "create", "p1"]
//   want: create ns=default id=p1 ...
//
// Keys are strict: a key that no test of the binary reads in any case of its file fails
// the run (at the end, when every test has had its chance to read it). A typo such as
// `wnat:` would otherwise check nothing and pass.
#ifndef TARDIS_TESTING_GOLDEN_H_
#define TARDIS_TESTING_GOLDEN_H_

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <gtest/gtest.h>

namespace tardis::testing {

namespace golden_internal {

// Every key of every case read from a golden file, by file, line and name; and, by file,
// the names some test has read the value of.
using KeyAt = std::tuple<std::string, int, std::string>;
inline std::set<KeyAt>& KeysSeen() {
  static std::set<KeyAt> keys;
  return keys;
}
inline std::set<std::pair<std::string, std::string>>& KeysRead() {
  static std::set<std::pair<std::string, std::string>> read;
  return read;
}

// A key is known to a golden file when some test reads it in some case of that file (a
// case may leave one unread, e.g. an input its parser refuses before reaching it).
class UnknownKeysFail : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& [file, line, key] : KeysSeen()) {
      if (KeysRead().count({file, key}) != 0) continue;
      ADD_FAILURE() << file << ":" << line << ": no test reads `" << key
                    << ":` in any case (a typo, or a check that was never written)";
    }
  }
};

inline const bool kUnknownKeysFail = (::testing::AddGlobalTestEnvironment(new UnknownKeysFail), true);

}  // namespace golden_internal

struct GoldenCase {
  int line = 0;      // where the case starts, for failure messages
  std::string file;  // where it comes from
  std::map<std::string, std::string> fields;

  const std::string& operator[](const std::string& key) const {
    static const std::string kEmpty;
    auto it = fields.find(key);
    if (it == fields.end()) return kEmpty;
    MarkRead(key);
    return it->second;
  }
  bool has(const std::string& key) const {
    if (fields.count(key) == 0) return false;
    MarkRead(key);
    return true;
  }
  // Every field, for a test that reads them all generically (each is then read).
  const std::map<std::string, std::string>& all() const {
    for (const auto& field : fields) MarkRead(field.first);
    return fields;
  }

 private:
  void MarkRead(const std::string& key) const { golden_internal::KeysRead().insert({file, key}); }
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
  current.file = path;
  int number = 0;
  const auto flush = [&] {
    if (!current.fields.empty()) cases.push_back(current);
    current = GoldenCase();
    current.file = path;
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
    golden_internal::KeysSeen().insert({path, number, key});
    current.fields[key] = value;
  }
  flush();
  return cases;
}

// Compares what the code produced with the golden file `dir`/`name`.
// TARDIS_UPDATE_GOLDEN=<directory>: instead writes `actual` there as `name`, to review and
// copy into testdata/, and fails: a run that wrote goldens must never pass as a green
// one (nor compare with what it has just written).
inline void ExpectGoldenFile(const std::string& actual, const std::string& dir, const std::string& name) {
  if (const char* update = std::getenv("TARDIS_UPDATE_GOLDEN")) {
    const std::string written = std::string(update) + "/" + name;
    std::ofstream(written, std::ios::binary) << actual;
    ADD_FAILURE() << "update mode (TARDIS_UPDATE_GOLDEN): wrote " << written
                  << "; review it, copy it to " << dir << "/" << name << " and run again without it";
    return;
  }
  EXPECT_EQ(actual, ReadTestFile(dir + "/" + name)) << actual;
}

// For a test that reads a golden file shared with another test only for its inputs:
// the keys `read_elsewhere` are checked by that other test's binary, and count as known
// here (a typo among them still fails there).
inline std::vector<GoldenCase> ReadGoldenCases(const std::string& path,
                                               const std::set<std::string>& read_elsewhere) {
  for (const std::string& key : read_elsewhere) golden_internal::KeysRead().insert({path, key});
  return ReadGoldenCases(path);
}

}  // namespace tardis::testing

#endif  // TARDIS_TESTING_GOLDEN_H_
