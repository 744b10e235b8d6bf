// `corral run MODEL [PROMPT...]`: a client of the running server. With a prompt, or when stdin or
// stdout is not a terminal, one answer streamed from /api/generate; otherwise the interactive
// chat (chat_repl.h).
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <iterator>

#include "base/env.h"
#include "cli/api_client.h"
#include "cli/chat_repl.h"
#include "cli/command.h"
#include "cli/registry_transfer.h"
#include "cli/thinking_display.h"
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
  std::string think;  // "" (the model's default), "true", "false" or a level
  bool hide_thinking = false;
  bool nowordwrap = false;
  bool insecure = false;         // pull a missing model over plain HTTP
  std::optional<bool> truncate;  // embedding models: cut the input at the context length
  int dimensions = 0;            // embedding models: fewer dimensions (0 = all)
};

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return kExitError;
}

// The prompt of a one-shot run: stdin (when it is not a terminal) first, then the arguments.
std::string one_shot_prompt(const RunOptions& o, bool stdin_is_terminal) {
  std::vector<std::string> parts = o.prompt;
  if (!stdin_is_terminal) {
    std::string in{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    parts.insert(parts.begin(), std::move(in));
  }
  std::string prompt;
  for (size_t i = 0; i < parts.size(); ++i) prompt += (i ? " " : "") + parts[i];
  return prompt;
}

// An embedding model answers with its vector, printed as a JSON array (as `ollama run` does).
int embed(ApiClient& client, const RunOptions& o, const std::string& input) {
  json request{{"model", o.model}, {"input", input}};
  if (!o.keepalive.empty()) request["keep_alive"] = o.keepalive;
  if (o.truncate) request["truncate"] = *o.truncate;
  if (o.dimensions > 0) request["dimensions"] = o.dimensions;
  auto r = client.post_json("/api/embed", request);
  if (!r.ok()) return fail(r.error().to_string());
  const json& embeddings = (*r)["embeddings"];
  if (!embeddings.is_array() || embeddings.empty()) return fail("the server returned no embedding");
  fmt::print("{}\n", embeddings[0].dump());
  return kExitOk;
}

int generate(ApiClient& client, const RunOptions& o, const std::string& prompt, bool stdout_is_terminal) {
  json request{{"model", o.model}, {"prompt", prompt}, {"stream", true}};
  if (!o.keepalive.empty()) request["keep_alive"] = o.keepalive;
  if (!o.format.empty()) request["format"] = o.format;
  if (!o.think.empty()) request["think"] = think_value(o.think);
  json done;
  // On a terminal the answer is wrapped at word boundaries, as in the interactive chat.
  const int width = stdout_is_terminal && !o.nowordwrap ? terminal_width() - 1 : 0;
  WordWrapper wrap(width, [](std::string_view text) { fmt::print("{}", text); });
  ThinkingDisplay thinking(o.hide_thinking, stdout_is_terminal, width);
  Status s = client.post_stream("/api/generate", request, [&](const json& line) {
    if (auto it = line.find("thinking"); it != line.end() && it->is_string()) thinking.thinking(it->get<std::string>());
    if (auto it = line.find("response"); it != line.end() && it->is_string() && !it->get<std::string>().empty()) {
      thinking.close();
      wrap.write(it->get<std::string>());
      std::fflush(stdout);
    }
    if (line.value("done", false)) done = line;
    return true;
  });
  thinking.close();
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

int run(const RunOptions& o) {
  if (!o.think.empty() && !valid_think(o.think))
    return fail(
        fmt::format("invalid value for --think: {:?} (must be true, false, high, medium, low or max)", o.think));
  const bool stdin_is_terminal = isatty(STDIN_FILENO) != 0;
  const bool stdout_is_terminal = isatty(STDOUT_FILENO) != 0;
  if (!o.keepalive.empty()) {
    if (auto d = sched::parse_duration(o.keepalive); !d.ok())
      return fail(fmt::format("invalid --keepalive {:?}: {}", o.keepalive, d.error().to_string()));
  }
  ApiClient client = ApiClient::from_env(Env());
  auto show = client.post_json("/api/show", json{{"model", o.model}});
  if (!show.ok() && client.last_status() == 404) {
    // As `ollama run`: a model the store lacks is pulled first.
    if (auto pulled = registry_transfer(client, "/api/pull", o.model, o.insecure); !pulled.ok())
      return fail(pulled.error().to_string());
    show = client.post_json("/api/show", json{{"model", o.model}});
  }
  if (!show.ok()) return fail(show.error().to_string());
  const json capabilities = show->value("capabilities", json::array());
  const bool embedding_only = std::find(capabilities.begin(), capabilities.end(), "embedding") != capabilities.end() &&
                              std::find(capabilities.begin(), capabilities.end(), "completion") == capabilities.end();
  const bool interactive = o.prompt.empty() && stdin_is_terminal && stdout_is_terminal;
  if (!o.think.empty() && o.think != "false" &&
      std::find(capabilities.begin(), capabilities.end(), "thinking") == capabilities.end())
    fmt::print(stderr, "warning: model {:?} does not support thinking output\n", o.model);
  if (embedding_only) {
    if (interactive) return fail("embedding models need input: pass it as an argument or on stdin");
    return embed(client, o, one_shot_prompt(o, stdin_is_terminal));
  }
  if (interactive) {
    ChatOptions chat;
    chat.model = o.model;
    chat.verbose = o.verbose;
    chat.wordwrap = !o.nowordwrap;
    chat.format = o.format;
    chat.keepalive = o.keepalive;
    chat.think = o.think;
    chat.hide_thinking = o.hide_thinking;
    return run_chat_repl(client, std::move(chat), Env());
  }
  return generate(client, o, one_shot_prompt(o, stdin_is_terminal), stdout_is_terminal);
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
  // A flag whose value only comes with `=` (as Ollama's), so `--think PROMPT` leaves the prompt alone.
  cmd->add_flag("--think{true}", o->think,
                "Thinking models: think (--think=false, or a level: --think=high|medium|low)");
  cmd->add_flag("--hidethinking", o->hide_thinking, "Thinking models: do not show the thinking");
  cmd->add_flag("--nowordwrap", o->nowordwrap, "Do not wrap answers at word boundaries on a terminal");
  cmd->add_flag("--insecure", o->insecure, "Pull a missing model over plain HTTP (a local or test registry)");
  cmd->add_option("--truncate", o->truncate, "Embedding models: cut the input at the context length (true/false)");
  cmd->add_option("--dimensions", o->dimensions, "Embedding models: the number of dimensions to return");
  cmd->footer(
      "Talks to `corral serve` at CORRAL_HOST / OLLAMA_HOST (127.0.0.1:11434). When no server\n"
      "answers, run does not start one: it tells you to run `corral serve` and exits with 1.\n"
      "A model the store does not have is pulled first, as `corral pull` would.\n"
      "Standard input, when it is not a terminal, is put before the prompt arguments.\n"
      "An embedding model prints the input's embedding as a JSON array.\n"
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
