// See show_format.h. Layout and rules follow Ollama's cmd.showInfo; the tables are cli/table.h.
#include "cli/show_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <vector>

#include "base/units.h"
#include "cli/table.h"

namespace corral::cli {
namespace {

using nlohmann::json;

constexpr size_t kTextColumnLimit = 100;  // System and License lines wrap at 100 columns
constexpr size_t kArrayTargetWidth = 10;  // Metadata arrays show what fits in about 10 columns
constexpr size_t kHeadLines = 2;          // System and License show their first two lines

void section(std::string& out, std::string_view title, const std::vector<TableRow>& rows,
             size_t limit = kDefaultColumnLimit) {
  out += fmt::format("  {}\n", title);
  out += render_table({}, rows, limit);
  out += '\n';
}

const json* find(const json& object, const std::string& key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string string_at(const json& object, const std::string& key) {
  const json* v = find(object, key);
  return v && v->is_string() ? v->get<std::string>() : "";
}

std::vector<TableRow> model_rows(const json& resp) {
  std::vector<TableRow> rows;
  const json details = resp.value("details", json::object());
  if (std::string host = string_at(resp, "remote_host"); !host.empty()) {
    rows.push_back({"", "Remote model", string_at(resp, "remote_model")});
    rows.push_back({"", "Remote URL", host});
  }
  const json* info = find(resp, "model_info");
  if (info && !info->is_null()) {
    std::string arch = string_at(*info, "general.architecture");
    if (!arch.empty()) rows.push_back({"", "architecture", arch});
    std::string params = string_at(details, "parameter_size");
    const json* count = find(*info, "general.parameter_count");
    if (params.empty() && count && count->is_number())
      params = human_number(static_cast<uint64_t>(count->get<double>()));
    if (!params.empty()) rows.push_back({"", "parameters", params});
    for (const char* key : {"context_length", "embedding_length"}) {
      const json* v = find(*info, arch + "." + key);
      if (v && v->is_number()) {
        std::string label = key;
        std::replace(label.begin(), label.end(), '_', ' ');
        rows.push_back({"", label, go_float_f(v->get<double>())});
      }
    }
  } else {
    rows.push_back({"", "architecture", string_at(details, "family")});
    rows.push_back({"", "parameters", string_at(details, "parameter_size")});
  }
  rows.push_back({"", "quantization", string_at(details, "quantization_level")});
  if (std::string req = string_at(resp, "requires"); !req.empty()) rows.push_back({"", "requires", req});
  return rows;
}

std::vector<TableRow> projector_rows(const json& projector) {
  std::vector<TableRow> rows;
  std::string arch = string_at(projector, "general.architecture");
  if (!arch.empty()) rows.push_back({"", "architecture", arch});
  if (const json* v = find(projector, "general.parameter_count"); v && v->is_number())
    rows.push_back({"", "parameters", human_number(static_cast<uint64_t>(v->get<double>()))});
  auto modality_value = [&](const std::string& suffix) -> const json* {
    for (const char* modality : {"vision", "audio"}) {
      const json* v = find(projector, fmt::format("{}.{}.{}", arch, modality, suffix));
      if (v && v->is_number()) return v;
    }
    return nullptr;
  };
  if (const json* v = modality_value("embedding_length"))
    rows.push_back({"", "embedding length", go_float_f(v->get<double>())});
  if (const json* v = modality_value("projection_dim"))
    rows.push_back({"", "dimensions", go_float_f(v->get<double>())});
  return rows;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<TableRow> parameter_rows(const std::string& text) {
  std::vector<TableRow> rows;
  for (const auto& line : lines_of(text)) {
    if (line.empty()) continue;
    TableRow row{""};
    std::istringstream fields(line);
    for (std::string field; fields >> field;) row.push_back(field);
    rows.push_back(std::move(row));
  }
  return rows;
}

// An array as Ollama's Metadata shows it: the items that fit in about ten columns, then
// "...+N more]".
std::string array_text(const json& array) {
  size_t shown = 0, total = 1;  // 1 for the opening bracket
  for (size_t i = 0; i < array.size(); ++i) {
    size_t width = display_width(go_value_text(array[i])) + (i > 0 ? 2 : 0);
    if (total + width > kArrayTargetWidth && i > 0) break;
    total += width;
    ++shown;
  }
  if (shown >= array.size()) return go_value_text(array);
  std::string out = "[";
  for (size_t i = 0; i < shown; ++i) out += (i ? " " : "") + go_value_text(array[i]);
  return out + fmt::format(" ...+{} more]", array.size() - shown);
}

std::vector<TableRow> metadata_rows(const json& info) {
  std::vector<std::string> keys;
  for (auto it = info.begin(); it != info.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  std::vector<TableRow> rows;
  for (const auto& key : keys) {
    const json& v = info.at(key);
    std::string text;
    if (v.is_boolean() || v.is_string() || v.is_number())
      text = go_value_text(v);
    else if (v.is_array())
      text = array_text(v);
    else
      text = v.is_null() ? "<nil>" : "map[string]interface {}";  // Go's %T of what else JSON decodes to
    rows.push_back({"", key, text});
  }
  return rows;
}

std::vector<TableRow> tensor_rows(const json& tensors) {
  std::vector<TableRow> rows;
  for (const json& t : tensors) {
    std::string shape = "[";
    size_t i = 0;
    for (const json& d : t.value("shape", json::array())) shape += (i++ ? " " : "") + go_value_text(d);
    rows.push_back({"", t.value("name", ""), t.value("type", ""), shape + "]"});
  }
  return rows;
}

// The first `n` non-blank lines (trimmed), then "..." when there are more.
std::vector<TableRow> head_rows(const std::string& text, size_t n) {
  std::vector<TableRow> rows;
  size_t count = 0;
  for (const auto& raw : lines_of(text)) {
    size_t b = raw.find_first_not_of(" \t\r\v\f");
    if (b == std::string::npos) continue;
    size_t e = raw.find_last_not_of(" \t\r\v\f");
    if (++count <= n) rows.push_back({"", raw.substr(b, e - b + 1)});
  }
  if (count > n) rows.push_back({"", "..."});
  return rows;
}

// Splits a shortest scientific representation ("-1.1434e+04") into sign, digits and the decimal
// exponent of the first digit.
void shortest_digits(double value, bool& negative, std::string& digits, int& exponent) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  negative = !s.empty() && s[0] == '-';
  if (negative) s.erase(0, 1);
  size_t e = s.find('e');
  exponent = std::stoi(s.substr(e + 1));
  digits.clear();
  for (size_t i = 0; i < e; ++i)
    if (s[i] != '.') digits += s[i];
}

}  // namespace

std::string go_float_g(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  bool negative = false;
  std::string digits;
  int exp = 0;
  shortest_digits(value, negative, digits, exp);
  std::string out = negative ? "-" : "";
  if (exp < -4 || exp >= 6) {  // Go uses precision 6 for this choice when printing shortest
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    return out + fmt::format("e{}{:02d}", exp < 0 ? '-' : '+', std::abs(exp));
  }
  return out + go_float_f(std::abs(value));
}

std::string go_float_f(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string go_value_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return go_float_g(value.get<double>());
  if (value.is_null()) return "<nil>";
  if (value.is_array()) {
    std::string out = "[";
    size_t i = 0;
    for (const json& v : value) out += (i++ ? " " : "") + go_value_text(v);
    return out + "]";
  }
  std::vector<std::string> keys;  // an object, as Go prints a map: sorted keys
  for (auto it = value.begin(); it != value.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  std::string out = "map[";
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? " " : "") + keys[i] + ":" + go_value_text(value.at(keys[i]));
  return out + "]";
}

std::string format_show(const json& resp, bool verbose) {
  std::string out;
  section(out, "Model", model_rows(resp));
  if (const json* caps = find(resp, "capabilities"); caps && caps->is_array() && !caps->empty()) {
    std::vector<TableRow> rows;
    for (const json& c : *caps) rows.push_back({"", go_value_text(c)});
    section(out, "Capabilities", rows);
  }
  if (const json* projector = find(resp, "projector_info"); projector && projector->is_object())
    section(out, "Projector", projector_rows(*projector));
  if (std::string params = string_at(resp, "parameters"); !params.empty())
    section(out, "Parameters", parameter_rows(params));
  if (const json* info = find(resp, "model_info"); verbose && info && info->is_object())
    section(out, "Metadata", metadata_rows(*info));
  if (const json* tensors = find(resp, "tensors"); verbose && tensors && tensors->is_array() && !tensors->empty())
    section(out, "Tensors", tensor_rows(*tensors));
  if (std::string system = string_at(resp, "system"); !system.empty())
    section(out, "System", head_rows(system, kHeadLines), kTextColumnLimit);
  if (std::string license = string_at(resp, "license"); !license.empty())
    section(out, "License", head_rows(license, kHeadLines), kTextColumnLimit);
  return out;
}

}  // namespace corral::cli
