// qwen2: llama's decoder with NeoX RoPE pairs (i, i + n_rot/2), q/k/v projection biases and an
// optional output bias; no rope factors (engine-spec §5.4).
#include <cmath>

#include "models/model.h"
#include "nn/attention.h"
#include "nn/feed_forward.h"

namespace corral::models {
namespace {

class Qwen2 final : public Model {
 public:
  Status load(const GgufFile& file) {
    HParamReader r(file.metadata(), "qwen2");
    hp_ = read_common_hparams(r);
    CORRAL_TRY(r.status());
    if (hp_.n_rot != hp_.head_dim || hp_.n_head * hp_.head_dim != hp_.n_embd)
      return Error::format("unsupported head shape: rope {} / head size {} / {} heads / n_embd {}", hp_.n_rot,
                           hp_.head_dim, hp_.n_head, hp_.n_embd);
    info_ = make_info("qwen2", hp_, vocab_size(file));
    CORRAL_TRY(bind(file));
    attn_ = standard_attention(hp_, true);
    return {};
  }

  void forward(nn::Pass& pass) const override { pre_norm_decoder_forward(pass, hp_, layers_, attn_, out_); }

 private:
  Status bind(const GgufFile& file) {
    TensorBinder b(file, weights_);
    const int64_t d = hp_.n_embd, nkv = hp_.n_head_kv * hp_.head_dim;
    bind_output_weights(b, hp_, info_.n_vocab, out_);
    b.bind(out_.output_bias, "output.bias", {info_.n_vocab}, Need::kOptional);
    layers_.resize(hp_.n_layer);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      PreNormLayer& l = layers_[il];
      bind_pre_norm_layer(b, hp_, il, l);  // n_head * head_dim == n_embd, checked in load()
      b.bind(l.attn.bq, "attn_q.bias", {d}, Need::kOptional);
      b.bind(l.attn.bk, "attn_k.bias", {nkv}, Need::kOptional);
      b.bind(l.attn.bv, "attn_v.bias", {nkv}, Need::kOptional);
    }
    return b.finish();
  }

  CommonHParams hp_;
  OutputWeights out_;
  std::vector<PreNormLayer> layers_;
  nn::AttentionConfig attn_;
};

}  // namespace

Result<std::unique_ptr<Model>> load_qwen2(const GgufFile& file, const LoadOptions&) {
  auto model = std::make_unique<Qwen2>();
  CORRAL_TRY(model->load(file));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace corral::models
