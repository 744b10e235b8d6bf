// UTF-8 decoding with llama.cpp's leniency, validation, and GPT-2's byte-level alphabet.
#include "tokenizer/unicode.h"

namespace corral {
namespace {

bool is_continuation(uint8_t b) {
  return (b & 0xC0) == 0x80;
}

// Decodes one character at `pos` like llama.cpp (lead byte decides the length, continuation bytes
// must follow, overlong forms accepted). Returns the length consumed, 0 when invalid.
size_t decode_lenient(std::string_view s, size_t pos, uint32_t& cp) {
  const auto b0 = static_cast<uint8_t>(s[pos]);
  size_t n = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (pos + n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    const auto b = static_cast<uint8_t>(s[pos + i]);
    if (!is_continuation(b)) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  return n;
}

size_t encoded_length(uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

}  // namespace

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string sanitize_utf8(std::string_view text) {
  if (is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp = 0;
    size_t n = decode_lenient(text, pos, cp);
    if (n == 0) {
      append_utf8(out, kReplacementChar);
      pos += 1;
      continue;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacementChar;
    append_utf8(out, cp);
    pos += n;
  }
  return out;
}

Utf8Char decode_utf8_char(std::string_view text, size_t pos) {
  if (pos >= text.size()) return {};
  if (static_cast<uint8_t>(text[pos]) < 0x80) return {static_cast<uint8_t>(text[pos]), 1};
  uint32_t cp = 0;
  const size_t n = decode_lenient(text, pos, cp);
  if (n == 0 || n != encoded_length(cp) || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return {};
  return {cp, n};
}

bool is_valid_utf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const size_t n = decode_utf8_char(text, pos).length;
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

size_t incomplete_utf8_tail(std::string_view text) {
  // Walk back over at most three continuation bytes to the lead byte.
  size_t k = 0;
  while (k < 3 && k < text.size() && is_continuation(static_cast<uint8_t>(text[text.size() - 1 - k]))) ++k;
  if (k == text.size()) return 0;
  const auto lead = static_cast<uint8_t>(text[text.size() - 1 - k]);
  size_t need = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;
  return need > k + 1 ? k + 1 : 0;
}

ByteUnicodeTable::ByteUnicodeTable() {
  decoded_.fill(-1);
  uint32_t next_extra = 0x100;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const uint32_t cp = printable ? static_cast<uint32_t>(b) : next_extra++;
    std::string s;
    append_utf8(s, cp);
    encoded_len_[b] = static_cast<uint8_t>(s.size());
    for (size_t i = 0; i < s.size(); ++i) encoded_[b][i] = s[i];
    decoded_[cp] = static_cast<int16_t>(b);
  }
}

}  // namespace corral
