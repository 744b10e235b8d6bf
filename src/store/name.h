// Model names as Ollama parses them: [scheme://][host/][namespace/]model[:tag][@digest], with the
// defaults registry.ollama.ai / library / latest. A valid name maps to exactly one relative path
// manifests/<host>/<namespace>/<model>/<tag>; anything that could escape the store root is invalid.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace corral::store {

inline constexpr std::string_view kDefaultHost = "registry.ollama.ai";
inline constexpr std::string_view kDefaultNamespace = "library";
inline constexpr std::string_view kDefaultTag = "latest";

struct ModelName {
  std::string host;
  std::string name_space;  // "namespace" is a keyword
  std::string model;
  std::string tag;
  std::string digest;  // the optional "@sha256:..." part; not part of the path

  // Splits like Ollama's ParseNameBare and fills in the defaults; no validation.
  static ModelName parse_unchecked(std::string_view text);
  // Parses and validates; the error says what is wrong with the name.
  static Result<ModelName> parse(std::string_view text);
  // From a path relative to manifests/ ("host/ns/model/tag"); invalid for anything else.
  static Result<ModelName> from_relative_path(std::string_view rel);

  bool is_valid() const;
  // "llama3.2:latest", "user/model:tag", "host:5000/ns/model:tag".
  std::string display_shortest() const;
  // "registry.ollama.ai/library/llama3.2:latest".
  std::string display_long() const;
  // "registry.ollama.ai/library/llama3.2/latest" (relative to manifests/).
  std::string manifest_relative_path() const;

  // Case-insensitive equality, as Ollama compares names.
  bool equal_fold(const ModelName& other) const;
  bool operator==(const ModelName& other) const = default;
};

// Why a part is invalid ("" when valid). kind: "host", "namespace", "model", "tag".
std::string name_part_problem(std::string_view kind, std::string_view part);

}  // namespace corral::store
