// HandleStart() and HandleResume(): each skips containerd's call exactly when create
// (skip-start) or checkpoint (skip-resume) left its flag, and consumes the flag doing so.
// Every other branch passes the call to runc untouched; in particular a flag Tardis
// cannot consume never turns into an Exit(0) (the start would then be reported done
// while nothing ran it), and a call whose namespace or id cannot name the state never
// touches what such a path would reach.
#include <sys/mount.h>
#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/lifecycle/handler_fixture.h"
#include "tardis/lifecycle/resume.h"
#include "tardis/lifecycle/start.h"

namespace tardis {
namespace {

using testing::HandlerFixture;

// The two handlers differ only in their flag and their log line.
struct Handler {
  const char* command;
  Flag flag;
  const char* flag_file;  // what the state store names it
  Flag other_flag;        // the other handler's
  std::function<Outcome(const Node&, const runc::Invocation&)> handle;
  const char* logged_on_skip;
};

const std::vector<Handler>& Handlers() {
  static const auto* handlers = new std::vector<Handler>{
      {"start", Flag::kSkipStart, "skip-start", Flag::kSkipResume, HandleStart,
       "default/c1: start skipped, the container was restored running at create"},
      {"resume", Flag::kSkipResume, "skip-resume", Flag::kSkipStart, HandleResume,
       "default/c1: resume skipped, the checkpoint stopped the container"},
  };
  return *handlers;
}

class StartResumeTest : public HandlerFixture {
 protected:
  bool Exists(const std::string& path) const {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
  std::string StateOf(absl::string_view ns, absl::string_view id) const {
    return Path(absl::StrCat("state/containers/", ns, "/", id));
  }
  // An opted-in container's state, as create leaves it (no restore, so no flag).
  void Record(const std::string& id) {
    ASSERT_TRUE(state_->For("default", id).Record({"/elsewhere/x", "", "/b", 1, "x", "/b/rootfs"}).ok());
  }
  void Reset() {
    ASSERT_TRUE(RemoveTree(Path("state")).ok());
    ASSERT_TRUE(MakeDirectories(Path("state"), 0755).ok());
    (void)::unlink(Path("runc-calls").c_str());
  }
};

// A namespace or id that is not containerd's identifier syntax: the call is runc's, and
// a flag planted where the unchecked path would lead stays where it is.
TEST_F(StartResumeTest, AnUnusableIdentityIsPassedThroughUntouched) {
  struct Case {
    const char* what;
    std::string ns;
    std::string id;
  };
  const Case cases[] = {
      {"an id with a slash", "default", "a/b"},
      {"an id that climbs", "default", ".."},
      {"an id that is a dot", "default", "."},
      {"an id with a newline", "default", "c1\n"},
      {"an empty id", "default", ""},
      {"an empty namespace", "", "c1"},
      {"a namespace that climbs", "..", "c1"},
  };
  for (const Handler& handler : Handlers()) {
    for (const Case& c : cases) {
      SCOPED_TRACE(absl::StrCat(handler.command, ": ", c.what));
      Reset();
      const std::string planted = absl::StrCat(StateOf(c.ns, c.id), "/", handler.flag_file);
      ASSERT_TRUE(MakeDirectories(planted.substr(0, planted.rfind('/')), 0755).ok());
      ASSERT_TRUE(archive::testing::WriteNewFile(planted, "").ok());
      runc::Invocation call = Call({handler.command, "c1"});
      // The shim's --root names the namespace; set both directly, as any argv could.
      call.ns = c.ns;
      call.container_id = {runc::Word{c.id}};
      ASSERT_EQ(call.id(), c.id);
      EXPECT_TRUE(handler.handle(*node_, call).pass_through());
      EXPECT_TRUE(Exists(planted)) << "nothing reached through an unchecked path";
      EXPECT_EQ(RuncCommands(), std::vector<std::string>{}) << "the call itself is the caller's to run";
    }
  }
}

// The table of a valid identity: what is kept for the container before the call, what
// the call decides, and what is left afterwards.
TEST_F(StartResumeTest, SkipsExactlyWhenItsFlagIsThere) {
  struct Case {
    const char* what;
    bool recorded;    // opted in (record.json)
    bool own_flag;    // this handler's flag set
    bool other_flag;  // the other handler's flag set
    bool exits;       // Exit(0) rather than PassThrough
  };
  const Case cases[] = {
      {"nothing kept (not opted in)", false, false, false, false},
      {"opted in, no flag (a start that was not restored; a resume after a pause)", true, false, false, false},
      {"opted in, only the other handler's flag", true, false, true, false},
      {"opted in, its flag", true, true, false, true},
      {"both flags: only its own is consumed", true, true, true, true},
      {"a flag without a record (the flag alone decides)", false, true, false, true},
  };
  for (const Handler& handler : Handlers()) {
    for (const Case& c : cases) {
      SCOPED_TRACE(absl::StrCat(handler.command, ": ", c.what));
      Reset();
      ContainerState state = state_->For("default", "c1");
      if (c.recorded) Record("c1");
      if (c.own_flag || c.other_flag) {
        ASSERT_TRUE(MakeDirectories(state.dir(), 0700).ok());
      }
      if (c.own_flag) {
        ASSERT_TRUE(state.Set(handler.flag).ok());
      }
      if (c.other_flag) {
        ASSERT_TRUE(state.Set(handler.other_flag).ok());
      }
      const size_t log_before = LogText().size();

      const Outcome outcome = handler.handle(*node_, Call({handler.command, "c1"}));
      EXPECT_EQ(outcome.pass_through(), !c.exits);
      if (c.exits) {
        EXPECT_EQ(outcome.exit_code(), 0);
      }
      EXPECT_EQ(RuncCommands(), std::vector<std::string>{}) << "neither handler runs runc itself";
      EXPECT_FALSE(Exists(absl::StrCat(state.dir(), "/", handler.flag_file))) << "consumed, or never there";
      if (c.other_flag) {
        EXPECT_TRUE(state.Consume(handler.other_flag)) << "the other flag is not this call's";
      }
      EXPECT_EQ(state.Recorded().has_value(), c.recorded) << "the record is left as it was";
      if (!c.recorded && !c.own_flag && !c.other_flag) {
        EXPECT_FALSE(Exists(state.dir())) << "nothing made";
      }
      EXPECT_EQ(absl::StrContains(LogText().substr(log_before), handler.logged_on_skip), c.exits) << LogText();

      // The flag is consumed once: the next call of the same kind is runc's.
      EXPECT_TRUE(handler.handle(*node_, Call({handler.command, "c1"})).pass_through());
    }
  }
}

// A flag that is there but cannot be removed: whether the container is running cannot
// be told from the flag alone, so the call goes to runc, which either does it or says
// why not. Never Exit(0) without the flag consumed.
TEST_F(StartResumeTest, AFlagThatCannotBeConsumedPassesThrough) {
  struct Case {
    const char* what;
    bool flag_is_directory;  // something else in the flag's place
    bool state_read_only;    // the container's state dir on a read-only mount
  };
  const Case cases[] = {
      {"the flag's name taken by a directory", true, false},
      {"the container's state dir read-only", false, true},
  };
  for (const Handler& handler : Handlers()) {
    for (const Case& c : cases) {
      SCOPED_TRACE(absl::StrCat(handler.command, ": ", c.what));
      Reset();
      Record("c1");
      ContainerState state = state_->For("default", "c1");
      const std::string flag = absl::StrCat(state.dir(), "/", handler.flag_file);
      if (c.flag_is_directory) {
        ASSERT_TRUE(MakeDirectories(absl::StrCat(flag, "/inside"), 0700).ok());
      } else {
        ASSERT_TRUE(state.Set(handler.flag).ok());
      }
      if (c.state_read_only) {
        ASSERT_EQ(::mount(state.dir().c_str(), state.dir().c_str(), nullptr, MS_BIND, nullptr), 0);
        ASSERT_EQ(::mount(nullptr, state.dir().c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), 0);
      }

      const Outcome outcome = handler.handle(*node_, Call({handler.command, "c1"}));
      if (c.state_read_only) {
        ASSERT_EQ(::umount2(state.dir().c_str(), MNT_DETACH), 0);
      }
      EXPECT_TRUE(outcome.pass_through());
      EXPECT_TRUE(Exists(flag)) << "still there";
      EXPECT_EQ(RuncCommands(), std::vector<std::string>{});
      EXPECT_FALSE(absl::StrContains(LogText(), handler.logged_on_skip)) << LogText();
    }
  }
}

}  // namespace
}  // namespace tardis
