// Which cloud's metadata service answers here (`--cloud auto`), and the monitor for a
// cloud. Each cloud is probed once, in turn (AWS, GCP, Azure), with the probe's own short
// timeouts: on a machine with no metadata service at all this costs a few connect
// timeouts, once, at start.
#ifndef TARDIS_WATCH_DETECT_H_
#define TARDIS_WATCH_DETECT_H_

#include <memory>
#include <optional>

#include "tardis/watch/aws_monitor.h"
#include "tardis/watch/azure_monitor.h"
#include "tardis/watch/gcp_monitor.h"
#include "tardis/watch/http.h"
#include "tardis/watch/monitor.h"

namespace tardis::watch {

// `probe`: the endpoint and (short) timeouts to probe with.
inline std::optional<Cloud> DetectCloud(HttpClient& http, const MonitorOptions& probe) {
  if (AwsMonitor::Probe(http, probe)) return Cloud::kAws;
  if (GcpMonitor::Probe(http, probe)) return Cloud::kGcp;
  if (AzureMonitor::Probe(http, probe)) return Cloud::kAzure;
  return std::nullopt;
}

inline std::unique_ptr<Monitor> MakeMonitor(Cloud cloud, const MonitorOptions& options) {
  switch (cloud) {
    case Cloud::kAws: return std::make_unique<AwsMonitor>(options);
    case Cloud::kGcp: return std::make_unique<GcpMonitor>(options);
    case Cloud::kAzure: return std::make_unique<AzureMonitor>(options);
  }
  return nullptr;
}

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_DETECT_H_
