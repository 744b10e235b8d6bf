// `corral debug synth`: writes a benchmark model with random weights and exactly the shapes of a
// known model (llama-1b = Llama 3.2 1B, as in ../shared/fixtures/bench/reference.json; llama-3b =
// Llama 3.2 3B; tiny = two small layers for tests), quantized with corral's own quantizers and
// written with its GGUF writer. With --vocab FILE.gguf the file's tokenizer.* metadata is copied and
// the embedding (the tied output head) gets one row per token, so llama.cpp loads the very same
// file; without it no tokenizer is stored and only `corral bench` can run it.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "cli/command.h"
#include "gguf/file.h"
#include "gguf/writer.h"
#include "tensor/type_traits.h"

namespace corral::cli {
namespace {

struct SynthOptions {
  std::string preset = "llama-1b";
  std::string type = "q4_k_m";
  std::string out;
  std::string vocab;  // a GGUF whose tokenizer.* metadata is copied
  uint64_t seed = 1;
  size_t threads = 0;
};

struct Preset {
  int64_t n_layer, n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx;
  float rope_base, eps;
  std::vector<float> rope_freqs;  // Llama 3 frequency factors [head_dim / 2]
};

// Llama 3's rope frequency factors (scaling factor 32, low 1, high 4, original context 8192, as
// Llama 3.2 uses), one per rotated pair, as its GGUF converter writes them into rope_freqs.weight:
// 1 for wavelengths under 8192 / 4, 32 above 8192, and a smooth blend between (in double, which
// reproduces the converter's values for Llama 3.2 1B bit for bit).
std::vector<float> llama3_rope_factors(int64_t head_dim, float base) {
  constexpr double kFactor = 32, kLow = 1, kHigh = 4, kOldContext = 8192;
  std::vector<float> factors;
  for (int64_t i = 0; i < head_dim; i += 2) {
    const double wavelen = 2 * M_PI * std::pow(static_cast<double>(base), static_cast<double>(i) / head_dim);
    if (wavelen < kOldContext / kHigh) {
      factors.push_back(1.f);
    } else if (wavelen > kOldContext / kLow) {
      factors.push_back(static_cast<float>(kFactor));
    } else {
      const double smooth = (kOldContext / wavelen - kLow) / (kHigh - kLow);
      factors.push_back(static_cast<float>(1 / ((1 - smooth) / kFactor + smooth)));
    }
  }
  return factors;
}

Result<Preset> find_preset(const std::string& name) {
  Preset p;
  if (name == "llama-1b")  // Llama 3.2 1B
    p = {16, 2048, 32, 8, 64, 8192, 128256, 131072, 500000.f, 1e-5f, {}};
  else if (name == "llama-3b")  // Llama 3.2 3B
    p = {28, 3072, 24, 8, 128, 8192, 128256, 131072, 500000.f, 1e-5f, {}};
  else if (name == "tiny")  // for tests: the llama-1b layout at a tiny size
    p = {2, 256, 4, 2, 64, 512, 4096, 2048, 500000.f, 1e-5f, {}};
  else
    return Error::format("unknown preset \"{}\" (known: llama-1b, llama-3b, tiny)", name);
  p.rope_freqs = llama3_rope_factors(p.head_dim, p.rope_base);
  return p;
}

// Copies every tokenizer.* key of `vocab_path` into `w`; returns the number of tokens.
Result<int64_t> copy_vocabulary(const std::string& vocab_path, GgufWriter& w) {
  CORRAL_ASSIGN_OR_RETURN(GgufFile vocab, GgufFile::open(vocab_path));
  const GgufValue* tokens = vocab.metadata().find("tokenizer.ggml.tokens");
  if (!tokens || !tokens->as_array() || tokens->as_array()->size() == 0)
    return Error::format("{}: no tokenizer.ggml.tokens array", vocab_path);
  for (const auto& [key, value] : vocab.metadata().entries())
    if (key.starts_with("tokenizer.")) w.set(key, value);
  return static_cast<int64_t>(tokens->as_array()->size());
}

// llama.cpp's Q4_K_M mix: Q6_K for the embedding, and for attn_v / ffn_down in the first and
// last eighth of the layers and every third layer between; Q4_K elsewhere.
GgmlType pick_type(const std::string& type, const std::string& name, int64_t layer, int64_t n_layer) {
  if (type == "q8_0") return GgmlType::kQ8_0;
  if (name == "token_embd.weight") return GgmlType::kQ6_K;
  const bool more_bits = layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
  if ((name == "attn_v.weight" || name == "ffn_down.weight") && more_bits) return GgmlType::kQ6_K;
  return GgmlType::kQ4_K;
}

// rows x cols of N(mean, 0.02) in `type`, generated and quantized row by row on the pool (each
// row from its own seeded generator, so the file does not depend on the thread count).
std::vector<std::byte> random_matrix(GgmlType type, int64_t cols, int64_t rows, float mean, uint64_t seed,
                                     ThreadPool& pool) {
  const size_t row_bytes = *ggml_row_bytes(type, cols);
  std::vector<std::byte> out(row_bytes * rows);
  const TypeFns* fns = type_fns(type);
  pool.parallel_for(0, static_cast<size_t>(rows), 16, [&](size_t b, size_t e) {
    std::vector<float> row(cols);
    for (size_t r = b; r < e; ++r) {
      std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + r);
      std::normal_distribution<float> dist(mean, 0.02f);
      for (float& v : row) v = dist(rng);
      if (type == GgmlType::kF32)
        std::memcpy(out.data() + r * row_bytes, row.data(), row_bytes);
      else
        fns->from_float(row.data(), out.data() + r * row_bytes, cols);
    }
  });
  return out;
}

Status synth(const SynthOptions& o) {
  CORRAL_ASSIGN_OR_RETURN(Preset p, find_preset(o.preset));
  if (o.type != "q4_k_m" && o.type != "q8_0") return Error::format("unknown type \"{}\" (q4_k_m or q8_0)", o.type);
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("general.name", fmt::format("corral synth {} {}", o.preset, o.type));
  w.set("general.file_type", uint32_t{o.type == "q8_0" ? 7u : 15u});
  if (!o.vocab.empty()) {
    CORRAL_ASSIGN_OR_RETURN(p.n_vocab, copy_vocabulary(o.vocab, w));
  }
  ThreadPool pool(o.threads);
  w.set("llama.context_length", static_cast<uint32_t>(p.n_ctx));
  w.set("llama.embedding_length", static_cast<uint32_t>(p.n_embd));
  w.set("llama.block_count", static_cast<uint32_t>(p.n_layer));
  w.set("llama.feed_forward_length", static_cast<uint32_t>(p.n_ff));
  w.set("llama.attention.head_count", static_cast<uint32_t>(p.n_head));
  w.set("llama.attention.head_count_kv", static_cast<uint32_t>(p.n_head_kv));
  w.set("llama.attention.key_length", static_cast<uint32_t>(p.head_dim));
  w.set("llama.attention.value_length", static_cast<uint32_t>(p.head_dim));
  w.set("llama.rope.dimension_count", static_cast<uint32_t>(p.head_dim));
  w.set("llama.rope.freq_base", p.rope_base);
  w.set("llama.attention.layer_norm_rms_epsilon", p.eps);
  w.set("llama.vocab_size", static_cast<uint32_t>(p.n_vocab));
  uint64_t seed = o.seed;
  auto add = [&](const std::string& name, GgmlType type, int64_t cols, int64_t rows, float mean) -> Status {
    std::vector<int64_t> shape{cols};
    if (rows > 1) shape.push_back(rows);
    return w.add_tensor(name, type, shape, random_matrix(type, cols, rows, mean, ++seed, pool));
  };
  const int64_t d = p.n_embd, nq = p.n_head * p.head_dim, nkv = p.n_head_kv * p.head_dim;
  CORRAL_TRY(add("token_embd.weight", pick_type(o.type, "token_embd.weight", 0, p.n_layer), d, p.n_vocab, 0.f));
  CORRAL_TRY(add("output_norm.weight", GgmlType::kF32, d, 1, 1.f));
  std::vector<std::byte> freqs(p.rope_freqs.size() * sizeof(float));
  std::memcpy(freqs.data(), p.rope_freqs.data(), freqs.size());
  CORRAL_TRY(
      w.add_tensor("rope_freqs.weight", GgmlType::kF32, {static_cast<int64_t>(p.rope_freqs.size())}, std::move(freqs)));
  for (int64_t il = 0; il < p.n_layer; ++il) {
    const std::string pre = fmt::format("blk.{}.", il);
    auto mat = [&](const std::string& name, int64_t cols, int64_t rows) {
      return add(pre + name, pick_type(o.type, name, il, p.n_layer), cols, rows, 0.f);
    };
    CORRAL_TRY(add(pre + "attn_norm.weight", GgmlType::kF32, d, 1, 1.f));
    CORRAL_TRY(mat("attn_q.weight", d, nq));
    CORRAL_TRY(mat("attn_k.weight", d, nkv));
    CORRAL_TRY(mat("attn_v.weight", d, nkv));
    CORRAL_TRY(mat("attn_output.weight", nq, d));
    CORRAL_TRY(add(pre + "ffn_norm.weight", GgmlType::kF32, d, 1, 1.f));
    CORRAL_TRY(mat("ffn_gate.weight", d, p.n_ff));
    CORRAL_TRY(mat("ffn_up.weight", d, p.n_ff));
    CORRAL_TRY(mat("ffn_down.weight", p.n_ff, d));
  }
  return w.write_file(o.out);
}

}  // namespace

void register_debug_synth(CLI::App& debug, Action& action) {
  auto opts = std::make_shared<SynthOptions>();
  auto* cmd = debug.add_subcommand("synth", "Write a benchmark model: random weights with a known model's shapes");
  cmd->add_option("--preset", opts->preset, "Shapes to copy (llama-1b: Llama 3.2 1B, llama-3b: Llama 3.2 3B, tiny)");
  cmd->add_option("--type", opts->type, "q4_k_m (llama.cpp's Q4_K/Q6_K mix) or q8_0");
  cmd->add_option("-o,--output", opts->out, "The GGUF file to write")->required();
  cmd->add_option("--vocab", opts->vocab,
                  "A GGUF whose tokenizer.* metadata to copy (sizes the embedding; llama.cpp loads the result)");
  cmd->add_option("--seed", opts->seed, "Random seed (default 1)");
  cmd->add_option("--threads", opts->threads, "Threads for generating and quantizing (default: physical cores)");
  cmd->footer(
      "Example: corral debug synth --preset llama-1b --type q4_k_m --vocab ggml-vocab-llama3.gguf -o "
      "bench-1b-q4_k_m.gguf");
  cmd->callback([opts, &action] {
    action = [opts] {
      if (auto st = synth(*opts); !st.ok()) {
        fmt::print(stderr, "Error: {}\n", st.error().to_string());
        return kExitError;
      }
      return kExitOk;
    };
  });
}

}  // namespace corral::cli
