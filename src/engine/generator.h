// Continuous batching over an Engine: requests join free slots between steps; each step first
// runs the prompts of newly joined requests, then decodes one token of every active request in
// one batch, samples, and lets finished or cancelled requests leave. A request that reaches
// num_ctx is context-shifted (keep num_keep tokens, drop half of the rest).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "sampling/sampler.h"

namespace corral::engine {

struct Request {
  std::vector<int32_t> prompt;
  sampling::SamplingOptions options;
  int32_t num_keep = 0;
  // Called with each generated token and its logits; return false to finish (end of
  // generation, a stop string, a client gone).
  std::function<bool(int32_t token, std::span<const float> logits)> on_token;
  const std::atomic<bool>* cancel = nullptr;  // checked between steps
  // Structured output: every sampled token must be one this allows (null: no constraint). It holds
  // the request's grammar state, so one constraint serves one request.
  std::shared_ptr<sampling::TokenConstraint> constraint = nullptr;
  // Called instead of on_token when no token can be chosen (the constraint allows none); the
  // request then leaves its slot.
  std::function<void(const Error& error)> on_error = nullptr;
};

// A plain greedy continuation: argmax of the raw logits (no penalties, no random draw), at most
// num_predict tokens (-1: until end of generation or context). `corral debug generate` runs this,
// and so does a runner /completion request with these options.
sampling::SamplingOptions greedy_options(int32_t num_predict);

class Generator {
 public:
  explicit Generator(Engine& engine);

  // Places the request in the free slot whose cache shares the longest prefix with its prompt
  // (returns it); an error when every slot is busy.
  Result<int32_t> add(Request request);
  bool busy() const;
  // Whether the slot still holds a request (it leaves at end of generation, at num_predict, or
  // when cancelled, without a callback: the caller polls after each step).
  bool active(int32_t slot) const;
  // A slot without a request, if any (for work that borrows a slot of the engine, like
  // embeddings): an empty one, else the one used longest ago.
  std::optional<int32_t> free_slot() const;
  // Drops every request (after a failed step, whose state is unknown).
  void drop_all();
  // One step for every active request (see the file comment).
  Status step();
  // Runs steps until no request is active.
  Status run();

 private:
  struct Active {
    Request request;
    std::unique_ptr<sampling::Sampler> sampler;
    int32_t generated = 0;
    std::optional<int32_t> pending;  // sampled, not yet fed to the model
    bool prompted = false;
  };

  // Samples from logits, reports the token; returns false when the request is finished.
  bool emit(Active& a, std::span<const float> logits);
  // The next token: sampled, and accepted by the request's constraint if it has one.
  static Result<int32_t> choose(Active& a, std::span<const float> logits);
  // The free slot for a prompt (see add), if any.
  std::optional<int32_t> pick_slot(std::span<const int32_t> prompt) const;

  Engine& engine_;
  std::vector<std::optional<Active>> slots_;
  std::vector<uint64_t> started_;  // per slot: clock_ when its last request was added
  uint64_t clock_ = 0;
  std::vector<SlotToken> inputs_;
};

}  // namespace corral::engine
