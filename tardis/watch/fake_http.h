// A scripted HttpClient for tests: each request must be the next one the script expects
// (method and URL), and gets the scripted answer; what was sent is kept for checks.
#ifndef TARDIS_WATCH_FAKE_HTTP_H_
#define TARDIS_WATCH_FAKE_HTTP_H_

#include <deque>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/watch/http.h"

namespace tardis::watch {

inline HttpResponse Answer(int status, std::string body = "",
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

class FakeHttp : public HttpClient {
 public:
  struct Exchange {
    std::string expect;  // "GET http://..."
    absl::StatusOr<HttpResponse> answer;
  };

  void Expect(std::string request, absl::StatusOr<HttpResponse> answer) {
    script_.push_back({std::move(request), std::move(answer)});
  }

  absl::StatusOr<HttpResponse> Do(const HttpRequest& request) override {
    sent_.push_back(request);
    const std::string described = DescribeRequest(request);
    if (script_.empty()) {
      ADD_FAILURE() << "unexpected request: " << described;
      return absl::UnavailableError("no more answers scripted");
    }
    Exchange next = std::move(script_.front());
    script_.pop_front();
    EXPECT_EQ(described, next.expect);
    return next.answer;
  }

  bool done() const { return script_.empty(); }
  const std::vector<HttpRequest>& sent() const { return sent_; }

  static std::string HeaderOf(const HttpRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers) {
      if (key == name) return value;
    }
    return "(none)";
  }

 private:
  std::deque<Exchange> script_;
  std::vector<HttpRequest> sent_;
};

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_FAKE_HTTP_H_
