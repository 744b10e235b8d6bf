// `corral debug logits` and `corral debug generate` output formats, on the trained aidreams260K
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

}  // namespace
}  // namespace corral
