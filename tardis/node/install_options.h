// What `tardisctl install` and `tardisctl uninstall` are told: every path is an option, so
// tests never touch the real system.
#ifndef TARDIS_NODE_INSTALL_OPTIONS_H_
#define TARDIS_NODE_INSTALL_OPTIONS_H_

#include <functional>
#include <string>

#include "tardis/config/host_config.h"

namespace tardis::node {

// All required: the tardis-runc front-end refuses every call it cannot pass straight to
// runc when tardis-runc-handler is not beside it.
inline constexpr const char* kInstalledBinaries[] = {"tardis-runc", "tardis-runc-handler", "tardis-listen", "tardisctl"};
inline constexpr char kUnitName[] = "tardis-listen.service";

struct InstallOptions {
  std::string mode = "config";
  std::string runtime_handler;  // --mode config: "" = make runc tardis-runc; else add this runtime
  std::string prefix = "/usr/local/lib/tardis";
  std::string from;  // where the binaries are; "" = beside the running tardisctl
  std::string containerd_config = "/etc/containerd/config.toml";
  std::string tardis_config = kDefaultConfigPath;
  std::string install_dir = "/var/lib/tardis/install";
  std::string sbin = "/usr/local/sbin";
  std::string real_runc;  // "" = the first runc in PATH that is not Tardis's
  bool force = false;
  std::string systemd_dir = "/run/systemd/system";  // exists when systemd runs
  std::string unit_dir = "/etc/systemd/system";
  std::string systemctl = "systemctl";
  std::string unit_template;  // cmd/tardis-listen.service
};

struct UninstallOptions {
  std::string install_dir = "/var/lib/tardis/install";
  std::string systemctl = "systemctl";
};

using Say = std::function<void(const std::string&)>;

}  // namespace tardis::node

#endif  // TARDIS_NODE_INSTALL_OPTIONS_H_
