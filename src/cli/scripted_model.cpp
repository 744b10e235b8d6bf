// Builds the scripted test model; scripted_model.h explains how its weights compute the script.
#include "cli/scripted_model.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <numbers>
#include <random>
#include <set>

#include "tensor/fp16.h"
#include "tokenizer/tokenizer.h"

namespace corral::cli {
namespace {

using nlohmann::json;

constexpr int kCodeBits = 64;  // D: every token's code is 64 bits read as ±1
constexpr int kHeadDim = 64;
// RoPE pairs 0…15 of every head turn with these periods (in positions); pairs 16…31 do not turn.
constexpr int kPeriods[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53};
constexpr int kPositionalPairs = static_cast<int>(std::size(kPeriods));
constexpr int kStillPair = kPositionalPairs;  // the pair a marker head's query and key use
constexpr int kMinDistance = 12;              // bits between a used token's code and any other
constexpr int kMaxMarkers = 8;
constexpr double kPositionalScore = 100;  // attention logit at the attended position
constexpr double kMarkerScore = 40;       // attention logit of a marker position over any other
constexpr double kGateOpen = 10;          // gate pre-activation of the unit that matches
constexpr double kMarkerWeight = 24;      // what an unmet marker condition takes off the gate
constexpr double kOutScale = 10;          // the out slot holds ±kOutScale · code(next)
constexpr double kTargetLogit = 100;
constexpr double kFallbackLogit = 30;
constexpr float kRopeBase = 10000.f;
constexpr float kStillFactor = 1e12f;  // a frequency factor that stops a pair turning
constexpr int64_t kContextLength = 4096;

Result<std::vector<std::string>> string_list(const json& j, std::string_view what) {
  if (j.is_string()) return std::vector<std::string>{j.get<std::string>()};
  if (!j.is_array()) return Error::format("{} must be a string or a list of strings", what);
  std::vector<std::string> out;
  for (const auto& s : j) {
    if (!s.is_string()) return Error::format("{} must be a string or a list of strings", what);
    out.push_back(s.get<std::string>());
  }
  return out;
}

Result<ScriptRule> parse_rule(const json& j, size_t index) {
  const std::string where = fmt::format("rule {}", index + 1);
  if (!j.is_object()) return Error::format("{}: a rule is a JSON object", where);
  ScriptRule r;
  for (const auto& [key, value] : j.items()) {
    if (key == "after" || key == "say") {
      if (!value.is_string() || value.get<std::string>().empty())
        return Error::format("{}: \"{}\" must be a non-empty string", where, key);
      (key == "after" ? r.after : r.say) = value.get<std::string>();
    } else if (key == "when" || key == "unless") {
      CORRAL_ASSIGN_OR_RETURN((key == "when" ? r.when : r.unless), string_list(value, where + " " + key));
    } else {
      return Error::format("{}: unknown key \"{}\" (after, say, when, unless)", where, key);
    }
  }
  if (r.after.empty() || r.say.empty()) return Error::format("{}: \"after\" and \"say\" are required", where);
  return r;
}

// code bit b of a token as ±1
double bit(uint64_t code, int b) {
  return ((code >> b) & 1u) ? 1.0 : -1.0;
}

double silu(double x) {
  return x / (1.0 + std::exp(-x));
}

// Where each quantity lives in the residual stream (see scripted_model.h).
struct Layout {
  int64_t window = 3, markers = 0;
  int64_t slot(int64_t s) const { return s * kCodeBits; }
  int64_t one() const { return window * kCodeBits; }
  int64_t is_marker(int64_t m) const { return one() + 1 + m; }
  int64_t not_marker(int64_t m) const { return one() + 1 + markers + m; }
  int64_t seen(int64_t m) const { return one() + 1 + 2 * markers + m; }
  int64_t unseen(int64_t m) const { return one() + 1 + 3 * markers + m; }
  int64_t out() const { return one() + 1 + 4 * markers; }
  int64_t n_embd() const { return (out() + kCodeBits + 31) / 32 * 32; }
  int64_t n_head() const { return window - 1 + markers; }
  // Sum of squares of the stream at the three RMSNorms: after the embedding, after attention,
  // and at the output when a unit fired.
  double embedded_sq() const { return kCodeBits + 1 + markers; }
  double attended_sq() const { return window * kCodeBits + 1 + 2 * markers; }
  double answered_sq() const { return attended_sq() + kCodeBits * kOutScale * kOutScale; }
  // What RMSNorm (weights 1) turns an entry of 1 into, for a stream of that sum of squares.
  double unit(double sum_sq) const { return std::sqrt(static_cast<double>(n_embd()) / sum_sq); }
};

struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> v;
  Matrix(int64_t r, int64_t c) : rows(r), cols(c), v(static_cast<size_t>(r * c), 0.f) {}
  float& at(int64_t r, int64_t c) { return v[static_cast<size_t>(r * cols + c)]; }
};

Status add_f32(GgufWriter& w, const std::string& name, const Matrix& m) {
  std::vector<std::byte> bytes(m.v.size() * sizeof(float));
  std::memcpy(bytes.data(), m.v.data(), bytes.size());
  std::vector<int64_t> shape{m.cols};
  if (m.rows > 1) shape.push_back(m.rows);
  return w.add_tensor(name, GgmlType::kF32, shape, std::move(bytes));
}

Status add_f16(GgufWriter& w, const std::string& name, const Matrix& m) {
  std::vector<std::byte> bytes(m.v.size() * sizeof(uint16_t));
  for (size_t i = 0; i < m.v.size(); ++i) {
    const uint16_t h = f2h(m.v[i]);
    std::memcpy(bytes.data() + i * sizeof(uint16_t), &h, sizeof(uint16_t));
  }
  return w.add_tensor(name, GgmlType::kF16, {m.cols, m.rows}, std::move(bytes));
}

// One feed-forward unit: when the last tokens are `context` ([0] the current one, [s] s back) and
// the marker conditions hold, the next token is `next`.
struct Unit {
  std::vector<TokenId> context;
  std::vector<std::pair<int64_t, bool>> conditions;  // marker index, must occur / must not
  TokenId next = 0;
  size_t rule = 0;
};

bool compatible(const Unit& a, const Unit& b) {
  for (const auto& [m, want] : a.conditions)
    for (const auto& [m2, want2] : b.conditions)
      if (m == m2 && want != want2) return false;
  return true;
}

class Builder {
 public:
  Builder(const Tokenizer& tok, const Script& script) : tok_(tok), script_(script) { layout_.window = script.window; }

  Status plan() {
    CORRAL_TRY(collect_markers());
    for (size_t r = 0; r < script_.rules.size(); ++r) CORRAL_TRY(add_rule(r));
    if (script_.fallback) {
      CORRAL_ASSIGN_OR_RETURN(fallback_, single_token(*script_.fallback, "fallback"));
    } else {
      fallback_ = tok_.config().eos;
      if (fallback_ == kNoToken) return Error::format("the vocabulary has no EOS token: give the script a fallback");
    }
    draw_codes();
    return {};
  }

  Status write(GgufWriter& w) const {
    CORRAL_TRY(add_f16(w, "token_embd.weight", embedding()));
    Matrix ones(1, layout_.n_embd());
    std::fill(ones.v.begin(), ones.v.end(), 1.f);
    CORRAL_TRY(add_f32(w, "output_norm.weight", ones));
    CORRAL_TRY(add_f16(w, "output.weight", output()));
    CORRAL_TRY(add_f32(w, "rope_freqs.weight", rope_factors()));
    CORRAL_TRY(add_f32(w, "blk.0.attn_norm.weight", ones));
    Matrix q(layout_.n_head() * kHeadDim, layout_.n_embd()), k = q, v = q;
    Matrix o(layout_.n_embd(), layout_.n_head() * kHeadDim);
    attention(q, k, v, o);
    CORRAL_TRY(add_f32(w, "blk.0.attn_q.weight", q));
    CORRAL_TRY(add_f32(w, "blk.0.attn_k.weight", k));
    CORRAL_TRY(add_f32(w, "blk.0.attn_v.weight", v));
    CORRAL_TRY(add_f32(w, "blk.0.attn_output.weight", o));
    CORRAL_TRY(add_f32(w, "blk.0.ffn_norm.weight", ones));
    const auto n_units = static_cast<int64_t>(units_.size());
    Matrix gate(n_units, layout_.n_embd()), up = gate, down(layout_.n_embd(), n_units);
    feed_forward(gate, up, down);
    CORRAL_TRY(add_f32(w, "blk.0.ffn_gate.weight", gate));
    CORRAL_TRY(add_f32(w, "blk.0.ffn_up.weight", up));
    CORRAL_TRY(add_f32(w, "blk.0.ffn_down.weight", down));
    return {};
  }

  void write_hparams(GgufWriter& w) const {
    auto u32 = [](int64_t x) { return static_cast<uint32_t>(x); };
    w.set("llama.context_length", u32(kContextLength));
    w.set("llama.embedding_length", u32(layout_.n_embd()));
    w.set("llama.block_count", uint32_t{1});
    w.set("llama.feed_forward_length", u32(static_cast<int64_t>(units_.size())));
    w.set("llama.attention.head_count", u32(layout_.n_head()));
    w.set("llama.attention.head_count_kv", u32(layout_.n_head()));
    w.set("llama.attention.key_length", u32(kHeadDim));
    w.set("llama.attention.value_length", u32(kHeadDim));
    w.set("llama.rope.dimension_count", u32(kHeadDim));
    w.set("llama.rope.freq_base", kRopeBase);
    w.set("llama.attention.layer_norm_rms_epsilon", 1e-6f);
    w.set("llama.vocab_size", u32(static_cast<int64_t>(tok_.size())));
  }

  ScriptedModelInfo info() const {
    ScriptedModelInfo i;
    i.n_vocab = static_cast<int64_t>(tok_.size());
    i.n_embd = layout_.n_embd();
    i.n_head = layout_.n_head();
    i.n_units = static_cast<int64_t>(units_.size());
    i.n_markers = layout_.markers;
    i.min_code_distance = min_distance_;
    return i;
  }

 private:
  Result<std::vector<TokenId>> encode(const std::string& text) const {
    EncodeOptions o;
    o.add_special = false;
    o.parse_special = true;
    return tok_.encode(text, o);
  }

  std::string text_of(std::span<const TokenId> ids) const {
    DecodeOptions o;
    o.render_special = true;
    o.strip_prefix_space = false;
    o.clean_spaces = false;
    return tok_.decode(ids, o);
  }

  Result<TokenId> single_token(const std::string& text, std::string_view what) const {
    CORRAL_ASSIGN_OR_RETURN(std::vector<TokenId> ids, encode(text));
    if (ids.size() != 1)
      return Error::format("{} \"{}\" is {} tokens in this vocabulary; it must be one", what, text, ids.size());
    return ids[0];
  }

  Status collect_markers() {
    std::set<std::string> texts;
    for (const auto& r : script_.rules) {
      texts.insert(r.when.begin(), r.when.end());
      texts.insert(r.unless.begin(), r.unless.end());
    }
    if (texts.size() > kMaxMarkers)
      return Error::format("at most {} distinct markers, the script has {}", kMaxMarkers, texts.size());
    for (const auto& t : texts) {
      CORRAL_ASSIGN_OR_RETURN(TokenId id, single_token(t, "marker"));
      marker_index_[t] = static_cast<int64_t>(markers_.size());
      markers_.push_back(id);
    }
    layout_.markers = static_cast<int64_t>(markers_.size());
    return {};
  }

  Status add_rule(size_t r) {
    const ScriptRule& rule = script_.rules[r];
    CORRAL_ASSIGN_OR_RETURN(std::vector<TokenId> seq, encode(rule.after));
    const size_t n_after = seq.size();
    if (n_after < static_cast<size_t>(script_.window))
      return Error::format("rule {}: \"after\" is {} tokens; the window needs at least {}", r + 1, n_after,
                           script_.window);
    CORRAL_ASSIGN_OR_RETURN(std::vector<TokenId> said, encode(rule.say));
    seq.insert(seq.end(), said.begin(), said.end());
    Unit base;
    base.rule = r;
    for (const auto& t : rule.when) base.conditions.emplace_back(marker_index_.at(t), true);
    for (const auto& t : rule.unless) base.conditions.emplace_back(marker_index_.at(t), false);
    for (size_t i = n_after - 1; i + 1 < seq.size(); ++i) {
      Unit u = base;
      for (int s = 0; s < script_.window; ++s) u.context.push_back(seq[i - static_cast<size_t>(s)]);
      u.next = seq[i + 1];
      CORRAL_TRY(add_unit(std::move(u)));
    }
    return {};
  }

  Status add_unit(Unit u) {
    auto& same = by_context_[u.context];
    for (size_t other : same) {
      const Unit& o = units_[other];
      if (!compatible(o, u)) continue;
      if (o.next == u.next) {
        if (o.conditions == u.conditions) return {};  // already there
        continue;
      }
      std::vector<TokenId> ctx(u.context.rbegin(), u.context.rend());
      return Error::format(
          "rules {} and {} continue \"{}\" differently (\"{}\" and \"{}\"): give them different markers or a "
          "larger window",
          o.rule + 1, u.rule + 1, text_of(ctx), text_of(std::span(&o.next, 1)), text_of(std::span(&u.next, 1)));
    }
    same.push_back(units_.size());
    units_.push_back(std::move(u));
    return {};
  }

  // Random codes; the tokens the script uses are redrawn until every other code differs from
  // theirs in at least kMinDistance bits, so a wrong token never opens a unit or wins the output.
  void draw_codes() {
    std::mt19937_64 rng(script_.seed);
    codes_.resize(tok_.size());
    for (auto& c : codes_) c = rng();
    std::set<TokenId> used{fallback_};
    for (const auto& u : units_) {
      used.insert(u.context.begin(), u.context.end());
      used.insert(u.next);
    }
    min_distance_ = kCodeBits;
    for (TokenId t : used) {
      for (int attempt = 0; attempt < 1000 && distance_to_others(t) < kMinDistance; ++attempt) codes_[t] = rng();
    }
    for (TokenId t : used) min_distance_ = std::min(min_distance_, distance_to_others(t));
  }

  int distance_to_others(TokenId t) const {
    int best = kCodeBits;
    for (size_t u = 0; u < codes_.size(); ++u)
      if (static_cast<TokenId>(u) != t) best = std::min(best, std::popcount(codes_[t] ^ codes_[u]));
    return best;
  }

  Matrix embedding() const {
    Matrix e(static_cast<int64_t>(tok_.size()), layout_.n_embd());
    for (int64_t t = 0; t < e.rows; ++t) {
      for (int b = 0; b < kCodeBits; ++b) e.at(t, layout_.slot(0) + b) = static_cast<float>(bit(codes_[t], b));
      e.at(t, layout_.one()) = 1.f;
      for (int64_t m = 0; m < layout_.markers; ++m) {
        const bool is = markers_[m] == static_cast<TokenId>(t);
        e.at(t, is ? layout_.is_marker(m) : layout_.not_marker(m)) = 1.f;
      }
    }
    return e;
  }

  void attention(Matrix& q, Matrix& k, Matrix& v, Matrix& o) const {
    const double u = layout_.unit(layout_.embedded_sq());  // an entry of 1 after attn_norm
    const double scale = 1.0 / std::sqrt(static_cast<double>(kHeadDim));
    // Positional heads: q = (a, 0) and k = (cos jθ, sin jθ) per turning pair, so after RoPE
    // q·k = a Σ cos((Δ − j)θ) over the pairs.
    const double a = kPositionalScore / (kPositionalPairs * scale);
    for (int64_t j = 1; j < layout_.window; ++j) {
      const int64_t h = (j - 1) * kHeadDim;
      for (int i = 0; i < kPositionalPairs; ++i) {
        const double theta = 2 * std::numbers::pi / kPeriods[i];
        q.at(h + 2 * i, layout_.one()) = static_cast<float>(a / u);
        k.at(h + 2 * i, layout_.one()) = static_cast<float>(std::cos(j * theta) / u);
        k.at(h + 2 * i + 1, layout_.one()) = static_cast<float>(std::sin(j * theta) / u);
      }
      for (int b = 0; b < kCodeBits; ++b) {
        v.at(h + b, layout_.slot(0) + b) = static_cast<float>(1 / u);
        o.at(layout_.slot(j) + b, h + b) = 1.f;
      }
    }
    // Marker heads: the still pair scores kMarkerScore at marker positions, 0 elsewhere; the value
    // carries the marker bit and its complement.
    for (int64_t m = 0; m < layout_.markers; ++m) {
      const int64_t h = (layout_.window - 1 + m) * kHeadDim;
      q.at(h + 2 * kStillPair, layout_.one()) = static_cast<float>(kMarkerScore / scale / u);
      k.at(h + 2 * kStillPair, layout_.is_marker(m)) = static_cast<float>(1 / u);
      v.at(h, layout_.is_marker(m)) = static_cast<float>(1 / u);
      v.at(h + 1, layout_.not_marker(m)) = static_cast<float>(1 / u);
      o.at(layout_.seen(m), h) = 1.f;
      o.at(layout_.unseen(m), h + 1) = 1.f;
    }
  }

  void feed_forward(Matrix& gate, Matrix& up, Matrix& down) const {
    const double u = layout_.unit(layout_.attended_sq());
    const double open = silu(kGateOpen);
    for (size_t i = 0; i < units_.size(); ++i) {
      const Unit& unit = units_[i];
      const auto r = static_cast<int64_t>(i);
      for (int64_t s = 0; s < layout_.window; ++s)
        for (int b = 0; b < kCodeBits; ++b)
          gate.at(r, layout_.slot(s) + b) = static_cast<float>(bit(codes_[unit.context[s]], b) / u);
      for (const auto& [m, want] : unit.conditions)
        gate.at(r, want ? layout_.seen(m) : layout_.unseen(m)) = static_cast<float>(kMarkerWeight / u);
      const double full = static_cast<double>(layout_.window * kCodeBits) + kMarkerWeight * unit.conditions.size();
      gate.at(r, layout_.one()) = static_cast<float>(-(full - kGateOpen) / u);
      up.at(r, layout_.one()) = static_cast<float>(1 / u);
      for (int b = 0; b < kCodeBits; ++b)
        down.at(layout_.out() + b, r) = static_cast<float>(kOutScale * bit(codes_[unit.next], b) / open);
    }
  }

  Matrix output() const {
    Matrix out(static_cast<int64_t>(tok_.size()), layout_.n_embd());
    const double answered = layout_.unit(layout_.answered_sq());
    const double w = kTargetLogit / (kOutScale * answered * kCodeBits);
    for (int64_t t = 0; t < out.rows; ++t)
      for (int b = 0; b < kCodeBits; ++b) out.at(t, layout_.out() + b) = static_cast<float>(w * bit(codes_[t], b));
    out.at(fallback_, layout_.one()) = static_cast<float>(kFallbackLogit / layout_.unit(layout_.attended_sq()));
    return out;
  }

  // RoPE turns pair i by pos · base^(−2i/64) / factor_i; the factors make that pos · 2π/period.
  Matrix rope_factors() const {
    Matrix f(1, kHeadDim / 2);
    for (int i = 0; i < kHeadDim / 2; ++i) {
      if (i >= kPositionalPairs) {
        f.at(0, i) = kStillFactor;
        continue;
      }
      const double base_theta = std::pow(static_cast<double>(kRopeBase), -2.0 * i / kHeadDim);
      f.at(0, i) = static_cast<float>(base_theta / (2 * std::numbers::pi / kPeriods[i]));
    }
    return f;
  }

  const Tokenizer& tok_;
  const Script& script_;
  Layout layout_;
  std::vector<TokenId> markers_;
  std::map<std::string, int64_t> marker_index_;
  std::vector<Unit> units_;
  std::map<std::vector<TokenId>, std::vector<size_t>> by_context_;
  TokenId fallback_ = kNoToken;
  std::vector<uint64_t> codes_;
  int min_distance_ = 0;
};

}  // namespace

Result<Script> parse_script(const json& j) {
  if (!j.is_object()) return Error::format("a script is a JSON object");
  Script s;
  for (const auto& [key, value] : j.items()) {
    if (key == "window") {
      if (!value.is_number_integer() || value.get<int64_t>() < 2 || value.get<int64_t>() > 4)
        return Error::format("window must be an integer from 2 to 4");
      s.window = value.get<int>();
    } else if (key == "fallback") {
      if (!value.is_string()) return Error::format("fallback must be a string");
      s.fallback = value.get<std::string>();
    } else if (key == "seed") {
      if (!value.is_number_unsigned()) return Error::format("seed must be a non-negative integer");
      s.seed = value.get<uint64_t>();
    } else if (key == "rules") {
      if (!value.is_array() || value.empty()) return Error::format("rules must be a non-empty list");
      for (size_t i = 0; i < value.size(); ++i) {
        CORRAL_ASSIGN_OR_RETURN(ScriptRule r, parse_rule(value[i], i));
        s.rules.push_back(std::move(r));
      }
    } else {
      return Error::format("unknown key \"{}\" (window, rules, fallback, seed)", key);
    }
  }
  if (s.rules.empty()) return Error::format("the script has no rules");
  return s;
}

Result<ScriptedModelInfo> build_scripted_model(const GgufFile& vocab_file, const Script& script,
                                               const std::optional<std::string>& chat_template, GgufWriter& out) {
  CORRAL_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tok, Tokenizer::from_metadata(vocab_file.metadata()));
  Builder b(*tok, script);
  CORRAL_TRY(b.plan());
  out.set("general.architecture", "llama");
  out.set("general.name", "corral scripted model");
  out.set("general.file_type", uint32_t{1});
  b.write_hparams(out);
  for (const auto& [key, value] : vocab_file.metadata().entries())
    if (key.starts_with("tokenizer.") && !(chat_template && key == "tokenizer.chat_template")) out.set(key, value);
  if (chat_template) out.set("tokenizer.chat_template", *chat_template);
  CORRAL_TRY(b.write(out));
  return b.info();
}

}  // namespace corral::cli
