// /v1/responses translation and events; see openai_responses.h.
#include "server/openai_responses.h"

#include <fmt/format.h>

#include "server/openai.h"

namespace corral::server::responses {
namespace {

// Text of a content list: input_text / output_text parts (a plain string is one text).
Result<std::string> content_text(const ordered_json& content) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return Error::format("content must be a string or a list of parts");
  std::string text;
  for (const auto& part : content) {
    const std::string type = part.is_object() ? part.value("type", "") : "";
    if (type == "input_text" || type == "output_text" || type == "text") {
      text += part.value("text", "");
    } else if (type == "input_image" || type == "input_file") {
      return Error::format("{} is not supported yet by corral", type);
    } else {
      return Error::format("unknown content type \"{}\"", type);
    }
  }
  return text;
}

// Builds the native messages from `input` (see convert_request).
class InputReader {
 public:
  Status read(const ordered_json& input) {
    if (input.is_string()) {
      messages_.push_back({{"role", "user"}, {"content", input}});
      return {};
    }
    if (!input.is_array()) return Error::format("input must be a string or a list of items");
    for (size_t i = 0; i < input.size(); ++i) {
      auto st = item(input[i]);
      if (!st.ok()) return std::move(st).error().with_context(fmt::format("input[{}]", i));
    }
    if (!thinking_.empty()) messages_.push_back({{"role", "assistant"}, {"content", ""}, {"thinking", thinking_}});
    return {};
  }
  ordered_json& messages() { return messages_; }

 private:
  Status item(const ordered_json& it) {
    if (!it.is_object()) return Error::format("an input item is an object");
    std::string type = it.value("type", "");
    if (type.empty() && it.contains("role")) type = "message";
    if (type == "message") return message(it);
    if (type == "function_call") return function_call(it);
    if (type == "function_call_output") return function_output(it);
    if (type == "reasoning") return reasoning(it);
    if (type.empty()) return Error::format("input item missing required 'type' field");
    return Error::format("unknown input item type \"{}\"", type);
  }

  Status message(const ordered_json& it) {
    std::string role = it.value("role", "");
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant") return Error::format("invalid role \"{}\"", role);
    CORRAL_ASSIGN_OR_RETURN(std::string text, content_text(it.contains("content") ? it["content"] : ordered_json()));
    ordered_json m = {{"role", role}, {"content", text}};
    if (role == "assistant" && !thinking_.empty()) m["thinking"] = std::exchange(thinking_, std::string());
    messages_.push_back(std::move(m));
    return {};
  }

  Status function_call(const ordered_json& it) {
    const std::string call_id = it.value("call_id", ""), name = it.value("name", "");
    if (name.empty()) return Error::format("function_call needs a name");
    ordered_json args = ordered_json::object();
    if (it.contains("arguments") && it["arguments"].is_string() && !it["arguments"].get<std::string>().empty()) {
      args = ordered_json::parse(it["arguments"].get<std::string>(), nullptr, false);
      if (args.is_discarded() || !args.is_object())
        return Error::format("failed to parse function call arguments: not a JSON object");
    }
    names_[call_id] = name;
    ordered_json call = {{"id", call_id}, {"function", {{"name", name}, {"arguments", args}}}};
    if (messages_.empty() || messages_.back().value("role", "") != "assistant")
      messages_.push_back({{"role", "assistant"}, {"content", ""}});
    ordered_json& last = messages_.back();
    if (!last.contains("tool_calls")) last["tool_calls"] = ordered_json::array();
    call["function"]["index"] = last["tool_calls"].size();
    last["tool_calls"].push_back(std::move(call));
    if (!thinking_.empty()) last["thinking"] = std::exchange(thinking_, std::string());
    return {};
  }

  Status function_output(const ordered_json& it) {
    const std::string call_id = it.value("call_id", "");
    CORRAL_ASSIGN_OR_RETURN(std::string text, content_text(it.contains("output") ? it["output"] : ordered_json()));
    ordered_json m = {{"role", "tool"}, {"content", text}, {"tool_call_id", call_id}};
    if (auto n = names_.find(call_id); n != names_.end()) m["tool_name"] = n.value();
    messages_.push_back(std::move(m));
    return {};
  }

  Status reasoning(const ordered_json& it) {
    thinking_.clear();
    if (it.contains("encrypted_content") && it["encrypted_content"].is_string()) {
      thinking_ = it["encrypted_content"].get<std::string>();
    } else if (it.contains("summary") && it["summary"].is_array()) {
      for (const auto& s : it["summary"])
        if (s.is_object()) thinking_ += s.value("text", "");
    }
    return {};
  }

  ordered_json messages_ = ordered_json::array();
  ordered_json names_ = ordered_json::object();  // call_id → function name
  std::string thinking_;                         // a reasoning item waiting for its assistant turn
};

Status convert_tools(const ordered_json& body, ordered_json& native, ordered_json& echo) {
  echo["tools"] = ordered_json::array();
  if (!body.contains("tools") || body["tools"].is_null()) return {};
  if (!body["tools"].is_array()) return Error::format("tools must be a list");
  ordered_json tools = ordered_json::array();
  for (const auto& t : body["tools"]) {
    const std::string type = t.is_object() ? t.value("type", "") : "";
    if (type != "function") return Error::format("tool type \"{}\" is not supported: only function tools", type);
    ordered_json fn = {{"name", t.value("name", "")}};
    if (t.contains("description") && t["description"].is_string()) fn["description"] = t["description"];
    fn["parameters"] =
        t.contains("parameters") && t["parameters"].is_object() ? t["parameters"] : ordered_json{{"type", "object"}};
    tools.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  echo["tools"] = body["tools"];
  std::string choice = "auto";
  if (body.contains("tool_choice") && !body["tool_choice"].is_null()) {
    if (!body["tool_choice"].is_string())
      return Error::format("tool_choice naming a function is not supported: use \"auto\" or \"none\"");
    choice = body["tool_choice"].get<std::string>();
    if (choice != "auto" && choice != "none")
      return Error::format("tool_choice \"{}\" is not supported: use \"auto\" or \"none\"", choice);
  }
  echo["tool_choice"] = choice;
  if (choice == "auto" && !tools.empty()) native["tools"] = std::move(tools);
  return {};
}

Status convert_text_format(const ordered_json& body, ordered_json& native, ordered_json& echo) {
  echo["text"] = {{"format", {{"type", "text"}}}};
  if (!body.contains("text") || !body["text"].is_object() || !body["text"].contains("format")) return {};
  const ordered_json& f = body["text"]["format"];
  const std::string type = f.is_object() ? f.value("type", "") : "";
  if (type == "json_schema") {
    native["format"] = f.contains("schema") ? f["schema"] : ordered_json::object();
  } else if (type == "json_object") {
    native["format"] = "json";
  } else if (type != "text") {
    return Error::format("invalid text.format type \"{}\"", type);
  }
  echo["text"] = {{"format", f}};
  return {};
}

ordered_json output_text_part(const std::string& text) {
  return {{"type", "output_text"},
          {"text", text},
          {"annotations", ordered_json::array()},
          {"logprobs", ordered_json::array()}};
}

ordered_json message_item(const std::string& id, const std::string& status, const ordered_json& content) {
  return {{"id", id}, {"type", "message"}, {"status", status}, {"role", "assistant"}, {"content", content}};
}

ordered_json reasoning_item(const std::string& id, const std::string& text) {
  return {{"id", id},
          {"type", "reasoning"},
          {"summary", ordered_json::array({{{"type", "summary_text"}, {"text", text}}})},
          {"encrypted_content", text}};
}

ordered_json function_call_item(const std::string& id, const std::string& status, const ToolCall& call,
                                const std::string& arguments) {
  return {{"id", id},           {"type", "function_call"}, {"status", status},
          {"call_id", call.id}, {"name", call.name},       {"arguments", arguments}};
}

// "resp_123" → "123": item ids share the response's number.
std::string suffix_of(const std::string& response_id) {
  const size_t u = response_id.find('_');
  return u == std::string::npos ? response_id : response_id.substr(u + 1);
}

}  // namespace

Result<Converted> convert_request(const ordered_json& body) {
  if (!body.is_object()) return Error::format("request body must be a JSON object");
  if (!body.contains("model") || !body["model"].is_string() || body["model"].get<std::string>().empty())
    return Error::format("model is required");
  for (const char* key : {"previous_response_id", "conversation"})
    if (body.contains(key) && !body[key].is_null())
      return Error::format("{} is not supported: corral stores no responses; send the whole conversation in input",
                           key);
  if (body.value("background", false)) return Error::format("background responses are not supported");
  Converted c;
  c.stream = body.value("stream", false);
  ordered_json& echo = c.echo;
  echo["model"] = body["model"];
  InputReader reader;
  if (body.contains("instructions") && body["instructions"].is_string() &&
      !body["instructions"].get<std::string>().empty()) {
    reader.messages().push_back({{"role", "system"}, {"content", body["instructions"]}});
    echo["instructions"] = body["instructions"];
  } else {
    echo["instructions"] = nullptr;
  }
  CORRAL_TRY(reader.read(body.contains("input") ? body["input"] : ordered_json()));
  ordered_json native = {{"model", body["model"]}, {"messages", reader.messages()}, {"stream", c.stream}};
  ordered_json options = ordered_json::object();
  options["temperature"] =
      body.contains("temperature") && !body["temperature"].is_null() ? body["temperature"] : ordered_json(1.0);
  if (body.contains("top_p") && !body["top_p"].is_null()) options["top_p"] = body["top_p"];
  if (body.contains("max_output_tokens") && !body["max_output_tokens"].is_null())
    options["num_predict"] = body["max_output_tokens"];
  native["options"] = std::move(options);
  echo["temperature"] = native["options"]["temperature"];
  echo["top_p"] = body.contains("top_p") && !body["top_p"].is_null() ? body["top_p"] : ordered_json(1.0);
  echo["max_output_tokens"] = body.contains("max_output_tokens") ? body["max_output_tokens"] : ordered_json();
  echo["truncation"] =
      body.contains("truncation") && body["truncation"].is_string() ? body["truncation"] : ordered_json("disabled");
  echo["reasoning"] = nullptr;
  if (body.contains("reasoning") && body["reasoning"].is_object()) {
    const ordered_json& r = body["reasoning"];
    if (r.contains("effort") && !r["effort"].is_null()) {
      CORRAL_ASSIGN_OR_RETURN(native["think"], openai::think_from_effort(r["effort"]));
    }
    echo["reasoning"] = {{"effort", r.contains("effort") ? r["effort"] : ordered_json()},
                         {"summary", r.contains("summary") ? r["summary"] : ordered_json()}};
  }
  CORRAL_TRY(convert_tools(body, native, echo));
  CORRAL_TRY(convert_text_format(body, native, echo));
  c.native = std::move(native);
  return c;
}

ordered_json usage_json(const Usage& u) {
  return {{"input_tokens", u.input_tokens},
          {"input_tokens_details", {{"cached_tokens", 0}}},
          {"output_tokens", u.output_tokens},
          {"output_tokens_details", {{"reasoning_tokens", 0}}},
          {"total_tokens", u.input_tokens + u.output_tokens}};
}

ordered_json response_object(const ordered_json& echo, const std::string& id, int64_t created_at,
                             const std::string& status, const ordered_json& output, const ordered_json& usage) {
  auto get = [&](const char* key) { return echo.contains(key) ? echo[key] : ordered_json(); };
  ordered_json r = {{"id", id},
                    {"object", "response"},
                    {"created_at", created_at},
                    {"status", status},
                    {"background", false},
                    {"error", nullptr},
                    {"incomplete_details", nullptr},
                    {"instructions", get("instructions")},
                    {"max_output_tokens", get("max_output_tokens")},
                    {"model", get("model")},
                    {"output", output},
                    {"parallel_tool_calls", true},
                    {"previous_response_id", nullptr},
                    {"reasoning", get("reasoning")},
                    {"service_tier", "default"},
                    {"store", false},
                    {"temperature", get("temperature")},
                    {"text", get("text")},
                    {"tool_choice", echo.contains("tool_choice") ? echo["tool_choice"] : ordered_json("auto")},
                    {"tools", echo.contains("tools") ? echo["tools"] : ordered_json::array()},
                    {"top_p", get("top_p")},
                    {"truncation", get("truncation")},
                    {"usage", usage},
                    {"metadata", ordered_json::object()}};
  if (status == "incomplete") r["incomplete_details"] = {{"reason", "max_output_tokens"}};
  return r;
}

ordered_json output_items(const std::string& response_id, const ParsedOutput& answer) {
  const std::string n = suffix_of(response_id);
  ordered_json items = ordered_json::array();
  if (!answer.thinking.empty()) items.push_back(reasoning_item("rs_" + n, answer.thinking));
  if (!answer.content.empty() || answer.tool_calls.empty())
    items.push_back(message_item("msg_" + n, "completed", ordered_json::array({output_text_part(answer.content)})));
  for (size_t i = 0; i < answer.tool_calls.size(); ++i) {
    const ToolCall& c = answer.tool_calls[i];
    items.push_back(function_call_item(fmt::format("fc_{}_{}", n, i), "completed", c, c.arguments.dump()));
  }
  return items;
}

// ---- streaming

StreamEvents::StreamEvents(ordered_json echo, std::string response_id, int64_t created_at)
    : echo_(std::move(echo)), id_(std::move(response_id)), created_at_(created_at) {}

void StreamEvents::event(std::vector<Event>& out, const std::string& type, ordered_json data) {
  ordered_json d = {{"type", type}, {"sequence_number", sequence_++}};
  d.update(data);
  out.push_back({type, std::move(d)});
}

ordered_json StreamEvents::response(const std::string& status, const ordered_json& output,
                                    const ordered_json& usage) const {
  return response_object(echo_, id_, created_at_, status, output, usage);
}

std::vector<Event> StreamEvents::start() {
  std::vector<Event> out;
  event(out, "response.created", {{"response", response("in_progress", ordered_json::array(), nullptr)}});
  event(out, "response.in_progress", {{"response", response("in_progress", ordered_json::array(), nullptr)}});
  return out;
}

void StreamEvents::open_message(std::vector<Event>& out) {
  open_ = Open::kMessage;
  item_id_ = fmt::format("msg_{}_{}", suffix_of(id_), output_index_);
  event(out, "response.output_item.added",
        {{"output_index", output_index_}, {"item", message_item(item_id_, "in_progress", ordered_json::array())}});
  event(out, "response.content_part.added",
        {{"item_id", item_id_}, {"output_index", output_index_}, {"content_index", 0}, {"part", output_text_part("")}});
}

void StreamEvents::close(std::vector<Event>& out) {
  const ordered_json where = {{"item_id", item_id_}, {"output_index", output_index_}};
  ordered_json item;
  if (open_ == Open::kReasoning) {
    ordered_json part = {{"type", "summary_text"}, {"text", text_}};
    ordered_json at = where;
    at["summary_index"] = 0;
    ordered_json done = at;
    done["text"] = text_;
    event(out, "response.reasoning_summary_text.done", done);
    at["part"] = part;
    event(out, "response.reasoning_summary_part.done", at);
    item = reasoning_item(item_id_, text_);
  } else if (open_ == Open::kMessage) {
    ordered_json at = where;
    at["content_index"] = 0;
    ordered_json done = at;
    done["text"] = text_;
    done["logprobs"] = ordered_json::array();
    event(out, "response.output_text.done", done);
    at["part"] = output_text_part(text_);
    event(out, "response.content_part.done", at);
    item = message_item(item_id_, "completed", ordered_json::array({output_text_part(text_)}));
  } else {
    return;
  }
  event(out, "response.output_item.done", {{"output_index", output_index_}, {"item", item}});
  done_items_.push_back(std::move(item));
  ++output_index_;
  open_ = Open::kNone;
  text_.clear();
}

std::vector<Event> StreamEvents::add(const ParsedOutput& part) {
  std::vector<Event> out;
  if (!part.thinking.empty()) {
    if (open_ != Open::kReasoning) {
      close(out);
      open_ = Open::kReasoning;
      item_id_ = fmt::format("rs_{}_{}", suffix_of(id_), output_index_);
      event(out, "response.output_item.added",
            {{"output_index", output_index_},
             {"item", {{"id", item_id_}, {"type", "reasoning"}, {"summary", ordered_json::array()}}}});
      event(out, "response.reasoning_summary_part.added",
            {{"item_id", item_id_},
             {"output_index", output_index_},
             {"summary_index", 0},
             {"part", {{"type", "summary_text"}, {"text", ""}}}});
    }
    text_ += part.thinking;
    event(out, "response.reasoning_summary_text.delta",
          {{"item_id", item_id_}, {"output_index", output_index_}, {"summary_index", 0}, {"delta", part.thinking}});
  }
  if (!part.content.empty()) {
    if (open_ != Open::kMessage) {
      close(out);
      open_message(out);
    }
    text_ += part.content;
    event(out, "response.output_text.delta",
          {{"item_id", item_id_},
           {"output_index", output_index_},
           {"content_index", 0},
           {"delta", part.content},
           {"logprobs", ordered_json::array()}});
  }
  for (const ToolCall& call : part.tool_calls) {
    close(out);
    const std::string id = fmt::format("fc_{}_{}", suffix_of(id_), output_index_);
    const std::string args = call.arguments.dump();
    const ordered_json where = {{"item_id", id}, {"output_index", output_index_}};
    event(out, "response.output_item.added",
          {{"output_index", output_index_}, {"item", function_call_item(id, "in_progress", call, "")}});
    ordered_json delta = where;
    delta["delta"] = args;
    event(out, "response.function_call_arguments.delta", delta);
    ordered_json done = where;
    done["arguments"] = args;
    event(out, "response.function_call_arguments.done", done);
    ordered_json item = function_call_item(id, "completed", call, args);
    event(out, "response.output_item.done", {{"output_index", output_index_}, {"item", item}});
    done_items_.push_back(std::move(item));
    ++output_index_;
  }
  return out;
}

std::vector<Event> StreamEvents::finish(const std::string& done_reason, const Usage& usage) {
  std::vector<Event> out;
  if (done_items_.empty() && open_ == Open::kNone) open_message(out);  // an empty answer is an empty message
  close(out);
  const std::string status = done_reason == "length" ? "incomplete" : "completed";
  event(out, status == "completed" ? "response.completed" : "response.incomplete",
        {{"response", response(status, done_items_, usage_json(usage))}});
  return out;
}

}  // namespace corral::server::responses
