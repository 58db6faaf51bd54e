// The monitors against scripted metadata services: for each cloud, what is asked (method,
// URL, the headers that matter) and what each sequence of answers makes of a poll. A row
// is one poll; a case is a monitor's life over several polls (tokens and ETags carry).
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_join.h>
#include <gtest/gtest.h>

#include "tardis/watch/aws_monitor.h"
#include "tardis/watch/azure_monitor.h"
#include "tardis/watch/detect.h"
#include "tardis/watch/fake_http.h"
#include "tardis/watch/gcp_monitor.h"

namespace tardis::watch {
namespace {

constexpr char kE[] = "http://md";
constexpr int64_t kSecond = 1000000000;
// 2026-12-03T17:00:00Z
constexpr int64_t kNow = 1796317200LL * kSecond;

const std::vector<std::pair<std::string, std::string>> kGoogle = {{"Metadata-Flavor", "Google"}, {"ETag", "abc1"}};
const char kSpotNotice[] = R"({"action": "terminate", "time": "2026-12-03T17:02:00Z"})";
const char kAzureEvents[] =
    R"({"DocumentIncarnation": 2, "Events": [{"EventId": "f020ba2e-3bc0", "EventType": "Preempt",)"
    R"( "ResourceType": "VirtualMachine", "Resources": ["vm1"], "EventStatus": "Scheduled",)"
    R"( "NotBefore": "Thu, 03 Dec 2026 17:00:30 GMT"}]})";

struct Exchange {
  std::string request;  // "GET http://md/..."
  absl::StatusOr<HttpResponse> answer;
};

struct Poll {
  std::vector<Exchange> exchanges;
  std::string want_notice_key;  // "" for none
  std::vector<std::string> want_problems;
  int64_t monotonic_nanos = 0;
};

struct MonitorCase {
  std::string name;
  Cloud cloud;
  bool rebalance;
  std::vector<Poll> polls;
};

absl::Status Down() { return absl::UnavailableError("connection refused"); }

std::string Token() { return absl::StrCat("PUT ", kE, "/latest/api/token"); }
std::string Spot() { return absl::StrCat("GET ", kE, "/latest/meta-data/spot/instance-action"); }
std::string Rebalance() { return absl::StrCat("GET ", kE, "/latest/meta-data/events/recommendations/rebalance"); }
std::string Preempted(const std::string& query = "") {
  return absl::StrCat("GET ", kE, kGcpPreemptedPath, query);
}
std::string Events(const std::string& method = "GET") { return absl::StrCat(method, " ", kE, kAzureEventsPath); }
std::string Name() { return absl::StrCat("GET ", kE, kAzureNamePath); }

const std::vector<MonitorCase>& Cases() {
  static const auto* cases = new std::vector<MonitorCase>{
      {"aws: quiet, then a notice",
       Cloud::kAws,
       false,
       {{{{Token(), Answer(200, "tok1")}, {Spot(), Answer(404)}}, "", {}},
        {{{Spot(), Answer(200, kSpotNotice)}}, "aws:spot:2026-12-03T17:02:00Z:terminate", {}}}},
      {"aws: the token is renewed after half its life",
       Cloud::kAws,
       false,
       {{{{Token(), Answer(200, "tok1")}, {Spot(), Answer(404)}}, "", {}},
        {{{Spot(), Answer(404)}}, "", {}, 10799 * kSecond},
        {{{Token(), Answer(200, "tok2")}, {Spot(), Answer(404)}}, "", {}, 10800 * kSecond}}},
      {"aws: a 401 fetches a new token and asks once more",
       Cloud::kAws,
       false,
       {{{{Token(), Answer(200, "tok1")}, {Spot(), Answer(401)}, {Token(), Answer(200, "tok2")}, {Spot(), Answer(404)}},
         "",
         {}}}},
      {"aws: a second 401 is a problem, not a loop",
       Cloud::kAws,
       false,
       {{{{Token(), Answer(200, "tok1")}, {Spot(), Answer(401)}, {Token(), Answer(200, "tok2")}, {Spot(), Answer(401)}},
         "",
         {"spot/instance-action: answered 401"}}}},
      {"aws: no token, no question",
       Cloud::kAws,
       false,
       {{{{Token(), Down()}}, "", {"session token: connection refused"}},
        {{{Token(), Answer(403, "forbidden")}}, "", {"session token: PUT http://md/latest/api/token answered 403"}},
        {{{Token(), Answer(200, "bad token\n")}}, "", {"api/token: token has characters a header cannot carry"}}}},
      {"aws: a failed renewal keeps the old token",
       Cloud::kAws,
       false,
       {{{{Token(), Answer(200, "tok1")}, {Spot(), Answer(404)}}, "", {}},
        {{{Token(), Down()}, {Spot(), Answer(404)}}, "", {"session token: connection refused"}, 10800 * kSecond}}},
      {"aws: bad answers are problems",
       Cloud::kAws,
       false,
       {{{{Token(), Answer(200, "tok1")}, {Spot(), Answer(500, "oops")}}, "", {"spot/instance-action: answered 500"}},
        {{{Spot(), Answer(200, "<html>captive portal</html>")}}, "", {"spot/instance-action: not JSON"}},
        {{{Spot(), Answer(200, R"({"action": "terminate", "time": "2026-12-03T17:0)")}},
         "",
         {"spot/instance-action: not JSON"}},
        {{{Spot(), Answer(200, R"({"action": "reboot", "time": "2026-12-03T17:02:00Z"})")}},
         "",
         {"spot/instance-action: unknown action `reboot`"}},
        {{{Spot(), absl::DeadlineExceededError("no complete answer within 2000 ms")}},
         "",
         {"no complete answer within 2000 ms"}}}},
      {"aws: rebalance recommendations, when asked for; the interruption wins",
       Cloud::kAws,
       true,
       {{{{Token(), Answer(200, "tok1")}, {Spot(), Answer(404)}, {Rebalance(), Answer(404)}}, "", {}},
        {{{Spot(), Answer(404)}, {Rebalance(), Answer(200, R"({"noticeTime": "2026-12-03T16:59:00Z"})")}},
         "aws:rebalance:2026-12-03T16:59:00Z",
         {}},
        {{{Spot(), Answer(200, kSpotNotice)}}, "aws:spot:2026-12-03T17:02:00Z:terminate", {}}}},
      {"gcp: a plain question first, then long polls from its ETag",
       Cloud::kGcp,
       false,
       {{{{Preempted(), Answer(200, "FALSE", kGoogle)}}, "", {}},
        {{{Preempted("?wait_for_change=true&timeout_sec=60&last_etag=abc1"), Answer(200, "TRUE", kGoogle)}},
         "gcp:preempted:boot-1",
         {}}}},
      {"gcp: preempted before the watcher started",
       Cloud::kGcp,
       false,
       {{{{Preempted(), Answer(200, "TRUE\n", kGoogle)}}, "gcp:preempted:boot-1", {}}}},
      {"gcp: what is not Google's answer is a problem",
       Cloud::kGcp,
       false,
       {{{{Preempted(), Answer(200, "TRUE")}}, "", {"instance/preempted: no Metadata-Flavor header in the answer"}},
        {{{Preempted(), Answer(200, "TRUE", {{"Metadata-Flavor", "Proxy"}})}},
         "",
         {"instance/preempted: Metadata-Flavor is `Proxy`, not Google"}},
        {{{Preempted(), Answer(503, "", kGoogle)}},
         "",
         {"GET http://md/computeMetadata/v1/instance/preempted answered 503"}},
        {{{Preempted(), Answer(200, "MAYBE", kGoogle)}},
         "",
         {"instance/preempted: `MAYBE` is neither TRUE nor FALSE"}},
        {{{Preempted(), Down()}}, "", {"connection refused"}}}},
      {"gcp: an ETag unfit for a URL means plain questions",
       Cloud::kGcp,
       false,
       {{{{Preempted(), Answer(200, "FALSE", {{"Metadata-Flavor", "Google"}, {"ETag", "a&b=c"}})}}, "", {}},
        {{{Preempted(), Answer(200, "FALSE", kGoogle)}}, "", {}}}},
      {"azure: the VM's name, then its Preempt event",
       Cloud::kAzure,
       false,
       {{{{Name(), Answer(200, "vm1\n")}, {Events(), Answer(200, R"({"DocumentIncarnation": 1, "Events": []})")}}, "", {}},
        {{{Events(), Answer(200, kAzureEvents)}}, "azure:f020ba2e-3bc0", {}}}},
      {"azure: another VM's event is not this node's notice",
       Cloud::kAzure,
       false,
       {{{{Name(), Answer(200, "vm2")}, {Events(), Answer(200, kAzureEvents)}}, "", {}}}},
      {"azure: without the VM's name no event is read",
       Cloud::kAzure,
       false,
       {{{{Name(), Down()}}, "", {"this VM's name: connection refused"}},
        {{{Name(), Answer(404)}},
         "",
         {"this VM's name: GET http://md/metadata/instance/compute/name?api-version=2021-02-01&format=text answered 404"}},
        {{{Name(), Answer(200, "vm1")}, {Events(), Answer(200, "{\"DocumentIncarnation\": 1, \"Ev")}},
         "",
         {"scheduledevents: not JSON"}},
        {{{Events(), Answer(500)}},
         "",
         {"GET http://md/metadata/scheduledevents?api-version=2020-07-01 answered 500"}}}},
  };
  return *cases;
}

MonitorOptions AtTestEndpoint() {
  MonitorOptions options;
  options.endpoint = kE;
  return options;
}

std::unique_ptr<Monitor> Make(const MonitorCase& c) {
  MonitorOptions options;
  options.endpoint = kE;
  options.rebalance = c.rebalance;
  options.boot_id = "boot-1";
  return MakeMonitor(c.cloud, options);
}

TEST(Monitors, Table) {
  for (const MonitorCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    std::unique_ptr<Monitor> monitor = Make(c);
    FakeHttp http;
    for (size_t p = 0; p < c.polls.size(); ++p) {
      SCOPED_TRACE(absl::StrCat("poll ", p));
      const Poll& poll = c.polls[p];
      for (const Exchange& exchange : poll.exchanges) http.Expect(exchange.request, exchange.answer);
      const PollResult result = monitor->Poll(http, kNow, poll.monotonic_nanos);
      EXPECT_TRUE(http.done()) << "requests scripted but not made";
      EXPECT_EQ(result.notice ? result.notice->key : "", poll.want_notice_key);
      EXPECT_EQ(absl::StrJoin(result.problems, " | "), absl::StrJoin(poll.want_problems, " | "));
    }
  }
}

// What goes on the wire besides method and URL: AWS's token headers, GCP's and Azure's
// flavor headers, the long poll's longer timeout, Azure's acknowledgement.
TEST(Monitors, AwsSendsTheTokenItGot) {
  AwsMonitor monitor(AtTestEndpoint());
  FakeHttp http;
  http.Expect(Token(), Answer(200, "tok1"));
  http.Expect(Spot(), Answer(404));
  monitor.Poll(http, kNow, 0);
  ASSERT_EQ(http.sent().size(), 2u);
  EXPECT_EQ(FakeHttp::HeaderOf(http.sent()[0], "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(FakeHttp::HeaderOf(http.sent()[1], "X-aws-ec2-metadata-token"), "tok1");
}

TEST(Monitors, GcpLongPollWaitsLongerThanAQuestion) {
  GcpMonitor monitor(AtTestEndpoint());
  FakeHttp http;
  http.Expect(Preempted(), Answer(200, "FALSE", kGoogle));
  http.Expect(Preempted("?wait_for_change=true&timeout_sec=60&last_etag=abc1"), Answer(200, "FALSE", kGoogle));
  EXPECT_FALSE(monitor.WaitsForChange()) << "the first question is a plain one";
  monitor.Poll(http, kNow, 0);
  EXPECT_TRUE(monitor.WaitsForChange());
  monitor.Poll(http, kNow, 0);
  ASSERT_EQ(http.sent().size(), 2u);
  EXPECT_EQ(FakeHttp::HeaderOf(http.sent()[0], "Metadata-Flavor"), "Google");
  EXPECT_EQ(http.sent()[0].total_timeout_ms, 2000);
  EXPECT_EQ(http.sent()[1].total_timeout_ms, 62000);
}

TEST(Monitors, AzureAcknowledgesTheEventItActedOn) {
  AzureMonitor monitor(AtTestEndpoint());
  FakeHttp http;
  http.Expect(Name(), Answer(200, "vm1"));
  http.Expect(Events(), Answer(200, kAzureEvents));
  const PollResult result = monitor.Poll(http, kNow, 0);
  ASSERT_TRUE(result.notice);
  EXPECT_EQ(result.notice->deadline_unix_nanos, kNow + 30 * kSecond);
  EXPECT_EQ(http.sent()[1].total_timeout_ms, kAzureFirstAnswerMs) << "the first question may wake the service up";
  EXPECT_EQ(FakeHttp::HeaderOf(http.sent()[1], "Metadata"), "true");

  http.Expect(Events("POST"), Answer(200));
  EXPECT_TRUE(monitor.Acknowledge(http, *result.notice).ok());
  EXPECT_EQ(http.sent().back().body, R"({"StartRequests":[{"EventId":"f020ba2e-3bc0"}]})");
  http.Expect(Events("POST"), Answer(400));
  EXPECT_FALSE(monitor.Acknowledge(http, *result.notice).ok());
}

TEST(Monitors, DetectAsksEachCloudInTurn) {
  const MonitorOptions probe = AtTestEndpoint();
  {
    FakeHttp http;
    http.Expect(Token(), Answer(200, "tok"));
    EXPECT_EQ(DetectCloud(http, probe), Cloud::kAws);
  }
  {
    FakeHttp http;
    http.Expect(Token(), Answer(404));
    http.Expect(Preempted(), Answer(200, "FALSE", kGoogle));
    EXPECT_EQ(DetectCloud(http, probe), Cloud::kGcp);
  }
  {
    FakeHttp http;
    http.Expect(Token(), Down());
    http.Expect(Preempted(), Answer(200, "FALSE"));  // not Google's: no flavor
    http.Expect(Name(), Answer(200, "vm1"));
    EXPECT_EQ(DetectCloud(http, probe), Cloud::kAzure);
  }
  {
    FakeHttp http;
    http.Expect(Token(), Down());
    http.Expect(Preempted(), Down());
    http.Expect(Name(), Down());
    EXPECT_EQ(DetectCloud(http, probe), std::nullopt);
  }
}

}  // namespace
}  // namespace tardis::watch
