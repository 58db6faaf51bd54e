// install and uninstall on a node made of a temp dir: every path pointed there, fake
// binaries, a fake systemctl. The rule checked everywhere: uninstall leaves the tree
// exactly as it was before install (every file's bytes, mode and owner, every symlink).
#include "tardis/node/install.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <absl/strings/str_join.h>
#include <absl/strings/str_replace.h>

#include "tardis/testing/golden.h"

namespace tardis::node {
namespace {

namespace fs = std::filesystem;

constexpr char kUnitTemplate[] =
    "[Unit]\nDescription=Tardis exit-code listener\n\n[Service]\nExecStart=/usr/local/bin/tardis-listen\n";

void Write(const std::string& path, const std::string& content, mode_t mode = 0644) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
  ::chmod(path.c_str(), mode);
}

std::string Read(const std::string& path) { return tardis::testing::ReadTestFile(path); }

// Every entry under `root`: path, type, mode, and content or link target.
std::string Snapshot(const std::string& root) {
  std::vector<std::string> lines;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    struct stat st;
    ::lstat(entry.path().c_str(), &st);
    std::string line = absl::StrCat(entry.path().string().substr(root.size()), " mode=", st.st_mode, " uid=", st.st_uid);
    if (S_ISLNK(st.st_mode)) absl::StrAppend(&line, " -> ", fs::read_symlink(entry.path()).string());
    if (S_ISREG(st.st_mode)) absl::StrAppend(&line, " content=", Read(entry.path().string()));
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, "\n");
}

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/install_test.", ::getpid(), ".", counter_++);
    fs::remove_all(root_);
    node_ = root_ + "/node";
    fs::create_directories(node_);
    from_ = root_ + "/bazel-bin";
    for (const char* name : {"tardis-runc", "tardis-runc-handler", "tardis-listen", "tardisctl"}) {
      Write(absl::StrCat(from_, "/", name), absl::StrCat("#!/bin/sh\n# fake ", name, "\n"), 0755);
    }
    Write(node_ + "/usr/sbin/runc", "#!/bin/sh\n# the real runc\n", 0755);
    Write(root_ + "/systemctl", absl::StrCat("#!/bin/sh\necho \"$*\" >>", root_, "/systemctl.log\n"), 0755);
  }
  void TearDown() override { fs::remove_all(root_); }

  InstallOptions Options(const std::string& mode = "config") const {
    InstallOptions options;
    options.mode = mode;
    options.prefix = node_ + "/usr/local/lib/tardis";
    options.from = from_;
    options.containerd_config = node_ + "/etc/containerd/config.toml";
    options.tardis_config = node_ + "/etc/tardis/tardis.conf";
    options.install_dir = node_ + "/var/lib/tardis/install";
    options.sbin = node_ + "/usr/local/sbin";
    options.real_runc = node_ + "/usr/sbin/runc";
    options.systemd_dir = node_ + "/run/systemd/system";
    options.unit_dir = node_ + "/etc/systemd/system";
    options.systemctl = root_ + "/systemctl";
    options.unit_template = kUnitTemplate;
    return options;
  }
  UninstallOptions Undo() const { return {node_ + "/var/lib/tardis/install", root_ + "/systemctl"}; }

  absl::Status RunInstall(const InstallOptions& options) {
    said_.clear();
    return Install(options, [&](const std::string& line) { said_.push_back(line); });
  }
  absl::Status RunUninstall() {
    said_.clear();
    return Uninstall(Undo(), [&](const std::string& line) { said_.push_back(line); });
  }
  std::string Said() const { return absl::StrJoin(said_, "\n"); }
  std::string SystemctlLog() const {
    return fs::exists(root_ + "/systemctl.log") ? Read(root_ + "/systemctl.log") : "";
  }

  static inline int counter_ = 0;
  std::string root_, node_, from_;
  std::vector<std::string> said_;
};

TEST_F(InstallTest, ConfigModeRestoresTheConfigByteForByte) {
  const std::string config = Options().containerd_config;
  Write(config, Read("testdata/node/containerd_config/default-containerd-1.6.20.toml"), 0640);
  const std::string before = Snapshot(node_);

  ASSERT_TRUE(RunInstall(Options()).ok()) << Said();
  EXPECT_TRUE(absl::StrContains(Read(config), absl::StrCat("            BinaryName = \"", node_,
                                                           "/usr/local/lib/tardis/tardis-runc\" # added by tardisctl install\n")));
  struct stat st;
  ASSERT_EQ(::stat(config.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  for (const char* name : {"tardis-runc", "tardis-runc-handler", "tardis-listen", "tardisctl"}) {
    const std::string installed = absl::StrCat(Options().prefix, "/", name);
    EXPECT_EQ(Read(installed), absl::StrCat("#!/bin/sh\n# fake ", name, "\n"));
    ASSERT_EQ(::stat(installed.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
  }
  const ParsedHostConfig written = ParseHostConfig(Read(Options().tardis_config));
  EXPECT_TRUE(written.problems.empty());
  EXPECT_EQ(written.config.real_runc, node_ + "/usr/sbin/runc");
  EXPECT_TRUE(absl::StrContains(Said(), "systemd is not running: restart containerd")) << Said();
  EXPECT_EQ(SystemctlLog(), "");

  // A second install is refused, and changes nothing.
  const std::string installed = Snapshot(node_);
  const absl::Status again = RunInstall(Options());
  EXPECT_TRUE(absl::IsFailedPrecondition(again)) << again;
  EXPECT_EQ(Snapshot(node_), installed);

  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Snapshot(node_), before);
  EXPECT_TRUE(absl::StrContains(Said(), "as it was before install")) << Said();
  EXPECT_TRUE(absl::IsNotFound(RunUninstall()));  // nothing left to undo
}

TEST_F(InstallTest, ConfigModeCreatesAMissingConfigAndRemovesIt) {
  const std::string before = Snapshot(node_);
  ASSERT_TRUE(RunInstall(Options()).ok()) << Said();
  EXPECT_TRUE(absl::StartsWith(Read(Options().containerd_config), "version = 2 # added by tardisctl install\n"));
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Snapshot(node_), before);
}

TEST_F(InstallTest, RuntimeHandlerAddsARuntimeAndLeavesRuncAlone) {
  const std::string config = Options().containerd_config;
  const std::string original = Read("testdata/node/containerd_config/default-containerd-1.6.20.toml");
  Write(config, original, 0640);
  const std::string before = Snapshot(node_);
  InstallOptions options = Options();
  options.runtime_handler = "tardis";

  ASSERT_TRUE(RunInstall(options).ok()) << Said();
  const std::string edited = Read(config);
  EXPECT_TRUE(absl::StartsWith(edited, original));  // runc's own tables are untouched
  EXPECT_TRUE(absl::StrContains(
      edited, absl::StrCat("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.tardis.options] # added by "
                           "tardisctl install\n  BinaryName = \"",
                           node_, "/usr/local/lib/tardis/tardis-runc\" # added by tardisctl install\n")));
  EXPECT_TRUE(absl::StrContains(Said(), "added the runtime tardis")) << Said();
  EXPECT_TRUE(absl::StrContains(Said(), "RuntimeClass has handler: tardis")) << Said();

  // Neither kind of install goes on top of it.
  const std::string installed = Snapshot(node_);
  EXPECT_TRUE(absl::IsFailedPrecondition(RunInstall(options)));
  EXPECT_TRUE(absl::IsFailedPrecondition(RunInstall(Options())));
  EXPECT_EQ(Snapshot(node_), installed);

  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Snapshot(node_), before);
  EXPECT_TRUE(absl::StrContains(Said(), "restart containerd to drop the runtime tardis")) << Said();
}

TEST_F(InstallTest, RuntimeHandlerConfigChangedSinceInstallLosesOnlyTardissLines) {
  const std::string config = Options().containerd_config;
  const std::string original = "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n"
                               "  SystemdCgroup = true\n";
  Write(config, original);
  InstallOptions options = Options();
  options.runtime_handler = "tardis";
  ASSERT_TRUE(RunInstall(options).ok()) << Said();
  EXPECT_TRUE(absl::StrContains(Read(config), "runtimes.tardis.options] # added by tardisctl install\n"));
  Write(config, absl::StrCat(Read(config), "[debug]\n  level = \"debug\"\n"));
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Read(config), absl::StrCat(original, "[debug]\n  level = \"debug\"\n"));
}

TEST_F(InstallTest, AConfigChangedSinceInstallLosesOnlyTardissLines) {
  const std::string config = Options().containerd_config;
  const std::string original =
      "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  BinaryName = \"\"\n";
  Write(config, original);
  ASSERT_TRUE(RunInstall(Options()).ok()) << Said();
  Write(config, absl::StrCat("# edited by the admin\n", Read(config), "[debug]\n  level = \"debug\"\n"));
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Read(config), absl::StrCat("# edited by the admin\n", original, "[debug]\n  level = \"debug\"\n"));
  EXPECT_TRUE(absl::StrContains(Said(), "was changed since install: took out only the lines tardisctl install marked"))
      << Said();
}

TEST_F(InstallTest, AConfigTardisCannotEditIsRefusedBeforeAnyChange) {
  Write(Options().containerd_config,
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  options = { BinaryName = \"x\" }\n");
  const std::string before = Snapshot(node_);
  const absl::Status installed = RunInstall(Options());
  EXPECT_TRUE(absl::IsFailedPrecondition(installed)) << installed;
  EXPECT_EQ(Snapshot(node_), before);
}

TEST_F(InstallTest, AnExistingTardisConfigIsKeptAndLeftAtUninstall) {
  Write(Options().tardis_config, "real_runc = /usr/sbin/runc\nlog_level = DEBUG\n");
  const std::string before = Snapshot(node_);
  ASSERT_TRUE(RunInstall(Options()).ok()) << Said();
  EXPECT_TRUE(absl::StrContains(Said(), "kept the existing")) << Said();
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Snapshot(node_), before);
}

TEST_F(InstallTest, ATardisConfigChangedSinceInstallStays) {
  ASSERT_TRUE(RunInstall(Options()).ok()) << Said();
  Write(Options().tardis_config, absl::StrCat(Read(Options().tardis_config), "log_level = DEBUG\n"));
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_TRUE(fs::exists(Options().tardis_config));
  EXPECT_TRUE(absl::StrContains(Said(), "was changed since install: left in place")) << Said();
}

TEST_F(InstallTest, PreviousBinariesAreMovedAsideAndPutBack) {
  Write(Options().prefix + "/tardis-runc", "an older tardis-runc\n", 0700);
  const std::string before = Snapshot(node_);
  ASSERT_TRUE(RunInstall(Options()).ok()) << Said();
  EXPECT_EQ(Read(Options().prefix + "/tardis-runc"), "#!/bin/sh\n# fake tardis-runc\n");
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Snapshot(node_), before);
}

TEST_F(InstallTest, PathModeShadowsRuncAndTakesItBack) {
  const std::string before = Snapshot(node_);
  ASSERT_TRUE(RunInstall(Options("path")).ok()) << Said();
  const std::string link = Options().sbin + "/runc";
  EXPECT_EQ(fs::read_symlink(link).string(), Options().prefix + "/tardis-runc");
  EXPECT_FALSE(fs::exists(Options().containerd_config));
  EXPECT_EQ(ParseHostConfig(Read(Options().tardis_config)).config.real_runc, node_ + "/usr/sbin/runc");
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Snapshot(node_), before);
}

TEST_F(InstallTest, PathModeRefusesSomeoneElsesRuncUnlessForced) {
  const std::string link = Options().sbin + "/runc";
  Write(link, "#!/bin/sh\n# someone's wrapper\n", 0755);
  const std::string before = Snapshot(node_);
  const absl::Status refused = RunInstall(Options("path"));
  EXPECT_TRUE(absl::IsAlreadyExists(refused)) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "pass --force")) << refused;
  EXPECT_EQ(Snapshot(node_), before);

  InstallOptions forced = Options("path");
  forced.force = true;
  ASSERT_TRUE(RunInstall(forced).ok()) << Said();
  EXPECT_EQ(fs::read_symlink(link).string(), Options().prefix + "/tardis-runc");
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Snapshot(node_), before);
}

TEST_F(InstallTest, PathModeReplacesItsOwnStaleLink) {
  const std::string link = Options().sbin + "/runc";
  fs::create_directories(Options().sbin);
  fs::create_symlink("/gone/tardis-runc", link);
  ASSERT_TRUE(RunInstall(Options("path")).ok()) << Said();
  EXPECT_EQ(fs::read_symlink(link).string(), Options().prefix + "/tardis-runc");
}

TEST_F(InstallTest, PathModeRefusesAConfigWhoseRealRuncWouldBeTardis) {
  Write(Options().tardis_config, absl::StrCat("real_runc = ", Options().sbin, "/runc\n"));
  const std::string before = Snapshot(node_);
  const absl::Status refused = RunInstall(Options("path"));
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_EQ(Snapshot(node_), before);
}

TEST_F(InstallTest, WithSystemdTheListenerUnitIsInstalledAndContainerdRestarted) {
  fs::create_directories(Options().systemd_dir);
  const std::string before = Snapshot(node_);
  ASSERT_TRUE(RunInstall(Options()).ok()) << Said();
  const std::string unit = Read(Options().unit_dir + "/tardis-listen.service");
  EXPECT_TRUE(absl::StrContains(unit, absl::StrCat("\nEnvironment=TARDIS_CONFIG=", Options().tardis_config,
                                                   "\nExecStart=", Options().prefix, "/tardis-listen\n")))
      << unit;
  EXPECT_EQ(SystemctlLog(), "daemon-reload\nenable --now tardis-listen.service\nrestart containerd\n");
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(SystemctlLog(),
            "daemon-reload\nenable --now tardis-listen.service\nrestart containerd\n"
            "disable --now tardis-listen.service\ndaemon-reload\nrestart containerd\n");
  EXPECT_EQ(Snapshot(node_), before);
}

TEST_F(InstallTest, AFailureHalfWayUndoesEverything) {
  fs::create_directories(Options().systemd_dir);
  Write(Options().containerd_config, "version = 2\n");
  Write(Options().unit_dir, "a file where the unit directory should be\n");  // the unit cannot be written
  const std::string before = Snapshot(node_);
  const absl::Status failed = RunInstall(Options());
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(absl::StrContains(Said(), "undoing what it did")) << Said();
  EXPECT_EQ(Snapshot(node_), before) << Said();
}

TEST_F(InstallTest, AUnitAlreadyThereIsMovedAsideAndPutBack) {
  fs::create_directories(Options().systemd_dir);
  const std::string unit = Options().unit_dir + "/tardis-listen.service";
  Write(unit, "[Service]\nExecStart=/opt/an-admins-listener\n", 0600);
  const std::string before = Snapshot(node_);
  ASSERT_TRUE(RunInstall(Options()).ok()) << Said();
  EXPECT_TRUE(absl::StrContains(Said(), absl::StrCat("moved the previous ", unit, " to "))) << Said();
  EXPECT_TRUE(absl::StrContains(Read(unit), absl::StrCat("ExecStart=", Options().prefix, "/tardis-listen\n")));
  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Snapshot(node_), before);
}

// Nodes in the field hold records (install.json, format version 1) that the tardisctl
// before install became a plan wrote: uninstall must undo them exactly. The node is put in
// the state that install left (config mode, systemd, a previous tardis-runc and unit moved
// aside, tardis.conf written) with the record as it wrote it.
TEST_F(InstallTest, AVersion1RecordOfTheOldInstallIsUndone) {
  const std::string install_dir = node_ + "/var/lib/tardis/install";
  const std::string prefix = Options().prefix;
  const std::string config = Options().containerd_config;
  const std::string unit = Options().unit_dir + "/tardis-listen.service";
  fs::create_directories(Options().systemd_dir);
  Write(prefix + "/tardis-runc", "an older tardis-runc\n", 0700);
  Write(config, "version = 2\n", 0640);
  Write(unit, "an admin's unit\n");
  const std::string before = Snapshot(node_);

  // What the old install did, in its order.
  const std::string previous = node_ + "/var/lib/tardis/install/previous";
  fs::create_directories(previous);
  fs::rename(prefix + "/tardis-runc", previous + "/tardis.tardis-runc");
  for (const char* name : {"tardis-runc", "tardis-runc-handler", "tardis-listen", "tardisctl"}) {
    Write(absl::StrCat(prefix, "/", name), absl::StrCat("#!/bin/sh\n# fake ", name, "\n"), 0755);
  }
  const std::string conf = DefaultHostConfigText(node_ + "/usr/sbin/runc");
  Write(Options().tardis_config, conf);
  Write(install_dir + "/tardis.conf.installed", conf, 0600);
  const std::string edited = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options] # added "
                             "by tardisctl install\n  BinaryName = \"x\" # added by tardisctl install\n";
  Write(install_dir + "/containerd-config.original", "version = 2\n", 0600);
  Write(install_dir + "/containerd-config.installed", edited, 0600);
  Write(config, edited, 0640);
  fs::rename(unit, previous + "/system.tardis-listen.service");
  Write(unit, "the installed unit\n");
  Write(install_dir + "/tardis-listen.service.installed", "the installed unit\n", 0600);
  const std::string record = absl::StrReplaceAll(Read("testdata/node/install/v1-config-systemd.json"), {{"@NODE@", node_}});
  Write(install_dir + "/install.json", record, 0600);
  // The record is in the very shape SerializeInstallRecord writes (unchanged since v1).
  const absl::StatusOr<InstallRecord> parsed = ParseInstallRecord(record);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(SerializeInstallRecord(*parsed), record);

  ASSERT_TRUE(RunUninstall().ok()) << Said();
  EXPECT_EQ(Snapshot(node_), before) << Said();
  EXPECT_EQ(SystemctlLog(), "disable --now tardis-listen.service\ndaemon-reload\nrestart containerd\n");
  EXPECT_TRUE(absl::StrContains(Said(), "as it was before install")) << Said();
  EXPECT_TRUE(absl::StrContains(Said(), absl::StrCat("put back the previous ", prefix, "/tardis-runc"))) << Said();
  EXPECT_TRUE(absl::StrContains(Said(), absl::StrCat("removed ", Options().tardis_config))) << Said();
}

// A failure at each kind of step: what was done before it, and what the failed step may
// have half-done, is undone, and the node is as it was.
TEST_F(InstallTest, AFailureAtEachStepUndoesEverything) {
  struct Case {
    std::string name;
    std::string file_in_the_way;  // under the node: a file where a directory must go
    std::string dir_in_the_way;   // under the node: a directory where a file must go
    std::string failing_systemctl;  // the systemctl command that fails
    std::string want_systemctl;
  };
  const std::vector<Case> cases = {
      {"the prefix is a file", "/usr/local/lib/tardis", "", "", ""},
      {"tardis.conf's copy cannot be kept", "", "/var/lib/tardis/install/tardis.conf.installed", "", ""},
      {"the original containerd config's copy cannot be kept", "", "/var/lib/tardis/install/containerd-config.original",
       "", ""},
      {"the unit directory is a file", "/etc/systemd/system", "", "", ""},
      {"daemon-reload fails", "", "", "daemon-reload", "daemon-reload\ndaemon-reload\n"},
      {"the listener does not start", "", "", "enable --now tardis-listen.service",
       "daemon-reload\nenable --now tardis-listen.service\ndisable --now tardis-listen.service\ndaemon-reload\n"},
      {"containerd does not restart", "", "", "restart containerd",
       "daemon-reload\nenable --now tardis-listen.service\nrestart containerd\ndisable --now tardis-listen.service\n"
       "daemon-reload\nrestart containerd\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TearDown();
    SetUp();
    fs::create_directories(Options().systemd_dir);
    Write(Options().containerd_config, "version = 2\n", 0600);
    if (!c.file_in_the_way.empty()) Write(node_ + c.file_in_the_way, "in the way\n");
    if (!c.dir_in_the_way.empty()) fs::create_directories(node_ + c.dir_in_the_way);
    if (!c.failing_systemctl.empty()) {
      Write(root_ + "/systemctl",
            absl::StrCat("#!/bin/sh\necho \"$*\" >>", root_, "/systemctl.log\n[ \"$*\" != \"", c.failing_systemctl,
                         "\" ] || { echo no such luck >&2; exit 1; }\n"),
            0755);
    }
    const std::string before = Snapshot(node_);
    const absl::Status failed = RunInstall(Options());
    EXPECT_FALSE(failed.ok());
    EXPECT_TRUE(absl::StrContains(Said(), "undoing what it did")) << Said();
    if (!c.failing_systemctl.empty()) {
      EXPECT_TRUE(absl::StrContains(failed.message(), "no such luck")) << failed;
    }
    EXPECT_EQ(Snapshot(node_), before) << Said();
    EXPECT_EQ(SystemctlLog(), c.want_systemctl) << Said();
  }
}

TEST_F(InstallTest, BadOptions) {
  InstallOptions options = Options();
  options.mode = "both";
  EXPECT_TRUE(absl::IsInvalidArgument(RunInstall(options)));
  options = Options();
  options.prefix = "relative/dir";
  EXPECT_TRUE(absl::IsInvalidArgument(RunInstall(options)));
  options = Options();
  options.from = root_ + "/nowhere";
  EXPECT_TRUE(absl::IsNotFound(RunInstall(options)));
  const std::string before = Snapshot(node_);
  options = Options("path");
  options.runtime_handler = "tardis";
  EXPECT_TRUE(absl::IsInvalidArgument(RunInstall(options)));
  for (const char* handler : {"runc", "Tardis", "-tardis", "tar dis"}) {
    options = Options();
    options.runtime_handler = handler;
    EXPECT_TRUE(absl::IsInvalidArgument(RunInstall(options))) << handler;
  }
  EXPECT_EQ(Snapshot(node_), before);
}

}  // namespace
}  // namespace tardis::node
