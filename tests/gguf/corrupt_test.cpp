// Corrupt and hostile GGUF files: each must give a clear error that names the file and the byte
// offset, and none may crash, hang or allocate absurdly. Also run under ASan/UBSan (scripts/fuzz.sh).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "gguf/file.h"
#include "gguf/writer.h"

namespace corral {
namespace {

using ::testing::HasSubstr;

// Builds GGUF bytes field by field, so each case can break exactly one thing.
class Raw {
 public:
  template <typename T>
  Raw& put(T v) {
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
    return *this;
  }
  Raw& str(std::string_view s) {
    put<uint64_t>(s.size());
    for (char c : s) bytes.push_back(std::byte(static_cast<uint8_t>(c)));
    return *this;
  }
  Raw& header(int64_t n_tensors, int64_t n_kv, uint32_t version = 3) {
    for (char c : std::string_view("GGUF")) bytes.push_back(std::byte(c));
    return put<uint32_t>(version).put<int64_t>(n_tensors).put<int64_t>(n_kv);
  }
  Raw& kv_u32(std::string_view key, uint32_t v) { return str(key).put<int32_t>(4).put<uint32_t>(v); }
  Raw& kv_str(std::string_view key, std::string_view v) { return str(key).put<int32_t>(8).str(v); }
  Raw& tensor(std::string_view name, std::vector<int64_t> ne, int32_t type, uint64_t offset) {
    str(name).put<uint32_t>(static_cast<uint32_t>(ne.size()));
    for (int64_t d : ne) put<int64_t>(d);
    return put<int32_t>(type).put<uint64_t>(offset);
  }
  Raw& pad(size_t alignment = 32) {
    while (bytes.size() % alignment) bytes.push_back(std::byte{0});
    return *this;
  }
  Raw& zeros(size_t n) {
    bytes.insert(bytes.end(), n, std::byte{0});
    return *this;
  }
  std::vector<std::byte> bytes;
};

std::string parse_error(const std::vector<std::byte>& bytes) {
  auto f = GgufFile::parse(bytes, "bad.gguf");
  if (f.ok()) return "<parsed fine>";
  return f.error().to_string();
}

// Asserts an error that names the file and an offset and contains `what`.
void expect_error(const std::vector<std::byte>& bytes, std::string_view what) {
  std::string e = parse_error(bytes);
  EXPECT_THAT(e, HasSubstr("bad.gguf: at byte ")) << e;
  EXPECT_THAT(e, HasSubstr(std::string(what))) << e;
}

TEST(GgufCorrupt, Magic) {
  expect_error({}, "not a GGUF file");
  expect_error(Raw().str("").bytes, "bad magic");
  Raw ggml;
  for (char c : std::string_view("GGMLxxxxxxxxxxxxxxxxxxxxxxxx")) ggml.bytes.push_back(std::byte(c));
  expect_error(ggml.bytes, "bad magic \"GGML\"");
}

TEST(GgufCorrupt, Versions) {
  expect_error(Raw().header(0, 0, 1).bytes, "GGUF version 1 is not supported");
  expect_error(Raw().header(0, 0, 99).bytes, "GGUF version 99 is not supported");
  expect_error(Raw().header(0, 0, 0).bytes, "byte-swapped");
  expect_error(Raw().header(0, 0, 0x03000000).bytes, "byte-swapped");
  EXPECT_EQ(parse_error(Raw().header(0, 0, 2).bytes), "<parsed fine>");
}

TEST(GgufCorrupt, TruncatedHeader) {
  std::vector<std::byte> full = Raw().header(0, 0).bytes;
  for (size_t cut : {4, 6, 8, 12, 16, 20}) {
    std::vector<std::byte> b(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    expect_error(b, "file ends while reading");
  }
}

TEST(GgufCorrupt, HugeCounts) {
  expect_error(Raw().header(std::numeric_limits<int64_t>::max(), 0).bytes, "tensor count");
  expect_error(Raw().header(-1, 0).bytes, "tensor count -1");
  expect_error(Raw().header(0, std::numeric_limits<int64_t>::max()).bytes, "metadata count");
  expect_error(Raw().header(0, -5).bytes, "metadata count -5");
  expect_error(Raw().header(0, 1).str("k").put<int32_t>(9).put<int32_t>(0).put<uint64_t>(1ull << 60).bytes,
               "cannot fit");
  expect_error(Raw().header(0, 1).str("k").put<int32_t>(9).put<int32_t>(8).put<uint64_t>(UINT64_MAX).bytes,
               "cannot fit");
}

TEST(GgufCorrupt, Strings) {
  expect_error(Raw().header(0, 1).put<uint64_t>(UINT64_MAX).zeros(16).bytes, "has length 18446744073709551615");
  expect_error(Raw().header(0, 1).put<uint64_t>(100).zeros(20).bytes, "has length 100");
  expect_error(Raw().header(0, 1).str("").put<int32_t>(4).put<uint32_t>(1).bytes, "is empty");
  expect_error(Raw().header(0, 1).str("k").put<int32_t>(8).put<uint64_t>(1ull << 40).bytes, "has length");
  // A string element inside an array that runs past the end.
  expect_error(Raw().header(0, 1).str("k").put<int32_t>(9).put<int32_t>(8).put<uint64_t>(1).put<uint64_t>(50).bytes,
               "element 0 of \"k\" has length 50");
}

TEST(GgufCorrupt, ValueTypes) {
  expect_error(Raw().header(0, 1).str("k").put<int32_t>(13).put<uint32_t>(0).bytes, "unknown value type 13");
  expect_error(Raw().header(0, 1).str("k").put<int32_t>(-1).put<uint32_t>(0).bytes, "unknown value type -1");
  expect_error(Raw().header(0, 1).str("k").put<int32_t>(9).put<int32_t>(77).put<uint64_t>(0).bytes,
               "unknown value type 77");
  // Truncated in the middle of a scalar.
  expect_error(Raw().header(0, 1).str("k").put<int32_t>(10).put<uint32_t>(0).bytes, "file ends while reading");
}

TEST(GgufCorrupt, NestedArraysTooDeep) {
  Raw r;
  r.header(0, 1).str("deep");
  r.put<int32_t>(9);
  for (int i = 0; i < 10; ++i) r.put<int32_t>(9).put<uint64_t>(1);
  r.put<int32_t>(4).put<uint64_t>(0);
  expect_error(r.bytes, "nested more than 4 deep");
  // Depth 4 is accepted.
  Raw ok;
  ok.header(0, 1).str("ok").put<int32_t>(9);
  for (int i = 0; i < 3; ++i) ok.put<int32_t>(9).put<uint64_t>(1);
  ok.put<int32_t>(4).put<uint64_t>(1).put<uint32_t>(7);
  EXPECT_EQ(parse_error(ok.bytes), "<parsed fine>");
}

TEST(GgufCorrupt, DuplicateKeys) {
  expect_error(Raw().header(0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2).bytes, "duplicate metadata key \"a.b\"");
}

TEST(GgufCorrupt, Alignment) {
  expect_error(Raw().header(0, 1).kv_str("general.alignment", "32").bytes, "must be a u32");
  expect_error(Raw().header(0, 1).kv_u32("general.alignment", 0).bytes, "not a power of two");
  expect_error(Raw().header(0, 1).kv_u32("general.alignment", 48).bytes, "not a power of two");
  // Found by fuzzing: a huge alignment in a file without tensors made a rewrite pad to 1 GiB.
  expect_error(Raw().header(0, 1).kv_u32("general.alignment", 1u << 30).bytes, "larger than the 1048576");
}

std::vector<std::byte> one_tensor(std::string_view name, std::vector<int64_t> ne, int32_t type, uint64_t offset,
                                  size_t data_bytes) {
  return Raw().header(1, 0).tensor(name, std::move(ne), type, offset).pad().zeros(data_bytes).bytes;
}

TEST(GgufCorrupt, TensorNamesAndDims) {
  expect_error(one_tensor("", {4}, 0, 0, 32), "empty name");
  expect_error(one_tensor(std::string(64, 'x'), {4}, 0, 0, 32), "the limit is 63");
  expect_error(one_tensor("t", {1, 1, 1, 1, 1}, 0, 0, 32), "5 dimensions");
  expect_error(one_tensor("t", {}, 0, 0, 32), "0 dimensions");
  expect_error(one_tensor("t", {4, 0}, 0, 0, 32), "dimension 1 = 0");
  expect_error(one_tensor("t", {-4}, 0, 0, 32), "dimension 0 = -4");
  expect_error(one_tensor("t", {1ll << 40, 1ll << 40}, 0, 0, 32), "overflows");
  expect_error(one_tensor("t", {1ll << 62, 4}, 0, 0, 32), "overflows");
  // Elements fit in int64 but bytes do not.
  expect_error(one_tensor("t", {1ll << 31, 1ll << 31}, 0, 0, 32), "byte size overflows");
}

TEST(GgufCorrupt, TensorTypes) {
  expect_error(one_tensor("t", {32}, 99, 0, 64), "unknown tensor type 99");
  expect_error(one_tensor("t", {32}, -3, 0, 64), "unknown tensor type -3");
  expect_error(one_tensor("t", {32}, 4, 0, 64), "was removed");
  expect_error(one_tensor("t", {31}, 2, 0, 64), "not a multiple of the Q4_0 block size 32");
}

TEST(GgufCorrupt, TensorPlacement) {
  expect_error(one_tensor("t", {8}, 0, 1024, 32), "runs past the end of the data section");
  expect_error(one_tensor("t", {8}, 0, UINT64_MAX - 31, 32), "runs past the end");
  expect_error(one_tensor("t", {8}, 0, 4, 64), "offset 4 is not a multiple of the alignment 32");
  expect_error(one_tensor("t", {64}, 0, 0, 100), "runs past the end");  // 256 bytes needed
  std::vector<std::byte> overlap =
      Raw().header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {16}, 0, 32).pad().zeros(128).bytes;
  expect_error(overlap, "tensors \"a\" and \"b\" overlap");
  std::vector<std::byte> dup = Raw().header(2, 0).tensor("a", {8}, 0, 0).tensor("a", {8}, 0, 32).pad().zeros(64).bytes;
  expect_error(dup, "duplicate tensor name \"a\"");
  // Data section start past the end of the file.
  expect_error(Raw().header(1, 0).tensor("t", {8}, 0, 0).bytes, "past the end");
  EXPECT_EQ(parse_error(one_tensor("t", {8}, 0, 0, 32)), "<parsed fine>");
}

// Cutting a valid file at any section boundary (and inside sections) is an error, never a crash.
TEST(GgufCorrupt, TruncatedAtEveryBoundary) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("general.alignment", uint32_t{32});
  w.set("tokenizer.ggml.tokens", make_string_array({"<s>", "</s>", "hello"}));
  w.set("llama.rope.dimension_count", uint32_t{16});
  ASSERT_TRUE(w.add_tensor("a", GgmlType::kF32, {8, 2}, std::vector<std::byte>(64)).ok());
  ASSERT_TRUE(w.add_tensor("b", GgmlType::kQ8_0, {32}, std::vector<std::byte>(34)).ok());
  auto full = w.serialize();
  ASSERT_TRUE(full.ok());
  auto parsed = GgufFile::parse(*full, "full.gguf");
  ASSERT_TRUE(parsed.ok());
  const GgufLayout& l = parsed->layout();
  const uint64_t end_of_last_tensor = l.data_offset + 64 + 34;  // "a" is 64 bytes, then "b"
  std::vector<uint64_t> cuts = {0,
                                3,
                                4,
                                7,
                                8,
                                15,
                                16,
                                23,
                                l.kv_begin,
                                l.kv_begin + 5,
                                l.tensor_infos_begin,
                                l.tensor_infos_begin + 9,
                                l.tensor_infos_end - 1,
                                l.tensor_infos_end,
                                l.data_offset,
                                l.data_offset + 1,
                                l.data_offset + 63,
                                l.data_offset + 64,
                                end_of_last_tensor - 1};
  for (uint64_t c = 0; c < end_of_last_tensor; c += 7) cuts.push_back(c);
  for (uint64_t cut : cuts) {
    std::vector<std::byte> b(full->begin(), full->begin() + static_cast<std::ptrdiff_t>(cut));
    std::string e = parse_error(b);
    EXPECT_THAT(e, HasSubstr("bad.gguf: at byte ")) << "cut at " << cut << ": " << e;
  }
  // Only the trailing padding after the last tensor may be cut.
  std::vector<std::byte> b(full->begin(), full->begin() + static_cast<std::ptrdiff_t>(end_of_last_tensor));
  EXPECT_EQ(parse_error(b), "<parsed fine>");
}

// Every single-byte change of a small valid file either parses or gives a located error.
TEST(GgufCorrupt, EveryByteFlipped) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("a.list", make_array(GgufValueType::kI32, std::vector<int32_t>{1, 2, 3}));
  ASSERT_TRUE(w.add_tensor("x", GgmlType::kQ4_0, {32, 2}, std::vector<std::byte>(36)).ok());
  auto full = w.serialize();
  ASSERT_TRUE(full.ok());
  for (size_t i = 0; i < full->size(); ++i) {
    for (uint8_t v : {0x00, 0xFF, 0x80, 0x7F}) {
      std::vector<std::byte> b = *full;
      b[i] = std::byte(v);
      auto f = GgufFile::parse(b, "bad.gguf");
      if (!f.ok()) {
        EXPECT_THAT(f.error().to_string(), HasSubstr("bad.gguf: at byte ")) << i;
      }
    }
  }
}

TEST(GgufCorrupt, OpenNamesTheFile) {
  auto f = GgufFile::open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.error().to_string(), HasSubstr("/nonexistent/dir/model.gguf"));
}

}  // namespace
}  // namespace corral
