// Model loading reports what is wrong with a file: missing metadata keys (all of them at once),
// missing tensors, wrong shapes, unsupported architectures.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "gguf/writer.h"
#include "models/registry.h"

namespace corral::models {
namespace {

std::vector<std::byte> zeros_f32(size_t n) {
  return std::vector<std::byte>(n * sizeof(float));
}

// A 1-layer llama of width 8 with 2 heads; `skip` leaves out one metadata key or tensor, and
// `q_rows` sets attn_q's output size (8 is right).
class ModelLoad : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Model>> load_tiny(const std::string& skip, int64_t q_rows = 8,
                                           const std::string& arch = "llama");

  std::vector<std::byte> bytes_;  // the parsed file views these bytes
  std::optional<GgufFile> file_;  // and the model views the file
};

Result<std::unique_ptr<Model>> ModelLoad::load_tiny(const std::string& skip, int64_t q_rows, const std::string& arch) {
  GgufWriter w;
  w.set("general.architecture", arch);
  const std::vector<std::pair<std::string, uint32_t>> keys = {{"context_length", 16},
                                                              {"embedding_length", 8},
                                                              {"block_count", 1},
                                                              {"feed_forward_length", 16},
                                                              {"attention.head_count", 2}};
  for (const auto& [k, v] : keys)
    if (k != skip) w.set(arch + "." + k, v);
  if (skip != "eps") w.set(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    if (name == skip) return;
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    EXPECT_TRUE(w.add_tensor(name, GgmlType::kF32, shape, zeros_f32(n)).ok());
  };
  add("token_embd.weight", {8, 32});
  add("output_norm.weight", {8});
  add("blk.0.attn_norm.weight", {8});
  add("blk.0.attn_q.weight", {8, q_rows});
  add("blk.0.attn_k.weight", {8, 8});
  add("blk.0.attn_v.weight", {8, 8});
  add("blk.0.attn_output.weight", {8, 8});
  add("blk.0.ffn_norm.weight", {8});
  add("blk.0.ffn_gate.weight", {8, 16});
  add("blk.0.ffn_up.weight", {8, 16});
  add("blk.0.ffn_down.weight", {16, 8});
  bytes_ = *w.serialize();
  auto parsed = GgufFile::parse(bytes_, "tiny.gguf");
  if (!parsed.ok()) return std::move(parsed).error();
  file_.emplace(std::move(parsed).value());
  return load_model(*file_);
}

TEST_F(ModelLoad, AWellFormedFileLoads) {
  auto m = load_tiny("");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ((*m)->info().n_layer, 1);
  EXPECT_EQ((*m)->info().head_dim, 4);
  EXPECT_EQ((*m)->info().n_vocab, 32);
}

TEST_F(ModelLoad, NamesEveryMissingKey) {
  auto m = load_tiny("embedding_length");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().to_string().find("missing key llama.embedding_length"), std::string::npos)
      << m.error().to_string();
  auto e = load_tiny("eps");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().to_string().find("llama.attention.layer_norm_rms_epsilon"), std::string::npos);
}

TEST_F(ModelLoad, NamesAMissingTensor) {
  auto m = load_tiny("blk.0.ffn_up.weight");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().to_string().find("missing tensor blk.0.ffn_up.weight"), std::string::npos)
      << m.error().to_string();
}

TEST_F(ModelLoad, ChecksShapes) {
  auto m = load_tiny("", 12);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().to_string().find("tensor blk.0.attn_q.weight has shape [8, 12], expected [8, 8]"),
            std::string::npos)
      << m.error().to_string();
}

TEST_F(ModelLoad, RejectsUnknownArchitectures) {
  auto m = load_tiny("", 8, "mamba");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().to_string().find("architecture \"mamba\" is not supported"), std::string::npos);
}

}  // namespace
}  // namespace corral::models
