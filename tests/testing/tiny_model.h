// A tiny llama GGUF with random F32 weights and a SentencePiece vocabulary (<unk> <s> </s>, the
// 256 byte tokens, then a few words and letters), for tests that need a whole model in
// milliseconds: the engine's embeddings, the runner child. The head gives zero logits to the
// control and byte tokens, so greedy text is made of the words (and never ends by itself unless
// `eos` names one of them).
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gguf/writer.h"

namespace corral::testing {

struct TinyModel {
  int64_t n_embd = 32, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 64, n_ctx_train = 4096;
  uint64_t seed = 7;
  float weight_std = 0.5f;
  std::optional<int32_t> eos;            // tokenizer.ggml.eos_token_id (default: </s> = 2)
  std::optional<uint32_t> pooling_type;  // llama.pooling_type
};

inline constexpr int32_t kTinyFirstWord = 259;
inline const std::vector<std::string>& tiny_words() {
  static const std::vector<std::string> words = {"▁",     "▁the", "▁cat", "▁sat",  "▁on",  "▁mat", "▁hello", "▁world",
                                                 "▁a",    "▁b",   "▁c",   "▁dog",  "▁ran", "▁far", "▁away",  "▁and",
                                                 "▁then", "▁it",  "▁was", "▁good", "a",    "b",    "c",      "d",
                                                 "e",     "h",    "l",    "o",     "r",    "w",    "é",      "▁caf"};
  return words;
}

inline void write_tiny_model(const std::filesystem::path& path, const TinyModel& m = {}) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("general.name", "tiny test model");
  w.set("llama.context_length", static_cast<uint32_t>(m.n_ctx_train));
  w.set("llama.embedding_length", static_cast<uint32_t>(m.n_embd));
  w.set("llama.block_count", static_cast<uint32_t>(m.n_layer));
  w.set("llama.feed_forward_length", static_cast<uint32_t>(m.n_ff));
  w.set("llama.attention.head_count", static_cast<uint32_t>(m.n_head));
  w.set("llama.attention.head_count_kv", static_cast<uint32_t>(m.n_head_kv));
  w.set("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.set("llama.rope.freq_base", 10000.0f);
  if (m.pooling_type) w.set("llama.pooling_type", *m.pooling_type);
  std::vector<std::string> texts = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};  // unknown, control, control
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    texts.emplace_back(name);
    types.push_back(6);  // byte
  }
  for (const auto& word : tiny_words()) {
    texts.push_back(word);
    types.push_back(1);
  }
  std::vector<float> scores(texts.size());
  for (size_t i = kTinyFirstWord; i < texts.size(); ++i) scores[i] = -static_cast<float>(texts[i].size());
  const auto n_vocab = static_cast<int64_t>(texts.size());
  w.set("tokenizer.ggml.model", "llama");
  w.set("tokenizer.ggml.tokens", make_string_array(texts));
  w.set("tokenizer.ggml.scores", make_array(GgufValueType::kF32, scores));
  w.set("tokenizer.ggml.token_type", make_array(GgufValueType::kI32, types));
  w.set("tokenizer.ggml.bos_token_id", uint32_t{1});
  w.set("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(m.eos.value_or(2)));
  w.set("tokenizer.ggml.unknown_token_id", uint32_t{0});

  std::mt19937_64 rng(m.seed);
  std::normal_distribution<float> dist(0.f, m.weight_std);
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float mean, bool random = true,
                 int64_t zero_rows = 0) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n), mean);
    if (random)
      for (float& x : v) x = mean + dist(rng);
    for (int64_t i = 0; i < zero_rows * shape[0]; ++i) v[i] = 0.f;
    std::vector<std::byte> bytes(v.size() * sizeof(float));
    std::memcpy(bytes.data(), v.data(), bytes.size());
    ASSERT_TRUE(w.add_tensor(name, GgmlType::kF32, shape, std::move(bytes)).ok()) << name;
  };
  const int64_t d = m.n_embd, hd = d / m.n_head, nkv = m.n_head_kv * hd;
  add("token_embd.weight", {d, n_vocab}, 0.f);
  add("output_norm.weight", {d}, 1.f, false);
  add("output.weight", {d, n_vocab}, 0.f, true, kTinyFirstWord);
  for (int64_t il = 0; il < m.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    add(p + "attn_norm.weight", {d}, 1.f, false);
    add(p + "attn_q.weight", {d, d}, 0.f);
    add(p + "attn_k.weight", {d, nkv}, 0.f);
    add(p + "attn_v.weight", {d, nkv}, 0.f);
    add(p + "attn_output.weight", {d, d}, 0.f);
    add(p + "ffn_norm.weight", {d}, 1.f, false);
    add(p + "ffn_gate.weight", {d, m.n_ff}, 0.f);
    add(p + "ffn_up.weight", {d, m.n_ff}, 0.f);
    add(p + "ffn_down.weight", {m.n_ff, d}, 0.f);
  }
  ASSERT_TRUE(w.write_file(path).ok());
}

}  // namespace corral::testing
