// Where the server listens and who may talk to it, as Ollama decides: the bind address from
// CORRAL_HOST / OLLAMA_HOST, the CORS origin allow-list, and the Host-header guard against DNS
// rebinding when bound to loopback.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/result.h"

namespace corral::server {

inline constexpr int kDefaultPort = 11434;

struct BindAddress {
  std::string host = "127.0.0.1";  // "" = every interface
  int port = kDefaultPort;         // 0 = any free port
};

// `host`, `host:port`, `[v6]:port`, `scheme://host:port[/path]`, `:port`; empty = the default.
// As Ollama: an explicit http:// without port means 80, https:// 443; a bad port falls back to
// the default with a warning.
BindAddress parse_bind_address(std::string_view value);
BindAddress bind_address_from_env(const Env& env);

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);

// Ollama's allowedHostsMiddleware: when bound to loopback, the Host header (port stripped) must
// be a loopback, private, unspecified or local-interface IP, "localhost", this machine's
// hostname, or end in .localhost, .local or .internal. An empty Host is allowed.
bool host_header_allowed(std::string_view host_header);

// The CORS allow-list: the entries of ORIGINS (comma-separated) and Ollama's defaults; `*` in a
// pattern matches any run of characters.
class OriginPolicy {
 public:
  explicit OriginPolicy(const Env& env);
  explicit OriginPolicy(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {}
  bool allowed(std::string_view origin) const;
  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;
};

// Glob match with `*` only.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace corral::server
