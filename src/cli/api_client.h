// A small client of corral's (Ollama's) HTTP API for the CLI commands that talk to `corral serve`:
// JSON GET/POST, NDJSON streams, and errors carrying the server's {"error"} message.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "base/env.h"
#include "base/result.h"

namespace httplib {
class Result;
}

namespace corral::cli {

class ApiClient {
 public:
  ApiClient(std::string host, int port);
  // The address from CORRAL_HOST / OLLAMA_HOST, parsed as `corral serve` parses it; a server
  // bound to every interface is reached on 127.0.0.1.
  static ApiClient from_env(const Env& env);

  Result<nlohmann::json> get_json(const std::string& path);
  Result<nlohmann::json> post_json(const std::string& path, const nlohmann::json& body);
  // DELETE with a JSON body (Ollama's /api/delete); an empty answer is an empty object.
  Result<nlohmann::json> delete_json(const std::string& path, const nlohmann::json& body);
  // HEAD: the status code the server answered (any code; an error only when nothing answered).
  Result<int> head(const std::string& path);
  // POST of a file's bytes, streamed from disk in chunks (never read whole into memory);
  // `on_progress(done, total)` after each chunk. Any 2xx answer is success.
  Status post_file(const std::string& path, const std::filesystem::path& file,
                   const std::function<void(uint64_t, uint64_t)>& on_progress = {});
  // Each NDJSON line of the response to `on_line`; returning false cancels (closes the
  // connection) and the call returns OK. An {"error"} line ends the stream with that error.
  // `interrupt`, when given, is watched while the call waits (it may be set from a signal
  // handler): once true the connection is closed, even before the first line, and the call
  // returns OK.
  Status post_stream(const std::string& path, const nlohmann::json& body,
                     const std::function<bool(const nlohmann::json&)>& on_line,
                     const std::atomic<bool>* interrupt = nullptr);

  // The HTTP status of the last answered request (0 when nothing answered).
  int last_status() const { return last_status_; }
  // True when the last request failed because nothing answered at the address.
  bool last_unreachable() const { return last_unreachable_; }
  std::string address() const;

 private:
  Error unreachable();
  Error http_error(int status, const std::string& body) const;
  // The JSON of a 200 answer (an empty body after POST or DELETE is {}), else the error.
  Result<nlohmann::json> json_answer(const httplib::Result& r, std::string_view method, const std::string& path);

  std::string host_;
  int port_;
  int last_status_ = 0;
  bool last_unreachable_ = false;
};

}  // namespace corral::cli
