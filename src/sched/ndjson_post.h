// A JSON POST whose 200 answer is NDJSON, read line by line as it arrives: the runner client's
// /completion and the CLI's streamed server requests both go through it.
#pragma once

#include <httplib.h>

#include <functional>
#include <string>

namespace corral::sched {

struct NdjsonExchange {
  bool sent = false;  // the exchange ran to its end (or to a stop asked by on_line)
  int status = 0;     // 0: no answer at all (the connection failed)
  httplib::Error transport = httplib::Error::Success;
  std::string error_body;  // the body of a non-200 answer (its first 64 KiB)
  std::string rest;        // a last line the stream did not end with a newline
};

// Sends `body` (JSON) to `path` and hands each non-empty line of a 200 answer to on_line; on_line
// returning false stops reading and closes the connection.
NdjsonExchange post_ndjson(httplib::Client& client, const std::string& path, std::string body,
                           const std::function<bool(const std::string& line)>& on_line);

}  // namespace corral::sched
