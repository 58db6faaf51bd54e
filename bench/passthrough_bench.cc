// passthrough_bench: what tardis-runc costs on a call it passes through to runc.
//
// containerd calls runc several times per container and on every `ctr task ls`/`ps`,
// so tardis-runc's own start-up is paid on each of those calls. This measures it the way
// a caller sees it: fork/exec/wait wall time (posix_spawn + waitpid, CLOCK_MONOTONIC; no
// shell in between) of
//   runc --version                vs  tardis-runc --version
//   runc --root R state ID        vs  tardis-runc --root R state ID   (a live container)
// in one process, with the variants interleaved round by round (alternating order), so
// that drift in machine load hits every variant alike. It prints median and p90 per
// variant and the tardis/runc ratios of the medians.
//
// Needs root (it runs a real container with runc). Usage:
//   bazel run -c opt //bench:passthrough_bench -- [--rounds=500] [--warmup=20]
//       [--tardis-runc=PATH] [--runc=/usr/sbin/runc] [--busybox=/bin/busybox]
// tardis-runc comes from runfiles (//cmd:tardis-runc) unless --tardis-runc is given.
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace {

volatile sig_atomic_t g_interrupted = 0;
void OnSignal(int) { g_interrupted = 1; }

struct Options {
  int rounds = 500;
  int warmup = 20;
  std::string runc = "/usr/sbin/runc";
  std::string tardis_runc;  // empty: from runfiles
  std::string busybox = "/bin/busybox";
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "passthrough_bench: %s\n", message.c_str());
  std::exit(2);
}

bool IsExecutable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// //cmd:tardis-runc in this binary's runfiles (bazel run sets RUNFILES_DIR or runs us in
// the runfiles tree; a direct run finds <argv0>.runfiles).
std::string FindTardisRunc(const char* argv0) {
  std::vector<std::string> candidates;
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* dir = std::getenv(var); dir != nullptr && *dir != '\0') {
      candidates.push_back(std::string(dir) + "/tardis/cmd/tardis-runc");
    }
  }
  candidates.push_back(std::string(argv0) + ".runfiles/tardis/cmd/tardis-runc");
  char self[4096];
  if (ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1); n > 0) {
    self[n] = '\0';
    candidates.push_back(std::string(self) + ".runfiles/tardis/cmd/tardis-runc");
  }
  candidates.push_back("cmd/tardis-runc");  // cwd is the runfiles root under `bazel run`
  for (const std::string& candidate : candidates) {
    if (IsExecutable(candidate)) {
      char resolved[PATH_MAX];
      if (::realpath(candidate.c_str(), resolved) != nullptr) return resolved;
    }
  }
  Die("cannot find tardis-runc in runfiles; pass --tardis-runc=PATH");
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&](const char* name) -> const char* {
      const std::string prefix = std::string("--") + name + "=";
      return arg.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("rounds")) {
      options.rounds = std::atoi(v);
    } else if (const char* v = value("warmup")) {
      options.warmup = std::atoi(v);
    } else if (const char* v = value("runc")) {
      options.runc = v;
    } else if (const char* v = value("tardis-runc")) {
      options.tardis_runc = v;
    } else if (const char* v = value("busybox")) {
      options.busybox = v;
    } else {
      Die("unknown argument: " + arg +
          " (flags: --rounds=N --warmup=N --runc=PATH --tardis-runc=PATH --busybox=PATH)");
    }
  }
  if (options.rounds < 1 || options.warmup < 0) Die("--rounds must be >= 1, --warmup >= 0");
  if (options.tardis_runc.empty()) options.tardis_runc = FindTardisRunc(argv[0]);
  return options;
}

// Runs argv with stdio on /dev/null (or stdout captured into *out); returns the wait
// status and, in *nanos, the wall time from just before posix_spawn to waitpid's return.
int Spawn(const std::vector<std::string>& args, char** envp, long long* nanos,
          std::string* out = nullptr) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  int pipe_fds[2] = {-1, -1};
  if (out != nullptr && ::pipe2(pipe_fds, O_CLOEXEC) != 0) Die("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (out != nullptr) {
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);

  timespec start, end;
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = -1;
  const int error = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) Die("posix_spawn " + args[0] + ": " + std::strerror(error));
  if (out != nullptr) {
    ::close(pipe_fds[1]);
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) out->append(buffer, static_cast<size_t>(n));
    }
    ::close(pipe_fds[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) Die(std::string("waitpid: ") + std::strerror(errno));
  }
  ::clock_gettime(CLOCK_MONOTONIC, &end);
  if (nanos != nullptr) {
    *nanos = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
  }
  return status;
}

bool Succeeded(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  file << text;
  if (!file.good()) Die("cannot write " + path);
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path) == 0 ? 0 : -1;
}

// A bundle whose process is `sleep` in a busybox rootfs, from `runc spec`'s defaults.
void MakeBundle(const Options& options, const std::string& bundle, char** envp) {
  const std::string bin = bundle + "/rootfs/bin";
  for (const std::string& dir : {bundle, bundle + "/rootfs", bin}) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) Die("mkdir " + dir);
  }
  std::ifstream in(options.busybox, std::ios::binary);
  std::ofstream copy(bin + "/busybox", std::ios::binary);
  copy << in.rdbuf();
  copy.close();
  if (!in.good() || !copy.good() || ::chmod((bin + "/busybox").c_str(), 0755) != 0) {
    Die("cannot copy " + options.busybox);
  }
  for (const char* applet : {"sh", "sleep"}) {
    if (::symlink("busybox", (bin + "/" + applet).c_str()) != 0) Die("symlink failed");
  }
  if (!Succeeded(Spawn({options.runc, "spec", "--bundle", bundle}, envp, nullptr))) {
    Die("runc spec failed");
  }
  std::ifstream spec_in(bundle + "/config.json");
  std::stringstream text;
  text << spec_in.rdbuf();
  nlohmann::json spec = nlohmann::json::parse(text.str(), nullptr, false);
  if (spec.is_discarded() || !spec.contains("process")) Die("cannot parse runc spec's config.json");
  spec["process"]["terminal"] = false;
  spec["process"]["args"] = {"/bin/sleep", "1000000"};
  WriteFile(bundle + "/config.json", spec.dump(1, '\t'));
}

struct Variant {
  std::string name;
  std::vector<std::string> argv;
  std::vector<long long> nanos;
};

double Percentile(std::vector<long long> values, double p) {
  std::sort(values.begin(), values.end());
  // Nearest-rank on the sorted sample; median of an even count averages the middle two.
  if (p == 50.0 && values.size() % 2 == 0) {
    return (values[values.size() / 2 - 1] + values[values.size() / 2]) / 2.0;
  }
  size_t rank = static_cast<size_t>(p / 100.0 * values.size() + 0.999999);
  rank = std::clamp<size_t>(rank, 1, values.size());
  return static_cast<double>(values[rank - 1]);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  if (::geteuid() != 0) Die("must run as root (it runs a container with runc)");
  for (const std::string& binary : {options.runc, options.tardis_runc, options.busybox}) {
    if (!IsExecutable(binary)) Die("not executable: " + binary);
  }

  char tmp_template[] = "/tmp/tardis-bench.XXXXXX";
  if (::mkdtemp(tmp_template) == nullptr) Die("mkdtemp failed");
  const std::string tmp = tmp_template;
  const std::string root = tmp + "/runc-root";
  const std::string bundle = tmp + "/bundle";
  const std::string config = tmp + "/tardis.conf";
  const std::string id = "tardis-bench-" + std::to_string(::getpid());
  if (::mkdir(root.c_str(), 0700) != 0) Die("mkdir " + root);

  WriteFile(config, "real_runc = " + options.runc + "\nlog_level = WARNING\nlog_file = " + tmp +
                        "/tardis.log\nstate_dir = " + tmp + "/tardis-state\ncheckpoint_base = " +
                        tmp + "/checkpoints\n");
  // Both binaries get the same environment: this one's plus TARDIS_CONFIG.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "TARDIS_CONFIG=", 14) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back("TARDIS_CONFIG=" + config);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  struct sigaction action {};
  action.sa_handler = OnSignal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  MakeBundle(options, bundle, envp.data());
  // runc run -d with stdio on /dev/null (a host file would pin the container).
  if (!Succeeded(Spawn({options.runc, "--root", root, "run", "-d", "--bundle", bundle, id},
                       envp.data(), nullptr))) {
    Die("runc run -d failed (see `runc --root " + root + " run -d --bundle " + bundle + " " + id +
        "`); " + tmp + " left for inspection");
  }
  int exit_code = 0;
  {
    std::string state;
    Spawn({options.runc, "--root", root, "state", id}, envp.data(), nullptr, &state);
    nlohmann::json parsed = nlohmann::json::parse(state, nullptr, false);
    if (parsed.is_discarded() || parsed.value("status", "") != "running") {
      std::fprintf(stderr, "passthrough_bench: container is not running: %s\n", state.c_str());
      exit_code = 2;
    }
  }

  std::vector<Variant> variants = {
      {"runc --version", {options.runc, "--version"}, {}},
      {"tardis-runc --version", {options.tardis_runc, "--version"}, {}},
      {"runc state", {options.runc, "--root", root, "state", id}, {}},
      {"tardis-runc state", {options.tardis_runc, "--root", root, "state", id}, {}},
  };
  if (exit_code == 0) {
    // A pass-through must answer exactly like runc, or the timing compares different work.
    std::string from_runc, from_tardis;
    Spawn(variants[2].argv, envp.data(), nullptr, &from_runc);
    Spawn(variants[3].argv, envp.data(), nullptr, &from_tardis);
    if (from_runc != from_tardis || from_runc.empty()) {
      std::fprintf(stderr,
                   "passthrough_bench: tardis-runc state differs from runc state:\n%s\n---\n%s\n",
                   from_runc.c_str(), from_tardis.c_str());
      exit_code = 2;
    }
  }
  int failures = 0;
  if (exit_code == 0) {
    std::printf("passthrough_bench: %d rounds (+%d warm-up), variants interleaved\n",
                options.rounds, options.warmup);
    std::printf("  runc:        %s\n  tardis-runc: %s\n  TARDIS_CONFIG: log_level WARNING\n",
                options.runc.c_str(), options.tardis_runc.c_str());
    std::fflush(stdout);
    for (int round = 0; round < options.warmup + options.rounds && !g_interrupted; ++round) {
      for (size_t k = 0; k < variants.size(); ++k) {
        // Even rounds run the variants in order, odd rounds in reverse.
        Variant& v = variants[round % 2 == 0 ? k : variants.size() - 1 - k];
        long long nanos = 0;
        if (!Succeeded(Spawn(v.argv, envp.data(), &nanos))) ++failures;
        if (round >= options.warmup) v.nanos.push_back(nanos);
      }
    }
  }

  // Clean up: the container (runc removes its cgroups), then the temp dir.
  Spawn({options.runc, "--root", root, "delete", "--force", id}, envp.data(), nullptr);
  if (::nftw(tmp.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
    std::fprintf(stderr, "passthrough_bench: could not remove %s\n", tmp.c_str());
  }
  if (exit_code != 0) return exit_code;
  if (g_interrupted) {
    std::fprintf(stderr, "passthrough_bench: interrupted; cleaned up\n");
    return 130;
  }
  if (failures > 0) {
    std::fprintf(stderr, "passthrough_bench: %d calls failed\n", failures);
    return 1;
  }

  std::printf("\n%-24s %10s %10s %10s   (wall time per call, microseconds)\n", "variant", "median",
              "p90", "min");
  for (const Variant& v : variants) {
    std::printf("%-24s %10.1f %10.1f %10.1f\n", v.name.c_str(), Percentile(v.nanos, 50) / 1e3,
                Percentile(v.nanos, 90) / 1e3, Percentile(v.nanos, 0) / 1e3);
  }
  // Ratio of the medians, and the median of per-round ratios: each round runs runc and
  // tardis-runc back to back, so pairing them cancels slow drifts in the machine's load.
  const auto ratio = [&](const char* label, size_t runc, size_t tardis) {
    const double r = Percentile(variants[runc].nanos, 50);
    const double t = Percentile(variants[tardis].nanos, 50);
    std::vector<long long> paired;  // per-round ratio, in parts per million
    for (size_t i = 0; i < variants[runc].nanos.size(); ++i) {
      paired.push_back(variants[tardis].nanos[i] * 1000000 / variants[runc].nanos[i]);
    }
    std::printf("%-24s %10.3f   (medians; %+.1f us per call)   paired per round: %.3f\n", label,
                t / r, (t - r) / 1e3, Percentile(paired, 50) / 1e6);
  };
  std::printf("\ntardis-runc / runc (target <= 1.10):\n");
  ratio("--version", 0, 1);
  ratio("state", 2, 3);
  return 0;
}
