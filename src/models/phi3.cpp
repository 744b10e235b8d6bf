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

struct Layer {
  Weight attn_norm, ffn_norm;
  nn::AttentionWeights attn;
  nn::FfnWeights ffn;
};

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
    attn_ = standard_attention(hp_, true, rope_factors_.present() ? rope_factors_.f32() : nullptr);
    attn_.q_scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim));
    attn_.kq_scale = 1.0f;
    return {};
  }

  void forward(Backend& be, nn::KvCache& cache, const nn::BatchView& batch, std::span<const int64_t> out_rows,
               nn::Workspace& ws) const override {
    const int64_t n = batch.n_tokens, d = hp_.n_embd;
    float *x = ws.x.data(), *h = ws.h.data(), *blk = ws.block.data();
    embed(be, out_.token_embd, batch, x);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      const Layer& l = layers_[il];
      be.rms_norm(x, d, l.attn_norm.f32(), h, d, n, d, hp_.eps);             // h = RMSNorm(x)
      nn::attention_block(be, l.attn, attn_, cache, il, batch, h, blk, ws);  // a = Wo.Attn(split(Wqkv.h))
      be.add(blk, x, x, n * d);                                              // x1 = a + x
      be.rms_norm(x, d, l.ffn_norm.f32(), h, d, n, d, hp_.eps);
      nn::ffn_block(be, l.ffn, GatedActivation::kSilu, hp_.n_ff, n, h, blk, ws);  // up = [gate | up]
      be.add(blk, x, x, n * d);
    }
    output_head(be, out_, hp_.eps, x, d, batch.output, out_rows, ws);
  }

 private:
  Status bind(const GgufFile& file, bool long_ctx) {
    TensorBinder b(file);
    const int64_t d = hp_.n_embd, nkv = hp_.n_head_kv * hp_.head_dim, ff = hp_.n_ff;
    bind_output_weights(b, hp_, info_.n_vocab, out_);
    b.bind(rope_factors_, long_ctx ? "rope_factors_long.weight" : "rope_factors_short.weight", {hp_.n_rot / 2},
           Need::kOptional);
    layers_.resize(hp_.n_layer);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      Layer& l = layers_[il];
      b.set_layer(il);
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
  Weight rope_factors_;
  std::vector<Layer> layers_;
  nn::AttentionConfig attn_;
};

}  // namespace

Result<std::unique_ptr<Model>> load_phi3(const GgufFile& file, const LoadOptions& options) {
  auto model = std::make_unique<Phi3>();
  CORRAL_TRY(model->load(file, options));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace corral::models
