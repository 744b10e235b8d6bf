// `corral runner`: the child process that serves one model to the server over loopback HTTP
// (protocol in sched/runner_protocol.h, described in docs/architecture.md "Runners").
#pragma once

#include "runner/service.h"

namespace corral::runner {

// Binds 127.0.0.1 on a free port, prints "CORRAL_RUNNER_PORT <n>" on stdout, loads the model in
// the background and serves until stopped. Returns the process exit code (1 after a failed load,
// once the server has had a chance to read the error from /health).
int run_runner(const RunnerConfig& config);

}  // namespace corral::runner
