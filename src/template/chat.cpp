// render_chat: the request in each engine's vocabulary. Jinja templates get Hugging Face's variables
// (messages, tools, add_generation_prompt, bos/eos, enable_thinking); Go templates Ollama's values.
#include "template/chat.h"

#include "template/go_template.h"
#include "template/jinja.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

ordered_json with_system(const ChatRequest& r) {
  ordered_json messages = r.messages.is_array() ? r.messages : ordered_json::array();
  if (r.system.empty()) return messages;
  for (const auto& m : messages)
    if (m.is_object() && m.value("role", "") == "system") return messages;
  ordered_json out = ordered_json::array();
  out.push_back({{"role", "system"}, {"content", r.system}});
  for (auto& m : messages) out.push_back(std::move(m));
  return out;
}

// Hugging Face templates read a tool call's arguments as an object and Ollama's `thinking` as
// `reasoning_content`.
ordered_json jinja_messages(const ordered_json& messages) {
  ordered_json out = ordered_json::array();
  for (const auto& m : messages) {
    ordered_json msg = m;
    if (msg.is_object() && msg.contains("thinking") && !msg.contains("reasoning_content"))
      msg["reasoning_content"] = msg["thinking"];
    if (msg.is_object() && msg.contains("tool_calls") && msg["tool_calls"].is_array()) {
      for (auto& call : msg["tool_calls"]) {
        if (!call.is_object()) continue;
        if (!call.contains("type")) call["type"] = "function";
        if (call.contains("function") && call["function"].is_object() && call["function"].contains("arguments") &&
            call["function"]["arguments"].is_string()) {
          auto parsed = ordered_json::parse(call["function"]["arguments"].get<std::string>(), nullptr, false);
          if (!parsed.is_discarded()) call["function"]["arguments"] = std::move(parsed);
        }
      }
    }
    out.push_back(std::move(msg));
  }
  return out;
}

}  // namespace

Result<RenderedPrompt> render_chat(const ChatRequest& request, const ChatTemplates& templates,
                                   const RenderLimits& limits) {
  ordered_json messages = with_system(request);
  RenderedPrompt out;
  if (templates.go_template || !templates.jinja) {
    out.source = templates.go_template ? TemplateSource::GoTemplate : TemplateSource::Default;
    auto parsed = GoTemplate::parse(templates.go_template ? *templates.go_template : std::string("{{ .Prompt }}"));
    if (!parsed.ok()) return std::move(parsed).error().with_context("parsing the Go template");
    GoTemplateValues values;
    values.messages = std::move(messages);
    if (request.tools.is_array()) values.tools = request.tools;
    values.think = request.think.value_or(false);
    values.think_level = request.think_level;
    values.is_think_set = request.think.has_value();
    if (!request.suffix.empty()) {
      values.suffix = request.suffix;
      for (const auto& m : values.messages)
        if (m.is_object() && m.value("role", "") == "user") values.prompt = m.value("content", "");
    }
    auto rendered = parsed->execute(values, limits);
    if (!rendered.ok()) return std::move(rendered).error().with_context("rendering the Go template");
    out.prompt = std::move(rendered).value();
    return out;
  }
  out.source = TemplateSource::Jinja;
  auto parsed = JinjaTemplate::parse(*templates.jinja);
  if (!parsed.ok()) return std::move(parsed).error().with_context("parsing the chat template");
  ordered_json vars = ordered_json::object();
  vars["messages"] = jinja_messages(messages);
  if (request.tools.is_array() && !request.tools.empty()) vars["tools"] = request.tools;
  vars["add_generation_prompt"] = true;
  vars["bos_token"] = templates.bos_token;
  vars["eos_token"] = templates.eos_token;
  if (request.think) vars["enable_thinking"] = *request.think;
  if (!request.think_level.empty()) vars["reasoning_effort"] = request.think_level;
  auto rendered = parsed->render(vars, limits);
  if (!rendered.ok()) return std::move(rendered).error().with_context("rendering the chat template");
  out.prompt = std::move(rendered).value();
  return out;
}

}  // namespace corral::tmpl
