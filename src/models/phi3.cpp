// phi3: fused QKV and gate/up projections, NeoX RoPE with optional long/short frequency factors
// (long when the context exceeds the original training context), q scaled by 1/sqrt(head_dim)
// after RoPE; full causal attention (its sliding_window key is ignored, as llama.cpp does)
// (engine-spec §5.6).
#include <cmath>

#include "models/model.h"
#include "nn/attention.h"
#include "nn/feed_forward.h"

namespace corral::models {
namespace {

class Phi3 final : public Model {
 public:
  Status load(const GgufFile& file, const LoadOptions& options) {
    HParamReader r(file.metadata(), "phi3");
    hp_ = read_common_hparams(r);
    const int64_t n_ctx_orig = r.u32_or("rope.scaling.original_context_length", hp_.n_ctx_train);
    CORRAL_TRY(r.status());
    if (hp_.n_head * hp_.head_dim != hp_.n_embd)
      return Error::format("n_head {} × head size {} differs from n_embd {}", hp_.n_head, hp_.head_dim, hp_.n_embd);
    info_ = make_info("phi3", hp_, vocab_size(file));
    const bool long_ctx = options.n_ctx > n_ctx_orig;
    CORRAL_TRY(bind(file, long_ctx));
    attn_ = standard_attention(hp_, true);
    attn_.q_scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim));
    attn_.kq_scale = 1.0f;
    return {};
  }

  // The pre-norm decoder: attention_block splits the fused QKV, ffn_block the fused gate/up.
  void forward(nn::Pass& pass) const override { pre_norm_decoder_forward(pass, hp_, layers_, attn_, out_); }

 private:
  Status bind(const GgufFile& file, bool long_ctx) {
    TensorBinder b(file, weights_);
    const int64_t d = hp_.n_embd, nkv = hp_.n_head_kv * hp_.head_dim, ff = hp_.n_ff;
    bind_output_weights(b, hp_, info_.n_vocab, out_);
    const char* factors = long_ctx ? "rope_factors_long.weight" : "rope_factors_short.weight";
    layers_.resize(hp_.n_layer);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      PreNormLayer& l = layers_[il];
      b.set_layer(il);
      b.bind_shared(l.attn.rope_freqs, factors, {hp_.n_rot / 2}, Need::kOptional);
      b.bind(l.attn_norm, "attn_norm.weight", {d});
      b.bind(l.attn.wqkv, "attn_qkv.weight", {d, d + 2 * nkv});
      b.bind(l.attn.wo, "attn_output.weight", {d, d});
      b.bind(l.ffn_norm, "ffn_norm.weight", {d});
      b.bind(l.ffn.gate_up, "ffn_up.weight", {d, 2 * ff});
      b.bind(l.ffn.down, "ffn_down.weight", {ff, d});
    }
    return b.finish();
  }

  CommonHParams hp_;
  OutputWeights out_;
  std::vector<PreNormLayer> layers_;
  nn::AttentionConfig attn_;
};

}  // namespace

Result<std::unique_ptr<Model>> load_phi3(const GgufFile& file, const LoadOptions& options) {
  auto model = std::make_unique<Phi3>();
  CORRAL_TRY(model->load(file, options));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace corral::models
