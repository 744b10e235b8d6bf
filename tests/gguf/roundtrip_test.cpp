// The writer and reader agree: every value type, nested arrays and tensors survive a round trip.
#include <gtest/gtest.h>

#include <cstring>

#include "gguf/file.h"
#include "gguf/model_info.h"
#include "gguf/writer.h"
#include "testing/testing.h"

namespace corral {
namespace {

std::vector<std::byte> pattern_bytes(size_t n, uint8_t seed) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<uint8_t>(seed + i * 31));
  return v;
}

GgufWriter sample_writer(std::vector<std::byte>& borrowed) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("general.name", "round trip");
  w.set("general.file_type", uint32_t{15});
  w.set("llama.context_length", uint32_t{4096});
  w.set("llama.embedding_length", uint32_t{64});
  w.set("t.u8", uint8_t{250});
  w.set("t.i8", int8_t{-5});
  w.set("t.u16", uint16_t{65000});
  w.set("t.i16", int16_t{-30000});
  w.set("t.u32", uint32_t{4000000000u});
  w.set("t.i32", int32_t{-2000000000});
  w.set("t.f32", 1.5f);
  w.set("t.bool", true);
  w.set("t.string", std::string("h\xC3\xA9llo\n\"world\""));
  w.set("t.u64", uint64_t{18000000000000000000ull});
  w.set("t.i64", int64_t{-9000000000000000000ll});
  w.set("t.f64", 2.25);
  w.set("t.strings", make_string_array({"a", "", "▁b", std::string("\0x", 2)}));
  w.set("t.floats", make_array(GgufValueType::kF32, std::vector<float>{0.5f, -1.0f, 3.25f}));
  w.set("t.bools", make_array(GgufValueType::kBool, std::vector<uint8_t>{1, 0, 1}));
  w.set("t.empty", make_array(GgufValueType::kI32, std::vector<int32_t>{}));
  w.set("t.nested", make_array(GgufValueType::kArray,
                               std::vector<GgufValue>{make_array(GgufValueType::kU16, std::vector<uint16_t>{1, 2}),
                                                      make_string_array({"x"})}));
  EXPECT_TRUE(w.add_tensor("token_embd.weight", GgmlType::kQ4_K, {256, 3}, pattern_bytes(3 * 144, 1)).ok());
  EXPECT_TRUE(w.add_tensor("norm.weight", GgmlType::kF32, {5}, pattern_bytes(20, 2)).ok());
  borrowed = pattern_bytes(2 * 2 * 3 * 34, 3);
  EXPECT_TRUE(w.add_tensor("blk.0.x", GgmlType::kQ8_0, {64, 3, 2}, std::span<const std::byte>(borrowed)).ok());
  EXPECT_TRUE(w.add_tensor("four.d", GgmlType::kBF16, {2, 1, 3, 2}, pattern_bytes(24, 4)).ok());
  return w;
}

void expect_same(GgufWriter& w, const GgufFile& f) {
  ASSERT_EQ(f.metadata().size(), w.metadata().size());
  for (size_t i = 0; i < f.metadata().size(); ++i) {
    EXPECT_EQ(f.metadata().entries()[i].first, w.metadata().entries()[i].first);
    EXPECT_TRUE(f.metadata().entries()[i].second == w.metadata().entries()[i].second)
        << f.metadata().entries()[i].first;
  }
  ASSERT_EQ(f.tensors().size(), 4u);
  EXPECT_EQ(f.tensors()[0].name, "token_embd.weight");
  EXPECT_EQ(f.tensors()[0].type, GgmlType::kQ4_K);
  EXPECT_EQ(f.tensors()[0].shape(), (std::vector<int64_t>{256, 3}));
  EXPECT_EQ(f.tensors()[2].shape(), (std::vector<int64_t>{64, 3, 2}));
  EXPECT_EQ(f.tensors()[3].shape(), (std::vector<int64_t>{2, 1, 3, 2}));
  auto expected0 = pattern_bytes(3 * 144, 1);
  ASSERT_EQ(f.tensors()[0].data.size(), expected0.size());
  EXPECT_EQ(std::memcmp(f.tensors()[0].data.data(), expected0.data(), expected0.size()), 0);
  for (const auto& t : f.tensors()) EXPECT_EQ(t.offset % 32, 0u);
  EXPECT_EQ(f.find_tensor("blk.0.x")->n_bytes, 2u * 2u * 3u * 34u);
  EXPECT_EQ(f.find_tensor("nope"), nullptr);
}

TEST(GgufRoundTrip, InMemory) {
  std::vector<std::byte> borrowed;
  GgufWriter w = sample_writer(borrowed);
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  EXPECT_EQ(bytes->size() % 32, 0u);
  auto f = GgufFile::parse(*bytes, "mem.gguf");
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ(f->version(), 3u);
  expect_same(w, *f);
  auto info = summarize_model(*f);
  EXPECT_EQ(info.architecture, "llama");
  EXPECT_EQ(info.quantization, "Q4_K_M");
  EXPECT_EQ(info.context_length, 4096u);
  EXPECT_EQ(info.parameter_count, 256u * 3 + 5 + 64 * 6 + 12);
}

TEST(GgufRoundTrip, ThroughAFileAndAgain) {
  corral::testing::TempDir dir;
  std::vector<std::byte> borrowed;
  GgufWriter w = sample_writer(borrowed);
  ASSERT_TRUE(w.write_file(dir / "model.gguf").ok());
  auto f = GgufFile::open(dir / "model.gguf");
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  expect_same(w, *f);

  // Re-writing what was read gives identical bytes.
  GgufWriter again;
  for (const auto& [k, v] : f->metadata().entries()) again.set(k, v);
  for (const auto& t : f->tensors()) ASSERT_TRUE(again.add_tensor(t.name, t.type, t.shape(), t.data).ok());
  auto a = w.serialize();
  auto b = again.serialize();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b);
}

TEST(GgufRoundTrip, CustomAlignment) {
  GgufWriter w;
  w.set("general.alignment", uint32_t{64});
  ASSERT_TRUE(w.add_tensor("a", GgmlType::kF32, {3}, pattern_bytes(12, 1)).ok());
  ASSERT_TRUE(w.add_tensor("b", GgmlType::kF32, {3}, pattern_bytes(12, 2)).ok());
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  auto f = GgufFile::parse(*bytes, "aligned.gguf");
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->tensors()[1].offset, 64u);
  EXPECT_EQ(f->layout().data_offset % 64, 0u);
}

TEST(GgufWriter, RejectsInconsistentTensors) {
  GgufWriter w;
  EXPECT_FALSE(w.add_tensor("x", GgmlType::kF32, {4}, pattern_bytes(15, 0)).ok());    // wrong size
  EXPECT_FALSE(w.add_tensor("x", GgmlType::kQ4_0, {31}, pattern_bytes(18, 0)).ok());  // not whole blocks
  EXPECT_FALSE(w.add_tensor("", GgmlType::kF32, {1}, pattern_bytes(4, 0)).ok());
  EXPECT_FALSE(w.add_tensor("x", GgmlType::kF32, {0}, std::vector<std::byte>{}).ok());
  EXPECT_FALSE(w.add_tensor("x", GgmlType::kF32, {1, 1, 1, 1, 1}, pattern_bytes(4, 0)).ok());
  EXPECT_FALSE(w.add_tensor(std::string(64, 'n'), GgmlType::kF32, {1}, pattern_bytes(4, 0)).ok());
  ASSERT_TRUE(w.add_tensor("x", GgmlType::kF32, {1}, pattern_bytes(4, 0)).ok());
  EXPECT_FALSE(w.add_tensor("x", GgmlType::kF32, {1}, pattern_bytes(4, 0)).ok());  // duplicate
  w.set("general.alignment", uint32_t{48});
  EXPECT_FALSE(w.serialize().ok());
}

TEST(GgufReader, VocabularyOnlyFileWithoutPadding) {
  GgufWriter w;
  w.set("tokenizer.ggml.model", "gpt2");
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  // Files with no tensors may end right after the metadata, unpadded.
  size_t unpadded = 4 + 4 + 8 + 8 + 8 + 20 + 4 + 8 + 4;
  ASSERT_GE(bytes->size(), unpadded);
  std::span<const std::byte> cut(bytes->data(), unpadded);
  auto f = GgufFile::parse(cut, "vocab.gguf");
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ(*f->metadata().get_string("tokenizer.ggml.model"), "gpt2");
}

}  // namespace
}  // namespace corral
