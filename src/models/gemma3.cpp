// gemma3 (text): embeddings scaled by sqrt(n_embd); RMSNorm before and after both attention and
// feed-forward; per-head q/k RMSNorm; NeoX RoPE; five sliding-window ("local") layers with RoPE
// base 10000 for every global one; q pre-scaled; GELU-gated feed-forward; tied output; optional
// final logit soft-capping (engine-spec §5.7). GGUF norm weights already hold 1 + w.
#include <cmath>

#include "models/model.h"
#include "nn/attention.h"
#include "nn/feed_forward.h"

namespace corral::models {
namespace {

struct Layer {
  Weight attn_norm, post_attn_norm, ffn_norm, post_ffn_norm;
  nn::AttentionWeights attn;
  nn::FfnWeights ffn;
  bool local = false;
};

constexpr float kLocalRopeBase = 10000.f;

class Gemma3 final : public Model {
 public:
  Status load(const GgufFile& file) {
    HParamReader r(file.metadata(), "gemma3");
    hp_ = read_common_hparams(r);
    const int64_t window = r.u32_or("attention.sliding_window", 0);
    softcap_ = r.f32_or("final_logit_softcapping", 0.f);
    CORRAL_TRY(r.status());
    if (hp_.n_rot != hp_.head_dim)
      return Error::format("rope.dimension_count {} differs from the head size {}", hp_.n_rot, hp_.head_dim);
    info_ = make_info("gemma3", hp_, vocab_size(file));
    CORRAL_TRY(bind(file));
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      layers_[il].local = window > 0 && il % 6 < 5;
      info_.windows[il] = layers_[il].local ? static_cast<int32_t>(window) : 0;
    }
    global_ = standard_attention(hp_, true);
    // The 62-layer (27B) model scales by n_embd / n_head instead of the head size.
    const int64_t q_div = hp_.n_layer == 62 ? hp_.n_embd / hp_.n_head : hp_.head_dim;
    global_.q_scale = 1.0f / std::sqrt(static_cast<float>(q_div));
    global_.kq_scale = 1.0f;
    local_ = global_;
    local_.rope.freq_base = kLocalRopeBase;
    local_.rope.freq_scale = 1.0f;
    local_.window = static_cast<int32_t>(window);
    embd_scale_ = std::sqrt(static_cast<float>(hp_.n_embd));
    return {};
  }

  void forward(nn::Pass& pass) const override {
    const nn::Stage& in = embed(pass, out_.token_embd);
    in.be.scale(in.rows(in.ws.x), embd_scale_);  // x = embed(token) * sqrt(n_embd)
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      const Layer& l = layers_[il];
      const nn::Stage& s = pass.layer(il);
      const Tensor x = s.rows(s.ws.x), h = s.rows(s.ws.h), blk = s.rows(s.ws.block);
      s.be.rms_norm(x, l.attn_norm, h, hp_.eps);
      nn::attention_block(s, l.attn, l.local ? local_ : global_, pass.kv(il), h, blk);
      s.be.rms_norm(blk, l.post_attn_norm, blk, hp_.eps);  // a = RMSNorm(Wo.Attn(h))
      s.be.add(blk, x, x);                                 // x1 = a + x
      s.be.rms_norm(x, l.ffn_norm, h, hp_.eps);
      nn::ffn_block(s, l.ffn, GatedActivation::kGeluTanh, hp_.n_ff, h, blk);
      s.be.rms_norm(blk, l.post_ffn_norm, blk, hp_.eps);
      s.be.add(blk, x, x);  // x = RMSNorm(FFN(h2)) + x1
    }
    const Tensor logits = output_head(pass, out_, hp_.eps);
    if (logits.present() && softcap_ > 0.f) pass.output().be.softcap(logits, softcap_);
  }

 private:
  Status bind(const GgufFile& file) {
    TensorBinder b(file, weights_);
    const int64_t d = hp_.n_embd, hd = hp_.head_dim, nq = hp_.n_head * hd, nkv = hp_.n_head_kv * hd, ff = hp_.n_ff;
    bind_output_weights(b, hp_, info_.n_vocab, out_);
    layers_.resize(hp_.n_layer);
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
      Layer& l = layers_[il];
      b.set_layer(il);
      b.bind(l.attn_norm, "attn_norm.weight", {d});
      b.bind(l.attn.wq, "attn_q.weight", {d, nq});
      b.bind(l.attn.wk, "attn_k.weight", {d, nkv});
      b.bind(l.attn.wv, "attn_v.weight", {d, nkv});
      b.bind(l.attn.q_norm, "attn_q_norm.weight", {hd});
      b.bind(l.attn.k_norm, "attn_k_norm.weight", {hd});
      b.bind(l.attn.wo, "attn_output.weight", {nq, d});
      b.bind(l.post_attn_norm, "post_attention_norm.weight", {d});
      b.bind(l.ffn_norm, "ffn_norm.weight", {d});
      b.bind(l.ffn.gate, "ffn_gate.weight", {d, ff});
      b.bind(l.ffn.up, "ffn_up.weight", {d, ff});
      b.bind(l.ffn.down, "ffn_down.weight", {ff, d});
      b.bind(l.post_ffn_norm, "post_ffw_norm.weight", {d});
    }
    return b.finish();
  }

  CommonHParams hp_;
  OutputWeights out_;
  std::vector<Layer> layers_;
  nn::AttentionConfig global_, local_;
  float embd_scale_ = 1.f;
  float softcap_ = 0.f;
};

}  // namespace

Result<std::unique_ptr<Model>> load_gemma3(const GgufFile& file, const LoadOptions&) {
  auto model = std::make_unique<Gemma3>();
  CORRAL_TRY(model->load(file));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace corral::models
