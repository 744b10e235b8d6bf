// template_features: tools / insert / thinking and their output syntax, read from probe renders of
// real templates (the fixtures' Jinja ones; Go templates written in Ollama's style).
#include "template/features.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace corral::tmpl {
namespace {

std::optional<std::string> fixture_jinja(const std::string& name) {
  std::ifstream in(std::filesystem::path(CORRAL_FIXTURES_DIR) / "templates/jinja" / (name + ".jinja"));
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TemplateFeatures jinja_features(const std::string& name) {
  ChatTemplates t;
  t.jinja = fixture_jinja(name);
  return template_features(t);
}

TemplateFeatures go_features(const std::string& text) {
  ChatTemplates t;
  t.go_template = text;
  return template_features(t);
}

TEST(TemplateFeatures, Qwen3JinjaHasToolCallTagsAndThinking) {
  if (!fixture_jinja("qwen3")) GTEST_SKIP() << "fixtures absent";
  auto f = jinja_features("qwen3");
  EXPECT_TRUE(f.tools);
  EXPECT_EQ(f.tool_tag, "<tool_call>");
  EXPECT_TRUE(f.thinking);
  EXPECT_EQ(f.think_open, "<think>");
  EXPECT_EQ(f.think_close, "</think>");
  EXPECT_FALSE(f.insert);
}

TEST(TemplateFeatures, Llama31JinjaWritesBareJsonCalls) {
  if (!fixture_jinja("llama3_1")) GTEST_SKIP() << "fixtures absent";
  auto f = jinja_features("llama3_1");
  EXPECT_TRUE(f.tools);
  EXPECT_EQ(f.tool_tag, "{");
  EXPECT_FALSE(f.thinking);
}

TEST(TemplateFeatures, TemplatesWithoutToolsOrThinking) {
  if (!fixture_jinja("llama3")) GTEST_SKIP() << "fixtures absent";
  for (const char* name : {"llama3", "gemma3", "mistral"}) {
    auto f = jinja_features(name);
    EXPECT_FALSE(f.tools) << name;
    EXPECT_FALSE(f.thinking) << name;
  }
  EXPECT_FALSE(template_features(ChatTemplates{}).tools);
}

TEST(TemplateFeatures, MistralStyleGoTemplate) {
  auto f = go_features(
      "{{- range $i, $_ := .Messages }}{{- if eq .Role \"user\" }}{{ if and $.Tools (eq $i 0) }}[AVAILABLE_TOOLS] "
      "{{ json $.Tools }}[/AVAILABLE_TOOLS]{{ end }}[INST] {{ .Content }}[/INST]"
      "{{- else if eq .Role \"assistant\" }}{{ if .Content }} {{ .Content }}{{ else if .ToolCalls }}[TOOL_CALLS] ["
      "{{- range .ToolCalls }}{\"name\": \"{{ .Function.Name }}\", \"arguments\": {{ json .Function.Arguments }}}"
      "{{- end }}]{{ end }}</s>{{- else if eq .Role \"tool\" }}[TOOL_RESULTS] {\"content\": {{ .Content }}} "
      "[/TOOL_RESULTS]{{- end }}{{- end }}");
  EXPECT_TRUE(f.tools);
  EXPECT_EQ(f.tool_tag, "[TOOL_CALLS]");
  EXPECT_FALSE(f.thinking);
}

TEST(TemplateFeatures, GoTemplateThinkingAndInsert) {
  auto thinking = go_features(
      "{{- range .Messages }}<|{{ .Role }}|>{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}"
      "{{ end }}<|assistant|>{{ if and .IsThinkSet (not .Think) }}<think></think>{{ end }}");
  EXPECT_TRUE(thinking.thinking);
  EXPECT_EQ(thinking.think_open, "<think>");
  EXPECT_EQ(thinking.think_close, "</think>");
  EXPECT_FALSE(thinking.tools);
  auto fim =
      go_features("{{- if .Suffix }}<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>{{ else }}{{ .Prompt }}{{ end }}");
  EXPECT_TRUE(fim.insert);
  EXPECT_FALSE(fim.thinking);
}

TEST(TemplateFeatures, JinjaThatDropsThinkingFromHistoryStillThinks) {
  ChatTemplates t;
  t.jinja =
      "{% for m in messages %}{% if m.role == 'assistant' %}{% set c = m.content.split('</think>')[-1] %}"
      "<A>{{ c }}{% else %}<U>{{ m.content }}{% endif %}{% endfor %}<A><think>\n";
  auto f = template_features(t);
  EXPECT_TRUE(f.thinking);
  EXPECT_EQ(f.think_open, "<think>");
  EXPECT_EQ(f.think_close, "</think>");
}

}  // namespace
}  // namespace corral::tmpl
