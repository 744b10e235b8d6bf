// The prompt a runner receives: the request's messages rendered with the model's template, with
// Ollama's rules for /api/generate (system, model MESSAGEs, raw) and for chat history that does
// not fit num_ctx (the oldest turns go first; system messages and the last message stay).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "base/result.h"
#include "server/model_facts.h"
#include "template/chat.h"

namespace corral::server {

// The model's Go TEMPLATE (from the manifest or the request) over the GGUF's Jinja template.
tmpl::ChatTemplates chat_templates(const std::optional<std::string>& go_template, const ModelFacts& facts);

// Renders the request. A Jinja rendering loses a leading BOS text and a trailing EOS text, as
// llama.cpp does, because the runner's tokenizer adds those tokens itself.
Result<std::string> render_prompt(const tmpl::ChatRequest& request, const tmpl::ChatTemplates& templates);

// Counts the tokens of a rendered prompt (the runner's tokenizer).
using TokenCounter = std::function<Result<size_t>(const std::string& prompt)>;

// Renders the chat, dropping the oldest non-system messages until the prompt has at most num_ctx
// tokens; the last message is always kept (the runner then shifts or refuses it).
Result<std::string> render_chat_fitting(tmpl::ChatRequest request, const tmpl::ChatTemplates& templates,
                                        int64_t num_ctx, const TokenCounter& count_tokens);

// /api/generate's messages: the model's MESSAGE history, then the user's prompt.
nlohmann::ordered_json generate_messages(const nlohmann::ordered_json& model_messages, const std::string& prompt);

}  // namespace corral::server
