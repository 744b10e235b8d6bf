// A small blocking HTTP client over one libcurl easy handle (RAII), for the registry client:
// HTTPS with the system CA store, proxies from the environment (libcurl reads HTTPS_PROXY /
// NO_PROXY), bodies from memory or streamed from a callback, responses kept or streamed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace corral::store {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when read_body is empty
  // A streamed upload of body_size bytes: fills the buffer, returns the bytes written (0 = end).
  std::function<size_t(char* buffer, size_t size)> read_body;
  int64_t body_size = -1;
  // Streamed body of a 2xx answer (status given); returning false aborts the transfer. Other
  // answers' bodies, and every body when this is empty, are kept in HttpResponse::body.
  std::function<bool(long status, std::string_view chunk)> on_data;
  // Basic credentials (sent only to the request's own host).
  std::string username;
  std::string password;
  bool follow_redirects = true;
  // A transfer that moves no byte for this long fails as a stall (retryable).
  long stall_seconds = 30;
  long connect_timeout_seconds = 30;
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // of the last response (after redirects)
  std::string body;                                          // when no on_data was given
  std::string effective_url;
  // The first header with this name (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
};

// What kind of failure a transport error is: the registry client retries the transient ones.
enum class HttpFailure { kNone, kTransient, kPermanent, kAborted };

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // Performs the request. An HTTP error status is not an error here (see HttpResponse::status);
  // an error means no complete answer: `last_failure()` says whether a retry may help.
  Result<HttpResponse> perform(const HttpRequest& request);
  HttpFailure last_failure() const { return last_failure_; }
  void set_user_agent(std::string agent) { user_agent_ = std::move(agent); }

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  HttpFailure last_failure_ = HttpFailure::kNone;
  std::string user_agent_;
};

// "Bearer realm="https://auth/token",service="registry",scope="repository:x:pull"" → the scheme
// ("bearer", lower case) and the parameters.
struct AuthChallenge {
  std::string scheme;
  std::vector<std::pair<std::string, std::string>> params;
  std::string param(std::string_view key) const;
};
AuthChallenge parse_auth_challenge(std::string_view header);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view text);
// Resolves a Location header against the URL it answered (absolute, "/path" or relative).
std::string resolve_location(std::string_view base_url, std::string_view location);

}  // namespace corral::store
