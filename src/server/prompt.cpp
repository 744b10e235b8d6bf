// Prompt rendering for the routes; see prompt.h.
#include "server/prompt.h"

#include <vector>

namespace corral::server {

using nlohmann::ordered_json;

tmpl::ChatTemplates chat_templates(const std::optional<std::string>& go_template, const ModelFacts& facts) {
  tmpl::ChatTemplates t;
  t.go_template = go_template;
  t.jinja = facts.jinja;
  t.bos_token = facts.bos_text;
  t.eos_token = facts.eos_text;
  return t;
}

Result<std::string> render_prompt(const tmpl::ChatRequest& request, const tmpl::ChatTemplates& templates) {
  CORRAL_ASSIGN_OR_RETURN(tmpl::RenderedPrompt rendered, tmpl::render_chat(request, templates));
  std::string prompt = std::move(rendered.prompt);
  if (rendered.source == tmpl::TemplateSource::Jinja) {
    const std::string& bos = templates.bos_token;
    const std::string& eos = templates.eos_token;
    if (!bos.empty() && prompt.starts_with(bos)) prompt.erase(0, bos.size());
    if (!eos.empty() && prompt.size() >= eos.size() && prompt.ends_with(eos)) prompt.resize(prompt.size() - eos.size());
  }
  return prompt;
}

Result<std::string> render_chat_fitting(tmpl::ChatRequest request, const tmpl::ChatTemplates& templates,
                                        int64_t num_ctx, const TokenCounter& count_tokens) {
  const ordered_json all = request.messages.is_array() ? request.messages : ordered_json::array();
  const size_t n = all.size();
  std::string prompt;
  // drop = how many of the oldest non-system messages are left out.
  for (size_t drop = 0;; ++drop) {
    ordered_json kept = ordered_json::array();
    size_t dropped = 0;
    for (size_t i = 0; i < n; ++i) {
      bool is_system = all[i].is_object() && all[i].value("role", "") == "system";
      if (!is_system && i + 1 < n && dropped < drop) {
        ++dropped;
        continue;
      }
      kept.push_back(all[i]);
    }
    request.messages = kept;
    CORRAL_ASSIGN_OR_RETURN(prompt, render_prompt(request, templates));
    if (dropped < drop) return prompt;  // nothing more can go
    CORRAL_ASSIGN_OR_RETURN(size_t tokens, count_tokens(prompt));
    if (static_cast<int64_t>(tokens) <= num_ctx) return prompt;
  }
}

ordered_json generate_messages(const ordered_json& model_messages, const std::string& prompt) {
  ordered_json out = ordered_json::array();
  if (model_messages.is_array())
    for (const auto& m : model_messages) out.push_back(m);
  out.push_back({{"role", "user"}, {"content", prompt}});
  return out;
}

}  // namespace corral::server
