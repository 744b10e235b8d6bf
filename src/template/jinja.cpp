// JinjaTemplate: tokenize → parse once; render runs a fresh interpreter per call.
#include "template/jinja.h"

#include "template/jinja_eval.h"
#include "template/jinja_parser.h"

namespace corral::tmpl {

Result<JinjaTemplate> JinjaTemplate::parse(std::string_view source) {
  CORRAL_ASSIGN_OR_RETURN(std::vector<jinja::Token> tokens, jinja::tokenize(source));
  CORRAL_ASSIGN_OR_RETURN(jinja::Body body, jinja::parse(tokens));
  JinjaTemplate t;
  t.body_ = std::make_shared<const jinja::Body>(std::move(body));
  return t;
}

Result<std::string> JinjaTemplate::render(const nlohmann::ordered_json& vars, const RenderLimits& limits) const {
  if (!vars.is_object()) return Error("template variables must be a JSON object");
  jinja::Interpreter interp(limits);
  jinja::Scope globals;
  jinja::add_globals(interp, globals);  // template variables may shadow the globals
  for (const auto& [key, value] : vars.items()) {
    CORRAL_ASSIGN_OR_RETURN(Value v, Value::from_json(value));
    globals.set(key, std::move(v));
  }
  std::string out;
  CORRAL_TRY(interp.render(*body_, globals, out));
  return out;
}

}  // namespace corral::tmpl
