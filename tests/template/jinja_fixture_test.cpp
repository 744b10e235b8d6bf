// Every case of ../shared/fixtures/templates/jinja renders byte-identical to @huggingface/jinja, and
// every expected_error case fails with exactly that raise_exception message.
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "template/jinja.h"
#include "testing/testing.h"

namespace corral::tmpl {
namespace {

using nlohmann::ordered_json;

struct Counts {
  int rendered = 0;
  int errors = 0;
};

Counts run_fixture(const std::string& name) {
  auto dir = corral::testing::fixtures_dir() / "templates" / "jinja";
  Counts counts;
  auto parsed = JinjaTemplate::parse(corral::testing::read_file(dir / (name + ".jinja")));
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().to_string());
  if (!parsed.ok()) return counts;
  std::ifstream in(dir / (name + ".cases.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ordered_json c = ordered_json::parse(line);
    ordered_json vars = ordered_json::object();
    for (const auto& [k, v] : c.items())
      if (k != "id" && k != "expected" && k != "expected_error") vars[k] = v;
    auto out = parsed->render(vars);
    std::string id = c["id"].get<std::string>();
    if (c.contains("expected")) {
      ++counts.rendered;
      EXPECT_TRUE(out.ok()) << name << "/" << id << ": " << out.error().to_string();
      if (out.ok()) {
        EXPECT_EQ(*out, c["expected"].get<std::string>()) << name << "/" << id;
      }
    } else {
      ++counts.errors;
      EXPECT_FALSE(out.ok()) << name << "/" << id << " rendered instead of failing";
      if (!out.ok()) {
        EXPECT_EQ(out.error().message(), c["expected_error"].get<std::string>()) << name << "/" << id;
      }
    }
  }
  return counts;
}

class JinjaFixture : public ::testing::TestWithParam<std::pair<const char*, Counts>> {};

TEST_P(JinjaFixture, RendersLikeReference) {
  auto dir = corral::testing::fixtures_dir() / "templates" / "jinja";
  CORRAL_REQUIRE_FIXTURE(dir / (std::string(GetParam().first) + ".jinja"));
  Counts got = run_fixture(GetParam().first);
  // The counts pin the fixture files, so a truncated file cannot pass silently.
  EXPECT_EQ(got.rendered, GetParam().second.rendered);
  EXPECT_EQ(got.errors, GetParam().second.errors);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, JinjaFixture,
                         ::testing::Values(std::pair{"llama3", Counts{11, 0}}, std::pair{"llama3_1", Counts{16, 1}},
                                           std::pair{"qwen3", Counts{20, 0}}, std::pair{"gemma3", Counts{13, 1}},
                                           std::pair{"llama2", Counts{11, 1}}, std::pair{"mistral", Counts{9, 2}},
                                           std::pair{"deepseek_v3", Counts{14, 0}}),
                         [](const auto& param_info) { return std::string(param_info.param.first); });

}  // namespace
}  // namespace corral::tmpl
