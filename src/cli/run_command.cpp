// `corral run MODEL [PROMPT...]`: a client of the running server. With a prompt, or when stdin or
// stdout is not a terminal, one answer streamed from /api/generate; otherwise the interactive
// chat (chat_repl.h).
#include <unistd.h>

#include <fmt/format.h>

#include <iostream>
#include <iterator>

#include "base/env.h"
#include "cli/api_client.h"
#include "cli/chat_repl.h"
#include "cli/command.h"
#include "cli/word_wrap.h"
#include "sched/keep_alive.h"

namespace corral::cli {
namespace {

using nlohmann::json;

struct RunOptions {
  std::string model;
  std::vector<std::string> prompt;
  bool verbose = false;
  std::string keepalive;
  std::string format;
  bool nowordwrap = false;
};

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return kExitError;
}

int run(const RunOptions& o) {
  const bool stdin_is_terminal = isatty(STDIN_FILENO) != 0;
  const bool stdout_is_terminal = isatty(STDOUT_FILENO) != 0;
  if (!o.keepalive.empty()) {
    if (auto d = sched::parse_duration(o.keepalive); !d.ok())
      return fail(fmt::format("invalid --keepalive {:?}: {}", o.keepalive, d.error().to_string()));
  }
  ApiClient client = ApiClient::from_env(Env());
  if (o.prompt.empty() && stdin_is_terminal && stdout_is_terminal) {
    ChatOptions chat;
    chat.model = o.model;
    chat.verbose = o.verbose;
    chat.wordwrap = !o.nowordwrap;
    chat.format = o.format;
    chat.keepalive = o.keepalive;
    if (auto show = client.post_json("/api/show", json{{"model", o.model}}); !show.ok()) {
      if (client.last_status() == 404) return fail(fmt::format("model '{}' not found", o.model));
      return fail(show.error().to_string());
    }
    return run_chat_repl(client, std::move(chat), Env());
  }
  std::vector<std::string> parts = o.prompt;
  if (!stdin_is_terminal) {
    std::string in{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    parts.insert(parts.begin(), std::move(in));
  }
  std::string prompt;
  for (size_t i = 0; i < parts.size(); ++i) prompt += (i ? " " : "") + parts[i];

  json request{{"model", o.model}, {"prompt", prompt}, {"stream", true}};
  if (!o.keepalive.empty()) request["keep_alive"] = o.keepalive;
  if (!o.format.empty()) request["format"] = o.format;

  if (auto show = client.post_json("/api/show", json{{"model", o.model}}); !show.ok()) {
    if (client.last_status() == 404) return fail(fmt::format("model '{}' not found", o.model));
    return fail(show.error().to_string());
  }
  json done;
  // On a terminal the answer is wrapped at word boundaries, as in the interactive chat.
  WordWrapper wrap(stdout_is_terminal && !o.nowordwrap ? terminal_width() - 1 : 0,
                   [](std::string_view text) { fmt::print("{}", text); });
  Status s = client.post_stream("/api/generate", request, [&](const json& line) {
    if (auto it = line.find("response"); it != line.end() && it->is_string()) {
      wrap.write(it->get<std::string>());
      std::fflush(stdout);
    }
    if (line.value("done", false)) done = line;
    return true;
  });
  wrap.finish();
  if (!s.ok()) {
    fmt::print("\n");
    return fail(s.error().to_string());
  }
  fmt::print("\n");
  std::fflush(stdout);
  if (o.verbose && done.is_object()) print_generation_stats(done);
  return kExitOk;
}

}  // namespace

void register_run(CLI::App& app, Action& action) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run a model on a prompt (through the running server)");
  cmd->add_option("model", o->model, "The model to run")->required();
  cmd->add_option("prompt", o->prompt, "The prompt (words are joined by spaces)");
  cmd->add_flag("--verbose", o->verbose, "Print timings and token rates on stderr after the answer");
  cmd->add_option("--keepalive", o->keepalive, "How long the model stays loaded afterwards (5m, 1h, 0, -1)");
  cmd->add_option("--format", o->format, "Response format (json)");
  cmd->add_flag("--nowordwrap", o->nowordwrap, "Do not wrap answers at word boundaries on a terminal");
  cmd->footer(
      "Talks to `corral serve` at CORRAL_HOST / OLLAMA_HOST (127.0.0.1:11434). When no server\n"
      "answers, run does not start one: it tells you to run `corral serve` and exits with 1.\n"
      "Standard input, when it is not a terminal, is put before the prompt arguments.\n"
      "Without a prompt, on a terminal, run starts the interactive chat: type /? for its commands\n"
      "(/set parameter, /show, /load, /save, /clear, /bye), \"\"\" for a multi-line message, Ctrl+C to\n"
      "stop an answer, Ctrl+D to leave. History: ~/.corral/history (CORRAL_NOHISTORY=1: none).\n"
      "Examples:\n"
      "  corral run llama3.2\n"
      "  corral run llama3.2 \"Why is the sky blue?\"\n"
      "  echo \"Summarize this\" | corral run llama3.2 --verbose");
  cmd->callback([o, &action] { action = [o] { return run(*o); }; });
}

}  // namespace corral::cli
