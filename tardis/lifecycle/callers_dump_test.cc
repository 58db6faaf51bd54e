#include "tardis/lifecycle/callers_dump.h"

#include <gtest/gtest.h>

namespace tardis {
namespace {

TEST(DecideCallersDumpTest, Table) {
  struct Case {
    const char* ns;
    const char* image_path;
    CallersDump want;
  };
  const Case cases[] = {
      // containerd's own users (ctr, the CRI plugin): a note.
      {"default", "/var/lib/containerd/tmpmounts/ckpt-123", CallersDump::kNote},
      {"k8s.io", "/tmp/ckpt", CallersDump::kNote},
      {"default", "", CallersDump::kNote},
      // Docker restores from what it gets: the dump.
      {"moby", "/var/lib/containerd/io.containerd.runtime.v2.task/moby/c1/ckpt", CallersDump::kDump},
      {"moby", "", CallersDump::kDump},
      // Tardis's own finalize: nobody reads it.
      {"moby", "/run/tardis/finalize/moby.c1.1", CallersDump::kNothing},
      {"default", "/run/tardis", CallersDump::kNothing},
      // Lexically below only: a sibling with the same prefix is not Tardis's.
      {"moby", "/run/tardis-other/x", CallersDump::kDump},
      {"moby", "relative/run/tardis/x", CallersDump::kDump},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DecideCallersDump(c.ns, c.image_path, "/run/tardis"), c.want) << c.ns << " " << c.image_path;
  }
}

}  // namespace
}  // namespace tardis
