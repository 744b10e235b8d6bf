// qwen2: llama's decoder with NeoX RoPE pairs (i, i + n_rot/2), q/k/v projection biases and an
// optional output bias; no rope factors (engine-spec §5.4).
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

  void forward(Backend& be, nn::KvCache& cache, const nn::BatchView& batch, std::span<const int64_t> out_rows,
               nn::Workspace& ws) const override {
    const int64_t n = batch.n_tokens, d = hp_.n_embd;
    float *x = ws.x.data(), *h = ws.h.data(), *blk = ws.block.data();
    embed(be, out_.token_embd, batch, x);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      const Layer& l = layers_[il];
      be.rms_norm(x, d, l.attn_norm.f32(), h, d, n, d, hp_.eps);             // h = RMSNorm(x)
      nn::attention_block(be, l.attn, attn_, cache, il, batch, h, blk, ws);  // a = Wo.Attn(h; biases)
      be.add(blk, x, x, n * d);                                              // x1 = a + x
      be.rms_norm(x, d, l.ffn_norm.f32(), h, d, n, d, hp_.eps);
      nn::ffn_block(be, l.ffn, GatedActivation::kSilu, hp_.n_ff, n, h, blk, ws);
      be.add(blk, x, x, n * d);  // x = FFN(RMSNorm(x1)) + x1
    }
    output_head(be, out_, hp_.eps, x, d, out_rows, ws);  // (+ output bias)
  }

 private:
  Status bind(const GgufFile& file) {
    TensorBinder b(file);
    const int64_t d = hp_.n_embd, nkv = hp_.n_head_kv * hp_.head_dim, ff = hp_.n_ff;
    bind_output_weights(b, hp_, info_.n_vocab, out_);
    b.bind(out_.output_bias, "output.bias", {info_.n_vocab}, Need::kOptional);
    layers_.resize(hp_.n_layer);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      Layer& l = layers_[il];
      b.set_layer(il);
      b.bind(l.attn_norm, "attn_norm.weight", {d});
      b.bind(l.attn.wq, "attn_q.weight", {d, d});
      b.bind(l.attn.wk, "attn_k.weight", {d, nkv});
      b.bind(l.attn.wv, "attn_v.weight", {d, nkv});
      b.bind(l.attn.bq, "attn_q.bias", {d}, Need::kOptional);
      b.bind(l.attn.bk, "attn_k.bias", {nkv}, Need::kOptional);
      b.bind(l.attn.bv, "attn_v.bias", {nkv}, Need::kOptional);
      b.bind(l.attn.wo, "attn_output.weight", {d, d});
      b.bind(l.ffn_norm, "ffn_norm.weight", {d});
      b.bind(l.ffn.gate, "ffn_gate.weight", {d, ff});
      b.bind(l.ffn.up, "ffn_up.weight", {d, ff});
      b.bind(l.ffn.down, "ffn_down.weight", {ff, d});
    }
    return b.finish();
  }

  CommonHParams hp_;
  OutputWeights out_;
  std::vector<Layer> layers_;
  nn::AttentionConfig attn_;
};

}  // namespace

Result<std::unique_ptr<Model>> load_qwen2(const GgufFile& file, const LoadOptions&) {
  auto model = std::make_unique<Qwen2>();
  CORRAL_TRY(model->load(file));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace corral::models
