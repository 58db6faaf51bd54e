// Finalizing the node, as both `finalize` and `watch` (on a spot notice) do it: the real
// system behind node::Finalize, finalize's options from the command line, and the options
// the two commands (and status) share, described once.
#ifndef CMD_TARDISCTL_FINALIZE_NODE_H_
#define CMD_TARDISCTL_FINALIZE_NODE_H_

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/str_cat.h>

#include "cmd/tardisctl/command.h"
#include "tardis/image/image_key.h"
#include "tardis/node/finalize.h"
#include "tardis/node/image_info.h"
#include "tardis/node/memory_use.h"
#include "tardis/node/opted_in.h"
#include "tardis/node/options.h"
#include "tardis/node/report.h"
#include "tardis/sys/clock.h"

namespace tardisctl {

inline const node::OptionSpec kAddressOption = {
    "address", "A", "containerd's socket (default: containerd_address from the host\nconfiguration, else ctr's default)"};
inline const node::OptionSpec kParallelOption = {
    "parallel", "N", "containers checkpointed at once (default: the number of CPUs, at least 2)"};
inline const node::OptionSpec kJsonOption = {"json", "", "print the report as JSON"};

inline int DefaultParallelism() {
  cpu_set_t set;
  int cpus = 0;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(cpus, 2);
}

class RealFinalizeSystem : public node::FinalizeSystem {
 public:
  RealFinalizeSystem(Context& context, node::CtrClient ctr) : context_(context), ctr_(std::move(ctr)) {}

  node::CommandResult Ctr(const std::string& ns, const std::vector<std::string>& args) override {
    context_.Log(tardis::LogLevel::kDebug, absl::StrCat("running: ", ctr_.Describe(ns, args)));
    node::CommandResult result = ctr_.Run(ns, args);
    if (!result.ok()) context_.Log(tardis::LogLevel::kDebug, absl::StrCat("ctr: ", result.Why()));
    return result;
  }
  node::ImageInfo Image(const node::OptedIn& c) override {
    return node::InspectImage(c.record.image_dir, c.ns, c.record.identity, node::ImageCheck::kQuick,
                              tardis::LoadImageKey(context_.host.config.image_key_file));
  }
  int64_t WallNanos() override { return tardis::NowUnixNanos(); }
  int64_t MonotonicNanos() override { return tardis::MonotonicNanos(); }
  std::optional<uint64_t> MemoryBytes(const node::OptedIn& c) override { return node::ReadMemoryUse(c.record.bundle); }
  void Sleep(int64_t nanos) override {
    struct timespec pause = {static_cast<time_t>(nanos / 1000000000), static_cast<long>(nanos % 1000000000)};
    while (::nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
  }
  void Log(tardis::LogLevel level, const std::string& message) override { context_.Log(level, message); }
  void Finalized(const node::OptedIn& c, const node::ImageInfo& image) override {
    const absl::Status recorded = node::RecordFinalized(
        context_.host.config.state_dir, {c.ns, c.id, c.record.image_dir, tardis::NowUnixNanos()});
    if (!recorded.ok()) {
      context_.Log(tardis::LogLevel::kWarning, absl::StrCat(c.ns, "/", c.id, ": ", recorded.message()));
    }
  }

 private:
  Context& context_;
  node::CtrClient ctr_;
};

// finalize's options from the command line, shared by finalize and watch: "" or a usage error.
inline std::string FinalizeOptionsFrom(const Context& context, const node::ParsedOptions& options,
                                       node::FinalizeOptions* finalize) {
  finalize->parallel = DefaultParallelism();
  finalize->scratch_dir = context.host.config.state_dir + "/finalize";
  if (options.has("parallel")) {
    absl::StatusOr<int> parallel = node::ParseCount("parallel", options.value_or("parallel", ""), 1, 256);
    if (!parallel.ok()) return std::string(parallel.status().message());
    finalize->parallel = *parallel;
  }
  return "";
}

inline node::FinalizeReport FinalizeNode(Context& context, const node::ParsedOptions& options,
                                         const node::FinalizeOptions& finalize) {
  const std::string& state_dir = context.host.config.state_dir;
  // Journal entries whose image is gone have nothing left to show.
  for (const node::FinalizedEntry& entry : node::ListFinalized(state_dir)) {
    if (!tardis::FindImage(entry.image_dir)) node::ForgetFinalized(state_dir, entry);
  }
  const std::vector<node::OptedIn> containers = node::ListOptedIn(state_dir);
  RealFinalizeSystem system(context, context.Ctr(options));
  return node::Finalize(system, containers, finalize);
}

}  // namespace tardisctl

#endif  // CMD_TARDISCTL_FINALIZE_NODE_H_
