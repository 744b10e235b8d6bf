// Model names: Ollama's grammar, defaults, validation and paths.
#include "store/name.h"

#include <gtest/gtest.h>

namespace corral::store {
namespace {

TEST(ModelName, Defaults) {
  auto n = ModelName::parse("llama3.2");
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(n->host, "registry.ollama.ai");
  EXPECT_EQ(n->name_space, "library");
  EXPECT_EQ(n->model, "llama3.2");
  EXPECT_EQ(n->tag, "latest");
  EXPECT_EQ(n->display_shortest(), "llama3.2:latest");
  EXPECT_EQ(n->manifest_relative_path(), "registry.ollama.ai/library/llama3.2/latest");
}

TEST(ModelName, AllParts) {
  auto n = ModelName::parse("https://example.com:5000/me/my-model:v1.0");
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(n->host, "example.com:5000");
  EXPECT_EQ(n->name_space, "me");
  EXPECT_EQ(n->model, "my-model");
  EXPECT_EQ(n->tag, "v1.0");
  EXPECT_EQ(n->display_shortest(), "example.com:5000/me/my-model:v1.0");
  auto user = ModelName::parse("me/model:q4");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->display_shortest(), "me/model:q4");
  EXPECT_EQ(user->host, "registry.ollama.ai");
}

TEST(ModelName, TagOnlyAfterLastSlash) {
  // A colon before the last slash belongs to the host (a port), not a tag.
  auto n = ModelName::parse("localhost:8080/ns/model");
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(n->host, "localhost:8080");
  EXPECT_EQ(n->tag, "latest");
}

TEST(ModelName, Digest) {
  std::string d(64, 'a');
  auto n = ModelName::parse("model:tag@sha256:" + d);
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(n->model, "model");
  EXPECT_EQ(n->tag, "tag");
  EXPECT_EQ(n->digest, "sha256:" + d);
  EXPECT_FALSE(ModelName::parse("model@sha256:abc").ok());
}

TEST(ModelName, RejectsEscapesAndBadParts) {
  for (const char* bad :
       {"",           "..",          "../x",       "x/../y",  "/abs",       "/etc/passwd", "a//b",
        "ns/../../x", "model:",      "model:..",   "a\\b",    "ns/mo\\del", "-model",      ".hidden",
        "mo del",     "my.ns/model", "model:ta/g", "ns/:tag", "h/n/m/x",    "model:-tag",  "ns/model:ta.g:x"}) {
    auto n = ModelName::parse(bad);
    EXPECT_FALSE(n.ok()) << "accepted '" << bad << "' as " << (n.ok() ? n->manifest_relative_path() : "");
  }
}

TEST(ModelName, PartLengths) {
  EXPECT_TRUE(ModelName::parse(std::string(80, 'm')).ok());
  EXPECT_FALSE(ModelName::parse(std::string(81, 'm')).ok());
  EXPECT_TRUE(ModelName::parse("m:" + std::string(80, 't')).ok());
  EXPECT_FALSE(ModelName::parse("m:" + std::string(81, 't')).ok());
  EXPECT_TRUE(ModelName::parse(std::string(350, 'h') + "/ns/m").ok());
  EXPECT_FALSE(ModelName::parse(std::string(351, 'h') + "/ns/m").ok());
}

TEST(ModelName, ValidCharacters) {
  for (const char* good : {"_model", "Model_1", "m-o.d_el", "my-ns/m:t-1.2_x", "a.b.c:5000/ns/m"}) {
    EXPECT_TRUE(ModelName::parse(good).ok()) << good;
  }
}

TEST(ModelName, FromRelativePath) {
  auto n = ModelName::from_relative_path("registry.ollama.ai/library/llama3.2/latest");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->display_shortest(), "llama3.2:latest");
  EXPECT_FALSE(ModelName::from_relative_path("registry.ollama.ai/library/llama3.2").ok());
  EXPECT_FALSE(ModelName::from_relative_path("registry.ollama.ai/library/llama3.2/latest/x").ok());
  EXPECT_FALSE(ModelName::from_relative_path("registry.ollama.ai/library/x/.tmp-1").ok());
}

TEST(ModelName, EqualFold) {
  auto a = ModelName::parse("Llama3.2:Latest");
  auto b = ModelName::parse("llama3.2");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->equal_fold(*b));
  EXPECT_FALSE(*a == *b);
}

}  // namespace
}  // namespace corral::store
