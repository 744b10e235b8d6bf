#include "tensor/ggml_type.h"

#include <gtest/gtest.h>

namespace corral {
namespace {

TEST(GgmlType, SizesOfCommonTypes) {
  struct Case {
    int id;
    const char* name;
    uint32_t block, bytes;
  };
  for (const Case& c : std::initializer_list<Case>{{0, "F32", 1, 4},
                                                   {1, "F16", 1, 2},
                                                   {2, "Q4_0", 32, 18},
                                                   {8, "Q8_0", 32, 34},
                                                   {10, "Q2_K", 256, 84},
                                                   {11, "Q3_K", 256, 110},
                                                   {12, "Q4_K", 256, 144},
                                                   {13, "Q5_K", 256, 176},
                                                   {14, "Q6_K", 256, 210},
                                                   {15, "Q8_K", 256, 292},
                                                   {20, "IQ4_NL", 32, 18},
                                                   {23, "IQ4_XS", 256, 136},
                                                   {30, "BF16", 1, 2},
                                                   {34, "TQ1_0", 256, 54},
                                                   {39, "MXFP4", 32, 17}}) {
    auto t = ggml_type_traits(c.id);
    ASSERT_TRUE(t.ok()) << c.name;
    EXPECT_EQ(t->name, c.name);
    EXPECT_EQ(t->block_size, c.block) << c.name;
    EXPECT_EQ(t->type_size, c.bytes) << c.name;
  }
}

TEST(GgmlType, UnknownAndRemovedIdsAreErrors) {
  for (int id : {4, 5, 31, 32, 33, 36, 37, 38}) {
    auto t = ggml_type_traits(id);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message().find("removed"), std::string::npos);
  }
  for (int id : {-1, 40, 1000}) {
    auto t = ggml_type_traits(id);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message().find("unknown tensor type"), std::string::npos);
  }
  int known = 0;
  for (int id = 0; id < 64; ++id) known += ggml_type_traits(id).ok() ? 1 : 0;
  EXPECT_EQ(known, 32);
}

TEST(GgmlType, RowBytesAndNames) {
  EXPECT_EQ(ggml_row_bytes(GgmlType::kQ4_K, 2048), 8u * 144u);
  EXPECT_FALSE(ggml_row_bytes(GgmlType::kQ4_K, 100).has_value());
  EXPECT_FALSE(ggml_row_bytes(GgmlType::kF32, UINT64_MAX / 2).has_value());
  EXPECT_EQ(ggml_type_from_name("q4_k"), GgmlType::kQ4_K);
  EXPECT_EQ(ggml_type_from_name("BF16"), GgmlType::kBF16);
  EXPECT_FALSE(ggml_type_from_name("q4_2").has_value());
  EXPECT_EQ(file_type_name(15), "Q4_K_M");
  EXPECT_EQ(file_type_name(15 | 1024), "Q4_K_M");
  EXPECT_EQ(file_type_name(32), "BF16");
  EXPECT_EQ(file_type_name(999), "unknown");
}

}  // namespace
}  // namespace corral
