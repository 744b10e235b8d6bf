// Binds GGUF tensors to a model's weight fields by name, checking the shape (GGUF order: ne[0],
// the row length, first) and that the kernels can compute with the type. Problems are collected
// and reported together; a model file lists its tensors as a table of bind() calls.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "backend/weight.h"
#include "base/result.h"
#include "gguf/file.h"

namespace corral::models {

enum class Need { kRequired, kOptional };

class TensorBinder {
 public:
  explicit TensorBinder(const GgufFile& file) : file_(file) {}

  // Binds `name` (or "blk.{layer}.{name}" after set_layer) to `field`, expecting `shape`.
  void bind(Weight& field, std::string_view name, std::initializer_list<int64_t> shape, Need need = Need::kRequired);
  void set_layer(int64_t layer) { prefix_ = "blk." + std::to_string(layer) + "."; }
  void clear_layer() { prefix_.clear(); }
  bool has(std::string_view name) const { return file_.find_tensor(prefix_ + std::string(name)) != nullptr; }

  // Every problem found, and a warning (log) for tensors of the file that nothing bound.
  Status finish() const;

 private:
  const GgufFile& file_;
  std::string prefix_;
  std::vector<std::string> errors_;
  std::vector<std::string> bound_;
};

}  // namespace corral::models
