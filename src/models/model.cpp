// Helpers shared by the architectures (see model.h).
#include "models/model.h"

#include <cmath>

namespace corral::models {

CommonHParams read_common_hparams(HParamReader& r) {
  CommonHParams hp;
  hp.n_ctx_train = r.u32("context_length");
  hp.n_embd = r.u32("embedding_length");
  hp.n_layer = r.u32("block_count");
  hp.n_ff = r.per_layer_u32("feed_forward_length", hp.n_layer);
  hp.n_head = r.per_layer_u32("attention.head_count", hp.n_layer);
  hp.n_head_kv = r.per_layer_u32("attention.head_count_kv", hp.n_layer, &hp.n_head);
  if (hp.n_head <= 0) {
    r.fail("attention.head_count must be positive");
    return hp;
  }
  hp.head_dim = r.u32_or("attention.key_length", hp.n_embd / hp.n_head);
  if (r.u32_or("attention.value_length", hp.head_dim) != hp.head_dim)
    r.fail("attention.value_length differs from attention.key_length");
  if (hp.n_head_kv <= 0 || hp.n_head % hp.n_head_kv != 0)
    r.fail(fmt::format("head_count {} is not a multiple of head_count_kv {}", hp.n_head, hp.n_head_kv));
  hp.eps = r.f32("attention.layer_norm_rms_epsilon");
  hp.n_rot = r.u32_or("rope.dimension_count", hp.head_dim);
  hp.rope_base = r.f32_or("rope.freq_base", 10000.f);
  hp.rope_scaling = r.str_or("rope.scaling.type", "linear");
  float factor = r.f32_or("rope.scaling.factor", r.f32_or("rope.scale_linear", 0.f));
  if (hp.rope_scaling == "none") factor = 0.f;
  hp.rope_freq_scale = factor == 0.f ? 1.f : 1.f / factor;
  hp.rope_attn_factor = r.f32_or("rope.scaling.attn_factor", 1.f);
  if (hp.rope_scaling != "none" && hp.rope_scaling != "linear" && hp.rope_scaling != "longrope")
    r.fail(fmt::format("rope scaling type \"{}\" is not supported", hp.rope_scaling));
  return hp;
}

void bind_output_weights(TensorBinder& b, const CommonHParams& hp, int64_t n_vocab, OutputWeights& w) {
  b.set_part(WeightHome::Part::kInput);
  b.bind(w.token_embd, "token_embd.weight", {hp.n_embd, n_vocab}, Need::kRequired, kUseRows);
  b.set_part(WeightHome::Part::kOutput);
  b.bind(w.output_norm, "output_norm.weight", {hp.n_embd});
  // Absent: the head is tied to the embedding (the same file tensor, prepared where the head runs).
  if (!b.bind(w.output, "output.weight", {hp.n_embd, n_vocab}, Need::kOptional))
    b.bind(w.output, "token_embd.weight", {hp.n_embd, n_vocab});
}

ModelInfo make_info(std::string arch, const CommonHParams& hp, int64_t n_vocab) {
  ModelInfo info;
  info.arch = std::move(arch);
  info.n_vocab = n_vocab;
  info.n_embd = hp.n_embd;
  info.n_layer = hp.n_layer;
  info.n_ctx_train = hp.n_ctx_train;
  info.n_head = hp.n_head;
  info.n_head_kv = hp.n_head_kv;
  info.head_dim = hp.head_dim;
  info.n_ff = hp.n_ff;
  info.windows.assign(hp.n_layer, 0);
  return info;
}

const nn::Stage& embed(nn::Pass& pass, const Weight& token_embd) {
  const nn::Stage& s = pass.input();
  s.be.get_rows(token_embd, s.ws.tokens.col_range(0, s.n()), s.rows(s.ws.x));
  return s;
}

Tensor output_head(nn::Pass& pass, const OutputWeights& w, float eps) {
  const std::span<const int64_t> out_rows = pass.batch().out_rows;
  const auto n_out = static_cast<int64_t>(out_rows.size());
  if (n_out == 0) return {};
  const nn::Stage& s = pass.output();
  // ws.out_x holds max_outputs rows (num_parallel); hidden states of a whole chunk go to ws.h,
  // which has max_tokens rows and is free once the last layer ran.
  const bool hidden = s.batch.output == nn::OutputKind::kHidden;
  const Tensor rows = (hidden ? s.ws.h : s.ws.out_x).first_rows(n_out);
  s.be.gather_rows(s.rows(s.ws.x), out_rows, rows);
  s.be.rms_norm(rows, w.output_norm, rows, eps);
  if (hidden) return {};
  const Tensor logits = s.ws.logits.first_rows(n_out);
  s.be.matmul(w.output, rows, logits);
  if (w.output_bias.present()) s.be.add_row(logits, w.output_bias);
  return logits;
}

int64_t vocab_size(const GgufFile& file) {
  if (const GgufValue* v = file.metadata().find("tokenizer.ggml.tokens"))
    if (const GgufArray* a = v->as_array()) return static_cast<int64_t>(a->size());
  const GgufTensor* t = file.find_tensor("token_embd.weight");
  return t ? t->ne[1] : 0;
}

nn::AttentionConfig standard_attention(const CommonHParams& hp, bool neox) {
  nn::AttentionConfig cfg;
  cfg.n_head = hp.n_head;
  cfg.n_head_kv = hp.n_head_kv;
  cfg.head_dim = hp.head_dim;
  cfg.norm_eps = hp.eps;
  cfg.rope = {.n_rot = hp.n_rot,
              .freq_base = hp.rope_base,
              .freq_scale = hp.rope_freq_scale,
              .attn_factor = hp.rope_attn_factor,
              .neox = neox};
  cfg.kq_scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));
  return cfg;
}

void bind_pre_norm_layer(TensorBinder& b, const CommonHParams& hp, int64_t il, PreNormLayer& l) {
  const int64_t d = hp.n_embd, nq = hp.n_head * hp.head_dim, nkv = hp.n_head_kv * hp.head_dim, ff = hp.n_ff;
  b.set_layer(il);
  b.bind(l.attn_norm, "attn_norm.weight", {d});
  b.bind(l.attn.wq, "attn_q.weight", {d, nq});
  b.bind(l.attn.wk, "attn_k.weight", {d, nkv});
  b.bind(l.attn.wv, "attn_v.weight", {d, nkv});
  b.bind(l.attn.wo, "attn_output.weight", {nq, d});
  b.bind(l.ffn_norm, "ffn_norm.weight", {d});
  b.bind(l.ffn.gate, "ffn_gate.weight", {d, ff});
  b.bind(l.ffn.up, "ffn_up.weight", {d, ff});
  b.bind(l.ffn.down, "ffn_down.weight", {ff, d});
}

void pre_norm_decoder_forward(nn::Pass& pass, const CommonHParams& hp, std::span<const PreNormLayer> layers,
                              const nn::AttentionConfig& attn, const OutputWeights& out) {
  embed(pass, out.token_embd);
  for (size_t il = 0; il < layers.size(); ++il) {
    const PreNormLayer& l = layers[il];
    const nn::Stage& s = pass.layer(static_cast<int64_t>(il));
    const Tensor x = s.rows(s.ws.x), h = s.rows(s.ws.h), blk = s.rows(s.ws.block);
    s.be.rms_norm(x, l.attn_norm, h, hp.eps);                                         // h = RMSNorm(x)
    nn::attention_block(s, l.attn, attn, pass.kv(static_cast<int64_t>(il)), h, blk);  // a = Wo.Attn(h)
    s.be.add(blk, x, x);                                                              // x1 = a + x
    s.be.rms_norm(x, l.ffn_norm, h, hp.eps);                                          // h2 = RMSNorm(x1)
    nn::ffn_block(s, l.ffn, GatedActivation::kSilu, hp.n_ff, h, blk);
    s.be.add(blk, x, x);  // x = FFN(h2) + x1
  }
  output_head(pass, out, hp.eps);
}

}  // namespace corral::models
