// Reading a template's features from probe renders; see features.h.
#include "template/features.h"

#include <string_view>

#include "template/go_template.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view kProbeName = "corral_probe_fn";
constexpr std::string_view kProbeThought = "CORRAL_PROBE_THOUGHT";
constexpr std::string_view kProbeAnswer = "CORRAL_PROBE_ANSWER";

std::string trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// The last white-space-separated word of s.
std::string last_word(std::string_view s) {
  const std::string t = trim(s);
  const size_t space = t.find_last_of(" \n\r\t");
  return space == std::string::npos ? t : t.substr(space + 1);
}

size_t common_prefix(std::string_view a, std::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

ordered_json probe_tools() {
  return ordered_json::array({{{"type", "function"},
                               {"function",
                                {{"name", kProbeName},
                                 {"description", "probe"},
                                 {"parameters",
                                  {{"type", "object"},
                                   {"properties", {{"probe_arg", {{"type", "string"}}}}},
                                   {"required", {"probe_arg"}}}}}}}});
}

// [user, assistant(turn), user]: the assistant turn is complete, not the one being generated.
ChatRequest probe_chat(const ordered_json& assistant, bool with_tools) {
  ChatRequest r;
  r.messages = ordered_json::array(
      {{{"role", "user"}, {"content", "probe question"}}, assistant, {{"role", "user"}, {"content", "probe again"}}});
  if (with_tools) r.tools = probe_tools();
  r.think = true;
  return r;
}

std::string render_or_empty(const ChatRequest& r, const ChatTemplates& t) {
  auto rendered = render_chat(r, t);
  return rendered.ok() ? rendered->prompt : std::string();
}

// The tag: what the template writes between the assistant turn's start and the JSON object that
// holds the call's name, less a JSON array's "[" (Mistral's `[TOOL_CALLS] [{...}]`).
std::string find_tool_tag(const ChatTemplates& t) {
  ordered_json call = {{"id", "call_probe"},
                       {"type", "function"},
                       {"function", {{"index", 0}, {"name", kProbeName}, {"arguments", {{"probe_arg", "x"}}}}}};
  const std::string with_call = render_or_empty(
      probe_chat({{"role", "assistant"}, {"content", ""}, {"tool_calls", ordered_json::array({call})}}, true), t);
  const std::string plain = render_or_empty(probe_chat({{"role", "assistant"}, {"content", kProbeAnswer}}, true), t);
  // The first mention after the two renders part (the tool definitions before name it too).
  const size_t start = common_prefix(with_call, plain);
  const size_t name = with_call.find(kProbeName, start);
  if (with_call.empty() || plain.empty() || name == std::string::npos) return "{";
  const size_t brace = with_call.rfind('{', name);
  if (brace == std::string::npos || brace < start) return "{";
  std::string tag = trim(std::string_view(with_call).substr(start, brace - start));
  if (tag.ends_with('[')) tag = trim(std::string_view(tag).substr(0, tag.size() - 1));
  return tag.empty() ? "{" : tag;
}

// The tags around a rendered thinking text: the assistant turn rendered with and without it; the
// turn is tried last (templates such as Qwen 3's drop thinking before the last user message) and
// then in the middle.
bool find_thinking_tags(const ChatTemplates& t, std::string& open, std::string& close) {
  const ordered_json thought = {{"role", "assistant"}, {"content", kProbeAnswer}, {"thinking", kProbeThought}};
  const ordered_json plain = {{"role", "assistant"}, {"content", kProbeAnswer}};
  for (bool last : {true, false}) {
    ChatRequest with = probe_chat(thought, false), without = probe_chat(plain, false);
    if (last) {
      with.messages.erase(with.messages.size() - 1);
      without.messages.erase(without.messages.size() - 1);
    }
    const std::string a = render_or_empty(with, t), b = render_or_empty(without, t);
    const size_t at = a.find(kProbeThought);
    if (at == std::string::npos) continue;
    const size_t answer = a.find(kProbeAnswer, at);
    if (answer == std::string::npos) continue;
    const size_t start = std::min(common_prefix(a, b), at);
    open = trim(std::string_view(a).substr(start, at - start));
    if (open.empty()) open = last_word(std::string_view(a).substr(0, at));  // b had the tags too (empty)
    close = trim(std::string_view(a).substr(at + kProbeThought.size(), answer - at - kProbeThought.size()));
    if (!open.empty() && !close.empty()) return true;
  }
  return false;
}

}  // namespace

TemplateFeatures template_features(const ChatTemplates& templates) {
  TemplateFeatures f;
  if (templates.go_template) {
    auto parsed = GoTemplate::parse(*templates.go_template);
    if (!parsed.ok()) return f;
    f.tools = parsed->uses("tools");
    f.insert = parsed->uses("suffix");
  } else if (templates.jinja) {
    f.tools = templates.jinja->find("tools") != std::string::npos;
  } else {
    return f;  // {{ .Prompt }}
  }
  if (f.tools) f.tool_tag = find_tool_tag(templates);
  f.thinking = find_thinking_tags(templates, f.think_open, f.think_close);
  if (!f.thinking && !templates.go_template && templates.jinja->find("<think>") != std::string::npos &&
      templates.jinja->find("</think>") != std::string::npos) {
    // A template that strips thinking from the history (DeepSeek-R1 distills) never renders it.
    f.thinking = true;
    f.think_open = "<think>";
    f.think_close = "</think>";
  }
  return f;
}

}  // namespace corral::tmpl
