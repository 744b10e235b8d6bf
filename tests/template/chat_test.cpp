// render_chat chooses like Ollama: Modelfile TEMPLATE, else the GGUF Jinja, else {{ .Prompt }}.
#include "template/chat.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "template/select.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

ChatRequest request() {
  ChatRequest r;
  r.messages = ordered_json::array({{{"role", "user"}, {"content", "hi"}}});
  return r;
}

TEST(Chat, GoTemplateWinsOverJinja) {
  ChatTemplates t;
  t.go_template = "{{ range .Messages }}<{{ .Role }}:{{ .Content }}>{{ end }}";
  t.jinja = "JINJA";
  auto out = render_chat(request(), t);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(out->prompt, "<user:hi>");
  EXPECT_EQ(out->source, TemplateSource::GoTemplate);
}

TEST(Chat, JinjaWhenNoGoTemplate) {
  ChatTemplates t;
  t.jinja =
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}|{{ m.content }}]{% endfor %}"
      "{% if add_generation_prompt %}>{% endif %}{% if enable_thinking is defined %}{{ enable_thinking }}{% endif %}"
      "{% if tools %}{{ tools | length }}{% endif %}";
  t.bos_token = "<s>";
  ChatRequest r = request();
  r.system = "be nice";
  r.think = false;
  r.tools = ordered_json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}});
  auto out = render_chat(r, t);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(out->prompt, "<s>[system|be nice][user|hi]>false1");
  EXPECT_EQ(out->source, TemplateSource::Jinja);
}

TEST(Chat, RequestSystemMessageBeatsModelSystem) {
  ChatTemplates t;
  t.go_template = "{{ .System }}|{{ range .Messages }}{{ .Content }},{{ end }}";
  ChatRequest r;
  r.messages = ordered_json::array({{{"role", "system"}, {"content", "mine"}}, {{"role", "user"}, {"content", "q"}}});
  r.system = "model default";
  auto out = render_chat(r, t);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->prompt, "mine|mine,q,");
}

TEST(Chat, DefaultIsThePrompt) {
  ChatRequest r = request();
  r.messages.push_back({{"role", "assistant"}, {"content", "hello"}});
  r.messages.push_back({{"role", "user"}, {"content", "again"}});
  auto out = render_chat(r, ChatTemplates{});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->prompt, "hihelloagain");
  EXPECT_EQ(out->source, TemplateSource::Default);
}

TEST(Chat, ErrorsSayWhichTemplate) {
  ChatTemplates t;
  t.jinja = "{{ raise_exception('no') }}";
  auto out = render_chat(request(), t);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().to_string(), "rendering the chat template: line 1, column 4: no");
  t.go_template = "{{ .Prompt ";
  out = render_chat(request(), t);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().to_string(), "parsing the Go template: line 1, column 1: unclosed action");
}

TEST(TemplateSelection, Levenshtein) {
  EXPECT_EQ(levenshtein_bounded("kitten", "sitting", 100), 3u);
  EXPECT_EQ(levenshtein_bounded("", "abc", 100), 3u);
  EXPECT_EQ(levenshtein_bounded("héllo", "hello", 100), 1u);  // code points, not bytes
  EXPECT_EQ(levenshtein_bounded(std::string(300, 'a'), std::string(300, 'b'), 100), 100u);
  EXPECT_EQ(levenshtein_bounded(std::string(150, 'a') + "x", std::string(150, 'a') + "y", 5), 1u);
}

TEST(TemplateSelection, NearestBelowHundred) {
  std::vector<TemplateIndexEntry> index{
      {"first", std::string(200, 'a')}, {"second", std::string(200, 'b')}, {"dup", std::string(200, 'b')}};
  EXPECT_EQ(select_builtin_template(std::string(190, 'b'), index), "second");  // ties: the first entry
  EXPECT_EQ(select_builtin_template(std::string(150, 'a') + std::string(50, 'c'), index), "first");
  EXPECT_EQ(select_builtin_template(std::string(200, 'c'), index), std::nullopt);
  EXPECT_EQ(select_builtin_template(std::string(100, 'a') + std::string(100, 'c'), index),
            std::nullopt);  // exactly 100
}

}  // namespace
}  // namespace corral::tmpl
