// Generated conversations (fixed seed: random roles, unicode, empty contents, tool calls) rendered
// with corral's Jinja and with @huggingface/jinja (node, tests/npm) through the fixture templates;
// the outputs must be identical, and a conversation one renderer rejects the other must reject too.
//
// Two known divergences are kept out of the generated data, where corral follows Python Jinja2 (what
// transformers and llama.cpp's minja do) rather than @huggingface/jinja:
// - str.strip/lstrip/rstrip with an argument: the reference ignores it (`x.lstrip('\n')` strips all
//   whitespace); so text next to qwen3's <think> markers starts with a newline.
// - `==`/`!=` between a string and a boolean: the reference uses JavaScript's loose equality
//   ('' == false), Python says they differ; so llama2 system messages (compared with `!= false`) are
//   never empty.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "template/jinja.h"
#include "testing/testing.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
  bool chance(uint32_t percent) { return below(100) < percent; }

  std::string text() {
    static const char* const kPieces[] = {"Hello",
                                          "world",
                                          "how are you?",
                                          "  padded  ",
                                          "\n",
                                          "\t",
                                          "tabs\tand\nlines",
                                          "é à ü ß",
                                          "中文字符",
                                          "日本語",
                                          "한국어",
                                          "🦙🚀",
                                          "👩‍👩‍👧",
                                          "مرحبا",
                                          "{\"json\": [1, 2]}",
                                          "<b>tag</b>",
                                          "a & b",
                                          "quote\"s",
                                          "back\\slash",
                                          "<|im_start|>",
                                          "[INST]",
                                          "{{ not a tag }}",
                                          "{% neither %}",
                                          "100%",
                                          "",
                                          "line1\r\nline2"};
    if (chance(10)) return "";
    std::string out;
    uint32_t n = 1 + below(4);
    for (uint32_t i = 0; i < n; ++i) {
      if (i) out += " ";
      out += kPieces[below(std::size(kPieces))];
    }
    return out;
  }

  ordered_json arguments(bool as_string) {
    ordered_json args = ordered_json::object();
    uint32_t n = below(3);
    for (uint32_t i = 0; i < n; ++i) {
      std::string key = std::string(1, static_cast<char>('a' + below(26))) + "key";
      switch (below(4)) {
        case 0: args[key] = text(); break;
        case 1: args[key] = static_cast<int>(below(1000)) - 500; break;
        case 2: args[key] = chance(50); break;
        default: args[key] = {{"nested", text()}, {"list", {1, "two", nullptr}}};
      }
    }
    if (as_string) return args.dump();
    return args;
  }

  ordered_json tool_calls(const std::string& family) {
    ordered_json calls = ordered_json::array();
    uint32_t n = family == "llama3_1" ? 1 + (chance(15) ? 1 : 0) : 1 + below(2);
    for (uint32_t i = 0; i < n; ++i) {
      static const char* const kNames[] = {"get_weather", "search", "calculator", "lookup_é"};
      calls.push_back({{"type", "function"},
                       {"function", {{"name", kNames[below(4)]}, {"arguments", arguments(family == "deepseek_v3")}}}});
    }
    return calls;
  }

  ordered_json tools() {
    ordered_json tools = ordered_json::array();
    uint32_t n = 1 + below(2);
    for (uint32_t i = 0; i < n; ++i) {
      tools.push_back(
          {{"type", "function"},
           {"function",
            {{"name", "tool_" + std::to_string(i)},
             {"description", text()},
             {"parameters",
              {{"type", "object"},
               {"properties",
                {{"location", {{"type", "string"}, {"description", text()}}}, {"n", {{"type", "integer"}}}}},
               {"required", {"location"}}}}}}});
    }
    return tools;
  }

  ordered_json message(const std::string& role, const std::string& family) {
    ordered_json m = {{"role", role}};
    if (role == "assistant" && family != "llama2" && family != "mistral" && family != "gemma3" && family != "llama3" &&
        chance(25)) {
      m["content"] = family == "deepseek_v3" ? ordered_json(nullptr) : ordered_json("");
      m["tool_calls"] = tool_calls(family);
      return m;
    }
    if (role == "assistant" && family == "qwen3" && chance(30)) {
      m["content"] = "<think>\n" + text() + "\n</think>\n\n" + text() + ".";
      return m;
    }
    if (family == "gemma3" && chance(20)) {
      m["content"] = ordered_json::array({{{"type", "text"}, {"text", text()}}});
      if (chance(50)) m["content"].push_back({{"type", "image"}});
      return m;
    }
    m["content"] = text();
    if (family == "llama2" && role == "system" && m["content"] == "") m["content"] = "sys";
    return m;
  }

  ordered_json conversation(const std::string& family) {
    ordered_json messages = ordered_json::array();
    if (chance(40)) messages.push_back(message("system", family));
    uint32_t turns = below(7);
    bool alternate = chance(60);
    for (uint32_t i = 0; i < turns; ++i) {
      std::string role;
      if (alternate) {
        role = i % 2 == 0 ? "user" : "assistant";
      } else {
        static const char* const kRoles[] = {"user", "assistant", "system", "tool", "user", "assistant"};
        role = kRoles[below(std::size(kRoles))];
      }
      messages.push_back(message(role, family));
    }
    if (messages.empty() || chance(70)) messages.push_back(message("user", family));
    return messages;
  }

 private:
  std::mt19937 rng_;
};

ordered_json variables(Gen& gen, const std::string& family, const ordered_json& source_info) {
  ordered_json vars = ordered_json::object();
  vars["messages"] = gen.conversation(family);
  vars["add_generation_prompt"] = gen.chance(70);
  if (source_info.contains("bos_token") && source_info["bos_token"].is_string())
    vars["bos_token"] = source_info["bos_token"];
  if (source_info.contains("eos_token") && source_info["eos_token"].is_string())
    vars["eos_token"] = source_info["eos_token"];
  if ((family == "qwen3" || family == "llama3_1") && gen.chance(40)) vars["tools"] = gen.tools();
  if (family == "qwen3" && gen.chance(50)) vars["enable_thinking"] = gen.chance(50);
  if (family == "llama3_1" && gen.chance(30)) vars["date_string"] = "01 Jan 2030";
  if (family == "llama3_1" && gen.chance(30)) vars["tools_in_user_message"] = gen.chance(50);
  return vars;
}

TEST(CrossRenderer, MatchesHuggingFaceJinja) {
  auto jinja_dir = corral::testing::fixtures_dir() / "templates" / "jinja";
  CORRAL_REQUIRE_FIXTURE(jinja_dir / "sources.json");
  std::filesystem::path npm = std::filesystem::path(CORRAL_SOURCE_DIR) / "tests" / "npm";
  if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "node is not installed";
  if (!std::filesystem::exists(npm / "node_modules" / "@huggingface" / "jinja"))
    GTEST_SKIP() << "tests/npm/node_modules is absent (run scripts/setup.sh)";
  auto sources = ordered_json::parse(corral::testing::read_file(jinja_dir / "sources.json"));
  std::filesystem::path script = std::filesystem::path(CORRAL_SOURCE_DIR) / "tests" / "template" / "render_jinja.cjs";

  corral::testing::TempDir tmp;
  Gen gen(20250611);
  constexpr int kPerTemplate = 40;
  int identical = 0, both_failed = 0;
  for (const char* family : {"llama3", "llama3_1", "qwen3", "gemma3", "llama2", "mistral", "deepseek_v3"}) {
    std::string source = corral::testing::read_file(jinja_dir / (std::string(family) + ".jinja"));
    auto tmpl = JinjaTemplate::parse(source);
    ASSERT_TRUE(tmpl.ok()) << tmpl.error().to_string();
    ordered_json cases = ordered_json::array();
    for (int i = 0; i < kPerTemplate; ++i) cases.push_back(variables(gen, family, sources[family]));
    {
      std::ofstream in(tmp / "in.json", std::ios::binary);
      in << ordered_json{{"template", source}, {"cases", cases}}.dump();
    }
    std::string cmd = "node '" + script.string() + "' '" + npm.string() + "' '" + (tmp / "in.json").string() + "' '" +
                      (tmp / "out.json").string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto expected = ordered_json::parse(corral::testing::read_file(tmp / "out.json"));
    ASSERT_EQ(expected.size(), cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      auto got = tmpl->render(cases[i]);
      const auto& ref = expected[i];
      if (ref["ok"].get<bool>()) {
        ASSERT_TRUE(got.ok()) << family << " case " << i << ": " << got.error().to_string() << "\n" << cases[i].dump();
        ASSERT_EQ(*got, ref["text"].get<std::string>()) << family << " case " << i << "\n" << cases[i].dump();
        ++identical;
      } else {
        ASSERT_FALSE(got.ok()) << family << " case " << i << " rendered but the reference failed with " << ref["error"]
                               << "\n"
                               << cases[i].dump();
        ++both_failed;
      }
    }
  }
  // The generator must exercise mostly successful renders, not just errors.
  EXPECT_GE(identical, 150) << "identical renders";
  std::printf("cross-renderer: %d identical renders, %d rejected by both\n", identical, both_failed);
}

}  // namespace
}  // namespace corral::tmpl
