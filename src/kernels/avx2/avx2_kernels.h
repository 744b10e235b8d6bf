// The AVX2 kernel variants, as the registry lists them. Only declarations: this header is safe
// to include from files compiled without AVX2.
#pragma once

#include <span>

#include "kernels/registry.h"

namespace corral::kernels::avx2 {

std::span<const QuantKernel> float_and_32_kernels();  // quant_avx2.cpp
std::span<const QuantKernel> k_quant_kernels();       // quant_k_avx2.cpp
const OpsTable& ops_table();                          // ops_avx2.cpp

}  // namespace corral::kernels::avx2
