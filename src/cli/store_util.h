// What the store commands share: opening the store from the environment and parsing names.
#pragma once

#include <fmt/format.h>

#include <string>

#include "base/env.h"
#include "store/layout.h"
#include "store/name.h"

namespace corral::cli {

// The store named by CORRAL_MODELS / OLLAMA_MODELS / ~/.corral/models; prints the error.
inline std::optional<store::Store> open_store() {
  auto s = store::Store::from_env(Env());
  if (!s.ok()) {
    fmt::print(stderr, "Error: {}\n", s.error().to_string());
    return std::nullopt;
  }
  return std::move(*s);
}

// A model name; prints the error.
inline std::optional<store::ModelName> parse_model_name(const std::string& text) {
  auto n = store::ModelName::parse(text);
  if (!n.ok()) {
    fmt::print(stderr, "Error: {}\n", n.error().to_string());
    return std::nullopt;
  }
  return std::move(*n);
}

}  // namespace corral::cli
