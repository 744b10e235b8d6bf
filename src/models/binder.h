// Binds GGUF tensors to a model's weight fields by name, checking the shape (GGUF order: ne[0],
// the row length, first) and that the backends can compute with the type. Problems are collected
// and reported together; a model file lists its tensors as a table of bind() calls.
//
// Binding does not touch the data: it records, for each field, the file tensor, where the model
// needs it (the input, a layer, the output head) and how it is read. Once the engine knows which
// device holds each part, it prepares every weight on that device's backend and fills the fields
// (prepare_weights in engine/). Until then a field has its type and shape but no buffer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "base/result.h"
#include "gguf/file.h"

namespace corral::models {

enum class Need { kRequired, kOptional };

// Which part of the model reads a weight; the placement maps parts to devices.
struct WeightHome {
  enum class Part { kInput, kLayer, kOutput } part = Part::kInput;
  int64_t layer = -1;  // for kLayer
};

struct WeightBinding {
  Weight* field = nullptr;
  const GgufTensor* tensor = nullptr;
  WeightHome home;
  uint32_t uses = 0;  // WeightUse bits
};

class TensorBinder {
 public:
  TensorBinder(const GgufFile& file, std::vector<WeightBinding>& out) : file_(file), out_(out) {}

  // Binds `name` (or "blk.{layer}.{name}" after set_layer) to `field`, expecting `shape`. Returns
  // whether it was bound (an optional tensor may be absent). `uses` defaults to kUseVector for
  // 1-D shapes and kUseMatmul otherwise.
  bool bind(Weight& field, std::string_view name, std::initializer_list<int64_t> shape, Need need = Need::kRequired,
            uint32_t uses = 0);
  // Binds a tensor named without the layer prefix (one file tensor the layers share, such as RoPE
  // factors) to a field of the current layer.
  bool bind_shared(Weight& field, std::string_view name, std::initializer_list<int64_t> shape,
                   Need need = Need::kRequired);
  // Following binds belong to layer `layer` ("blk.N." names).
  void set_layer(int64_t layer);
  // Following binds belong to the input (token embedding) or the output head (unprefixed names).
  void set_part(WeightHome::Part part);
  bool has(std::string_view name) const { return file_.find_tensor(prefix_ + std::string(name)) != nullptr; }

  // Every problem found, and a warning (log) for tensors of the file that nothing bound.
  Status finish() const;

 private:
  bool bind_full(Weight& field, const std::string& full, std::initializer_list<int64_t> shape, Need need,
                 uint32_t uses);

  const GgufFile& file_;
  std::vector<WeightBinding>& out_;
  std::string prefix_;
  WeightHome home_;
  std::vector<std::string> errors_;
  std::vector<std::string> bound_;
};

// The file's bytes and shape of a bound tensor, as a backend prepares it.
WeightSource weight_source(const WeightBinding& b, uint32_t uses);

}  // namespace corral::models
