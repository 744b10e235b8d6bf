// `corral push` and `corral pull` against a real OCI registry: /usr/bin/docker-registry on a free
// loopback port with a temporary storage directory (skipped when the package is absent). Round
// trip byte for byte, unknown names, a stopped registry, a corrupted blob, and a pull killed
// mid-blob that resumes (through a throttling TCP proxy, which also counts the bytes it relays).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "base/sha256.h"
#include "store/http.h"
#include "testing/testing.h"
#include "testing/tiny_model.h"

namespace corral::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRegistryBinary = "/usr/bin/docker-registry";

// A TCP socket bound to 127.0.0.1 on a port the kernel picks; that port goes to `port`.
int bind_loopback(int& port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return s;
}

int free_port() {
  int port = 0;
  ::close(bind_loopback(port));
  return port;
}

bool answers(int port) {
  store::HttpClient http;
  store::HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/v2/";
  req.connect_timeout_seconds = 1;
  auto r = http.perform(req);
  return r.ok() && r->status == 200;
}

// docker-registry with filesystem storage under `dir`, on 127.0.0.1:port.
class Registry {
 public:
  bool start(const fs::path& dir) {
    port_ = free_port();
    storage_ = dir / "storage";
    fs::create_directories(storage_);
    fs::path config = dir / "config.yml";
    std::ofstream(config) << "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: "
                          << storage_.string() << "\nhttp:\n  addr: 127.0.0.1:" << port_ << "\n";
    fs::path log = dir / "registry.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "w", stderr);
      (void)f;
      ::dup2(::fileno(stderr), 1);
      ::execl(kRegistryBinary, "docker-registry", "serve", config.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      if (answers(port_)) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  ~Registry() { stop(); }
  int port() const { return port_; }
  // The registry's copy of a blob (its filesystem driver's layout).
  fs::path blob_data(const std::string& hex) const {
    return storage_ / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  fs::path storage_;
};

// A TCP relay to `target_port` that passes the registry's answers on at `bytes_per_second` and
// counts them; it can cut an answer stream, or flip one of its bytes.
class SlowProxy {
 public:
  SlowProxy(int target_port, int64_t bytes_per_second) : target_(target_port), rate_(bytes_per_second) {
    listen_fd_ = bind_loopback(port_);
    ::listen(listen_fd_, 16);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~SlowProxy() {
    quit_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    accept_thread_.join();
    for (auto& t : pumps_) t.join();
  }
  int port() const { return port_; }
  int64_t relayed() const { return relayed_; }
  // The next answer stream is cut (both directions closed) once it has relayed `bytes`, once.
  void cut_once_after(int64_t bytes) { cut_after_ = bytes; }
  // The byte at `offset` of the next answer stream that gets that far is flipped, once.
  void flip_once_at(int64_t offset) { flip_at_ = offset; }
  void reset_count() { relayed_ = 0; }

 private:
  void accept_loop() {
    while (!quit_) {
      int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(target_));
      if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      pumps_.emplace_back([this, client, server] { pump(client, server, false); });
      pumps_.emplace_back([this, client, server] { pump(server, client, true); });
    }
  }
  void pump(int from, int to, bool throttle) {
    char buf[16384];
    int64_t stream_bytes = 0;
    size_t chunk = throttle ? 8192 : sizeof buf;
    while (!quit_) {
      ssize_t n = ::recv(from, buf, chunk, 0);
      if (n <= 0) break;
      if (int64_t at = flip_at_;
          throttle && at > 0 && stream_bytes <= at && at < stream_bytes + n && flip_at_.compare_exchange_strong(at, 0))
        buf[at - stream_bytes] ^= 0x40;
      if (::send(to, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
      if (throttle) {
        relayed_ += n;
        if (stream_bytes += n; cut_after_ > 0 && stream_bytes >= cut_after_) {
          cut_after_ = 0;
          break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(n * 1000000 / rate_));
      }
    }
    ::shutdown(to, SHUT_RDWR);
    ::shutdown(from, SHUT_RDWR);
  }

  int target_;
  int64_t rate_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> quit_{false};
  std::atomic<int64_t> relayed_{0};
  std::atomic<int64_t> cut_after_{0};
  std::atomic<int64_t> flip_at_{0};
  std::thread accept_thread_;
  std::vector<std::thread> pumps_;
};

std::string hex_of(const std::string& bytes) {
  return Sha256::hex_of(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// The hex digest of the manifest's model layer.
std::string model_layer_hex(const std::string& manifest) {
  auto j = nlohmann::json::parse(manifest);
  for (const auto& l : j["layers"])
    if (l["mediaType"] == "application/vnd.ollama.image.model") return l["digest"].get<std::string>().substr(7);
  return {};
}

std::string quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

class RegistryE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kRegistryBinary)) GTEST_SKIP() << kRegistryBinary << " is absent (scripts/setup.sh installs it)";
    models_ = dir_ / "models";
    setenv("CORRAL_MODELS", models_.c_str(), 1);
    setenv("CORRAL_HOST", "127.0.0.1:1", 1);  // the in-process server on the test's store
    ASSERT_TRUE(registry_.start(dir_ / "registry")) << read_file(dir_ / "registry" / "registry.log");
    name_ = "127.0.0.1:" + std::to_string(registry_.port()) + "/test/tiny:latest";
  }
  void TearDown() override {
    unsetenv("CORRAL_REGISTRY_MIN_PART_SIZE");
    unsetenv("CORRAL_REGISTRY_UPLOAD_CHUNK");
    unsetenv("CORRAL_HOST");
    unsetenv("CORRAL_MODELS");
  }

  // Creates `name` from a tiny GGUF (bigger with `n_embd`), with a system prompt layer.
  void create(const std::string& name, int64_t n_embd = 32, int64_t n_ff = 64,
              const std::string& system = "Be brief.") {
    fs::create_directories(dir_ / "src");
    TinyModel m;
    m.n_embd = n_embd;
    m.n_ff = n_ff;
    write_tiny_model(dir_ / "src" / "tiny.gguf", m);
    std::ofstream(dir_ / "src" / "Modelfile") << "FROM ./tiny.gguf\nSYSTEM " << system << "\nPARAMETER num_predict 3\n";
    auto r = run_corral("create '" + name + "' -f " + quoted(dir_ / "src" / "Modelfile"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  fs::path manifest_path(const std::string& host, const std::string& model) const {
    return models_ / "manifests" / host / "test" / model / "latest";
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(registry_.port()); }
  // Every complete blob's file name and the SHA-256 of its bytes (stray temporary files, which
  // an interrupted pull may leave for prune, are not blobs).
  std::map<std::string, std::string> blobs() const {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(models_ / "blobs")) {
      std::string name = e.path().filename().string();
      if (name.size() == 71 && name.starts_with("sha256-")) out[name] = hex_of(read_file(e.path()));
    }
    return out;
  }
  // Partial downloads and their part records (not temporary files).
  std::vector<std::string> partials() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(models_ / "blobs")) {
      std::string name = e.path().filename().string();
      if (name.starts_with("sha256-") && name.find("-partial") != std::string::npos) out.push_back(name);
    }
    return out;
  }
  void kill_and_resume(int64_t rate, bool parts);

  TempDir dir_;
  fs::path models_;
  Registry registry_;
  std::string name_;
};

TEST_F(RegistryE2eTest, PushRemovePullIsByteIdentical) {
  create(name_);
  std::string manifest = read_file(manifest_path(host(), "tiny"));
  auto before = blobs();
  ASSERT_EQ(before.size(), 4u);  // config, model, system, params

  auto push = run_corral("push --insecure " + name_);
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_NE(push.err.find("pushing manifest"), std::string::npos) << push.err;
  auto again = run_corral("push --insecure " + name_);  // every blob is there already
  ASSERT_EQ(again.exit_code, 0) << again.err;

  ASSERT_EQ(run_corral("rm " + name_).exit_code, 0);
  EXPECT_FALSE(fs::exists(manifest_path(host(), "tiny")));
  EXPECT_TRUE(blobs().empty());

  auto pull = run_corral("pull --insecure " + name_);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  for (const char* step : {"pulling manifest", "verifying sha256 digest", "writing manifest", "success"})
    EXPECT_NE(pull.err.find(step), std::string::npos) << step << "\n" << pull.err;
  EXPECT_EQ(read_file(manifest_path(host(), "tiny")), manifest);
  EXPECT_EQ(blobs(), before);

  auto show = run_corral("show " + name_ + " --system");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(show.out, "Be brief.");  // --system prints the text as it is, as Ollama
  ServeChild server;                 // `run` talks to a running server
  ASSERT_TRUE(server.start(dir_ / "serve.log")) << read_file(dir_ / "serve.log");
  setenv("CORRAL_HOST", server.address().c_str(), 1);
  auto run = run_corral("run " + name_ + " hello </dev/null");
  EXPECT_EQ(run.exit_code, 0) << run.err << read_file(dir_ / "serve.log");
  EXPECT_FALSE(run.out.empty());

  // `run` of a model the store lacks pulls it first, as `ollama run` does.
  ASSERT_EQ(run_corral("rm " + name_).exit_code, 0);
  auto pull_and_run = run_corral("run --insecure " + name_ + " hello </dev/null");
  setenv("CORRAL_HOST", "127.0.0.1:1", 1);
  EXPECT_EQ(pull_and_run.exit_code, 0) << pull_and_run.err;
  EXPECT_NE(pull_and_run.err.find("pulling manifest"), std::string::npos) << pull_and_run.err;
  EXPECT_NE(pull_and_run.err.find("success"), std::string::npos) << pull_and_run.err;
  EXPECT_FALSE(pull_and_run.out.empty());
  EXPECT_EQ(blobs(), before);
}

TEST_F(RegistryE2eTest, PullOverAnOlderVersionRemovesItsUnusedLayers) {
  auto system_blob = [&](const std::string& text) { return "sha256-" + hex_of(text); };
  create(name_, 32, 64, "Version two.");
  ASSERT_EQ(run_corral("push --insecure " + name_).exit_code, 0);
  std::string manifest = read_file(manifest_path(host(), "tiny"));
  create(name_, 32, 64, "Version one.");  // the local copy is older than the registry's
  ASSERT_TRUE(blobs().count(system_blob("Version one.")));
  auto pull = run_corral("pull --insecure " + name_);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_NE(pull.err.find("removing any unused layers"), std::string::npos) << pull.err;
  EXPECT_EQ(read_file(manifest_path(host(), "tiny")), manifest);
  auto now = blobs();
  EXPECT_FALSE(now.count(system_blob("Version one.")));
  EXPECT_TRUE(now.count(system_blob("Version two.")));
  EXPECT_EQ(now.size(), 4u);
}

TEST_F(RegistryE2eTest, UnknownNameAndStoppedRegistryAreOneLineErrors) {
  auto missing = run_corral("pull --insecure " + host() + "/test/nosuch:latest");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.substr(missing.err.rfind("Error: ")),
            "Error: model 'nosuch:latest' not found in " + host() + "/test\n");
  auto tls = run_corral("pull " + host() + "/test/nosuch:latest");  // HTTPS to a plain-HTTP registry
  EXPECT_EQ(tls.exit_code, 1);
  EXPECT_NE(tls.err.find("Error: TLS error talking to " + host()), std::string::npos) << tls.err;
  registry_.stop();
  auto down = run_corral("pull --insecure " + name_);
  EXPECT_EQ(down.exit_code, 1);
  std::string line = down.err.substr(down.err.rfind("Error: "));
  EXPECT_NE(line.find("cannot connect to " + host()), std::string::npos) << down.err;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
}

TEST_F(RegistryE2eTest, CorruptedBlobFailsAndLeavesNothingVisible) {
  create(name_);
  ASSERT_EQ(run_corral("push --insecure " + name_).exit_code, 0);
  auto m = model_layer_hex(read_file(manifest_path(host(), "tiny")));
  ASSERT_EQ(run_corral("rm " + name_).exit_code, 0);
  // The registry's stored copy gets one byte flipped: it serves it as it is.
  fs::path data = registry_.blob_data(m);
  std::string bytes = read_file(data);
  ASSERT_FALSE(bytes.empty());
  bytes[bytes.size() / 2] ^= 0x40;
  std::ofstream(data, std::ios::binary | std::ios::trunc) << bytes;

  auto pull = run_corral("pull --insecure " + name_);
  EXPECT_EQ(pull.exit_code, 1);
  EXPECT_NE(pull.err.find("Error: downloaded blob sha256-" + m + " has the wrong digest; it was deleted, pull again"),
            std::string::npos)
      << pull.err;
  EXPECT_FALSE(fs::exists(models_ / "blobs" / ("sha256-" + m)));
  EXPECT_FALSE(fs::exists(models_ / "blobs" / ("sha256-" + m + "-partial")));
  EXPECT_FALSE(fs::exists(manifest_path(host(), "tiny")));
}

// The same through a relay that flips one byte of the model blob on its way (the registry's copy
// is sound): the digest check catches it, and nothing of it becomes visible.
TEST_F(RegistryE2eTest, BlobCorruptedInTransitFailsAndLeavesNothingVisible) {
  create(name_);
  ASSERT_EQ(run_corral("push --insecure " + name_).exit_code, 0);
  auto m = model_layer_hex(read_file(manifest_path(host(), "tiny")));
  const auto model_size = static_cast<int64_t>(fs::file_size(models_ / "blobs" / ("sha256-" + m)));
  ASSERT_GT(model_size, 120000);  // the flipped byte lands in the model blob, whatever the order
  ASSERT_EQ(run_corral("rm " + name_).exit_code, 0);

  SlowProxy proxy(registry_.port(), int64_t{1} << 30);
  proxy.flip_once_at(100000);
  const std::string via = "127.0.0.1:" + std::to_string(proxy.port());
  auto pull = run_corral("pull --insecure " + via + "/test/tiny:latest");
  EXPECT_EQ(pull.exit_code, 1);
  EXPECT_NE(pull.err.find("Error: downloaded blob sha256-" + m + " has the wrong digest; it was deleted, pull again"),
            std::string::npos)
      << pull.err;
  EXPECT_FALSE(fs::exists(models_ / "blobs" / ("sha256-" + m)));
  EXPECT_FALSE(fs::exists(models_ / "blobs" / ("sha256-" + m + "-partial")));
  EXPECT_FALSE(fs::exists(manifest_path(via, "tiny")));
  // The registry itself was never damaged: a pull straight from it succeeds.
  EXPECT_EQ(run_corral("pull --insecure " + name_).exit_code, 0);
}

TEST_F(RegistryE2eTest, FullDiskLeavesNothingVisible) {
  create(name_, 128, 1024);  // a model blob of about 4 MB
  ASSERT_EQ(run_corral("push --insecure " + name_).exit_code, 0);
  ASSERT_EQ(run_corral("rm " + name_).exit_code, 0);
  // A file size limit of 1 MB stands in for a full disk: writes past it fail (EFBIG).
  fs::path err = dir_ / "full.err";
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{1 << 20, 1 << 20};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    ::execl(CORRAL_BINARY, "corral", "pull", "--insecure", name_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(read_file(err).find("-partial: write failed: File too large"), std::string::npos) << read_file(err);
  EXPECT_FALSE(fs::exists(manifest_path(host(), "tiny")));
  for (const auto& [name, hex] : blobs())  // only the small blobs got their names
    EXPECT_LT(fs::file_size(models_ / "blobs" / name), 1u << 20) << name;
  auto again = run_corral("pull --insecure " + name_);  // with room again it completes
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(run_corral("verify").exit_code, 0);
}

// What a resumed pull can keep of the blob being downloaded: the -partial file's size (one
// stream), or the sum of the parts' checkpoint records (-partial-N). The partial file's path too.
std::pair<int64_t, fs::path> resumable_bytes(const fs::path& blobs_dir, bool parts) {
  int64_t size = 0, recorded = 0;
  fs::path partial;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(blobs_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.ends_with("-partial")) {
      partial = e.path();
      size = static_cast<int64_t>(fs::file_size(e.path(), ec));
    } else if (size_t at = name.find("-partial-"); at != std::string::npos && name.starts_with("sha256-") &&
                                                   name.find_first_not_of("0123456789", at + 9) == std::string::npos) {
      // a record "<partial>-N" (not a temporary file of an interrupted record write)
      auto j = nlohmann::json::parse(read_file(e.path()), nullptr, false);
      if (j.is_object()) recorded += j.value("Completed", int64_t{0});
    }
  }
  return {parts ? recorded : size, partial};
}

// Pushes a ~15 MB model, pulls it through a relay of `rate` bytes/s per connection, SIGKILLs the
// pull once 3 MB are kept, pulls again and checks that the second pull moved only the rest.
void RegistryE2eTest::kill_and_resume(int64_t rate, bool parts) {
  create(name_, 256, 2048);
  setenv("CORRAL_REGISTRY_UPLOAD_CHUNK", "4000000", 1);  // the push PATCHes the model in 4 chunks
  auto push = run_corral("push --insecure " + name_);
  unsetenv("CORRAL_REGISTRY_UPLOAD_CHUNK");
  ASSERT_EQ(push.exit_code, 0) << push.err;
  std::string manifest = read_file(manifest_path(host(), "tiny"));
  auto before = blobs();
  std::string model_blob = "sha256-" + model_layer_hex(manifest);
  auto blob_size = static_cast<int64_t>(fs::file_size(models_ / "blobs" / model_blob));
  ASSERT_EQ(run_corral("rm " + name_).exit_code, 0);

  SlowProxy proxy(registry_.port(), rate);
  std::string via = "127.0.0.1:" + std::to_string(proxy.port());
  std::string slow_name = via + "/test/tiny:latest";
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(CORRAL_BINARY, "corral", "pull", "--insecure", slow_name.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_GT(pid, 0);
  int64_t kept = 0;
  for (int i = 0; i < 500 && kept < (3 << 20); ++i) {
    std::this_thread::sleep_for(20ms);
    kept = resumable_bytes(models_ / "blobs", parts).first;
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  auto [at_kill, partial] = resumable_bytes(models_ / "blobs", parts);  // what the next pull starts from
  ASSERT_GE(at_kill, 3 << 20) << "the pull did not get going";
  EXPECT_EQ(partial.filename().string(), model_blob + "-partial");
  ASSERT_LT(at_kill, blob_size) << "killed too late";
  EXPECT_FALSE(fs::exists(manifest_path(via, "tiny")));

  std::this_thread::sleep_for(200ms);  // the relay threads notice the closed connections
  proxy.reset_count();
  auto again = run_corral("pull --insecure " + slow_name);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  int64_t second = proxy.relayed();
  std::printf("blob %lld bytes, kept at kill %lld, second pull relayed %lld bytes (all answers)\n",
              static_cast<long long>(blob_size), static_cast<long long>(at_kill), static_cast<long long>(second));
  EXPECT_LT(second, blob_size);
  // Only the rest of the blob, plus the other small blobs, the manifest and the headers.
  EXPECT_LE(second, blob_size - at_kill + (64 << 10));
  EXPECT_EQ(read_file(manifest_path(via, "tiny")), manifest);
  EXPECT_EQ(blobs(), before);
  EXPECT_TRUE(partials().empty());
  for (const auto& e : fs::directory_iterator(models_ / "blobs"))  // nor a temporary record file
    EXPECT_EQ(e.path().filename().string().find("-partial-"), std::string::npos) << e.path();
  EXPECT_EQ(run_corral("verify").exit_code, 0);
}

TEST_F(RegistryE2eTest, KilledPullResumes) {
  kill_and_resume(4 << 20, false);  // one stream at 4 MB/s
}

TEST_F(RegistryE2eTest, KilledPullOfPartsResumes) {
  setenv("CORRAL_REGISTRY_MIN_PART_SIZE", "1048576", 1);  // the ~15 MB blob in 1 MiB parts
  kill_and_resume(256 << 10, true);                       // 15 connections at 256 KB/s each
  unsetenv("CORRAL_REGISTRY_MIN_PART_SIZE");
}

TEST_F(RegistryE2eTest, CutConnectionIsRetriedAndConcurrentPullsShareTheBlob) {
  create(name_, 128, 1024);  // a model blob of about 4 MB
  ASSERT_EQ(run_corral("push --insecure " + name_).exit_code, 0);
  std::string manifest = read_file(manifest_path(host(), "tiny"));
  auto before = blobs();
  ASSERT_EQ(run_corral("rm " + name_).exit_code, 0);

  SlowProxy proxy(registry_.port(), 64 << 20);
  std::string via = "127.0.0.1:" + std::to_string(proxy.port()) + "/test/tiny:latest";
  proxy.cut_once_after(1 << 20);  // the first answer past 1 MB (the model blob) is cut
  auto pull = run_corral("pull --insecure " + via);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_NE(pull.err.find("retrying"), std::string::npos) << pull.err;  // the cut happened
  EXPECT_EQ(blobs(), before);
  ASSERT_EQ(run_corral("rm " + via).exit_code, 0);

  // Two pulls of the same model at once: one downloads each blob, the other waits for it.
  std::vector<std::thread> pulls;
  std::vector<CommandResult> results(2);
  for (int i = 0; i < 2; ++i) pulls.emplace_back([&, i] { results[i] = run_corral("pull --insecure " + via); });
  for (auto& t : pulls) t.join();
  for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(blobs(), before);
  EXPECT_EQ(read_file(models_ / "manifests" / ("127.0.0.1:" + std::to_string(proxy.port())) / "test/tiny/latest"),
            manifest);
}

}  // namespace
}  // namespace corral::testing
