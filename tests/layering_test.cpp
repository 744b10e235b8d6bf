// Layers depend only downward (docs/architecture.md). The build enforces it through per-layer
// include roots; this test states the rule directly: every `#include "X/..."` in src/L/ names L
// or a layer added before L in the top-level CMakeLists.txt.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "testing/testing.h"

namespace corral {
namespace {

std::vector<std::string> layer_order() {
  std::string cmake = corral::testing::read_file(std::filesystem::path(CORRAL_SOURCE_DIR) / "CMakeLists.txt");
  std::regex re(R"(add_subdirectory\(src/(\w+)\))");
  std::vector<std::string> layers;
  for (auto it = std::sregex_iterator(cmake.begin(), cmake.end(), re); it != std::sregex_iterator(); ++it)
    layers.push_back((*it)[1]);
  return layers;
}

TEST(Layering, IncludesPointDown) {
  auto layers = layer_order();
  ASSERT_GE(layers.size(), 4u);
  auto rank = [&](const std::string& l) {
    auto it = std::find(layers.begin(), layers.end(), l);
    return it == layers.end() ? -1 : static_cast<int>(it - layers.begin());
  };
  std::regex include_re(R"(#include\s+"(\w+)/)");
  size_t checked = 0;
  for (const auto& layer : layers) {
    auto dir = std::filesystem::path(CORRAL_SOURCE_DIR) / "src" / layer;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path());
      std::string line;
      while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, include_re)) continue;
        int target = rank(m[1]);
        if (target < 0) continue;  // not a layer (e.g. <CLI/CLI.hpp>-style paths use <>)
        EXPECT_LE(target, rank(layer)) << e.path() << " includes upward: " << line;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 10u);
}

}  // namespace
}  // namespace corral
