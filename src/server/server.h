// The HTTP server: httplib with a large task queue, the bind address, CORS, the Host-header guard,
// body limits, JSON 404/405 errors, request logging and metrics, and a stop() for signals.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "base/result.h"
#include "server/context.h"
#include "server/host_guard.h"

namespace corral::server {

struct ServerLimits {
  size_t threads = 64;                 // httplib's task queue (streams hold a thread each)
  size_t max_json_body = 64ull << 20;  // every route but blob uploads
  size_t max_blob_body = 32ull << 30;  // POST /api/blobs/:digest
  time_t write_timeout_seconds = 60;   // a client that stops reading for this long is dropped
  time_t read_timeout_seconds = 60;
  bool quiet = false;  // no "listening on" and request lines (the CLI's in-process server)
};

class Server {
 public:
  explicit Server(ServerContext& ctx, ServerLimits limits = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (port 0 = any free port) and logs "listening on <host>:<port>".
  Status bind(const BindAddress& address);
  int port() const { return port_; }
  const BindAddress& address() const { return address_; }
  // Serves until stop(); call after bind().
  Status run();
  // Stops accepting and returns from run() (safe from another thread).
  void stop();
  httplib::Server& http() { return http_; }

 private:
  void install_middleware();
  httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res);
  void apply_cors(const httplib::Request& req, httplib::Response& res) const;

  ServerContext& ctx_;
  ServerLimits limits_;
  OriginPolicy origins_;
  httplib::Server http_;
  BindAddress address_;
  int port_ = 0;
  bool guard_hosts_ = true;  // bound to loopback: check Host headers
  // A stop() that comes before run() reached httplib's loop must still end run().
  std::atomic<bool> stop_requested_ = false;
  std::atomic<bool> in_run_ = false;
};

// The route label for metrics and logs: the path with parameters collapsed
// ("/api/blobs/:digest"), "unknown" for paths no route serves.
std::string route_label(std::string_view path);

}  // namespace corral::server
