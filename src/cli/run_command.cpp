// `corral run MODEL [PROMPT...]`: a client of the running server. This slice is non-interactive
// only: a prompt from the arguments and/or stdin, streamed from /api/generate.
#include <unistd.h>

#include <fmt/format.h>

#include <iostream>
#include <iterator>

#include "base/env.h"
#include "cli/api_client.h"
#include "cli/command.h"
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
  bool nowordwrap = false;  // accepted; nothing is wrapped in non-interactive output
};

// Ollama's stats block (api.Metrics.Summary): only the lines with a non-zero value.
void print_stats(const json& done) {
  using std::chrono::nanoseconds;
  auto ns = [&](const char* key) { return done.value(key, int64_t{0}); };
  auto line = [](std::string_view label, const std::string& value) {
    fmt::print(stderr, "{:<22}{}\n", fmt::format("{}:", label), value);
  };
  auto rate = [](int64_t count, int64_t duration) {
    return fmt::format("{:.2f} tokens/s", static_cast<double>(count) / (static_cast<double>(duration) / 1e9));
  };
  if (ns("total_duration") > 0) line("total duration", sched::format_duration(nanoseconds(ns("total_duration"))));
  if (ns("load_duration") > 0) line("load duration", sched::format_duration(nanoseconds(ns("load_duration"))));
  if (ns("prompt_eval_count") > 0) line("prompt eval count", fmt::format("{} token(s)", ns("prompt_eval_count")));
  if (ns("prompt_eval_duration") > 0) {
    line("prompt eval duration", sched::format_duration(nanoseconds(ns("prompt_eval_duration"))));
    line("prompt eval rate", rate(ns("prompt_eval_count"), ns("prompt_eval_duration")));
  }
  if (ns("eval_count") > 0) line("eval count", fmt::format("{} token(s)", ns("eval_count")));
  if (ns("eval_duration") > 0) {
    line("eval duration", sched::format_duration(nanoseconds(ns("eval_duration"))));
    line("eval rate", rate(ns("eval_count"), ns("eval_duration")));
  }
}

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return kExitError;
}

int run(const RunOptions& o) {
  const bool stdin_is_terminal = isatty(STDIN_FILENO) != 0;
  if (o.prompt.empty() && stdin_is_terminal) {
    // TODO(issue 9, next slice): the interactive REPL (libedit, /set, /show, /load, /save, """).
    fmt::print(stderr, "interactive mode is not implemented yet; pass a prompt or pipe stdin\n");
    return kExitUsage;
  }
  std::vector<std::string> parts = o.prompt;
  if (!stdin_is_terminal) {
    std::string in{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    parts.insert(parts.begin(), std::move(in));
  }
  std::string prompt;
  for (size_t i = 0; i < parts.size(); ++i) prompt += (i ? " " : "") + parts[i];

  json request{{"model", o.model}, {"prompt", prompt}, {"stream", true}};
  if (!o.keepalive.empty()) {
    if (auto d = sched::parse_duration(o.keepalive); !d.ok())
      return fail(fmt::format("invalid --keepalive {:?}: {}", o.keepalive, d.error().to_string()));
    request["keep_alive"] = o.keepalive;
  }
  if (!o.format.empty()) request["format"] = o.format;

  ApiClient client = ApiClient::from_env(Env());
  if (auto show = client.post_json("/api/show", json{{"model", o.model}}); !show.ok()) {
    if (client.last_status() == 404) return fail(fmt::format("model '{}' not found", o.model));
    return fail(show.error().to_string());
  }
  json done;
  Status s = client.post_stream("/api/generate", request, [&](const json& line) {
    if (auto it = line.find("response"); it != line.end() && it->is_string()) {
      fmt::print("{}", it->get<std::string>());
      std::fflush(stdout);
    }
    if (line.value("done", false)) done = line;
    return true;
  });
  if (!s.ok()) {
    fmt::print("\n");
    return fail(s.error().to_string());
  }
  fmt::print("\n");
  std::fflush(stdout);
  if (o.verbose && done.is_object()) print_stats(done);
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
  cmd->add_flag("--nowordwrap", o->nowordwrap, "Do not wrap words (the output is never wrapped in this mode)");
  cmd->footer(
      "Talks to `corral serve` at CORRAL_HOST / OLLAMA_HOST (127.0.0.1:11434). When no server\n"
      "answers, run does not start one: it tells you to run `corral serve` and exits with 1.\n"
      "Standard input, when it is not a terminal, is put before the prompt arguments.\n"
      "Without a prompt and with a terminal on stdin, run would start the interactive chat, which\n"
      "is not implemented yet (exit 2).\n"
      "Examples:\n"
      "  corral run llama3.2 \"Why is the sky blue?\"\n"
      "  echo \"Summarize this\" | corral run llama3.2 --verbose");
  cmd->callback([o, &action] { action = [o] { return run(*o); }; });
}

}  // namespace corral::cli
