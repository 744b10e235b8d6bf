// UTF-8 helpers the tokenizers share: llama.cpp-compatible decoding of untrusted bytes, the GPT-2
// byte <-> code point table of byte-level BPE, and the test for a held-back partial character.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace corral {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Appends the UTF-8 encoding of `cp` (which must be <= 0x10FFFF).
void append_utf8(std::string& out, uint32_t cp);

// Byte length of the character starting with `lead`, from its top four bits (SentencePiece's rule:
// continuation bytes count as 1, no further validation).
inline size_t spm_char_length(uint8_t lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

// Re-encodes text as valid UTF-8 the way llama.cpp reads it into code points: a lead byte with its
// continuation bytes decodes (overlong forms included, re-encoded in their short form); every byte
// that does not start such a sequence becomes U+FFFD. Surrogates and values above U+10FFFF, which
// cannot be encoded validly, also become U+FFFD.
std::string sanitize_utf8(std::string_view text);

// True when `text` is valid UTF-8 (shortest forms, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

// The valid UTF-8 character at text[pos]: its code point and byte length; length 0 when the bytes
// there are not one (truncated, overlong, a surrogate, beyond U+10FFFF, a stray byte).
struct Utf8Char {
  uint32_t cp = 0;
  size_t length = 0;
};
Utf8Char decode_utf8_char(std::string_view text, size_t pos);

// Number of bytes at the end of `text` that form the beginning of a UTF-8 character still missing
// continuation bytes (0 when the text ends on a character boundary or with invalid bytes).
size_t incomplete_utf8_tail(std::string_view text);

// GPT-2's reversible map from bytes to printable code points (0x20 -> U+0120 'Ġ', 0x0A -> U+010A).
class ByteUnicodeTable {
 public:
  ByteUnicodeTable();
  // UTF-8 text of the code point byte `b` maps to (1 or 2 bytes).
  std::string_view encode(uint8_t b) const { return {encoded_[b].data(), encoded_len_[b]}; }
  // The byte a code point stands for, or -1 for code points outside the table.
  int decode(uint32_t cp) const { return cp < decoded_.size() ? decoded_[cp] : -1; }

 private:
  std::array<std::array<char, 2>, 256> encoded_{};
  std::array<uint8_t, 256> encoded_len_{};
  std::array<int16_t, 0x144> decoded_{};  // highest mapped code point is U+0143
};

}  // namespace corral
