// Golden and property tests of tardis-runc's front-end shortcut (decide.h) against the
// full program's classifier and config parser.
#include "tardis/fastpath/decide.h"

#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tardis/config/host_config.h"
#include "tardis/fastpath/consistency.h"
#include "tardis/runc/classify.h"
#include "tardis/runc/grammar.h"
#include "tardis/runc/route.h"
#include "tardis/testing/golden.h"

namespace tardis::fastpath {
namespace {

using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;
using ::tardis::testing::ReadTestFile;
using ::tardis::testing::ReadTestLines;

// The same code runs at compile time: nothing in it needs a library.
constexpr const char* kStateArgv[] = {"runc", "--root", "/r", "state", "c1", nullptr};
static_assert(DecideFastPath(5, kStateArgv, "", 0).action == Action::kExecRunc);
static_assert(DecideFastPath(5, kStateArgv, "log_level = DEBUG", 17).action ==
              Action::kExecHandler);
constexpr const char* kCreateArgv[] = {"runc", "create", "c1", nullptr};
static_assert(DecideFastPath(3, kCreateArgv, "", 0).action == Action::kExecHandler);

std::vector<std::string> JsonArgv(const std::string& text) {
  return nlohmann::json::parse(text).get<std::vector<std::string>>();
}

// The fixtures' escapes: \n, \r, \t and \xNN.
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char c = text[i + 1];
      if (c == 'n' || c == 'r' || c == 't') {
        out += c == 'n' ? '\n' : c == 'r' ? '\r' : '\t';
        ++i;
        continue;
      }
      if (c == 'x' && i + 3 < text.size()) {
        out += static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16));
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// "runc (<rule>)" / "runc unless <ns>/<id> is known (<rule>)" / "handler (<rule>)", as
// argv.golden writes it.
std::string DescribeArgvDecision(const Decision& decision) {
  switch (decision.action) {
    case Action::kExecRunc: return std::string("runc (") + decision.why + ")";
    case Action::kExecRuncUnlessKnown:
      return "runc unless " + std::string(decision.ns.data, decision.ns.size) + "/" +
             std::string(decision.id.data, decision.id.size) +
             (decision.flag.size > 0 ? "/" + std::string(decision.flag.data, decision.flag.size) : "") +
             " is known (" + decision.why + ")";
    case Action::kExecRuncUnlessOptedIn:
      return "runc unless " + std::string(decision.ns.data, decision.ns.size) + "/" +
             std::string(decision.id.data, decision.id.size) + " is known or " +
             std::string(decision.bundle.data, decision.bundle.size) + " opts in (" + decision.why + ")";
    case Action::kExecHandler: break;
  }
  return std::string("handler (") + decision.why + ")";
}

// "runc <path>" / "handler (<rule>)", as config.golden writes it.
std::string DescribeConfigDecision(const Decision& decision) {
  return decision.action == Action::kExecRunc ? "runc " + RuncOf(decision)
                                              : std::string("handler (") + decision.why + ")";
}

// A fuzz corpus file as the classifier's fuzz target reads it: NUL-separated words.
std::vector<std::string> CorpusArgv(const std::string& data) {
  std::vector<std::string> argv;
  std::string word;
  for (char c : data) {
    if (c == '\0') {
      argv.push_back(word);
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) argv.push_back(word);
  return argv;
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = ::opendir(dir.c_str());
  EXPECT_NE(d, nullptr) << "cannot list " << dir;
  if (d == nullptr) return files;
  while (const dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") files.push_back(dir + "/" + name);
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

// Every argv fixture of the repository, by where it comes from.
std::map<std::string, std::vector<std::vector<std::string>>> AllArgvFixtures() {
  std::map<std::string, std::vector<std::vector<std::string>>> fixtures;
  // want: and route: are classify_test's.
  for (const GoldenCase& c : ReadGoldenCases("testdata/runc/grammar.golden", {"want", "route"})) {
    fixtures["testdata/runc/grammar.golden"].push_back(JsonArgv(c["argv"]));
  }
  for (const std::string& line : ReadTestLines("testdata/reference/runc-argv-containerd-1.6.20.txt")) {
    fixtures["testdata/reference/runc-argv-containerd-1.6.20.txt"].push_back(
        absl::StrSplit(line, ' ', absl::SkipEmpty()));
  }
  for (const std::string& file : FilesIn("testdata/runc/classify_corpus")) {
    fixtures["testdata/runc/classify_corpus/"].push_back(CorpusArgv(ReadTestFile(file)));
  }
  for (const GoldenCase& c : ReadGoldenCases("testdata/fastpath/argv.golden")) {
    fixtures["testdata/fastpath/argv.golden"].push_back(JsonArgv(c["argv"]));
  }
  return fixtures;
}

bool InList(absl::string_view name, const char* const* list, size_t size) {
  return std::any_of(list, list + size, [&](const char* entry) { return name == entry; });
}

// The shortcut's word lists are runc's grammar (grammar.h) and route.h, restated without
// a library: every command and alias is either routed or never routed, every global
// option is known with the right kind; a routed command really is routed.
TEST(DecideFastPathTest, WordListsMatchRuncsGrammarAndTheRouter) {
  using namespace decide_internal;
  size_t names = 0;
  for (const runc::CommandSpec& command : runc::kCommands) {
    for (absl::string_view name : {command.name, command.alias}) {
      if (name.empty()) continue;
      ++names;
      const bool never = InList(name, kNeverRouted, std::size(kNeverRouted));
      const bool routed = InList(name, kRouted, std::size(kRouted));
      EXPECT_NE(never, routed) << name;
      if (routed) {
        const std::vector<std::string> args = {std::string(name), "c1"};
        EXPECT_NE(runc::RouteOf(runc::Classify(args)), runc::Route::kPassThrough) << name;
      }
    }
  }
  EXPECT_EQ(names, std::size(kNeverRouted) + std::size(kRouted));
  size_t options = 0;
  for (const runc::OptionSpec& option : runc::kGlobalOptions) {
    for (absl::string_view name : {option.name, option.alias}) {
      if (name.empty()) continue;
      ++options;
      if (option.kind == runc::ValueKind::kBool) {
        EXPECT_TRUE(InList(name, kGlobalBoolOptions, std::size(kGlobalBoolOptions))) << name;
      } else {
        EXPECT_TRUE(InList(name, kGlobalValueOptions, std::size(kGlobalValueOptions))) << name;
      }
    }
  }
  EXPECT_EQ(options, std::size(kGlobalBoolOptions) + std::size(kGlobalValueOptions));
}

TEST(DecideFastPathTest, ArgvGolden) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/fastpath/argv.golden");
  ASSERT_GT(cases.size(), 50u);
  for (const GoldenCase& c : cases) {
    EXPECT_EQ(DescribeArgvDecision(Decide(JsonArgv(c["argv"]), "")), c["want"])
        << "argv.golden:" << c.line;
  }
}

// The property: whenever the shortcut execs runc, the full program's classifier passes
// the call through too; and every plain pass-through the classifier understands takes it.
TEST(DecideFastPathTest, NeverSkipsAHandlerOnAnyArgvFixture) {
  int total = 0;
  for (const auto& [source, argvs] : AllArgvFixtures()) {
    int runc = 0;
    for (const std::vector<std::string>& args : argvs) {
      const std::string problem = CheckArgv(args);
      EXPECT_EQ(problem, "") << source;
      if (Decide(args, "").action == Action::kExecRunc) ++runc;
    }
    std::printf("%-56s %4zu argvs: %4d runc directly, %4zu to the handler\n", source.c_str(),
                argvs.size(), runc, argvs.size() - runc);
    EXPECT_GT(runc, 0) << source;
    total += static_cast<int>(argvs.size());
  }
  EXPECT_GT(total, 400);
}

// Every argv of up to three words from the vocabulary where runc's grammar and the
// shortcut's rules meet (about 30,000 argvs).
TEST(DecideFastPathTest, NeverSkipsAHandlerOnShortArgvs) {
  const std::vector<std::string>& vocabulary = Vocabulary();
  int checked = 0;
  int runc = 0;
  for (size_t length = 0; length <= 3; ++length) {
    size_t combinations = 1;
    for (size_t i = 0; i < length; ++i) combinations *= vocabulary.size();
    for (size_t n = 0; n < combinations; ++n) {
      std::vector<std::string> args;
      for (size_t i = 0, rest = n; i < length; ++i, rest /= vocabulary.size()) {
        args.push_back(vocabulary[rest % vocabulary.size()]);
      }
      const std::string problem = CheckArgv(args);
      ASSERT_EQ(problem, "");
      ++checked;
      if (Decide(args, "").action == Action::kExecRunc) ++runc;
    }
  }
  std::printf("short argvs from the vocabulary: %d, %d runc directly\n", checked, runc);
}

// What containerd's shim really sends: every call Tardis does not handle takes the
// shortcut (kill, pause, ps, exec, state, ...), every other goes to the handler.
TEST(DecideFastPathTest, ContainerdCapturesTakeTheShortcutUnlessRouted) {
  for (const std::string& line : ReadTestLines("testdata/reference/runc-argv-containerd-1.6.20.txt")) {
    const std::vector<std::string> args = absl::StrSplit(line, ' ', absl::SkipEmpty());
    const runc::Invocation call = runc::Classify(args);
    ASSERT_TRUE(call.understood) << line;
    const bool routed = decide_internal::OneOf(Text{call.command_name.data(), call.command_name.size()},
                                               decide_internal::kRouted);
    EXPECT_EQ(Decide(args, "").action == Action::kExecRunc, !routed) << line;
  }
}

TEST(DecideFastPathTest, ConfigGolden) {
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/fastpath/config.golden");
  ASSERT_GT(cases.size(), 40u);
  const std::vector<std::string> state = {"state", "c1"};
  for (const GoldenCase& c : cases) {
    const std::string config = Unescape(c["conf"]);
    EXPECT_EQ(DescribeConfigDecision(Decide(state, config)), c["want"]) << "config.golden:" << c.line;
    EXPECT_EQ(CheckConfig(state, config), "") << "config.golden:" << c.line;
  }
}

// Mirrors testdata/config/host_config.golden: the shortcut runs runc exactly when the full
// parser finds no problem and log_level is not DEBUG, and then the same runc.
TEST(DecideFastPathTest, AgreesWithTheFullParserOnItsGoldenCases) {
  // want: and problems: are host_config_test's.
  const std::vector<GoldenCase> cases = ReadGoldenCases("testdata/config/host_config.golden", {"want", "problems"});
  ASSERT_GE(cases.size(), 6u);
  const std::vector<std::string> state = {"--root", "/run/containerd/runc/default", "state", "c1"};
  int runc = 0;
  for (const GoldenCase& c : cases) {
    const std::string config = Unescape(c["conf"]);
    EXPECT_EQ(CheckConfig(state, config), "") << "host_config.golden:" << c.line;
    const ParsedHostConfig parsed = ParseHostConfig(config);
    const bool clean = parsed.problems.empty() && parsed.config.log_level != LogLevel::kDebug;
    const Decision decision = Decide(state, config);
    EXPECT_EQ(decision.action == Action::kExecRunc, clean)
        << "host_config.golden:" << c.line << ": " << Describe(decision);
    if (decision.action == Action::kExecRunc) ++runc;
  }
  std::printf("testdata/config/host_config.golden: %zu configs, %d runc directly\n", cases.size(), runc);
}

TEST(DecideFastPathTest, DebugSendsEveryCallToTheHandler) {
  for (const auto& [source, argvs] : AllArgvFixtures()) {
    for (const std::vector<std::string>& args : argvs) {
      EXPECT_EQ(Decide(args, "log_level = DEBUG\n").action, Action::kExecHandler) << source;
    }
  }
}

TEST(DecideFastPathTest, ConfigOfAtMost64KiB) {
  const std::vector<std::string> state = {"state", "c1"};
  std::string config = "real_runc = /opt/runc\n";
  config += std::string(kMaxConfigBytes - config.size(), '#');
  EXPECT_EQ(Describe(Decide(state, config)), "runc /opt/runc (command Tardis never handles)");
  config += '#';
  EXPECT_EQ(Describe(Decide(state, config)), "handler (config larger than 64 KiB)");
}

TEST(DecideFastPathTest, RealRuncOfAtMost4095Bytes) {
  const std::vector<std::string> state = {"state", "c1"};
  const std::string longest = "/" + std::string(kMaxRuncPath - 1, 'r');
  EXPECT_EQ(RuncOf(Decide(state, "real_runc = " + longest)), longest);
  EXPECT_EQ(Describe(Decide(state, "real_runc = " + longest + "r")), "handler (real_runc too long)");
}

TEST(DecideFastPathTest, OddArgvGoesToTheHandler) {
  const char* none[] = {nullptr};
  EXPECT_EQ(DecideFastPath(0, none, "", 0).action, Action::kExecHandler);
  EXPECT_EQ(DecideFastPath(1, nullptr, "", 0).action, Action::kExecHandler);
  const char* short_argv[] = {"runc", "--root", nullptr};
  EXPECT_EQ(DecideFastPath(3, short_argv, "", 0).action, Action::kExecHandler);
  const char* just_runc[] = {"runc", nullptr};
  EXPECT_EQ(Describe(DecideFastPath(1, just_runc, "", 0)), "runc /usr/sbin/runc (no command)");
  // No config text at all is the same as an empty file.
  EXPECT_EQ(DecideFastPath(1, just_runc, nullptr, 0).action, Action::kExecRunc);
}

// What the front-end makes of real config.json texts, and that the full program's reader
// agrees wherever it is certain.
TEST(CertainlyNotOptedInTest, BundleConfigs) {
  const std::pair<const char*, bool> cases[] = {
      {"plain.json", true},
      {"go-escapes.json", true},         // Go writes <, > and & as backslash-u escapes
      {"escaped-backslash.json", true},  // an escaped backslash, then a literal u0054
      {"truncated.json", true},          // not JSON: create passes it through as well
      {"opted-in.json", false},
      {"disabled.json", false},          // TARDIS_ENABLE=0: not opted in, but not certain
      {"escaped-name.json", false},      // TARDIS_ENABLE with its T escaped
  };
  for (const auto& [file, want] : cases) {
    const std::string json = ReadTestFile(absl::StrCat("testdata/fastpath/bundle_config_corpus/", file));
    EXPECT_EQ(CertainlyNotOptedIn(json.data(), json.size()), want) << file;
    EXPECT_EQ(CheckBundleConfig(json), "") << file;
  }
  const std::pair<std::string, bool> texts[] = {
      {"", true}, {"TARDIS_ENABL", true}, {"xTARDIS_ENABLEx", false}, {"\\u005", true}, {"\\u005F", false},
      {"\\u00zz", true}, {"\\", true}, {"\\\\u0041", true}, {"\\\\\\u0041", false},
  };
  for (const auto& [text, want] : texts) EXPECT_EQ(CertainlyNotOptedIn(text.data(), text.size()), want) << text;
}

}  // namespace
}  // namespace tardis::fastpath
