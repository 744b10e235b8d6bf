#include "base/result.h"

#include <gtest/gtest.h>

namespace corral {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Error::format("{} is not positive", v);
  return v;
}

Result<int> doubled(int v) {
  CORRAL_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

Status check_both(int a, int b) {
  CORRAL_TRY(parse_positive(a));
  CORRAL_TRY(parse_positive(b).with_context("second value"));
  return {};
}

TEST(Result, ValueAndError) {
  auto ok = doubled(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "-1 is not positive");
}

TEST(Result, ContextChainPrintsOutermostFirst) {
  Status s = check_both(1, 0);
  ASSERT_FALSE(s.ok());
  Error e = std::move(s).error();
  e = std::move(e).with_context("reading config");
  EXPECT_EQ(e.to_string(), "reading config: second value: 0 is not positive");
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace corral
