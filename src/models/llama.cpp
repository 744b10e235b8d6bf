// llama (also Mistral- and TinyLlama-shaped files): pre-norm decoder with RMSNorm, RoPE on
// (2i, 2i+1) pairs with optional Llama 3 frequency factors, grouped-query attention, SwiGLU
// feed-forward, optional biases (engine-spec §5.3).
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
    attn_ = standard_attention(hp_, false, rope_freqs_.present() ? rope_freqs_.f32() : nullptr);
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
      nn::attention_block(be, l.attn, attn_, cache, il, batch, h, blk, ws);  // a = Wo.Attn(h)
      be.add(blk, x, x, n * d);                                              // x1 = a + x
      be.rms_norm(x, d, l.ffn_norm.f32(), h, d, n, d, hp_.eps);              // h2 = RMSNorm(x1)
      nn::ffn_block(be, l.ffn, GatedActivation::kSilu, hp_.n_ff, n, h, blk, ws);
      be.add(blk, x, x, n * d);  // x = FFN(h2) + x1
    }
    output_head(be, out_, hp_.eps, x, d, out_rows, ws);
  }

 private:
  void bind(const GgufFile& file) {
    TensorBinder b(file);
    const int64_t d = hp_.n_embd, nq = hp_.n_head * hp_.head_dim, nkv = hp_.n_head_kv * hp_.head_dim, ff = hp_.n_ff;
    bind_output_weights(b, hp_, info_.n_vocab, out_);
    b.bind(rope_freqs_, hp_.rope_scaling == "longrope" ? "rope_factors_long.weight" : "rope_freqs.weight",
           {hp_.n_rot / 2}, Need::kOptional);
    layers_.resize(hp_.n_layer);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      Layer& l = layers_[il];
      b.set_layer(il);
      b.bind(l.attn_norm, "attn_norm.weight", {d});
      b.bind(l.attn.wq, "attn_q.weight", {d, nq});
      b.bind(l.attn.wk, "attn_k.weight", {d, nkv});
      b.bind(l.attn.wv, "attn_v.weight", {d, nkv});
      b.bind(l.attn.bq, "attn_q.bias", {nq}, Need::kOptional);
      b.bind(l.attn.bk, "attn_k.bias", {nkv}, Need::kOptional);
      b.bind(l.attn.bv, "attn_v.bias", {nkv}, Need::kOptional);
      b.bind(l.attn.wo, "attn_output.weight", {nq, d});
      b.bind(l.attn.bo, "attn_output.bias", {d}, Need::kOptional);
      b.bind(l.ffn_norm, "ffn_norm.weight", {d});
      b.bind(l.ffn.gate, "ffn_gate.weight", {d, ff});
      b.bind(l.ffn.up, "ffn_up.weight", {d, ff});
      b.bind(l.ffn.down, "ffn_down.weight", {ff, d});
      b.bind(l.ffn.b_gate, "ffn_gate.bias", {ff}, Need::kOptional);
      b.bind(l.ffn.b_up, "ffn_up.bias", {ff}, Need::kOptional);
      b.bind(l.ffn.b_down, "ffn_down.bias", {d}, Need::kOptional);
    }
    binder_status_ = b.finish();
  }

  CommonHParams hp_;
  OutputWeights out_;
  Weight rope_freqs_;
  std::vector<Layer> layers_;
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
