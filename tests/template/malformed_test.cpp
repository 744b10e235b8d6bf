// Malformed templates and hostile inputs: every one returns an error (never a crash, hang or huge
// allocation), and limit errors name the limit. Also run under ASan/UBSan (template-asan build).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "template/go_template.h"
#include "template/jinja.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

// Parse or render error, whichever comes first; "" when the template rendered.
std::string jinja_error(const std::string& source, const ordered_json& vars = ordered_json::object(),
                        const RenderLimits& limits = {}) {
  auto t = JinjaTemplate::parse(source);
  if (!t.ok()) return t.error().to_string();
  auto out = t->render(vars, limits);
  return out.ok() ? "" : out.error().to_string();
}

std::string go_error(const std::string& source, const RenderLimits& limits = {}) {
  auto t = GoTemplate::parse(source);
  if (!t.ok()) return t.error().to_string();
  GoTemplateValues v;
  v.messages = ordered_json::array({{{"role", "user"}, {"content", "hi"}}});
  auto out = t->execute(v, limits);
  return out.ok() ? "" : out.error().to_string();
}

TEST(JinjaMalformed, SyntaxErrorsSayWhere) {
  EXPECT_EQ(jinja_error("{% if x %}never closed"),
            "line 1, column 23: unclosed block: expected '{% endif %}' before the end of the template");
  EXPECT_EQ(jinja_error("line one\n  {{ x | no_such_filter }}"), "line 2, column 10: unknown filter 'no_such_filter'");
  EXPECT_EQ(jinja_error("{{ x is no_such_test }}"), "line 1, column 9: unknown test 'no_such_test'");
  EXPECT_EQ(jinja_error("{% frobnicate %}"), "line 1, column 4: unknown statement 'frobnicate'");
  EXPECT_EQ(jinja_error("{{ 'unterminated }}"), "line 1, column 4: unterminated string literal");
  EXPECT_EQ(jinja_error("{{ x "), "line 1, column 1: unclosed '{{'");
  EXPECT_EQ(jinja_error("{# comment"), "line 1, column 1: unclosed comment");
  EXPECT_EQ(jinja_error("{% endfor %}"), "line 1, column 4: unknown statement 'endfor'");
  EXPECT_EQ(jinja_error("{% break %}"), "line 1, column 4: 'break' outside a loop");
  EXPECT_EQ(jinja_error("{{ (1 + }}"), "line 1, column 1: unclosed '{{'");  // `}}` inside brackets is not a close
  EXPECT_EQ(jinja_error("{{ 1 + }}"), "line 1, column 8: expected an expression, got '}}'");
  EXPECT_EQ(jinja_error("{{ a b }}"), "line 1, column 6: expected '}}', got 'b'");
  EXPECT_EQ(jinja_error("{% for in x %}{% endfor %}"), "line 1, column 11: expected 'in', got 'x'");
  EXPECT_EQ(jinja_error("{{ x @ y }}"), "line 1, column 6: unexpected character '@'");
}

TEST(JinjaMalformed, DeepNestingIsRejectedWhenParsed) {
  std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_NE(jinja_error(deep).find("template nested too deeply (limit 200)"), std::string::npos);
  std::string blocks;
  for (int i = 0; i < 1000; ++i) blocks += "{% if true %}";
  EXPECT_NE(jinja_error(blocks).find("template nested too deeply"), std::string::npos);
  std::string list = "{{ " + std::string(3000, '[') + std::string(3000, ']') + " }}";
  EXPECT_NE(jinja_error(list).find("nested too deeply"), std::string::npos);
}

TEST(JinjaMalformed, RuntimeLimitsNameTheLimit) {
  EXPECT_NE(jinja_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("recursion depth limit (400)"),
            std::string::npos);
  EXPECT_NE(jinja_error("{% for i in range(100000000) %}{% endfor %}").find("loop iteration limit (1000000)"),
            std::string::npos);
  RenderLimits few;
  few.max_loop_iterations = 10000;
  few.max_output_bytes = 100000;
  EXPECT_NE(jinja_error("{% for i in range(200) %}{% for j in range(200) %}{% endfor %}{% endfor %}",
                        ordered_json::object(), few)
                .find("loop iteration limit (10000)"),
            std::string::npos);
  EXPECT_NE(jinja_error("{{ 'x' * 100000000 }}").find("output size limit (16777216 bytes)"), std::string::npos);
  EXPECT_NE(jinja_error("{% for i in range(5000) %}{{ 'abcdefghijklmnopqrstuvwxyz' * 10 }}{% endfor %}",
                        ordered_json::object(), few)
                .find("output size limit (100000 bytes)"),
            std::string::npos);
  EXPECT_NE(jinja_error("{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
                        "{% endfor %}")
                .find("output size limit"),
            std::string::npos);
  RenderLimits small;
  small.max_steps = 10000;
  EXPECT_NE(jinja_error("{% for i in range(100000) %}{% set x = i * 2 %}{% endfor %}", ordered_json::object(), small)
                .find("work limit (10000 steps)"),
            std::string::npos);
}

TEST(JinjaMalformed, NamespacesCannotFormCycles) {
  EXPECT_NE(jinja_error("{% set ns = namespace(a=1) %}{% set ns.self = ns %}").find("cannot be stored in a namespace"),
            std::string::npos);
  EXPECT_NE(jinja_error("{% set ns = namespace(a=1) %}{% set ns.l = [ns] %}").find("cannot be stored in a namespace"),
            std::string::npos);
  EXPECT_NE(jinja_error("{% set ns = namespace() %}{% macro m() %}{% set ns.c = caller %}{% endmacro %}"
                        "{% call m() %}x{% endcall %}{{ ns.c() }}")
                .find("cannot be stored in a namespace"),
            std::string::npos);
  // Building ever deeper lists stops at the value depth limit instead of exhausting the stack.
  EXPECT_NE(jinja_error("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}"
                        "{% endfor %}{{ ns.x | tojson }}")
                .find("nested deeper than 200 levels"),
            std::string::npos);
}

TEST(JinjaMalformed, OddInputsFailCleanly) {
  EXPECT_NE(jinja_error("{{ x + 1 }}").find("undefined value"), std::string::npos);
  EXPECT_NE(jinja_error("{{ 1 // 0 }}").find("division by zero"), std::string::npos);
  EXPECT_NE(jinja_error("{{ 1 % 0 }}").find("division by zero"), std::string::npos);
  EXPECT_NE(jinja_error("{{ 9223372036854775807 + 1 }}"), "x");  // overflow becomes a float, not UB
  EXPECT_EQ(jinja_error("{{ -9223372036854775807 - 1 // -1 }}"), "");
  EXPECT_NE(jinja_error("{{ [1][::0] }}").find("slice step cannot be zero"), std::string::npos);
  EXPECT_NE(jinja_error("{{ messages() }}").find("not a function"), std::string::npos);
  EXPECT_NE(jinja_error("{% for a, b in [1, 2] %}{% endfor %}").find("unpack"), std::string::npos);
  EXPECT_NE(jinja_error("{{ raise_exception('boom') }}").find("boom"), std::string::npos);
  ordered_json deep = ordered_json::array();
  for (int i = 0; i < 1000; ++i) deep = ordered_json::array({deep});
  EXPECT_NE(jinja_error("{{ x }}", {{"x", deep}}).find("nested deeper"), std::string::npos);
}

TEST(GoMalformed, ParseErrors) {
  EXPECT_NE(go_error("{{ .Prompt ").find("unclosed action"), std::string::npos);
  EXPECT_NE(go_error("{{ if .X }}no end").find("unexpected EOF"), std::string::npos);
  EXPECT_NE(go_error("{{ end }}").find("unexpected {{end}}"), std::string::npos);
  EXPECT_NE(go_error("{{ nosuchfunc .X }}").find("function \"nosuchfunc\" not defined"), std::string::npos);
  EXPECT_NE(go_error("{{ \"abc }}").find("unterminated quoted string"), std::string::npos);
  EXPECT_NE(go_error("{{ (.X }}").find("unclosed left paren"), std::string::npos);
  EXPECT_NE(go_error("{{ break }}").find("outside {{range}}"), std::string::npos);
  EXPECT_NE(go_error("{{/* open comment").find("unclosed comment"), std::string::npos);
  EXPECT_EQ(go_error("line\n{{ .A ! }}"), "line 2, column 7: unrecognized character in action: '!'");
  std::string deep = "{{ " + std::string(3000, '(') + "1" + std::string(3000, ')') + " }}";
  EXPECT_NE(go_error(deep).find("nested too deeply"), std::string::npos);
}

TEST(GoMalformed, RuntimeLimits) {
  EXPECT_NE(
      go_error("{{ define \"x\" }}{{ template \"x\" . }}{{ end }}{{ template \"x\" . }}").find("recursion depth limit"),
      std::string::npos);
  EXPECT_NE(go_error("{{ range 100000000 }}{{ end }}").find("loop iteration limit"), std::string::npos);
  RenderLimits few;
  few.max_loop_iterations = 10000;
  few.max_output_bytes = 100000;
  EXPECT_NE(go_error("{{ range 100 }}{{ range 100 }}{{ range 10 }}{{ end }}{{ end }}{{ end }}", few)
                .find("loop iteration limit (10000)"),
            std::string::npos);
  EXPECT_NE(go_error("{{ range 9000 }}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{{ end }}", few).find("output size limit"),
            std::string::npos);
  EXPECT_NE(go_error("{{ .Messages.Nope }}").find("can't evaluate field Nope"), std::string::npos);
  EXPECT_NE(go_error("{{ index .Messages 5 }}").find("index out of range"), std::string::npos);
  EXPECT_NE(go_error("{{ eq 1 \"a\" }}").find("incompatible types for comparison"), std::string::npos);
  EXPECT_NE(go_error("{{ $x = 1 }}").find("undefined variable"), std::string::npos);
}

}  // namespace
}  // namespace corral::tmpl
