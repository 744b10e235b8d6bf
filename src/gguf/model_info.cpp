#include "gguf/model_info.h"

#include <map>

#include "base/units.h"

namespace corral {
namespace {

// Like llama.cpp's guess when general.file_type is missing: the type most 2-D weights use.
std::string guess_quantization(const GgufFile& file) {
  std::map<GgmlType, size_t> counts;
  for (const auto& t : file.tensors())
    if (t.n_dims >= 2) ++counts[t.type];
  if (counts.empty()) return "unknown";
  auto best = counts.begin();
  for (auto it = counts.begin(); it != counts.end(); ++it)
    if (it->second > best->second) best = it;
  return std::string(ggml_type_name(best->first));
}

}  // namespace

ModelInfo summarize_model(const GgufFile& file) {
  const GgufMetadata& md = file.metadata();
  ModelInfo info;
  info.architecture = std::string(md.get_string("general.architecture").value_or(""));
  info.name = std::string(md.get_string("general.name").value_or(""));
  if (auto n = md.get_uint("general.parameter_count")) {
    info.parameter_count = *n;
  } else {
    for (const auto& t : file.tensors()) info.parameter_count += t.n_elements();
  }
  info.parameter_size = human_number(info.parameter_count);
  if (!info.architecture.empty()) {
    info.context_length = md.get_uint(info.architecture + ".context_length");
    info.embedding_length = md.get_uint(info.architecture + ".embedding_length");
  }
  if (auto ft = md.get_uint("general.file_type"); ft && *ft <= UINT32_MAX) {
    info.file_type_id = static_cast<uint32_t>(*ft);
    info.quantization = std::string(file_type_name(*info.file_type_id));
  } else {
    info.quantization = guess_quantization(file);
  }
  return info;
}

}  // namespace corral
