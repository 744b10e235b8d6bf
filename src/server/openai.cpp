// OpenAI ↔ native translation; see openai.h. Field rules follow Ollama's openai middleware.
#include "server/openai.h"

#include <openssl/evp.h>

#include <cstring>
#include <vector>

namespace corral::server::openai {
namespace {

// temperature / top_p default to 1.0 (OpenAI's defaults), the rest only when given.
Result<ordered_json> sampling_options(const ordered_json& body) {
  ordered_json options = ordered_json::object();
  for (const char* key : {"temperature", "top_p"})
    options[key] = body.contains(key) && !body[key].is_null() ? body[key] : ordered_json(1.0);
  for (const char* key : {"seed", "frequency_penalty", "presence_penalty"})
    if (body.contains(key) && !body[key].is_null()) options[key] = body[key];
  for (const char* key : {"max_tokens", "max_completion_tokens"})
    if (body.contains(key) && !body[key].is_null()) options["num_predict"] = body[key];
  if (body.contains("stop") && !body["stop"].is_null()) {
    const auto& stop = body["stop"];
    if (stop.is_string())
      options["stop"] = ordered_json::array({stop});
    else if (stop.is_array())
      options["stop"] = stop;
    else
      return Error::format("stop must be a string or an array of strings");
  }
  return options;
}

Status require_model(const ordered_json& body) {
  if (!body.is_object()) return Error::format("request body must be a JSON object");
  if (!body.contains("model") || !body["model"].is_string() || body["model"].get<std::string>().empty())
    return Error::format("model is required");
  return {};
}

void read_stream_flags(const ordered_json& body, Converted& c) {
  c.stream = body.value("stream", false);
  if (body.contains("stream_options") && body["stream_options"].is_object())
    c.include_usage = body["stream_options"].value("include_usage", false);
}

// response_format: "text" is plain generation; json_object / json_schema ask for constrained output.
Status apply_response_format(const ordered_json& body, ordered_json& native) {
  if (!body.contains("response_format") || body["response_format"].is_null()) return {};
  const auto& rf = body["response_format"];
  std::string type = rf.is_object() ? rf.value("type", "") : "";
  if (type == "text") return {};
  if (type == "json_object") {
    native["format"] = "json";
    return {};
  }
  if (type == "json_schema" && rf.contains("json_schema") && rf["json_schema"].is_object()) {
    native["format"] = rf["json_schema"].value("schema", ordered_json::object());
    return {};
  }
  return Error::format("invalid response_format type \"{}\"", type);
}

// One OpenAI message → native messages (content parts become one message each, as Ollama does).
Status convert_message(const ordered_json& m, const ordered_json& tool_names, ordered_json& out) {
  if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
    return Error::format("each message needs a string role");
  std::string role = m["role"].get<std::string>();
  if (role == "developer") role = "system";
  ordered_json base = {{"role", role}};
  // Ollama reads `reasoning`; clients such as the AI SDK send the thinking back as `reasoning_content`.
  for (const char* key : {"reasoning", "reasoning_content"})
    if (m.contains(key) && m[key].is_string() && !base.contains("thinking")) base["thinking"] = m[key];
  if (role == "tool") {
    std::string name = m.value("name", "");
    std::string id = m.value("tool_call_id", "");
    if (name.empty() && !id.empty() && tool_names.contains(id)) name = tool_names[id].get<std::string>();
    if (!name.empty()) base["tool_name"] = name;
    if (!id.empty()) base["tool_call_id"] = id;
  }
  if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
    ordered_json calls = ordered_json::array();
    int index = 0;
    for (const auto& call : m["tool_calls"]) {
      if (!call.is_object() || !call.contains("function") || !call["function"].is_object())
        return Error::format("invalid tool call");
      const auto& fn = call["function"];
      ordered_json args = ordered_json::object();
      if (fn.contains("arguments") && fn["arguments"].is_string()) {
        args = ordered_json::parse(fn["arguments"].get<std::string>(), nullptr, false);
        if (args.is_discarded()) return Error::format("tool call arguments must be a JSON object");
      } else if (fn.contains("arguments")) {
        args = fn["arguments"];
      }
      calls.push_back({{"id", call.value("id", "")},
                       {"function", {{"index", index++}, {"name", fn.value("name", "")}, {"arguments", args}}}});
    }
    base["tool_calls"] = std::move(calls);
  }
  const ordered_json content = m.contains("content") ? m["content"] : ordered_json();
  if (content.is_null() || content.is_string()) {
    base["content"] = content.is_string() ? content.get<std::string>() : "";
    out.push_back(std::move(base));
    return {};
  }
  if (!content.is_array()) return Error::format("invalid message content type");
  for (const auto& part : content) {
    std::string type = part.is_object() ? part.value("type", "") : "";
    ordered_json msg = base;
    if (type == "text") {
      msg["content"] = part.value("text", "");
    } else if (type == "image_url") {
      const auto& url = part.contains("image_url") ? part["image_url"] : ordered_json();
      std::string u = url.is_object() ? url.value("url", "") : (url.is_string() ? url.get<std::string>() : "");
      auto comma = u.find(',');
      if (!u.starts_with("data:") || comma == std::string::npos)
        return Error::format("invalid image input: only base64 data URLs are supported");
      msg["content"] = "";
      msg["images"] = ordered_json::array({u.substr(comma + 1)});
    } else {
      return Error::format("invalid message part type \"{}\"", type);
    }
    out.push_back(std::move(msg));
  }
  return {};
}

ordered_json base_object(std::string_view id, std::string_view object, std::string_view model, int64_t created) {
  return {{"id", id}, {"object", object}, {"created", created}, {"model", model}, {"system_fingerprint", "fp_ollama"}};
}

// n: one choice is all corral returns.
Status require_one_choice(const ordered_json& body) {
  if (!body.contains("n") || body["n"].is_null()) return {};
  if (!body["n"].is_number_integer() || body["n"].get<int64_t>() != 1)
    return Error::format("n must be 1: corral returns one choice per request");
  return {};
}

// reasoning_effort / reasoning.effort → native think.
Status apply_reasoning(const ordered_json& body, ordered_json& native) {
  ordered_json effort;
  if (body.contains("reasoning") && body["reasoning"].is_object() && body["reasoning"].contains("effort"))
    effort = body["reasoning"]["effort"];
  else if (body.contains("reasoning_effort"))
    effort = body["reasoning_effort"];
  if (effort.is_null()) return {};
  CORRAL_ASSIGN_OR_RETURN(native["think"], think_from_effort(effort));
  return {};
}

// tools and tool_choice: "auto" (the default) gives the tools to the model, "none" does not.
Status apply_tools(const ordered_json& body, ordered_json& native) {
  if (!body.contains("tools") || body["tools"].is_null()) return {};
  if (!body["tools"].is_array()) return Error::format("tools must be an array");
  std::string choice = "auto";
  if (body.contains("tool_choice") && !body["tool_choice"].is_null()) {
    const auto& c = body["tool_choice"];
    if (!c.is_string())
      return Error::format("tool_choice naming a function is not supported: use \"auto\" or \"none\"");
    choice = c.get<std::string>();
    if (choice != "auto" && choice != "none")
      return Error::format("tool_choice \"{}\" is not supported: use \"auto\" or \"none\"", choice);
  }
  if (choice == "auto") native["tools"] = body["tools"];
  return {};
}

}  // namespace

Result<ordered_json> think_from_effort(const ordered_json& effort) {
  const std::string e = effort.is_string() ? effort.get<std::string>() : std::string();
  if (e == "none") return ordered_json(false);
  if (e == "minimal") return ordered_json("low");
  if (e == "low" || e == "medium" || e == "high" || e == "max") return ordered_json(e);
  if (e == "xhigh" || e == "ultra") return ordered_json("max");
  return Error::format(
      "invalid reasoning value: {} (must be \"none\", \"minimal\", \"low\", \"medium\", \"high\", \"xhigh\" or "
      "\"max\")",
      effort.dump());
}

Result<Converted> chat_request(const ordered_json& body) {
  CORRAL_TRY(require_model(body));
  CORRAL_TRY(require_one_choice(body));
  if (!body.contains("messages") || !body["messages"].is_array()) return Error::format("messages must be an array");
  Converted c;
  read_stream_flags(body, c);
  ordered_json tool_names = ordered_json::object();  // tool_call_id → function name
  for (const auto& m : body["messages"])
    if (m.is_object() && m.contains("tool_calls") && m["tool_calls"].is_array())
      for (const auto& call : m["tool_calls"])
        if (call.is_object() && call.contains("id") && call["id"].is_string() && call.contains("function") &&
            call["function"].is_object())
          tool_names[call["id"].get<std::string>()] = call["function"].value("name", "");
  ordered_json messages = ordered_json::array();
  for (const auto& m : body["messages"]) CORRAL_TRY(convert_message(m, tool_names, messages));
  ordered_json native = {{"model", body["model"]}, {"messages", std::move(messages)}, {"stream", c.stream}};
  CORRAL_ASSIGN_OR_RETURN(native["options"], sampling_options(body));
  CORRAL_TRY(apply_tools(body, native));
  CORRAL_TRY(apply_reasoning(body, native));
  CORRAL_TRY(apply_response_format(body, native));
  if (body.contains("logprobs") && body["logprobs"].is_boolean()) native["logprobs"] = body["logprobs"];
  if (body.contains("top_logprobs") && body["top_logprobs"].is_number_integer())
    native["top_logprobs"] = body["top_logprobs"];
  c.native = std::move(native);
  return c;
}

Result<Converted> completion_request(const ordered_json& body) {
  CORRAL_TRY(require_model(body));
  CORRAL_TRY(require_one_choice(body));
  if (!body.contains("prompt") || !body["prompt"].is_string()) return Error::format("prompt must be a string");
  Converted c;
  read_stream_flags(body, c);
  ordered_json native = {{"model", body["model"]}, {"prompt", body["prompt"]}, {"stream", c.stream}};
  CORRAL_ASSIGN_OR_RETURN(native["options"], sampling_options(body));
  if (body.contains("suffix") && body["suffix"].is_string() && !body["suffix"].get<std::string>().empty())
    native["suffix"] = body["suffix"];
  if (body.contains("logprobs") && body["logprobs"].is_number_integer()) {
    native["logprobs"] = true;
    native["top_logprobs"] = body["logprobs"];
  }
  c.native = std::move(native);
  return c;
}

Result<Converted> embedding_request(const ordered_json& body) {
  CORRAL_TRY(require_model(body));
  const ordered_json input = body.contains("input") ? body["input"] : ordered_json();
  if (input.is_array()) {
    for (const auto& e : input)
      if (!e.is_string()) return Error::format("invalid input: only strings and arrays of strings are supported");
  } else if (!input.is_string()) {
    return Error::format("invalid input: only strings and arrays of strings are supported");
  }
  Converted c;
  c.native = {{"model", body["model"]}, {"input", input}};
  c.encoding_format = body.value("encoding_format", "float");
  if (body.contains("dimensions") && !body["dimensions"].is_null()) c.native["dimensions"] = body["dimensions"];
  return c;
}

ordered_json usage_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

std::string finish_reason(std::string_view done_reason, bool called_tools) {
  if (called_tools) return "tool_calls";
  return done_reason == "length" ? "length" : "stop";
}

ordered_json tool_call_json(const ToolCall& call) {
  return {{"id", call.id},
          {"index", call.index},
          {"type", "function"},
          {"function", {{"name", call.name}, {"arguments", call.arguments.dump()}}}};
}

ordered_json choice_logprobs(const ordered_json& logprobs) {
  if (!logprobs.is_array()) return nullptr;
  return {{"content", logprobs}};
}

ordered_json chat_completion(std::string_view id, std::string_view model, int64_t created, const Answer& answer,
                             std::string_view done_reason, const Usage& usage) {
  ordered_json out = base_object(id, "chat.completion", model, created);
  ordered_json message = {{"role", "assistant"}, {"content", answer.out.content}};
  if (!answer.out.thinking.empty()) message["reasoning"] = answer.out.thinking;
  if (!answer.out.tool_calls.empty()) {
    message["tool_calls"] = ordered_json::array();
    for (const auto& c : answer.out.tool_calls) message["tool_calls"].push_back(tool_call_json(c));
  }
  ordered_json choice = {{"index", 0},
                         {"message", std::move(message)},
                         {"finish_reason", finish_reason(done_reason, !answer.out.tool_calls.empty())}};
  if (answer.logprobs.is_array()) choice["logprobs"] = choice_logprobs(answer.logprobs);
  out["choices"] = ordered_json::array({std::move(choice)});
  out["usage"] = usage_json(usage);
  return out;
}

ordered_json text_completion(std::string_view id, std::string_view model, int64_t created, const Answer& answer,
                             std::string_view done_reason, const Usage& usage) {
  ordered_json out = base_object(id, "text_completion", model, created);
  out["choices"] = ordered_json::array({{{"text", answer.out.content},
                                         {"index", 0},
                                         {"logprobs", choice_logprobs(answer.logprobs)},
                                         {"finish_reason", finish_reason(done_reason)}}});
  out["usage"] = usage_json(usage);
  return out;
}

ordered_json chat_chunk(std::string_view id, std::string_view model, int64_t created, const ordered_json& delta,
                        const ordered_json& finish_reason, const ordered_json& logprobs) {
  ordered_json out = base_object(id, "chat.completion.chunk", model, created);
  ordered_json choice = {{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}};
  if (logprobs.is_array()) choice["logprobs"] = choice_logprobs(logprobs);
  out["choices"] = ordered_json::array({std::move(choice)});
  return out;
}

ordered_json text_chunk(std::string_view id, std::string_view model, int64_t created, const std::string& text,
                        const ordered_json& finish_reason, const ordered_json& logprobs) {
  ordered_json out = base_object(id, "text_completion", model, created);
  ordered_json choice = {{"text", text}, {"index", 0}, {"finish_reason", finish_reason}};
  if (logprobs.is_array()) choice["logprobs"] = choice_logprobs(logprobs);
  out["choices"] = ordered_json::array({std::move(choice)});
  return out;
}

ordered_json usage_chunk(std::string_view id, std::string_view object, std::string_view model, int64_t created,
                         const Usage& usage) {
  ordered_json out = base_object(id, object, model, created);
  out["choices"] = ordered_json::array();
  out["usage"] = usage_json(usage);
  return out;
}

Result<ordered_json> embedding_list(const ordered_json& native_result, std::string_view model,
                                    std::string_view encoding_format) {
  if (!encoding_format.empty() && encoding_format != "float" && encoding_format != "base64")
    return Error::format("invalid encoding_format \"{}\": use float or base64", encoding_format);
  ordered_json data = ordered_json::array();
  const auto& embeddings = native_result.at("embeddings");
  for (size_t i = 0; i < embeddings.size(); ++i) {
    ordered_json item = {{"object", "embedding"}, {"embedding", embeddings[i]}, {"index", i}};
    if (encoding_format == "base64") {
      std::vector<float> values = embeddings[i].get<std::vector<float>>();
      std::vector<unsigned char> bytes(values.size() * sizeof(float));
      std::memcpy(bytes.data(), values.data(), bytes.size());  // x86-64 is little-endian
      std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
      int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), bytes.data(),
                              static_cast<int>(bytes.size()));
      encoded.resize(static_cast<size_t>(n));
      item["embedding"] = encoded;
    }
    data.push_back(std::move(item));
  }
  int64_t tokens = native_result.value("prompt_eval_count", int64_t{0});
  return ordered_json{{"object", "list"},
                      {"data", std::move(data)},
                      {"model", model},
                      {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
}

ordered_json model_object(std::string_view id, int64_t created, std::string_view owned_by) {
  return {{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", owned_by}};
}

ordered_json error_body(int status, std::string_view message) {
  std::string_view type = status == 400 ? "invalid_request_error" : status == 404 ? "not_found_error" : "api_error";
  return {{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}};
}

}  // namespace corral::server::openai
