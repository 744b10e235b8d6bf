#include "base/env.h"

#include <gtest/gtest.h>

#include <map>

#include "base/log.h"

namespace corral {
namespace {

Env fake_env(std::map<std::string, std::string> vars) {
  return Env([vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(Env, CorralPrefixWinsOverOllama) {
  Env env = fake_env({{"CORRAL_KEEP_ALIVE", "10m"}, {"OLLAMA_KEEP_ALIVE", "5m"}, {"OLLAMA_HOST", "0.0.0.0"}});
  EXPECT_EQ(env.get("KEEP_ALIVE")->value, "10m");
  EXPECT_EQ(env.get("KEEP_ALIVE")->name, "CORRAL_KEEP_ALIVE");
  EXPECT_EQ(env.get("HOST")->name, "OLLAMA_HOST");
  EXPECT_FALSE(env.get("MODELS").has_value());
}

TEST(Env, EmptyAndQuotedValues) {
  Env env = fake_env({{"CORRAL_HOST", ""}, {"OLLAMA_HOST", " \"127.0.0.1:8080\" "}, {"CUDA_VISIBLE_DEVICES", ""}});
  // An empty CORRAL_ value counts as unset, like Ollama's envconfig; quotes and spaces are trimmed.
  EXPECT_EQ(env.get("HOST")->value, "127.0.0.1:8080");
  // raw() keeps the difference between empty and unset (device visibility depends on it).
  ASSERT_TRUE(env.raw("CUDA_VISIBLE_DEVICES").has_value());
  EXPECT_EQ(*env.raw("CUDA_VISIBLE_DEVICES"), "");
  EXPECT_FALSE(env.raw("HIP_VISIBLE_DEVICES").has_value());
}

TEST(Env, TypedValues) {
  Env env = fake_env({{"CORRAL_NOPRUNE", "true"}, {"OLLAMA_MAX_QUEUE", "12"}, {"CORRAL_NUM_PARALLEL", "four"}});
  EXPECT_TRUE(*env.get_bool("NOPRUNE", false));
  EXPECT_FALSE(*env.get_bool("FLASH_ATTENTION", false));
  EXPECT_EQ(*env.get_int("MAX_QUEUE", 512), 12);
  EXPECT_EQ(*env.get_int("MAX_LOADED_MODELS", 3), 3);
  auto bad = env.get_int("NUM_PARALLEL", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("CORRAL_NUM_PARALLEL"), std::string::npos);
}

TEST(Env, DebugLevels) {
  EXPECT_EQ(log_level_from_env(fake_env({})), LogLevel::kInfo);
  EXPECT_EQ(log_level_from_env(fake_env({{"OLLAMA_DEBUG", "1"}})), LogLevel::kDebug);
  EXPECT_EQ(log_level_from_env(fake_env({{"OLLAMA_DEBUG", "2"}})), LogLevel::kTrace);
  EXPECT_EQ(log_level_from_env(fake_env({{"CORRAL_DEBUG", "true"}})), LogLevel::kDebug);
  EXPECT_EQ(log_level_from_env(fake_env({{"CORRAL_DEBUG", "0"}, {"OLLAMA_DEBUG", "2"}})), LogLevel::kInfo);
}

}  // namespace
}  // namespace corral
