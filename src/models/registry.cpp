// Architecture registration. Adding an architecture = its file (<name>.cpp, defining
// load_<name>) plus one line in CORRAL_ARCHITECTURES below (and the file in CMakeLists.txt).
#include "models/registry.h"

#include <fmt/format.h>

namespace corral::models {

// One line per architecture: X(name) where name is general.architecture and <name>.cpp defines
// load_<name>.
#define CORRAL_ARCHITECTURES(X) \
  X(llama)                      \
  X(qwen2)                      \
  X(qwen3)                      \
  X(phi3)                       \
  X(gemma3)

#define CORRAL_DECLARE_LOADER(name) \
  Result<std::unique_ptr<Model>> load_##name(const GgufFile& file, const LoadOptions& options);
CORRAL_ARCHITECTURES(CORRAL_DECLARE_LOADER)
#undef CORRAL_DECLARE_LOADER

namespace {

struct Architecture {
  std::string_view name;
  Result<std::unique_ptr<Model>> (*load)(const GgufFile&, const LoadOptions&);
};

#define CORRAL_REGISTER(name) Architecture{#name, &load_##name},
constexpr Architecture kArchitectures[] = {CORRAL_ARCHITECTURES(CORRAL_REGISTER)};
#undef CORRAL_REGISTER

}  // namespace

Result<std::unique_ptr<Model>> load_model(const GgufFile& file, const LoadOptions& options) {
  const auto arch = file.metadata().get_string("general.architecture");
  if (!arch) return Error("missing key general.architecture");
  for (const Architecture& a : kArchitectures)
    if (a.name == *arch) return a.load(file, options).with_context(fmt::format("loading {} model", *arch));
  return Error::format("architecture \"{}\" is not supported (supported: {})", *arch,
                       fmt::join(supported_architectures(), ", "));
}

std::vector<std::string_view> supported_architectures() {
  std::vector<std::string_view> names;
  for (const Architecture& a : kArchitectures) names.push_back(a.name);
  return names;
}

}  // namespace corral::models
