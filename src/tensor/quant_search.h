// Scale searches shared by the reference quantizers (engine-spec §3.3): the K-quant
// least-squares searches and the IQ4 grid search. Strict f32 arithmetic: this layer is compiled
// with -ffp-contract=off because llama.cpp's quantizers are, and byte-identity depends on it.
#pragma once

#include <cstdint>
#include <cstring>

namespace corral::quant {

// Round to nearest, ties to even, for |v| < 2^22: adding 1.5·2^23 leaves the integer in the low
// mantissa bits.
inline int nearest_int(float v) {
  const float t = v + 12582912.f;
  int32_t i;
  std::memcpy(&i, &t, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// The element with the largest |x| (first one wins ties), with its sign.
float signed_absmax(const float* x, int n);

// Asymmetric search (scale, min) for Q2_K/Q4_K/Q5_K; returns scale, writes L[] and -min.
float make_qkx2_quants(int n, int nmax, const float* x, const float* w, uint8_t* L, float* the_min, float rmin,
                       float rdelta, int nstep, bool use_mad);

// Symmetric search for Q3_K (rmse variant); L[] gets values + nmax.
float make_q3_quants(int n, int nmax, const float* x, int8_t* L);

// Symmetric search for Q6_K (rmse_type 1, weights x²); L[] gets values + nmax.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L);

// IQ4: index of the grid value nearest to v.
int iq4_best_index(float v);

// IQ4 per-32 scale search (ntry = 7, weights x²); returns the block scale d (f32).
float iq4_block_scale(const float* x);

}  // namespace corral::quant
