// Pull and push of models against an OCI distribution (Docker registry v2) server, as Ollama does:
// manifests under /v2/<namespace>/<model>/manifests/<tag>, blobs by digest, Bearer-token auth.
// Pulled blobs stream into blobs/sha256-<hex>-partial (a resumed pull continues from its size),
// are verified and renamed; the manifest is written last, with the registry's exact bytes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "base/env.h"
#include "base/result.h"
#include "store/layout.h"
#include "store/name.h"

namespace corral::store {

// One progress event, in the shape of Ollama's /api/pull and /api/push lines.
struct RegistryEvent {
  std::string status;  // "pulling manifest", "pulling 1a2b3c4d5e6f", "success", ...
  std::string digest;  // set on transfer events
  int64_t total = 0;
  int64_t completed = 0;
};
using RegistryProgressFn = std::function<void(const RegistryEvent&)>;

struct RegistryOptions {
  bool insecure = false;  // http:// instead of https://
  // Basic credentials for the token realm (or a Basic challenge); empty = anonymous.
  std::string username;
  std::string password;
  int max_attempts = 4;                          // per request, for 5xx answers and transient transport errors
  std::chrono::milliseconds first_backoff{250};  // doubled after each failed attempt
  long stall_seconds = 30;                       // no byte for this long = a failed attempt
  // A blob downloads as up to 16 concurrent ranged parts of size/16 clamped to
  // [min_part_size, 10 × min_part_size] (Ollama: 100 MB–1 GB); one stream when that is one part.
  // CORRAL_REGISTRY_MIN_PART_SIZE (bytes) sets it (the tests use small parts).
  int64_t min_part_size = 100'000'000;
  // Bytes per PATCH of a push (CORRAL_REGISTRY_UPLOAD_CHUNK for tests).
  int64_t upload_chunk = 64ll << 20;
  const std::atomic<bool>* cancel = nullptr;  // set to stop between chunks
  std::string user_agent = "corral";
  // Options with credentials from CORRAL_REGISTRY_USER / CORRAL_REGISTRY_PASSWORD and the part
  // size from CORRAL_REGISTRY_MIN_PART_SIZE, the PATCH size from CORRAL_REGISTRY_UPLOAD_CHUNK.
  static RegistryOptions from_env(const Env& env);
};

// Downloads the model's manifest and every blob the store lacks, then writes the manifest and
// removes blobs of a replaced manifest that nothing references any more.
Status pull_model(const Store& store, const ModelName& name, const RegistryOptions& options,
                  const RegistryProgressFn& progress);
// Uploads every blob the registry lacks, then the manifest (the exact stored bytes).
Status push_model(const Store& store, const ModelName& name, const RegistryOptions& options,
                  const RegistryProgressFn& progress);

// The partial-download file of a blob: blobs/sha256-<hex>-partial.
std::filesystem::path partial_blob_path(const Store& store, std::string_view digest);

}  // namespace corral::store
