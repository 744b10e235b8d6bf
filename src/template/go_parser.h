// Go template tokens → Tree (text/template's grammar: actions, pipelines, if/range/with/define).
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "template/go_ast.h"

namespace corral::tmpl::gotmpl {

Result<Tree> go_parse(const std::vector<Tok>& tokens);

// Functions the evaluator knows (Go's builtins plus Ollama's json, currentDate, ...).
bool is_known_function(std::string_view name);

}  // namespace corral::tmpl::gotmpl
