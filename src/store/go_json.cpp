// Go encoding/json's output rules (encode.go: appendString, floatEncoder), written from its spec.
#include "store/go_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace corral::store {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid.
size_t utf8_len(const std::string& s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void append_string(std::string& out, const std::string& s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  out += '"';
}

template <typename F>
void append_float_as(std::string& out, F v) {
  F a = std::abs(v);
  bool exp = a != 0 && (a < F(1e-6) || a >= F(1e21));
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, exp ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, r.ptr);
  if (exp) {  // Go writes e-7 where C++ writes e-07
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
  }
  out += s;
}

void append_value(std::string& out, const nlohmann::ordered_json& v, const GoJsonOptions& opt) {
  using V = nlohmann::ordered_json::value_t;
  switch (v.type()) {
    case V::null: out += "null"; break;
    case V::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case V::number_integer: out += std::to_string(v.get<int64_t>()); break;
    case V::number_unsigned: out += std::to_string(v.get<uint64_t>()); break;
    case V::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d)) {
        out += "null";
      } else if (opt.float32 && static_cast<double>(static_cast<float>(d)) == d) {
        append_float_as(out, static_cast<float>(d));
      } else {
        append_float_as(out, d);
      }
      break;
    }
    case V::string: append_string(out, v.get_ref<const std::string&>()); break;
    case V::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        append_value(out, e, opt);
      }
      out += ']';
      break;
    }
    case V::object: {
      std::vector<std::pair<const std::string*, const nlohmann::ordered_json*>> items;
      for (auto it = v.begin(); it != v.end(); ++it) items.emplace_back(&it.key(), &it.value());
      if (opt.sort_keys) std::sort(items.begin(), items.end(), [](auto& a, auto& b) { return *a.first < *b.first; });
      out += '{';
      bool first = true;
      for (const auto& [k, e] : items) {
        if (!first) out += ',';
        first = false;
        append_string(out, *k);
        out += ':';
        append_value(out, *e, opt);
      }
      out += '}';
      break;
    }
    default: out += "null"; break;  // binary and discarded values never occur in store files
  }
}

}  // namespace

std::string go_json(const nlohmann::ordered_json& value, const GoJsonOptions& options) {
  std::string out;
  append_value(out, value, options);
  if (options.trailing_newline) out += '\n';
  return out;
}

}  // namespace corral::store
