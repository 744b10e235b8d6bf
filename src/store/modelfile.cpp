// Modelfile parser and writer (reference §3). Follows Ollama's parser: a value is the rest of the
// line, or a `"…"` / `"""…"""` quote that closes at the first line end where the text so far ends
// with the closing quote, so both forms may span lines.
#include "store/modelfile.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "store/parameters.h"

namespace corral::store {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::array<std::string_view, 11> kInstructions{"from",    "parameter", "template", "system",
                                                         "adapter", "license",   "message",  "requires",
                                                         "draft",   "renderer",  "parser"};

bool is_space(char c) {
  return c == ' ' || c == '\t';
}
bool is_newline(char c) {
  return c == '\n' || c == '\r';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_param_char(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}
bool is_trim_space(char c) {
  return is_space(c) || is_newline(c) || c == '\v' || c == '\f';
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_trim_space(s.back())) s.remove_suffix(1);
  return s;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && is_trim_space(s.front())) s.remove_prefix(1);
  return trim_right(s);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string crlf_to_lf(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

// golang.org/x/mod/semver's IsValid, "v" optional: MAJOR[.MINOR[.PATCH[-pre][+build]]].
bool is_semver(std::string_view s) {
  if (!s.empty() && s.front() == 'v') s.remove_prefix(1);
  auto number = [&](std::string_view& t) {
    size_t n = 0;
    while (n < t.size() && std::isdigit(static_cast<unsigned char>(t[n]))) ++n;
    if (n == 0 || (n > 1 && t[0] == '0')) return false;
    t.remove_prefix(n);
    return true;
  };
  auto ident_list = [](std::string_view t) {
    if (t.empty()) return false;
    bool empty_part = true;
    for (char c : t) {
      if (c == '.') {
        if (empty_part) return false;
        empty_part = true;
      } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
        empty_part = false;
      } else {
        return false;
      }
    }
    return !empty_part;
  };
  int parts = 0;
  while (true) {
    if (!number(s)) return false;
    ++parts;
    if (s.empty()) return true;
    if (s.front() != '.' || parts == 3) break;
    s.remove_prefix(1);
  }
  if (parts != 3) return false;
  size_t plus = s.find('+');
  std::string_view pre = s.substr(0, plus);
  std::string_view build = plus == std::string_view::npos ? std::string_view() : s.substr(plus + 1);
  if (!pre.empty() && (pre.front() != '-' || !ident_list(pre.substr(1)))) return false;
  return plus == std::string_view::npos || ident_list(build);
}

std::string instruction_list() {
  return "FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, MESSAGE, REQUIRES, DRAFT, RENDERER or PARSER";
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {
    if (text_.substr(0, kBom.size()) == kBom) text_.remove_prefix(kBom.size());
  }

  Result<Modelfile> run() {
    Modelfile mf;
    while (skip_blank_lines()) {
      CORRAL_ASSIGN_OR_RETURN(ModelfileCommand cmd, command());
      mf.commands.push_back(std::move(cmd));
    }
    bool has_from = std::any_of(mf.commands.begin(), mf.commands.end(), [](const auto& c) { return c.name == "from"; });
    if (!has_from) return Error("no FROM line");
    return mf;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  // Consumes one line end (\n, \r\n or a lone \r).
  void newline() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }
  size_t end_of_line(size_t from) const {
    while (from < text_.size() && !is_newline(text_[from])) ++from;
    return from;
  }
  void skip_spaces() {
    while (!at_end() && is_space(peek())) ++pos_;
  }

  // Skips whitespace, empty lines and comment lines; false at the end of the text.
  bool skip_blank_lines() {
    while (!at_end()) {
      char c = peek();
      if (is_space(c)) {
        ++pos_;
      } else if (is_newline(c)) {
        newline();
      } else if (c == '#') {
        pos_ = end_of_line(pos_);
      } else {
        return true;
      }
    }
    return false;
  }

  std::string_view take_while(bool (*pred)(char)) {
    size_t start = pos_;
    while (!at_end() && pred(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // The text up to the next whitespace, for error messages.
  std::string_view token_at(size_t from) const {
    size_t end = from;
    while (end < text_.size() && !is_space(text_[end]) && !is_newline(text_[end])) ++end;
    return text_.substr(from, end - from);
  }

  Error error(int line, std::string message) const { return Error(fmt::format("(line {}): {}", line, message)); }

  // After a word, a space must follow (then the rest); a line end means the value is missing.
  bool space_follows() const { return !at_end() && is_space(peek()); }

  Result<ModelfileCommand> command() {
    const int line = line_;
    const size_t start = pos_;
    std::string name = lower(take_while(is_alpha));
    bool known = std::find(kInstructions.begin(), kInstructions.end(), name) != kInstructions.end();
    if (!known || (!at_end() && !is_space(peek()) && !is_newline(peek())))
      return error(line, fmt::format("unknown instruction \"{}\" (expected {})", token_at(start), instruction_list()));
    const std::string shown = upper(name);
    if (!space_follows()) return error(line, fmt::format("missing value for {}", shown));
    skip_spaces();

    ModelfileCommand cmd{name, "", line};
    if (name == "parameter") {
      size_t name_start = pos_;
      std::string_view param = take_while(is_param_char);
      if (param.empty() || (!at_end() && !is_space(peek()) && !is_newline(peek())))
        return error(line, fmt::format("invalid parameter name \"{}\"", token_at(name_start)));
      if (!space_follows()) return error(line, fmt::format("missing value for parameter '{}'", param));
      skip_spaces();
      cmd.name = std::string(param);
      CORRAL_ASSIGN_OR_RETURN(cmd.args, value(line, fmt::format("parameter '{}'", param)));
      if (auto st = validate_parameter(cmd.name, cmd.args); !st.ok()) return error(line, st.error().to_string());
      return cmd;
    }
    if (name == "message") {
      size_t role_start = pos_;
      std::string_view role = take_while(is_alpha);
      if (role != "system" && role != "user" && role != "assistant")
        return error(line,
                     fmt::format("message role must be one of \"system\", \"user\", or \"assistant\" (got \"{}\")",
                                 token_at(role_start)));
      if (!space_follows()) return error(line, fmt::format("missing text for MESSAGE {}", role));
      skip_spaces();
      CORRAL_ASSIGN_OR_RETURN(std::string content, value(line, fmt::format("MESSAGE {}", role)));
      cmd.args = fmt::format("{}: {}", role, content);
      return cmd;
    }
    CORRAL_ASSIGN_OR_RETURN(cmd.args, value(line, shown));
    const bool needs_text = name == "from" || name == "adapter" || name == "draft" || name == "requires" ||
                            name == "renderer" || name == "parser";
    if (needs_text && trim(cmd.args).empty()) return error(line, fmt::format("missing value for {}", shown));
    if (name == "requires" && !is_semver(cmd.args))
      return error(line, fmt::format("requires must be a valid semver (e.g. 0.14.0), got \"{}\"", cmd.args));
    return cmd;
  }

  // The value starting at pos_: a quote (possibly over several lines) or the rest of the line.
  Result<std::string> value(int line, const std::string& what) {
    const size_t start = pos_;
    std::string_view rest = text_.substr(start);
    std::string_view quote = rest.substr(0, 3) == "\"\"\"" ? "\"\"\"" : rest.substr(0, 1) == "\"" ? "\"" : "";
    if (quote.empty()) {
      size_t eol = end_of_line(start);
      std::string_view v = trim(text_.substr(start, eol - start));
      pos_ = eol;
      if (v.empty()) return error(line, fmt::format("missing value for {}", what));
      return std::string(v);
    }
    while (true) {
      size_t eol = end_of_line(pos_);
      std::string_view candidate = trim_right(text_.substr(start, eol - start));
      if (candidate.size() >= 2 * quote.size() && candidate.substr(candidate.size() - quote.size()) == quote) {
        pos_ = eol;
        return crlf_to_lf(candidate.substr(quote.size(), candidate.size() - 2 * quote.size()));
      }
      if (eol >= text_.size())
        return error(line, fmt::format("unexpected EOF: unterminated {} quote in the value of {}", quote, what));
      pos_ = eol;
      newline();
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

Result<Modelfile> parse_modelfile(std::string_view text) {
  return Parser(text).run();
}

std::pair<std::string, std::string> split_message_args(std::string_view args) {
  size_t sep = args.find(": ");
  if (sep == std::string_view::npos) return {std::string(args), ""};
  return {std::string(args.substr(0, sep)), std::string(args.substr(sep + 2))};
}

std::string quote_modelfile_value(std::string_view value) {
  bool needs = value.empty() || value.front() == '"' || is_trim_space(value.front()) || is_trim_space(value.back()) ||
               value.find_first_of("\r\n") != std::string_view::npos;
  if (!needs) return std::string(value);
  if (value.find('"') != std::string_view::npos) return fmt::format("\"\"\"{}\"\"\"", value);
  return fmt::format("\"{}\"", value);
}

std::string Modelfile::to_string() const {
  std::string out;
  for (const auto& c : commands) {
    if (std::find(kInstructions.begin(), kInstructions.end(), c.name) == kInstructions.end()) {
      out += fmt::format("PARAMETER {} {}\n", c.name, quote_modelfile_value(c.args));
    } else if (c.name == "message") {
      auto [role, content] = split_message_args(c.args);
      out += fmt::format("MESSAGE {} {}\n", role, quote_modelfile_value(content));
    } else {
      out += fmt::format("{} {}\n", upper(c.name), quote_modelfile_value(c.args));
    }
  }
  return out;
}

std::string generate_modelfile(const ModelfileParts& parts) {
  Modelfile mf;
  auto add = [&](std::string name, std::string args) { mf.commands.push_back({std::move(name), std::move(args), 0}); };
  add("from", parts.model_path);
  for (const auto& a : parts.adapter_paths) add("adapter", a);
  for (const auto& p : parts.projector_paths) add("from", p);
  if (!parts.template_text.empty()) add("template", parts.template_text);
  if (!parts.system.empty()) add("system", parts.system);
  for (auto& [k, v] : parameters_from_json(parts.params)) add(k, v);
  for (const auto& l : parts.licenses) add("license", l);
  if (parts.messages.is_array()) {
    for (const auto& m : parts.messages) {
      if (!m.is_object()) continue;
      add("message", fmt::format("{}: {}", m.value("role", ""), m.value("content", "")));
    }
  }
  return fmt::format(
      "# Modelfile generated by \"corral show\"\n"
      "# To build a new Modelfile based on this, replace FROM with:\n"
      "# FROM {}\n\n{}",
      parts.name, mf.to_string());
}

}  // namespace corral::store
