// CurlHttpClient against a one-connection server in the test itself, on 127.0.0.1: what
// goes out (method, headers, body), what comes back (status, headers, body), and every
// way of not getting an answer (refused, silent past the timeout, cut short, too long,
// cancelled), each a distinct error. A proxy in the environment is never used.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "tardis/watch/curl_http.h"

namespace tardis::watch {
namespace {

// Accepts one connection, reads one request, then writes `answer` (after `delay`) and
// closes. The request as received is kept.
class OneShotServer {
 public:
  explicit OneShotServer(std::string answer, std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : answer_(std::move(answer)), delay_(delay) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    EXPECT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotServer() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }

  std::string Url(const std::string& path) const { return absl::StrCat("http://127.0.0.1:", port_, path); }
  const std::string& received() const { return received_; }

 private:
  void Serve() {
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return;
    char buffer[4096];
    size_t body_wanted = std::string::npos;
    while (true) {
      const ssize_t n = ::read(connection, buffer, sizeof buffer);
      if (n <= 0) break;
      received_.append(buffer, static_cast<size_t>(n));
      const size_t end = received_.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      if (body_wanted == std::string::npos) {
        body_wanted = 0;
        const size_t at = received_.find("Content-Length: ");
        if (at != std::string::npos && at < end) {
          (void)absl::SimpleAtoi(received_.substr(at + 16, received_.find("\r\n", at) - at - 16), &body_wanted);
        }
      }
      if (received_.size() >= end + 4 + body_wanted) break;
    }
    std::this_thread::sleep_for(delay_);
    // The client may be gone (it timed out): no SIGPIPE for that.
    (void)!::send(connection, answer_.data(), answer_.size(), MSG_NOSIGNAL);
    ::close(connection);
  }

  std::string answer_;
  std::chrono::milliseconds delay_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string received_;
};

HttpRequest Get(const std::string& url, int64_t total_timeout_ms = 2000) {
  HttpRequest request;
  request.url = url;
  request.total_timeout_ms = total_timeout_ms;
  return request;
}

TEST(CurlHttp, ReadsStatusHeadersAndBody) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nMetadata-Flavor: Google\r\nETag: abc1\r\nContent-Length: 4\r\nConnection: close\r\n\r\nTRUE");
  CurlHttpClient http;
  HttpRequest request = Get(server.Url("/computeMetadata/v1/instance/preempted"));
  request.headers = {{"Metadata-Flavor", "Google"}};
  absl::StatusOr<HttpResponse> answer = http.Do(request);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "TRUE");
  EXPECT_EQ(answer->Header("metadata-flavor"), "Google");
  EXPECT_EQ(answer->Header("ETag"), "abc1");
  EXPECT_TRUE(absl::StartsWith(server.received(), "GET /computeMetadata/v1/instance/preempted HTTP/1.1\r\n"));
  EXPECT_TRUE(absl::StrContains(server.received(), "\r\nMetadata-Flavor: Google\r\n"));
}

TEST(CurlHttp, AnyStatusIsAnAnswer) {
  OneShotServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  CurlHttpClient http;
  absl::StatusOr<HttpResponse> answer = http.Do(Get(server.Url("/latest/meta-data/spot/instance-action")));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 404);
}

TEST(CurlHttp, SendsPutAndPostWithTheirBodies) {
  for (const std::string method : {"PUT", "POST"}) {
    OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    CurlHttpClient http;
    HttpRequest request = Get(server.Url("/x"));
    request.method = method;
    request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
    request.body = method == "POST" ? R"({"StartRequests":[]})" : "";
    ASSERT_TRUE(http.Do(request).ok());
    EXPECT_TRUE(absl::StartsWith(server.received(), absl::StrCat(method, " /x HTTP/1.1\r\n"))) << server.received();
    EXPECT_TRUE(absl::EndsWith(server.received(), absl::StrCat("\r\n\r\n", request.body))) << server.received();
    EXPECT_FALSE(absl::StrContains(server.received(), "Expect:")) << "no 100-continue round trip";
  }
}

TEST(CurlHttp, ASilentServerCostsTheTimeoutOnly) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", std::chrono::milliseconds(2000));
  CurlHttpClient http;
  absl::StatusOr<HttpResponse> answer = http.Do(Get(server.Url("/slow"), 300));
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kDeadlineExceeded) << answer.status();
}

// A port bound but not listening: connections to it are refused.
TEST(CurlHttp, RefusedIsUnavailable) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  CurlHttpClient http;
  absl::StatusOr<HttpResponse> answer = http.Do(Get(absl::StrCat("http://127.0.0.1:", ntohs(address.sin_port), "/")));
  ::close(fd);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << answer.status();
}

TEST(CurlHttp, AnAnswerCutShortIsNoAnswer) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"action\": \"term");
  CurlHttpClient http;
  EXPECT_FALSE(http.Do(Get(server.Url("/"))).ok());
}

TEST(CurlHttp, AnswersAreBoundedInSize) {
  OneShotServer server(absl::StrCat("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", std::string(5000, 'x')));
  CurlHttpClient http(nullptr, 1000);
  EXPECT_EQ(http.Do(Get(server.Url("/"))).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(CurlHttp, ACancelEndsAWait) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", std::chrono::milliseconds(2000));
  std::atomic<bool> stop{false};
  CurlHttpClient http([&] { return stop.load(); });
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  absl::StatusOr<HttpResponse> answer = http.Do(Get(server.Url("/long-poll"), 60000));
  stopper.join();
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kCancelled) << answer.status();
}

// A metadata service is link-local: an http_proxy in the watcher's environment (set for
// the node's outbound traffic) must not capture its requests.
TEST(CurlHttp, NeverThroughAProxy) {
  OneShotServer server("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  ::setenv("http_proxy", "http://127.0.0.1:9", 1);
  ::setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
  CurlHttpClient http;
  absl::StatusOr<HttpResponse> answer = http.Do(Get(server.Url("/")));
  ::unsetenv("http_proxy");
  ::unsetenv("HTTP_PROXY");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 204);
}

}  // namespace
}  // namespace tardis::watch
