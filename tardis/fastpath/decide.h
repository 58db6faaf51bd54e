// DecideFastPath(): whether tardis-runc's front-end may exec the real runc directly, or
// must hand the call to the full program (the handler binary), which classifies exactly.
//
// Why it exists: containerd runs tardis-runc for every runc call on a node, and most of
// those calls (state, kill, ps, exec, pause, ...) are ones Tardis never handles. Starting
// a static glibc program costs about 0.25 ms before main(); the front-end is built without
// any C library and skips that on those calls. It is only a shortcut: whenever it is not
// certain, the answer is kExecHandler, and the full program decides as it always did.
//
// The rules, all of which must hold for kExecRunc:
//  - argv: the global options, walked by runc's grammar (tardis/runc/grammar.h: --log,
//    --log-format, --root, --criu and --rootless take a value, as the next word or
//    `=value`; --debug, --systemd-cgroup, -h/--help, -v/--version are booleans, with an
//    optional `=<Go bool>`; one or two leading dashes), end at the first word that does
//    not start with '-': the command. It must be a runc command Tardis never routes
//    (route.h routes create, start, checkpoint, resume and delete), or absent (no
//    command: runc prints usage, help or its version). An unknown option or command,
//    `--`, a lone `-`, a boolean with a value Go would reject, a value option without its
//    value: the handler.
//  - the config text (tardis.conf) is at most kMaxConfigBytes, has no NUL byte, and every
//    line is one the full parser (tardis/config/host_config.h) accepts without a problem,
//    checked as strictly or more: then both read the same real_runc (the last one; the
//    default when none), and a config problem, which the full program logs on every call,
//    never goes unlogged. A key this file does not know (one added to the parser later)
//    also means the handler: slower, never wrong.
//  - log_level is not DEBUG (the full program logs every pass-through at DEBUG).
// The caller also checks what needs the system: real_runc is not the front-end itself,
// and an exec that fails falls back to the handler.
//
// Freestanding on purpose: no allocation, no library beyond <stddef.h>, so the same code
// runs in the libc-free front-end (cmd/tardis_runc_frontend.cc) and in the tests.
#ifndef TARDIS_FASTPATH_DECIDE_H_
#define TARDIS_FASTPATH_DECIDE_H_

#include <stddef.h>

namespace tardis::fastpath {

// Must match tardis/config: load_host_config.h's limit and host_config.h's defaults.
inline constexpr size_t kMaxConfigBytes = 64 * 1024;
inline constexpr char kDefaultRealRunc[] = "/usr/sbin/runc";
inline constexpr char kConfigPathVariable[] = "TARDIS_CONFIG";
inline constexpr char kDefaultConfigPath[] = "/etc/tardis/tardis.conf";
// The longest real_runc the front-end execs itself (PATH_MAX less its NUL).
inline constexpr size_t kMaxRuncPath = 4095;

enum class Action { kExecHandler, kExecRunc };

// A piece of text, not NUL-terminated.
struct Text {
  const char* data = nullptr;
  size_t size = 0;
};

struct Decision {
  Action action = Action::kExecHandler;
  Text runc;              // kExecRunc: the real runc to exec
  const char* why = "";   // a fixed phrase saying which rule decided
};

namespace decide_internal {

constexpr size_t Length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

constexpr bool Equals(Text a, const char* b) {
  size_t i = 0;
  for (; i < a.size; ++i) {
    if (b[i] == '\0' || a.data[i] != b[i]) return false;
  }
  return b[i] == '\0';
}

constexpr char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

constexpr bool EqualsIgnoringCase(Text a, const char* upper) {
  size_t i = 0;
  for (; i < a.size; ++i) {
    if (upper[i] == '\0' || AsciiUpper(a.data[i]) != upper[i]) return false;
  }
  return upper[i] == '\0';
}

// absl::ascii_isspace.
constexpr bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// absl::StripAsciiWhitespace.
constexpr Text Strip(Text t) {
  while (t.size > 0 && IsSpace(t.data[0])) ++t.data, --t.size;
  while (t.size > 0 && IsSpace(t.data[t.size - 1])) --t.size;
  return t;
}

constexpr Text Sub(Text t, size_t from, size_t to) { return Text{t.data + from, to - from}; }

constexpr size_t Find(Text t, char c) {
  for (size_t i = 0; i < t.size; ++i) {
    if (t.data[i] == c) return i;
  }
  return t.size;
}

// Word lists as plain arrays: a braced list in a range-for would need <initializer_list>.
template <size_t N>
constexpr bool OneOf(Text word, const char* const (&list)[N]) {
  for (const char* entry : list) {
    if (Equals(word, entry)) return true;
  }
  return false;
}

// Go's strconv.ParseBool spellings.
inline constexpr const char* kGoBools[] = {"1", "t", "T", "TRUE", "true", "True",
                                           "0", "f", "F", "FALSE", "false", "False"};

// runc's commands that Tardis never routes: everything in grammar.h's kCommands except
// create, start, checkpoint, resume, delete and restore (`h` is help's alias).
inline constexpr const char* kNeverRouted[] = {"state", "kill",   "ps",   "exec",     "pause", "list", "events",
                                               "update", "run",   "spec", "features", "help",  "h"};

// The commands route.h may send to a handler.
inline constexpr const char* kRouted[] = {"create", "start", "checkpoint", "resume", "delete", "restore"};

// runc's global options (grammar.h kGlobalOptions), by whether they take a value.
inline constexpr const char* kGlobalValueOptions[] = {"log", "log-format", "root", "criu",
                                                      "rootless"};
inline constexpr const char* kGlobalBoolOptions[] = {"debug", "systemd-cgroup", "help", "h",
                                                     "version", "v"};

inline constexpr const char* kLogLevels[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

struct Verdict {
  bool yes = false;
  const char* why = "";
};

// True when runc's argv (argv[0] included) is certainly a call Tardis passes through.
constexpr Verdict CertainlyPassThrough(int argc, const char* const* argv) {
  if (argc < 1 || argv == nullptr) return {false, "no argv[0]"};
  int i = 1;
  while (i < argc) {
    if (argv[i] == nullptr) return {false, "argv shorter than argc"};
    const Text word{argv[i], Length(argv[i])};
    if (word.size == 0 || word.data[0] != '-') {
      if (OneOf(word, kNeverRouted)) return {true, "command Tardis never handles"};
      if (OneOf(word, kRouted)) return {false, "command Tardis may handle"};
      return {false, "unknown command"};
    }
    if (Equals(word, "-")) return {false, "lone -"};
    if (Equals(word, "--")) return {false, "--"};
    Text name = Sub(word, word.data[1] == '-' ? 2 : 1, word.size);
    const size_t eq = Find(name, '=');
    const bool has_value = eq < name.size;
    const Text value = has_value ? Sub(name, eq + 1, name.size) : Text{};
    name = Sub(name, 0, eq);
    ++i;
    if (OneOf(name, kGlobalBoolOptions)) {
      if (has_value && !OneOf(value, kGoBools)) return {false, "bad boolean value"};
    } else if (OneOf(name, kGlobalValueOptions)) {
      if (!has_value) {
        if (i >= argc || argv[i] == nullptr) return {false, "option without its value"};
        ++i;  // whatever the next word is, it is the value (Go's flag package)
      }
    } else {
      return {false, "unknown global option"};
    }
  }
  return {true, "no command"};
}

struct ConfigVerdict {
  bool clean = false;  // every line accepted; then:
  Text real_runc{kDefaultRealRunc, sizeof kDefaultRealRunc - 1};
  bool debug = false;
  const char* why = "";
};

constexpr bool IsAbsolute(Text v) { return v.size > 0 && v.data[0] == '/'; }

// allowed_roots: ':'-separated, empty pieces skipped, each absolute, at least one.
constexpr bool IsRootList(Text v) {
  size_t roots = 0;
  size_t start = 0;
  for (size_t i = 0; i <= v.size; ++i) {
    if (i < v.size && v.data[i] != ':') continue;
    const Text piece = Sub(v, start, i);
    if (piece.size > 0) {
      if (!IsAbsolute(piece)) return false;
      ++roots;
    }
    start = i + 1;
  }
  return roots > 0;
}

// A duration key (host_config.h's ParseMilliseconds), stricter than absl::SimpleAtoi:
// plain digits only, at most 9 of them, within [min, max].
constexpr bool IsMsIn(Text v, long min, long max) {
  if (v.size == 0 || v.size > 9) return false;
  long ms = 0;
  for (size_t i = 0; i < v.size; ++i) {
    if (v.data[i] < '0' || v.data[i] > '9') return false;
    ms = ms * 10 + (v.data[i] - '0');
  }
  return ms >= min && ms <= max;
}

constexpr bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// watch_endpoint: host_config.h's IsEndpoint, the same rule.
constexpr bool IsEndpoint(Text v) {
  size_t skip = 0;
  if (v.size >= 7 && Equals(Sub(v, 0, 7), "http://")) skip = 7;
  if (v.size >= 8 && Equals(Sub(v, 0, 8), "https://")) skip = 8;
  if (skip == 0 || v.size == skip || v.size > 256) return false;
  for (size_t i = skip; i < v.size; ++i) {
    const char c = v.data[i];
    if (!IsAlnum(c) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']') return false;
  }
  return true;
}

// Reads tardis.conf's text as tardis/config/host_config.h's ParseHostConfig() does, and
// answers "clean" only when that parser would report no problem at all.
constexpr ConfigVerdict ReadConfig(const char* text, size_t size) {
  ConfigVerdict verdict;
  const auto reject = [&verdict](const char* why) {
    verdict.clean = false;
    verdict.why = why;
    return verdict;
  };
  if (size > kMaxConfigBytes) return reject("config larger than 64 KiB");
  if (size > 0 && text == nullptr) return reject("no config text");
  for (size_t i = 0; i < size; ++i) {
    if (text[i] == '\0') return reject("NUL byte in config");
  }
  size_t start = 0;
  for (size_t end = 0; end <= size; ++end) {
    if (end < size && text[end] != '\n') continue;
    Text line{text + start, end - start};
    start = end + 1;
    line = Strip(Sub(line, 0, Find(line, '#')));
    if (line.size == 0) continue;
    const size_t eq = Find(line, '=');
    if (eq == line.size) return reject("config line without =");
    const Text key = Strip(Sub(line, 0, eq));
    const Text value = Strip(Sub(line, eq + 1, line.size));
    bool ok = false;
    if (Equals(key, "real_runc")) {
      ok = IsAbsolute(value);
      if (ok) verdict.real_runc = value;
    } else if (Equals(key, "log_level")) {
      for (const char* level : kLogLevels) ok = ok || EqualsIgnoringCase(value, level);
      if (ok) verdict.debug = EqualsIgnoringCase(value, "DEBUG");
    } else if (Equals(key, "log_file") || Equals(key, "state_dir") ||
               Equals(key, "checkpoint_base") || Equals(key, "tardis_listen")) {
      ok = IsAbsolute(value);
    } else if (Equals(key, "allowed_roots")) {
      ok = IsRootList(value);
    } else if (Equals(key, "ctr")) {
      ok = value.size > 0;
    } else if (Equals(key, "containerd_address")) {
      ok = true;
    } else if (Equals(key, "delete_wait_ms")) {
      ok = IsMsIn(value, 0, 600000);
    } else if (Equals(key, "lease_stale_ms")) {
      ok = IsMsIn(value, 1000, 3600000);
    } else if (Equals(key, "criu_timeout_ms")) {
      ok = IsMsIn(value, 1000, 86400000);
    } else if (Equals(key, "watch_interval_ms")) {
      ok = IsMsIn(value, 100, 3600000);
    } else if (Equals(key, "watch_timeout_ms")) {
      ok = IsMsIn(value, 100, 120000);
    } else if (Equals(key, "watch_cloud")) {
      ok = Equals(value, "auto") || Equals(value, "aws") || Equals(value, "gcp") || Equals(value, "azure");
    } else if (Equals(key, "watch_rebalance")) {
      ok = Equals(value, "true") || Equals(value, "false");
    } else if (Equals(key, "watch_endpoint")) {
      ok = IsEndpoint(value);
    } else {
      return reject("config key the front-end does not know");
    }
    if (!ok) return reject("config value the full parser may reject");
  }
  verdict.clean = true;
  return verdict;
}

}  // namespace decide_internal

// `argv` is runc's argv as exec'd (argv[0] included); `config_text` is tardis.conf's whole
// text ("" when there is no file: the defaults).
constexpr Decision DecideFastPath(int argc, const char* const* argv, const char* config_text,
                                  size_t config_size) {
  using namespace decide_internal;
  Decision decision;
  const ConfigVerdict config = ReadConfig(config_text, config_size);
  if (!config.clean) {
    decision.why = config.why;
    return decision;
  }
  if (config.debug) {
    decision.why = "log_level DEBUG";
    return decision;
  }
  if (config.real_runc.size > kMaxRuncPath) {
    decision.why = "real_runc too long";
    return decision;
  }
  const Verdict argv_verdict = CertainlyPassThrough(argc, argv);
  decision.why = argv_verdict.why;
  if (!argv_verdict.yes) return decision;
  decision.action = Action::kExecRunc;
  decision.runc = config.real_runc;
  return decision;
}

}  // namespace tardis::fastpath

#endif  // TARDIS_FASTPATH_DECIDE_H_
