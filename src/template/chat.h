// Chat request → prompt, choosing the template like Ollama: the Modelfile/manifest TEMPLATE (Go)
// first, else the GGUF's Jinja `tokenizer.chat_template`, else `{{ .Prompt }}`.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "base/result.h"
#include "template/limits.h"

namespace corral::tmpl {

struct ChatRequest {
  // Ollama API messages: role, content, thinking, images, tool_calls, tool_name, tool_call_id.
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  nlohmann::ordered_json tools = nlohmann::ordered_json::array();
  std::string system;  // the model's SYSTEM; used when the messages carry no system message
  std::optional<bool> think;
  std::string think_level;  // "low" | "medium" | "high" | "max" (think is then true)
  // Fill-in-the-middle (/api/generate's suffix): a Go template runs once on .Prompt (the last
  // user message) and .Suffix.
  std::string suffix;
};

struct ChatTemplates {
  std::optional<std::string> go_template;  // Modelfile TEMPLATE
  std::optional<std::string> jinja;        // GGUF tokenizer.chat_template
  std::string bos_token;                   // for Jinja
  std::string eos_token;
};

enum class TemplateSource { GoTemplate, Jinja, Default };

struct RenderedPrompt {
  std::string prompt;
  TemplateSource source = TemplateSource::Default;
};

Result<RenderedPrompt> render_chat(const ChatRequest& request, const ChatTemplates& templates,
                                   const RenderLimits& limits = {});

}  // namespace corral::tmpl
