// `corral run`'s interactive chat (Ollama's REPL): `>>> ` prompts with a line editor and history,
// `"""` multi-line input, the /set, /show, /load, /save, /clear, /bye and /? commands, answers
// streamed from /api/chat with word wrap, and Ctrl+C that stops an answer without leaving.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "base/env.h"
#include "cli/api_client.h"

namespace corral::cli {

struct ChatOptions {
  std::string model;
  bool verbose = false;        // the stats block after each answer
  bool wordwrap = true;        // wrap answers at the terminal width
  std::string format;          // "" or "json"
  std::string keepalive;       // "" = the server's default
  std::string think;           // "" = unset, else "true", "false" or a level
  bool hide_thinking = false;  // --hidethinking
};

// --think and /set think values: "true", "false" or a level (high, medium, low, max).
bool valid_think(const std::string& value);
// The request's `think`: a boolean for "true"/"false", else the level.
nlohmann::json think_value(const std::string& value);

// Runs the chat on the terminal until /bye or Ctrl+D; the exit code.
int run_chat_repl(ApiClient& client, ChatOptions options, const Env& env);

// Ollama's stats block (`--verbose`, `/set verbose`) on stderr: the non-zero durations and counts
// of a final response line, with the two token rates.
void print_generation_stats(const nlohmann::json& done);

}  // namespace corral::cli
