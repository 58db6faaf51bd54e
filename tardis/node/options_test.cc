#include "tardis/node/options.h"

#include <gtest/gtest.h>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <nlohmann/json.hpp>

#include "tardis/node/options_help.h"
#include "tardis/testing/golden.h"

namespace tardis::node {
namespace {

TEST(Options, GoldenCases) {
  const auto cases = tardis::testing::ReadGoldenCases("testdata/node/options/cases.golden");
  ASSERT_GT(cases.size(), 12u);
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat("line ", c.line));
    std::vector<OptionSpec> spec;
    for (absl::string_view word : absl::StrSplit(c["spec"], ' ', absl::SkipEmpty())) {
      // `name`: a flag; `name=`: takes a value; `name=a|b`: takes a or b.
      const std::vector<std::string> name_choices = absl::StrSplit(word, absl::MaxSplits('=', 1));
      if (name_choices.size() == 1) {
        spec.push_back({name_choices[0], "", ""});
      } else if (name_choices[1].empty()) {
        spec.push_back({name_choices[0], "VALUE", ""});
      } else {
        spec.push_back({name_choices[0], "", "", absl::StrSplit(name_choices[1], '|')});
      }
    }
    const std::vector<std::string> args = nlohmann::json::parse(c["args"]).get<std::vector<std::string>>();
    const absl::StatusOr<ParsedOptions> parsed = ParseOptions(args, spec);
    if (c.has("want_error")) {
      ASSERT_FALSE(parsed.ok());
      EXPECT_EQ(parsed.status().message(), c["want_error"]);
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    std::vector<std::string> shown;
    if (parsed->help) shown.push_back("help");
    for (const std::string& flag : parsed->flags) shown.push_back(flag);
    for (const auto& [name, value] : parsed->values) shown.push_back(absl::StrCat(name, "=", value));
    EXPECT_EQ(absl::StrJoin(shown, " "), c["want"]);
  }
}

TEST(Options, OneOf) {
  EXPECT_EQ(OneOf({}), "");
  EXPECT_EQ(OneOf({"config"}), "config");
  EXPECT_EQ(OneOf({"config", "path"}), "config or path");
  EXPECT_EQ(OneOf({"aws", "gcp", "azure", "auto"}), "aws, gcp, azure or auto");
}

// Options bound to fields: each given one sets its field, the others keep their defaults.
struct Fields {
  std::string mode = "config";
  std::string prefix = "/usr/local";
  bool force = false;
  bool dry_run = false;
};

TEST(Options, SetFields) {
  const std::vector<FieldOption<Fields>> options = {
      {{"mode", "", "", {"config", "path"}}, &Fields::mode},
      {{"prefix", "DIR", ""}, &Fields::prefix},
      {{"force", "", ""}, &Fields::force},
      {{"dry-run", "", ""}, &Fields::dry_run},
  };
  const std::vector<OptionSpec> specs = SpecsOf(options);
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[0].name, "mode");
  EXPECT_TRUE(specs[0].takes_value());
  EXPECT_FALSE(specs[2].takes_value());
  struct Case {
    std::vector<std::string> args;
    std::string want;  // mode prefix force dry_run
  };
  for (const Case& c : std::vector<Case>{
           {{}, "config /usr/local 0 0"},
           {{"--mode", "path", "--force"}, "path /usr/local 1 0"},
           {{"--prefix=/opt", "--dry-run"}, "config /opt 0 1"},
       }) {
    SCOPED_TRACE(absl::StrJoin(c.args, " "));
    const absl::StatusOr<ParsedOptions> parsed = ParseOptions(c.args, specs);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    Fields fields;
    SetFields(*parsed, options, &fields);
    EXPECT_EQ(absl::StrCat(fields.mode, " ", fields.prefix, " ", fields.force, " ", fields.dry_run), c.want);
  }
}

// FormatHelp and CommandList of a made-up command with every kind of option, against
// testdata/node/options/help.txt. TARDIS_UPDATE_GOLDEN=<dir>: write it there and fail.
TEST(OptionsHelp, Golden) {
  const CommandSpec plant = {
      .name = "plant",
      .summary = "put a tree in the ground",
      .about = "Plants one tree. Twice is harmless.\n",
      .options = {{"species", "", "which tree (default oak)", {"oak", "ash", "yew"}},
                  {"depth", "CM", "how deep the hole is, in centimetres; when the soil is rocky,\nthe most it can be"},
                  {"water", "", "water it afterwards"},
                  {"gardener", "NAME", "who is to blame"},
                  {"note", "TEXT", "written on the label"}},
      .usage_options = 3,
      .footer = "exit status: 0 when the tree stands.\n",
  };
  const CommandSpec wide = {
      .name = "survey",
      .summary = "count the trees",
      .about = "Counts every tree, one line each.\n",
      .options = {{"forest", "NAME", "the forest"},
                  {"region", "NAME", "part of it"},
                  {"since", "DATE", "planted since"},
                  {"until", "DATE", "planted until"},
                  {"species", "NAME", "only these"},
                  {"json", "", "as JSON"},
                  {"quiet", "", "no header"}},
  };
  const std::string text = absl::StrCat(FormatHelp("gardenctl", plant), "----\n", FormatHelp("gardenctl", wide),
                                        "----\n", CommandList({&plant, &wide}));
  tardis::testing::ExpectGoldenFile(text, "testdata/node/options", "help.txt");
}

TEST(Options, Counts) {
  EXPECT_EQ(*ParseCount("parallel", "4", 1, 256), 4);
  EXPECT_EQ(ParseCount("parallel", "0", 1, 256).status().message(),
            "--parallel must be a whole number from 1 to 256, not `0`");
  EXPECT_FALSE(ParseCount("parallel", "2x", 1, 256).ok());
  EXPECT_FALSE(ParseCount("parallel", "257", 1, 256).ok());
  EXPECT_FALSE(ParseCount("parallel", "", 1, 256).ok());
}

}  // namespace
}  // namespace tardis::node
