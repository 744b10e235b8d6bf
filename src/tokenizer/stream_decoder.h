// Streaming detokenizer for generation: token pieces in, text out, never splitting a UTF-8
// character across two outputs (a character spread over several tokens is held until complete).
#pragma once

#include <string>

#include "tokenizer/tokenizer.h"

namespace corral {

class StreamDecoder {
 public:
  // `render_special`: control tokens appear as their text (Ollama's behaviour) or are hidden.
  explicit StreamDecoder(const Tokenizer& tokenizer, bool render_special = true)
      : tokenizer_(&tokenizer), render_special_(render_special) {}

  // The bytes now complete: what was held plus this token's piece, minus a trailing incomplete
  // character. The id must be valid.
  std::string push(TokenId id);
  // What is still held at the end of the stream (an incomplete character), returned as is.
  std::string flush();
  size_t held_bytes() const { return pending_.size(); }

 private:
  const Tokenizer* tokenizer_;
  bool render_special_;
  std::string pending_;
};

}  // namespace corral
