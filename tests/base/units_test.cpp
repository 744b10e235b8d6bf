#include "base/units.h"

#include <gtest/gtest.h>

namespace corral {
namespace {

TEST(Units, HumanNumberLikeOllama) {
  EXPECT_EQ(human_number(999), "999");
  EXPECT_EQ(human_number(260'000), "260K");
  EXPECT_EQ(human_number(1'235'814'400), "1.2B");
  EXPECT_EQ(human_number(7'000'000'000), "7B");
  EXPECT_EQ(human_number(8'030'261'248), "8.0B");
  EXPECT_EQ(human_number(135'000'000), "135M");
  EXPECT_EQ(human_number(135'270'000), "135.27M");
}

TEST(Units, HumanBytesLikeOllama) {
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1000), "1 KB");
  EXPECT_EQ(human_bytes(2'019'377'376), "2.0 GB");
  EXPECT_EQ(human_bytes(4'920'753'328), "4.9 GB");
  EXPECT_EQ(human_bytes(15'000'000'000), "15 GB");
  EXPECT_EQ(human_bytes(1'500'000), "1.5 MB");
}

TEST(Units, BinaryBytes) {
  EXPECT_EQ(human_bytes_binary(100), "100 B");
  EXPECT_EQ(human_bytes_binary(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes_binary(16ull << 30), "16.0 GiB");
}

}  // namespace
}  // namespace corral
