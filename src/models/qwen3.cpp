// qwen3: llama's decoder with NeoX RoPE pairs (i, i + n_rot/2) and a per-head RMSNorm of q and k
// before RoPE; no biases; head_dim may differ from n_embd / n_head (engine-spec §5.5).
#include <cmath>

#include "models/model.h"
#include "nn/attention.h"
#include "nn/feed_forward.h"

namespace corral::models {
namespace {

class Qwen3 final : public Model {
 public:
  Status load(const GgufFile& file) {
    HParamReader r(file.metadata(), "qwen3");
    hp_ = read_common_hparams(r);
    CORRAL_TRY(r.status());
    if (hp_.n_rot != hp_.head_dim)
      return Error::format("unsupported head shape: rope {} / head size {} / {} heads / n_embd {}", hp_.n_rot,
                           hp_.head_dim, hp_.n_head, hp_.n_embd);
    info_ = make_info("qwen3", hp_, vocab_size(file));
    CORRAL_TRY(bind(file));
    attn_ = standard_attention(hp_, true);
    return {};
  }

  void forward(nn::Pass& pass) const override { pre_norm_decoder_forward(pass, hp_, layers_, attn_, out_); }

 private:
  Status bind(const GgufFile& file) {
    TensorBinder b(file, weights_);
    bind_output_weights(b, hp_, info_.n_vocab, out_);
    layers_.resize(hp_.n_layer);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      PreNormLayer& l = layers_[il];
      bind_pre_norm_layer(b, hp_, il, l);
      b.bind(l.attn.q_norm, "attn_q_norm.weight", {hp_.head_dim});
      b.bind(l.attn.k_norm, "attn_k_norm.weight", {hp_.head_dim});
    }
    return b.finish();
  }

  CommonHParams hp_;
  OutputWeights out_;
  std::vector<PreNormLayer> layers_;
  nn::AttentionConfig attn_;
};

}  // namespace

Result<std::unique_ptr<Model>> load_qwen3(const GgufFile& file, const LoadOptions&) {
  auto model = std::make_unique<Qwen3>();
  CORRAL_TRY(model->load(file));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace corral::models
