// Streaming detokenizer: holds back a partial UTF-8 character at the end of the output.
#include "tokenizer/stream_decoder.h"

#include "tokenizer/unicode.h"

namespace corral {

std::string StreamDecoder::push(TokenId id) {
  pending_ += tokenizer_->piece(id, render_special_);
  const size_t ready = pending_.size() - incomplete_utf8_tail(pending_);
  std::string out = pending_.substr(0, ready);
  pending_.erase(0, ready);
  return out;
}

std::string StreamDecoder::flush() {
  return std::exchange(pending_, {});
}

}  // namespace corral
