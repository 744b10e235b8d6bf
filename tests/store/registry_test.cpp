// The registry client's pieces: the WWW-Authenticate parser, URL helpers, and pull/push against
// a fake registry (httplib, in-process) that demands a Bearer token, fails once with 503 and
// redirects blob downloads elsewhere, as a CDN does.
#include "store/registry.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "base/sha256.h"
#include "store/http.h"
#include "testing/testing.h"

namespace corral::store {
namespace {

TEST(AuthChallenge, ParsesBearerParameters) {
  auto c = parse_auth_challenge(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:library/x:pull")");
  EXPECT_EQ(c.scheme, "bearer");
  EXPECT_EQ(c.param("realm"), "https://auth.example.com/token");
  EXPECT_EQ(c.param("service"), "registry.example.com");
  EXPECT_EQ(c.param("scope"), "repository:library/x:pull");
  EXPECT_EQ(c.param("missing"), "");
}

TEST(AuthChallenge, ParsesUnquotedValuesAndEscapes) {
  auto c = parse_auth_challenge(R"(Basic realm="a \"quoted\" realm", charset=UTF-8)");
  EXPECT_EQ(c.scheme, "basic");
  EXPECT_EQ(c.param("realm"), "a \"quoted\" realm");
  EXPECT_EQ(c.param("CHARSET"), "UTF-8");
  EXPECT_EQ(parse_auth_challenge("Bearer").scheme, "bearer");
  EXPECT_TRUE(parse_auth_challenge("").params.empty());
}

TEST(RegistryUrls, EncodesAndResolves) {
  EXPECT_EQ(url_encode("repository:ns/m:pull,push"), "repository%3Ans%2Fm%3Apull%2Cpush");
  EXPECT_EQ(url_encode("a-b_c.d~"), "a-b_c.d~");
  EXPECT_EQ(resolve_location("http://h:5000/v2/ns/m/blobs/uploads/", "/v2/ns/m/blobs/uploads/u1?_state=x"),
            "http://h:5000/v2/ns/m/blobs/uploads/u1?_state=x");
  EXPECT_EQ(resolve_location("http://h/v2/a", "https://cdn/x"), "https://cdn/x");
  EXPECT_EQ(resolve_location("http://h/v2/a/b?q=1", "c"), "http://h/v2/a/c");
}

TEST(RegistryPaths, PartialFileSitsBesideTheBlob) {
  Store store("/models");
  std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(partial_blob_path(store, digest), "/models/blobs/sha256-" + std::string(64, 'a') + "-partial");
}

TEST(RegistryPull, UnreachableRegistryIsAnError) {
  Store store(::testing::TempDir() + "/registry_pull_unreachable");
  auto name = ModelName::parse("127.0.0.1:1/test/tiny:latest");
  ASSERT_TRUE(name.ok());
  RegistryOptions options;
  options.insecure = true;
  std::vector<std::string> seen;
  Status s = pull_model(store, *name, options, [&](const RegistryEvent& e) { seen.push_back(e.status); });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().to_string().find("cannot connect to 127.0.0.1:1"), std::string::npos) << s.error().to_string();
  EXPECT_EQ(seen, std::vector<std::string>{"pulling manifest"});
}

std::string hex_of(const std::string& bytes) {
  return Sha256::hex_of(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// /v2/ns/m/... needs "Authorization: Bearer tok" (else 401 with a challenge whose realm is
// /token, which wants the basic credentials user:secret); the first manifest GET answers 503;
// blob GETs redirect to http://localhost:<port>/cdn/<hex> (another host name).
class FakeRegistry {
 public:
  FakeRegistry() {
    config_ = R"({"model_format":"gguf"})";
    layer_ = std::string(300000, 'x') + "end";
    manifest_ =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"sha256:" +
        hex_of(config_) + "\",\"size\":" + std::to_string(config_.size()) +
        "},\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:" + hex_of(layer_) +
        "\",\"size\":" + std::to_string(layer_.size()) + "}]}\n";
    auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization") == "Bearer tok") return true;
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:" + std::to_string(port_) +
                                             "/token\",service=\"fake\",scope=\"repository:ns/m:pull\"");
      return false;
    };
    http_.Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
      ++token_requests_;
      // "user:secret" in base64.
      if (req.get_header_value("Authorization") != "Basic dXNlcjpzZWNyZXQ=" ||
          req.get_param_value("scope") != "repository:ns/m:pull" || req.get_param_value("service") != "fake") {
        res.status = 401;
        return;
      }
      res.set_content(R"({"token":"tok"})", "application/json");
    });
    http_.Get("/v2/ns/m/manifests/latest", [this, authorized](const httplib::Request& req, httplib::Response& res) {
      if (!authorized(req, res)) return;
      if (manifest_gets_++ == 0) {
        res.status = 503;
        return;
      }
      res.set_content(manifest_, "application/vnd.docker.distribution.manifest.v2+json");
    });
    http_.Get(R"(/v2/ns/m/blobs/sha256:([0-9a-f]{64}))", [this, authorized](const httplib::Request& req,
                                                                            httplib::Response& res) {
      if (!authorized(req, res)) return;
      res.status = 307;  // another host name, as a CDN: the token must not follow
      res.set_header("Location", "http://localhost:" + std::to_string(port_) + "/cdn/" + req.matches[1].str());
    });
    http_.Get(R"(/cdn/([0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!req.get_header_value("Authorization").empty()) {
        res.status = 400;  // the token must not reach the CDN
        return;
      }
      std::string hex = req.matches[1].str();
      res.set_content(hex == hex_of(config_) ? config_ : layer_, "application/octet-stream");
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeRegistry() {
    http_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string manifest_, config_, layer_;
  std::atomic<int> token_requests_{0}, manifest_gets_{0};

 private:
  httplib::Server http_;
  int port_ = 0;
  std::thread thread_;
};

TEST(RegistryPull, BearerTokenRetryAndRedirect) {
  FakeRegistry fake;
  corral::testing::TempDir dir;
  Store store(dir.path());
  auto name = ModelName::parse("127.0.0.1:" + std::to_string(fake.port()) + "/ns/m:latest");
  ASSERT_TRUE(name.ok());
  RegistryOptions options;
  options.insecure = true;
  options.first_backoff = std::chrono::milliseconds(1);
  options.username = "user";
  options.password = "secret";
  std::vector<std::string> statuses;
  Status s = pull_model(store, *name, options, [&](const RegistryEvent& e) {
    if (statuses.empty() || statuses.back() != e.status) statuses.push_back(e.status);
  });
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(fake.token_requests_.load(), 1);  // the token is kept for the session
  EXPECT_EQ(fake.manifest_gets_.load(), 2);   // 503, then the manifest
  EXPECT_EQ(corral::testing::read_file(store.manifest_path(*name)), fake.manifest_);
  EXPECT_EQ(corral::testing::read_file(store.blob_path("sha256:" + hex_of(fake.layer_))), fake.layer_);
  std::string layer = "pulling " + hex_of(fake.layer_).substr(0, 12);
  std::vector<std::string> expected = {"pulling manifest",
                                       "pulling " + hex_of(fake.config_).substr(0, 12),
                                       layer,
                                       "verifying sha256 digest",
                                       "writing manifest",
                                       "success"};
  EXPECT_EQ(statuses, expected);

  // Without credentials the token service refuses, and the error says what to set.
  Store other(dir.path() / "other");
  RegistryOptions anonymous;
  anonymous.insecure = true;
  Status refused = pull_model(other, *name, anonymous, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().to_string().find(
                "unauthorized: the token service http://127.0.0.1:" + std::to_string(fake.port()) +
                "/token refused an anonymous request; set CORRAL_REGISTRY_USER"),
            std::string::npos)
      << refused.error().to_string();
}

}  // namespace
}  // namespace corral::store
