// Every parser of what a metadata service answers (and of acted.json, which the watcher
// reads back): none may crash, hang or accept what its own serializer would not give.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tardis/watch/acted.h"
#include "tardis/watch/aws.h"
#include "tardis/watch/azure.h"
#include "tardis/watch/gcp.h"
#include "tardis/watch/timestamps.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tardis::watch;
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  if (absl::StatusOr<AwsInstanceAction> action = ParseAwsInstanceAction(body); action.ok()) AwsSpotNotice(*action);
  if (absl::StatusOr<int64_t> time = ParseAwsRebalance(body); time.ok()) AwsRebalanceNotice(*time, 0, 120);
  (void)ParseAwsToken(body);
  (void)ParseGcpPreempted("Google", body);
  (void)UsableEtag(body);
  if (absl::StatusOr<AzureDocument> document = ParseAzureScheduledEvents(body); document.ok()) {
    if (std::optional<AzureEvent> event = FindPreemption(*document, "vm")) AzureNotice(*event, 0);
  }
  (void)ParseAzureVmName(body);
  (void)ParseRfc3339(body);
  (void)ParseRfc1123(body);
  if (absl::StatusOr<std::vector<ActedEntry>> entries = ParseActed(body); entries.ok()) {
    // What is read is what is written back.
    absl::StatusOr<std::vector<ActedEntry>> again = ParseActed(SerializeActed(*entries));
    if (!again.ok() || *again != *entries) __builtin_trap();
  }
  return 0;
}
