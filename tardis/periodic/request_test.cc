#include "tardis/periodic/request.h"

#include <string>

#include <gtest/gtest.h>

namespace tardis::periodic {
namespace {

struct Case {
  std::string image_path;
  bool leave_running;
  bool periodic;
};

TEST(IsPeriodicRequest, OnlyTheListenersScratchPathWithLeaveRunning) {
  const std::string listeners = ScratchPathFor("/run/tardis", "default", "job", 17);
  EXPECT_EQ(listeners, "/run/tardis/periodic/default.job.17");
  const Case cases[] = {
      {listeners, true, true},
      {listeners, false, false},                           // --exit: a final checkpoint
      {"/run/tardis/periodic", true, false},               // the scratch dir itself
      {"/run/tardis/periodicx/a", true, false},            // beside it
      {"/run/tardis/finalize/default.job.1", true, false}, // finalize's scratch
      {"/run/tardis/periodic/../../etc", true, false},     // not normalized
      {"/run/tardis/periodic//a", true, false},
      {"relative/periodic/a", true, false},
      {"", true, false},                                   // containerd's own temp dir absent
      {"/var/lib/containerd/tmp/checkpoint-1", true, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsPeriodicRequest(c.image_path, c.leave_running, "/run/tardis"), c.periodic)
        << c.image_path << " leave_running=" << c.leave_running;
  }
  EXPECT_FALSE(IsPeriodicRequest(listeners, true, ""));
}

}  // namespace
}  // namespace tardis::periodic
