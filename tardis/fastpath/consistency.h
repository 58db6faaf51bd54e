// The properties that tie tardis-runc's front-end shortcut to the full program, shared by
// decide_test.cc and the fuzz target: the shortcut never takes a call that the full
// program would hand to a Tardis handler, never runs another runc than the full program
// would, and (for the argv) takes every call the full program understands as a plain
// pass-through, so that it is as fast as it can be without guessing.
#ifndef TARDIS_FASTPATH_CONSISTENCY_H_
#define TARDIS_FASTPATH_CONSISTENCY_H_

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "tardis/config/host_config.h"
#include "tardis/container/opt_in.h"
#include "tardis/fastpath/decide.h"
#include "tardis/runc/classify.h"
#include "tardis/runc/route.h"

namespace tardis::fastpath {

// Words where runc's grammar and the shortcut's rules meet: global options in their
// spellings, values, separators, commands routed and not. The fuzz target writes word i
// as the single byte i + 1, and decide_test tries every short sequence of them.
inline const std::vector<std::string>& Vocabulary() {
  static const std::vector<std::string> words = {
      "--",          "-",          "--root",    "-root=/r",  "/r",         "--log",
      "--log-format", "--criu",    "--rootless", "--debug",  "--debug=false", "--debug=maybe",
      "--systemd-cgroup", "--help", "-h",       "--version", "-v",         "-version=1",
      "state",       "create",     "start",     "checkpoint", "resume",    "delete",
      "kill",        "c1",         "--bundle",  "--pre-dump", "help",      "h",
      "restore",     "--force",    "-f",        "-root=/a/b/", "-root=/",   "x/y",
  };
  return words;
}

// DecideFastPath() for runc's argv after the program name (argv[0] is "runc").
inline Decision Decide(const std::vector<std::string>& args, const std::string& config) {
  std::vector<const char*> argv = {"runc"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  return DecideFastPath(static_cast<int>(argv.size() - 1), argv.data(), config.data(),
                        config.size());
}

inline std::string RuncOf(const Decision& decision) {
  return std::string(decision.runc.data, decision.runc.size);
}

// "runc <path> (<rule>)", "runc <path> unless <state_dir>/containers/<ns>/<id> exists
// (<rule>)" or "handler (<rule>)".
inline std::string Describe(const Decision& decision) {
  const auto text = [](Text t) { return std::string(t.data, t.size); };
  switch (decision.action) {
    case Action::kExecRunc: return absl::StrCat("runc ", RuncOf(decision), " (", decision.why, ")");
    case Action::kExecRuncUnlessKnown:
      return absl::StrCat("runc ", RuncOf(decision), " unless ", text(decision.state_dir), "/containers/",
                          text(decision.ns), "/", text(decision.id), decision.flag.size > 0 ? "/" : "",
                          text(decision.flag), " exists (", decision.why, ")");
    case Action::kExecRuncUnlessOptedIn:
      return absl::StrCat("runc ", RuncOf(decision), " unless ", text(decision.state_dir), "/containers/",
                          text(decision.ns), "/", text(decision.id), " exists or ", text(decision.bundle),
                          "/config.json may opt in (", decision.why, ")");
    case Action::kExecHandler: break;
  }
  return absl::StrCat("handler (", decision.why, ")");
}

// "" when the shortcut's answer for `args` (config absent) is consistent with the full
// program's classifier, else what is wrong.
inline std::string CheckArgv(const std::vector<std::string>& args) {
  const Decision decision = Decide(args, "");
  const runc::Invocation call = runc::Classify(args);
  const runc::Route route = runc::RouteOf(call);
  const std::string shown = absl::StrCat("[", absl::StrJoin(args, "|"), "]");
  if (decision.action == Action::kExecRunc && route != runc::Route::kPassThrough) {
    return absl::StrCat(shown, ": the shortcut runs runc, the full program routes it to ",
                        runc::RouteName(route));
  }
  // The conditional shortcut: only for the handlers that act on the container's state
  // alone (lifecycle/state_only_test.cc), and for the very container the full program
  // would look up.
  if (decision.action == Action::kExecRuncUnlessKnown) {
    if (route != runc::Route::kStart && route != runc::Route::kResume && route != runc::Route::kDelete) {
      return absl::StrCat(shown, ": runc unless known, but the full program routes it to ", runc::RouteName(route));
    }
    const std::string ns(decision.ns.data, decision.ns.size), id(decision.id.data, decision.id.size);
    if (ns != call.ns || id != call.id()) {
      return absl::StrCat(shown, ": looks for ", ns, "/", id, ", the full program handles ", call.ns, "/", call.id());
    }
    // start and resume consume one flag each; delete reads the record.
    const std::string flag(decision.flag.data, decision.flag.size);
    const std::string want = route == runc::Route::kStart    ? kSkipStartFlag
                             : route == runc::Route::kResume ? kSkipResumeFlag
                                                             : "";
    if (flag != want) return absl::StrCat(shown, ": looks for `", flag, "`, the handler acts on `", want, "`");
  }
  if (decision.action == Action::kExecRuncUnlessOptedIn) {
    if (route != runc::Route::kCreate) {
      return absl::StrCat(shown, ": runc unless opted in, but the full program routes it to ", runc::RouteName(route));
    }
    const std::string ns(decision.ns.data, decision.ns.size), id(decision.id.data, decision.id.size);
    const std::string bundle(decision.bundle.data, decision.bundle.size);
    const runc::Option* given = call.Find("bundle");
    if (ns != call.ns || id != call.id() || given == nullptr || given->value != bundle) {
      return absl::StrCat(shown, ": reads ", bundle, " for ", ns, "/", id, ", the full program creates ", call.ns, "/",
                          call.id(), " from ", given == nullptr ? "(no --bundle)" : given->value);
    }
  }
  // Completeness: a call runc accepts with a command Tardis never routes (or none), and no
  // `--` among the global options, takes the shortcut.
  const bool plain_pass_through =
      call.understood && call.global_separator.empty() &&
      (!call.has_command() ||
       !decide_internal::OneOf(Text{call.command_name.data(), call.command_name.size()},
                               decide_internal::kRouted));
  if (plain_pass_through && decision.action != Action::kExecRunc) {
    return absl::StrCat(shown, ": a plain pass-through goes to the handler: ", decision.why);
  }
  return "";
}

// "" when the shortcut's answer for `args` under `config` is consistent with the full
// config parser (same real_runc, no problem it would log, not DEBUG), else what is wrong.
inline std::string CheckConfig(const std::vector<std::string>& args, const std::string& config) {
  const Decision decision = Decide(args, config);
  if (decision.action != Action::kExecRunc) return "";
  const ParsedHostConfig parsed = ParseHostConfig(config);
  if (config.size() > kMaxConfigBytes) return "runs runc with an oversized config";
  if (!parsed.problems.empty()) {
    return absl::StrCat("runs runc though the full parser reports: ",
                        absl::StrJoin(parsed.problems, " | "));
  }
  if (parsed.config.log_level == LogLevel::kDebug) return "runs runc at log_level DEBUG";
  if (parsed.config.real_runc != RuncOf(decision)) {
    return absl::StrCat("runs ", RuncOf(decision), ", the full program would run ",
                        parsed.config.real_runc);
  }
  if (Decide(args, "").action != Action::kExecRunc) {
    return "the config turned a handler call into a runc call";
  }
  return "";
}

// "" when CertainlyNotOptedIn(json) agrees with the full program's reader: a config.json
// it calls certainly not opted in is not opted in (or not readable at all, which create
// passes through as well), else what is wrong.
inline std::string CheckBundleConfig(const std::string& json) {
  if (!CertainlyNotOptedIn(json.data(), json.size())) return "";
  const absl::StatusOr<container::ContainerSettings> settings = container::ReadContainerSettings(json);
  if (settings.ok() && settings->enabled) return "certainly not opted in, but the full reader says it opts in";
  return "";
}

}  // namespace tardis::fastpath

#endif  // TARDIS_FASTPATH_CONSISTENCY_H_
