// The server's pure helpers: bind addresses, Go timestamps, JSON depth, origin
// globs and the Host-header rules.
#include "server/http_util.h"

#include <gtest/gtest.h>

#include "server/host_guard.h"

namespace corral::server {
namespace {

TEST(BindAddress, OllamaForms) {
  auto check = [](std::string_view v, std::string host, int port) {
    BindAddress a = parse_bind_address(v);
    EXPECT_EQ(a.host, host) << v;
    EXPECT_EQ(a.port, port) << v;
  };
  check("", "127.0.0.1", 11434);
  check("0.0.0.0", "0.0.0.0", 11434);
  check("127.0.0.1:0", "127.0.0.1", 0);
  check("localhost:8080", "localhost", 8080);
  check("http://10.0.0.2:9000", "10.0.0.2", 9000);
  check("http://example.com", "example.com", 80);
  check("https://example.com/path", "example.com", 443);
  check(":8081", "", 8081);
  check("[::1]:7000", "::1", 7000);
  check("[::1]", "::1", 11434);
  check("host:99999", "host", 11434);  // invalid port → default
}

TEST(Rfc3339, NanosecondsTrimmedLikeGo) {
  using namespace std::chrono;
  sys_time<nanoseconds> t = sys_days{year{2024} / 5 / 1} + hours(12) + nanoseconds(123456789);
  EXPECT_EQ(format_rfc3339(time_point_cast<system_clock::duration>(t)), "2024-05-01T12:00:00.123456789Z");
  sys_time<nanoseconds> t2 = sys_days{year{2024} / 5 / 1} + milliseconds(500);
  EXPECT_EQ(format_rfc3339(time_point_cast<system_clock::duration>(t2)), "2024-05-01T00:00:00.5Z");
  sys_time<seconds> t3 = sys_days{year{1999} / 12 / 31} + hours(23) + minutes(59) + seconds(59);
  EXPECT_EQ(format_rfc3339(time_point_cast<system_clock::duration>(t3)), "1999-12-31T23:59:59Z");
}

TEST(JsonDepth, CountsNestingOutsideStrings) {
  EXPECT_EQ(json_depth(R"({"a":[1,{"b":2}]})", 64), 3);
  EXPECT_EQ(json_depth(R"({"a":"[[[[[[\"[[["})", 64), 1);
  EXPECT_EQ(json_depth("5", 64), 0);
  EXPECT_GT(json_depth(std::string(1000, '['), 64), 64);
}

TEST(Origins, DefaultsAndExtras) {
  OriginPolicy p(Env([](const std::string& name) -> std::optional<std::string> {
    if (name == "OLLAMA_ORIGINS") return " https://my.app , http://*.corp.example";
    return std::nullopt;
  }));
  EXPECT_TRUE(p.allowed("http://localhost"));
  EXPECT_TRUE(p.allowed("http://localhost:5173"));
  EXPECT_TRUE(p.allowed("https://127.0.0.1:8443"));
  EXPECT_TRUE(p.allowed("app://obsidian.md"));
  EXPECT_TRUE(p.allowed("chrome-extension://abcdef"));
  EXPECT_TRUE(p.allowed("https://my.app"));
  EXPECT_TRUE(p.allowed("http://wiki.corp.example"));
  EXPECT_FALSE(p.allowed("http://localhost.evil.com"));
  EXPECT_FALSE(p.allowed("https://evil.example"));
  EXPECT_TRUE(OriginPolicy(std::vector<std::string>{"*"}).allowed("https://anything"));
}

TEST(HostHeader, Rules) {
  EXPECT_TRUE(host_header_allowed(""));
  EXPECT_TRUE(host_header_allowed("localhost"));
  EXPECT_TRUE(host_header_allowed("LOCALHOST:11434"));
  EXPECT_TRUE(host_header_allowed("127.0.0.1:11434"));
  EXPECT_TRUE(host_header_allowed("192.168.1.5"));
  EXPECT_TRUE(host_header_allowed("172.20.0.1:80"));
  EXPECT_TRUE(host_header_allowed("0.0.0.0"));
  EXPECT_TRUE(host_header_allowed("[::1]:11434"));
  EXPECT_TRUE(host_header_allowed("printer.local"));
  EXPECT_TRUE(host_header_allowed("svc.internal"));
  EXPECT_FALSE(host_header_allowed("evil.com"));
  EXPECT_FALSE(host_header_allowed("8.8.8.8"));
  EXPECT_FALSE(host_header_allowed("172.32.0.1"));
  EXPECT_FALSE(host_header_allowed("localhost.evil.com"));
}

}  // namespace
}  // namespace corral::server
