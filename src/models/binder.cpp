// Tensor binding (see binder.h).
#include "models/binder.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "kernels/registry.h"

namespace corral::models {

void TensorBinder::bind(Weight& field, std::string_view name, std::initializer_list<int64_t> shape, Need need) {
  const std::string full = prefix_ + std::string(name);
  const GgufTensor* t = file_.find_tensor(full);
  if (!t) {
    if (need == Need::kRequired) errors_.push_back(fmt::format("missing tensor {}", full));
    return;
  }
  std::vector<int64_t> want(shape);
  while (want.size() > 1 && want.back() == 1) want.pop_back();
  std::vector<int64_t> have = t->shape();
  while (have.size() > 1 && have.back() == 1) have.pop_back();
  if (want != have) {
    errors_.push_back(fmt::format("tensor {} has shape [{}], expected [{}]", full, fmt::join(t->shape(), ", "),
                                  fmt::join(std::vector<int64_t>(shape), ", ")));
    return;
  }
  if (shape.size() == 1 && t->type != GgmlType::kF32) {
    errors_.push_back(fmt::format("tensor {} is {}, expected F32", full, ggml_type_name(t->type)));
    return;
  }
  const kernels::QuantKernel* k = kernels::select_kernel(t->type);
  if (!k || !k->vec_dot) {
    errors_.push_back(fmt::format("tensor {}: type {} is not supported", full, ggml_type_name(t->type)));
    return;
  }
  field.type = t->type;
  field.data = t->data.data();
  field.cols = t->ne[0];
  field.rows = t->ne[1];
  bound_.push_back(full);
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

}  // namespace corral::models
