// Fuzz target: any bytes as containerd's config. Reading never crashes; whenever an edit
// (runc's BinaryName, or an added runtime) succeeds, taking Tardis's lines out gives back the input exactly, and a second edit is
// refused (uninstall's fallback and install's idempotence, for every input).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tardis/node/containerd_config_edit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const bool exists : {true, false}) {
    if (!exists && !text.empty()) continue;
    const absl::StatusOr<tardis::node::ContainerdConfigEdit> edit =
        tardis::node::SetRuncBinaryName(text, exists, "/usr/local/lib/tardis/tardis-runc");
    if (!edit.ok()) continue;
    if (tardis::node::RemoveTardisLines(edit->text).text != text) std::abort();
    if (tardis::node::SetRuncBinaryName(edit->text, true, "/x").ok()) std::abort();
  }
  for (const bool exists : {true, false}) {
    if (!exists && !text.empty()) continue;
    const absl::StatusOr<tardis::node::ContainerdConfigEdit> edit =
        tardis::node::AddTardisRuntime(text, exists, "tardis", "/usr/local/lib/tardis/tardis-runc");
    if (!edit.ok()) continue;
    if (tardis::node::RemoveTardisLines(edit->text).text != text) std::abort();
    if (tardis::node::AddTardisRuntime(edit->text, true, "tardis", "/x").ok()) std::abort();
    if (tardis::node::SetRuncBinaryName(edit->text, true, "/x").ok()) std::abort();
  }
  (void)tardis::node::RemoveTardisLines(text);
  return 0;
}
