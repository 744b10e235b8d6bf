// `corral bench --format`: decode speed with sampling alone and with sampling under a grammar
// (structured outputs), on an engine bench_command.cpp loaded.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "base/result.h"
#include "engine/engine.h"

namespace corral::cli {

struct FormatBenchOptions {
  std::string format;       // "json", or empty
  std::string format_file;  // a JSON schema file, or empty
  int64_t n = 128;
  int reps = 3;
};

// Runs the measurement and returns its results as JSON (tg with sampling, tg with sampling and
// grammar, the overhead in percent, the grammar's own time per token, mask statistics).
Result<nlohmann::json> bench_format(engine::Engine& engine, const FormatBenchOptions& options);
// Prints bench_format's result as text.
void print_format_bench(const nlohmann::json& result);

}  // namespace corral::cli
