// Helpers every route uses: JSON bodies in and out, Ollama's error shape, NDJSON and SSE streams
// over httplib's chunked content provider, and Go's timestamp format
// (durations: sched/keep_alive.h).
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace corral::server {

inline constexpr const char* kJsonType = "application/json; charset=utf-8";
inline constexpr const char* kNdjsonType = "application/x-ndjson";
inline constexpr const char* kSseType = "text/event-stream";
inline constexpr int kMaxJsonDepth = 64;

// The request body as JSON: "missing request body" when empty, the parser's message for bad JSON,
// "JSON nesting is too deep" beyond kMaxJsonDepth levels (checked before parsing, so a hostile
// body never recurses the parser). Every error is a 400.
Result<nlohmann::ordered_json> parse_json_body(const httplib::Request& req);
// Nesting depth of JSON text (strings skipped); stops counting once past `limit`.
int json_depth(std::string_view text, int limit);

// {"error":"message"} with `status`.
void send_error(httplib::Response& res, int status, std::string_view message);
void send_json(httplib::Response& res, const nlohmann::ordered_json& body, int status = 200);
// JSON text for the wire: invalid UTF-8 replaced, never throws.
std::string dump_json(const nlohmann::ordered_json& body);

// A field that must be a string when present ("" when absent or null); a wrong type is an error
// naming the field, like Go's decoder.
Result<std::string> string_field(const nlohmann::ordered_json& body, std::string_view key);
// `model`, or the legacy `name` when `model` is empty.
Result<std::string> model_field(const nlohmann::ordered_json& body);
// `stream` (default true).
Result<bool> stream_field(const nlohmann::ordered_json& body);

// Writes lines to a streaming response. Handed to a producer running on the connection's thread
// after the 200 header went out: a false return means the client is gone and the producer should
// stop (and cancel whatever it was waiting for).
class StreamWriter {
 public:
  explicit StreamWriter(httplib::DataSink& sink) : sink_(sink) {}
  // NDJSON: the object and "\n".
  bool write_line(const nlohmann::ordered_json& object);
  // SSE: ["event: <event>\n"] "data: <json>\n\n".
  bool write_event(const nlohmann::ordered_json& data, std::string_view event = {});
  // SSE terminator of OpenAI streams: "data: [DONE]\n\n".
  bool write_done();
  bool write_raw(std::string_view bytes);
  // True once a write failed or the socket stopped being writable.
  bool client_gone();

 private:
  httplib::DataSink& sink_;
  bool gone_ = false;
};

using StreamProducer = std::function<void(StreamWriter&)>;
// Starts a chunked response with `content_type` whose body is whatever `producer` writes; the
// producer runs once, on the connection's thread, and the stream ends when it returns.
void start_stream(httplib::Response& res, const char* content_type, StreamProducer producer);
inline void start_ndjson_stream(httplib::Response& res, StreamProducer producer) {
  start_stream(res, kNdjsonType, std::move(producer));
}
inline void start_sse_stream(httplib::Response& res, StreamProducer producer) {
  start_stream(res, kSseType, std::move(producer));
}

// Go's time.RFC3339Nano in UTC: "2024-05-01T12:00:00.123456789Z", trailing zeros of the fraction
// dropped as Go does ("…:00.5Z", "…:00Z").
std::string format_rfc3339(std::chrono::system_clock::time_point t);
std::string format_rfc3339(std::filesystem::file_time_type t);
std::string now_rfc3339();

}  // namespace corral::server
