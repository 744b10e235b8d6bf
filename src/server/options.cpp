// Option parsing with Ollama's type rules: JSON numbers convert between integer and float fields
// (Go decodes every number as float64), anything else of the wrong type is a 400.
#include "server/options.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>
#include <string_view>

#include "base/log.h"
#include "store/parameters.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

Error type_error(std::string_view key, std::string_view type) {
  return Error::format("option \"{}\" must be of type {}", key, type);
}

Result<int64_t> as_int(std::string_view key, const ordered_json& v) {
  if (!v.is_number()) return type_error(key, "integer");
  double d = v.get<double>();
  if (!std::isfinite(d) || std::fabs(d) > 9.0e15) return type_error(key, "integer");
  return static_cast<int64_t>(d);
}

Result<float> as_float(std::string_view key, const ordered_json& v) {
  if (!v.is_number()) return type_error(key, "float");
  return static_cast<float>(v.get<double>());
}

Result<std::vector<std::string>> as_strings(std::string_view key, const ordered_json& v) {
  std::vector<std::string> out;
  if (v.is_string()) {  // Ollama accepts one string where a list is expected
    out.push_back(v.get<std::string>());
    return out;
  }
  if (!v.is_array()) return type_error(key, "array of strings");
  for (const auto& e : v) {
    if (!e.is_string()) return type_error(key, "array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

int32_t clamp32(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
}

void apply_int(std::string_view key, int64_t v, ModelOptions& o) {
  auto& s = o.sampling;
  if (key == "num_ctx")
    o.num_ctx = v;
  else if (key == "num_batch")
    o.num_batch = v;
  else if (key == "num_gpu")
    o.num_gpu = clamp32(v);
  else if (key == "num_thread")
    o.num_thread = clamp32(v);
  else if (key == "num_keep")
    o.num_keep = clamp32(v);
  else if (key == "seed")
    s.seed = v;
  else if (key == "num_predict")
    s.num_predict = clamp32(v);
  else if (key == "top_k")
    s.top_k = clamp32(v);
  else if (key == "repeat_last_n")
    s.repeat_last_n = clamp32(v);
  // main_gpu, draft_num_predict: accepted; nothing here uses them yet.
}

void apply_float(std::string_view key, float v, ModelOptions& o) {
  auto& s = o.sampling;
  if (key == "temperature")
    s.temperature = v;
  else if (key == "top_p")
    s.top_p = v;
  else if (key == "min_p")
    s.min_p = v;
  else if (key == "typical_p")
    s.typical_p = v;
  else if (key == "repeat_penalty")
    s.repeat_penalty = v;
  else if (key == "presence_penalty")
    s.presence_penalty = v;
  else if (key == "frequency_penalty")
    s.frequency_penalty = v;
}

}  // namespace

ModelOptions default_options() {
  ModelOptions o;
  o.sampling.repeat_penalty = 1.0f;  // Ollama's default since May 2026 (was 1.1)
  return o;
}

Status apply_options(const ordered_json& values, ModelOptions& options) {
  if (values.is_null()) return {};
  if (!values.is_object()) return Error::format("options must be an object");
  for (const auto& [key, v] : values.items()) {
    if (v.is_null()) continue;
    auto type = store::parameter_type(key);
    if (!type) {
      if (store::is_deprecated_parameter(key))
        LOG_WARN("option {} is deprecated and ignored", key);
      else
        LOG_WARN("invalid option provided: {}", key);
      continue;
    }
    switch (*type) {
      case store::ParameterType::kInt: {
        CORRAL_ASSIGN_OR_RETURN(int64_t i, as_int(key, v));
        apply_int(key, i, options);
        break;
      }
      case store::ParameterType::kFloat: {
        CORRAL_ASSIGN_OR_RETURN(float f, as_float(key, v));
        apply_float(key, f, options);
        break;
      }
      case store::ParameterType::kBool:
        if (!v.is_boolean()) return type_error(key, "boolean");
        break;  // use_mmap: the CPU backend always maps
      case store::ParameterType::kStringList: {
        CORRAL_ASSIGN_OR_RETURN(options.sampling.stop, as_strings(key, v));
        break;
      }
    }
  }
  return {};
}

Result<ModelOptions> merge_options(const ordered_json& model_params, const ordered_json& request_options) {
  ModelOptions o = default_options();
  CORRAL_TRY(apply_options(model_params, o));
  CORRAL_TRY(apply_options(request_options, o));
  return o;
}

}  // namespace corral::server
