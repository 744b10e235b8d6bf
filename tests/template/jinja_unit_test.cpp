// Jinja features chat templates use, one behaviour per expectation.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "template/jinja.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

std::string render(const std::string& source, const ordered_json& vars = ordered_json::object()) {
  auto t = JinjaTemplate::parse(source);
  if (!t.ok()) return "PARSE ERROR: " + t.error().to_string();
  auto out = t->render(vars);
  return out.ok() ? *out : "RENDER ERROR: " + out.error().to_string();
}

TEST(Jinja, Expressions) {
  EXPECT_EQ(
      render("{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}"),
      "7|9|3|-4|1|2|1024");
  EXPECT_EQ(render("{{ 7 / 2 }}|{{ 4 / 2 }}|{{ 1.5 + 1 }}"), "3.5|2.0|2.5");
  EXPECT_EQ(render("{{ 'a' ~ 1 ~ none }}|{{ 'a' + 'b' }}|{{ 'ab' * 3 }}"), "a1|ab|ababab");
  EXPECT_EQ(render("{{ 'b' in 'abc' }}|{{ 2 in [1, 2] }}|{{ 'k' in {'k': 1} }}|{{ 3 not in [1] }}"),
            "true|true|true|true");
  EXPECT_EQ(render("{{ 'yes' if x else 'no' }}|{{ 'yes' if not x }}", {{"x", false}}), "no|yes");
  EXPECT_EQ(render("{{ x and 'a' or 'b' }}|{{ [] or 'empty' }}", {{"x", 0}}), "b|empty");
  EXPECT_EQ(render("{{ [1, 2, 3][1:] }}|{{ 'hello'[::-1] }}|{{ [1, 2, 3][-1] }}|{{ 'héllo'[1] }}"), "[2, 3]|olleh|3|é");
  EXPECT_EQ(render("{{ d.a.b }}|{{ d['a']['b'] }}|{{ d.missing is defined }}", {{"d", {{"a", {{"b", 5}}}}}}),
            "5|5|false");
  EXPECT_EQ(render("{{ 1 < 2 < 3 }}|{{ 'a' < 'b' }}|{{ 1 == 1.0 }}|{{ [1] == [1] }}"), "true|true|true|true");
  EXPECT_EQ(render("{{ none }}|{{ true }}|{{ {'a': [1, 'x']} }}"), "|true|{\"a\": [1, \"x\"]}");
}

TEST(Jinja, Statements) {
  EXPECT_EQ(render("{% for x in xs %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }},"
                   "{% endfor %}",
                   {{"xs", {"a", "b"}}}),
            "01truefalse2,12falsetrue2,");
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {{"d", {{"z", 1}, {"a", 2}}}}),
            "z=1;a=2;");
  EXPECT_EQ(render("{% for k in d %}{{ k }}{% endfor %}", {{"d", {{"z", 1}, {"a", 2}}}}), "za");
  EXPECT_EQ(render("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{% else %}none{% endfor %}"), "24");
  EXPECT_EQ(render("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for x in [1, 2, 3] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}"), "13");
  EXPECT_EQ(render("{% for x in [1, 2, 3] %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}"), "1");
  EXPECT_EQ(render("{% if a %}A{% elif b %}B{% else %}C{% endif %}", {{"a", false}, {"b", true}}), "B");
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}"), "1");
  EXPECT_EQ(render("{% set ns = namespace(x=1) %}{% for i in [1] %}{% set ns.x = 2 %}{% endfor %}{{ ns.x }}"), "2");
  EXPECT_EQ(render("{% set a, b = [1, 2] %}{{ b }}{{ a }}"), "21");
  EXPECT_EQ(render("{% set block %}in{{ 1 }}{% endset %}[{{ block }}]"), "[in1]");
  EXPECT_EQ(render("{% macro m(a, b='d') %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }},{{ m(1, b=2) }}"), "1-d,1-2");
  EXPECT_EQ(render("{% macro w() %}<{{ caller() }}>{% endmacro %}{% call w() %}body{% endcall %}"), "<body>");
  EXPECT_EQ(render("{% filter upper %}abc{% endfilter %}"), "ABC");
  EXPECT_EQ(render("a{% generation %}b{% endgeneration %}c"), "abc");
  EXPECT_EQ(render("{# comment #}x"), "x");
}

TEST(Jinja, WhitespaceControl) {
  EXPECT_EQ(render("a  {{- 'b' -}}  c"), "abc");
  EXPECT_EQ(render("a\n  {%- if true %}\n  b\n{%- endif %}\n"), "a  b");
  // trim_blocks and lstrip_blocks: block lines leave no blank lines behind.
  EXPECT_EQ(render("{% for x in [1, 2] %}\n    {% if x %}\n{{ x }}\n    {% endif %}\n{% endfor %}\n"), "1\n2\n");
  EXPECT_EQ(render("x\n"), "x");  // one trailing newline is dropped
}

TEST(Jinja, Filters) {
  EXPECT_EQ(render("{{ '  a b  ' | trim }}|{{ 'aB' | upper }}|{{ 'aB' | lower }}|{{ 'hello world' | capitalize }}"),
            "a b|AB|ab|Hello world");
  EXPECT_EQ(render("{{ [1, 2] | length }}|{{ 'héllo' | length }}|{{ {'a': 1} | length }}"), "2|5|1");
  EXPECT_EQ(render("{{ {'b': 'é<', 'a': [1, 2.5, true, none]} | tojson }}"),
            "{\"b\": \"é<\", \"a\": [1, 2.5, true, null]}");
  EXPECT_EQ(render("{{ {'a': [1, {}], 'b': {}} | tojson(indent=2) }}"),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {}\n}");
  EXPECT_EQ(render("{{ 'a\"\\\\\n\t\x01' | tojson }}"), "\"a\\\"\\\\\\n\\t\\u0001\"");
  EXPECT_EQ(render("{{ 3 | string }}{{ '42' | int + 1 }}|{{ 'x' | int }}|{{ 'ab' | list }}"), "343|0|[\"a\", \"b\"]");
  EXPECT_EQ(
      render("{{ [1, 2] | join(', ') }}|{{ 'aXbX' | replace('X', '-') }}|{{ [3, 1] | first }}{{ [3, 1] | last }}"),
      "1, 2|a-b-|31");
  EXPECT_EQ(render("{{ x | default('d') }}|{{ '' | default('d', true) }}|{{ 0 | default('d') }}"), "d|d|0");
  EXPECT_EQ(render("{{ {'a': 1} | items }}"), "[[\"a\", 1]]");
  ordered_json users = {{"users", {{{"n", "a"}, {"on", true}}, {{"n", "b"}, {"on", false}}}}};
  EXPECT_EQ(render("{{ users | selectattr('on') | map(attribute='n') | join }}", users), "a");
  EXPECT_EQ(render("{{ users | rejectattr('on') | map(attribute='n') | join }}", users), "b");
  EXPECT_EQ(render("{{ users | selectattr('n', 'equalto', 'b') | list | length }}", users), "1");
  EXPECT_EQ(render("{{ ['a', 'b'] | map('upper') | join }}|{{ [1, 2, 1] | unique | list }}|{{ [2, 1] | sort }}"),
            "AB|[1, 2]|[1, 2]");
  EXPECT_EQ(render("{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}"), "a\n  b\n\n  c|  a\n  b");
  EXPECT_EQ(render("{{ '<b>' | safe }}"), "<b>");
}

TEST(Jinja, TestsAndMethods) {
  EXPECT_EQ(render("{{ x is defined }}{{ y is undefined }}{{ none is none }}{{ 's' is string }}{{ {} is mapping }}"
                   "{{ [] is iterable }}{{ [] is sequence }}{{ 1 is number }}{{ true is boolean }}{{ 3 is odd }}"
                   "{{ 4 is divisibleby 2 }}{{ 'a' is equalto 'a' }}{{ x is not none }}",
                   {{"x", 1}}),
            "truetruetruetruetruetruetruetruetruetruetruetruetrue");
  EXPECT_EQ(render("{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}|{{ '  a  '.strip() }}|"
                   "{{ 'xxaxx'.strip('x') }}|{{ '\n\na'.lstrip('\n') }}|{{ 'a  '.rstrip() }}|{{ 'a,b'.split(',') }}|"
                   "{{ ' a  b '.split() }}|{{ 'aXa'.replace('a', 'b') }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}"),
            "truetrue|a|a|a|a|[\"a\", \"b\"]|[\"a\", \"b\"]|bXb|ABab");
  EXPECT_EQ(render("{{ d.get('a') }}|{{ d.get('z', 'dflt') }}|{{ d.keys() | list }}|{{ d.values() | list }}",
                   {{"d", {{"a", 1}}}}),
            "1|dflt|[\"a\"]|[1]");
  EXPECT_EQ(render("{{ range(3) | list }}|{{ range(1, 7, 2) | list }}|{{ dict(a=1) }}"),
            "[0, 1, 2]|[1, 3, 5]|{\"a\": 1}");
  EXPECT_EQ(render("{{ strftime_now('%Y') | length }}"), "4");
}

TEST(Jinja, RaiseExceptionKeepsMessageAndPosition) {
  auto t = JinjaTemplate::parse("ok\n{{ raise_exception('Bad roles') }}");
  ASSERT_TRUE(t.ok());
  auto out = t->render(ordered_json::object());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message(), "Bad roles");
  EXPECT_EQ(out.error().to_string(), "line 2, column 4: Bad roles");
}

TEST(Jinja, VariablesShadowGlobals) {
  EXPECT_EQ(render("{{ range }}", {{"range", "mine"}}), "mine");
}

}  // namespace
}  // namespace corral::tmpl
