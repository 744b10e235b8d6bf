// Weight preparation per device (see weights.h).
#include "engine/weights.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

namespace corral::engine {
namespace {

// A part of the model: the input (-2), a layer (>= 0), the output head (-1). Parts are prepared in
// the order of the forward pass.
int64_t part_key(const models::WeightHome& home) {
  switch (home.part) {
    case models::WeightHome::Part::kInput: return -2;
    case models::WeightHome::Part::kOutput: return std::numeric_limits<int64_t>::max();
    default: return home.layer;
  }
}

}  // namespace

size_t device_of(const models::WeightHome& home, const nn::DeviceMap& map) {
  switch (home.part) {
    case models::WeightHome::Part::kInput: return map.input;
    case models::WeightHome::Part::kOutput: return map.output;
    default: return map.layer[home.layer];
  }
}

Result<std::vector<PreparedWeights>> prepare_model_weights(models::Model& model, std::span<Backend* const> devices,
                                                           const nn::DeviceMap& map) {
  using Key = std::pair<size_t, const GgufTensor*>;  // (device, file tensor)
  const std::vector<models::WeightBinding>& bindings = model.weights();
  // Every use of a file tensor on a device, so its one preparation serves them all.
  std::map<Key, uint32_t> uses;
  std::map<int64_t, std::vector<const models::WeightBinding*>> parts;
  for (const models::WeightBinding& b : bindings) {
    uses[{device_of(b.home, map), b.tensor}] |= b.uses;
    parts[part_key(b.home)].push_back(&b);
  }
  std::map<Key, Tensor> prepared;
  std::vector<PreparedWeights> out;
  for (const auto& [key, part] : parts) {
    const size_t device = device_of(part.front()->home, map);
    std::vector<WeightSource> sources;
    std::vector<Key> keys;
    for (const models::WeightBinding* b : part) {
      const Key k{device, b->tensor};
      if (prepared.count(k) || std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
      keys.push_back(k);
      sources.push_back(models::weight_source(*b, uses[k]));
    }
    if (!sources.empty()) {
      auto done = devices[device]->prepare_weights(sources);
      if (!done.ok()) {
        const std::string what = key < -1 ? "the input weights"
                                 : key == std::numeric_limits<int64_t>::max()
                                     ? "the output weights"
                                     : fmt::format("the weights of layer {}", key);
        return std::move(done).error().with_context(fmt::format("{} on {}", what, devices[device]->name()));
      }
      for (size_t i = 0; i < keys.size(); ++i) prepared[keys[i]] = done->tensors[i];
      out.push_back(std::move(done).value());
    }
    for (const models::WeightBinding* b : part) *b->field = prepared.at({device, b->tensor});
  }
  return out;
}

}  // namespace corral::engine
