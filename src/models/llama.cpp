// llama (also Mistral- and TinyLlama-shaped files): pre-norm decoder with RMSNorm, RoPE on
// (2i, 2i+1) pairs with optional Llama 3 frequency factors, grouped-query attention, SwiGLU
// feed-forward, optional biases (engine-spec §5.3).
#include <cmath>

#include "models/model.h"
#include "nn/attention.h"
#include "nn/feed_forward.h"

namespace corral::models {
namespace {

class Llama final : public Model {
 public:
  Status load(const GgufFile& file) {
    HParamReader r(file.metadata(), "llama");
    hp_ = read_common_hparams(r);
    CORRAL_TRY(r.status());
    if (hp_.n_rot != hp_.head_dim)
      return Error::format("rope.dimension_count {} differs from the head size {}", hp_.n_rot, hp_.head_dim);
    info_ = make_info("llama", hp_, vocab_size(file));
    bind(file);
    CORRAL_TRY(binder_status_);
    attn_ = standard_attention(hp_, false);
    return {};
  }

  void forward(nn::Pass& pass) const override { pre_norm_decoder_forward(pass, hp_, layers_, attn_, out_); }

 private:
  void bind(const GgufFile& file) {
    TensorBinder b(file, weights_);
    const int64_t d = hp_.n_embd, nq = hp_.n_head * hp_.head_dim, nkv = hp_.n_head_kv * hp_.head_dim, ff = hp_.n_ff;
    bind_output_weights(b, hp_, info_.n_vocab, out_);
    const char* factors = hp_.rope_scaling == "longrope" ? "rope_factors_long.weight" : "rope_freqs.weight";
    layers_.resize(hp_.n_layer);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      PreNormLayer& l = layers_[il];
      bind_pre_norm_layer(b, hp_, il, l);
      b.bind_shared(l.attn.rope_freqs, factors, {hp_.n_rot / 2}, Need::kOptional);
      b.bind(l.attn.bq, "attn_q.bias", {nq}, Need::kOptional);
      b.bind(l.attn.bk, "attn_k.bias", {nkv}, Need::kOptional);
      b.bind(l.attn.bv, "attn_v.bias", {nkv}, Need::kOptional);
      b.bind(l.attn.bo, "attn_output.bias", {d}, Need::kOptional);
      b.bind(l.ffn.b_gate, "ffn_gate.bias", {ff}, Need::kOptional);
      b.bind(l.ffn.b_up, "ffn_up.bias", {ff}, Need::kOptional);
      b.bind(l.ffn.b_down, "ffn_down.bias", {d}, Need::kOptional);
    }
    binder_status_ = b.finish();
  }

  CommonHParams hp_;
  OutputWeights out_;
  std::vector<PreNormLayer> layers_;
  nn::AttentionConfig attn_;
  Status binder_status_;
};

}  // namespace

Result<std::unique_ptr<Model>> load_llama(const GgufFile& file, const LoadOptions&) {
  auto model = std::make_unique<Llama>();
  CORRAL_TRY(model->load(file));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace corral::models
