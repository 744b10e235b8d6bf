// Tensor binding (see binder.h).
#include "models/binder.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"

namespace corral::models {

bool TensorBinder::bind(Weight& field, std::string_view name, std::initializer_list<int64_t> shape, Need need,
                        uint32_t uses) {
  return bind_full(field, prefix_ + std::string(name), shape, need, uses);
}

bool TensorBinder::bind_shared(Weight& field, std::string_view name, std::initializer_list<int64_t> shape, Need need) {
  return bind_full(field, std::string(name), shape, need, 0);
}

void TensorBinder::set_layer(int64_t layer) {
  prefix_ = "blk." + std::to_string(layer) + ".";
  home_ = {WeightHome::Part::kLayer, layer};
}

void TensorBinder::set_part(WeightHome::Part part) {
  prefix_.clear();
  home_ = {part, -1};
}

bool TensorBinder::bind_full(Weight& field, const std::string& full, std::initializer_list<int64_t> shape, Need need,
                             uint32_t uses) {
  const GgufTensor* t = file_.find_tensor(full);
  if (!t) {
    if (need == Need::kRequired) errors_.push_back(fmt::format("missing tensor {}", full));
    return false;
  }
  std::vector<int64_t> want(shape);
  while (want.size() > 1 && want.back() == 1) want.pop_back();
  std::vector<int64_t> have = t->shape();
  while (have.size() > 1 && have.back() == 1) have.pop_back();
  if (want != have) {
    errors_.push_back(fmt::format("tensor {} has shape [{}], expected [{}]", full, fmt::join(t->shape(), ", "),
                                  fmt::join(std::vector<int64_t>(shape), ", ")));
    return false;
  }
  if (shape.size() == 1 && t->type != GgmlType::kF32) {
    errors_.push_back(fmt::format("tensor {} is {}, expected F32", full, ggml_type_name(t->type)));
    return false;
  }
  if (!weight_type_supported(t->type)) {
    errors_.push_back(fmt::format("tensor {}: type {} is not supported", full, ggml_type_name(t->type)));
    return false;
  }
  field = Tensor{};
  field.type = t->type;
  field.cols = t->ne[0];
  field.rows = t->ne[1];
  if (uses == 0) uses = shape.size() == 1 ? kUseVector : kUseMatmul;
  out_.push_back({&field, t, home_, uses});
  bound_.push_back(full);
  return true;
}

Status TensorBinder::finish() const {
  if (!errors_.empty()) {
    std::string all;
    for (const std::string& e : errors_) all += (all.empty() ? "" : "; ") + e;
    return Error(all);
  }
  for (const GgufTensor& t : file_.tensors())
    if (std::find(bound_.begin(), bound_.end(), t.name) == bound_.end()) LOG_DEBUG("tensor {} is not used", t.name);
  return {};
}

WeightSource weight_source(const WeightBinding& b, uint32_t uses) {
  const GgufTensor& t = *b.tensor;
  const auto* bytes = reinterpret_cast<const uint8_t*>(t.data.data());
  return {
      .name = t.name, .uses = uses, .type = t.type, .cols = t.ne[0], .rows = t.ne[1], .bytes = {bytes, t.data.size()}};
}

}  // namespace corral::models
