// `corral debug logits`, `corral debug generate` and `corral bench` output formats, on the trained aidreams260K
// fixture model (skipped without the fixtures).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "testing/testing.h"

namespace corral {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

std::string model_path() {
  return (testing::fixtures_dir() / "models" / "aidreams260K.gguf").string();
}

TEST(DebugLogitsCommand, PrintsOneLineOfNVocabValuesPerPosition) {
  CORRAL_REQUIRE_FIXTURE(model_path());
  auto last = testing::run_corral("debug logits " + model_path() + " --tokens \"1 403 407\" --threads 1");
  ASSERT_EQ(last.exit_code, 0) << last.err;
  const auto lines = split(last.out, '\n');
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(split(lines[0], ' ').size(), 512u);

  auto all = testing::run_corral("debug logits " + model_path() + " --tokens \"1 403 407\" --all");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto rows = split(all.out, '\n');
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2], lines[0]);  // the last row of --all is the default output, byte for byte
}

TEST(DebugLogitsCommand, OutWritesRawFloatRows) {
  CORRAL_REQUIRE_FIXTURE(model_path());
  testing::TempDir dir;
  const auto path = dir / "l.f32";
  auto r = testing::run_corral("debug logits " + model_path() + " --tokens \"1 403\" --all --out " + path.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_file(path).size(), 2u * 512u * sizeof(float));
}

TEST(DebugLogitsCommand, RejectsIdsOutsideTheVocabulary) {
  CORRAL_REQUIRE_FIXTURE(model_path());
  auto r = testing::run_corral("debug logits " + model_path() + " --tokens \"1 512\"");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Error: "), std::string::npos);
}

TEST(DebugGenerateCommand, PrintsNGreedyIds) {
  CORRAL_REQUIRE_FIXTURE(model_path());
  auto r = testing::run_corral("debug generate " + model_path() + " --tokens \"1 403\" -n 5 --ignore-eos");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(split(split(r.out, '\n').at(0), ' ').size(), 5u);
}

TEST(BenchCommand, PrintsPromptAndGenerationSpeed) {
  CORRAL_REQUIRE_FIXTURE(model_path());
  auto r = testing::run_corral("bench " + model_path() + " -p 16 -n 4 -r 2 -t 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = split(r.out, '\n');
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0].rfind("pp16: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(" tok/s (min "), std::string::npos);
  EXPECT_EQ(lines[1].rfind("tg4: ", 0), 0u) << lines[1];
}

}  // namespace
}  // namespace corral
