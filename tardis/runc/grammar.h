// runc 1.1's command-line grammar, as data: which options exist, which take a value,
// their short aliases, and each command's positional arguments.
//
// Transcribed from runc v1.1.5 (main.go and one file per command) and the urfave/cli
// v1.22.1 it vendors. The classifier (classify.h) interprets these tables with the
// same rules runc's parser uses; nothing else in Tardis needs to know runc's flags.
#ifndef TARDIS_RUNC_GRAMMAR_H_
#define TARDIS_RUNC_GRAMMAR_H_

#include <absl/strings/string_view.h>
#include <absl/types/span.h>

namespace tardis::runc {

// What an option's value must look like for runc to accept it. Booleans never take the
// next argument as their value; the others always need one.
enum class ValueKind {
  kBool,      // --opt, --opt=true, --opt=false (Go's strconv.ParseBool spellings)
  kString,    // any text
  kInt,       // Go flag.Int
  kDuration,  // Go time.ParseDuration
};

struct OptionSpec {
  absl::string_view name;   // canonical long name, as runc's code looks it up
  absl::string_view alias;  // one-letter alias, or empty
  ValueKind kind;
};

// How many positional arguments a command takes, and whether the first is a container id.
enum class Positionals {
  kNone,            // list, spec, features
  kIdOnly,          // exactly one: the container id
  kIdThenOptional,  // kill: id [signal] (at most 2)
  kIdThenAny,       // exec: id command...; ps: id [ps options...]
  kAny,             // help [command]
};

struct CommandSpec {
  absl::string_view name;
  absl::string_view alias;  // only `help` has one (`h`)
  absl::Span<const OptionSpec> options;
  Positionals positionals;
  // urfave/cli moves options written after positional arguments in front of them,
  // except for commands that opt out (exec and ps, whose trailing arguments belong to
  // the process they run).
  bool reorders_args;
};

// Every command and the app itself also accept --help/-h; the app accepts --version/-v.
inline constexpr OptionSpec kHelpOption{"help", "h", ValueKind::kBool};

inline constexpr OptionSpec kGlobalOptions[] = {
    {"debug", "", ValueKind::kBool},
    {"log", "", ValueKind::kString},
    {"log-format", "", ValueKind::kString},
    {"root", "", ValueKind::kString},
    {"criu", "", ValueKind::kString},
    {"systemd-cgroup", "", ValueKind::kBool},
    {"rootless", "", ValueKind::kString},
    kHelpOption,
    {"version", "v", ValueKind::kBool},
};

inline constexpr OptionSpec kCheckpointOptions[] = {
    {"image-path", "", ValueKind::kString},
    {"work-path", "", ValueKind::kString},
    {"parent-path", "", ValueKind::kString},
    {"leave-running", "", ValueKind::kBool},
    {"tcp-established", "", ValueKind::kBool},
    {"ext-unix-sk", "", ValueKind::kBool},
    {"shell-job", "", ValueKind::kBool},
    {"lazy-pages", "", ValueKind::kBool},
    {"status-fd", "", ValueKind::kInt},
    {"page-server", "", ValueKind::kString},
    {"file-locks", "", ValueKind::kBool},
    {"pre-dump", "", ValueKind::kBool},
    {"manage-cgroups-mode", "", ValueKind::kString},
    {"empty-ns", "", ValueKind::kString},
    {"auto-dedup", "", ValueKind::kBool},
    kHelpOption,
};

inline constexpr OptionSpec kCreateOptions[] = {
    {"bundle", "b", ValueKind::kString},
    {"console-socket", "", ValueKind::kString},
    {"pid-file", "", ValueKind::kString},
    {"no-pivot", "", ValueKind::kBool},
    {"no-new-keyring", "", ValueKind::kBool},
    {"preserve-fds", "", ValueKind::kInt},
    kHelpOption,
};

inline constexpr OptionSpec kDeleteOptions[] = {
    {"force", "f", ValueKind::kBool},
    kHelpOption,
};

inline constexpr OptionSpec kEventsOptions[] = {
    {"interval", "", ValueKind::kDuration},
    {"stats", "", ValueKind::kBool},
    kHelpOption,
};

inline constexpr OptionSpec kExecOptions[] = {
    {"console-socket", "", ValueKind::kString},
    {"cwd", "", ValueKind::kString},
    {"env", "e", ValueKind::kString},
    {"tty", "t", ValueKind::kBool},
    {"user", "u", ValueKind::kString},
    {"additional-gids", "g", ValueKind::kInt},
    {"process", "p", ValueKind::kString},
    {"detach", "d", ValueKind::kBool},
    {"pid-file", "", ValueKind::kString},
    {"process-label", "", ValueKind::kString},
    {"apparmor", "", ValueKind::kString},
    {"no-new-privs", "", ValueKind::kBool},
    {"cap", "c", ValueKind::kString},
    {"preserve-fds", "", ValueKind::kInt},
    {"cgroup", "", ValueKind::kString},
    {"ignore-paused", "", ValueKind::kBool},
    kHelpOption,
};

inline constexpr OptionSpec kKillOptions[] = {
    {"all", "a", ValueKind::kBool},
    kHelpOption,
};

inline constexpr OptionSpec kListOptions[] = {
    {"format", "f", ValueKind::kString},
    {"quiet", "q", ValueKind::kBool},
    kHelpOption,
};

inline constexpr OptionSpec kPsOptions[] = {
    {"format", "f", ValueKind::kString},
    kHelpOption,
};

inline constexpr OptionSpec kRestoreOptions[] = {
    {"console-socket", "", ValueKind::kString},
    {"image-path", "", ValueKind::kString},
    {"work-path", "", ValueKind::kString},
    {"tcp-established", "", ValueKind::kBool},
    {"ext-unix-sk", "", ValueKind::kBool},
    {"shell-job", "", ValueKind::kBool},
    {"file-locks", "", ValueKind::kBool},
    {"manage-cgroups-mode", "", ValueKind::kString},
    {"bundle", "b", ValueKind::kString},
    {"detach", "d", ValueKind::kBool},
    {"pid-file", "", ValueKind::kString},
    {"no-subreaper", "", ValueKind::kBool},
    {"no-pivot", "", ValueKind::kBool},
    {"empty-ns", "", ValueKind::kString},
    {"auto-dedup", "", ValueKind::kBool},
    {"lazy-pages", "", ValueKind::kBool},
    {"lsm-profile", "", ValueKind::kString},
    {"lsm-mount-context", "", ValueKind::kString},
    kHelpOption,
};

inline constexpr OptionSpec kRunOptions[] = {
    {"bundle", "b", ValueKind::kString},
    {"console-socket", "", ValueKind::kString},
    {"detach", "d", ValueKind::kBool},
    {"keep", "", ValueKind::kBool},
    {"pid-file", "", ValueKind::kString},
    {"no-subreaper", "", ValueKind::kBool},
    {"no-pivot", "", ValueKind::kBool},
    {"no-new-keyring", "", ValueKind::kBool},
    {"preserve-fds", "", ValueKind::kInt},
    kHelpOption,
};

inline constexpr OptionSpec kSpecOptions[] = {
    {"bundle", "b", ValueKind::kString},
    {"rootless", "", ValueKind::kBool},
    kHelpOption,
};

inline constexpr OptionSpec kUpdateOptions[] = {
    {"resources", "r", ValueKind::kString},
    {"blkio-weight", "", ValueKind::kInt},
    {"cpu-period", "", ValueKind::kString},
    {"cpu-quota", "", ValueKind::kString},
    {"cpu-share", "", ValueKind::kString},
    {"cpu-rt-period", "", ValueKind::kString},
    {"cpu-rt-runtime", "", ValueKind::kString},
    {"cpuset-cpus", "", ValueKind::kString},
    {"cpuset-mems", "", ValueKind::kString},
    {"kernel-memory", "", ValueKind::kString},
    {"kernel-memory-tcp", "", ValueKind::kString},
    {"memory", "", ValueKind::kString},
    {"memory-reservation", "", ValueKind::kString},
    {"memory-swap", "", ValueKind::kString},
    {"pids-limit", "", ValueKind::kInt},
    {"l3-cache-schema", "", ValueKind::kString},
    {"mem-bw-schema", "", ValueKind::kString},
    kHelpOption,
};

inline constexpr OptionSpec kHelpOnly[] = {kHelpOption};

inline constexpr CommandSpec kCommands[] = {
    {"checkpoint", "", kCheckpointOptions, Positionals::kIdOnly, true},
    {"create", "", kCreateOptions, Positionals::kIdOnly, true},
    {"delete", "", kDeleteOptions, Positionals::kIdOnly, true},
    {"events", "", kEventsOptions, Positionals::kIdOnly, true},
    {"exec", "", kExecOptions, Positionals::kIdThenAny, false},
    {"kill", "", kKillOptions, Positionals::kIdThenOptional, true},
    {"list", "", kListOptions, Positionals::kNone, true},
    {"pause", "", kHelpOnly, Positionals::kIdOnly, true},
    {"ps", "", kPsOptions, Positionals::kIdThenAny, false},
    {"restore", "", kRestoreOptions, Positionals::kIdOnly, true},
    {"resume", "", kHelpOnly, Positionals::kIdOnly, true},
    {"run", "", kRunOptions, Positionals::kIdOnly, true},
    {"spec", "", kSpecOptions, Positionals::kNone, true},
    {"start", "", kHelpOnly, Positionals::kIdOnly, true},
    {"state", "", kHelpOnly, Positionals::kIdOnly, true},
    {"update", "", kUpdateOptions, Positionals::kIdOnly, true},
    {"features", "", kHelpOnly, Positionals::kNone, true},
    {"help", "h", kHelpOnly, Positionals::kAny, true},
};

// The command named `name` (or its alias), or nullptr.
inline const CommandSpec* FindCommand(absl::string_view name) {
  for (const CommandSpec& command : kCommands) {
    if (command.name == name || (!command.alias.empty() && command.alias == name)) {
      return &command;
    }
  }
  return nullptr;
}

// The option called `name` (long name or alias) among `options`, or nullptr.
inline const OptionSpec* FindOption(absl::Span<const OptionSpec> options,
                                    absl::string_view name) {
  for (const OptionSpec& option : options) {
    if (option.name == name || (!option.alias.empty() && option.alias == name)) {
      return &option;
    }
  }
  return nullptr;
}

}  // namespace tardis::runc

#endif  // TARDIS_RUNC_GRAMMAR_H_
