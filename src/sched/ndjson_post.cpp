// See ndjson_post.h.
#include "sched/ndjson_post.h"

namespace corral::sched {

NdjsonExchange post_ndjson(httplib::Client& client, const std::string& path, std::string body,
                           const std::function<bool(const std::string& line)>& on_line) {
  NdjsonExchange x;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = std::move(body);
  req.set_header("Content-Type", "application/json");
  std::string buffer;
  bool stopped = false;
  req.response_handler = [&](const httplib::Response& r) {
    x.status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (x.status != 200) {
      x.error_body.append(data, n);
      return x.error_body.size() < 64 * 1024;
    }
    buffer.append(data, n);
    for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
      const std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (line.empty()) continue;
      if (!on_line(line)) {
        stopped = true;
        return false;
      }
    }
    return true;
  };
  httplib::Response res;
  x.sent = client.send(req, res, x.transport) || stopped;
  if (!stopped) x.rest = std::move(buffer);
  return x;
}

}  // namespace corral::sched
