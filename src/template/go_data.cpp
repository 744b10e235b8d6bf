// Ollama's data model for Go templates: collation of messages and the Go structs of messages and
// tools (field names as Go spells them, JSON numbers as float64 like encoding/json decodes them).
#include <algorithm>

#include "template/go_template.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

std::string string_field(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Free-form JSON (arguments, items, enum values): maps with sorted keys, numbers as float64.
Result<Value> any_value(const ordered_json& j, int depth) {
  if (depth > kMaxValueDepth) return Error::format("input nested deeper than {} levels", kMaxValueDepth);
  if (j.is_number()) return Value::number(j.get<double>());
  if (j.is_array()) {
    std::vector<Value> items;
    for (const auto& e : j) {
      CORRAL_ASSIGN_OR_RETURN(Value v, any_value(e, depth + 1));
      items.push_back(std::move(v));
    }
    return Value::array(std::move(items));
  }
  if (j.is_object()) {
    Entries entries;
    for (const auto& [k, e] : j.items()) {
      CORRAL_ASSIGN_OR_RETURN(Value v, any_value(e, depth + 1));
      entries.emplace_back(k, std::move(v));
    }
    return Value::object(std::move(entries), ObjectStyle::GoMap);
  }
  return Value::from_json(j, ObjectStyle::GoMap);
}

Result<Value> optional_any(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Value::none();
  return any_value(*it, 1);
}

Value string_array(const ordered_json& j, const char* key) {
  std::vector<Value> items;
  auto it = j.find(key);
  if (it != j.end() && it->is_array())
    for (const auto& e : *it)
      if (e.is_string()) items.push_back(Value::string(e.get<std::string>()));
  return Value::array(std::move(items));
}

Result<Value> property_value(const ordered_json& p, int depth) {
  if (depth > 32) return Error("tool parameters nested too deeply");
  if (!p.is_object()) return any_value(p, depth);
  std::vector<Value> any_of;
  if (auto it = p.find("anyOf"); it != p.end() && it->is_array()) {
    for (const auto& e : *it) {
      CORRAL_ASSIGN_OR_RETURN(Value v, property_value(e, depth + 1));
      any_of.push_back(std::move(v));
    }
  }
  Value type = Value::string("");
  if (auto it = p.find("type"); it != p.end()) {
    if (it->is_string()) type = Value::string(it->get<std::string>());
    if (it->is_array()) type = string_array(p, "type");
  }
  Value items;
  if (auto it = p.find("items"); it != p.end() && it->is_object()) {
    CORRAL_ASSIGN_OR_RETURN(items, property_value(*it, depth + 1));
  } else {
    CORRAL_ASSIGN_OR_RETURN(items, optional_any(p, "items"));
  }
  Value enums = Value::array({});
  if (auto it = p.find("enum"); it != p.end() && it->is_array()) {
    CORRAL_ASSIGN_OR_RETURN(enums, any_value(*it, depth + 1));
  }
  Value props = Value::object({}, ObjectStyle::GoMap);
  bool has_props = false;
  if (auto it = p.find("properties"); it != p.end() && it->is_object()) {
    has_props = true;
    for (const auto& [k, e] : it->items()) {
      CORRAL_ASSIGN_OR_RETURN(Value v, property_value(e, depth + 1));
      props.mutable_obj().set(k, std::move(v));
    }
  }
  Entries fields{{"AnyOf", Value::array(std::move(any_of))},
                 {"Type", std::move(type)},
                 {"Items", std::move(items)},
                 {"Description", Value::string(string_field(p, "description"))},
                 {"Enum", std::move(enums)}};
  if (has_props) fields.emplace_back("Properties", std::move(props));
  return Value::object(std::move(fields), ObjectStyle::GoStruct);
}

Result<Value> tool_call_value(const ordered_json& call) {
  ordered_json fn =
      call.contains("function") && call["function"].is_object() ? call["function"] : ordered_json::object();
  Value args = Value::object({}, ObjectStyle::GoMap);
  if (auto it = fn.find("arguments"); it != fn.end()) {
    if (it->is_object()) {
      CORRAL_ASSIGN_OR_RETURN(args, any_value(*it, 2));
    } else if (it->is_string()) {  // OpenAI style: a JSON text
      auto parsed = ordered_json::parse(it->get<std::string>(), nullptr, false);
      if (parsed.is_object()) {
        CORRAL_ASSIGN_OR_RETURN(args, any_value(parsed, 2));
      }
    }
  }
  int64_t index = 0;
  if (auto it = fn.find("index"); it != fn.end() && it->is_number_integer()) index = it->get<int64_t>();
  Value function = Value::object({{"Index", Value::integer(index)},
                                  {"Name", Value::string(string_field(fn, "name"))},
                                  {"Arguments", std::move(args)}},
                                 ObjectStyle::GoStruct);
  return Value::object({{"ID", Value::string(string_field(call, "id"))}, {"Function", std::move(function)}},
                       ObjectStyle::GoStruct);
}

}  // namespace

Collated collate(const ordered_json& messages) {
  Collated out;
  std::vector<std::string> system;
  for (const auto& m : messages) {
    if (!m.is_object()) continue;
    std::string role = string_field(m, "role");
    std::string content = string_field(m, "content");
    if (role == "system") system.push_back(content);
    if (!out.messages.empty() && string_field(out.messages.back(), "role") == role && role != "tool") {
      out.messages.back()["content"] = string_field(out.messages.back(), "content") + "\n\n" + content;
    } else {
      out.messages.push_back(m);
    }
  }
  for (size_t i = 0; i < system.size(); ++i) out.system += (i ? "\n\n" : "") + system[i];
  return out;
}

Result<Value> go_message_value(const ordered_json& m) {
  std::vector<Value> calls;
  if (auto it = m.find("tool_calls"); it != m.end() && it->is_array()) {
    for (const auto& c : *it) {
      CORRAL_ASSIGN_OR_RETURN(Value v, tool_call_value(c));
      calls.push_back(std::move(v));
    }
  }
  return Value::object({{"Role", Value::string(string_field(m, "role"))},
                        {"Content", Value::string(string_field(m, "content"))},
                        {"Thinking", Value::string(string_field(m, "thinking"))},
                        {"Images", string_array(m, "images")},
                        {"ToolCalls", Value::array(std::move(calls))},
                        {"ToolName", Value::string(string_field(m, "tool_name"))},
                        {"ToolCallID", Value::string(string_field(m, "tool_call_id"))}},
                       ObjectStyle::GoStruct);
}

Result<Value> go_tool_value(const ordered_json& tool) {
  if (!tool.is_object()) return Error("a tool must be a JSON object");
  ordered_json fn =
      tool.contains("function") && tool["function"].is_object() ? tool["function"] : ordered_json::object();
  ordered_json params =
      fn.contains("parameters") && fn["parameters"].is_object() ? fn["parameters"] : ordered_json::object();
  Value properties = Value::object({}, ObjectStyle::GoMap);
  if (auto it = params.find("properties"); it != params.end() && it->is_object()) {
    for (const auto& [k, p] : it->items()) {
      CORRAL_ASSIGN_OR_RETURN(Value v, property_value(p, 4));
      properties.mutable_obj().set(k, std::move(v));
    }
  }
  CORRAL_ASSIGN_OR_RETURN(Value defs, optional_any(params, "$defs"));
  CORRAL_ASSIGN_OR_RETURN(Value params_items, optional_any(params, "items"));
  Value parameters = Value::object({{"Type", Value::string(string_field(params, "type"))},
                                    {"Defs", std::move(defs)},
                                    {"Items", std::move(params_items)},
                                    {"Required", string_array(params, "required")},
                                    {"Properties", std::move(properties)}},
                                   ObjectStyle::GoStruct);
  Value function = Value::object({{"Name", Value::string(string_field(fn, "name"))},
                                  {"Description", Value::string(string_field(fn, "description"))},
                                  {"Parameters", std::move(parameters)}},
                                 ObjectStyle::GoStruct);
  CORRAL_ASSIGN_OR_RETURN(Value items, optional_any(tool, "items"));
  return Value::object({{"Type", Value::string(string_field(tool, "type"))},
                        {"Items", std::move(items)},
                        {"Function", std::move(function)}},
                       ObjectStyle::GoStruct);
}

}  // namespace corral::tmpl
