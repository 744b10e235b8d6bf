// The model registry: general.architecture -> the loader of that architecture's file. This is
// the only place that chooses code by architecture name.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/file.h"
#include "models/model.h"

namespace corral::models {

// Reads the hyper-parameters and binds the tensors of `file`, which must outlive the model.
Result<std::unique_ptr<Model>> load_model(const GgufFile& file, const LoadOptions& options = {});

std::vector<std::string_view> supported_architectures();

}  // namespace corral::models
