// What `show` reports about a model file: the facts Ollama prints in its "Model" section.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gguf/file.h"

namespace corral {

struct ModelInfo {
  std::string architecture;                  // general.architecture, or "" when absent
  std::string name;                          // general.name, or ""
  uint64_t parameter_count = 0;              // general.parameter_count, else the sum of tensor elements
  std::string parameter_size;                // "1.2B"
  std::optional<uint64_t> context_length;    // {arch}.context_length
  std::optional<uint64_t> embedding_length;  // {arch}.embedding_length
  std::optional<uint32_t> file_type_id;      // general.file_type
  std::string quantization;                  // "Q4_K_M"; guessed from the tensors when file_type is absent
};

ModelInfo summarize_model(const GgufFile& file);

}  // namespace corral
