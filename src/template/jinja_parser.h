// Jinja tokens → syntax tree (recursive descent with Jinja2's operator precedence).
#pragma once

#include <vector>

#include "base/result.h"
#include "template/jinja_ast.h"

namespace corral::tmpl::jinja {

Result<Body> parse(const std::vector<Token>& tokens);

// Names known to the evaluator; the parser rejects unknown filters and tests up front.
bool is_known_filter(std::string_view name);
bool is_known_test(std::string_view name);
// Tests written with a bare argument (`x is divisibleby 3`).
bool test_takes_argument(std::string_view name);

}  // namespace corral::tmpl::jinja
