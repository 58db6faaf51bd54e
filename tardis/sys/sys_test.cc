#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/sys/directory_entries.h"
#include "tardis/sys/exec.h"
#include "tardis/sys/files.h"
#include "tardis/sys/hex.h"
#include "tardis/sys/pinned_directory.h"
#include "tardis/sys/file_digest.h"
#include "tardis/sys/process_start.h"
#include "tardis/sys/remove_tree.h"
#include "tardis/sys/sha256.h"
#include "tardis/sys/stream_hash.h"
#include "tardis/testing/cannot_run_here.h"

namespace tardis {
namespace {

std::string Temp(const std::string& name) { return absl::StrCat(::testing::TempDir(), "/", name); }

// A pinned directory stays the one opened when its name is swapped, and a child process
// reaches it through its own descriptor table.
TEST(PinnedDirectoryTest, PathsBelowItSurviveASwapAndChildrenInheritIt) {
  const std::string top = absl::StrCat(::testing::TempDir(), "/pinned-", ::getpid());
  ASSERT_TRUE(MakeDirectories(top + "/dir", 0755).ok());
  ASSERT_TRUE(WriteFileAtomically(top + "/dir/file", "mine", 0644).ok());
  absl::StatusOr<PinnedDirectory> pinned = PinnedDirectory::Open(top + "/dir");
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  ASSERT_EQ(::rename((top + "/dir").c_str(), (top + "/moved").c_str()), 0);
  ASSERT_TRUE(MakeDirectories(top + "/elsewhere", 0755).ok());
  ASSERT_EQ(::symlink("elsewhere", (top + "/dir").c_str()), 0);
  EXPECT_EQ(ReadSmallFile(pinned->path() + "/file", 64).value_or(""), "mine");
  EXPECT_FALSE(PinnedDirectory::Open(top + "/dir").ok()) << "a symlink is not opened as the directory";

  EXPECT_TRUE(::fcntl(pinned->fd(), F_GETFD) & FD_CLOEXEC);
  const std::string for_child = PinnedDirectory::ForChildren(pinned->path() + "/file");
  EXPECT_EQ(for_child, pinned->path() + "/file");
  EXPECT_FALSE(::fcntl(pinned->fd(), F_GETFD) & FD_CLOEXEC);
  RunOptions capture;
  capture.capture_stdout = true;
  absl::StatusOr<RunResult> child = RunProgram("/bin/cat", {for_child}, capture);
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(child->stdout_text, "mine");
  EXPECT_EQ(PinnedDirectory::ForChildren("/var/lib/x"), "/var/lib/x");
}

// FIPS 180-2 and RFC 4231 vectors: libcrypto is linked and called as meant.
TEST(Sha256Test, KnownAnswers) {
  struct Case {
    std::string data;
    std::string sha256;
  };
  for (const Case& c : {Case{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
                        Case{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}) {
    Sha256 whole;
    whole.Update(c.data.data(), c.data.size());
    EXPECT_EQ(whole.Hex(), c.sha256);
    EXPECT_TRUE(IsSha256Hex(whole.Hex()));
  }
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
}

TEST(HexTest, LowerHexOfASize) {
  struct Case {
    std::string text;
    size_t size;
    bool lower_hex;
  };
  for (const Case& c : std::vector<Case>{{"0123456789abcdef", 16, true}, {"0123456789ABCDEF", 16, false},
                                         {"0123456789abcdeg", 16, false}, {"abc", 4, false}, {"", 0, true}}) {
    EXPECT_EQ(IsLowerHex(c.text, c.size), c.lower_hex) << c.text;
  }
  EXPECT_TRUE(IsXxh3_128Hex(std::string(32, 'A')));  // unpack's callers may spell it so
  EXPECT_FALSE(IsXxh3_128Hex(std::string(31, 'a')));
}

TEST(Sha256Test, AStreamAndAFileHashAsOneBuffer) {
  const std::string data(3 << 20, 'x');
  StreamHash pieces(StreamHash::Sha::kAlso);
  for (size_t at = 0; at < data.size(); at += 7777) pieces.Update(data.data() + at, std::min<size_t>(7777, data.size() - at));
  Sha256 whole;
  whole.Update(data.data(), data.size());
  EXPECT_EQ(pieces.Sha256Hex(), whole.Hex());
  EXPECT_EQ(StreamHash().Sha256Hex(), "") << "only when asked for";

  const std::string path = absl::StrCat(::testing::TempDir(), "/digest-", ::getpid());
  ASSERT_TRUE(WriteFileAtomically(path, data, 0600).ok());
  absl::StatusOr<FileDigest> digest = DigestFile(path, false, StreamHash::Sha::kAlso);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(digest->sha256, whole.Hex());
  EXPECT_EQ(digest->xxh3_128, pieces.Hex());
  EXPECT_EQ(digest->bytes, data.size());
  EXPECT_EQ(DigestFile(path)->sha256, "");
  ::unlink(path.c_str());
}

TEST(FilesTest, ReadSmallFileReadsAndBounds) {
  std::ofstream(Temp("f")) << "hello";
  EXPECT_EQ(*ReadSmallFile(Temp("f"), 5), "hello");
  EXPECT_TRUE(absl::IsOutOfRange(ReadSmallFile(Temp("f"), 4).status()));
  EXPECT_TRUE(absl::IsNotFound(ReadSmallFile(Temp("absent"), 4).status()));
}

TEST(FilesTest, WriteFileAtomicallyReplacesAndLeavesNoTemporaries) {
  const std::string path = Temp("atomic");
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two", 0600).ok());
  EXPECT_EQ(*ReadSmallFile(path, 100), "two");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(::access(absl::StrCat(path, ".tmp.", ::getpid()).c_str(), F_OK), 0);
}

TEST(FilesTest, WriteFileAtomicallyDoesNotFollowATemporarySymlink) {
  const std::string path = Temp("victim-target");
  const std::string temp = absl::StrCat(Temp("guarded"), ".tmp.", ::getpid());
  ASSERT_EQ(::symlink(path.c_str(), temp.c_str()), 0);
  EXPECT_FALSE(WriteFileAtomically(Temp("guarded"), "x").ok());
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "wrote through a symlink";
  ::unlink(temp.c_str());
}

// A killed writer's sibling (pids are reused) does not block the next write of the same
// pid; a hard link to another file there does, untouched.
TEST(FilesTest, WriteFileAtomicallyReplacesAStaleSiblingOnly) {
  const std::string path = Temp("stale-guarded");
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  std::ofstream(temp) << "half written";
  ASSERT_TRUE(WriteFileAtomically(path, "whole").ok());
  EXPECT_EQ(*ReadSmallFile(path, 100), "whole");
  EXPECT_NE(::access(temp.c_str(), F_OK), 0);

  const std::string other = Temp("stale-other");
  std::ofstream(other) << "someone's";
  ASSERT_EQ(::link(other.c_str(), temp.c_str()), 0);
  EXPECT_FALSE(WriteFileAtomically(path, "again").ok());
  EXPECT_EQ(*ReadSmallFile(other, 100), "someone's");
  EXPECT_EQ(*ReadSmallFile(path, 100), "whole");
  ::unlink(temp.c_str());
}

TEST(FilesTest, MakeDirectoriesIsIdempotentAndRefusesFiles) {
  const std::string dir = Temp("a/b/c");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  ASSERT_TRUE(MakeDirectories(dir).ok());
  std::ofstream(Temp("plain")) << "x";
  EXPECT_FALSE(MakeDirectories(Temp("plain")).ok());
  EXPECT_FALSE(MakeDirectories(Temp("plain/sub")).ok());
}

TEST(FilesTest, MoveFileMovesAndNeverReplaces) {
  const std::string from = Temp("move-from"), to = Temp("move-to");
  std::ofstream(from) << "content";
  ASSERT_TRUE(MoveFile(from, to).ok());
  EXPECT_EQ(ReadSmallFile(to, 100).value_or("?"), "content");
  EXPECT_NE(::access(from.c_str(), F_OK), 0);
  std::ofstream(from) << "other";
  EXPECT_FALSE(MoveFile(from, to).ok());
  EXPECT_EQ(ReadSmallFile(to, 100).value_or("?"), "content");
}

// /dev/shm is a tmpfs of its own: the move copies, then removes the original.
TEST(FilesTest, MoveFileCrossesFilesystems) {
  const std::string from = Temp("cross-from");
  const std::string to = absl::StrCat("/dev/shm/tardis-sys-test-", ::getpid());
  const std::string content(3 << 20, 'x');
  std::ofstream(from) << content;
  struct stat a, b;
  ASSERT_EQ(::stat(from.c_str(), &a), 0);
  if (::stat("/dev/shm", &b) != 0 || a.st_dev == b.st_dev) TARDIS_CANNOT_RUN_HERE("/dev/shm is not another filesystem");
  ASSERT_EQ(::chmod(from.c_str(), 0751), 0);
  ASSERT_TRUE(MoveFile(from, to).ok());
  EXPECT_EQ(ReadSmallFile(to, 4 << 20).value_or("?"), content);
  EXPECT_NE(::access(from.c_str(), F_OK), 0);
  ASSERT_EQ(::stat(to.c_str(), &b), 0);
  EXPECT_EQ(b.st_mode & 07777, 0751u) << "a move keeps the mode";
  ::unlink(to.c_str());

  // A symlink stays a symlink, pointing where it did; a taken `to` is never replaced.
  const std::string link = Temp("cross-link");
  ASSERT_EQ(::symlink("somewhere/else", link.c_str()), 0);
  ASSERT_TRUE(MoveFile(link, to).ok());
  EXPECT_EQ(SymlinkTarget(to).value_or("?"), "somewhere/else");
  EXPECT_FALSE(SymlinkTarget(link).has_value());
  ASSERT_EQ(::symlink("again", link.c_str()), 0);
  EXPECT_FALSE(MoveFile(link, to).ok());
  EXPECT_EQ(SymlinkTarget(to).value_or("?"), "somewhere/else");
  ::unlink(to.c_str());
  ::unlink(link.c_str());
}

TEST(FilesTest, ReplaceFileSetsTheModeExactly) {
  const std::string path = Temp("replaced");
  const mode_t old_umask = ::umask(0077);
  ASSERT_TRUE(ReplaceFile(path, "new", 0644, ::geteuid(), ::getegid()).ok());
  ::umask(old_umask);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(*ReadSmallFile(path, 100), "new");
  ASSERT_TRUE(ReplaceFileKeepingMode(path, "newer", 0600).ok());
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u) << "an existing file keeps its mode";
}

TEST(FilesTest, PathParts) {
  struct Case {
    std::string path, dir, base;
  };
  for (const Case& c : std::vector<Case>{{"/a/b", "/a", "b"}, {"/a", "/", "a"}, {"a", ".", "a"}, {"a/", "a", ""}}) {
    EXPECT_EQ(DirName(c.path), c.dir) << c.path;
    EXPECT_EQ(BaseName(c.path), c.base) << c.path;
  }
}

// AnyDirectoryEntry: an entry that meets the condition, or none; a directory that cannot
// be listed (the path itself not followed) is an error, for the caller to read.
TEST(DirectoryEntriesTest, AnyEntryMeetingTheCondition) {
  using Make = std::function<void(const std::string&)>;
  using Wanted = std::function<bool(const DirectoryEntry&)>;
  const Make empty = [](const std::string& d) { ASSERT_TRUE(MakeDirectories(d, 0700).ok()); };
  const Make files = [](const std::string& d) {
    ASSERT_TRUE(MakeDirectories(d, 0700).ok());
    for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(WriteFileAtomically(absl::StrCat(d, "/", name), "").ok());
  };
  const Make symlink_to_directory = [](const std::string& d) {
    ASSERT_TRUE(MakeDirectories(d, 0700).ok());
    ASSERT_EQ(::symlink("/", (d + "/root").c_str()), 0);
  };
  const Make subdirectory = [](const std::string& d) { ASSERT_TRUE(MakeDirectories(d + "/sub/deeper", 0700).ok()); };
  const Make a_file = [](const std::string& d) { ASSERT_TRUE(WriteFileAtomically(d, "").ok()); };
  const Make a_link_to_a_full_directory = [subdirectory](const std::string& d) {
    subdirectory(d + ".target");
    ASSERT_EQ(::symlink((d + ".target").c_str(), d.c_str()), 0);
  };
  const Wanted any = [](const DirectoryEntry&) { return true; };
  const Wanted directory = [](const DirectoryEntry& entry) { return entry.IsDirectory(); };
  const Wanted named_b = [](const DirectoryEntry& entry) { return entry.name() == "b"; };
  const Wanted named_z = [](const DirectoryEntry& entry) { return entry.name() == "z"; };
  struct Case {
    const char* name;
    Make make;
    Wanted wanted;
    absl::StatusCode code;
    bool want;
  };
  const std::vector<Case> cases = {
      {"empty: no entry, not even . or ..", empty, any, absl::StatusCode::kOk, false},
      {"files: any", files, any, absl::StatusCode::kOk, true},
      {"files: no directory", files, directory, absl::StatusCode::kOk, false},
      {"files: by name", files, named_b, absl::StatusCode::kOk, true},
      {"files: no such name", files, named_z, absl::StatusCode::kOk, false},
      {"a symlink to a directory is no directory", symlink_to_directory, directory, absl::StatusCode::kOk, false},
      {"a subdirectory", subdirectory, directory, absl::StatusCode::kOk, true},
      {"missing", [](const std::string&) {}, any, absl::StatusCode::kNotFound, false},
      {"a file", a_file, any, absl::StatusCode::kInternal, false},
      {"a symlink to a directory, not followed", a_link_to_a_full_directory, any, absl::StatusCode::kInternal, false},
  };
  const std::string top = absl::StrCat(::testing::TempDir(), "/entries-", ::getpid());
  ASSERT_TRUE(MakeDirectories(top, 0700).ok());
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string dir = absl::StrCat(top, "/", i);
    cases[i].make(dir);
    const absl::StatusOr<bool> got = AnyDirectoryEntry(dir, cases[i].wanted);
    EXPECT_EQ(got.status().code(), cases[i].code) << cases[i].name << ": " << got.status();
    if (got.ok()) {
      EXPECT_EQ(*got, cases[i].want) << cases[i].name;
    }
  }
  EXPECT_TRUE(RemoveTree(top).ok());
}

// The listing ends at the first entry that meets the condition.
TEST(DirectoryEntriesTest, StopsAtTheFirstMatch) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/entries-first-", ::getpid());
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(MakeDirectories(absl::StrCat(dir, "/", name), 0700).ok());
  int asked = 0;
  EXPECT_TRUE(*AnyDirectoryEntry(dir, [&asked](const DirectoryEntry&) { return ++asked > 0; }));
  EXPECT_EQ(asked, 1);
  asked = 0;
  EXPECT_FALSE(*AnyDirectoryEntry(dir, [&asked](const DirectoryEntry&) { return ++asked < 0; }));
  EXPECT_EQ(asked, 3);
  EXPECT_TRUE(RemoveTree(dir).ok());
}

// ForEachDirectoryEntry: every entry's name once (never . or ..), as the entry's kind is
// told; the path a symlink only when `last` follows it.
TEST(DirectoryEntriesTest, EveryEntry) {
  using Make = std::function<void(const std::string&)>;
  const Make mixed = [](const std::string& d) {
    ASSERT_TRUE(MakeDirectories(d + "/sub", 0700).ok());
    ASSERT_TRUE(WriteFileAtomically(d + "/file", "").ok());
    ASSERT_EQ(::symlink("file", (d + "/link").c_str()), 0);
  };
  const Make a_link_to_it = [mixed](const std::string& d) {
    mixed(d + ".target");
    ASSERT_EQ(::symlink((d + ".target").c_str(), d.c_str()), 0);
  };
  struct Case {
    const char* name;
    Make make;
    LastLink last;
    absl::StatusCode code;
    std::vector<std::string> listed;  // sorted; "d:" a directory, "f:" a regular file, "-:" neither
  };
  const std::vector<Case> cases = {
      {"empty", [](const std::string& d) { ASSERT_TRUE(MakeDirectories(d, 0700).ok()); }, LastLink::kRefused,
       absl::StatusCode::kOk, {}},
      {"each kind, a symlink neither", mixed, LastLink::kRefused, absl::StatusCode::kOk, {"-:link", "d:sub", "f:file"}},
      {"followed: the same on a directory", mixed, LastLink::kFollowed, absl::StatusCode::kOk,
       {"-:link", "d:sub", "f:file"}},
      {"a symlink to a directory, refused", a_link_to_it, LastLink::kRefused, absl::StatusCode::kInternal, {}},
      {"a symlink to a directory, followed", a_link_to_it, LastLink::kFollowed, absl::StatusCode::kOk,
       {"-:link", "d:sub", "f:file"}},
      {"missing", [](const std::string&) {}, LastLink::kFollowed, absl::StatusCode::kNotFound, {}},
      {"a file", [](const std::string& d) { ASSERT_TRUE(WriteFileAtomically(d, "").ok()); }, LastLink::kFollowed,
       absl::StatusCode::kInternal, {}},
  };
  const std::string top = absl::StrCat(::testing::TempDir(), "/each-", ::getpid());
  ASSERT_TRUE(MakeDirectories(top, 0700).ok());
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string dir = absl::StrCat(top, "/", i);
    cases[i].make(dir);
    std::vector<std::string> listed;
    const absl::Status got = ForEachDirectoryEntry(
        dir,
        [&listed](const DirectoryEntry& entry) {
          struct stat st;
          ASSERT_TRUE(entry.Stat(&st)) << entry.name();
          EXPECT_EQ(S_ISLNK(st.st_mode), entry.name() == "link") << "Stat does not follow " << entry.name();
          const char* kind = entry.IsDirectory() ? "d:" : entry.IsRegularFile() ? "f:" : "-:";
          listed.push_back(absl::StrCat(kind, entry.name()));
        },
        cases[i].last);
    EXPECT_EQ(got.code(), cases[i].code) << cases[i].name << ": " << got;
    std::sort(listed.begin(), listed.end());
    EXPECT_EQ(listed, cases[i].listed) << cases[i].name;
  }
  EXPECT_TRUE(RemoveTree(top).ok());
}

// A read that fails part way is an error, not a listing that looks whole: readdir stands
// in for a disk or a server that fails after the first entry.
int entries_before_failing = 0;
struct dirent* FailingRead(DIR* listing) {
  if (entries_before_failing == 0) {
    errno = EIO;
    return nullptr;
  }
  struct dirent* entry = ::readdir(listing);
  if (entry != nullptr && absl::string_view(entry->d_name) != "." && absl::string_view(entry->d_name) != "..") {
    --entries_before_failing;
  }
  return entry;
}

TEST(DirectoryEntriesTest, AReadThatFailsPartWayIsAnError) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/entries-failing-", ::getpid());
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(MakeDirectories(absl::StrCat(dir, "/", name), 0700).ok());
  int asked = 0;
  entries_before_failing = 1;
  const absl::StatusOr<bool> got = directory_entries_internal::ListUntil(
      dir, LastLink::kRefused, [&asked](const DirectoryEntry&) { return ++asked < 0; }, FailingRead);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInternal) << got.status();
  EXPECT_EQ(asked, 1);
  entries_before_failing = 5;
  asked = 0;
  EXPECT_EQ(directory_entries_internal::ListUntil(
                dir, LastLink::kRefused, [&asked](const DirectoryEntry&) { return ++asked < 0; }, FailingRead)
                .status()
                .code(),
            absl::StatusCode::kOk)
      << "the end before the failure";
  EXPECT_EQ(asked, 3);
  EXPECT_TRUE(RemoveTree(dir).ok());
}

// /proc/<pid>/stat's command name is the process's own choice: spaces and ')' in it do
// not shift the fields.
TEST(ProcessStartTest, StartTicksFromStat) {
  const std::string tail = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21";
  struct Case {
    std::string stat;
    std::optional<uint64_t> ticks;
  };
  const Case cases[] = {
      {"123 (runc)" + tail, 424242},
      {"123 (a) b (c) d)" + tail, 424242},
      {"123 ( ) )" + tail, 424242},
      {"123 (runc) S 1 2", std::nullopt},
      {"no parenthesis at all", std::nullopt},
      {"123 (runc) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x 20", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& c : cases) EXPECT_EQ(StartTicksFromStat(c.stat), c.ticks) << c.stat;
  EXPECT_TRUE(ProcessStartTicks(::getpid()));
  EXPECT_TRUE(SameProcessAlive(::getpid(), *ProcessStartTicks(::getpid())));
  EXPECT_FALSE(SameProcessAlive(::getpid(), *ProcessStartTicks(::getpid()) + 1));
  EXPECT_FALSE(ProcessStartTicks(0));
}

TEST(ExecTest, RunReportsExitCodesAndSignals) {
  EXPECT_EQ(RunProgram("/bin/sh", {"-c", "exit 7"})->exit_code, 7);
  EXPECT_EQ(RunProgram("/bin/sh", {"-c", "kill -9 $$"})->exit_code, 128 + 9);
  EXPECT_FALSE(RunProgram("/nonexistent/binary", {}).ok());
}

TEST(ExecTest, RunCapturesStdout) {
  const auto result = RunProgram("/bin/sh", {"-c", "echo out; echo err >&2"},
                          {.capture_stdout = true, .quiet_stderr = true});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stdout_text, "out\n");
}

TEST(ExecTest, RunCapturedKeepsBothStreamsAndGivesNoStdin) {
  // More than a pipe holds on stderr before stdout ends: reading one stream to its
  // end first would never finish.
  const auto ran = RunCaptured("/bin/sh", {"-c", "head -c 200000 /dev/zero >&2; cat; echo out; exit 4"});
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_EQ(ran->exit_code, 4);
  EXPECT_EQ(ran->out, "out\n");
  EXPECT_EQ(ran->err.size(), 200000u);
  EXPECT_FALSE(RunCaptured("/nonexistent/binary", {}).ok());
}

// A started child runs while the caller works, and is waited for exactly once.
TEST(ExecTest, StartedChildRunsAlongsideAndIsWaitedFor) {
  const std::string fifo = absl::StrCat(::testing::TempDir(), "/child-fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  absl::StatusOr<Child> child = StartProgram("/bin/sh", {"-c", absl::StrCat("echo hello >", fifo, "; exit 5")});
  ASSERT_TRUE(child.ok()) << child.status();
  // The child can only finish once this process reads what it writes.
  EXPECT_EQ(ReadSmallFile(fifo, 100).value_or("?"), "hello\n");
  EXPECT_EQ(child->Wait().value_or(-1), 5);
  EXPECT_FALSE(child->Wait().ok());
}

TEST(ExecTest, WaitForGivesTheExitCodeOfAChildThatEndsInTime) {
  absl::StatusOr<Child> child = StartProgram("/bin/sh", {"-c", "exit 3"});
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(child->WaitFor(60 * 1000).value_or(-1), 3);
  EXPECT_FALSE(child->Wait().ok());
}

// A child that does not end in time is killed and reaped (it never ends by itself here).
TEST(ExecTest, WaitForKillsAndReapsAChildPastItsTime) {
  absl::StatusOr<Child> child =
      StartProgram("/bin/sh", {"-c", "echo $$; exec sleep 1000"}, {.capture_stdout = true});
  ASSERT_TRUE(child.ok()) << child.status();
  const absl::StatusOr<int> code = child->WaitFor(50);
  EXPECT_TRUE(absl::IsDeadlineExceeded(code.status())) << code.status();
  EXPECT_FALSE(child->Wait().ok());  // nothing left to wait for
  const pid_t pid = std::stoi(child->ReadStdout());
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ExecTest, ChildGoingOutOfScopeIsReaped) {
  pid_t pid = 0;
  {
    absl::StatusOr<Child> child = StartProgram("/bin/sh", {"-c", "echo $$; sleep 0.1"}, {.capture_stdout = true});
    ASSERT_TRUE(child.ok()) << child.status();
    pid = std::stoi(child->ReadStdout());
  }
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // already reaped: no such child
  EXPECT_EQ(errno, ECHILD);
}

TEST(ExecTest, EnvironmentReplacesOurs) {
  const std::vector<std::string> environment = {"ONLY=this"};
  const auto result = RunProgram("/bin/sh", {"-c", "env"}, {.capture_stdout = true, .environment = &environment});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stdout_text.find("ONLY=this\n") != std::string::npos, true) << result->stdout_text;
  EXPECT_EQ(result->stdout_text.find("HOME="), std::string::npos) << result->stdout_text;
}

TEST(ExecTest, ResolveExecutableSearchesPath) {
  EXPECT_EQ(ResolveExecutable("/x/y"), "/x/y");
  EXPECT_FALSE(ResolveExecutable("sh").empty());
  EXPECT_EQ(ResolveExecutable("no-such-program-anywhere"), "");
}

TEST(ExecTest, SameFileFollowsLinks) {
  const std::string target = Temp("target"), link = Temp("link");
  std::ofstream(target) << "x";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_TRUE(SameFile(target, link));
  EXPECT_FALSE(SameFile(target, "/bin/sh"));
  EXPECT_FALSE(SameFile(target, Temp("absent")));
}

}  // namespace
}  // namespace tardis
