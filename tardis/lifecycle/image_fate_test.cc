#include "tardis/lifecycle/image_fate.h"

#include <optional>

#include <gtest/gtest.h>

namespace tardis {
namespace {

TEST(ImageFateTest, OnlyAKnownZeroExitDeletesTheImage) {
  struct Case {
    std::optional<int64_t> exit_code;
    bool listener_alive;
    bool wait;
    bool delete_image;
  };
  const Case cases[] = {
      {0, true, false, true},         {0, false, false, true},
      {1, true, false, false},        {137, true, false, false},  // killed, or checkpointed
      {143, false, false, false},     {255, true, false, false},
      {std::nullopt, true, true, false},   // wait for it; if it never comes, keep
      {std::nullopt, false, false, false}, // nobody will tell: keep
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ShouldWaitForExitCode(c.exit_code, c.listener_alive), c.wait)
        << c.exit_code.value_or(-1) << " " << c.listener_alive;
    const ImageFate fate = DecideImageFate(c.exit_code, c.listener_alive);
    EXPECT_EQ(fate.delete_image, c.delete_image) << c.exit_code.value_or(-1) << " " << c.listener_alive;
    EXPECT_FALSE(fate.reason.empty());
  }
}

}  // namespace
}  // namespace tardis
