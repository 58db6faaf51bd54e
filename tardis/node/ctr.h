// tardisctl's only way to containerd: the ctr binary, with the namespace and address of
// the node (no gRPC library is available offline). Every call gets --connect-timeout,
// because ctr waits forever for a containerd that is not there, and finalize has a
// two-minute notice to work with.
#ifndef TARDIS_NODE_CTR_H_
#define TARDIS_NODE_CTR_H_

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>

#include "tardis/sys/exec.h"

namespace tardis::node {

// What a helper program did.
struct CommandResult {
  bool ran = false;        // false: it could not be started (`error` says why)
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string error;

  bool ok() const { return ran && exit_code == 0; }

  // One line saying why it failed: its last line on stderr (or stdout), with the status.
  std::string Why() const {
    if (!ran) return error;
    std::string last;
    for (absl::string_view text : {absl::string_view(err), absl::string_view(out)}) {
      for (absl::string_view line : absl::StrSplit(text, '\n')) {
        line = absl::StripAsciiWhitespace(line);
        if (!line.empty()) last = std::string(line);
      }
      if (!last.empty()) break;
    }
    if (last.empty()) return absl::StrCat("exit status ", exit_code);
    return absl::StrCat(last, " (exit status ", exit_code, ")");
  }
};

inline constexpr char kCtrConnectTimeout[] = "10s";

class CtrClient {
 public:
  // `ctr`: the binary (a bare name is looked up in PATH); `address`: "" for ctr's default.
  CtrClient(std::string ctr, std::string address) : ctr_(ResolveExecutable(ctr)), address_(std::move(address)) {
    if (ctr_.empty()) ctr_ = ctr;  // reported when run
  }

  // `ctr [--address A] --connect-timeout T -n NS ARGS...`
  std::vector<std::string> Argv(const std::string& ns, const std::vector<std::string>& args) const {
    std::vector<std::string> argv;
    if (!address_.empty()) argv.insert(argv.end(), {"--address", address_});
    argv.insert(argv.end(), {"--connect-timeout", kCtrConnectTimeout, "--namespace", ns});
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  CommandResult Run(const std::string& ns, const std::vector<std::string>& args) const {
    CommandResult result;
    absl::StatusOr<Captured> captured = RunCaptured(ctr_, Argv(ns, args));
    if (!captured.ok()) {
      result.error = std::string(captured.status().message());
      return result;
    }
    result.ran = true;
    result.exit_code = captured->exit_code;
    result.out = std::move(captured->out);
    result.err = std::move(captured->err);
    return result;
  }

  std::string Describe(const std::string& ns, const std::vector<std::string>& args) const {
    return absl::StrCat(ctr_, " ", absl::StrJoin(Argv(ns, args), " "));
  }

 private:
  std::string ctr_;
  std::string address_;
};

}  // namespace tardis::node

#endif  // TARDIS_NODE_CTR_H_
