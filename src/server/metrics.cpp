// The metrics registry and its Prometheus text rendering.
#include "server/metrics.h"

#include <fmt/format.h>

namespace corral::server {

std::string prometheus_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void Metrics::record_request(std::string_view route, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(route), status}];
}

void Metrics::record_generation(std::string_view model, int64_t prompt_tokens, int64_t prompt_ns, int64_t gen_tokens,
                                int64_t gen_ns) {
  std::lock_guard lock(mu_);
  ModelTotals& t = models_[std::string(model)];
  t.prompt_tokens += static_cast<uint64_t>(std::max<int64_t>(prompt_tokens, 0));
  t.gen_tokens += static_cast<uint64_t>(std::max<int64_t>(gen_tokens, 0));
  t.prompt_ns += std::max<int64_t>(prompt_ns, 0);
  t.gen_ns += std::max<int64_t>(gen_ns, 0);
}

void Metrics::add_cancelled() {
  std::lock_guard lock(mu_);
  ++cancelled_;
}

void Metrics::set_gauge_source(std::function<GaugeSnapshot()> source) {
  std::lock_guard lock(mu_);
  gauge_source_ = std::move(source);
}

GaugeSnapshot Metrics::gauges() const {
  std::function<GaugeSnapshot()> source;
  {
    std::lock_guard lock(mu_);
    source = gauge_source_;
  }
  return source ? source() : GaugeSnapshot{};  // outside the lock: the source takes the scheduler's
}

uint64_t Metrics::requests_total(std::string_view route, int status) const {
  std::lock_guard lock(mu_);
  auto it = requests_.find({std::string(route), status});
  return it == requests_.end() ? 0 : it->second;
}

namespace {

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string Metrics::render() const {
  GaugeSnapshot g = gauges();
  std::string out;
  std::lock_guard lock(mu_);
  header(out, "corral_requests_total", "counter", "HTTP requests by route and status.");
  for (const auto& [key, n] : requests_)
    out += fmt::format("corral_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", prometheus_label(key.first),
                       key.second, n);
  struct Series {
    std::string_view name, help;
    bool seconds;
    uint64_t ModelTotals::*count;
    int64_t ModelTotals::*ns;
  };
  const Series series[] = {
      {"corral_prompt_tokens_total", "Prompt tokens evaluated.", false, &ModelTotals::prompt_tokens, nullptr},
      {"corral_generated_tokens_total", "Tokens generated.", false, &ModelTotals::gen_tokens, nullptr},
      {"corral_prompt_seconds_total", "Seconds spent evaluating prompts.", true, nullptr, &ModelTotals::prompt_ns},
      {"corral_generation_seconds_total", "Seconds spent generating.", true, nullptr, &ModelTotals::gen_ns},
  };
  for (const Series& s : series) {
    header(out, s.name, "counter", s.help);
    if (models_.empty()) out += fmt::format("{} 0\n", s.name);
    for (const auto& [model, t] : models_) {
      std::string label = prometheus_label(model);
      if (s.seconds)
        out += fmt::format("{}{{model=\"{}\"}} {:.9f}\n", s.name, label, static_cast<double>(t.*s.ns) / 1e9);
      else
        out += fmt::format("{}{{model=\"{}\"}} {}\n", s.name, label, t.*s.count);
    }
  }
  header(out, "corral_requests_cancelled_total", "counter", "Generations cancelled because the client went away.");
  out += fmt::format("corral_requests_cancelled_total {}\n", cancelled_);
  header(out, "corral_queue_depth", "gauge", "Requests waiting for a runner.");
  out += fmt::format("corral_queue_depth {}\n", g.queue_depth);
  header(out, "corral_models_loaded", "gauge", "Runners loaded.");
  out += fmt::format("corral_models_loaded {}\n", g.models_loaded);
  header(out, "corral_sequences_active", "gauge", "Sequences being generated right now.");
  out += fmt::format("corral_sequences_active {}\n", g.sequences_active);
  header(out, "corral_model_memory_bytes", "gauge", "Memory a loaded model's runner uses.");
  for (const auto& [model, bytes] : g.model_memory)
    out += fmt::format("corral_model_memory_bytes{{model=\"{}\"}} {}\n", prometheus_label(model), bytes);
  return out;
}

}  // namespace corral::server
