// The OpenAI-compatible API as a translation, like Ollama's middleware: an OpenAI request becomes
// the native chat / generate / embed request, and the native results become OpenAI's objects.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "server/output_parser.h"

namespace corral::server::openai {

using nlohmann::ordered_json;

struct Converted {
  ordered_json native;  // the /api/chat, /api/generate or /api/embed request
  bool stream = false;
  bool include_usage = false;   // stream_options.include_usage
  std::string encoding_format;  // /v1/embeddings: "float" (default) or "base64"
};

// /v1/chat/completions → /api/chat. temperature and top_p default to 1.0 as OpenAI's do;
// max_tokens (or max_completion_tokens) → num_predict; reasoning_effort (or reasoning.effort) →
// think (none → false, minimal → low, xhigh → max); tool_choice "auto" or "none" (the tools are not
// given to the model), others refused; n must be 1.
Result<Converted> chat_request(const ordered_json& body);
// An OpenAI reasoning effort as a native think value (Ollama's mapping: none → false, minimal →
// "low", low/medium/high/max as they are, xhigh/ultra → "max"); 400 for others.
Result<ordered_json> think_from_effort(const ordered_json& effort);
// /v1/completions → /api/generate (prompt must be a string).
Result<Converted> completion_request(const ordered_json& body);
// /v1/embeddings → /api/embed (input: a string or an array of strings).
Result<Converted> embedding_request(const ordered_json& body);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};
ordered_json usage_json(const Usage& u);

// "stop" → "stop", "length" → "length"; "tool_calls" when the answer called tools.
std::string finish_reason(std::string_view done_reason, bool called_tools = false);

// A whole answer: the parsed output, and (when logprobs were asked for) an array of
// {token, logprob, bytes, top_logprobs}.
struct Answer {
  ParsedOutput out;
  ordered_json logprobs;  // null: not asked for
};

// {id, index, type: "function", function: {name, arguments (a JSON string)}}
ordered_json tool_call_json(const ToolCall& call);
// {content: [...]} for an array of token logprobs; null for null.
ordered_json choice_logprobs(const ordered_json& logprobs);

// Whole responses. The chat message carries `reasoning` (the thinking) and `tool_calls` when there
// are any, as Ollama's compatibility layer does.
ordered_json chat_completion(std::string_view id, std::string_view model, int64_t created, const Answer& answer,
                             std::string_view done_reason, const Usage& usage);
ordered_json text_completion(std::string_view id, std::string_view model, int64_t created, const Answer& answer,
                             std::string_view done_reason, const Usage& usage);
// Stream chunks. A chat delta carries the role only in the first chunk; the last one has an
// empty delta and the finish reason. `logprobs` (an array or null) goes on the choice.
ordered_json chat_chunk(std::string_view id, std::string_view model, int64_t created, const ordered_json& delta,
                        const ordered_json& finish_reason, const ordered_json& logprobs = nullptr);
ordered_json text_chunk(std::string_view id, std::string_view model, int64_t created, const std::string& text,
                        const ordered_json& finish_reason, const ordered_json& logprobs = nullptr);
// The usage chunk sent before [DONE] when include_usage (choices empty).
ordered_json usage_chunk(std::string_view id, std::string_view object, std::string_view model, int64_t created,
                         const Usage& usage);

// /api/embed's result → OpenAI's list ("float", or "base64" of little-endian f32).
Result<ordered_json> embedding_list(const ordered_json& native_result, std::string_view model,
                                    std::string_view encoding_format);

// A model object from the store: id, object "model", created (unix), owned_by (namespace).
ordered_json model_object(std::string_view id, int64_t created, std::string_view owned_by);

// {"error":{"message","type","param":null,"code":null}}; type from the status
// (400 invalid_request_error, 404 not_found_error, else api_error).
ordered_json error_body(int status, std::string_view message);

}  // namespace corral::server::openai
