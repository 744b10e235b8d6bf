// The forward pass's device stages and the moves of the residual stream between them.
#include "nn/pass.h"

namespace corral::nn {

Pass::Pass(const BatchView& batch, std::span<const DeviceRef> devices, const DeviceMap& map, KvCache& cache)
    : batch_(batch), devices_(devices), map_(map), cache_(cache), stages_(devices.size()) {}

const Stage& Pass::enter(size_t device) {
  std::optional<Stage>& stage = stages_[device];
  if (!stage) {
    const DeviceRef& d = devices_[device];
    const int64_t n = batch_.n_tokens;
    const Tensor pos = d.ws->pos.col_range(0, n);
    d.be->write(pos, batch_.pos);
    if (device == map_.input) d.be->write(d.ws->tokens.col_range(0, n), batch_.tokens);
    stage.emplace(
        Stage{*d.be, *d.ws, batch_, BatchPositions{{batch_.pos, static_cast<size_t>(n)}, pos, batch_.segments}});
  }
  if (current_ && *current_ != device) {
    const Stage& from = *stages_[*current_];
    const Tensor src = from.rows(from.ws.x), dst = stage->rows(stage->ws.x);
    if (src.host()) {
      stage->be.write(dst, src.host());  // the source is CPU memory: no staging copy
    } else {
      staging_.resize(static_cast<size_t>(src.rows * src.cols));
      if (Status s = from.be.read(src, staging_.data()); !s.ok() && status_.ok()) status_ = std::move(s);
      stage->be.write(dst, staging_.data());
    }
  }
  current_ = device;
  return *stage;
}

}  // namespace corral::nn
