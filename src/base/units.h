// Human-readable numbers and sizes, formatted exactly as Ollama formats them.
#pragma once

#include <cstdint>
#include <string>

namespace corral {

// Parameter counts: "1.2B", "260K", "7B", "135.27M" (Ollama's format.HumanNumber).
std::string human_number(uint64_t n);
// Decimal byte sizes: "4.7 GB", "15 GB", "512 KB" (Ollama's format.HumanBytes).
std::string human_bytes(int64_t bytes);
// Binary byte sizes for memory plans: "1.5 GiB", "512.0 MiB".
std::string human_bytes_binary(uint64_t bytes);

}  // namespace corral
