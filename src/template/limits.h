// Hard limits on template rendering, so no template or input can hang the server or exhaust its
// memory; each error names the limit it hit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/result.h"

namespace corral::tmpl {

struct RenderLimits {
  size_t max_output_bytes = 16u << 20;       // the rendered prompt and every string built on the way
  uint64_t max_loop_iterations = 1'000'000;  // all for/range iterations together
  int max_depth = 400;                       // nesting of evaluation: blocks, expressions, macro calls
  uint64_t max_steps = 50'000'000;           // evaluated nodes plus built bytes / 64: bounds time
};

// Nesting depth of the parser (brackets, blocks); deeper templates are rejected when parsed.
inline constexpr int kMaxParseDepth = 200;

// Counts the work of one render against RenderLimits.
class Budget {
 public:
  explicit Budget(const RenderLimits& limits) : limits_(limits) {}

  const RenderLimits& limits() const { return limits_; }

  Status loop_iteration() {
    if (++iterations_ > limits_.max_loop_iterations)
      return Error::format("loop iteration limit ({}) exceeded", limits_.max_loop_iterations);
    return {};
  }
  Status reserve_iterations(uint64_t n) {
    if (n > limits_.max_loop_iterations || iterations_ + n > limits_.max_loop_iterations)
      return Error::format("loop iteration limit ({}) exceeded", limits_.max_loop_iterations);
    return {};
  }
  Status step(uint64_t n = 1) {
    steps_ += n;
    if (steps_ > limits_.max_steps) return Error::format("work limit ({} steps) exceeded", limits_.max_steps);
    return {};
  }
  // A string of `total` bytes is about to be built, `built` of them new (the work done).
  Status string_size(size_t total, size_t built) {
    if (total > limits_.max_output_bytes)
      return Error::format("output size limit ({} bytes) exceeded", limits_.max_output_bytes);
    return step(built / 64);
  }
  Status string_size(size_t total) { return string_size(total, total); }
  Status enter() {
    if (++depth_ > limits_.max_depth) return Error::format("recursion depth limit ({}) exceeded", limits_.max_depth);
    return {};
  }
  void leave() { --depth_; }

 private:
  RenderLimits limits_;
  uint64_t iterations_ = 0;
  uint64_t steps_ = 0;
  int depth_ = 0;
};

// Leaves a Budget level on scope exit; construct after a successful enter().
class DepthGuard {
 public:
  explicit DepthGuard(Budget& b) : budget_(b) {}
  ~DepthGuard() { budget_.leave(); }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  Budget& budget_;
};

}  // namespace corral::tmpl
