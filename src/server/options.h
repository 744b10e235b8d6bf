// Ollama's `options` map: the defaults, overridden by the model's params layer, overridden by the
// request's options. Load-time options (num_ctx, num_batch, num_gpu, num_thread) decide which
// runner serves a request; the rest go to the sampler with every request.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>

#include "base/env.h"
#include "base/result.h"
#include "sampling/options.h"

namespace corral::server {

struct ModelOptions {
  sampling::SamplingOptions sampling;  // Ollama's defaults (repeat_penalty 1.0 since May 2026)
  int32_t num_keep = 4;
  std::optional<int64_t> num_ctx;  // unset: CONTEXT_LENGTH or 4096, capped at the training context
  int64_t num_batch = 512;
  int32_t num_gpu = -1;
  int32_t num_thread = 0;
};

// Ollama's defaults for every option.
ModelOptions default_options();

// Applies one options object (a model's params layer or a request's `options`) over `options`.
// Wrong types are errors like Ollama's (`option "top_k" must be of type integer`); unknown and
// deprecated keys are logged and ignored. Null values are skipped.
Status apply_options(const nlohmann::ordered_json& values, ModelOptions& options);

// defaults ← params ← request.
Result<ModelOptions> merge_options(const nlohmann::ordered_json& model_params,
                                   const nlohmann::ordered_json& request_options);

}  // namespace corral::server
