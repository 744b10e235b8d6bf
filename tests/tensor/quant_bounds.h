// Expected quantization error per type, shared by the unit and fixture tests: the RMS of
// (dequantize(quantize(x)) - x) divided by the RMS of x, for Gaussian data (the fixtures' weights
// are N(0, 0.02)). Each bound is about 1.2x the error the reference quantizer reaches on such data
// (measured), so a broken bit layout or scale search fails while the reference passes.
#pragma once

#include "tensor/ggml_type.h"

namespace corral::testing {

inline double rms_error_bound(GgmlType type) {
  switch (type) {
    case GgmlType::kF32: return 0;
    case GgmlType::kF16: return 2.5e-4;   // 11-bit significand: |rel. error| <= 2^-11 per element
    case GgmlType::kBF16: return 2.0e-3;  // 8-bit significand: |rel. error| <= 2^-8 per element
    case GgmlType::kQ8_0: return 0.0065;
    case GgmlType::kQ8_K: return 0.0065;
    case GgmlType::kQ5_0: return 0.051;
    case GgmlType::kQ5_1: return 0.045;
    case GgmlType::kQ5_K: return 0.043;
    case GgmlType::kQ6_K: return 0.021;
    case GgmlType::kQ4_0: return 0.104;
    case GgmlType::kQ4_1: return 0.094;
    case GgmlType::kQ4_K: return 0.086;
    case GgmlType::kIQ4_NL: return 0.092;
    case GgmlType::kIQ4_XS: return 0.092;
    case GgmlType::kQ3_K: return 0.18;
    case GgmlType::kQ2_K: return 0.36;
    default: return 0;
  }
}

}  // namespace corral::testing
