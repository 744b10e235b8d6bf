// The server API for the store commands (list, show, create, cp, rm): the running `corral serve`
// when one answers at CORRAL_HOST / OLLAMA_HOST, otherwise an in-process server on the local store
// (loopback, any free port) for the length of the command. Either way the command is a client of
// the same HTTP API, so there is one code path, and nothing needs a server to be started first.
#pragma once

#include <memory>

#include "base/env.h"
#include "base/result.h"
#include "cli/api_client.h"

namespace corral::cli {

class ApiSession {
 public:
  // Connects to the running server, or starts the in-process one on the store named by the
  // environment (CORRAL_MODELS / OLLAMA_MODELS / ~/.corral/models).
  static Result<std::unique_ptr<ApiSession>> open(const Env& env);
  ~ApiSession();
  ApiSession(const ApiSession&) = delete;
  ApiSession& operator=(const ApiSession&) = delete;

  ApiClient& client() { return client_; }
  // True when no server answered and the command talks to its own in-process server.
  bool in_process() const { return local_ != nullptr; }

 private:
  struct LocalServer;
  ApiSession(ApiClient client, std::unique_ptr<LocalServer> local);

  std::unique_ptr<LocalServer> local_;
  ApiClient client_;
};

}  // namespace corral::cli
