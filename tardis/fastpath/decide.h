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
// And one conditional answer, kExecRuncUnlessKnown, for `start ID`, `resume ID`, `delete
// ID` and `delete --force ID` (or -f) with the global options above but no help or
// version, whose namespace (--root's last element) and id are identifiers Tardis uses in
// paths: Tardis's handlers for these act only on what it keeps for the container under
// <state_dir>/containers/<ns>/<id>: start only on its skip-start flag, resume only on its
// skip-resume flag, delete on its record. The front-end looks there (one lstat of the
// flag, or of the directory for delete): nothing at all means runc directly; anything,
// or any other answer, the handler. A container that does not opt in never has anything
// there, so its start and deletes cost what a pass-through costs; an opted-in one's start
// goes to the handler only after a restore.
// And kExecRuncUnlessOptedIn for `create --bundle /ABS [--pid-file P] [--console-socket
// S] [--no-pivot] [--no-new-keyring] ID` (those spellings only): the same look at the
// state directory, and the bundle's config.json must certainly not opt in
// (CertainlyNotOptedIn below): then create's handler would pass it through untouched.
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

enum class Action { kExecHandler, kExecRunc, kExecRuncUnlessKnown, kExecRuncUnlessOptedIn };

// A piece of text, not NUL-terminated.
struct Text {
  const char* data = nullptr;
  size_t size = 0;
};

// The default of runc's --root, whose last element is then the namespace.
inline constexpr char kDefaultRuncRoot[] = "/run/runc";
inline constexpr char kDefaultStateDir[] = "/run/tardis";
// container/image_location.h's kMaxIdentifierLength.
inline constexpr size_t kMaxIdentifierLength = 76;

struct Decision {
  Action action = Action::kExecHandler;
  Text runc;              // every kExecRunc*: the real runc to exec
  const char* why = "";   // a fixed phrase saying which rule decided
  // kExecRuncUnlessKnown, kExecRuncUnlessOptedIn: runc directly only when
  // <state_dir>/containers/<ns>/<id> does not exist; kExecRuncUnlessOptedIn: and
  // <bundle>/config.json certainly does not opt in. `flag` (start, resume): the file in
  // that directory to look for instead of the directory itself.
  Text state_dir, ns, id, bundle, flag;
};

// state/state_store.h's flag files, which start's and resume's handlers consume.
inline constexpr char kSkipStartFlag[] = "skip-start";
inline constexpr char kSkipResumeFlag[] = "skip-resume";

// The largest config.json the front-end reads; a larger one is the handler's.
inline constexpr size_t kMaxBundleConfigBytes = 1 << 20;
// container/opt_in.h's kEnableVariable.
inline constexpr char kEnableVariable[] = "TARDIS_ENABLE";

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

constexpr bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

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
  // Not `yes`, but runc directly unless Tardis keeps state for ns/id (see the top);
  // with a bundle (create): and unless its config.json may opt in.
  bool unless_known = false;
  Text ns, id, bundle, flag;
};

// container::ValidateIdentifier: a letter or digit, then letters, digits, '_', '.', '-'.
constexpr bool IsIdentifier(Text t) {
  if (t.size == 0 || t.size > kMaxIdentifierLength) return false;
  if (!IsAlnum(t.data[0])) return false;
  for (size_t i = 0; i < t.size; ++i) {
    if (!IsAlnum(t.data[i]) && t.data[i] != '_' && t.data[i] != '.' && t.data[i] != '-') return false;
  }
  return true;
}

// runc/classify.h's LastPathElement.
constexpr Text LastPathElement(Text path) {
  while (path.size > 1 && path.data[path.size - 1] == '/') --path.size;
  size_t slash = path.size;
  while (slash > 0 && path.data[slash - 1] != '/') --slash;
  return Sub(path, slash, path.size);
}

// The words after start, resume or delete, when they are exactly an id (delete: after
// --force or -f): that id; else an empty Text.
constexpr Text PlainId(Text command, int argc, const char* const* argv, int i) {
  if (i < argc && argv[i] != nullptr && Equals(command, "delete") &&
      (Equals(Text{argv[i], Length(argv[i])}, "--force") || Equals(Text{argv[i], Length(argv[i])}, "-f"))) {
    ++i;
  }
  if (i + 1 != argc || argv[i] == nullptr) return Text{};
  return Text{argv[i], Length(argv[i])};
}

inline constexpr const char* kStateOnlyCommands[] = {"start", "resume", "delete"};

struct CreateWords {
  Text bundle, id;
};

// `create` followed by exactly the options containerd and Docker send, each spelled one
// way (--bundle with an absolute path, --pid-file and --console-socket with a value
// word, --no-pivot and --no-new-keyring bare), and then one id; else an empty id.
constexpr CreateWords PlainCreate(int argc, const char* const* argv, int i) {
  CreateWords words;
  for (; i < argc && argv[i] != nullptr; ++i) {
    const Text word{argv[i], Length(argv[i])};
    if (word.size == 0 || word.data[0] != '-') break;
    if (Equals(word, "--no-pivot") || Equals(word, "--no-new-keyring")) continue;
    if (!Equals(word, "--bundle") && !Equals(word, "--pid-file") && !Equals(word, "--console-socket")) {
      return CreateWords{};
    }
    if (i + 1 >= argc || argv[i + 1] == nullptr) return CreateWords{};
    const Text value{argv[i + 1], Length(argv[i + 1])};
    if (Equals(word, "--bundle")) words.bundle = value;
    ++i;
  }
  if (i + 1 != argc || argv[i] == nullptr || words.bundle.size == 0 || words.bundle.data[0] != '/') {
    return CreateWords{};
  }
  words.id = Text{argv[i], Length(argv[i])};
  return words;
}

constexpr Verdict Yes(const char* why) {
  Verdict verdict;
  verdict.yes = true;
  verdict.why = why;
  return verdict;
}
constexpr Verdict No(const char* why) {
  Verdict verdict;
  verdict.why = why;
  return verdict;
}

// True when runc's argv (argv[0] included) is certainly a call Tardis passes through.
constexpr Verdict CertainlyPassThrough(int argc, const char* const* argv) {
  if (argc < 1 || argv == nullptr) return No("no argv[0]");
  Text root{kDefaultRuncRoot, sizeof kDefaultRuncRoot - 1};
  bool help_or_version = false;
  int i = 1;
  while (i < argc) {
    if (argv[i] == nullptr) return No("argv shorter than argc");
    const Text word{argv[i], Length(argv[i])};
    if (word.size == 0 || word.data[0] != '-') {
      if (OneOf(word, kNeverRouted)) return Yes("command Tardis never handles");
      // The conditional answers (see the top): one container, named in paths.
      Verdict verdict = No("command Tardis may handle");
      if (!help_or_version && OneOf(word, kStateOnlyCommands)) {
        verdict.why = "start/resume/delete: runc directly unless Tardis keeps state for it";
        verdict.id = PlainId(word, argc, argv, i + 1);
        if (Equals(word, "start")) verdict.flag = Text{kSkipStartFlag, sizeof kSkipStartFlag - 1};
        if (Equals(word, "resume")) verdict.flag = Text{kSkipResumeFlag, sizeof kSkipResumeFlag - 1};
      } else if (!help_or_version && Equals(word, "create")) {
        const CreateWords create = PlainCreate(argc, argv, i + 1);
        verdict.why = "create: runc directly unless Tardis keeps state for it or config.json may opt in";
        verdict.id = create.id;
        verdict.bundle = create.bundle;
      }
      verdict.ns = LastPathElement(root);
      if (IsIdentifier(verdict.id) && IsIdentifier(verdict.ns)) {
        verdict.unless_known = true;
        return verdict;
      }
      if (OneOf(word, kRouted)) return No("command Tardis may handle");
      return No("unknown command");
    }
    if (Equals(word, "-")) return No("lone -");
    if (Equals(word, "--")) return No("--");
    Text name = Sub(word, word.data[1] == '-' ? 2 : 1, word.size);
    const size_t eq = Find(name, '=');
    const bool has_value = eq < name.size;
    const Text value = has_value ? Sub(name, eq + 1, name.size) : Text{};
    name = Sub(name, 0, eq);
    ++i;
    if (OneOf(name, kGlobalBoolOptions)) {
      if (has_value && !OneOf(value, kGoBools)) return No("bad boolean value");
      if (!Equals(name, "debug") && !Equals(name, "systemd-cgroup")) help_or_version = true;
    } else if (OneOf(name, kGlobalValueOptions)) {
      Text given = value;
      if (!has_value) {
        if (i >= argc || argv[i] == nullptr) return No("option without its value");
        given = Text{argv[i], Length(argv[i])};
        ++i;  // whatever the next word is, it is the value (Go's flag package)
      }
      if (Equals(name, "root")) root = given;  // the last one wins, as in runc
    } else {
      return No("unknown global option");
    }
  }
  return Yes("no command");
}

struct ConfigVerdict {
  bool clean = false;  // every line accepted; then:
  Text real_runc{kDefaultRealRunc, sizeof kDefaultRealRunc - 1};
  Text state_dir{kDefaultStateDir, sizeof kDefaultStateDir - 1};
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

// A whole-number key (host_config.h's ParseMilliseconds, restore_max_bytes), stricter
// than absl::SimpleAtoi: plain digits only, at most 18 of them (no overflow), within
// [min, max].
constexpr bool IsMsIn(Text v, long min, long max) {
  if (v.size == 0 || v.size > 18) return false;
  long ms = 0;
  for (size_t i = 0; i < v.size; ++i) {
    if (v.data[i] < '0' || v.data[i] > '9') return false;
    ms = ms * 10 + (v.data[i] - '0');
  }
  return ms >= min && ms <= max;
}

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
    } else if (Equals(key, "state_dir")) {
      ok = IsAbsolute(value);
      if (ok) verdict.state_dir = value;
    } else if (Equals(key, "log_file") || Equals(key, "checkpoint_base") || Equals(key, "tardis_listen") ||
               Equals(key, "image_key_file")) {
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
    } else if (Equals(key, "checkpoint_interval_min_ms")) {
      ok = IsMsIn(value, 1000, 86400000);
    } else if (Equals(key, "checkpoint_interval_default_ms")) {
      ok = IsMsIn(value, 0, 604800000);
    } else if (Equals(key, "periodic_in_flight")) {
      ok = IsMsIn(value, 1, 64);
    } else if (Equals(key, "restore_max_entries")) {
      ok = IsMsIn(value, 1, 1000000000);
    } else if (Equals(key, "restore_max_bytes")) {
      ok = IsMsIn(value, 1L << 20, 1L << 50);
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

// True when config.json's text certainly does not opt the container in: the name
// TARDIS_ENABLE appears nowhere, not even spelled with JSON's backslash-u escapes (one
// that stands for an ASCII letter, digit or '_', anywhere, makes it uncertain). The full
// program's reader (container/opt_in.h) then finds no TARDIS_ENABLE=1 in process.env, or
// no valid JSON: either way create passes through. False means only "look closer": the
// handler.
constexpr bool CertainlyNotOptedIn(const char* json, size_t size) {
  constexpr size_t kNameSize = sizeof kEnableVariable - 1;
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < size; ++i) {
    if (json[i] == kEnableVariable[0] && size - i >= kNameSize) {
      size_t n = 0;
      while (n < kNameSize && json[i + n] == kEnableVariable[n]) ++n;
      if (n == kNameSize) return false;
    }
    if (json[i] != '\\' || i + 1 >= size) continue;
    if (json[i + 1] == 'u' && i + 5 < size) {
      int value = 0;
      bool all_hex = true;
      for (size_t k = i + 2; k < i + 6; ++k) {
        const int digit = hex(json[k]);
        all_hex = all_hex && digit >= 0;
        value = value * 16 + (digit >= 0 ? digit : 0);
      }
      const bool word_char = value < 0x80 && (decide_internal::IsAlnum(static_cast<char>(value)) || value == '_');
      if (all_hex && word_char) return false;
    }
    ++i;  // the escaped character is not the start of another escape
  }
  return true;
}

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
  if (argv_verdict.unless_known) {
    decision.action = argv_verdict.bundle.size > 0 ? Action::kExecRuncUnlessOptedIn : Action::kExecRuncUnlessKnown;
    decision.bundle = argv_verdict.bundle;
    decision.flag = argv_verdict.flag;
    decision.runc = config.real_runc;
    decision.state_dir = config.state_dir;
    decision.ns = argv_verdict.ns;
    decision.id = argv_verdict.id;
    return decision;
  }
  if (!argv_verdict.yes) return decision;
  decision.action = Action::kExecRunc;
  decision.runc = config.real_runc;
  return decision;
}

}  // namespace tardis::fastpath

#endif  // TARDIS_FASTPATH_DECIDE_H_
