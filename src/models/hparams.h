// Reads an architecture's hyper-parameters from GGUF metadata ("{arch}.embedding_length", ...).
// Missing or malformed keys are collected, so one load reports every problem at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/value.h"

namespace corral::models {

class HParamReader {
 public:
  HParamReader(const GgufMetadata& metadata, std::string arch) : md_(metadata), arch_(std::move(arch)) {}

  // `suffix` is the key after "{arch}.". Required keys record an error when absent.
  int64_t u32(std::string_view suffix);
  int64_t u32_or(std::string_view suffix, int64_t fallback);
  float f32(std::string_view suffix);
  float f32_or(std::string_view suffix, float fallback);
  std::string str_or(std::string_view suffix, std::string fallback);
  // A value given either once or per layer (an array of n_layer); these architectures need the
  // same value in every layer, so an array with differing entries is an error.
  int64_t per_layer_u32(std::string_view suffix, int64_t n_layer, const int64_t* fallback = nullptr);

  void fail(std::string message) { errors_.push_back(std::move(message)); }
  std::string key(std::string_view suffix) const { return arch_ + "." + std::string(suffix); }
  // Every recorded problem, joined; ok when none.
  Status status() const;

 private:
  const GgufMetadata& md_;
  std::string arch_;
  std::vector<std::string> errors_;
};

}  // namespace corral::models
