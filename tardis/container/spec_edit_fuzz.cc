// Fuzz target: any config.json text is either refused or edited into valid JSON that is
// the original plus exactly the work mount (last) and the working directory; what the
// container asks for (its settings) reads the same before and after, and editing the
// result again is refused because the mount is already there. And AnnotateCriuConfig
// (criu_config_hold.h): refused, or the original plus exactly the annotation, which a
// second edit refuses.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/container/criu_config_hold.h"
#include "tardis/container/opt_in.h"
#include "tardis/container/spec_edit.h"

namespace {

using namespace tardis::container;

constexpr char kHostWorkdir[] = "/mnt/nfs/work/default/c1";
constexpr char kContainerPath[] = "/work";
constexpr char kCriuConfig[] = "/run/tardis/containers/default/c1/restore-work/criu.conf";

void Check(bool condition) {
  if (!condition) std::abort();
}

std::string Settings(absl::string_view text) {
  const absl::StatusOr<ContainerSettings> settings = ReadContainerSettings(text);
  if (!settings.ok()) return settings.status().ToString();
  return std::string(StorageModeName(settings->mode)) + (settings->enabled ? " on " : " off ") +
         settings->checkpoint_host_path + "|" + settings->networkfs_host_path + "|" +
         settings->workdir_container_path;
}

void CheckCriuAnnotation(absl::string_view text) {
  const absl::StatusOr<std::string> annotated = AnnotateCriuConfig(text, kCriuConfig);
  if (!annotated.ok()) return;
  using Json = nlohmann::ordered_json;
  Json want = Json::parse(text.begin(), text.end(), nullptr, false);
  Check(!want.is_discarded());
  want["annotations"][kCriuConfigAnnotation] = kCriuConfig;
  Check(*annotated == want.dump());
  Check(Settings(text) == Settings(*annotated));
  Check(absl::IsFailedPrecondition(AnnotateCriuConfig(*annotated, kCriuConfig).status()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  CheckCriuAnnotation(text);
  const absl::StatusOr<std::string> edited = AddWorkdirMount(text, kHostWorkdir, kContainerPath);
  if (!edited.ok()) return 0;

  using Json = nlohmann::ordered_json;
  Json want = Json::parse(text.begin(), text.end(), nullptr, false);
  Check(!want.is_discarded());
  if (!want.contains("mounts") || want["mounts"].is_null()) want["mounts"] = Json::array();
  want["mounts"].push_back({{"destination", kContainerPath},
                            {"type", "bind"},
                            {"source", kHostWorkdir},
                            {"options", {"rbind", "rw"}}});
  want["process"]["cwd"] = kContainerPath;
  Check(*edited == want.dump());

  Check(Settings(text) == Settings(*edited));
  Check(
      absl::IsFailedPrecondition(AddWorkdirMount(*edited, kHostWorkdir, kContainerPath).status()));
  return 0;
}
