// Jinja chat templates (the `tokenizer.chat_template` of GGUF files), rendered the way Hugging Face
// renders them (trim_blocks, lstrip_blocks, raise_exception, tojson without ASCII escaping).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "template/limits.h"

namespace corral::tmpl {

namespace jinja {
struct Stmt;
}

class JinjaTemplate {
 public:
  // Fails with "line L, column C: why" on syntax errors, unknown filters or tests.
  static Result<JinjaTemplate> parse(std::string_view source);

  // `vars` is an object: messages, tools, add_generation_prompt, bos_token, ... A failing
  // raise_exception("msg") gives an Error whose message() is exactly "msg".
  Result<std::string> render(const nlohmann::ordered_json& vars, const RenderLimits& limits = {}) const;

 private:
  std::shared_ptr<const std::vector<std::unique_ptr<jinja::Stmt>>> body_;
};

}  // namespace corral::tmpl
