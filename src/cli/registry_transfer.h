// A pull or push through the server API with Ollama's progress on stderr: `corral pull`/`push`,
// and `corral run` of a model the store does not have yet.
#pragma once

#include <string>

#include "base/result.h"
#include "cli/api_client.h"

namespace corral::cli {

// POSTs `route` (/api/pull or /api/push) for `model` and draws the streamed events (a status
// line per step, a bar per blob) until success or the error.
Status registry_transfer(ApiClient& client, const std::string& route, const std::string& model, bool insecure);

}  // namespace corral::cli
