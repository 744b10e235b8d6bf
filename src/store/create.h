// Creating a model from a Modelfile (Ollama's /api/create, done directly on the store): FROM a
// GGUF file, a blob path, a directory holding one GGUF, or an existing model; then ADAPTER,
// TEMPLATE, SYSTEM, PARAMETER, MESSAGE, LICENSE and REQUIRES layered on top.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/blob_store.h"
#include "store/layout.h"
#include "store/modelfile.h"
#include "store/name.h"

namespace corral::store {

struct CreateOptions {
  bool allow_hardlink = true;                      // see AddFileOptions
  std::function<void(const std::string&)> status;  // "copying model data", "writing manifest", ...
  ProgressFn progress;                             // bytes of the GGUF being stored
};

// Creates (or replaces) `name`. Relative paths in the Modelfile are resolved against
// `modelfile_dir`. Holds the store lock throughout; on any error the store is left as it was
// (a blob already written may remain until prune, but no manifest refers to a partial state).
Status create_model(const Store& store, const ModelName& name, const Modelfile& modelfile,
                    const std::filesystem::path& modelfile_dir, const CreateOptions& options = {});

// True when the file starts with the GGUF magic (never judged by its name).
bool has_gguf_magic(const std::filesystem::path& path);

// A FROM/ADAPTER argument as a path: "~" expanded, a relative path taken from `modelfile_dir`.
std::filesystem::path resolve_modelfile_path(std::string_view arg, const std::filesystem::path& modelfile_dir);
// The GGUF file a FROM/ADAPTER path names: the file itself (judged by its magic), or the single
// GGUF file in a directory. Errors say what the file is instead ("an HTML page", ...).
Result<std::filesystem::path> find_gguf_file(const std::filesystem::path& path);

}  // namespace corral::store
