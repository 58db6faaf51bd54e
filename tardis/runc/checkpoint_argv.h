// CheckpointIntoImage(): the runc checkpoint Tardis runs in place of containerd's.
//
// The image goes to Tardis's staging directory instead of containerd's temporary one.
// --work-path goes, so CRIU's dump.log lands in the image (it is part of what makes an
// image valid). --leave-running is Tardis's decision, not the caller's: with it the
// container stays, frozen, until Tardis has published its image, and only then is
// stopped (a final checkpoint) or thawed (a periodic one), so that a checkpoint that
// fails or dies never leaves a stopped container whose image is older
// (lifecycle/checkpoint.h). Every other option (--file-locks, --tcp-established, ...) and
// every global option stays as containerd wrote it.
//
// CallersImagePath(): where plain runc would have put the CRIU files of the caller's own
// checkpoint, for when Tardis hands CRIU's dump back to the caller (see checkpoint.h).
#ifndef TARDIS_RUNC_CHECKPOINT_ARGV_H_
#define TARDIS_RUNC_CHECKPOINT_ARGV_H_

#include <string>

#include "tardis/runc/grammar.h"
#include "tardis/runc/invocation.h"

namespace tardis::runc {

enum class LeaveRunning { kNo, kYes };

inline Invocation CheckpointIntoImage(Invocation checkpoint, const std::string& image_path,
                                      LeaveRunning leave_running = LeaveRunning::kYes) {
  checkpoint.Remove("image-path");
  checkpoint.Remove("work-path");
  checkpoint.Remove("leave-running");
  checkpoint.options.push_back(MakeOption(*FindOption(kCheckpointOptions, "image-path"), image_path));
  if (leave_running == LeaveRunning::kYes) {
    checkpoint.options.push_back(MakeOption(*FindOption(kCheckpointOptions, "leave-running")));
  }
  return checkpoint;
}

// The caller's --image-path, relative ones taken from `cwd`; without one, runc's default,
// "checkpoint" in the working directory.
inline std::string CallersImagePath(const Invocation& checkpoint, const std::string& cwd) {
  const Option* given = checkpoint.Find("image-path");
  const std::string path = given != nullptr && !given->value.empty() ? given->value : "checkpoint";
  if (path.front() == '/') return path;
  return cwd.empty() || cwd.back() == '/' ? cwd + path : cwd + "/" + path;
}

}  // namespace tardis::runc

#endif  // TARDIS_RUNC_CHECKPOINT_ARGV_H_
