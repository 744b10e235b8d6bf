// `corral serve`: the Ollama-compatible HTTP server on CORRAL_HOST / OLLAMA_HOST
// (default 127.0.0.1:11434), until SIGINT or SIGTERM.
#include <pthread.h>

#include <fmt/format.h>

#include <csignal>
#include <thread>

#include "base/env.h"
#include "base/log.h"
#include "base/units.h"
#include "cli/command.h"
#include "sched/devices.h"
#include "sched/runner_process.h"
#include "sched/scheduler.h"
#include "server/context.h"
#include "server/metrics.h"
#include "server/server.h"
#include "store/layout.h"

namespace corral::cli {
namespace {

void log_devices(const Env& env) {
  sched::Inventory inv = sched::discover_devices(env);
  LOG_INFO("device {}: {} ({} cores, {} RAM available of {})", inv.cpu.id, inv.cpu.name, inv.cpu.cores,
           human_bytes_binary(inv.cpu.free), human_bytes_binary(inv.cpu.total));
  for (const auto& g : inv.gpus)
    LOG_INFO("device {}: {} ({}, {} free of {})", g.id, g.name, g.library, human_bytes_binary(g.free),
             human_bytes_binary(g.total));
  for (const auto& note : inv.notes) LOG_INFO("devices: {}", note);
}

int serve() {
  // Writes to a client that went away must fail with EPIPE, not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  // SIGINT/SIGTERM are taken by one thread with sigwait; blocked before any other thread exists so
  // every thread inherits the mask. (Children must unblock them between fork and exec.)
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Env env;
  auto st = store::Store::from_env(env);
  if (!st.ok()) {
    fmt::print(stderr, "Error: {}\n", st.error().to_string());
    return kExitError;
  }
  if (auto s = st->ensure_dirs(); !s.ok()) {
    fmt::print(stderr, "Error: {}\n", s.error().to_string());
    return kExitError;
  }
  LOG_INFO("models in {}", st->root().string());
  log_devices(env);

  auto config = sched::SchedulerConfig::from_env(env);
  if (!config.ok()) {
    fmt::print(stderr, "Error: {}\n", config.error().to_string());
    return kExitError;
  }
  sched::RunnerLaunch launch;
  launch.executable = "/proc/self/exe";
  launch.load_timeout = config->load_timeout;
  // Runners are children of this process: one per loaded model, started on demand.
  sched::Scheduler scheduler(*config, [launch](const sched::LoadSpec& spec) {
    return sched::RunnerProcess::start(
        launch, spec, [&spec](double progress) { LOG_DEBUG("loading {}: {:.0f}%", spec.model_name, progress * 100); });
  });
  server::Metrics metrics;
  server::ServerContext ctx(std::move(*st), env, metrics, CORRAL_VERSION);
  ctx.scheduler = &scheduler;
  metrics.set_gauge_source([&scheduler] {
    server::GaugeSnapshot g;
    g.queue_depth = scheduler.queue_depth();
    for (const auto& r : scheduler.loaded()) {
      ++g.models_loaded;
      g.sequences_active += static_cast<size_t>(r.busy);
      g.model_memory.emplace_back(r.spec.model_name, r.plan.size);
    }
    return g;
  });
  server::Server server(ctx);
  if (auto s = server.bind(server::bind_address_from_env(env)); !s.ok()) {
    fmt::print(stderr, "Error: {}\n", s.error().to_string());
    return kExitError;
  }
  std::thread signal_thread([&server, &ctx, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    LOG_INFO("received signal {}, shutting down", sig);
    ctx.stopping = true;
    server.stop();
  });
  Status status = server.run();
  pthread_kill(signal_thread.native_handle(), SIGTERM);  // wakes the waiter when run() ended by itself
  signal_thread.join();
  if (!status.ok()) {
    fmt::print(stderr, "Error: {}\n", status.error().to_string());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

void register_serve(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("serve", "Start the Ollama-compatible HTTP server");
  cmd->footer(
      "Environment:\n"
      "  CORRAL_HOST / OLLAMA_HOST          address to listen on (127.0.0.1:11434; port 0 = any free port)\n"
      "  CORRAL_MODELS / OLLAMA_MODELS      model store (~/.corral/models)\n"
      "  CORRAL_ORIGINS / OLLAMA_ORIGINS    extra CORS origins, comma-separated\n"
      "  CORRAL_DEBUG=1                     debug logs\n"
      "Scheduler settings (KEEP_ALIVE, NUM_PARALLEL, MAX_LOADED_MODELS, MAX_QUEUE, LOAD_TIMEOUT,\n"
      "CONTEXT_LENGTH, KV_CACHE_TYPE) are listed with their defaults in README.md.\n"
      "Examples:\n"
      "  corral serve\n"
      "  CORRAL_HOST=0.0.0.0:11434 corral serve            reachable from other machines\n"
      "  CORRAL_MODELS=~/.ollama/models corral serve       an existing Ollama store, in place");
  cmd->callback([&action] { action = [] { return serve(); }; });
}

}  // namespace corral::cli
