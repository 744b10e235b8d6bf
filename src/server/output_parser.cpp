// Thinking and tool-call parsing of streamed output; see output_parser.h.
#include "server/output_parser.h"

#include <algorithm>
#include <cctype>

namespace corral::server {
namespace {

using nlohmann::ordered_json;

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

void trim_front(std::string& s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  s.erase(0, i);
}

std::string_view trim_back(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The longest proper prefix of `tag` that `buf` ends with: text that may still become the tag.
size_t partial_tag(std::string_view buf, std::string_view tag) {
  for (size_t k = std::min(buf.size(), tag.size() - 1); k > 0; --k)
    if (buf.ends_with(tag.substr(0, k))) return k;
  return 0;
}

// Scans one JSON(-ish) value that starts at s[i] ('{' or '['), strings in either quote; returns the
// index past its last closer, or npos when s ends first. `closers` receives what is still open.
size_t value_end(std::string_view s, size_t i, std::string* closers = nullptr) {
  std::string stack;
  char quote = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{' || c == '[') {
      stack.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
      if (stack.empty()) return i + 1;
    }
  }
  if (closers) {
    *closers = quote ? std::string(1, quote) : std::string();
    closers->append(stack.rbegin(), stack.rend());
  }
  return std::string_view::npos;
}

// Nearly-JSON → JSON: single-quoted strings, Python literals, bare keys, trailing commas.
std::string relax_json(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  auto next_non_space = [&](size_t j) {
    while (j < s.size() && is_space(s[j])) ++j;
    return j;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      out.append(s.substr(i, std::min(j, s.size() - 1) - i + 1));
      if (j >= s.size()) out.push_back('"');
      i = j;
    } else if (c == '\'') {
      out.push_back('"');
      size_t j = i + 1;
      for (; j < s.size() && s[j] != '\''; ++j) {
        if (s[j] == '"') {
          out += "\\\"";
        } else if (s[j] == '\\' && j + 1 < s.size()) {
          if (s[j + 1] != '\'') out.push_back('\\');
          out.push_back(s[++j]);
        } else {
          out.push_back(s[j]);
        }
      }
      out.push_back('"');
      i = j;
    } else if (c == ',') {
      const size_t j = next_non_space(i + 1);
      if (j < s.size() && (s[j] == '}' || s[j] == ']')) continue;
      out.push_back(c);
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      const std::string_view word = s.substr(i, j - i);
      const size_t after = next_non_space(j);
      if (after < s.size() && s[after] == ':') {
        out += '"' + std::string(word) + '"';
      } else if (word == "True") {
        out += "true";
      } else if (word == "False") {
        out += "false";
      } else if (word == "None") {
        out += "null";
      } else {
        out.append(word);
      }
      i = j - 1;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool known(const std::vector<std::string>& names, const std::string& name) {
  return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
}

// One call object in any of the shapes output_parser.h lists; false when it is not a call.
bool read_call(const ordered_json& j, const std::vector<std::string>& names, ToolCall& call) {
  if (!j.is_object()) return false;
  if (j.contains("function") && j["function"].is_object()) return read_call(j["function"], names, call);
  std::string name;
  if (j.contains("name") && j["name"].is_string()) {
    name = j["name"].get<std::string>();
  } else if (j.contains("function") && j["function"].is_string()) {
    name = j["function"].get<std::string>();
  } else if (j.size() == 1 && j.begin().value().is_object() && !names.empty() && known(names, j.begin().key())) {
    call.name = j.begin().key();
    call.arguments = j.begin().value();
    return true;
  }
  if (name.empty() || !known(names, name)) return false;
  ordered_json args = ordered_json::object();
  for (const char* key : {"arguments", "parameters", "args", "input"}) {
    if (!j.contains(key)) continue;
    args = j[key].is_string() ? parse_lenient_json(j[key].get<std::string>()) : j[key];
    break;
  }
  if (args.is_null()) args = ordered_json::object();
  if (!args.is_object()) return false;
  call.name = std::move(name);
  call.arguments = std::move(args);
  return true;
}

// A value that holds calls (one, an array of them, or {"tool_calls": [...]}); empty when any part is not one.
std::vector<ToolCall> read_calls(const ordered_json& j, const std::vector<std::string>& names) {
  const ordered_json* list = &j;
  if (j.is_object() && j.contains("tool_calls") && j["tool_calls"].is_array()) list = &j["tool_calls"];
  std::vector<ToolCall> calls;
  if (list->is_array()) {
    for (const auto& item : *list) {
      ToolCall c;
      if (!read_call(item, names, c)) return {};
      calls.push_back(std::move(c));
    }
    return calls;
  }
  ToolCall c;
  if (read_call(j, names, c)) calls.push_back(std::move(c));
  return calls;
}

}  // namespace

ordered_json parse_lenient_json(std::string_view text) {
  auto j = ordered_json::parse(text, nullptr, false);
  if (!j.is_discarded()) return j;
  return ordered_json::parse(relax_json(text), nullptr, false);
}

void ParsedOutput::append(ParsedOutput&& more) {
  thinking += more.thinking;
  content += more.content;
  for (auto& c : more.tool_calls) tool_calls.push_back(std::move(c));
}

// ---- thinking

ThinkingParser::ThinkingParser(std::string open, std::string close, bool start_inside)
    : open_(std::move(open)),
      close_(std::move(close)),
      state_(start_inside ? State::kThinkingStart : State::kBeforeOpen) {}

void ThinkingParser::add(std::string_view piece, ParsedOutput& out) {
  buf_ += piece;
  for (;;) {
    switch (state_) {
      case State::kBeforeOpen: {
        const size_t i = buf_.find_first_not_of(" \n\r\t");
        if (i == std::string::npos) return;  // only white space so far
        const std::string_view rest = std::string_view(buf_).substr(i);
        if (rest.starts_with(open_)) {
          buf_.erase(0, i + open_.size());
          state_ = State::kThinkingStart;
        } else if (std::string_view(open_).starts_with(rest)) {
          return;  // maybe the tag
        } else {
          state_ = State::kContent;
        }
        break;
      }
      case State::kThinkingStart:
        trim_front(buf_);
        if (buf_.empty()) return;
        state_ = State::kThinking;
        break;
      case State::kThinking: {
        const size_t at = buf_.find(close_);
        if (at != std::string::npos) {
          out.thinking += trim_back(std::string_view(buf_).substr(0, at));
          buf_.erase(0, at + close_.size());
          state_ = State::kAfterClose;
          break;
        }
        // Hold back what may be the closing tag, and the white space before it (dropped then).
        size_t end = buf_.size() - partial_tag(buf_, close_);
        while (end > 0 && is_space(buf_[end - 1])) --end;
        out.thinking.append(buf_, 0, end);
        buf_.erase(0, end);
        return;
      }
      case State::kAfterClose:
        trim_front(buf_);
        if (buf_.empty()) return;
        state_ = State::kContent;
        break;
      case State::kContent:
        out.content += buf_;
        buf_.clear();
        return;
    }
  }
}

void ThinkingParser::finish(ParsedOutput& out) {
  if (state_ == State::kThinking) out.thinking += trim_back(buf_);
  if (state_ == State::kBeforeOpen || state_ == State::kContent) out.content += buf_;
  buf_.clear();
}

// ---- tool calls

ToolCallParser::ToolCallParser(std::string tag, std::vector<std::string> tool_names)
    : tag_(std::move(tag)), names_(std::move(tool_names)) {
  if (tag_.empty()) tag_ = "{";
  bare_ = tag_ == "{" || tag_ == "[";
  if (tag_.size() > 2 && tag_.front() == '<' && tag_.back() == '>' && tag_[1] != '/') closer_ = "</" + tag_.substr(1);
}

void ToolCallParser::add(std::string_view text, ParsedOutput& out) {
  buf_ += text;
  step(out, false);
}

void ToolCallParser::finish(ParsedOutput& out) {
  step(out, true);
  out.content += buf_;
  buf_.clear();
}

void ToolCallParser::step(ParsedOutput& out, bool at_end) {
  for (;;) {
    switch (state_) {
      case State::kContent: {
        const size_t at = bare_ ? buf_.find_first_of("{[") : buf_.find(tag_);
        if (at == std::string::npos) {
          const size_t keep = at_end || bare_ ? 0 : partial_tag(buf_, tag_);
          out.content.append(buf_, 0, buf_.size() - keep);
          buf_.erase(0, buf_.size() - keep);
          return;
        }
        out.content.append(buf_, 0, at);
        buf_.erase(0, bare_ ? at : at + tag_.size());
        state_ = State::kCall;
        break;
      }
      case State::kCall:
        if (!take_call(out, at_end)) return;
        break;
      case State::kAfterCall: {
        trim_front(buf_);
        if (!closer_.empty() && buf_.starts_with(closer_)) {
          buf_.erase(0, closer_.size());
          break;
        }
        if (buf_.empty()) return;
        if (bare_ ? (buf_[0] == '{' || buf_[0] == '[') : buf_.starts_with(tag_)) {
          if (!bare_) buf_.erase(0, tag_.size());
          state_ = State::kCall;
          break;
        }
        if (!at_end && (std::string_view(closer_).starts_with(buf_) || std::string_view(tag_).starts_with(buf_)))
          return;  // may still be a closing tag or the next call's tag
        state_ = State::kContent;
        break;
      }
    }
  }
}

bool ToolCallParser::take_call(ParsedOutput& out, bool at_end) {
  const std::string tag_text = bare_ ? std::string() : tag_;
  const size_t i = buf_.find_first_not_of(" \n\r\t");
  if (i == std::string::npos && !at_end) return false;
  if (i == std::string::npos || (buf_[i] != '{' && buf_[i] != '[')) {
    out.content += tag_text;  // the tag was not followed by a call: it is content
    state_ = State::kContent;
    return true;
  }
  std::string open_closers;
  size_t end = value_end(buf_, i, &open_closers);
  std::string value;
  if (end == std::string::npos) {
    if (!at_end) return false;
    end = buf_.size();
    value = buf_.substr(i) + open_closers;  // the answer stopped inside the JSON: close it
  } else {
    value = buf_.substr(i, end - i);
  }
  std::vector<ToolCall> calls = read_calls(parse_lenient_json(value), names_);
  if (calls.empty()) {
    out.content += tag_text + buf_.substr(0, end);
    buf_.erase(0, end);
    state_ = State::kContent;
    return true;
  }
  for (auto& c : calls) {
    c.index = next_index_++;
    out.tool_calls.push_back(std::move(c));
  }
  buf_.erase(0, end);
  state_ = State::kAfterCall;
  return true;
}

// ---- both

OutputParser::OutputParser(const OutputSyntax& s)
    : thinking_(s.thinking),
      tools_(s.tools),
      think_(s.think_open, s.think_close, s.start_in_thinking),
      calls_(s.tool_tag, s.tool_names) {}

void OutputParser::route_content(std::string_view content, ParsedOutput& out) {
  if (tools_)
    calls_.add(content, out);
  else
    out.content += content;
}

ParsedOutput OutputParser::add(std::string_view piece) {
  ParsedOutput out;
  if (!thinking_) {
    route_content(piece, out);
    return out;
  }
  ParsedOutput split;
  think_.add(piece, split);
  out.thinking = std::move(split.thinking);
  route_content(split.content, out);
  return out;
}

ParsedOutput OutputParser::finish() {
  ParsedOutput out;
  if (thinking_) {
    ParsedOutput split;
    think_.finish(split);
    out.thinking = std::move(split.thinking);
    route_content(split.content, out);
  }
  if (tools_) calls_.finish(out);
  return out;
}

}  // namespace corral::server
