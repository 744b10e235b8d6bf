// What every route handler shares: the store, the environment, the scheduler and the metrics.
// One ServerContext per server; handlers get it by reference (no globals).
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "base/env.h"
#include "server/model_facts.h"
#include "store/layout.h"

namespace corral::sched {
class Scheduler;
}

namespace corral::server {

class Metrics;

struct ServerContext {
  ServerContext(store::Store store_in, Env env_in, Metrics& metrics_in, std::string version_in)
      : store(std::move(store_in)), env(std::move(env_in)), metrics(metrics_in), version(std::move(version_in)) {}

  store::Store store;
  Env env;
  sched::Scheduler* scheduler = nullptr;  // null until `corral serve` wires one (inference routes need it)
  Metrics& metrics;
  std::string version;  // "0.1.0", what /api/version answers
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  ModelFactsCache facts;               // GGUF facts per blob (inference routes)
  TemplateFeaturesCache features;      // tools / thinking / insert syntax per chat template
  std::atomic<bool> stopping = false;  // set on shutdown: requests waiting for a runner give up

  // Seconds since the context was made (the server's uptime).
  double uptime_seconds() const;
};

}  // namespace corral::server
