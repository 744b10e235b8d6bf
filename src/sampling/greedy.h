// Greedy choice: the largest logit, the lowest id among exact ties (as llama.cpp's greedy
// sampler over an unsorted candidate list).
#pragma once

#include <cstdint>
#include <span>

namespace corral::sampling {

int32_t argmax(std::span<const float> logits);

}  // namespace corral::sampling
