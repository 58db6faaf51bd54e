// RestoreInsteadOfCreate(): the runc restore that replaces containerd's create when a
// valid image exists.
//
// The restore keeps create's global options (root, log, ...) and the create options
// restore also has (bundle, pid file, console socket, no-pivot), so the shim finds the
// restored container exactly where it expects the created one. It is detached (create
// returns once the container exists; restore --detach does the same), reads the image,
// and writes its logs to a private work dir so the image is never modified.
// Options the image was checkpointed with that CRIU needs again at restore (file
// locks, established TCP, external unix sockets, shell jobs) are added back.
//
// A create that passes extra file descriptors (--preserve-fds N > 0) cannot be restored
// faithfully: restore has no such option, so that container is created fresh.
#ifndef TARDIS_RUNC_RESTORE_ARGV_H_
#define TARDIS_RUNC_RESTORE_ARGV_H_

#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/runc/grammar.h"
#include "tardis/runc/invocation.h"

namespace tardis::runc {

// The checkpoint options that must be repeated at restore; anything else recorded in
// an image is ignored (images are untrusted input).
inline constexpr absl::string_view kOptionsRepeatedAtRestore[] = {
    "file-locks", "tcp-established", "ext-unix-sk", "shell-job"};

inline bool IsOptionRepeatedAtRestore(absl::string_view name) {
  for (absl::string_view known : kOptionsRepeatedAtRestore) {
    if (known == name) return true;
  }
  return false;
}

// The options of a checkpoint that its restore must repeat, by name.
inline std::vector<std::string> OptionsToRepeatAtRestore(const Invocation& checkpoint) {
  std::vector<std::string> names;
  for (absl::string_view name : kOptionsRepeatedAtRestore) {
    if (checkpoint.Enabled(name)) names.emplace_back(name);
  }
  return names;
}

inline absl::StatusOr<Invocation> RestoreInsteadOfCreate(
    const Invocation& create, const std::string& image_path, const std::string& work_path,
    const std::vector<std::string>& repeated_options) {
  if (const Option* fds = create.Find("preserve-fds"); fds != nullptr && fds->value != "0") {
    return absl::FailedPreconditionError(
        absl::StrCat("create passes extra file descriptors (--preserve-fds ", fds->value,
                     "), which restore cannot"));
  }
  Invocation restore = create;
  restore.command.text = "restore";
  restore.command_name = "restore";
  restore.options.clear();
  for (const Option& option : create.options) {
    const absl::string_view name = option.name();
    // --no-new-keyring and --preserve-fds 0 have no restore equivalent and no effect
    // worth keeping; help is false here (the router passes help through).
    if (name == "no-new-keyring" || name == "preserve-fds" || name == "help") continue;
    const OptionSpec* spec = FindOption(kRestoreOptions, name);
    if (spec == nullptr) {
      return absl::InternalError(absl::StrCat("create option --", name, " has no restore equivalent"));
    }
    Option kept = option;
    kept.spec = spec;
    restore.options.push_back(std::move(kept));
  }
  const auto add = [&](absl::string_view name, const std::string& value = "true") {
    restore.options.push_back(MakeOption(*FindOption(kRestoreOptions, name), value));
  };
  add("detach");
  add("image-path", image_path);
  add("work-path", work_path);
  for (const std::string& name : repeated_options) {
    if (IsOptionRepeatedAtRestore(name)) add(name);
  }
  return restore;
}

}  // namespace tardis::runc

#endif  // TARDIS_RUNC_RESTORE_ARGV_H_
