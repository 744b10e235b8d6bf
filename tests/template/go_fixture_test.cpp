// Ollama's Go templates against ../shared/fixtures/templates/go: the 20 built-in templates on their
// three conversations, plus Ollama's execute, collate, parse and template-selection cases.
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "template/go_template.h"
#include "template/select.h"
#include "testing/testing.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

std::filesystem::path go_dir() {
  return corral::testing::fixtures_dir() / "templates" / "go";
}

std::vector<ordered_json> read_jsonl(const std::filesystem::path& path) {
  std::vector<ordered_json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(ordered_json::parse(line));
  return out;
}

const char* const kBuiltins[] = {"alfred",
                                 "alpaca",
                                 "chatml",
                                 "chatqa",
                                 "codellama-70b-instruct",
                                 "command-r",
                                 "falcon-instruct",
                                 "gemma-instruct",
                                 "gemma3-instruct",
                                 "granite-instruct",
                                 "llama2-chat",
                                 "llama3-instruct",
                                 "magicoder",
                                 "mistral-instruct",
                                 "openchat",
                                 "phi-3",
                                 "solar-instruct",
                                 "starcoder2-instruct",
                                 "vicuna",
                                 "zephyr"};

class GoBuiltin : public ::testing::TestWithParam<const char*> {};

TEST_P(GoBuiltin, RendersOllamaExpectations) {
  std::string name = GetParam();
  CORRAL_REQUIRE_FIXTURE(go_dir() / (name + ".gotmpl"));
  auto tmpl = GoTemplate::parse(corral::testing::read_file(go_dir() / (name + ".gotmpl")));
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().to_string();
  auto cases = read_jsonl(go_dir() / (name + ".cases.jsonl"));
  ASSERT_EQ(cases.size(), 3u);
  for (const auto& c : cases) {
    GoTemplateValues values;
    values.messages = c["messages"];
    auto out = tmpl->execute(values);
    ASSERT_TRUE(out.ok()) << c["id"] << ": " << out.error().to_string();
    std::string got = *out;
    if (c.value("strip_one_trailing_space_before_compare", false) && !got.empty() && got.back() == ' ') got.pop_back();
    EXPECT_EQ(got, c["expected"].get<std::string>()) << name << "/" << c["id"].get<std::string>();
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoBuiltin, ::testing::ValuesIn(kBuiltins), [](const auto& param_info) {
  std::string s = param_info.param;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
});

TEST(GoFixtures, Execute) {
  CORRAL_REQUIRE_FIXTURE(go_dir() / "execute.cases.jsonl");
  auto cases = read_jsonl(go_dir() / "execute.cases.jsonl");
  EXPECT_EQ(cases.size(), 17u);
  for (const auto& c : cases) {
    std::string id = c["id"].get<std::string>();
    auto tmpl = GoTemplate::parse(c["template"].get<std::string>());
    ASSERT_TRUE(tmpl.ok()) << id << ": " << tmpl.error().to_string();
    GoTemplateValues values;
    const auto& v = c["values"];
    if (v.contains("messages")) values.messages = v["messages"];
    if (v.contains("tools")) values.tools = v["tools"];
    values.prompt = v.value("prompt", "");
    values.suffix = v.value("suffix", "");
    auto out = tmpl->execute(values);
    ASSERT_TRUE(out.ok()) << id << ": " << out.error().to_string();
    if (c["compare"] == "json") {
      auto got = nlohmann::json::parse(*out, nullptr, false);
      ASSERT_FALSE(got.is_discarded()) << id << ": not JSON: " << *out;
      EXPECT_EQ(got, nlohmann::json::parse(c["expected"].get<std::string>())) << id;
    } else {
      EXPECT_EQ(*out, c["expected"].get<std::string>()) << id;
    }
  }
}

TEST(GoFixtures, Collate) {
  CORRAL_REQUIRE_FIXTURE(go_dir() / "collate.cases.jsonl");
  auto cases = read_jsonl(go_dir() / "collate.cases.jsonl");
  EXPECT_EQ(cases.size(), 4u);
  for (const auto& c : cases) {
    Collated got = collate(c["messages"]);
    EXPECT_EQ(got.system, c["expected_system"].get<std::string>()) << c["id"];
    EXPECT_EQ(got.messages, c["expected_messages"]) << c["id"];
  }
}

TEST(GoFixtures, Parse) {
  CORRAL_REQUIRE_FIXTURE(go_dir() / "parse.cases.jsonl");
  auto cases = read_jsonl(go_dir() / "parse.cases.jsonl");
  EXPECT_EQ(cases.size(), 10u);
  for (const auto& c : cases) {
    std::string id = c["id"].get<std::string>();
    auto tmpl = GoTemplate::parse(c["template"].get<std::string>());
    if (c["kind"] == "vars") {
      ASSERT_TRUE(tmpl.ok()) << id << ": " << tmpl.error().to_string();
      EXPECT_EQ(tmpl->vars(), c["expected_vars"].get<std::vector<std::string>>()) << id;
    } else {
      ASSERT_FALSE(tmpl.ok()) << id << " parsed";
      EXPECT_NE(tmpl.error().to_string().find(c["expected_error_contains"].get<std::string>()), std::string::npos)
          << id << ": " << tmpl.error().to_string();
    }
  }
}

TEST(GoFixtures, NamedTemplateSelection) {
  CORRAL_REQUIRE_FIXTURE(go_dir() / "index.json");
  auto index = parse_template_index(corral::testing::read_file(go_dir() / "index.json"));
  ASSERT_TRUE(index.ok()) << index.error().to_string();
  EXPECT_EQ(index->size(), 37u);
  auto cases = read_jsonl(go_dir() / "named.cases.jsonl");
  EXPECT_EQ(cases.size(), 35u);
  for (size_t i = 0; i < cases.size(); ++i) {
    auto got = select_builtin_template(cases[i]["jinja"].get<std::string>(), *index);
    ASSERT_TRUE(got.has_value()) << "case " << i;
    EXPECT_EQ(*got, cases[i]["expected_name"].get<std::string>()) << "case " << i;
  }
  // Every selected name has a template file beside the index.
  for (const auto& e : *index) EXPECT_TRUE(std::filesystem::exists(go_dir() / (e.name + ".gotmpl"))) << e.name;
}

}  // namespace
}  // namespace corral::tmpl
