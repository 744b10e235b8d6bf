// A scripted test model: a one-layer llama GGUF whose greedy continuation is a chosen token
// sequence, computed by a real forward pass. The next token is a function of the last `window`
// tokens and of whether marker tokens occur anywhere in the context, so a script can answer
// differently once, say, a tool's result is in the conversation. Used by `corral debug scripted`
// and the e2e tests, which need models with known answers through the real template, server and
// runner.
//
// How the weights compute it (D = 64-bit ±1 codes per token; the residual stream is laid out in
// slots):
//   embedding   slot 0 = code(token), a constant 1, and per marker a "is marker" / "is not" bit;
//   attention   head j (j = 1 … window-1) attends exactly j positions back and copies that token's
//               code into slot j: its query and key are constants rotated by RoPE whose frequency
//               factors give 16 periods (the primes 2 … 53), so q·k = Σ cos((Δ − j)·2π/T) peaks
//               only at Δ = j (the next best Δ ≤ 8192 is 32% lower; ×100 in the softmax); one head
//               per marker attends to marker positions through an unrotated pair, so its output is
//               1 when a marker occurs anywhere and 0 otherwise (a complement bit keeps the norm fixed);
//   feed-forward one SiLU unit per (context, marker conditions) of the script: its gate is the dot of
//               the slots with the context's codes, thresholded so that only an exact match opens it
//               (every other token's code differs in ≥ 12 bits); it writes code(next) into the out slot;
//   output      logit(t) = code(t)·out slot (the next token scores 100, any other ≤ 62.5), plus a
//               constant for the fallback token (30 when no unit fired), which ends the answer.
// Every slot holds ±1 or 0/1 values, so RMSNorm divides by a known constant at each stage and the
// thresholds are exact.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "gguf/file.h"
#include "gguf/writer.h"

namespace corral::cli {

// One scripted answer: once the context ends with `after`, the model says `say` (control tokens
// such as <|im_end|> written as text). `when` / `unless`: single-token markers that must / must not
// occur anywhere in the context.
struct ScriptRule {
  std::string after;
  std::string say;
  std::vector<std::string> when, unless;
};

struct Script {
  int window = 3;  // tokens of context that choose the next one (2 … 4)
  std::vector<ScriptRule> rules;
  std::optional<std::string> fallback;  // the token said when no rule applies (default: the vocabulary's EOS)
  uint64_t seed = 1;                    // of the token codes
};

// {"window": 3, "fallback": "<|im_end|>", "rules": [{"after": "...", "say": "...", "when": ["..."],
// "unless": "..."}]}; unknown keys are an error.
Result<Script> parse_script(const nlohmann::json& j);

struct ScriptedModelInfo {
  int64_t n_vocab = 0, n_embd = 0, n_head = 0, n_units = 0, n_markers = 0;
  int min_code_distance = 0;  // between a token the script uses and any other token
};

// Fills `out` with the model: the vocabulary (every tokenizer.* key) of `vocab_file`, its chat
// template unless `chat_template` replaces it, and the weights. Errors name the rule and the
// context when two rules continue the same context differently.
Result<ScriptedModelInfo> build_scripted_model(const GgufFile& vocab_file, const Script& script,
                                               const std::optional<std::string>& chat_template, GgufWriter& out);

}  // namespace corral::cli
