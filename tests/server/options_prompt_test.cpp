// Option merging (defaults ← params ← request, Ollama's type errors) and prompt rendering rules.
#include <gtest/gtest.h>

#include "server/options.h"
#include "server/prompt.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

TEST(Options, DefaultsAreOllamas) {
  ModelOptions o = default_options();
  EXPECT_FLOAT_EQ(o.sampling.temperature, 0.8f);
  EXPECT_EQ(o.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(o.sampling.top_p, 0.9f);
  EXPECT_FLOAT_EQ(o.sampling.repeat_penalty, 1.0f);
  EXPECT_EQ(o.sampling.num_predict, -1);
  EXPECT_EQ(o.num_keep, 4);
  EXPECT_FALSE(o.num_ctx.has_value());
  EXPECT_EQ(o.num_batch, 512);
}

TEST(Options, RequestOverridesParamsOverridesDefaults) {
  auto params = ordered_json::parse(R"({"temperature":0.2,"num_ctx":1024,"stop":["a","b"]})");
  auto request = ordered_json::parse(R"({"temperature":0,"top_k":5.0,"seed":42,"stop":["x"]})");
  auto o = merge_options(params, request);
  ASSERT_TRUE(o.ok()) << o.error().to_string();
  EXPECT_FLOAT_EQ(o->sampling.temperature, 0.f);
  EXPECT_EQ(o->sampling.top_k, 5);
  EXPECT_EQ(o->sampling.seed, 42);
  EXPECT_EQ(o->num_ctx, 1024);
  EXPECT_EQ(o->sampling.stop, std::vector<std::string>{"x"});
}

TEST(Options, WrongTypesAreErrorsUnknownKeysAreIgnored) {
  auto bad_int = merge_options(nullptr, ordered_json::parse(R"({"top_k":"five"})"));
  ASSERT_FALSE(bad_int.ok());
  EXPECT_EQ(bad_int.error().to_string(), "option \"top_k\" must be of type integer");
  auto bad_float = merge_options(nullptr, ordered_json::parse(R"({"temperature":true})"));
  ASSERT_FALSE(bad_float.ok());
  EXPECT_EQ(bad_float.error().to_string(), "option \"temperature\" must be of type float");
  auto bad_stop = merge_options(nullptr, ordered_json::parse(R"({"stop":[1]})"));
  EXPECT_FALSE(bad_stop.ok());
  auto not_object = merge_options(nullptr, ordered_json::parse(R"([1])"));
  EXPECT_FALSE(not_object.ok());
  auto unknown = merge_options(nullptr, ordered_json::parse(R"({"no_such_option":1,"mirostat":2,"top_k":null})"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->sampling.top_k, 40);
}

ModelFacts jinja_facts() {
  ModelFacts f;
  f.jinja =
      "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% endif %}";
  f.bos_text = "<s>";
  f.eos_text = "</s>";
  return f;
}

TEST(Prompt, JinjaLosesTheBosTextTheTokenizerAdds) {
  tmpl::ChatRequest r;
  r.messages = ordered_json::parse(R"([{"role":"user","content":"hi"}])");
  r.system = "be brief";
  auto p = render_prompt(r, chat_templates(std::nullopt, jinja_facts()));
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(*p, "<system>be brief<user>hi<assistant>");
}

TEST(Prompt, GoTemplateWinsOverJinja) {
  tmpl::ChatRequest r;
  r.messages = generate_messages(
      ordered_json::parse(R"([{"role":"user","content":"old"},{"role":"assistant","content":"reply"}])"), "new");
  auto p = render_prompt(
      r, chat_templates(std::string("{{ range .Messages }}[{{ .Role }}:{{ .Content }}]{{ end }}"), jinja_facts()));
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(*p, "[user:old][assistant:reply][user:new]");
}

TEST(Prompt, ChatHistoryIsDroppedOldestFirstKeepingSystemAndLast) {
  tmpl::ChatRequest r;
  r.messages = ordered_json::parse(R"([{"role":"system","content":"S"},{"role":"user","content":"u1"},
      {"role":"assistant","content":"a1"},{"role":"user","content":"u2"}])");
  auto templates = chat_templates(std::string("{{ range .Messages }}[{{ .Content }}]{{ end }}"), ModelFacts{});
  // One "token" per bracketed message.
  auto count = [](const std::string& p) -> Result<size_t> {
    return static_cast<size_t>(std::count(p.begin(), p.end(), '['));
  };
  auto all = render_chat_fitting(r, templates, 4, count);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, "[S][u1][a1][u2]");
  auto two_dropped = render_chat_fitting(r, templates, 2, count);
  ASSERT_TRUE(two_dropped.ok());
  EXPECT_EQ(*two_dropped, "[S][u2]");
  auto cannot_fit = render_chat_fitting(r, templates, 1, count);
  ASSERT_TRUE(cannot_fit.ok());
  EXPECT_EQ(*cannot_fit, "[S][u2]");  // the runner decides what to do with a prompt too long
}

}  // namespace
}  // namespace corral::server
