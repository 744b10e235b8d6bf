// A loaded model serving sequences: the GGUF mapping, the architecture, the devices it runs on
// (each a backend with the weights of its layers, their KV cache layers and a workspace), one KV
// cache with num_parallel slots of num_ctx cells (F16). Prompts run in num_batch chunks through the
// matrix-matrix kernels; decode steps batch one token of several slots together. Not thread-safe:
// one caller drives an Engine (the runner serialises requests).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "base/result.h"
#include "gguf/file.h"
#include "models/model.h"
#include "nn/kv_cache.h"
#include "nn/pass.h"
#include "nn/workspace.h"

namespace corral::engine {

struct EngineOptions {
  int64_t num_ctx = 2048;
  int64_t num_batch = 512;
  int32_t num_parallel = 1;
  size_t num_threads = 0;                           // 0 = physical cores
  int64_t max_outputs = 0;                          // logits rows one forward pass may return (0 = num_parallel)
  nn::KvCacheType kv_type = nn::KvCacheType::kF16;  // F32 as llama.cpp's reference runs; Q8_0 to save memory
};

// What Engine allocates, as pure functions of the model shape and the options (sched/ plans
// memory with these, so its KV cache and workspace figures are the engine's own).
// Cells per layer of the KV cache: num_ctx for full attention, a window + num_batch ring
// for a sliding-window layer.
std::vector<int64_t> kv_cells(const models::ModelInfo& info, const EngineOptions& options);
nn::WorkspaceDims workspace_dims(const models::ModelInfo& info, const EngineOptions& options);
size_t workspace_bytes_needed(const models::ModelInfo& info, const EngineOptions& options);

// One token to decode for one slot.
struct SlotToken {
  int32_t slot = 0;
  int32_t token = 0;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> load(const std::filesystem::path& path, const EngineOptions& options);

  const models::ModelInfo& info() const { return model_->info(); }
  const GgufFile& file() const { return file_; }
  const EngineOptions& options() const { return options_; }
  int64_t n_vocab() const { return model_->info().n_vocab; }
  // KV cache bytes on every device (with a backend's own KV scratch).
  size_t kv_bytes() const;
  // Bytes of one device's workspace (every device holds one of this size).
  size_t workspace_bytes() const { return devices_.front().ws.bytes(); }

  // Appends tokens to the slot's sequence (positions continue from its length), in num_batch
  // chunks. Returns the logits of every appended token ([n][n_vocab]) when all_logits, else of
  // the last one.
  Result<std::vector<float>> evaluate(int32_t slot, std::span<const int32_t> tokens, bool all_logits = false);

  // Starts a new prompt in the slot, reusing the longest cached prefix it shares with the slot's
  // current sequence; returns the last token's logits. reused() says how many tokens were kept.
  Result<std::span<const float>> prompt(int32_t slot, std::span<const int32_t> tokens);
  int32_t reused() const { return last_reused_; }

  // One decode step: appends one token to each listed slot (distinct slots) in a single batch.
  // Row i of the result ([n][n_vocab]) is the logits after inputs[i].
  Result<std::span<const float>> decode(std::span<const SlotToken> inputs);

  // Runs tokens through the slot from an empty cache and returns the hidden states after the
  // final norm ([n][n_embd], the head skipped); the slot is empty again afterwards.
  Result<std::vector<float>> hidden_states(int32_t slot, std::span<const int32_t> tokens);
  // The pooled, L2-normalised embedding of tokens (engine/embedding.h), computed in the slot,
  // which is empty afterwards.
  Result<std::vector<float>> embed(int32_t slot, std::span<const int32_t> tokens);

  // Context shift: keeps the first num_keep tokens of the slot, drops half of the rest and
  // recomputes the cache for what is kept.
  Status shift(int32_t slot, int32_t num_keep);

  void clear(int32_t slot);
  int32_t length(int32_t slot) const { return static_cast<int32_t>(seqs_[slot].size()); }
  const std::vector<int32_t>& tokens(int32_t slot) const { return seqs_[slot]; }

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

 private:
  // One device the model runs on.
  struct Device {
    std::unique_ptr<Backend> be;
    nn::Workspace ws;
  };

  Engine(GgufFile file, const EngineOptions& options, std::unique_ptr<models::Model> model);
  // Backends, weights, KV cache and workspaces for the placement (all on the CPU for now).
  Status set_up_devices();

  Status check_slot(int32_t slot) const;
  // Checks that tokens are valid ids and fit behind the slot's sequence.
  Status check_append(int32_t slot, std::span<const int32_t> tokens) const;
  // Stages tokens [begin, end) as one batch appended to the slot's sequence (no outputs yet).
  void stage_chunk(int32_t slot, std::span<const int32_t> tokens, size_t begin, size_t end);
  // Runs one forward pass over batch_tokens_/batch_pos_/segments_ with outputs out_rows_ and
  // returns its output rows: logits ([outputs][n_vocab]) or hidden states ([outputs][n_embd]),
  // valid until the next pass.
  Result<std::span<const float>> run_batch(nn::OutputKind output = nn::OutputKind::kLogits);

  GgufFile file_;
  EngineOptions options_;
  std::unique_ptr<models::Model> model_;
  std::vector<Device> devices_;  // [0] = the CPU
  std::vector<nn::DeviceRef> device_refs_;
  nn::DeviceMap map_;
  std::vector<PreparedWeights> weights_;  // the buffers behind the model's weight fields
  nn::KvCache cache_;
  std::vector<float> outputs_;              // output rows copied from a device that is not the CPU
  std::vector<float> last_logits_;          // prompt()'s result
  std::vector<std::vector<int32_t>> seqs_;  // tokens held in each slot's cache, positions 0..n-1
  int32_t last_reused_ = 0;

  // Batch staging, sized once.
  std::vector<int32_t> batch_tokens_, batch_pos_;
  std::vector<nn::SeqSegment> segments_;
  std::vector<int64_t> out_rows_;
};

}  // namespace corral::engine
