// Which containers are opted in on this node: every container whose record exists under
// <state_dir>/containers/<namespace>/<id>/record.json (tardis/state), in every namespace.
//
// And the finalize journal, <state_dir>/finalized/<namespace>/<id>.json: finalize deletes
// each container it checkpoints, and with it Tardis's record, so without the journal
// `status` could no longer show the images finalize just made.
#ifndef TARDIS_NODE_OPTED_IN_H_
#define TARDIS_NODE_OPTED_IN_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>
#include <nlohmann/json.hpp>

#include "tardis/container/image_location.h"
#include "tardis/state/state_store.h"
#include "tardis/node/utf8.h"
#include "tardis/sys/directory_entries.h"
#include "tardis/sys/files.h"

namespace tardis::node {

struct OptedIn {
  std::string ns;
  std::string id;
  ContainerRecord record;
};

namespace opted_in_internal {

// The entries of `dir` that are directories (or, with `suffix`, regular files ending in
// it, suffix removed) named like containerd identifiers, sorted. `dir` is followed as it
// always was: the state dir's own (an admin may have linked it elsewhere), or a namespace
// listed as a directory. One that cannot be listed has none; one whose listing fails
// part way, those seen.
inline std::vector<std::string> IdentifiersIn(const std::string& dir, absl::string_view suffix = "") {
  std::vector<std::string> names;
  (void)ForEachDirectoryEntry(
      dir,
      [&](const DirectoryEntry& entry) {
        std::string name(entry.name());
        if (suffix.empty()) {
          if (!entry.IsDirectory()) return;
        } else {
          if (!entry.IsRegularFile() || !absl::EndsWith(name, suffix)) return;
          name.resize(name.size() - suffix.size());
        }
        // Tardis's own bookkeeping (.forgotten.*) and anything not an identifier is skipped.
        if (!container::ValidateIdentifier("name", name).ok()) return;
        names.push_back(std::move(name));
      },
      LastLink::kFollowed);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace opted_in_internal

// Sorted by namespace, then id.
inline std::vector<OptedIn> ListOptedIn(const std::string& state_dir) {
  using opted_in_internal::IdentifiersIn;
  const StateStore store(state_dir);
  std::vector<OptedIn> found;
  for (const std::string& ns : IdentifiersIn(store.containers_dir())) {
    for (const std::string& id : IdentifiersIn(absl::StrCat(store.containers_dir(), "/", ns))) {
      if (std::optional<ContainerRecord> record = store.For(ns, id).Recorded()) {
        found.push_back({ns, id, *std::move(record)});
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// The finalize journal

struct FinalizedEntry {
  std::string ns;
  std::string id;
  std::string image_dir;
  int64_t finalized_unix_nanos = 0;
};

inline std::string FinalizedDir(const std::string& state_dir) { return absl::StrCat(state_dir, "/finalized"); }

inline absl::Status RecordFinalized(const std::string& state_dir, const FinalizedEntry& entry) {
  if (!IsUtf8(entry.image_dir)) {
    return absl::InvalidArgumentError("not journaled: its image path is not UTF-8");
  }
  const std::string dir = absl::StrCat(FinalizedDir(state_dir), "/", entry.ns);
  if (absl::Status made = MakeDirectories(dir, 0700); !made.ok()) return made;
  const std::string text = nlohmann::json{{"namespace", entry.ns},
                                          {"id", entry.id},
                                          {"image_dir", entry.image_dir},
                                          {"finalized_unix_nanos", entry.finalized_unix_nanos}}
                               .dump();
  return WriteFileAtomically(absl::StrCat(dir, "/", entry.id, ".json"), text, 0600);
}

inline std::vector<FinalizedEntry> ListFinalized(const std::string& state_dir) {
  using opted_in_internal::IdentifiersIn;
  std::vector<FinalizedEntry> entries;
  const std::string top = FinalizedDir(state_dir);
  for (const std::string& ns : IdentifiersIn(top)) {
    for (const std::string& id : IdentifiersIn(absl::StrCat(top, "/", ns), ".json")) {
      absl::StatusOr<std::string> text = ReadSmallFile(absl::StrCat(top, "/", ns, "/", id, ".json"), 64 * 1024);
      if (!text.ok()) continue;
      const nlohmann::json json = nlohmann::json::parse(*text, nullptr, false);
      if (json.is_discarded() || !json.is_object()) continue;
      const auto image_dir = json.find("image_dir");
      const auto when = json.find("finalized_unix_nanos");
      if (image_dir == json.end() || !image_dir->is_string() || when == json.end() || !when->is_number_integer()) {
        continue;
      }
      const std::string dir = image_dir->get<std::string>();
      if (dir.empty() || dir.front() != '/') continue;
      entries.push_back({ns, id, dir, when->get<int64_t>()});
    }
  }
  return entries;
}

inline void ForgetFinalized(const std::string& state_dir, const FinalizedEntry& entry) {
  const std::string dir = absl::StrCat(FinalizedDir(state_dir), "/", entry.ns);
  ::unlink(absl::StrCat(dir, "/", entry.id, ".json").c_str());
  ::rmdir(dir.c_str());  // only when it became empty
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_OPTED_IN_H_
