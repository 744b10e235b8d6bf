// Bind address parsing, the Host-header guard and the CORS allow-list (see host_guard.h).
#include "server/host_guard.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "base/log.h"

namespace corral::server {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Go's net.SplitHostPort for the forms we accept; false when there is no port part.
bool split_host_port(std::string_view hp, std::string& host, std::string& port) {
  if (!hp.empty() && hp[0] == '[') {
    size_t close = hp.find(']');
    if (close == std::string_view::npos || close + 1 >= hp.size() || hp[close + 1] != ':') return false;
    host = std::string(hp.substr(1, close - 1));
    port = std::string(hp.substr(close + 2));
    return true;
  }
  size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos || hp.find(':') != colon) return false;  // none, or a bare IPv6
  host = std::string(hp.substr(0, colon));
  port = std::string(hp.substr(colon + 1));
  return true;
}

struct ParsedIp {
  int family = 0;  // AF_INET / AF_INET6, 0 = not an IP
  std::array<unsigned char, 16> bytes{};
};

ParsedIp parse_ip(std::string_view text) {
  ParsedIp ip;
  std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1)
    ip.family = AF_INET;
  else if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1)
    ip.family = AF_INET6;
  if (ip.family == AF_INET6) {  // ::ffff:a.b.c.d is the IPv4 address
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(ip.bytes.data(), kMapped, 12) == 0) {
      std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
      ip.family = AF_INET;
    }
  }
  return ip;
}

bool ip_loopback(const ParsedIp& ip) {
  if (ip.family == AF_INET) return ip.bytes[0] == 127;
  static constexpr unsigned char kOne[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(ip.bytes.data(), kOne, 16) == 0;
}

bool ip_private(const ParsedIp& ip) {
  const auto& b = ip.bytes;
  if (ip.family == AF_INET) return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168);
  return (b[0] & 0xfe) == 0xfc;  // fc00::/7
}

bool ip_unspecified(const ParsedIp& ip) {
  size_t n = ip.family == AF_INET ? 4 : 16;
  return std::all_of(ip.bytes.begin(), ip.bytes.begin() + n, [](unsigned char c) { return c == 0; });
}

bool ip_is_local_interface(const ParsedIp& ip) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* a = list; a && !found; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    if (a->ifa_addr->sa_family == AF_INET && ip.family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
      found = std::memcmp(&sin->sin_addr, ip.bytes.data(), 4) == 0;
    } else if (a->ifa_addr->sa_family == AF_INET6 && ip.family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
      found = std::memcmp(&sin6->sin6_addr, ip.bytes.data(), 16) == 0;
    }
  }
  freeifaddrs(list);
  return found;
}

std::string machine_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  return lower(buf);
}

}  // namespace

BindAddress parse_bind_address(std::string_view value) {
  // Trimmed of spaces and quotes by Env already; trim spaces again for direct callers.
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  int default_port = kDefaultPort;
  std::string_view hostport = value;
  if (size_t sep = value.find("://"); sep != std::string_view::npos) {
    std::string scheme = lower(value.substr(0, sep));
    hostport = value.substr(sep + 3);
    if (scheme == "http")
      default_port = 80;
    else if (scheme == "https")
      default_port = 443;
  }
  hostport = hostport.substr(0, hostport.find('/'));
  BindAddress addr;
  std::string host, port;
  if (!split_host_port(hostport, host, port)) {
    host = "127.0.0.1";
    port = std::to_string(default_port);
    std::string bare(hostport);
    if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
    if (!bare.empty()) host = bare;
  }
  addr.host = host;
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535) {
    LOG_WARN("invalid port \"{}\" in the host setting, using {}", port, default_port);
    p = default_port;
  }
  addr.port = static_cast<int>(p);
  return addr;
}

BindAddress bind_address_from_env(const Env& env) {
  auto v = env.get("HOST");
  return v ? parse_bind_address(v->value) : BindAddress{};
}

bool is_loopback_host(std::string_view host) {
  if (lower(host) == "localhost") return true;
  ParsedIp ip = parse_ip(host);
  return ip.family != 0 && ip_loopback(ip);
}

bool host_header_allowed(std::string_view host_header) {
  if (host_header.empty()) return true;
  std::string host, port;
  if (!split_host_port(host_header, host, port)) {
    host = std::string(host_header);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  }
  host = lower(host);
  if (host == "localhost" || ends_with(host, ".localhost") || ends_with(host, ".local") || ends_with(host, ".internal"))
    return true;
  if (std::string me = machine_hostname(); !me.empty() && host == me) return true;
  ParsedIp ip = parse_ip(host);
  if (ip.family == 0) return false;
  return ip_loopback(ip) || ip_private(ip) || ip_unspecified(ip) || ip_is_local_interface(ip);
}

bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

OriginPolicy::OriginPolicy(const Env& env) {
  if (auto v = env.get("ORIGINS")) {
    std::string_view s = v->value;
    while (!s.empty()) {
      size_t comma = s.find(',');
      std::string_view item = s.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) patterns_.emplace_back(item);
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
  }
  for (const char* host : {"localhost", "127.0.0.1", "0.0.0.0"}) {
    for (const char* scheme : {"http", "https"}) {
      patterns_.push_back(std::string(scheme) + "://" + host);
      patterns_.push_back(std::string(scheme) + "://" + host + ":*");
    }
  }
  for (const char* p : {"app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*"})
    patterns_.emplace_back(p);
  // Browser extensions, as gin-contrib/cors' AllowBrowserExtensions.
  for (const char* p :
       {"chrome-extension://*", "safari-extension://*", "moz-extension://*", "ms-browser-extension://*"})
    patterns_.emplace_back(p);
}

bool OriginPolicy::allowed(std::string_view origin) const {
  std::string o = lower(origin);
  for (const auto& p : patterns_)
    if (p == "*" || glob_match(lower(p), o)) return true;
  return false;
}

}  // namespace corral::server
