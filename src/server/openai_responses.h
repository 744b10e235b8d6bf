// OpenAI's Responses API (/v1/responses) as a translation, as Ollama serves it: stateless (the
// whole conversation comes in `input`), turned into a native /api/chat request, and the parsed
// answer turned into a response object — reasoning, message and function_call output items — or,
// streaming, into the typed server-sent events of OpenAI's Responses streaming.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "server/output_parser.h"

namespace corral::server::responses {

using nlohmann::ordered_json;

struct Converted {
  ordered_json native;  // the /api/chat request
  bool stream = false;
  ordered_json echo;  // the request fields a response object repeats (see response_object)
};

// input: a string (one user message) or a list of items — messages (role system/developer/user/
// assistant, content a string or input_text/output_text parts), function_call, function_call_output,
// reasoning; instructions → a leading system message; max_output_tokens → num_predict; temperature
// defaults to 1.0; reasoning.effort → think; tools ({type: function, name, parameters}) and
// tool_choice auto/none; text.format json_schema → format. Refused with a message: stored state
// (previous_response_id, conversation, background), images and files, other tool types.
Result<Converted> convert_request(const ordered_json& body);

struct Usage {
  int64_t input_tokens = 0, output_tokens = 0;
};

// The response object: id, object "response", created_at, status ("completed", or "incomplete"
// with incomplete_details when the answer hit max_output_tokens), model, output, usage, and the
// echoed request fields.
ordered_json response_object(const ordered_json& echo, const std::string& id, int64_t created_at,
                             const std::string& status, const ordered_json& output, const ordered_json& usage);
ordered_json usage_json(const Usage& u);

// Output items of a whole answer: reasoning (when there is thinking), the message (when there is
// content or no tool call), then one function_call per call.
ordered_json output_items(const std::string& response_id, const ParsedOutput& answer);

struct Event {
  std::string type;
  ordered_json data;  // carries "type" and "sequence_number"
};

// The streaming event sequence: response.created and response.in_progress; then per output item
// output_item.added, its deltas (reasoning_summary_text.delta, content_part.added +
// output_text.delta, function_call_arguments.delta/done), closing events and output_item.done;
// at the end response.completed with the whole response.
class StreamEvents {
 public:
  StreamEvents(ordered_json echo, std::string response_id, int64_t created_at);
  std::vector<Event> start();
  std::vector<Event> add(const ParsedOutput& part);
  std::vector<Event> finish(const std::string& done_reason, const Usage& usage);

 private:
  enum class Open { kNone, kReasoning, kMessage };
  void event(std::vector<Event>& out, const std::string& type, ordered_json data);
  void close(std::vector<Event>& out);
  void open_message(std::vector<Event>& out);
  ordered_json response(const std::string& status, const ordered_json& output, const ordered_json& usage) const;

  ordered_json echo_;
  std::string id_;
  int64_t created_at_;
  int64_t sequence_ = 0;
  int64_t output_index_ = 0;
  Open open_ = Open::kNone;
  std::string item_id_, text_;
  ordered_json done_items_ = ordered_json::array();  // every finished output item, for the final response
};

}  // namespace corral::server::responses
