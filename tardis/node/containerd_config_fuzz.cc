// Fuzz target: any bytes as containerd's config. Reading never crashes; whenever an edit
// (runc's BinaryName, or an added runtime) succeeds, taking Tardis's lines out gives back
// the input exactly, and a second edit is refused (uninstall's fallback and install's
// idempotence, for every input); the input was TOML to toml++, and the edited file is
// TOML whose BinaryName, where the edit put it, is the binary asked for.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tardis/node/containerd_config_edit.h"
#include "tardis/node/containerd_config_toml.h"

namespace {

constexpr char kBinary[] = "/usr/local/lib/tardis/tardis-runc";

// The input was TOML (when there was one) and the edit's BinaryName reads as kBinary.
void CheckWithToml(const std::string& input, bool exists, const tardis::node::ContainerdConfigEdit& edit,
                   const std::string& runtime) {
  namespace ct = ::tardis::node::containerd_toml;
  if (exists && !ct::Parse(input).ok()) std::abort();
  const absl::StatusOr<::toml::table> edited = ct::Parse(edit.text);
  if (!edited.ok()) std::abort();
  std::vector<std::string> options = tardis::node::containerd_config_internal::RuntimePath(edit.version, runtime);
  options.push_back("options");
  const ::toml::node* binary = ct::At(*edited, options);
  binary = binary != nullptr && binary->is_table() ? binary->as_table()->get("BinaryName") : nullptr;
  if (binary == nullptr || binary->value<std::string>() != std::optional<std::string>(kBinary)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const bool exists : {true, false}) {
    if (!exists && !text.empty()) continue;
    const absl::StatusOr<tardis::node::ContainerdConfigEdit> edit =
        tardis::node::SetRuncBinaryName(text, exists, kBinary);
    if (!edit.ok()) continue;
    CheckWithToml(text, exists, *edit, "runc");
    if (tardis::node::RemoveTardisLines(edit->text).text != text) std::abort();
    if (tardis::node::SetRuncBinaryName(edit->text, true, "/x").ok()) std::abort();
  }
  for (const bool exists : {true, false}) {
    if (!exists && !text.empty()) continue;
    const absl::StatusOr<tardis::node::ContainerdConfigEdit> edit =
        tardis::node::AddTardisRuntime(text, exists, "tardis", kBinary);
    if (!edit.ok()) continue;
    CheckWithToml(text, exists, *edit, "tardis");
    if (tardis::node::RemoveTardisLines(edit->text).text != text) std::abort();
    if (tardis::node::AddTardisRuntime(edit->text, true, "tardis", "/x").ok()) std::abort();
    if (tardis::node::SetRuncBinaryName(edit->text, true, "/x").ok()) std::abort();
  }
  (void)tardis::node::RemoveTardisLines(text);
  return 0;
}
