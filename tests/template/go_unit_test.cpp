// Go template features Ollama's templates use, with Ollama's data model.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "template/go_template.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

// Templates that mention .Messages run once on the whole conversation (others run per turn).
std::string run(const std::string& source, const ordered_json& messages = ordered_json::array(),
                const ordered_json& tools = ordered_json::array(), bool messages_mode = true) {
  auto t = GoTemplate::parse(messages_mode ? source + "{{ if false }}{{ .Messages }}{{ end }}" : source);
  if (!t.ok()) return "PARSE ERROR: " + t.error().to_string();
  GoTemplateValues v;
  v.messages = messages;
  v.tools = tools;
  auto out = t->execute(v);
  return out.ok() ? *out : "EXEC ERROR: " + out.error().to_string();
}

const ordered_json kChat = ordered_json::array({{{"role", "system"}, {"content", "S"}},
                                                {{"role", "user"}, {"content", "U1"}},
                                                {{"role", "assistant"}, {"content", "A1"}},
                                                {{"role", "user"}, {"content", "U2"}}});

TEST(GoTemplate, ActionsAndTrimming) {
  EXPECT_EQ(run("a  {{- \"b\" -}}  c"), "abc");
  EXPECT_EQ(run("{{ 1 }}{{ 1.5 }}{{ 1e6 }}{{ true }}{{ \"s\" }}{{ 'a' }}"), "11.51e+06trues97");
  EXPECT_EQ(run("{{/* comment */}}x{{- /* trimmed */ -}}  y"), "xy");
  EXPECT_EQ(run("{{ $x := \"v\" }}{{ $x }}{{ $x = \"w\" }}{{ $x }}"), "vw");
  EXPECT_EQ(run("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}"), "2");
  EXPECT_EQ(run("{{ print 1 2 \"a\" \"b\" 3 }}|{{ printf \"%s-%d-%v-%q\" \"a\" 7 true \"q\" }}|{{ \"x\" | printf "
                "\"<%s>\" }}"),
            "1 2ab3|a-7-true-\"q\"|<x>");
  EXPECT_NE(run("{{ index .Messages 1 \"Role\" }}", kChat).find("can't index item"), std::string::npos);
  EXPECT_EQ(run("{{ len \"abc\" }}{{ len .Messages }}{{ slice \"abcdef\" 1 3 }}", kChat), "34bc");
}

TEST(GoTemplate, Control) {
  EXPECT_EQ(run("{{ range $i, $m := .Messages }}{{ $i }}{{ .Role }}{{ $m.Content }},{{ end }}", kChat),
            "0systemS,1userU1,2assistantA1,3userU2,");
  EXPECT_EQ(run("{{ range .Messages }}{{ if eq .Role \"user\" }}{{ continue }}{{ end }}{{ .Content }}{{ end }}", kChat),
            "SA1");
  EXPECT_EQ(
      run("{{ range .Messages }}{{ if eq .Role \"assistant\" }}{{ break }}{{ end }}{{ .Content }}{{ end }}", kChat),
      "SU1");
  EXPECT_EQ(run("{{ range .Tools }}x{{ else }}no tools{{ end }}", kChat), "no tools");
  EXPECT_EQ(run("{{ with .System }}[{{ . }}]{{ end }}{{ with .Tools }}T{{ else }}none{{ end }}", kChat), "[S]none");
  EXPECT_EQ(run("{{ if and .System (not .Tools) }}a{{ else if .Tools }}b{{ else }}c{{ end }}", kChat), "a");
  EXPECT_EQ(run("{{ or .Tools \"fallback\" }}|{{ and .System \"last\" }}", kChat), "fallback|last");
  EXPECT_EQ(run("{{ eq .System \"X\" \"S\" }}{{ ne 1 2 }}{{ lt 1 2 }}{{ ge \"b\" \"a\" }}", kChat), "truetruetruetrue");
  EXPECT_EQ(run("{{ define \"t\" }}<{{ . }}>{{ end }}{{ template \"t\" .System }}", kChat), "<S>");
  EXPECT_EQ(run("{{ range 3 }}{{ . }}{{ end }}"), "012");
}

TEST(GoTemplate, OllamaData) {
  ordered_json msgs = ordered_json::array(
      {{{"role", "assistant"},
        {"content", ""},
        {"tool_calls",
         {{{"function",
            {{"name", "f"}, {"arguments", {{"z", "<tag>"}, {"a", 1}, {"m", {{"y", 2}, {"b", true}}}}}}}}}}}});
  EXPECT_EQ(
      run("{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Name }}{{ .Function.Arguments }}{{ end }}{{ end }}",
          msgs),
      "f{\"a\":1,\"m\":{\"b\":true,\"y\":2},\"z\":\"\\u003ctag\\u003e\"}");
  EXPECT_EQ(run("{{ range .Messages }}{{ range .ToolCalls }}{{ range $k, $v := .Function.Arguments }}{{ $k }}={{ $v }} "
                "{{ end }}{{ end }}{{ end }}",
                msgs),
            "a=1 m={\"b\":true,\"y\":2} z=<tag> ");
  ordered_json tools = ordered_json::array(
      {{{"type", "function"},
        {"function",
         {{"name", "get"},
          {"description", "d"},
          {"parameters",
           {{"type", "object"},
            {"required", {"x"}},
            {"properties",
             {{"x", {{"type", "string"}, {"description", "X"}}}, {"n", {{"type", {"integer", "null"}}}}}}}}}}}});
  EXPECT_EQ(run("{{ range .Tools }}{{ range $n, $p := .Function.Parameters.Properties }}{{ $n }}:{{ $p.Type }}"
                "({{ toTypeScriptType $p }});{{ end }}{{ end }}|{{ .Messages }}",
                ordered_json::array({{{"role", "user"}, {"content", "q"}}}), tools),
            "n:[integer null](number | null);x:string(string);|[{\"role\":\"user\",\"content\":\"q\"}]");
  EXPECT_EQ(run("{{ json .Tools }}", ordered_json::array({{{"role", "user"}, {"content", "q"}}}), tools),
            "[{\"type\":\"function\",\"function\":{\"name\":\"get\",\"description\":\"d\",\"parameters\":{\"type\":"
            "\"object\",\"required\":[\"x\"],\"properties\":{\"n\":{\"type\":[\"integer\",\"null\"]},\"x\":{\"type\":"
            "\"string\",\"description\":\"X\"}}}}}]");
  EXPECT_EQ(run("{{ .Messages }}{{ .Prompt }}{{ .Suffix }}", ordered_json::array(), {}, false),
            "[]<no value><no value>");
  EXPECT_EQ(run("{{ currentDate | len }}", ordered_json::array()), "10");
}

TEST(GoTemplate, LegacyPerTurn) {
  EXPECT_EQ(run("{{ if .System }}<{{ .System }}>{{ end }}[{{ .Prompt }}]{{ .Response }}|", kChat, {}, false),
            "<S>[U1]A1|[U2]");
  // No .Response and no .Messages: {{ .Response }} is appended, so answers still appear.
  EXPECT_EQ(run("Q:{{ .Prompt }} ", kChat, {}, false), "Q:U1 A1Q:U2 ");
  auto t = GoTemplate::parse("{{ .Prompt }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->vars(), (std::vector<std::string>{"prompt", "response"}));
}

TEST(GoTemplate, Collate) {
  Collated c = collate(ordered_json::array({{{"role", "system"}, {"content", "a"}},
                                            {{"role", "system"}, {"content", "b"}},
                                            {{"role", "tool"}, {"content", "1"}},
                                            {{"role", "tool"}, {"content", "2"}}}));
  EXPECT_EQ(c.system, "a\n\nb");
  ASSERT_EQ(c.messages.size(), 3u);
  EXPECT_EQ(c.messages[0]["content"], "a\n\nb");
}

}  // namespace
}  // namespace corral::tmpl
