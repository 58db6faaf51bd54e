#include "tardis/periodic/interval.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace tardis::periodic {
namespace {

struct ParseCase {
  std::string text;
  int64_t ms;  // -1: refused
};

TEST(ParseInterval, Table) {
  const ParseCase cases[] = {
      {"0", 0},          {"off", 0},          {"5s", 5000},       {"90s", 90000},
      {"15m", 900000},   {"1h", 3600000},     {"1h30m", 5400000}, {"500ms", 500},
      {"1m30s", 90000},  {"168h", 604800000}, {"2s500ms", 2500},  {"0s", 0},
      {"", -1},          {"5", -1},           {"s", -1},          {"-5s", -1},
      {"+5s", -1},       {"1.5s", -1},        {"5 s", -1},        {" 5s", -1},
      {"5S", -1},        {"5d", -1},          {"169h", -1},       {"604800001ms", -1},
      {"99999999999999999999s", -1},          {"OFF", -1},        {"5s ", -1},
      {"1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h", -1},                 {"5us", -1},
      {std::string("5s\0", 3), -1},
  };
  for (const ParseCase& c : cases) {
    const absl::StatusOr<int64_t> got = ParseInterval(c.text);
    if (c.ms < 0) {
      EXPECT_FALSE(got.ok()) << Quote(c.text) << " parsed as " << *got;
    } else {
      ASSERT_TRUE(got.ok()) << Quote(c.text) << ": " << got.status();
      EXPECT_EQ(*got, c.ms) << Quote(c.text);
    }
  }
}

struct DecideCase {
  std::string name;
  IntervalInputs in;
  int64_t interval_ms;
  std::string note_contains;  // "" : no note
};

TEST(DecideInterval, Table) {
  const DecideCase cases[] = {
      {"absent, no default", {"", 0, 5000, false}, 0, ""},
      {"absent, host default", {"", 60000, 5000, false}, 60000, ""},
      {"written wins over default", {"30s", 60000, 5000, false}, 30000, ""},
      {"off beats the default", {"off", 60000, 5000, false}, 0, ""},
      {"zero beats the default", {"0", 60000, 5000, false}, 0, ""},
      {"bad value: default applies", {"soon", 60000, 5000, false}, 60000, "TARDIS_CHECKPOINT_INTERVAL ignored"},
      {"bad value, no default", {"5", 0, 5000, false}, 0, "expected a unit"},
      {"below the minimum: raised", {"1s", 0, 5000, false}, 5000, "raised to the node's minimum, 5000 ms"},
      {"at the minimum", {"5s", 0, 5000, false}, 5000, ""},
      {"default below the minimum: raised", {"", 1000, 5000, false}, 5000, "raised"},
      {"shared filesystem: none", {"30s", 0, 5000, true}, 0, "shared-filesystem mode"},
      {"shared filesystem, host default: none", {"", 60000, 5000, true}, 0, "shared-filesystem mode"},
      {"shared filesystem, off: no note", {"off", 60000, 5000, true}, 0, ""},
  };
  for (const DecideCase& c : cases) {
    const IntervalDecision got = DecideInterval(c.in);
    EXPECT_EQ(got.interval_ms, c.interval_ms) << c.name;
    if (c.note_contains.empty()) {
      EXPECT_EQ(got.note, "") << c.name;
    } else {
      EXPECT_NE(got.note.find(c.note_contains), std::string::npos) << c.name << ": " << got.note;
    }
  }
}

}  // namespace
}  // namespace tardis::periodic
