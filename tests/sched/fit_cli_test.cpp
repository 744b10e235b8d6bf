// `corral fit` on a fixture model: a GPU that holds everything, a GPU that forces a split (the
// output names the CPU layers and why), JSON consistent with the text, visibility variables.
#include <stdlib.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "testing/testing.h"

namespace corral {
namespace {

std::string model_path() {
  return (testing::fixtures_dir() / "models" / "llama-small-llama3v4k-q4_k_m.gguf").string();
}

nlohmann::json fit_json(const std::string& args) {
  auto r = testing::run_corral("fit " + model_path() + " " + args + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

TEST(FitCommand, EverythingFitsOnABigGpu) {
  CORRAL_REQUIRE_FIXTURE(model_path());
  auto r = testing::run_corral("fit " + model_path() + " --gpu 8GiB --num-ctx 2048");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("GPU0   hypothetical, 8.0 GiB total"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+ output"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("stays on CPU"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("largest num_ctx that fits entirely on GPU: "), std::string::npos) << r.out;

  const auto j = fit_json("--gpu 8GiB --num-ctx 2048");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["layers_on_gpu"], j["layers"].size());
  EXPECT_EQ(j["output"]["device"], "GPU0");
  EXPECT_GT(j["largest_gpu_num_ctx"].get<int64_t>(), 2047);
}

// "a-b", or "a" for a single layer, as fit prints layer ranges.
std::string range(size_t a, size_t b) {
  return a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b);
}

TEST(FitCommand, SmallGpuSplitsAndSaysWhichLayersAndWhy) {
  // gemma3-tiny: 6 layers, sliding-window and full ones.
  const std::string model = (testing::fixtures_dir() / "models" / "gemma3-tiny-gemma3v4k-f32.gguf").string();
  CORRAL_REQUIRE_FIXTURE(model);
  auto fit_json = [&](const std::string& args) {
    auto r = testing::run_corral("fit " + model + " " + args + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  };
  // Size a GPU for the reserve, the compute buffers, the output head and half the layers.
  const auto big = fit_json("--gpu 64GiB --num-ctx 2048");
  ASSERT_FALSE(big.is_discarded());
  const auto& gpu = big["devices"][1];
  const auto& layers = big["layers"];
  const size_t n = layers.size();
  ASSERT_GE(n, 2u);
  uint64_t size =
      gpu["reserve"].get<uint64_t>() + gpu["compute"].get<uint64_t>() + big["output"]["weights"].get<uint64_t>();
  for (size_t l = n / 2; l < n; ++l)
    size += layers[l]["weights"].get<uint64_t>() + layers[l]["kv_cache"].get<uint64_t>();
  size += 1024;  // less than one more layer
  const std::string gpu_arg = "--gpu " + std::to_string(size) + " --num-ctx 2048";

  const auto split = fit_json(gpu_arg);
  ASSERT_FALSE(split.is_discarded());
  EXPECT_EQ(split["layers_on_gpu"].get<size_t>(), n - n / 2);
  for (size_t l = 0; l < n; ++l) EXPECT_EQ(split["layers"][l]["device"], l < n / 2 ? "CPU" : "GPU0") << l;
  const std::string why = split["layers"][n / 2 - 1]["reason"];
  EXPECT_NE(why.find("stays on CPU: KV cache for "), std::string::npos) << why;
  EXPECT_NE(why.find("GPU0 has"), std::string::npos) << why;
  EXPECT_LT(split["largest_gpu_num_ctx"].get<int64_t>(), 2048);

  auto r = testing::run_corral("fit " + model + " " + gpu_arg);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("layers " + range(0, n / 2 - 1)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("layers " + range(n / 2, n - 1) + " + output"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("layer " + std::to_string(n / 2 - 1) + " stays on CPU"), std::string::npos) << r.out;
}

TEST(FitCommand, NumGpuZeroAndNoGpuRunOnTheCpu) {
  CORRAL_REQUIRE_FIXTURE(model_path());
  const auto j = fit_json("--gpu 8GiB --num-gpu 0");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["layers_on_gpu"], 0);
  for (const char* value : {"", "-1"}) {
    setenv("CUDA_VISIBLE_DEVICES", value, 1);
    auto r = testing::run_corral("fit " + model_path() + " --num-ctx 512");
    unsetenv("CUDA_VISIBLE_DEVICES");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(std::string("CUDA_VISIBLE_DEVICES=\"") + value + "\" hides every cuda GPU"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("largest num_ctx that fits entirely on GPU: none"), std::string::npos) << r.out;
  }
}

TEST(FitCommand, AcceptsAStoredModelName) {
  const std::string model = (testing::fixtures_dir() / "models" / "gemma3-tiny-gemma3v4k-f32.gguf").string();
  CORRAL_REQUIRE_FIXTURE(model);
  testing::TempDir dir;
  {
    std::ofstream modelfile(dir / "Modelfile");
    modelfile << "FROM " << model << "\n";
  }
  setenv("CORRAL_MODELS", (dir / "store").c_str(), 1);
  auto created = testing::run_corral("create tiny -f " + (dir / "Modelfile").string());
  auto r = testing::run_corral("fit tiny --gpu 2GiB");
  auto missing = testing::run_corral("fit nosuch");
  unsetenv("CORRAL_MODELS");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Model    tiny (", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("gemma3, 6 layers"), std::string::npos) << r.out;
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
}

TEST(FitCommand, BadArgumentsAreClearErrors) {
  CORRAL_REQUIRE_FIXTURE(model_path());
  auto r = testing::run_corral("fit " + model_path() + " --gpu 8parsecs");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a memory size"), std::string::npos) << r.err;
  r = testing::run_corral("fit " + model_path() + " --kv-type q4_0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown KV cache type"), std::string::npos) << r.err;
  r = testing::run_corral("fit /nonexistent/model.gguf");
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace corral
