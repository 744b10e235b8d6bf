// ServerContext's small helpers.
#include "server/context.h"

namespace corral::server {

double ServerContext::uptime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace corral::server
