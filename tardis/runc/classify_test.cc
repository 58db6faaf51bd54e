// Golden, table-driven tests of the runc argv classifier, the router and Rebuild().
#include <string>
#include <vector>

#include <absl/strings/str_split.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tardis/runc/classify.h"
#include "tardis/runc/describe.h"
#include "tardis/runc/invocation.h"
#include "tardis/runc/route.h"
#include "tardis/testing/golden.h"

namespace tardis::runc {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;
using ::tardis::testing::ReadTestLines;

constexpr char kReferenceArgv[] = "testdata/reference/runc-argv-containerd-1.6.20.txt";

std::vector<std::string> SplitOnSpaces(const std::string& line) {
  return absl::StrSplit(line, ' ', absl::SkipEmpty());
}

std::vector<std::string> JsonArgv(const std::string& text) {
  return nlohmann::json::parse(text).get<std::vector<std::string>>();
}

// Every argv the containerd 1.6 shim was seen sending is understood, and described as
// the golden file says.
TEST(ClassifyTest, ReferenceCapturesFromContainerd) {
  std::vector<GoldenCase> cases = ReadGoldenCases("testdata/runc/reference_argv.golden");
  std::vector<std::string> reference = ReadTestLines(kReferenceArgv);
  ASSERT_EQ(cases.size(), reference.size()) << "one golden case per captured line";
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(cases[i]["argv"], reference[i]) << "golden case " << i << " is not line " << i + 1;
    const Invocation invocation = Classify(SplitOnSpaces(reference[i]));
    EXPECT_TRUE(invocation.understood) << reference[i] << ": " << invocation.problem;
    EXPECT_EQ(Describe(invocation), cases[i]["want"]) << "line " << cases[i].line;
    EXPECT_EQ(RouteName(RouteOf(invocation)), cases[i]["route"]) << "line " << cases[i].line;
  }
}

// runc 1.1's grammar, command by command, in every spelling runc accepts or rejects.
TEST(ClassifyTest, GrammarCases) {
  std::vector<GoldenCase> cases = ReadGoldenCases("testdata/runc/grammar.golden");
  ASSERT_GT(cases.size(), 100u);
  for (const GoldenCase& c : cases) {
    const Invocation invocation = Classify(JsonArgv(c["argv"]));
    EXPECT_EQ(Describe(invocation), c["want"]) << "grammar.golden:" << c.line;
    if (c.has("route")) {
      EXPECT_EQ(RouteName(RouteOf(invocation)), c["route"]) << "grammar.golden:" << c.line;
    }
  }
}

// An unmodified classification rebuilds to exactly its input.
TEST(RebuildTest, RoundTripsEveryUnderstoodFixture) {
  std::vector<std::vector<std::string>> argvs;
  for (const std::string& line : ReadTestLines(kReferenceArgv)) argvs.push_back(SplitOnSpaces(line));
  for (const GoldenCase& c : ReadGoldenCases("testdata/runc/grammar.golden")) {
    argvs.push_back(JsonArgv(c["argv"]));
  }
  int understood = 0;
  for (const std::vector<std::string>& argv : argvs) {
    const Invocation invocation = Classify(argv);
    if (!invocation.understood) continue;
    ++understood;
    EXPECT_EQ(Rebuild(invocation), argv) << nlohmann::json(argv).dump();
  }
  EXPECT_GT(understood, 100);
}

// Handlers drop options and add their own; everything else stays where it was.
TEST(RebuildTest, EditsKeepTheRestInPlace) {
  std::vector<GoldenCase> cases = ReadGoldenCases("testdata/runc/rebuild.golden");
  ASSERT_FALSE(cases.empty());
  for (const GoldenCase& c : cases) {
    Invocation invocation = Classify(JsonArgv(c["argv"]));
    ASSERT_TRUE(invocation.understood) << "rebuild.golden:" << c.line;
    for (absl::string_view name : absl::StrSplit(c["remove"], ' ', absl::SkipEmpty())) {
      invocation.Remove(name);
    }
    for (absl::string_view added : absl::StrSplit(c["add"], ' ', absl::SkipEmpty())) {
      std::vector<std::string> name_value = absl::StrSplit(added, absl::MaxSplits('=', 1));
      const CommandSpec* command = FindCommand(invocation.command_name);
      const OptionSpec* spec = FindOption(command->options, name_value[0]);
      ASSERT_NE(spec, nullptr) << name_value[0];
      invocation.options.push_back(name_value.size() == 2 ? MakeOption(*spec, name_value[1])
                                                          : MakeOption(*spec));
    }
    EXPECT_EQ(Rebuild(invocation), JsonArgv(c["want"])) << "rebuild.golden:" << c.line;
  }
}

TEST(ClassifyTest, LastOccurrenceWins) {
  const Invocation invocation =
      Classify(std::vector<std::string>{"--root", "/a/one", "--root=/b/two", "state", "c"});
  ASSERT_TRUE(invocation.understood);
  EXPECT_EQ(invocation.FindGlobal("root")->value, "/b/two");
  EXPECT_EQ(invocation.ns, "two");
}

}  // namespace
}  // namespace tardis::runc
