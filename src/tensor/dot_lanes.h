// The lane structure of llama.cpp's AVX2 dot products (engine-spec §4.4), in scalar form: a
// 32-element chunk is eight lanes of four consecutive elements, each lane summed in int32, and
// an 8-float accumulator is reduced with hsum8.
#pragma once

#include <cstdint>

namespace corral::ref {

// P[r] = sum of w[4r+k]*a[4r+k], k < 4, for the 32 elements at w and a.
inline void lane_sums(const int8_t* w, const int8_t* a, int32_t P[8]) {
  for (int r = 0; r < 8; ++r) {
    int32_t s = 0;
    for (int k = 0; k < 4; ++k) s += w[4 * r + k] * a[4 * r + k];
    P[r] = s;
  }
}

// ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)): the order of the AVX2 horizontal sum.
inline float hsum8(const float a[8]) {
  return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

}  // namespace corral::ref
