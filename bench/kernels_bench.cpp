// Kernel speed: GB/s of weights streamed by the 2048 x 8192 matrix-vector product per type and
// registered variant, GFLOP/s of the 512-token matrix-matrix product with the same weights (the
// selected variant), 1 and 2 threads, next to the machine's plain streaming-read bandwidth. Run:
// build/<preset>/bench/kernels_bench
//   (--benchmark_filter=Matvec for the decode-side numbers only).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/matmul.h"

namespace corral::kernels {
namespace {

constexpr int64_t kRows = 2048, kCols = 8192, kTokens = 512;
constexpr size_t kMinWeightBytes = 96u << 20;  // cycle through copies so weights come from DRAM

// Quantizes a small random matrix once and tiles it: the contents do not matter for speed, and
// quantizing 16M elements with the scalar K-quant searches would take seconds per type.
struct Weights {
  size_t bytes_per_copy;
  std::vector<uint8_t> data;  // n_copies back to back
  size_t n_copies;
};

Weights make_weights(GgmlType type) {
  constexpr int64_t kSeedRows = 64;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.f, 0.02f);
  std::vector<float> x(kSeedRows * kCols);
  for (float& v : x) v = dist(rng);
  const size_t row_bytes = *ggml_row_bytes(type, kCols);
  std::vector<uint8_t> seed(row_bytes * kSeedRows);
  type_fns(type)->from_float(x.data(), seed.data(), kSeedRows * kCols);
  Weights w;
  w.bytes_per_copy = row_bytes * kRows;
  w.n_copies = std::max<size_t>(1, (kMinWeightBytes + w.bytes_per_copy - 1) / w.bytes_per_copy);
  w.data.resize(w.bytes_per_copy * w.n_copies);
  for (size_t off = 0; off < w.data.size(); off += seed.size())
    std::memcpy(w.data.data() + off, seed.data(), std::min(seed.size(), w.data.size() - off));
  return w;
}

std::vector<float> activations(int64_t n) {
  std::mt19937 rng(2);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

void BM_Matvec(benchmark::State& state, QuantKernel kernel) {
  const GgmlType type = kernel.type;
  ThreadPool pool(static_cast<size_t>(state.range(0)));
  const Weights w = make_weights(type);
  const auto x = activations(kCols);
  std::vector<float> y(kRows);
  size_t copy = 0;
  for (auto _ : state) {
    const WeightView view{type, w.data.data() + copy * w.bytes_per_copy, kRows, kCols};
    matvec(view, x.data(), y.data(), &pool, &kernel);
    benchmark::DoNotOptimize(y.data());
    copy = (copy + 1) % w.n_copies;
  }
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(w.bytes_per_copy) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Matmul(benchmark::State& state, GgmlType type) {
  ThreadPool pool(static_cast<size_t>(state.range(0)));
  const Weights w = make_weights(type);
  const auto x = activations(kCols * kTokens);
  std::vector<float> y(kRows * kTokens);
  for (auto _ : state) {
    const WeightView view{type, w.data.data(), kRows, kCols};
    matmul(view, x.data(), kTokens, y.data(), &pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * kRows * kCols * kTokens / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// Plain streaming read of 256 MiB split across the pool: the machine's bandwidth ceiling.
void BM_ReadBandwidth(benchmark::State& state) {
  ThreadPool pool(static_cast<size_t>(state.range(0)));
  constexpr size_t kWords = (256u << 20) / sizeof(uint64_t);
  std::vector<uint64_t> buf(kWords, 1);
  std::vector<uint64_t> sums(64 * 8);
  for (auto _ : state) {
    pool.parallel_for(0, 64, 1, [&](size_t b, size_t e) {
      for (size_t part = b; part < e; ++part) {
        const uint64_t* p = buf.data() + part * (kWords / 64);
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (size_t i = 0; i < kWords / 64; i += 4) {
          s0 += p[i];
          s1 += p[i + 1];
          s2 += p[i + 2];
          s3 += p[i + 3];
        }
        sums[part * 8] = s0 + s1 + s2 + s3;  // one cache line per part
      }
    });
    benchmark::DoNotOptimize(sums.data());
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(kWords * sizeof(uint64_t)) / 1e9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void register_all() {
  benchmark::RegisterBenchmark("ReadBandwidth", BM_ReadBandwidth)
      ->Arg(1)
      ->Arg(2)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  // Every registered variant this CPU runs (scalar references on one thread only: they are the
  // baseline, not a contender).
  for (const QuantKernel& k : all_quant_kernels()) {
    if (!k.vec_dot || !isa_supported(k.isa)) continue;
    QuantKernel merged = *reference_kernel(k.type);
    merged.isa = k.isa;
    merged.vec_dot = k.vec_dot;
    if (k.from_float_act) merged.from_float_act = k.from_float_act;
    const std::string name = "Matvec/" + std::string(ggml_type_name(k.type)) + "/" + std::string(isa_name(k.isa));
    auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_Matvec, merged)->Arg(1);
    if (k.isa != Isa::kScalar) b->Arg(2);
    b->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  for (GgmlType t : weight_types()) {
    const std::string name(ggml_type_name(t));
    benchmark::RegisterBenchmark(("Matmul512/" + name).c_str(), BM_Matmul, t)
        ->Arg(1)
        ->Arg(2)
        ->UseRealTime()
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace corral::kernels

int main(int argc, char** argv) {
  corral::kernels::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
