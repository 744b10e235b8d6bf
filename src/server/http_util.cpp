// JSON in and out, error bodies, streaming responses and Go's time formats (see http_util.h).
#include "server/http_util.h"

#include <fmt/format.h>

#include <ctime>

namespace corral::server {

using nlohmann::ordered_json;

int json_depth(std::string_view text, int limit) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
      if (max_depth > limit) return max_depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

Result<ordered_json> parse_json_body(const httplib::Request& req) {
  if (req.body.empty()) return Error("missing request body");
  if (json_depth(req.body, kMaxJsonDepth) > kMaxJsonDepth)
    return Error::format("JSON nesting is too deep (more than {} levels)", kMaxJsonDepth);
  try {
    return ordered_json::parse(req.body);
  } catch (const ordered_json::parse_error& e) {
    return Error(e.what());
  }
}

std::string dump_json(const ordered_json& body) {
  return body.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

void send_json(httplib::Response& res, const ordered_json& body, int status) {
  res.status = status;
  res.set_content(dump_json(body), kJsonType);
}

void send_error(httplib::Response& res, int status, std::string_view message) {
  send_json(res, ordered_json{{"error", std::string(message)}}, status);
}

Result<std::string> string_field(const ordered_json& body, std::string_view key) {
  if (!body.is_object()) return Error("request body must be a JSON object");
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return Error::format("json: cannot unmarshal {} into field \"{}\" of type string", it->type_name(), key);
  return it->get<std::string>();
}

Result<std::string> model_field(const ordered_json& body) {
  CORRAL_ASSIGN_OR_RETURN(std::string model, string_field(body, "model"));
  if (!model.empty()) return model;
  return string_field(body, "name");
}

Result<bool> stream_field(const ordered_json& body) {
  if (!body.is_object()) return Error("request body must be a JSON object");
  auto it = body.find("stream");
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_boolean())
    return Error::format("json: cannot unmarshal {} into field \"stream\" of type bool", it->type_name());
  return it->get<bool>();
}

bool StreamWriter::write_raw(std::string_view bytes) {
  if (gone_) return false;
  if (!sink_.write(bytes.data(), bytes.size())) gone_ = true;
  return !gone_;
}

bool StreamWriter::write_line(const ordered_json& object) {
  return write_raw(dump_json(object) + "\n");
}

bool StreamWriter::write_event(const ordered_json& data, std::string_view event) {
  std::string text;
  if (!event.empty()) text = fmt::format("event: {}\n", event);
  text += fmt::format("data: {}\n\n", dump_json(data));
  return write_raw(text);
}

bool StreamWriter::write_done() {
  return write_raw("data: [DONE]\n\n");
}

bool StreamWriter::client_gone() {
  if (!gone_ && sink_.is_writable && !sink_.is_writable()) gone_ = true;
  return gone_;
}

void start_stream(httplib::Response& res, const char* content_type, StreamProducer producer) {
  res.status = 200;
  auto shared = std::make_shared<StreamProducer>(std::move(producer));
  res.set_chunked_content_provider(content_type, [shared](size_t /*offset*/, httplib::DataSink& sink) {
    StreamWriter writer(sink);
    (*shared)(writer);
    if (writer.client_gone()) return false;  // closes the connection
    sink.done();
    return true;
  });
}

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  long frac = static_cast<long>(ns % 1'000'000'000);
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (frac != 0) {  // Go's RFC3339Nano drops trailing zeros of the fraction
    std::string digits = fmt::format("{:09}", frac);
    digits.erase(digits.find_last_not_of('0') + 1);
    out += "." + digits;
  }
  return out + "Z";
}

std::string format_rfc3339(std::filesystem::file_time_type t) {
  return format_rfc3339(std::chrono::file_clock::to_sys(t));
}

std::string now_rfc3339() {
  return format_rfc3339(std::chrono::system_clock::now());
}

}  // namespace corral::server
