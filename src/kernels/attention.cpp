// Attention: splits (token, head) pairs across the pool; each pair is one call of the ISA's
// online-softmax kernel.
#include "kernels/attention.h"

#include "base/check.h"
#include "kernels/registry.h"

namespace corral::kernels {

void attention(const AttentionArgs& a, ThreadPool* pool, const OpsTable* ops) {
  CORRAL_CHECK(a.n_head_kv > 0 && a.n_head % a.n_head_kv == 0, "n_head {} not a multiple of n_head_kv {}", a.n_head,
               a.n_head_kv);
  const OpsTable& table = ops ? *ops : select_ops();
  const int64_t group = a.n_head / a.n_head_kv;
  const int64_t kv_stride = a.n_head_kv * a.head_dim;
  const size_t elem = a.kv_type == KvType::kF32 ? sizeof(float) : sizeof(uint16_t);
  auto run = [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const int64_t t = static_cast<int64_t>(i) / a.n_head, h = static_cast<int64_t>(i) % a.n_head;
      const int64_t g = h / group;
      AttendArgs args;
      args.q = a.q + (t * a.n_head + h) * a.head_dim;
      args.kv_type = a.kv_type;
      args.k = static_cast<const uint8_t*>(a.k) + g * a.head_dim * elem;
      args.v = static_cast<const uint8_t*>(a.v) + g * a.head_dim * elem;
      args.kv_stride = kv_stride;
      args.kv_pos = a.kv_pos;
      args.n_kv = a.n_kv;
      args.head_dim = a.head_dim;
      args.q_pos = a.q_pos[t];
      args.window = a.window;
      args.scale = a.scale;
      args.softcap = a.softcap;
      args.out = a.out + (t * a.n_head + h) * a.head_dim;
      table.attend(args);
    }
  };
  const size_t n = static_cast<size_t>(a.n_tokens * a.n_head);
  if (pool)
    pool->parallel_for(0, n, 4, run);
  else
    run(0, n);
}

}  // namespace corral::kernels
