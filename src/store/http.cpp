// libcurl behind HttpClient: one easy handle reused across requests (connection reuse), options
// reset per request. Transport errors are turned into messages a user can act on.
#include "store/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace corral::store {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// curl_global_init is not thread-safe before the first easy handle exists; do it once.
void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const HttpRequest* request;
  HttpResponse* response;
  bool aborted = false;
  int64_t sent = 0;
};

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = t->response->status;
  if (t->request->on_data && status >= 200 && status < 300) {
    if (!t->request->on_data(status, std::string_view(data, n))) {
      t->aborted = true;
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
  } else {
    t->response->body.append(data, n);
  }
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // a new response (after a redirect or 100 Continue)
    size_t space = line.find(' ');
    if (space != std::string_view::npos)
      t->response->status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    t->response->headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                      std::string(trim(line.substr(colon + 1))));
  }
  return n;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = t->request->read_body(buffer, size * count);
  t->sent += static_cast<int64_t>(n);
  return n;
}

std::string host_of(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The message and the kind of a transport failure.
std::pair<std::string, HttpFailure> describe(CURLcode code, const std::string& url, const char* detail) {
  std::string host = host_of(url);
  std::string extra = detail && *detail ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return {fmt::format("cannot resolve {} (no network or DNS failure): {}", host, extra), HttpFailure::kPermanent};
    case CURLE_COULDNT_CONNECT: return {fmt::format("cannot connect to {}: {}", host, extra), HttpFailure::kPermanent};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_USE_SSL_FAILED:
      return {fmt::format("TLS error talking to {}: {}", host, extra), HttpFailure::kPermanent};
    case CURLE_OPERATION_TIMEDOUT:
      return {fmt::format("{}: the transfer stalled or timed out: {}", host, extra), HttpFailure::kTransient};
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK: return {fmt::format("{}: transfer aborted", host), HttpFailure::kAborted};
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return {fmt::format("bad URL {}: {}", url, extra), HttpFailure::kPermanent};
    default: return {fmt::format("{}: {}", host, extra), HttpFailure::kTransient};
  }
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient() : handle_(std::make_unique<Handle>()) {
  global_init();
  handle_->curl = curl_easy_init();
}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

Result<HttpResponse> HttpClient::perform(const HttpRequest& request) {
  last_failure_ = HttpFailure::kNone;
  CURL* c = handle_->curl;
  if (!c) {
    last_failure_ = HttpFailure::kPermanent;
    return Error("cannot initialise libcurl");
  }
  curl_easy_reset(c);
  HttpResponse response;
  Transfer transfer{&request, &response};
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, request.connect_timeout_seconds);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, request.stall_seconds);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  if (!user_agent_.empty()) curl_easy_setopt(c, CURLOPT_USERAGENT, user_agent_.c_str());
  if (!request.username.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, request.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, request.password.c_str());
  }

  struct curl_slist* headers = nullptr;
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  // curl adds "Expect: 100-continue" to large uploads; registries answer it, but it costs a round trip.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  const std::string& m = request.method;
  if (m == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (m != "GET") {
    if (request.read_body) {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_size));
    } else {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
  }

  CURLcode code = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    auto [message, kind] = describe(code, request.url, error_buffer);
    last_failure_ = transfer.aborted ? HttpFailure::kAborted : kind;
    return Error(message);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  char* effective = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
    response.effective_url = effective;
  return response;
}

std::string AuthChallenge::param(std::string_view key) const {
  for (const auto& [k, v] : params)
    if (iequals(k, key)) return v;
  return {};
}

AuthChallenge parse_auth_challenge(std::string_view header) {
  AuthChallenge out;
  header = trim(header);
  size_t space = header.find(' ');
  std::string_view scheme = header.substr(0, space);
  for (char ch : scheme) out.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (space == std::string_view::npos) return out;
  std::string_view rest = header.substr(space + 1);
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ',' || std::isspace(static_cast<unsigned char>(rest[i])))) ++i;
    size_t eq = rest.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(trim(rest.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < rest.size() && rest[i] == '"') {
      for (++i; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i];
      }
      ++i;  // the closing quote
    } else {
      size_t end = std::min(rest.find(',', i), rest.size());
      value = std::string(trim(rest.substr(i, end - i)));
      i = end;
    }
    out.params.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += fmt::format("%{:02X}", ch);
    }
  }
  return out;
}

std::string resolve_location(std::string_view base_url, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  size_t scheme_end = base_url.find("://");
  size_t host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t path_start = std::min(base_url.find('/', host_start), base_url.size());
  if (location.starts_with("/")) return std::string(base_url.substr(0, path_start)) + std::string(location);
  std::string_view dir = base_url.substr(0, std::min(base_url.find('?'), base_url.size()));
  size_t last = dir.rfind('/');
  if (last == std::string_view::npos || last < path_start) return std::string(dir) + "/" + std::string(location);
  return std::string(dir.substr(0, last + 1)) + std::string(location);
}

}  // namespace corral::store
