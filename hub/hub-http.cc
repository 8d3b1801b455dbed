#include "hub/hub-http.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>

#ifndef HEZAR_VERSION
#define HEZAR_VERSION "0.1.0"
#endif

namespace hezar::hub {

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string user_agent() { return "hezar/" HEZAR_VERSION "; hf_hub/cpp; libtorch/1.13"; }

namespace {

struct UrlParts {
  std::string scheme, host, origin, path;  // path includes the query
};

UrlParts parse_url(const std::string& url) {
  UrlParts parts;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return parts;
  parts.scheme = url.substr(0, scheme_end);
  for (char& c : parts.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t authority_begin = scheme_end + 3;
  size_t path_begin = url.find_first_of("/?#", authority_begin);
  std::string authority = url.substr(authority_begin, path_begin == std::string::npos ? std::string::npos
                                                                                        : path_begin - authority_begin);
  parts.origin = parts.scheme + "://" + authority;
  parts.path = path_begin == std::string::npos ? "/" : url.substr(path_begin);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') parts.host = authority.substr(1, authority.find(']') - 1);
  else parts.host = authority.substr(0, authority.find(':'));
  for (char& c : parts.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return parts;
}

bool is_loopback_host(const std::string& host) {
  static const std::regex v4(R"(127\.\d{1,3}\.\d{1,3}\.\d{1,3})");
  return host == "localhost" || host == "::1" || std::regex_match(host, v4);
}

std::once_flag curl_init_once;

// One easy handle per thread, reused so that keep-alive connections are reused across requests.
CURL* thread_handle() {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  thread_local std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_easy_init(), curl_easy_cleanup);
  HEZAR_CHECK(handle != nullptr, "cannot initialise libcurl");
  curl_easy_reset(handle.get());
  return handle.get();
}

struct Transfer {
  const HttpRequest* request;
  HttpResponse response;
  bool head_sent = false;
  std::exception_ptr error;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();
    size_t space = line.find(' ');
    t->response.status = space == std::string::npos ? 0 : std::atol(line.c_str() + space + 1);
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  std::string name = line.substr(0, colon);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t value_begin = line.find_first_not_of(" \t", colon + 1);
  t->response.headers[name] = value_begin == std::string::npos ? "" : line.substr(value_begin);
  return size * count;
}

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  const bool stream = t->request->on_body && t->response.status >= 200 && t->response.status < 300;
  if (!stream) {
    t->response.body.append(data, n);
    return n;
  }
  try {
    if (!t->head_sent && t->request->on_head) t->request->on_head(t->response);
    t->head_sent = true;
    return t->request->on_body(data, n) ? n : 0;
  } catch (...) {
    t->error = std::current_exception();
    return 0;
  }
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

HttpResponse send_once(const HttpRequest& request, const std::string& url, bool with_token) {
  check_url_allowed(url);
  CURL* h = thread_handle();
  Transfer transfer{&request, {}, false, nullptr};
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add = [&](const std::string& line) { headers.reset(curl_slist_append(headers.release(), line.c_str())); };
  bool has_encoding = false;
  for (const auto& [name, value] : request.headers) {
    add(name + ": " + value);
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    has_encoding |= lower == "accept-encoding";
  }
  if (!has_encoding) add("Accept-Encoding: identity");
  add("Expect:");
  if (with_token && !request.token.empty()) add("Authorization: Bearer " + request.token);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent().c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, request.timeout_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, request.timeout_s);
  // Receive buffer: 2 MiB measured ~10% faster than 512 KiB on loopback downloads (fewer recv calls; the
  // write callback still gets at most 16 KiB per call, batched by hub-fetch's Sink).
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 2048L * 1024);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  CURLcode rc = curl_easy_perform(h);
  if (transfer.error) std::rethrow_exception(transfer.error);
  if (rc != CURLE_OK)
    throw NetworkError(detail::concat(request.method, " ", url, ": ", curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  transfer.response.status = status;
  transfer.response.url = url;
  if (!transfer.head_sent && request.on_head && status >= 200 && status < 300) request.on_head(transfer.response);
  spdlog::debug("hub: {} {} -> {}", request.method, url, status);
  return std::move(transfer.response);
}

std::string resolve_location(const std::string& base, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  UrlParts parts = parse_url(base);
  if (!location.empty() && location[0] == '/') return parts.origin + location;
  std::string path = parts.path.substr(0, parts.path.find('?'));
  return parts.origin + path.substr(0, path.rfind('/') + 1) + location;
}

}  // namespace

std::string url_origin(const std::string& url) { return parse_url(url).origin; }

void check_url_allowed(const std::string& url) {
  UrlParts parts = parse_url(url);
  HEZAR_CHECK_INPUT(!parts.host.empty(), "not a valid URL: '", url, "'");
  if (parts.scheme == "https") return;
  HEZAR_CHECK_INPUT(parts.scheme == "http" && is_loopback_host(parts.host), "refusing ", parts.scheme, "://",
                    parts.host, ": the Hub is only reached over https (plain http is allowed for loopback test "
                    "servers only); fix HF_ENDPOINT");
}

HttpResponse http_send(const HttpRequest& request) {
  std::string url = request.url;
  const std::string origin = url_origin(url);
  for (int hop = 0;; ++hop) {
    HttpResponse response = send_once(request, url, url_origin(url) == origin);
    const std::string location = response.header("location");
    const bool redirect = response.status >= 300 && response.status < 400 && !location.empty();
    if (!redirect || hop >= request.max_redirects) return response;
    const bool relative = location.find("://") == std::string::npos;
    if (request.relative_redirects_only && !relative) return response;
    url = resolve_location(url, location);
  }
}

double retry_wait_seconds(const HttpResponse& response, int attempt) {
  static const std::regex rate_limit(R"(r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+))");
  std::smatch m;
  const std::string limit = response.header("ratelimit");
  if (response.status == 429 && std::regex_search(limit, m, rate_limit) && std::stol(m[1]) == 0)
    return std::stod(m[2]) + 1;
  const std::string retry_after = response.header("retry-after");
  if (!retry_after.empty() && std::all_of(retry_after.begin(), retry_after.end(), ::isdigit))
    return std::stod(retry_after) + 1;
  return std::min(8.0, std::pow(2.0, attempt));
}

HttpResponse http_send_retry(const HttpRequest& request, const RetryPolicy& policy) {
  for (int attempt = 0;; ++attempt) {
    HttpResponse response;
    try {
      response = http_send(request);
    } catch (const NetworkError& e) {
      if (!policy.retry_network_errors || attempt >= policy.max_retries) throw;
      const double wait = std::min(8.0, std::pow(2.0, attempt));
      spdlog::warn("hub: {}; retrying in {:.0f}s ({}/{})", e.what(), wait, attempt + 1, policy.max_retries);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      continue;
    }
    const bool retryable =
        std::find(policy.statuses.begin(), policy.statuses.end(), response.status) != policy.statuses.end();
    if (!retryable || attempt >= policy.max_retries) return response;
    const double wait = retry_wait_seconds(response, attempt);
    spdlog::warn("hub: {} {} answered HTTP {}; retrying in {:.0f}s ({}/{})", request.method, request.url,
                 response.status, wait, attempt + 1, policy.max_retries);
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
}

std::string url_quote(const std::string& text, const std::string& safe) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~' || safe.find(static_cast<char>(c)) != std::string::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string url_unquote(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace hezar::hub
