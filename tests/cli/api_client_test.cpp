// cli::ApiClient against an in-process server::Server on 127.0.0.1:0 with a temporary store: JSON
// GET/POST, the server's error messages and statuses, NDJSON streams with cancel, no server.
#include "cli/api_client.h"

#include <gtest/gtest.h>

#include <thread>

#include "../store/store_builder.h"
#include "server/context.h"
#include "server/metrics.h"
#include "server/server.h"
#include "testing/testing.h"

namespace corral::cli {
namespace {

using nlohmann::json;

class ApiClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.ensure_dirs().ok());
    store::testing_util::put_model(store_, "alpha", store::testing_util::tiny_gguf(1));
    ctx_ = std::make_unique<server::ServerContext>(store_, Env([](const std::string&) { return std::nullopt; }),
                                                   metrics_, "9.9.9-test");
    server_ = std::make_unique<server::Server>(*ctx_);
    // A stream of three lines, the last without its newline, and one that fails midway.
    server_->http().Post("/test/stream", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"n\":1}\n{\"n\":2}\n{\"n\":3}", "application/x-ndjson");
    });
    server_->http().Post("/test/stream-error", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"n\":1}\n{\"error\":\"runner died\"}\n", "application/x-ndjson");
    });
    ASSERT_TRUE(server_->bind({"127.0.0.1", 0}).ok());
    thread_ = std::thread([this] { (void)server_->run(); });
    while (!server_->http().is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  ApiClient client() { return ApiClient("127.0.0.1", server_->port()); }

  testing::TempDir dir_;
  store::Store store_{dir_.path() / "models"};
  server::Metrics metrics_;
  std::unique_ptr<server::ServerContext> ctx_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
};

TEST_F(ApiClientTest, GetJson) {
  ApiClient c = client();
  auto v = c.get_json("/api/version");
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ((*v)["version"], "9.9.9-test");
  EXPECT_EQ(c.last_status(), 200);
  auto tags = c.get_json("/api/tags");
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ((*tags)["models"].size(), 1u);
  EXPECT_EQ((*tags)["models"][0]["name"], "alpha:latest");
}

TEST_F(ApiClientTest, PostJsonAndServerErrors) {
  ApiClient c = client();
  auto show = c.post_json("/api/show", json{{"model", "alpha"}});
  ASSERT_TRUE(show.ok()) << show.error().to_string();
  EXPECT_EQ((*show)["details"]["format"], "gguf");
  auto missing = c.post_json("/api/show", json{{"model", "nope"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(c.last_status(), 404);
  EXPECT_FALSE(c.last_unreachable());
  EXPECT_NE(missing.error().to_string().find("not found"), std::string::npos) << missing.error().to_string();
  EXPECT_EQ(missing.error().to_string().find("{"), std::string::npos);  // the message, not the JSON
}

TEST_F(ApiClientTest, StreamLinesAndCancel) {
  ApiClient c = client();
  std::vector<int> seen;
  auto s = c.post_stream("/test/stream", json::object(), [&](const json& j) {
    seen.push_back(j["n"].get<int>());
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
  seen.clear();
  s = c.post_stream("/test/stream", json::object(), [&](const json& j) {
    seen.push_back(j["n"].get<int>());
    return false;
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(seen, (std::vector<int>{1}));
}

TEST_F(ApiClientTest, StreamErrors) {
  ApiClient c = client();
  int lines = 0;
  auto s = c.post_stream("/test/stream-error", json::object(), [&](const json&) { return ++lines, true; });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().to_string(), "runner died");
  EXPECT_EQ(lines, 1);
  // A non-200 answer gives the server's message.
  s = c.post_stream("/api/generate", json{{"model", "nope"}}, [&](const json&) { return true; });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(c.last_status(), 404);
  EXPECT_NE(s.error().to_string().find("not found"), std::string::npos) << s.error().to_string();
}

TEST(ApiClientNoServer, SaysWhatToRun) {
  // Port 1 (tcpmux) is privileged and unused: connecting is refused at once.
  const int port = 1;
  ApiClient c("127.0.0.1", port);
  auto r = c.get_json("/api/ps");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(c.last_unreachable());
  EXPECT_EQ(r.error().to_string(),
            fmt::format("could not connect to corral server at 127.0.0.1:{} — is `corral serve` running?", port));
  auto s = c.post_stream("/api/generate", json::object(), [](const json&) { return true; });
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(c.last_unreachable());
}

TEST(ApiClientEnv, AddressFromEnv) {
  auto env_of = [](std::string value) {
    return Env([value](const std::string& k) -> std::optional<std::string> {
      if (k == "CORRAL_HOST") return value;
      return std::nullopt;
    });
  };
  EXPECT_EQ(ApiClient::from_env(env_of("")).address(), "127.0.0.1:11434");
  EXPECT_EQ(ApiClient::from_env(env_of("127.0.0.1:5000")).address(), "127.0.0.1:5000");
  EXPECT_EQ(ApiClient::from_env(env_of("0.0.0.0:7")).address(), "127.0.0.1:7");
}

}  // namespace
}  // namespace corral::cli
