// CurlHttpClient: HttpClient (http.h) over libcurl. Thin on purpose: one easy handle per
// request, the request's connect and total timeouts, no proxy (a metadata service is
// link-local; an http_proxy in the environment must not capture it), no redirects, http
// and https only, answers bounded in size, and a cancel check between transfer steps so
// that SIGTERM does not wait for a long poll to end.
#ifndef TARDIS_WATCH_CURL_HTTP_H_
#define TARDIS_WATCH_CURL_HTTP_H_

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>

#include "tardis/watch/http.h"

namespace tardis::watch {

class CurlHttpClient : public HttpClient {
 public:
  // `cancelled`: polled while a transfer runs; true aborts it.
  explicit CurlHttpClient(std::function<bool()> cancelled = nullptr, size_t max_body_bytes = 1 << 20)
      : cancelled_(std::move(cancelled)), max_body_bytes_(max_body_bytes) {
    static const CURLcode global = ::curl_global_init(CURL_GLOBAL_DEFAULT);
    (void)global;
  }

  absl::StatusOr<HttpResponse> Do(const HttpRequest& request) override {
    std::unique_ptr<CURL, decltype(&::curl_easy_cleanup)> curl(::curl_easy_init(), &::curl_easy_cleanup);
    if (!curl) return absl::InternalError("curl_easy_init failed");
    struct curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) headers = ::curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
    // curl would otherwise send `Expect: 100-continue` with bodies and wait for it.
    headers = ::curl_slist_append(headers, "Expect:");
    std::unique_ptr<struct curl_slist, decltype(&::curl_slist_free_all)> header_list(headers, &::curl_slist_free_all);

    Transfer transfer{this, {}, false};
    CURL* c = curl.get();
    ::curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    ::curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    ::curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    ::curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    ::curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    ::curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout_ms));
    ::curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout_ms));
    ::curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());
    if (request.method == "GET") {
      ::curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
      ::curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
      ::curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
      if (request.method != "POST") ::curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    ::curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &CurlHttpClient::OnBody);
    ::curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
    ::curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &CurlHttpClient::OnHeader);
    ::curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
    ::curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    ::curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &CurlHttpClient::OnProgress);
    ::curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);

    const CURLcode code = ::curl_easy_perform(c);
    const std::string what = DescribeRequest(request);
    if (code == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(absl::StrCat(what, ": no complete answer within ", request.total_timeout_ms,
                                                      " ms (connect timeout ", request.connect_timeout_ms, " ms)"));
    }
    if (code == CURLE_WRITE_ERROR && transfer.too_long) {
      return absl::ResourceExhaustedError(absl::StrCat(what, ": answer longer than ", max_body_bytes_, " bytes"));
    }
    if (code == CURLE_ABORTED_BY_CALLBACK) return absl::CancelledError(absl::StrCat(what, ": cancelled"));
    if (code != CURLE_OK) return absl::UnavailableError(absl::StrCat(what, ": ", ::curl_easy_strerror(code)));
    long status = 0;
    ::curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    transfer.response.status = static_cast<int>(status);
    return std::move(transfer.response);
  }

 private:
  struct Transfer {
    CurlHttpClient* client;
    HttpResponse response;
    bool too_long;
  };

  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
    Transfer* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    if (transfer->response.body.size() + bytes > transfer->client->max_body_bytes_) {
      transfer->too_long = true;
      return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
    }
    transfer->response.body.append(data, bytes);
    return bytes;
  }

  // Called once per header line, the status line and the final blank line included. A
  // new status line (after a 100 Continue, say) starts the headers afresh.
  static size_t OnHeader(char* data, size_t size, size_t count, void* user) {
    Transfer* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    const absl::string_view line = absl::StripTrailingAsciiWhitespace(absl::string_view(data, bytes));
    if (absl::StartsWith(line, "HTTP/")) {
      transfer->response.headers.clear();
    } else if (const size_t colon = line.find(':'); colon != absl::string_view::npos &&
                                                    transfer->response.headers.size() < 256) {
      transfer->response.headers.emplace_back(std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
                                              std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
    }
    return bytes;
  }

  static int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const Transfer* transfer = static_cast<const Transfer*>(user);
    return transfer->client->cancelled_ && transfer->client->cancelled_() ? 1 : 0;
  }

  std::function<bool()> cancelled_;
  size_t max_body_bytes_;
};

}  // namespace tardis::watch

#endif  // TARDIS_WATCH_CURL_HTTP_H_
