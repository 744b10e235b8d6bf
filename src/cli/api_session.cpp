// See api_session.h.
#include "cli/api_session.h"

#include <thread>

#include "base/log.h"
#include "server/context.h"
#include "server/metrics.h"
#include "server/server.h"
#include "store/layout.h"

namespace corral::cli {

// The in-process server: no scheduler, so only the store routes answer (inference routes say the
// server has no scheduler, which the store commands never call).
struct ApiSession::LocalServer {
  LocalServer(store::Store store, const Env& env)
      : context(std::move(store), env, metrics, CORRAL_VERSION), server(context, quiet_limits()) {}
  static server::ServerLimits quiet_limits() {
    server::ServerLimits limits;
    limits.quiet = true;
    limits.threads = 8;
    return limits;
  }
  ~LocalServer() {
    server.stop();
    if (thread.joinable()) thread.join();
  }

  server::Metrics metrics;
  server::ServerContext context;
  server::Server server;
  std::thread thread;
};

ApiSession::ApiSession(ApiClient client, std::unique_ptr<LocalServer> local)
    : local_(std::move(local)), client_(std::move(client)) {}

ApiSession::~ApiSession() = default;

Result<std::unique_ptr<ApiSession>> ApiSession::open(const Env& env) {
  ApiClient remote = ApiClient::from_env(env);
  if (remote.get_json("/api/version").ok() || !remote.last_unreachable())
    return std::unique_ptr<ApiSession>(new ApiSession(std::move(remote), nullptr));

  // The routes log what they did at info level ("stored blob", "deleted"), which is the server's
  // journal, not the command's output; the command prints its own lines. Debug levels stay.
  if (log_level() == LogLevel::kInfo) set_log_level(LogLevel::kWarn);
  CORRAL_ASSIGN_OR_RETURN(auto store, store::Store::from_env(env));
  CORRAL_TRY(store.ensure_dirs());
  auto local = std::make_unique<LocalServer>(std::move(store), env);
  CORRAL_TRY(local->server.bind({"127.0.0.1", 0}));
  local->thread = std::thread([server = &local->server] { (void)server->run(); });
  while (!local->server.http().is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ApiClient client("127.0.0.1", local->server.port());
  return std::unique_ptr<ApiSession>(new ApiSession(std::move(client), std::move(local)));
}

}  // namespace corral::cli
