// `corral pull NAME` and `corral push NAME` (--insecure for a plain-HTTP registry): clients of
// POST /api/pull and /api/push on the running server or the in-process one, drawing the streamed
// progress as Ollama's CLI does (a status line per step, a bar per blob).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>

#include "base/env.h"
#include "cli/api_session.h"
#include "cli/command.h"
#include "cli/progress.h"
#include "cli/registry_transfer.h"
#include "cli/store_util.h"

namespace corral::cli {
namespace {

struct RegistryArgs {
  std::string name;
  bool insecure = false;
};

int transfer(const char* route, const RegistryArgs& args) {
  if (!parse_model_name(args.name)) return kExitError;
  Status st = [&]() -> Status {
    CORRAL_ASSIGN_OR_RETURN(auto session, ApiSession::open(Env()));
    return registry_transfer(session->client(), route, args.name, args.insecure);
  }();
  if (!st.ok()) {
    fmt::print(stderr, "Error: {}\n", st.error().to_string());
    return kExitError;
  }
  return kExitOk;
}

void add_common(CLI::App* cmd, RegistryArgs& args) {
  cmd->add_option("model", args.name, "Model name, [host[:port]/][namespace/]model[:tag]")->required();
  cmd->add_flag("--insecure", args.insecure, "Use plain HTTP (a local or test registry)");
}

}  // namespace

Status registry_transfer(ApiClient& client, const std::string& route, const std::string& model, bool insecure) {
  Progress progress;
  nlohmann::json body = {{"model", model}, {"insecure", insecure}, {"stream", true}};
  Status st = client.post_stream(route, body, [&](const nlohmann::json& j) {
    std::string status = j.value("status", "");
    if (j.contains("digest") && j.contains("total")) {
      progress.bar(status, j.value("completed", uint64_t{0}), j.value("total", uint64_t{0}));
    } else if (!status.empty()) {
      progress.status(status);
    }
    return true;
  });
  progress.stop();
  return st;
}

void register_pull(CLI::App& app, Action& action) {
  auto args = std::make_shared<RegistryArgs>();
  auto* cmd = app.add_subcommand("pull", "Pull a model from a registry");
  add_common(cmd, *args);
  cmd->footer(
      "Downloads the manifest and every blob the store lacks (an interrupted pull resumes where it\n"
      "stopped), checks each SHA-256 digest and writes the manifest last. Runs through the server\n"
      "API (the running `corral serve`, else an in-process server on the local store). A registry\n"
      "that asks for a token gets one (Bearer flow; CORRAL_REGISTRY_USER / CORRAL_REGISTRY_PASSWORD\n"
      "when set); HTTPS_PROXY / NO_PROXY are honoured.\n"
      "\n"
      "Examples:\n"
      "  corral pull llama3.2                          registry.ollama.ai/library/llama3.2:latest\n"
      "  corral pull --insecure 127.0.0.1:5000/test/tiny:latest");
  cmd->callback([args, &action] { action = [args] { return transfer("/api/pull", *args); }; });
}

void register_push(CLI::App& app, Action& action) {
  auto args = std::make_shared<RegistryArgs>();
  auto* cmd = app.add_subcommand("push", "Push a model to a registry");
  add_common(cmd, *args);
  cmd->footer(
      "Uploads each blob the registry lacks (HEAD, then POST/PATCH/PUT), then the manifest's exact\n"
      "bytes, so the model ID stays the same. The name's host is the registry: copy the model to\n"
      "that name first (corral cp). Credentials: CORRAL_REGISTRY_USER / CORRAL_REGISTRY_PASSWORD.\n"
      "\n"
      "Examples:\n"
      "  corral cp mymodel 127.0.0.1:5000/me/mymodel:latest\n"
      "  corral push --insecure 127.0.0.1:5000/me/mymodel:latest");
  cmd->callback([args, &action] { action = [args] { return transfer("/api/push", *args); }; });
}

}  // namespace corral::cli
