// RouteOf(): which of Tardis's handlers, if any, a runc call goes to. Everything else,
// and anything not fully understood, is passed to the real runc untouched.
#ifndef TARDIS_RUNC_ROUTE_H_
#define TARDIS_RUNC_ROUTE_H_

#include <absl/strings/string_view.h>

#include "tardis/runc/invocation.h"

namespace tardis::runc {

enum class Route { kPassThrough, kCreate, kStart, kCheckpoint, kResume, kDelete, kRestore };

inline absl::string_view RouteName(Route route) {
  switch (route) {
    case Route::kPassThrough: return "pass-through";
    case Route::kCreate: return "create";
    case Route::kStart: return "start";
    case Route::kCheckpoint: return "checkpoint";
    case Route::kResume: return "resume";
    case Route::kDelete: return "delete";
    case Route::kRestore: return "restore";
  }
  return "pass-through";
}

inline Route RouteOf(const Invocation& invocation) {
  if (!invocation.understood || !invocation.has_command()) return Route::kPassThrough;
  // runc prints help or its version and does nothing else.
  const Option* help = invocation.FindGlobal("help");
  const Option* version = invocation.FindGlobal("version");
  if ((help != nullptr && help->enabled()) || (version != nullptr && version->enabled()) ||
      invocation.Enabled("help")) {
    return Route::kPassThrough;
  }
  const absl::string_view command = invocation.command_name;
  if (command == "create") return Route::kCreate;
  if (command == "start") return Route::kStart;
  if (command == "resume") return Route::kResume;
  if (command == "delete") return Route::kDelete;
  // Someone else's restore (Docker's start --checkpoint): Tardis only takes note of it.
  if (command == "restore") return Route::kRestore;
  if (command == "checkpoint") {
    // Pre-dumps, lazy pages and page servers leave memory outside the image: those are
    // someone else's migration scheme, not a checkpoint Tardis can restore from.
    const bool special = invocation.Enabled("pre-dump") || invocation.Enabled("lazy-pages") ||
                         invocation.Find("page-server") != nullptr ||
                         invocation.Find("parent-path") != nullptr;
    return special ? Route::kPassThrough : Route::kCheckpoint;
  }
  return Route::kPassThrough;
}

}  // namespace tardis::runc

#endif  // TARDIS_RUNC_ROUTE_H_
