// A small libcurl wrapper for the Hub protocol: one request per call (redirects followed by us, the
// Authorization header only sent to the original host), retries with the Hub client's backoff, and the
// URL policy (https always with TLS verification; plain http only to loopback hosts).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace hezar::hub {

// A transport failure (connection refused or reset, timeout, body cut short): retryable.
class NetworkError : public RuntimeFailure {
 public:
  explicit NetworkError(const std::string& message) : RuntimeFailure(message) {}
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // empty when streamed to on_body (except for errors)
  std::string url;                             // the URL that answered (after redirects we followed)
  std::string header(const std::string& lower_name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string token;            // sent as "authorization: Bearer ..." to the original host only
  int max_redirects = 0;        // 3xx followed by us (relative and absolute), up to this many
  bool relative_redirects_only = false;
  long timeout_s = 10;          // connect timeout and the longest stall while reading
  // Streams a 2xx body instead of buffering it; return false to abort the transfer.
  std::function<bool(const char* data, size_t size)> on_body;
  // Called with the status and headers of the final response before any body bytes.
  std::function<void(const HttpResponse& head)> on_head;
};

// One request (plus the redirects it is allowed to follow). Throws NetworkError on transport errors
// and BadInput for URLs the policy refuses; HTTP error statuses are returned, not thrown.
HttpResponse http_send(const HttpRequest& request);

struct RetryPolicy {
  int max_retries = 5;
  std::vector<long> statuses = {408, 429, 500, 502, 503, 504};
  bool retry_network_errors = true;
};

// http_send with the Hub's backoff: sleeps 1, 2, 4, 8, 8 s, or RateLimit's reset + 1 s for a 429 with
// r=0, or Retry-After + 1 s. Returns the last response (possibly still an error status).
HttpResponse http_send_retry(const HttpRequest& request, const RetryPolicy& policy = {});

// Seconds to wait before retry number `attempt` (0-based) after `response`.
double retry_wait_seconds(const HttpResponse& response, int attempt);

// Refuses anything but https://, and http:// to 127.0.0.0/8, ::1 or localhost.
void check_url_allowed(const std::string& url);

// scheme://host[:port] of a URL.
std::string url_origin(const std::string& url);

// Percent-encoding as Python's quote(): `safe` characters and [A-Za-z0-9_.~-] are kept.
std::string url_quote(const std::string& text, const std::string& safe = "/");
std::string url_unquote(const std::string& text);

// The user agent sent on every request.
std::string user_agent();

}  // namespace hezar::hub
