// One forward pass across the devices a model is placed on. The engine says which device each
// layer, the input (token embedding) and the output head live on; an architecture asks the pass
// for the stage of each layer in turn and never names a device. Entering a layer on another device
// moves the residual stream x (n_tokens x n_embd) there: the only activation copy of the pass, and
// only where the placement switches device. Each device gets the batch's positions once per pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "nn/batch.h"
#include "nn/kv_cache.h"
#include "nn/workspace.h"

namespace corral::nn {

// One device's part of the pass: its backend, its activation buffers and the batch as it sees it.
struct Stage {
  Backend& be;
  Workspace& ws;
  const BatchView& batch;
  BatchPositions pos;

  int64_t n() const { return batch.n_tokens; }
  // The first n_tokens rows of a workspace tensor.
  Tensor rows(const Tensor& t) const { return t.first_rows(batch.n_tokens); }
};

// A device as the pass uses it.
struct DeviceRef {
  Backend* be = nullptr;
  Workspace* ws = nullptr;
};

// Where the parts of the model run: indices into the device list.
struct DeviceMap {
  std::vector<size_t> layer;  // per layer
  size_t input = 0;           // token embedding
  size_t output = 0;          // final norm and head
};

class Pass {
 public:
  Pass(const BatchView& batch, std::span<const DeviceRef> devices, const DeviceMap& map, KvCache& cache);

  const BatchView& batch() const { return batch_; }
  // The input device, with the batch's token ids in ws.tokens; the embedding goes to its ws.x.
  const Stage& input() { return enter(map_.input); }
  // The device of layer il, holding the residual stream in ws.x.
  const Stage& layer(int64_t il) { return enter(map_.layer[il]); }
  // The device of the output head, holding the residual stream in ws.x.
  const Stage& output() { return enter(map_.output); }
  const KvLayer& kv(int64_t il) const { return cache_.layer(il); }

  // A failure while moving activations between devices (the pass's results are then invalid).
  const Status& status() const { return status_; }

 private:
  const Stage& enter(size_t device);

  const BatchView& batch_;
  std::span<const DeviceRef> devices_;
  const DeviceMap& map_;
  KvCache& cache_;
  std::vector<std::optional<Stage>> stages_;  // per device, set up on first entry
  std::optional<size_t> current_;             // the device holding x
  std::vector<float> staging_;                // x on its way between two devices
  Status status_;
};

}  // namespace corral::nn
