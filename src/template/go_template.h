// Ollama's Go templates: text/template parsed with missingkey=zero plus Ollama's functions, and
// executed the way Ollama does it (collated messages; per-turn for templates without .Messages).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "template/limits.h"
#include "template/value.h"

namespace corral::tmpl {

namespace gotmpl {
struct Tree;
}

// What Ollama passes to a template. Messages and tools use Ollama's API JSON names (role, content,
// thinking, images, tool_calls, tool_name, tool_call_id; type, function, ...).
struct GoTemplateValues {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  nlohmann::ordered_json tools = nlohmann::ordered_json::array();
  std::string prompt;
  std::string suffix;
  bool think = false;
  std::string think_level;
  bool is_think_set = false;
};

class GoTemplate {
 public:
  // Parses like Ollama's template.Parse: appends {{ .Response }} when the template mentions neither
  // .Messages nor .Response; fails on syntax errors and on {{template}} calls without a pipeline.
  static Result<GoTemplate> parse(std::string_view source);

  // Lower-cased field names the template uses, sorted and unique (Ollama's Vars()).
  const std::vector<std::string>& vars() const { return vars_; }
  bool uses(std::string_view var) const;

  Result<std::string> execute(const GoTemplateValues& values, const RenderLimits& limits = {}) const;

  // Runs the template once on arbitrary data (no Ollama conventions).
  Result<std::string> execute_data(const Value& data, const RenderLimits& limits = {}) const;

  const std::string& source() const { return source_; }

 private:
  Result<std::string> execute_legacy(const GoTemplateValues& values, const nlohmann::ordered_json& collated,
                                     const RenderLimits& limits) const;

  std::string source_;
  std::shared_ptr<const gotmpl::Tree> tree_;
  std::vector<std::string> vars_;
};

// Ollama's collate(): all system contents joined by "\n\n", and consecutive messages of the same
// role merged (content joined by "\n\n"), except tool messages.
struct Collated {
  std::string system;
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
};
Collated collate(const nlohmann::ordered_json& messages);

// API JSON → the structs templates see (.Role, .Content, .ToolCalls[].Function.Arguments, ...).
Result<Value> go_message_value(const nlohmann::ordered_json& message);
Result<Value> go_tool_value(const nlohmann::ordered_json& tool);

}  // namespace corral::tmpl
