// GBNF text for literals, character classes, characters inside JSON strings, and ranges of
// integers and decimal numbers (see json_schema_parts.h).
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "sampling/json_schema_parts.h"
#include "tokenizer/unicode.h"

namespace corral::sampling::schema {
namespace {

// The largest magnitude an unbounded side allows: 16 digits, like the plain integer rule.
constexpr uint64_t kUnboundedMagnitude = 9'999'999'999'999'999ull;

std::string escaped_code_point(uint32_t c) {
  if (c < 0x100) return fmt::format("\\x{:02X}", c);
  if (c < 0x10000) return fmt::format("\\u{:04X}", c);
  return fmt::format("\\U{:08X}", c);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

std::string alternatives(const std::vector<std::string>& alts) {
  if (alts.size() == 1) return alts.front();
  return "( " + join(alts, " | ") + " )";
}

std::string digit_class(char lo, char hi) {
  return lo == hi ? fmt::format("\"{}\"", lo) : fmt::format("[{}-{}]", lo, hi);
}

std::string any_digits(size_t n) {
  if (n == 0) return "";
  return n == 1 ? "[0-9]" : fmt::format("[0-9]{{{}}}", n);
}

std::string concat(std::string a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + " " + b;
}

// Digit strings of one length between x and y (x <= y, same length), by the first digit: x's own
// first digit with the rest from x's tail up, the digits strictly between with any tail, y's
// first digit with the rest up to y's tail.
std::string same_length_range(const std::string& x, const std::string& y) {
  if (x.empty()) return "";
  if (x == y) return gbnf_literal(x);
  const std::string xt = x.substr(1), yt = y.substr(1);
  if (x[0] == y[0]) return concat(gbnf_literal(x.substr(0, 1)), same_length_range(xt, yt));
  const size_t n = xt.size();
  const bool x_tail_min = xt == std::string(n, '0');
  const bool y_tail_max = yt == std::string(n, '9');
  std::vector<std::string> alts;
  char lo = x[0], hi = y[0];
  if (!x_tail_min) {
    alts.push_back(concat(gbnf_literal(x.substr(0, 1)), same_length_range(xt, std::string(n, '9'))));
    ++lo;
  }
  std::string upper;
  if (!y_tail_max) {
    upper = concat(gbnf_literal(y.substr(0, 1)), same_length_range(std::string(n, '0'), yt));
    --hi;
  }
  if (lo <= hi) alts.push_back(concat(digit_class(lo, hi), any_digits(n)));
  if (!upper.empty()) alts.push_back(upper);
  return alternatives(alts);
}

// Non-negative integers in [a, b] without leading zeros.
std::string magnitude_range(uint64_t a, uint64_t b) {
  const std::string sa = std::to_string(a), sb = std::to_string(b);
  std::vector<std::string> alts;
  for (size_t len = sa.size(); len <= sb.size(); ++len) {
    const std::string lo = len == sa.size() ? sa : "1" + std::string(len - 1, '0');
    const std::string hi = len == sb.size() ? sb : std::string(len, '9');
    alts.push_back(same_length_range(lo, hi));
  }
  return alternatives(alts);
}

uint64_t magnitude(int64_t v) {
  return v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
}

}  // namespace

std::string gbnf_literal(std::string_view bytes) {
  std::string out = "\"";
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out += ch;  // printable ASCII, or a byte of a UTF-8 character
    }
  }
  return out + "\"";
}

std::string gbnf_class(const CharSet& set) {
  auto one = [](uint32_t c) -> std::string {
    if (c > 0x20 && c < 0x7F && c != ']' && c != '[' && c != '\\' && c != '-' && c != '^' && c != '"')
      return std::string(1, static_cast<char>(c));
    return escaped_code_point(c);
  };
  std::string out = "[";
  for (CharRange r : set.ranges()) {
    out += one(r.lo);
    if (r.hi > r.lo) out += (r.hi > r.lo + 1 ? "-" : "") + one(r.hi);
  }
  return out + "]";
}

std::string json_string_char(const CharSet& set) {
  std::vector<std::string> alts;
  // What JSON allows raw: everything but the quote, the backslash and control characters.
  const CharSet raw_allowed = CharSet::of({{0x20, 0x21}, {0x23, 0x5B}, {0x5D, kMaxCodePoint}});
  std::vector<CharRange> raw;
  for (CharRange a : set.ranges())
    for (CharRange b : raw_allowed.ranges()) {
      const uint32_t lo = std::max(a.lo, b.lo), hi = std::min(a.hi, b.hi);
      if (lo <= hi) raw.push_back({lo, hi});
    }
  if (!raw.empty()) {
    const CharSet r = CharSet::of(raw);
    const bool single = r.ranges().size() == 1 && r.ranges()[0].lo == r.ranges()[0].hi;
    std::string one;
    if (single) append_utf8(one, r.ranges()[0].lo);
    alts.push_back(single ? gbnf_literal(one) : gbnf_class(r));
  }
  if (set.contains('"')) alts.push_back(gbnf_literal("\\\""));
  if (set.contains('\\')) alts.push_back(gbnf_literal("\\\\"));
  for (uint32_t c = 0; c < 0x20; ++c) {
    if (!set.contains(c)) continue;
    switch (c) {
      case '\b': alts.push_back(gbnf_literal("\\b")); break;
      case '\f': alts.push_back(gbnf_literal("\\f")); break;
      case '\n': alts.push_back(gbnf_literal("\\n")); break;
      case '\r': alts.push_back(gbnf_literal("\\r")); break;
      case '\t': alts.push_back(gbnf_literal("\\t")); break;
      default: alts.push_back(gbnf_literal(fmt::format("\\u{:04x}", c)));
    }
  }
  return alternatives(alts);
}

std::string integer_range(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<std::string> alts;
  // Negative values: "-" and a magnitude in [max(1, -hi), -lo].
  if (!lo || *lo < 0) {
    const uint64_t mag_lo = hi && *hi < 0 ? magnitude(*hi) : 1;
    const uint64_t mag_hi = lo ? magnitude(*lo) : kUnboundedMagnitude;
    if (mag_lo <= mag_hi) alts.push_back("\"-\" " + magnitude_range(mag_lo, mag_hi));
  }
  // Non-negative values in [max(0, lo), hi].
  if (!hi || *hi >= 0) {
    const uint64_t a = lo && *lo > 0 ? static_cast<uint64_t>(*lo) : 0;
    const uint64_t b = hi ? static_cast<uint64_t>(*hi) : std::max(a, kUnboundedMagnitude);
    if (a <= b) alts.push_back(magnitude_range(a, b));
  }
  return alternatives(alts);
}

// A value v = ±(n + f), n the integer part and f the fraction. The integers come from
// integer_range; values with a fraction are grouped by n: a whole unit [n, n+1) (or (-(n+1), -n])
// inside the bounds takes any fraction; at an exclusive bound n only a non-zero fraction; at an
// inclusive bound n the fraction .0…0, which is the bound itself.
Result<std::string> number_range(std::optional<NumberBound> lo, std::optional<NumberBound> hi) {
  const std::optional<int64_t> int_lo = lo ? std::optional(lo->value + (lo->exclusive ? 1 : 0)) : std::nullopt;
  const std::optional<int64_t> int_hi = hi ? std::optional(hi->value - (hi->exclusive ? 1 : 0)) : std::nullopt;
  if (lo && hi && (lo->value > hi->value || (lo->value == hi->value && (lo->exclusive || hi->exclusive))))
    return Error("the bounds leave no number");
  std::vector<std::string> alts;
  if (!int_lo || !int_hi || *int_lo <= *int_hi) alts.push_back(integer_range(int_lo, int_hi));
  const std::string any_fraction = "\".\" [0-9]{1,16}";
  const std::string nonzero_fraction = "\".\" [0-9]{0,15} [1-9]";
  const std::string zero_fraction = "\".\" \"0\"{1,16}";
  auto add = [&](const std::string& sign, uint64_t a, uint64_t b, const std::string& fraction) {
    if (a <= b) alts.push_back(concat(sign, concat(magnitude_range(a, b), fraction)));
  };
  // Non-negative: n in [lo or lo+1 (exclusive), hi-1] with any fraction.
  if (!hi || hi->value > 0) {
    const int64_t a = !lo ? 0 : std::max<int64_t>(0, lo->value + (lo->exclusive ? 1 : 0));
    const uint64_t b = hi ? static_cast<uint64_t>(hi->value - 1) : kUnboundedMagnitude;
    add("", static_cast<uint64_t>(a), b, any_fraction);
  }
  if (lo && lo->exclusive && lo->value >= 0 && (!hi || lo->value < hi->value))
    add("", static_cast<uint64_t>(lo->value), static_cast<uint64_t>(lo->value), nonzero_fraction);
  if (hi && !hi->exclusive && hi->value >= 0)
    add("", static_cast<uint64_t>(hi->value), static_cast<uint64_t>(hi->value), zero_fraction);
  // Negative: -(n + f) with n in [-hi or -hi+1 (exclusive), -lo-1] with any fraction.
  if (!lo || lo->value < 0) {
    const int64_t a = !hi ? 0 : std::max<int64_t>(0, -hi->value + (hi->exclusive ? 1 : 0));
    const uint64_t b = lo ? magnitude(lo->value) - 1 : kUnboundedMagnitude;
    add("\"-\"", static_cast<uint64_t>(a), b, any_fraction);
  }
  if (hi && hi->exclusive && hi->value <= 0 && (!lo || lo->value < hi->value))
    add("\"-\"", magnitude(hi->value), magnitude(hi->value), nonzero_fraction);
  if (lo && !lo->exclusive && lo->value < 0) add("\"-\"", magnitude(lo->value), magnitude(lo->value), zero_fraction);
  if (alts.empty()) return Error("the bounds leave no number");
  return alternatives(alts);
}

}  // namespace corral::sampling::schema
