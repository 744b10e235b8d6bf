// The HTTP server in-process on 127.0.0.1:0 with a temporary store, driven by httplib::Client:
// the management routes, error shapes and status codes, the host guard, CORS, 404/405, /metrics.
#include "server/server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <regex>
#include <sstream>
#include <thread>

#include "../store/store_builder.h"
#include "base/sha256.h"
#include "server/context.h"
#include "server/http_util.h"
#include "server/metrics.h"
#include "testing/testing.h"

namespace corral::server {
namespace {

using nlohmann::json;
using store::testing_util::put_model;
using store::testing_util::tiny_gguf;

std::string digest_of(const std::string& bytes) {
  return "sha256:" + Sha256::hex_of(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.ensure_dirs().ok());
    put_model(store_, "alpha", tiny_gguf(1));
    ctx_ = std::make_unique<ServerContext>(store_, Env([](const std::string&) { return std::nullopt; }), metrics_,
                                           "9.9.9-test");
    server_ = std::make_unique<Server>(*ctx_);
    ASSERT_TRUE(server_->bind({"127.0.0.1", 0}).ok());
    ASSERT_GT(server_->port(), 0);
    thread_ = std::thread([this] { (void)server_->run(); });
    while (!server_->http().is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  httplib::Result post(const std::string& path, const std::string& body) {
    return client_->Post(path.c_str(), body, "application/json");
  }
  static json body_of(const httplib::Result& r) { return json::parse(r->body); }

  testing::TempDir dir_;
  store::Store store_{dir_.path() / "models"};
  Metrics metrics_;
  std::unique_ptr<ServerContext> ctx_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, RootAndVersion) {
  auto r = client_->Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Ollama is running");
  auto h = client_->Head("/");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto v = client_->Get("/api/version");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 200);
  EXPECT_EQ(v->get_header_value("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(body_of(v), json({{"version", "9.9.9-test"}}));
}

TEST_F(ServerTest, TagsListsModelsWithDetails) {
  auto r = client_->Get("/api/tags");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json j = body_of(r);
  ASSERT_EQ(j["models"].size(), 1u);
  const json& m = j["models"][0];
  EXPECT_EQ(m["name"], "alpha:latest");
  EXPECT_EQ(m["model"], "alpha:latest");
  EXPECT_EQ(m["digest"].get<std::string>().size(), 64u);
  EXPECT_GT(m["size"].get<int64_t>(), 0);
  EXPECT_TRUE(std::regex_match(m["modified_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)")));
  EXPECT_EQ(m["details"]["format"], "gguf");
  EXPECT_EQ(m["details"]["family"], "llama");
  EXPECT_TRUE(m["details"]["families"].is_array());
  EXPECT_TRUE(m["details"].contains("parent_model"));
  EXPECT_TRUE(m["details"].contains("parameter_size"));
  EXPECT_TRUE(m["details"].contains("quantization_level"));
}

TEST_F(ServerTest, TagsSkipsBrokenModels) {
  auto path = put_model(store_, "broken", tiny_gguf(2));
  std::filesystem::resize_file(path, 3);  // the manifest no longer parses
  auto r = client_->Get("/api/tags");
  ASSERT_TRUE(r);
  json j = body_of(r);
  ASSERT_EQ(j["models"].size(), 1u);
  EXPECT_EQ(j["models"][0]["name"], "alpha:latest");
  // corral's extra: the broken model, with what is wrong, outside "models".
  ASSERT_EQ(j["corral"]["broken"].size(), 1u);
  EXPECT_EQ(j["corral"]["broken"][0]["name"], "broken:latest");
  EXPECT_FALSE(j["corral"]["broken"][0]["problem"].get<std::string>().empty());
}

TEST_F(ServerTest, ShowGivesModelfileInfoAndCapabilities) {
  auto r = post("/api/show", R"({"model":"alpha"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = body_of(r);
  EXPECT_NE(j["modelfile"].get<std::string>().find("FROM "), std::string::npos);
  EXPECT_EQ(j["template"], "{{ .Prompt }}");
  EXPECT_EQ(j["details"]["format"], "gguf");
  EXPECT_EQ(j["model_info"]["general.architecture"], "llama");
  EXPECT_EQ(j["capabilities"], json::array({"completion"}));
  EXPECT_TRUE(j.contains("modified_at"));
  EXPECT_FALSE(j.contains("tensors"));
  auto v = post("/api/show", R"({"name":"alpha","verbose":true})");  // legacy `name`
  ASSERT_TRUE(v);
  ASSERT_EQ(v->status, 200);
  json jv = body_of(v);
  ASSERT_EQ(jv["tensors"].size(), 1u);
  EXPECT_EQ(jv["tensors"][0], json({{"name", "norm.weight"}, {"type", "F32"}, {"shape", {256}}}));
}

TEST_F(ServerTest, ShowMissingModelIs404) {
  auto r = post("/api/show", R"({"model":"nope"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(body_of(r), json({{"error", "model 'nope' not found"}}));
  auto e = post("/api/show", R"({})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 400);
}

TEST_F(ServerTest, UploadBlobThenCreateFromFiles) {
  std::string gguf = tiny_gguf(5);
  std::string digest = digest_of(gguf);
  std::string path = "/api/blobs/" + digest;
  auto head = client_->Head(path.c_str());
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 404);
  auto up = client_->Post(path.c_str(), gguf, "application/octet-stream");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, 201) << up->body;
  auto again = client_->Post(path.c_str(), gguf, "application/octet-stream");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  head = client_->Head(path.c_str());
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(testing::read_file(store_.blob_path(digest)), gguf);

  json req = {{"model", "made"},
              {"files", {{"model.gguf", digest}}},
              {"system", "Be brief."},
              {"parameters", {{"temperature", 0.5}, {"stop", {"<a>", "<b>"}}}},
              {"license", {"MIT", "Apache"}},
              {"stream", false}};
  auto c = post("/api/create", req.dump());
  ASSERT_TRUE(c);
  ASSERT_EQ(c->status, 200) << c->body;
  EXPECT_EQ(body_of(c), json({{"status", "success"}}));

  auto tags = client_->Get("/api/tags");
  ASSERT_TRUE(tags);
  bool listed = false;
  json listing = body_of(tags);
  for (const auto& m : listing["models"]) listed |= m["name"] == "made:latest";
  EXPECT_TRUE(listed) << tags->body;
  auto show = post("/api/show", R"({"model":"made"})");
  ASSERT_TRUE(show);
  ASSERT_EQ(show->status, 200);
  json s = body_of(show);
  EXPECT_EQ(s["system"], "Be brief.");
  EXPECT_EQ(s["license"], "MIT\nApache");
  EXPECT_NE(s["parameters"].get<std::string>().find("temperature"), std::string::npos);
  EXPECT_NE(s["parameters"].get<std::string>().find("\"<b>\""), std::string::npos);
}

TEST_F(ServerTest, CreateStreamsProgressEndingWithSuccess) {
  auto r = post("/api/create", R"({"model":"derived","from":"alpha","system":"hi"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-ndjson");
  std::istringstream lines(r->body);
  std::string line, last;
  int n = 0;
  while (std::getline(lines, line)) {
    json j = json::parse(line);
    EXPECT_TRUE(j.contains("status")) << line;
    last = line;
    ++n;
  }
  EXPECT_GE(n, 2);
  EXPECT_EQ(json::parse(last), json({{"status", "success"}}));
  EXPECT_TRUE(store_.find(*store::ModelName::parse("derived")));
}

TEST_F(ServerTest, CreateErrorsAre400) {
  auto q = post("/api/create", R"({"model":"x","from":"alpha","quantize":"q4_K_M"})");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->status, 400);
  EXPECT_EQ(body_of(q), json({{"error", "quantize is not supported yet"}}));
  auto none = post("/api/create", R"({"model":"x"})");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 400);
  auto bad_name = post("/api/create", R"({"model":"bad name!","from":"alpha"})");
  ASSERT_TRUE(bad_name);
  EXPECT_EQ(bad_name->status, 400);
  std::string text_digest = digest_of("not a gguf");
  ASSERT_EQ(client_->Post(("/api/blobs/" + text_digest).c_str(), "not a gguf", "text/plain")->status, 201);
  json req = {{"model", "x"}, {"files", {{"a.bin", text_digest}}}};
  auto not_gguf = post("/api/create", req.dump());
  ASSERT_TRUE(not_gguf);
  EXPECT_EQ(not_gguf->status, 400);
  EXPECT_EQ(body_of(not_gguf)["error"], "supplied file was not in GGUF format");
  json escape = {{"model", "x"}, {"files", {{"../a.gguf", text_digest}}}};
  auto esc = post("/api/create", escape.dump());
  ASSERT_TRUE(esc);
  EXPECT_EQ(esc->status, 400);
}

TEST_F(ServerTest, BlobDigestMismatchAndBadDigest) {
  std::string wrong = "/api/blobs/sha256:" + std::string(64, '0');
  auto r = client_->Post(wrong.c_str(), "hello", "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(body_of(r)["error"].get<std::string>().find("digest mismatch"), std::string::npos);
  EXPECT_EQ(client_->Head(wrong.c_str())->status, 404);
  auto bad = client_->Post("/api/blobs/sha256:xyz", "hello", "application/octet-stream");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(client_->Head("/api/blobs/nonsense")->status, 400);
  // No temporary file is left behind.
  for (const auto& e : std::filesystem::directory_iterator(store_.blobs_dir()))
    EXPECT_TRUE(store::is_blob_file_name(e.path().filename().string())) << e.path();
}

TEST_F(ServerTest, CopyAndDelete) {
  auto c = post("/api/copy", R"({"source":"alpha","destination":"beta:v2"})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 200) << c->body;
  EXPECT_EQ(post("/api/show", R"({"model":"beta:v2"})")->status, 200);
  auto missing = post("/api/copy", R"({"source":"nope","destination":"x"})");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body_of(missing), json({{"error", "model \"nope\" not found"}}));

  auto d = client_->Delete("/api/delete", R"({"model":"beta:v2"})", "application/json");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 200) << d->body;
  EXPECT_EQ(post("/api/show", R"({"model":"beta:v2"})")->status, 404);
  auto again = client_->Delete("/api/delete", R"({"model":"beta:v2"})", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404);
  EXPECT_EQ(body_of(again), json({{"error", "model 'beta:v2' not found"}}));
  // alpha still works: its blobs were shared, not removed.
  EXPECT_EQ(post("/api/show", R"({"model":"alpha"})")->status, 200);
}

TEST_F(ServerTest, BadBodiesAre400) {
  auto empty = post("/api/show", "");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  EXPECT_EQ(body_of(empty), json({{"error", "missing request body"}}));
  auto bad = post("/api/show", "{\"model\":");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(body_of(bad).contains("error"));
  std::string deep = std::string(100, '[') + std::string(100, ']');
  auto d = post("/api/show", deep);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 400);
  EXPECT_NE(body_of(d)["error"].get<std::string>().find("too deep"), std::string::npos);
  auto wrong_type = post("/api/show", R"({"model":5})");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 400);
}

TEST_F(ServerTest, HostGuardOnLoopback) {
  auto evil = client_->Get("/api/version", {{"Host", "evil.com"}});
  ASSERT_TRUE(evil);
  EXPECT_EQ(evil->status, 403);
  for (const char* ok : {"localhost:11434", "127.0.0.1", "foo.localhost", "box.local", "10.1.2.3:80", "[::1]:5"}) {
    auto r = client_->Get("/api/version", {{"Host", ok}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << ok;
  }
}

TEST_F(ServerTest, CorsAllowList) {
  auto allowed = client_->Get("/api/version", {{"Origin", "http://localhost:3000"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), "http://localhost:3000");
  auto foreign = client_->Get("/api/version", {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(foreign->has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(foreign->status, 403);
  auto preflight =
      client_->Options("/api/chat", {{"Origin", "app://desktop"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "app://desktop");
  EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Headers").find("Content-Type"), std::string::npos);
}

TEST_F(ServerTest, WrongMethodIs405AndUnknownPathIs404) {
  auto r = client_->Get("/api/show");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_TRUE(body_of(r).contains("error"));
  auto blob_get = client_->Get(("/api/blobs/sha256:" + std::string(64, 'a')).c_str());
  ASSERT_TRUE(blob_get);
  EXPECT_EQ(blob_get->status, 405);
  auto unknown = client_->Get("/api/nothing-here");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_TRUE(body_of(unknown).contains("error"));
}

TEST_F(ServerTest, PullAndPushReportRegistryErrors) {
  // Nothing listens on port 1: the pull names the host it could not reach.
  auto pull = post("/api/pull", R"({"model":"127.0.0.1:1/test/tiny","insecure":true,"stream":false})");
  ASSERT_TRUE(pull);
  EXPECT_EQ(pull->status, 500);
  EXPECT_NE(body_of(pull)["error"].get<std::string>().find("cannot connect to 127.0.0.1:1"), std::string::npos);
  auto push = post("/api/push", R"({"model":"127.0.0.1:1/test/absent","insecure":true,"stream":false})");
  ASSERT_TRUE(push);
  EXPECT_EQ(push->status, 500);
  EXPECT_NE(body_of(push)["error"].get<std::string>().find("not found"), std::string::npos);
  auto bad = post("/api/pull", R"({"model":"a/b/c/d/e"})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(ServerTest, HealthAndMetrics) {
  auto h = client_->Get("/api/health");
  ASSERT_TRUE(h);
  ASSERT_EQ(h->status, 200);
  json j = body_of(h);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["version"], "9.9.9-test");
  EXPECT_EQ(j["models_loaded"], 0);

  // The request is counted by the logger, which runs after the response went out.
  for (int i = 0; i < 200 && metrics_.requests_total("/api/health", 200) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ctx_->metrics.record_generation("alpha:latest", 10, 2'000'000'000, 5, 1'000'000'000);
  ctx_->metrics.add_cancelled();
  metrics_.set_gauge_source([] { return GaugeSnapshot{2, 1, 3, {{"alpha:latest", 12345}}}; });
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200);
  // Every line is a comment or `name{labels} value` (Prometheus text format 0.0.4).
  std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.eE+-]+$)");
  std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  std::istringstream lines(m->body);
  std::string line;
  while (std::getline(lines, line))
    EXPECT_TRUE(std::regex_match(line, sample) || std::regex_match(line, comment)) << line;
  const std::string& b = m->body;
  EXPECT_NE(b.find("corral_requests_total{route=\"/api/health\",status=\"200\"} 1"), std::string::npos);
  EXPECT_NE(b.find("corral_prompt_tokens_total{model=\"alpha:latest\"} 10"), std::string::npos);
  EXPECT_NE(b.find("corral_prompt_seconds_total{model=\"alpha:latest\"} 2.0"), std::string::npos);
  EXPECT_NE(b.find("corral_requests_cancelled_total 1"), std::string::npos);
  EXPECT_NE(b.find("corral_queue_depth 2"), std::string::npos);
  EXPECT_NE(b.find("corral_models_loaded 1"), std::string::npos);
  EXPECT_NE(b.find("corral_sequences_active 3"), std::string::npos);
  EXPECT_NE(b.find("corral_model_memory_bytes{model=\"alpha:latest\"} 12345"), std::string::npos);
}

}  // namespace
}  // namespace corral::server

namespace corral::server {
namespace {

// A server with custom limits and an extra streaming route, outside the fixture.
class CustomServer {
 public:
  explicit CustomServer(ServerLimits limits) {
    EXPECT_TRUE(store_.ensure_dirs().ok());
    ctx_ = std::make_unique<ServerContext>(store_, Env([](const std::string&) { return std::nullopt; }), metrics_, "t");
    server_ = std::make_unique<Server>(*ctx_, limits);
  }
  void start() {
    EXPECT_TRUE(server_->bind({"127.0.0.1", 0}).ok());
    thread_ = std::thread([this] { (void)server_->run(); });
    while (!server_->http().is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~CustomServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  Server& server() { return *server_; }

 private:
  testing::TempDir dir_;
  store::Store store_{dir_.path() / "models"};
  Metrics metrics_;
  std::unique_ptr<ServerContext> ctx_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST(ServerLimitsTest, JsonBodiesOverTheLimitAre413ButBlobsAreNot) {
  ServerLimits limits;
  limits.max_json_body = 100;
  CustomServer s(limits);
  s.start();
  httplib::Client client("127.0.0.1", s.server().port());
  std::string big = R"({"model":")" + std::string(200, 'x') + R"("})";
  auto r = client.Post("/api/show", big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(json::parse(r->body).contains("error"));
  std::string blob(1000, 'z');
  auto b = client.Post(("/api/blobs/" + digest_of(blob)).c_str(), blob, "application/octet-stream");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 201);
}

TEST(StreamWriterTest, ProducerLearnsTheClientIsGone) {
  std::signal(SIGPIPE, SIG_IGN);
  CustomServer s(ServerLimits{});
  std::atomic<bool> gone = false;
  std::atomic<int> lines = 0;
  s.server().http().Get("/test/stream", [&](const httplib::Request&, httplib::Response& res) {
    start_ndjson_stream(res, [&](StreamWriter& out) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < deadline) {
        if (!out.write_line(json{{"n", lines.load()}})) {
          gone = true;
          return;
        }
        ++lines;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  });
  s.start();
  {
    httplib::Client client("127.0.0.1", s.server().port());
    int received = 0;
    auto r = client.Get("/test/stream", [&](const char*, size_t) { return ++received < 3; });  // hang up early
    EXPECT_FALSE(r);
  }
  for (int i = 0; i < 500 && !gone; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(gone) << "the producer wrote " << lines << " lines without noticing";
}

}  // namespace
}  // namespace corral::server

namespace corral::server {
namespace {

TEST(ServerStopTest, StopBeforeRunStillEndsRun) {
  testing::TempDir dir;
  Metrics metrics;
  ServerContext ctx(store::Store(dir.path() / "models"), Env([](const std::string&) { return std::nullopt; }), metrics,
                    "t");
  Server server(ctx);
  ASSERT_TRUE(server.bind({"127.0.0.1", 0}).ok());
  server.stop();  // e.g. SIGTERM right after bind
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(server.run().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace corral::server
