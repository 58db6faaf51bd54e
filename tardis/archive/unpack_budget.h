// UnpackBudget: how much a restore may write into a container's upperdir. An image comes
// from storage that others can write, so its size is the attacker's choice: an archive
// of a million entries takes a restore tens of seconds, and one sparse entry of 10 GiB
// of zeros costs its writer almost nothing on the store and fills the node's disk. The
// unpacker charges every entry against the budget before writing it, and an image over
// budget is refused (its restore falls back to a fresh create, as for any bad image).
//
// The bytes are bounded by the host's restore_max_bytes and by nine tenths of what the
// upperdir's filesystem has free: the node's other containers live there too.
#ifndef TARDIS_ARCHIVE_UNPACK_BUDGET_H_
#define TARDIS_ARCHIVE_UNPACK_BUDGET_H_

#include <algorithm>
#include <cstdint>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

namespace tardis::archive {

struct UnpackBudget {
  uint64_t max_bytes = UINT64_MAX;    // regular files' contents, as the entries declare them
  uint64_t max_entries = UINT64_MAX;  // archive entries of any kind

  // No limit: for tests and tools that unpack what they packed themselves.
  static UnpackBudget Unlimited() { return {}; }
};

inline UnpackBudget DecideUnpackBudget(uint64_t host_max_bytes, uint64_t host_max_entries,
                                       uint64_t filesystem_free_bytes) {
  return {std::min(host_max_bytes, filesystem_free_bytes / 10 * 9), host_max_entries};
}

// Charges entries against a budget, one at a time, before each is written.
class BudgetMeter {
 public:
  explicit BudgetMeter(UnpackBudget budget) : budget_(budget) {}

  absl::Status Charge(uint64_t declared_bytes) {
    if (++entries_ > budget_.max_entries) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the image has more than ", budget_.max_entries, " entries (restore_max_entries)"));
    }
    if (declared_bytes > budget_.max_bytes - bytes_) {
      return absl::ResourceExhaustedError(absl::StrCat("the image holds more than ", budget_.max_bytes,
                                                       " bytes of files (restore_max_bytes, or 90% of the "
                                                       "upperdir's free space)"));
    }
    bytes_ += declared_bytes;
    return absl::OkStatus();
  }

 private:
  UnpackBudget budget_;
  uint64_t entries_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace tardis::archive

#endif  // TARDIS_ARCHIVE_UNPACK_BUDGET_H_
