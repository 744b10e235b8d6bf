// Continuous batching (see generator.h).
#include "engine/generator.h"

#include <algorithm>

namespace corral::engine {

sampling::SamplingOptions greedy_options(int32_t num_predict) {
  sampling::SamplingOptions o;
  o.temperature = 0.f;
  o.top_k = 1;  // one candidate left: the sampler returns it without drawing
  o.top_p = 1.f;
  o.repeat_last_n = 0;
  o.repeat_penalty = 1.f;
  o.seed = 0;
  o.num_predict = num_predict;
  return o;
}

Generator::Generator(Engine& engine)
    : engine_(engine), slots_(engine.options().num_parallel), started_(engine.options().num_parallel, 0) {}

namespace {

size_t common_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

// Ollama's and llama-server's choice: the cache that shares the longest prefix with the prompt,
// so only the rest is evaluated. Among equals an empty slot, else the one whose last request
// started longest ago (recent conversations keep their cache).
std::optional<int32_t> Generator::pick_slot(std::span<const int32_t> prompt) const {
  std::optional<int32_t> best;
  size_t best_common = 0;
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s]) continue;
    const auto slot = static_cast<int32_t>(s);
    const size_t common = common_prefix(engine_.tokens(slot), prompt);
    if (best) {
      if (common < best_common) continue;
      if (common == best_common) {
        const bool empty = engine_.length(slot) == 0, best_empty = engine_.length(*best) == 0;
        if (empty != best_empty ? !empty : started_[s] >= started_[*best]) continue;
      }
    }
    best = slot;
    best_common = common;
  }
  return best;
}

Result<int32_t> Generator::add(Request request) {
  if (request.prompt.empty()) return Error("empty prompt");
  const std::optional<int32_t> slot = pick_slot(request.prompt);
  if (!slot) return Error::format("all {} slots are busy", slots_.size());
  Active a;
  a.sampler = std::make_unique<sampling::Sampler>(request.options);
  a.request = std::move(request);
  slots_[*slot] = std::move(a);
  started_[*slot] = ++clock_;
  return *slot;
}

bool Generator::busy() const {
  for (const auto& s : slots_)
    if (s) return true;
  return false;
}

bool Generator::active(int32_t slot) const {
  return slot >= 0 && static_cast<size_t>(slot) < slots_.size() && slots_[slot].has_value();
}

std::optional<int32_t> Generator::free_slot() const {
  return pick_slot({});
}

void Generator::drop_all() {
  for (auto& s : slots_) s.reset();
}

Result<int32_t> Generator::choose(Active& a, std::span<const float> logits) {
  sampling::TokenConstraint* constraint = a.request.constraint.get();
  if (constraint == nullptr) return a.sampler->sample(logits);
  CORRAL_ASSIGN_OR_RETURN(const int32_t token, a.sampler->sample(logits, *constraint));
  CORRAL_TRY(constraint->accept(token));
  return token;
}

bool Generator::emit(Active& a, std::span<const float> logits) {
  Result<int32_t> chosen = choose(a, logits);
  if (!chosen.ok()) {
    if (a.request.on_error) a.request.on_error(chosen.error());
    return false;
  }
  const int32_t token = *chosen;
  a.sampler->accept(token);
  ++a.generated;
  const bool more = a.request.on_token ? a.request.on_token(token, logits) : true;
  const int32_t limit = a.request.options.num_predict;
  if (!more || (limit >= 0 && a.generated >= limit)) return false;
  a.pending = token;
  return true;
}

Status Generator::step() {
  // Leave: cancelled requests, between steps.
  for (auto& s : slots_)
    if (s && s->request.cancel && s->request.cancel->load()) s.reset();
  // Join: prompts of new requests (each in num_batch chunks, with prefix reuse).
  for (size_t i = 0; i < slots_.size(); ++i) {
    auto& s = slots_[i];
    if (!s || s->prompted) continue;
    s->prompted = true;
    const auto slot = static_cast<int32_t>(i);
    CORRAL_ASSIGN_OR_RETURN(std::span<const float> logits, engine_.prompt(slot, s->request.prompt));
    for (int32_t t : s->request.prompt) s->sampler->accept(t);
    if (s->request.options.num_predict == 0 || !emit(*s, logits)) s.reset();
  }
  // Decode: one token of every active request, in one batch.
  inputs_.clear();
  for (size_t i = 0; i < slots_.size(); ++i) {
    auto& s = slots_[i];
    if (!s || !s->pending) continue;
    const auto slot = static_cast<int32_t>(i);
    if (engine_.length(slot) >= engine_.options().num_ctx) CORRAL_TRY(engine_.shift(slot, s->request.num_keep));
    inputs_.push_back(SlotToken{slot, *s->pending});
    s->pending.reset();
  }
  if (inputs_.empty()) return {};
  CORRAL_ASSIGN_OR_RETURN(std::span<const float> logits, engine_.decode(inputs_));
  const auto vocab = static_cast<size_t>(engine_.n_vocab());
  for (size_t r = 0; r < inputs_.size(); ++r) {
    auto& s = slots_[inputs_[r].slot];
    if (!emit(*s, logits.subspan(r * vocab, vocab))) s.reset();
  }
  return {};
}

Status Generator::run() {
  while (busy()) CORRAL_TRY(step());
  return {};
}

}  // namespace corral::engine
