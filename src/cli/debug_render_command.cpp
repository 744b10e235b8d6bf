// `corral debug render --template FILE --input F.json`: renders a chat template and prints the
// prompt exactly (no added newline). FILE is .jinja, a Go template (.gotmpl), or a .gguf (its
// tokenizer.chat_template). F.json holds the Jinja variables, or Ollama's values for Go templates.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "base/read_file.h"
#include "cli/command.h"
#include "gguf/file.h"
#include "template/go_template.h"
#include "template/jinja.h"

namespace corral::cli {
namespace {

using nlohmann::ordered_json;

struct RenderOptions {
  std::string template_path;
  std::string input_path;
};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<std::string> render_jinja(const std::string& text, const ordered_json& input) {
  CORRAL_ASSIGN_OR_RETURN(tmpl::JinjaTemplate t, tmpl::JinjaTemplate::parse(text));
  return t.render(input);
}

// Ollama's generate path: system and prompt become messages; a suffix selects fill-in-the-middle.
Result<std::string> render_go(const std::string& text, const ordered_json& input) {
  CORRAL_ASSIGN_OR_RETURN(tmpl::GoTemplate t, tmpl::GoTemplate::parse(text));
  tmpl::GoTemplateValues v;
  ordered_json messages = ordered_json::array();
  std::string system = input.value("system", "");
  if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
  if (input.contains("messages") && input["messages"].is_array())
    for (const auto& m : input["messages"]) messages.push_back(m);
  v.prompt = input.value("prompt", "");
  v.suffix = input.value("suffix", "");
  if (!v.prompt.empty()) messages.push_back({{"role", "user"}, {"content", v.prompt}});
  std::string response = input.value("response", "");
  if (!response.empty()) messages.push_back({{"role", "assistant"}, {"content", response}});
  v.messages = std::move(messages);
  if (input.contains("tools") && input["tools"].is_array()) v.tools = input["tools"];
  if (input.contains("think") && input["think"].is_boolean()) {
    v.think = input["think"].get<bool>();
    v.is_think_set = true;
  }
  return t.execute(v);
}

Result<std::string> render(const RenderOptions& opts) {
  CORRAL_ASSIGN_OR_RETURN(std::string input_text, read_whole_file(opts.input_path));
  auto input = ordered_json::parse(input_text, nullptr, false);
  if (input.is_discarded() || !input.is_object()) return Error::format("{}: expected a JSON object", opts.input_path);
  if (ends_with(opts.template_path, ".gguf")) {
    CORRAL_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(opts.template_path));
    auto jinja = file.metadata().get_string("tokenizer.chat_template");
    if (!jinja) return Error::format("{}: no tokenizer.chat_template", opts.template_path);
    return render_jinja(std::string(*jinja), input);
  }
  CORRAL_ASSIGN_OR_RETURN(std::string text, read_whole_file(opts.template_path));
  if (ends_with(opts.template_path, ".jinja")) return render_jinja(text, input);
  return render_go(text, input);
}

}  // namespace

void register_debug_render(CLI::App& debug, Action& action) {
  auto opts = std::make_shared<RenderOptions>();
  auto* cmd = debug.add_subcommand("render", "Render a chat template (.jinja, Go template, or .gguf) on JSON input");
  cmd->add_option("--template", opts->template_path, "Template file: .jinja, .gotmpl (Go) or .gguf")->required();
  cmd->add_option("--input", opts->input_path, "JSON object: Jinja variables, or Ollama's values for Go")->required();
  cmd->footer(
      "Examples:\n"
      "  corral debug render --template qwen3.jinja --input case.json\n"
      "      case.json: {\"messages\": [...], \"add_generation_prompt\": true, \"bos_token\": \"<s>\"}\n"
      "  corral debug render --template chatml.gotmpl --input chat.json\n"
      "      chat.json: {\"system\": \"...\", \"messages\": [...], \"tools\": [...], \"think\": false}\n"
      "  corral debug render --template model.gguf --input case.json   (its tokenizer.chat_template)");
  cmd->callback([opts, &action] {
    action = [opts] {
      auto out = render(*opts);
      if (!out.ok()) {
        fmt::print(stderr, "Error: {}\n", out.error().to_string());
        return kExitError;
      }
      std::fwrite(out->data(), 1, out->size(), stdout);
      std::fflush(stdout);
      return kExitOk;
    };
  });
}

}  // namespace corral::cli
