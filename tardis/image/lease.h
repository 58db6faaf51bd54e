// DecideClaim(): whether a container may use a checkpoint identity's image now.
//
// One live container per identity: two containers restoring from, or checkpointing into,
// one image at once (a Job whose pods share a copied id; a node presumed lost that still
// runs) would each overwrite the other's progress. So the image carries a lease,
// `<parent>/.<name>.lease`, naming its holder (node, namespace, container id) and when the
// holder last refreshed it. A holder's node refreshes it (tardis-listen) while the
// container lives and releases it at delete; a node that dies stops refreshing, and once
// the lease is older than the staleness bound anyone may take it over. The bound must be
// well above the nodes' clock skew (their clocks are compared) and above the refresh
// period.
//
// The lease lives on storage that anyone able to write checkpoints can write, so its text
// is parsed defensively; a lease that cannot be read, or claims a time far in the future,
// protects nobody and is treated as stale.
#ifndef TARDIS_IMAGE_LEASE_H_
#define TARDIS_IMAGE_LEASE_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

namespace tardis {

inline constexpr size_t kMaxLeaseBytes = 4096;

struct LeaseHolder {
  std::string node;  // the node's name (lease_store.h: host name and state dir)
  std::string ns;
  std::string container_id;

  bool operator==(const LeaseHolder&) const = default;
};

struct Lease {
  LeaseHolder holder;
  int64_t refreshed_unix_nanos = 0;

  bool operator==(const Lease&) const = default;
};

inline std::string SerializeLease(const Lease& lease) {
  return nlohmann::json{{"node", lease.holder.node},
                        {"namespace", lease.holder.ns},
                        {"container_id", lease.holder.container_id},
                        {"refreshed_unix_nanos", lease.refreshed_unix_nanos}}
             .dump() +
         "\n";
}

inline absl::StatusOr<Lease> ParseLease(absl::string_view text) {
  if (text.size() > kMaxLeaseBytes) return absl::DataLossError("lease is too large");
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return absl::DataLossError("lease is not a JSON object");
  const auto string_field = [&](const char* key, std::string* out) {
    const auto it = json.find(key);
    if (it == json.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) return false;
    *out = it->get<std::string>();
    return true;
  };
  Lease lease;
  const auto refreshed = json.find("refreshed_unix_nanos");
  if (!string_field("node", &lease.holder.node) || !string_field("namespace", &lease.holder.ns) ||
      !string_field("container_id", &lease.holder.container_id) || refreshed == json.end() ||
      !refreshed->is_number_integer()) {
    return absl::DataLossError("lease is missing fields");
  }
  lease.refreshed_unix_nanos = refreshed->get<int64_t>();
  return lease;
}

inline std::string DescribeHolder(const LeaseHolder& holder) {
  return absl::StrCat(holder.ns, "/", holder.container_id, " on ", holder.node);
}

enum class ClaimVerdict {
  kTake,           // nobody holds it
  kOurs,           // this very container holds it already: refresh
  kTakeOver,       // someone held it but stopped refreshing (or it is unreadable)
  kHeldByOther,    // someone else holds it: leave the container alone
};

struct ClaimDecision {
  ClaimVerdict verdict = ClaimVerdict::kHeldByOther;
  std::string why;  // for the log

  bool operator==(const ClaimDecision&) const = default;
};

// `existing`: nullopt when there is no lease file; otherwise its parse.
inline ClaimDecision DecideClaim(const std::optional<absl::StatusOr<Lease>>& existing, const LeaseHolder& me,
                                 int64_t now_unix_nanos, int64_t stale_nanos) {
  if (!existing) return {ClaimVerdict::kTake, "no lease"};
  if (!existing->ok()) {
    return {ClaimVerdict::kTakeOver, absl::StrCat("unreadable lease (", existing->status().message(), ")")};
  }
  const Lease& lease = **existing;
  if (lease.holder == me) return {ClaimVerdict::kOurs, "held by this container"};
  const int64_t age = now_unix_nanos - lease.refreshed_unix_nanos;
  const std::string holder = DescribeHolder(lease.holder);
  if (age > stale_nanos) {
    return {ClaimVerdict::kTakeOver, absl::StrCat("stale lease of ", holder, ", last refreshed ", age / 1000000,
                                                  " ms ago (stale after ", stale_nanos / 1000000, " ms)")};
  }
  if (-age > stale_nanos) {
    return {ClaimVerdict::kTakeOver, absl::StrCat("lease of ", holder, " dated ", -age / 1000000,
                                                  " ms in the future: not believable")};
  }
  return {ClaimVerdict::kHeldByOther, absl::StrCat("held by ", holder, ", refreshed ", std::max<int64_t>(age, 0) / 1000000,
                                                   " ms ago (stale after ", stale_nanos / 1000000, " ms)")};
}

}  // namespace tardis

#endif  // TARDIS_IMAGE_LEASE_H_
