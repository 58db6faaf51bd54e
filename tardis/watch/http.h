// The watcher's one way to a metadata service: a request in; a status, headers and a body
// out, or an error when no answer came (refused, timed out, cut short). Behind an
// interface so that every branch of the monitors and the watch loop is tested with a
// scripted fake (the real client is curl_http.h).
//
// Every request carries its own connect and total timeouts: a metadata service that hangs
// must cost one poll, never the watcher.
#ifndef TARDIS_WATCH_HTTP_H_
#define TARDIS_WATCH_HTTP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

namespace tardis::watch {

struct HttpRequest {
  std::string method = "GET";  // GET, PUT, POST
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent for PUT and POST
  int64_t connect_timeout_ms = 1000;
  int64_t total_timeout_ms = 2000;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;

  // The last header of that name (names compare case-insensitively).
  std::optional<absl::string_view> Header(absl::string_view name) const {
    std::optional<absl::string_view> found;
    for (const auto& [key, value] : headers) {
      if (absl::EqualsIgnoreCase(key, name)) found = value;
    }
    return found;
  }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // An error when there is no complete answer; any answer (404 and 500 included) is OK.
  virtual absl::StatusOr<HttpResponse> Do(const HttpRequest& request) = 0;
};

// "GET http://169.254.169.254/latest/api/token", for logs.
inline std::string DescribeRequest(const HttpRequest& request) { return absl::StrCat(request.method, " ", request.url); }

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_HTTP_H_
