// The registry client's pieces that need no registry: the WWW-Authenticate parser, URL helpers.
#include "store/registry.h"

#include <gtest/gtest.h>

#include "store/http.h"

namespace corral::store {
namespace {

TEST(AuthChallenge, ParsesBearerParameters) {
  auto c = parse_auth_challenge(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:library/x:pull")");
  EXPECT_EQ(c.scheme, "bearer");
  EXPECT_EQ(c.param("realm"), "https://auth.example.com/token");
  EXPECT_EQ(c.param("service"), "registry.example.com");
  EXPECT_EQ(c.param("scope"), "repository:library/x:pull");
  EXPECT_EQ(c.param("missing"), "");
}

TEST(AuthChallenge, ParsesUnquotedValuesAndEscapes) {
  auto c = parse_auth_challenge(R"(Basic realm="a \"quoted\" realm", charset=UTF-8)");
  EXPECT_EQ(c.scheme, "basic");
  EXPECT_EQ(c.param("realm"), "a \"quoted\" realm");
  EXPECT_EQ(c.param("CHARSET"), "UTF-8");
  EXPECT_EQ(parse_auth_challenge("Bearer").scheme, "bearer");
  EXPECT_TRUE(parse_auth_challenge("").params.empty());
}

TEST(RegistryUrls, EncodesAndResolves) {
  EXPECT_EQ(url_encode("repository:ns/m:pull,push"), "repository%3Ans%2Fm%3Apull%2Cpush");
  EXPECT_EQ(url_encode("a-b_c.d~"), "a-b_c.d~");
  EXPECT_EQ(resolve_location("http://h:5000/v2/ns/m/blobs/uploads/", "/v2/ns/m/blobs/uploads/u1?_state=x"),
            "http://h:5000/v2/ns/m/blobs/uploads/u1?_state=x");
  EXPECT_EQ(resolve_location("http://h/v2/a", "https://cdn/x"), "https://cdn/x");
  EXPECT_EQ(resolve_location("http://h/v2/a/b?q=1", "c"), "http://h/v2/a/c");
}

TEST(RegistryPaths, PartialFileSitsBesideTheBlob) {
  Store store("/models");
  std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(partial_blob_path(store, digest), "/models/blobs/sha256-" + std::string(64, 'a') + "-partial");
}

TEST(RegistryPull, UnreachableRegistryIsAnError) {
  Store store(::testing::TempDir() + "/registry_pull_unreachable");
  auto name = ModelName::parse("127.0.0.1:1/test/tiny:latest");
  ASSERT_TRUE(name.ok());
  RegistryOptions options;
  options.insecure = true;
  std::vector<std::string> seen;
  Status s = pull_model(store, *name, options, [&](const RegistryEvent& e) { seen.push_back(e.status); });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().to_string().find("cannot connect to 127.0.0.1:1"), std::string::npos) << s.error().to_string();
  EXPECT_EQ(seen, std::vector<std::string>{"pulling manifest"});
}

}  // namespace
}  // namespace corral::store
