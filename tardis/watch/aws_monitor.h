// AwsMonitor: spot interruption notices (and, with `rebalance`, rebalance
// recommendations) from AWS's IMDSv2.
//
// Every request carries a session token from `PUT /latest/api/token`; the token is asked
// for `token_ttl_seconds` and renewed once half of that has passed, and fetched afresh
// when the service answers 401 (it expired early, or IMDS restarted). The interruption
// notice wins over a rebalance recommendation when both are there: it has a real
// deadline.
#ifndef TARDIS_WATCH_AWS_MONITOR_H_
#define TARDIS_WATCH_AWS_MONITOR_H_

#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/watch/aws.h"
#include "tardis/watch/http.h"
#include "tardis/watch/monitor.h"

namespace tardis::watch {

class AwsMonitor : public Monitor {
 public:
  explicit AwsMonitor(MonitorOptions options) : options_(std::move(options)) {}

  Cloud cloud() const override { return Cloud::kAws; }
  std::string Describe() const override {
    return absl::StrCat("AWS IMDSv2 at ", options_.endpoint, options_.rebalance ? " (with rebalance recommendations)" : "");
  }

  PollResult Poll(HttpClient& http, int64_t wall_nanos, int64_t monotonic_nanos) override {
    PollResult result;
    absl::StatusOr<HttpResponse> spot = Get(http, "/latest/meta-data/spot/instance-action", monotonic_nanos, &result);
    if (!spot.ok()) {
      result.problems.push_back(std::string(spot.status().message()));
    } else if (spot->status == 200) {
      absl::StatusOr<AwsInstanceAction> action = ParseAwsInstanceAction(spot->body);
      if (!action.ok()) {
        result.problems.push_back(std::string(action.status().message()));
      } else {
        result.notice = AwsSpotNotice(*action);
        return result;
      }
    } else if (spot->status != 404) {
      result.problems.push_back(absl::StrCat("spot/instance-action: answered ", spot->status));
    }
    if (!options_.rebalance || !token_) return result;
    absl::StatusOr<HttpResponse> rebalance =
        Get(http, "/latest/meta-data/events/recommendations/rebalance", monotonic_nanos, &result);
    if (!rebalance.ok()) {
      result.problems.push_back(std::string(rebalance.status().message()));
    } else if (rebalance->status == 200) {
      absl::StatusOr<int64_t> notice_time = ParseAwsRebalance(rebalance->body);
      if (!notice_time.ok()) {
        result.problems.push_back(std::string(notice_time.status().message()));
      } else {
        result.notice = AwsRebalanceNotice(*notice_time, wall_nanos, options_.rebalance_deadline_nanos);
      }
    } else if (rebalance->status != 404) {
      result.problems.push_back(absl::StrCat("events/recommendations/rebalance: answered ", rebalance->status));
    }
    return result;
  }

  // Is this AWS's metadata service? (A token is issued.)
  static bool Probe(HttpClient& http, const MonitorOptions& options) {
    absl::StatusOr<HttpResponse> answer = http.Do(TokenRequest(options));
    return answer.ok() && answer->status == 200 && ParseAwsToken(answer->body).ok();
  }

 private:
  static HttpRequest TokenRequest(const MonitorOptions& options) {
    return MetadataRequest(options, "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds",
                           absl::StrCat(options.token_ttl_seconds));
  }

  absl::Status FetchToken(HttpClient& http, int64_t monotonic_nanos, PollResult* result) {
    absl::StatusOr<HttpResponse> answer = DoExpectingOk(http, TokenRequest(options_));
    if (!answer.ok()) return absl::UnavailableError(absl::StrCat("session token: ", answer.status().message()));
    absl::StatusOr<std::string> token = ParseAwsToken(answer->body);
    if (!token.ok()) return token.status();
    const bool renewed = token_.has_value();
    token_ = *std::move(token);
    renew_at_nanos_ = monotonic_nanos + options_.token_ttl_seconds * 1000000000 / 2;
    result->notes.push_back(renewed ? "IMDSv2 session token renewed" : "IMDSv2 session token obtained");
    return absl::OkStatus();
  }

  // GET `path` with the session token; a 401 fetches a new token and asks once more.
  absl::StatusOr<HttpResponse> Get(HttpClient& http, const std::string& path, int64_t monotonic_nanos,
                                   PollResult* result) {
    if (!token_ || monotonic_nanos >= renew_at_nanos_) {
      if (absl::Status fetched = FetchToken(http, monotonic_nanos, result); !fetched.ok()) {
        // A token that has not expired yet still works; only a missing one stops the poll.
        if (!token_) return fetched;
        result->problems.push_back(std::string(fetched.message()));
      }
    }
    for (int attempt = 0;; ++attempt) {
      const HttpRequest request = MetadataRequest(options_, "GET", path, "X-aws-ec2-metadata-token", *token_);
      absl::StatusOr<HttpResponse> answer = http.Do(request);
      if (!answer.ok() || answer->status != 401 || attempt > 0) return answer;
      result->notes.push_back(absl::StrCat(DescribeRequest(request), " answered 401: fetching a new session token"));
      token_.reset();
      if (absl::Status fetched = FetchToken(http, monotonic_nanos, result); !fetched.ok()) return fetched;
    }
  }

  MonitorOptions options_;
  std::optional<std::string> token_;
  int64_t renew_at_nanos_ = 0;
};

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_AWS_MONITOR_H_
