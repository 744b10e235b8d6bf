// Helpers shared by the architectures (see model.h).
#include "models/model.h"

#include <cmath>
#include <cstring>

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
  b.clear_layer();
  b.bind(w.token_embd, "token_embd.weight", {hp.n_embd, n_vocab});
  b.bind(w.output_norm, "output_norm.weight", {hp.n_embd});
  b.bind(w.output, "output.weight", {hp.n_embd, n_vocab}, Need::kOptional);
  if (!w.output.present()) w.output = w.token_embd;  // tied
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

void embed(Backend& be, const Weight& token_embd, const nn::BatchView& batch, float* x) {
  be.get_rows(token_embd, batch.tokens, batch.n_tokens, x);
}

bool output_head(Backend& be, const OutputWeights& w, float eps, const float* x, int64_t n_embd, nn::OutputKind kind,
                 std::span<const int64_t> out_rows, nn::Workspace& ws) {
  const auto n_out = static_cast<int64_t>(out_rows.size());
  if (n_out == 0) return false;
  // ws.out_x holds max_outputs rows (num_parallel); hidden states of a whole chunk go to ws.h,
  // which has max_tokens rows and is free once the last layer ran.
  float* rows = kind == nn::OutputKind::kHidden ? ws.h.data() : ws.out_x.data();
  for (int64_t i = 0; i < n_out; ++i) std::memcpy(rows + i * n_embd, x + out_rows[i] * n_embd, n_embd * sizeof(float));
  be.rms_norm(rows, n_embd, w.output_norm.f32(), rows, n_embd, n_out, n_embd, eps);
  if (kind == nn::OutputKind::kHidden) return false;
  be.matmul(w.output, rows, n_out, ws.logits.data());
  if (w.output_bias.present()) be.add_row(ws.logits.data(), w.output_bias.f32(), n_out, w.output.rows);
  return true;
}

int64_t vocab_size(const GgufFile& file) {
  if (const GgufValue* v = file.metadata().find("tokenizer.ggml.tokens"))
    if (const GgufArray* a = v->as_array()) return static_cast<int64_t>(a->size());
  const GgufTensor* t = file.find_tensor("token_embd.weight");
  return t ? t->ne[1] : 0;
}

nn::AttentionConfig standard_attention(const CommonHParams& hp, bool neox, const float* freq_factors) {
  nn::AttentionConfig cfg;
  cfg.n_head = hp.n_head;
  cfg.n_head_kv = hp.n_head_kv;
  cfg.head_dim = hp.head_dim;
  cfg.norm_eps = hp.eps;
  cfg.rope = {.n_rot = hp.n_rot,
              .freq_base = hp.rope_base,
              .freq_scale = hp.rope_freq_scale,
              .attn_factor = hp.rope_attn_factor,
              .freq_factors = freq_factors,
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

void pre_norm_decoder_forward(Backend& be, const CommonHParams& hp, std::span<const PreNormLayer> layers,
                              const nn::AttentionConfig& attn, const OutputWeights& out, nn::KvCache& cache,
                              const nn::BatchView& batch, std::span<const int64_t> out_rows, nn::Workspace& ws) {
  const int64_t n = batch.n_tokens, d = hp.n_embd;
  float *x = ws.x.data(), *h = ws.h.data(), *blk = ws.block.data();
  embed(be, out.token_embd, batch, x);
  for (size_t il = 0; il < layers.size(); ++il) {
    const PreNormLayer& l = layers[il];
    be.rms_norm(x, d, l.attn_norm.f32(), h, d, n, d, hp.eps);                                   // h = RMSNorm(x)
    nn::attention_block(be, l.attn, attn, cache, static_cast<int64_t>(il), batch, h, blk, ws);  // a = Wo.Attn(h)
    be.add(blk, x, x, n * d);                                                                   // x1 = a + x
    be.rms_norm(x, d, l.ffn_norm.f32(), h, d, n, d, hp.eps);                                    // h2 = RMSNorm(x1)
    nn::ffn_block(be, l.ffn, GatedActivation::kSilu, hp.n_ff, n, h, blk, ws);
    be.add(blk, x, x, n * d);  // x = FFN(h2) + x1
  }
  output_head(be, out, hp.eps, x, d, batch.output, out_rows, ws);
}

}  // namespace corral::models
