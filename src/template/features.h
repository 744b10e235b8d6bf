// What a chat template says about the model, as Ollama reads it: whether it takes tools, a
// fill-in-the-middle suffix or a thinking switch, and how the model writes what the template
// renders back — the text before a tool call's JSON (`<tool_call>`, `[TOOL_CALLS]`, or none for
// bare JSON) and the tags around thinking (`<think>` … `</think>`). The syntax is found by
// rendering probe conversations (an assistant turn with and without a tool call or a thinking
// text) and reading what the template wrote around the probe values, so Go and Jinja templates
// are read the same way.
#pragma once

#include <string>

#include "template/chat.h"

namespace corral::tmpl {

struct TemplateFeatures {
  bool tools = false;     // the template renders tool definitions (capability "tools")
  bool insert = false;    // a Go template that uses .Suffix (capability "insert")
  bool thinking = false;  // thinking tags were found (capability "thinking")
  // The text the template writes before a tool call's JSON, trimmed; "{" when the calls are bare
  // JSON objects (Llama 3.1) or the template shows no tag.
  std::string tool_tag = "{";
  std::string think_open, think_close;  // e.g. "<think>" and "</think>" when thinking
};

TemplateFeatures template_features(const ChatTemplates& templates);

}  // namespace corral::tmpl
