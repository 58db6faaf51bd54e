#include "tardis/node/containerd_config_edit.h"

#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/node/golden_text.h"
#include "tardis/testing/golden.h"

namespace tardis::node {
namespace {

using ::tardis::node::testing::GoldenText;
using ::tardis::testing::GoldenCase;
using ::tardis::testing::ReadGoldenCases;

constexpr char kDir[] = "testdata/node/containerd_config";

// Checks a field only when the case names it.
void ExpectField(const GoldenCase& c, const std::string& key, const std::string& actual) {
  if (c.has(key)) {
    EXPECT_EQ(actual, c[key]) << key;
  }
}
std::string Bool(bool value) { return value ? "true" : "false"; }

std::string BinaryOf(const GoldenCase& c) {
  return c.has("binary") ? GoldenText(c["binary"], kDir) : "/usr/local/lib/tardis/tardis-runc";
}

// A case wants either an error (want_error: part of its message) or an edit whose text is
// `want`; true when it is such an edit, whose fields the caller goes on to check.
bool IsWantedEdit(const GoldenCase& c, const absl::StatusOr<ContainerdConfigEdit>& edit) {
  if (c.has("want_error")) {
    EXPECT_FALSE(edit.ok()) << edit->text;
    if (!edit.ok()) {
      EXPECT_TRUE(absl::StrContains(edit.status().message(), c["want_error"])) << edit.status();
    }
    return false;
  }
  EXPECT_TRUE(edit.ok()) << edit.status();
  if (!edit.ok()) return false;
  EXPECT_EQ(edit->text, GoldenText(c["want"], kDir));
  return true;
}

TEST(ContainerdConfigEdit, GoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases(absl::StrCat(kDir, "/cases.golden"));
  ASSERT_GT(cases.size(), 30u);
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(absl::StrCat("case ", c["name"], " (line ", c.line, ")"));
    const std::string input = GoldenText(c["input"], kDir);
    const bool exists = c["exists"] != "false";
    const std::string binary = BinaryOf(c);
    const absl::StatusOr<ContainerdConfigEdit> edit = SetRuncBinaryName(input, exists, binary);
    if (!IsWantedEdit(c, edit)) continue;
    ExpectField(c, "version", absl::StrCat(edit->version));
    ExpectField(c, "appended_table", Bool(edit->appended_table));
    ExpectField(c, "appended_runc_table", Bool(edit->appended_runc_table));
    ExpectField(c, "replaced_lines", absl::StrCat(edit->replaced_lines));

    // Uninstall's fallback takes exactly the edit back out...
    EXPECT_EQ(RemoveTardisLines(edit->text).text, input);
    // ...and a second install is refused rather than stacked.
    const absl::StatusOr<ContainerdConfigEdit> again = SetRuncBinaryName(edit->text, true, binary);
    EXPECT_FALSE(again.ok());
  }
}

TEST(ContainerdConfigEdit, RuntimeGoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases(absl::StrCat(kDir, "/runtime.golden"));
  ASSERT_GT(cases.size(), 15u);
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(absl::StrCat("case ", c["name"], " (line ", c.line, ")"));
    const std::string input = GoldenText(c["input"], kDir);
    const bool exists = c["exists"] != "false";
    const std::string handler = c.has("handler") ? c["handler"] : "tardis";
    const std::string binary = BinaryOf(c);
    const absl::StatusOr<ContainerdConfigEdit> edit = AddTardisRuntime(input, exists, handler, binary);
    if (!IsWantedEdit(c, edit)) continue;
    ExpectField(c, "version", absl::StrCat(edit->version));
    ExpectField(c, "runtime_table", edit->runtime_table);
    ExpectField(c, "options_table", edit->options_table);
    ExpectField(c, "copied_lines", absl::StrCat(edit->copied_lines));

    EXPECT_EQ(RemoveTardisLines(edit->text).text, input);
    // A second install is refused, with or without a runtime handler.
    EXPECT_FALSE(AddTardisRuntime(edit->text, true, handler, binary).ok());
    EXPECT_FALSE(SetRuncBinaryName(edit->text, true, binary).ok());
  }
}

TEST(ContainerdConfigEdit, UndoGoldenCases) {
  const std::vector<GoldenCase> cases = ReadGoldenCases(absl::StrCat(kDir, "/undo.golden"));
  ASSERT_FALSE(cases.empty());
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(absl::StrCat("case ", c["name"], " (line ", c.line, ")"));
    const ContainerdConfigUndo undo = RemoveTardisLines(GoldenText(c["input"], kDir));
    EXPECT_EQ(undo.text, GoldenText(c["want"], kDir));
    ExpectField(c, "removed", absl::StrCat(undo.removed_lines));
    ExpectField(c, "restored", absl::StrCat(undo.restored_lines));
    ExpectField(c, "kept_headers", absl::StrCat(undo.kept_headers));
  }
}

}  // namespace
}  // namespace tardis::node
