// What a file that should be a GGUF model really is, judged by its first bytes, so that create and
// verify can say "this is a Git LFS pointer" instead of "bad magic".
#pragma once

#include <filesystem>
#include <string>

namespace corral::store {

// A one-line description of a file that is not a usable GGUF: a safetensors file, a PyTorch
// checkpoint, a Git LFS pointer, an HTML page, an empty file, a truncated or damaged GGUF (with
// the reader's error), or else a hex dump of its first 16 bytes. For a file that opens as GGUF,
// "a valid GGUF file".
std::string describe_non_gguf(const std::filesystem::path& path);

}  // namespace corral::store
