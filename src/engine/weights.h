// Preparing a model's weights on the devices of their parts: every bound field gets the tensor the
// backend of its device made from the file tensor, once per device and file tensor (a tensor
// shared by several layers, or a tied embedding and head on one device, is prepared once).
#pragma once

#include <span>
#include <vector>

#include "backend/backend.h"
#include "base/result.h"
#include "models/model.h"
#include "nn/pass.h"

namespace corral::engine {

// The device index of a weight's part under `map`.
size_t device_of(const models::WeightHome& home, const nn::DeviceMap& map);

// Prepares the weights part by part (the input, each layer, the output head), one
// prepare_weights call per part, and fills the model's fields. The result owns the buffers.
Result<std::vector<PreparedWeights>> prepare_model_weights(models::Model& model, std::span<Backend* const> devices,
                                                           const nn::DeviceMap& map);

}  // namespace corral::engine
