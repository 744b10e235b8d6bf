// Reading a vocabulary's special ids and flags from GGUF metadata: the model's defaults, the keys
// that override them, the load-time token type fixes and the end-of-generation set (engine-spec
// §6.1 and §6.6).
#include <algorithm>
#include <array>
#include <cctype>

#include "base/log.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"

namespace corral {
namespace {

// Texts that always end a turn; forced to CONTROL and put in the end-of-generation set.
constexpr std::array<std::string_view, 12> kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>",    "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>",      "_<EOT>",     "<|eom_id|>", "<|return|>",    "<|call|>",      "<end_of_utterance>",
};
// Candidates for an EOT id the file does not give, in the order tried.
constexpr std::array<std::string_view, 10> kEotTexts = {
    "<|eot_id|>",      "<|im_end|>", "<|end|>", "<end_of_turn>",         "<|endoftext|>",
    "<|end_of_text|>", "<EOT>",      "_<EOT>",  "<｜end▁of▁sentence｜>", "<end_of_utterance>",
};
constexpr std::array<std::string_view, 4> kUserDefinedTexts = {"<|channel|>", "<|message|>", "<|start|>",
                                                               "<|constrain|>"};

// A special id: its GGUF key and, when the file lacks the key, the texts that identify it.
struct SpecialKey {
  std::string_view key;
  TokenId TokenizerConfig::*field;
  std::span<const std::string_view> detect;  // empty: no auto-detection
};

constexpr std::array<std::string_view, 1> kEomTexts = {"<|eom_id|>"};
constexpr std::array<std::string_view, 7> kFimPreTexts = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>"};
constexpr std::array<std::string_view, 7> kFimSufTexts = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>"};
constexpr std::array<std::string_view, 7> kFimMidTexts = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>"};
constexpr std::array<std::string_view, 4> kFimPadTexts = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>"};
constexpr std::array<std::string_view, 5> kFimRepTexts = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
                                                          "<reponame>"};
constexpr std::array<std::string_view, 1> kFimSepTexts = {"<|file_sep|>"};

const std::array<SpecialKey, 14> kSpecialKeys = {{
    {"tokenizer.ggml.bos_token_id", &TokenizerConfig::bos, {}},
    {"tokenizer.ggml.eos_token_id", &TokenizerConfig::eos, {}},
    {"tokenizer.ggml.eot_token_id", &TokenizerConfig::eot, kEotTexts},
    {"tokenizer.ggml.eom_token_id", &TokenizerConfig::eom, kEomTexts},
    {"tokenizer.ggml.unknown_token_id", &TokenizerConfig::unk, {}},
    {"tokenizer.ggml.seperator_token_id", &TokenizerConfig::sep, {}},  // sic: llama.cpp's spelling
    {"tokenizer.ggml.padding_token_id", &TokenizerConfig::pad, {}},
    {"tokenizer.ggml.mask_token_id", &TokenizerConfig::mask, {}},
    {"tokenizer.ggml.fim_pre_token_id", &TokenizerConfig::fim_pre, kFimPreTexts},
    {"tokenizer.ggml.fim_suf_token_id", &TokenizerConfig::fim_suf, kFimSufTexts},
    {"tokenizer.ggml.fim_mid_token_id", &TokenizerConfig::fim_mid, kFimMidTexts},
    {"tokenizer.ggml.fim_pad_token_id", &TokenizerConfig::fim_pad, kFimPadTexts},
    {"tokenizer.ggml.fim_rep_token_id", &TokenizerConfig::fim_rep, kFimRepTexts},
    {"tokenizer.ggml.fim_sep_token_id", &TokenizerConfig::fim_sep, kFimSepTexts},
}};

void force_type(Vocab& vocab, std::string_view text, TokenType type) {
  if (TokenId id = vocab.find(text); id != kNoToken) vocab.set_type(id, type);
}

TokenizerConfig model_defaults(TokenizerModel model, std::string_view pre) {
  TokenizerConfig c;
  c.model = model;
  c.pre = std::string(pre);
  if (model == TokenizerModel::kSpm) {
    c.bos = 1;
    c.eos = 2;
    c.unk = 0;
    c.add_bos = true;
    c.add_space_prefix = true;
    return c;
  }
  const PreTokenizerRules* rules = find_pre_tokenizer(pre);
  if (rules == nullptr && pre.empty()) {
    LOG_WARN("tokenizer: tokenizer.ggml.pre is missing; using the default pre-tokenizer rules");
    rules = &default_pre_tokenizer();
  } else if (rules == nullptr) {
    LOG_WARN(
        "tokenizer: unknown pre-tokenizer {} (tokenizer.ggml.pre); using the default rules, so "
        "token ids may differ from the model's own tokenizer",
        pre);
    rules = &default_pre_tokenizer();
  }
  c.bos = rules->clear_bos ? kNoToken : 11;
  c.eos = 11;
  c.add_bos = rules->add_bos;
  c.add_sep = rules->add_sep;
  c.clean_spaces = rules->clean_spaces;
  c.ignore_merges = rules->ignore_merges;
  return c;
}

void read_special_ids(const GgufMetadata& metadata, const Vocab& vocab, TokenizerConfig& c) {
  for (const SpecialKey& k : kSpecialKeys) {
    auto id = metadata.get_uint(k.key);
    if (!id) continue;
    if (*id >= vocab.size()) {
      LOG_WARN("tokenizer: {} = {} is not below the vocabulary size {}; ignored", k.key, *id, vocab.size());
      continue;
    }
    c.*k.field = static_cast<TokenId>(*id);
  }
  if (auto v = metadata.get_bool("tokenizer.ggml.add_bos_token")) c.add_bos = *v;
  if (auto v = metadata.get_bool("tokenizer.ggml.add_eos_token")) c.add_eos = *v;
  if (auto v = metadata.get_bool("tokenizer.ggml.add_sep_token")) c.add_sep = *v;
  if (auto v = metadata.get_bool("tokenizer.ggml.add_space_prefix")) c.add_space_prefix = *v;
  // Defaults that point outside a small vocabulary (BPE's 11) mean "none".
  for (const SpecialKey& k : kSpecialKeys)
    if (!vocab.contains(c.*k.field)) c.*k.field = kNoToken;
}

// Ids the file does not give are recognised by their text; those tokens become CONTROL.
void detect_special_ids(Vocab& vocab, TokenizerConfig& c) {
  for (const SpecialKey& k : kSpecialKeys) {
    if (c.*k.field != kNoToken || k.detect.empty()) continue;
    for (std::string_view text : k.detect) {
      if (TokenId id = vocab.find(text); id != kNoToken) {
        c.*k.field = id;
        vocab.set_type(id, TokenType::kControl);
        break;
      }
    }
  }
}

void build_eog_set(Vocab& vocab, TokenizerConfig& c) {
  std::vector<TokenId> eog;
  for (TokenId id : {c.eos, c.eot, c.eom, c.fim_pad, c.fim_rep, c.fim_sep})
    if (id != kNoToken) eog.push_back(id);
  for (std::string_view text : kEogTexts)
    if (TokenId id = vocab.find(text); id != kNoToken) eog.push_back(id);
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  // gpt-oss style vocabularies end a message with <|return|> or <|call|>; <|end|> only separates.
  const TokenId ret = vocab.find("<|return|>"), call = vocab.find("<|call|>"), end = vocab.find("<|end|>");
  auto in_eog = [&](TokenId id) { return id != kNoToken && std::binary_search(eog.begin(), eog.end(), id); };
  if (in_eog(ret) && in_eog(call) && in_eog(end)) {
    eog.erase(std::find(eog.begin(), eog.end(), end));
    vocab.set_type(end, TokenType::kUserDefined);
  }
  c.eog = std::move(eog);
}

Status check_phi3(const GgufMetadata& metadata, const Vocab& vocab, TokenizerConfig& c) {
  std::string name(metadata.get_string("general.name").value_or(""));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (name.find("phi-3") == std::string::npos && name.find("phi3") == std::string::npos) return {};
  for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>", "</s>"})
    if (vocab.find(text) == kNoToken) return Error::format("phi-3 vocabulary without the token {}", text);
  c.phi3_strip = true;
  return {};
}

}  // namespace

Result<TokenizerConfig> read_tokenizer_config(const GgufMetadata& metadata, Vocab& vocab) {
  auto model_name = metadata.get_string("tokenizer.ggml.model");
  if (!model_name) return Error("no tokenizer: tokenizer.ggml.model is missing");
  TokenizerModel model;
  if (*model_name == "llama") {
    model = TokenizerModel::kSpm;
  } else if (*model_name == "gpt2") {
    model = TokenizerModel::kBpe;
  } else {
    return Error::format("tokenizer.ggml.model \"{}\" is not supported (only \"llama\" and \"gpt2\")", *model_name);
  }
  TokenizerConfig c = model_defaults(model, metadata.get_string("tokenizer.ggml.pre").value_or(""));
  read_special_ids(metadata, vocab, c);
  for (std::string_view text : kEogTexts) force_type(vocab, text, TokenType::kControl);
  for (std::string_view text : kUserDefinedTexts) force_type(vocab, text, TokenType::kUserDefined);
  detect_special_ids(vocab, c);
  build_eog_set(vocab, c);
  CORRAL_TRY(check_phi3(metadata, vocab, c));
  if (c.add_bos && c.bos == kNoToken) return Error("tokenizer.ggml.add_bos_token is set but there is no BOS token");
  return c;
}

}  // namespace corral
