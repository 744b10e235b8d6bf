// See read_file.h.
#include "base/read_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace corral {

Result<std::string> read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::format("{}: cannot open: {}", path.string(), std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return Error::format("{}: cannot read", path.string());
  return s.str();
}

}  // namespace corral
