// Fuzz target: any bytes as `ctr tasks ls` output parse without crashing, and every task
// parsed has an identifier, a non-negative pid and an upper-case status.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tardis/node/task_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto tasks = tardis::node::ParseTaskList(text);
  if (!tasks.ok()) return 0;
  for (const auto& [id, task] : *tasks) {
    if (id != task.id || !tardis::events::IsContainerdIdentifier(id) || task.pid < 0 || task.status.empty()) {
      std::abort();
    }
  }
  return 0;
}
