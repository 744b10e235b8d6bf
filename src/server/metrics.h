// Server metrics in Prometheus' text format (GET /metrics): request counts by route and status,
// token and time totals per model (rates = tokens / seconds), cancellations, and gauges read at
// scrape time from a source the server wires to the scheduler. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corral::server {

// What the scheduler knows right now; read once per scrape.
struct GaugeSnapshot {
  size_t queue_depth = 0;
  size_t models_loaded = 0;
  size_t sequences_active = 0;
  std::vector<std::pair<std::string, uint64_t>> model_memory;  // (model name, bytes)
};

class Metrics {
 public:
  void record_request(std::string_view route, int status);
  // One finished generation (or embedding: gen_tokens 0) of `model`.
  void record_generation(std::string_view model, int64_t prompt_tokens, int64_t prompt_ns, int64_t gen_tokens,
                         int64_t gen_ns);
  void add_cancelled();
  // The gauges' source; without one they read 0.
  void set_gauge_source(std::function<GaugeSnapshot()> source);

  // Every metric with HELP and TYPE lines.
  std::string render() const;

  // For /api/health and tests.
  GaugeSnapshot gauges() const;
  uint64_t requests_total(std::string_view route, int status) const;

 private:
  struct ModelTotals {
    uint64_t prompt_tokens = 0, gen_tokens = 0;
    int64_t prompt_ns = 0, gen_ns = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, ModelTotals> models_;
  uint64_t cancelled_ = 0;
  std::function<GaugeSnapshot()> gauge_source_;
};

// A label value escaped for the text format (backslash, quote, newline).
std::string prometheus_label(std::string_view value);

}  // namespace corral::server
