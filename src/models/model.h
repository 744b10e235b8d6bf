// A loaded architecture: its shape (ModelInfo), its weight bindings and its forward pass over a
// batch, written against backend/ and nn/ and never naming a device. The GGUF mapping must outlive
// the model; the engine prepares the bound weights on the devices of their layers before the first
// pass. Architectures register in registry.cpp; the helpers here are the parts they share.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "base/result.h"
#include "gguf/file.h"
#include "models/binder.h"
#include "models/hparams.h"
#include "nn/attention.h"
#include "nn/batch.h"
#include "nn/feed_forward.h"
#include "nn/pass.h"

namespace corral::models {

struct ModelInfo {
  std::string arch;
  int64_t n_vocab = 0, n_embd = 0, n_layer = 0, n_ctx_train = 0;
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0, n_ff = 0;
  std::vector<int32_t> windows;  // per layer: sliding window, 0 = full attention
};

class Model {
 public:
  virtual ~Model() = default;
  const ModelInfo& info() const { return info_; }

  // Every weight field bound at load, with its file tensor and the part of the model that reads it.
  const std::vector<WeightBinding>& weights() const { return weights_; }

  // Runs the pass's batch (its K/V go into the pass's cache) and writes the logits of batch rows
  // out_rows[i] to row i of the output device's ws.logits ([outputs][n_vocab]).
  virtual void forward(nn::Pass& pass) const = 0;

 protected:
  ModelInfo info_;
  std::vector<WeightBinding> weights_;
};

// Run-time settings a loader may need (phi3 picks its RoPE factors by the context size).
struct LoadOptions {
  int64_t n_ctx = 0;  // per-sequence context (num_ctx)
};

// Hyper-parameters every decoder here has, read with the standard keys (engine-spec §5.1).
struct CommonHParams {
  int64_t n_embd = 0, n_layer = 0, n_ctx_train = 0, n_head = 0, n_head_kv = 0, head_dim = 0, n_ff = 0, n_rot = 0;
  float eps = 0.f, rope_base = 10000.f, rope_freq_scale = 1.f, rope_attn_factor = 1.f;
  std::string rope_scaling;  // "none", "linear", "longrope" ("yarn" is rejected)
};
CommonHParams read_common_hparams(HParamReader& r);

// The standard tensors around the layers: embedding, final norm, head (tied when absent).
struct OutputWeights {
  Weight token_embd, output_norm, output;
  Weight output_bias;  // optional, added to the logits (qwen2)
};
void bind_output_weights(TensorBinder& b, const CommonHParams& hp, int64_t n_vocab, OutputWeights& w);

// ModelInfo from the common hyper-parameters (windows all 0).
ModelInfo make_info(std::string arch, const CommonHParams& hp, int64_t n_vocab);

// The attention settings the architectures share: heads, q/k-norm eps and RoPE from the common
// hyper-parameters, scores scaled by 1/sqrt(head_dim). Each architecture then sets what differs.
nn::AttentionConfig standard_attention(const CommonHParams& hp, bool neox);

// x[n][n_embd] = embedding rows of the batch's tokens, on the input stage (which it returns).
const nn::Stage& embed(nn::Pass& pass, const Weight& token_embd);
// Gathers the batch's out_rows of x and applies the final RMSNorm; then, for OutputKind::kLogits,
// the head into ws.logits ([outputs][n_vocab]) of the output stage. For kHidden the normalised rows
// stay in ws.h ([outputs][n_embd]; up to max_tokens rows, so a whole prompt chunk fits) and the
// head is skipped. Returns the logits ([outputs][n_vocab]) when they were written (an architecture
// post-processes them only then), else an absent tensor.
Tensor output_head(nn::Pass& pass, const OutputWeights& w, float eps);

// The layer of the plain pre-norm decoders (llama, qwen2, qwen3).
struct PreNormLayer {
  Weight attn_norm, ffn_norm;
  nn::AttentionWeights attn;
  nn::FfnWeights ffn;
};
// Binds blk.{il}'s norms, q/k/v/output projections and SwiGLU weights; the architecture binds what
// it adds (biases, per-head q/k norms) after this.
void bind_pre_norm_layer(TensorBinder& b, const CommonHParams& hp, int64_t il, PreNormLayer& l);
// The pre-norm decoder pass: embed; per layer x += Attn(RMSNorm(x)), x += SwiGLU(RMSNorm(x));
// then the output head for the batch's out_rows.
void pre_norm_decoder_forward(nn::Pass& pass, const CommonHParams& hp, std::span<const PreNormLayer> layers,
                              const nn::AttentionConfig& attn, const OutputWeights& out);

// n_vocab from tokenizer.ggml.tokens (or the embedding's row count when absent).
int64_t vocab_size(const GgufFile& file);

}  // namespace corral::models
