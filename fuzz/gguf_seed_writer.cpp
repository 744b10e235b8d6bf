// Writes the fuzzing seed corpus into the directory given as argv[1].
#include <fmt/format.h>

#include <filesystem>
#include <vector>

#include "gguf/writer.h"

using namespace corral;

namespace {

std::vector<std::byte> bytes(size_t n, uint8_t seed) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<uint8_t>(seed * 7 + i));
  return v;
}

GgufWriter scalars() {
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("u8", uint8_t{1});
  w.set("i8", int8_t{-1});
  w.set("u16", uint16_t{2});
  w.set("i16", int16_t{-2});
  w.set("u32", uint32_t{3});
  w.set("i32", int32_t{-3});
  w.set("f32", 0.5f);
  w.set("bool", true);
  w.set("str", "text");
  w.set("u64", uint64_t{4});
  w.set("i64", int64_t{-4});
  w.set("f64", 0.25);
  return w;
}

GgufWriter arrays() {
  GgufWriter w;
  w.set("tokenizer.ggml.tokens", make_string_array({"<s>", "</s>", "a", "b"}));
  w.set("tokenizer.ggml.scores", make_array(GgufValueType::kF32, std::vector<float>{0, 0, -1, -2}));
  w.set("tokenizer.ggml.token_type", make_array(GgufValueType::kI32, std::vector<int32_t>{3, 3, 1, 1}));
  w.set("flags", make_array(GgufValueType::kBool, std::vector<uint8_t>{1, 0}));
  w.set("nested", make_array(GgufValueType::kArray,
                             std::vector<GgufValue>{make_array(GgufValueType::kU8, std::vector<uint8_t>{1})}));
  return w;
}

GgufWriter tensors() {
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("general.file_type", uint32_t{7});
  (void)w.add_tensor("token_embd.weight", GgmlType::kQ8_0, {32, 4}, bytes(4 * 34, 1));
  (void)w.add_tensor("output_norm.weight", GgmlType::kF32, {32}, bytes(128, 2));
  (void)w.add_tensor("blk.0.attn_q.weight", GgmlType::kQ4_K, {256, 2}, bytes(2 * 144, 3));
  (void)w.add_tensor("blk.0.ffn_up.weight", GgmlType::kF16, {8, 2, 2}, bytes(64, 4));
  return w;
}

GgufWriter aligned() {
  GgufWriter w;
  w.set("general.alignment", uint32_t{64});
  (void)w.add_tensor("a", GgmlType::kBF16, {3}, bytes(6, 5));
  (void)w.add_tensor("b", GgmlType::kIQ4_NL, {32}, bytes(18, 6));
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: gguf_seed_writer DIR\n");
    return 2;
  }
  std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  struct Seed {
    const char* name;
    GgufWriter writer;
  };
  Seed seeds[] = {{"scalars.gguf", scalars()},
                  {"arrays.gguf", arrays()},
                  {"tensors.gguf", tensors()},
                  {"aligned.gguf", aligned()},
                  {"empty.gguf", GgufWriter()}};
  for (auto& s : seeds) {
    if (auto st = s.writer.write_file(dir / s.name); !st.ok()) {
      fmt::print(stderr, "{}\n", st.error().to_string());
      return 1;
    }
  }
  return 0;
}
