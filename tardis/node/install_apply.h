// The one loop that applies an install plan, and the one that undoes it: install runs the
// steps in order and, when one fails, undoes what was done in reverse; uninstall undoes
// the steps the install record names the same way.
//
// Generic over the step, so that its failure branches are tested with scripted steps
// (install_apply_test.cc); install.h runs it with install_step_actions.h.
#ifndef TARDIS_NODE_INSTALL_APPLY_H_
#define TARDIS_NODE_INSTALL_APPLY_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

namespace tardis::node {

// The order in which the first `count` steps are undone: the reverse of the order they
// were done in, except that steps whose undo is a reload (`undone_last`) come after all
// the others, in the order they were done in: a reload loads what the other undos put
// back.
inline std::vector<size_t> UndoOrder(const std::vector<bool>& undone_last, size_t count) {
  std::vector<size_t> order;
  for (size_t i = count; i-- > 0;) {
    if (!undone_last[i]) order.push_back(i);
  }
  for (size_t i = 0; i < count; ++i) {
    if (undone_last[i]) order.push_back(i);
  }
  return order;
}

template <typename Step>
struct StepCalls {
  std::function<absl::Status(const Step&)> run;
  std::function<void(const Step&)> undo;
  std::function<bool(const Step&)> undone_last;
};

template <typename Step>
void UndoSteps(const std::vector<Step>& steps, size_t count, const StepCalls<Step>& calls) {
  std::vector<bool> last;
  for (const Step& step : steps) last.push_back(calls.undone_last(step));
  for (size_t i : UndoOrder(last, count)) calls.undo(steps[i]);
}

inline std::string InstallFailedMessage(const absl::Status& status) {
  return absl::StrCat("install failed: ", status.message(), "; undoing what it did");
}

// Runs the steps in order. When one fails, says so and undoes it and every step before
// it (the failed one first: it may have changed something before it failed; each step
// journals before it acts, so its undo knows what), then returns its failure.
template <typename Step>
absl::Status ApplySteps(const std::vector<Step>& steps, const StepCalls<Step>& calls,
                        const std::function<void(const std::string&)>& say) {
  for (size_t i = 0; i < steps.size(); ++i) {
    absl::Status done = calls.run(steps[i]);
    if (done.ok()) continue;
    say(InstallFailedMessage(done));
    UndoSteps(steps, i + 1, calls);
    return done;
  }
  return absl::OkStatus();
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_INSTALL_APPLY_H_
