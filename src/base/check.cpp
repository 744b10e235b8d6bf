#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace corral::detail {

void check_failed(const char* file, int line, const char* condition, std::string_view message) {
  std::fprintf(stderr, "corral: internal error at %s:%d: check '%s' failed%s%.*s\n", file, line, condition,
               message.empty() ? "" : ": ", static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace corral::detail
