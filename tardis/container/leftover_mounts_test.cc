#include "tardis/container/leftover_mounts.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tardis::container {
namespace {

// Mount table lines as the kernel writes them (escapes included).
std::string Line(const std::string& mount_point, const std::string& fstype = "overlay") {
  return "1 2 0:1 / " + mount_point + " rw,relatime - " + fstype + " src rw\n";
}

struct Case {
  const char* name;
  std::string mountinfo;
  const char* dir;
  std::vector<std::string> want;
};

TEST(MountsBeneath, Table) {
  const std::vector<Case> cases = {
      {"nothing mounted", "", "/r/c1", {}},
      {"a killed restore's criu-root", Line("/r/c1/criu-root"), "/r/c1", {"/r/c1/criu-root"}},
      {"the directory itself is not beneath it", Line("/r/c1"), "/r/c1", {}},
      {"a sibling with the same prefix is not", Line("/r/c10/criu-root"), "/r/c1", {}},
      {"children before parents", Line("/r/c1/criu-root") + Line("/r/c1/criu-root/proc"), "/r/c1",
       {"/r/c1/criu-root/proc", "/r/c1/criu-root"}},
      {"stacked mounts once", Line("/r/c1/criu-root") + Line("/r/c1/criu-root"), "/r/c1", {"/r/c1/criu-root"}},
      {"a trailing slash and dots are normalized", Line("/r/c1/criu-root"), "/r/./c1/", {"/r/c1/criu-root"}},
      {"an escaped space", Line("/r/c\\0401/criu-root"), "/r/c 1", {"/r/c 1/criu-root"}},
      {"CRIU's cgroup yard in the work dir", Line("/s/c1/restore-work/.criu.cgyard.Xq1") + Line("/proc"),
       "/s/c1/restore-work", {"/s/c1/restore-work/.criu.cgyard.Xq1"}},
      {"a relative directory gives none", Line("/r/c1/criu-root"), "r/c1", {}},
      {"the root directory gives none", Line("/r/c1/criu-root"), "/", {}},
      {"malformed lines are skipped", "garbage\n" + Line("/r/c1/criu-root"), "/r/c1", {"/r/c1/criu-root"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MountsBeneath(c.mountinfo, c.dir), c.want) << c.name;
  }
}

}  // namespace
}  // namespace tardis::container
