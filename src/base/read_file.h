// Reading a whole (small) file into a string, with an error that names the file.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"

namespace corral {

// The file's bytes; "PATH: cannot open: REASON" when it cannot be read.
Result<std::string> read_whole_file(const std::filesystem::path& path);

}  // namespace corral
