// Thread-safe text for errno values (strerror is not safe to call from several threads).
#pragma once

#include <string.h>

#include <string>

namespace corral {

inline std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns a pointer to the message (in buf or a static string).
  return std::string(strerror_r(err, buf, sizeof(buf)));
}

}  // namespace corral
