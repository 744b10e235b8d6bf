// UTF-8 helpers for the template engines.
#include "template/text_util.h"

namespace corral::tmpl {

std::vector<size_t> code_point_offsets(std::string_view s) {
  std::vector<size_t> offs;
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offs.push_back(i);
  offs.push_back(s.size());
  return offs;
}

size_t code_point_count(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

namespace {

// Decodes the code point at s[i] (lenient: a stray byte is its own value); sets its length.
char32_t decode(std::string_view s, size_t i, size_t& len) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + n > s.size()) n = 1;
  char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  len = n;
  return cp;
}

bool is_js_space(char32_t c) {
  return c == 0x09 || c == 0x0A || c == 0x0B || c == 0x0C || c == 0x0D || c == 0x20 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 ||
         c == 0xFEFF;
}

}  // namespace

size_t whitespace_prefix(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 0;
    if (!is_js_space(decode(s, i, len))) break;
    i += len;
  }
  return i;
}

size_t whitespace_suffix(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 && end - start < 4) --start;
    size_t len = 0;
    char32_t c = decode(s, start, len);
    if (start + len != end || !is_js_space(c)) break;
    end = start;
  }
  return s.size() - end;
}

std::string_view trim_whitespace(std::string_view s) {
  size_t p = whitespace_prefix(s);
  s.remove_prefix(p);
  s.remove_suffix(whitespace_suffix(s));
  return s;
}

std::string_view strip_chars(std::string_view s, std::string_view chars, bool left, bool right) {
  std::vector<std::string_view> set;
  auto offs = code_point_offsets(chars);
  for (size_t k = 0; k + 1 < offs.size(); ++k) set.push_back(chars.substr(offs[k], offs[k + 1] - offs[k]));
  auto in_set = [&](std::string_view cp) {
    for (auto c : set)
      if (c == cp) return true;
    return false;
  };
  auto so = code_point_offsets(s);
  size_t b = 0, e = so.size() - 1;
  if (left)
    while (b < e && in_set(s.substr(so[b], so[b + 1] - so[b]))) ++b;
  if (right)
    while (e > b && in_set(s.substr(so[e - 1], so[e] - so[e - 1]))) --e;
  return s.substr(so[b], so[e] - so[b]);
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

bool replace_all(std::string_view s, std::string_view from, std::string_view to, long long count, size_t max_bytes,
                 std::string& out) {
  out.clear();
  long long done = 0;
  if (from.empty()) {  // Python inserts `to` around every character
    auto offs = code_point_offsets(s);
    for (size_t k = 0; k + 1 < offs.size(); ++k) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      out += s.substr(offs[k], offs[k + 1] - offs[k]);
      if (out.size() > max_bytes) return false;
    }
    if (count < 0 || done < count) out += to;
    return out.size() <= max_bytes;
  }
  size_t i = 0;
  while (true) {
    size_t j = (count >= 0 && done >= count) ? std::string_view::npos : s.find(from, i);
    if (j == std::string_view::npos) {
      out += s.substr(i);
      break;
    }
    out += s.substr(i, j - i);
    out += to;
    ++done;
    i = j + from.size();
    if (out.size() > max_bytes) return false;
  }
  return out.size() <= max_bytes;
}

}  // namespace corral::tmpl
