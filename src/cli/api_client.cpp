// The CLI's HTTP client of `corral serve` (cpp-httplib), see api_client.h.
#include "cli/api_client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include "sched/ndjson_post.h"
#include "server/host_guard.h"

namespace corral::cli {
namespace {

using nlohmann::json;

// Generation can pause for a long time (a model loading, a long prompt), so reads wait long.
constexpr time_t kReadTimeoutSeconds = 600;
constexpr time_t kConnectTimeoutSeconds = 5;

void configure(httplib::Client& cli) {
  cli.set_connection_timeout(kConnectTimeoutSeconds, 0);
  cli.set_read_timeout(kReadTimeoutSeconds, 0);
  cli.set_write_timeout(kReadTimeoutSeconds, 0);
}

}  // namespace

ApiClient::ApiClient(std::string host, int port) : host_(std::move(host)), port_(port) {
  if (host_.empty() || host_ == "0.0.0.0" || host_ == "::") host_ = "127.0.0.1";
}

ApiClient ApiClient::from_env(const Env& env) {
  server::BindAddress a = server::bind_address_from_env(env);
  return ApiClient(a.host, a.port);
}

std::string ApiClient::address() const {
  if (host_.find(':') != std::string::npos) return fmt::format("[{}]:{}", host_, port_);
  return fmt::format("{}:{}", host_, port_);
}

Error ApiClient::unreachable() {
  last_status_ = 0;
  last_unreachable_ = true;
  return Error::format("could not connect to corral server at {} — is `corral serve` running?", address());
}

Error ApiClient::http_error(int status, const std::string& body) const {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return Error(j["error"].get<std::string>());
  std::string text = body.size() > 200 ? body.substr(0, 200) + "..." : body;
  return Error::format("server answered HTTP {}{}{}", status, text.empty() ? "" : ": ", text);
}

Result<json> ApiClient::json_answer(const httplib::Result& r, std::string_view method, const std::string& path) {
  if (!r) return unreachable();
  last_status_ = r->status;
  if (r->status != 200) return http_error(r->status, r->body);
  if (r->body.empty() && method != "GET") return json::object();
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return Error::format("server sent invalid JSON for {} {}", method, path);
  return j;
}

Result<json> ApiClient::get_json(const std::string& path) {
  httplib::Client cli(host_, port_);
  configure(cli);
  last_unreachable_ = false;
  return json_answer(cli.Get(path), "GET", path);
}

Result<json> ApiClient::post_json(const std::string& path, const json& body) {
  httplib::Client cli(host_, port_);
  configure(cli);
  last_unreachable_ = false;
  return json_answer(cli.Post(path, body.dump(), "application/json"), "POST", path);
}

Result<json> ApiClient::delete_json(const std::string& path, const json& body) {
  httplib::Client cli(host_, port_);
  configure(cli);
  last_unreachable_ = false;
  return json_answer(cli.Delete(path, body.dump(), "application/json"), "DELETE", path);
}

Result<int> ApiClient::head(const std::string& path) {
  httplib::Client cli(host_, port_);
  configure(cli);
  last_unreachable_ = false;
  auto r = cli.Head(path);
  if (!r) return unreachable();
  last_status_ = r->status;
  return r->status;
}

Status ApiClient::post_file(const std::string& path, const std::filesystem::path& file,
                            const std::function<void(uint64_t, uint64_t)>& on_progress) {
  std::error_code ec;
  uint64_t total = std::filesystem::file_size(file, ec);
  if (ec) return Error::format("{}: {}", file.string(), ec.message());
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error::format("{}: cannot open", file.string());
  httplib::Client cli(host_, port_);
  configure(cli);
  last_unreachable_ = false;
  constexpr size_t kChunk = size_t{1} << 20;
  std::vector<char> buffer(kChunk);
  std::optional<Error> read_error;
  // httplib asks for the bytes from `offset` on; it asks in order, so the stream is read straight.
  auto provide = [&](size_t offset, size_t length, httplib::DataSink& sink) {
    size_t n = std::min(length, kChunk);
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in.read(buffer.data(), static_cast<std::streamsize>(n))) {
      read_error = Error::format("{}: read failed at byte {} (did the file change?)", file.string(), offset);
      return false;
    }
    if (!sink.write(buffer.data(), n)) return false;
    if (on_progress) on_progress(offset + n, total);
    return true;
  };
  auto r = cli.Post(path, static_cast<size_t>(total), provide, "application/octet-stream");
  if (read_error) return *read_error;
  if (!r) {
    if (r.error() == httplib::Error::Connection) return unreachable();
    return Error::format("uploading {} to {} failed: {}", file.string(), address(), httplib::to_string(r.error()));
  }
  last_status_ = r->status;
  if (r->status < 200 || r->status >= 300) return http_error(r->status, r->body);
  return {};
}

Status ApiClient::post_stream(const std::string& path, const json& body,
                              const std::function<bool(const json&)>& on_line, const std::atomic<bool>* interrupt) {
  httplib::Client cli(host_, port_);
  configure(cli);
  last_unreachable_ = false;
  std::optional<Error> failure;
  bool cancelled = false;
  // The request blocks in a read that no signal interrupts (httplib retries on EINTR), so a
  // watcher closes the socket from outside; stop() is httplib's way to end a request in flight.
  std::atomic<bool> finished = false;
  std::thread watcher;
  if (interrupt) {
    watcher = std::thread([&] {
      while (!finished.load()) {
        if (interrupt->load()) {
          cli.stop();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  struct JoinWatcher {
    std::atomic<bool>& finished;
    std::thread& watcher;
    ~JoinWatcher() {
      finished = true;
      if (watcher.joinable()) watcher.join();
    }
  } join_watcher{finished, watcher};
  // A line the caller sees; false stops the stream (an error line, bad JSON or the caller's wish).
  auto take = [&](const std::string& line) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      failure = Error::format("server sent an invalid stream line: {}", line.substr(0, 200));
      return false;
    }
    if (j.is_object() && j.contains("error") && j["error"].is_string()) {
      failure = Error(j["error"].get<std::string>());
      return false;
    }
    if (!on_line(j) || (interrupt && interrupt->load())) {
      cancelled = true;
      return false;
    }
    return true;
  };
  sched::NdjsonExchange x = sched::post_ndjson(cli, path, body.dump(), take);
  last_status_ = x.status;
  if (failure) return *failure;
  if (cancelled || (interrupt && interrupt->load())) return {};
  if (x.status == 0 && !x.sent) return unreachable();
  if (x.status != 200) return http_error(x.status, x.error_body);
  if (!x.sent) return Error::format("the stream from the server broke off: {}", httplib::to_string(x.transport));
  if (!x.rest.empty() && !take(x.rest) && failure) return *failure;
  return {};
}

}  // namespace corral::cli
