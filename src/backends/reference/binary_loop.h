// The element loop of every broadcasting binary op: out[i] = f(a[...], b[...]).
//
// Runs come from the broadcast walk with each operand's stride 0 or 1; the four stride cases get
// their own loops so that same-shape and scalar-operand runs are straight, vectorizable loops.
#pragma once

#include "backends/reference/broadcast_iter.h"

namespace samq::backends {

template <typename A, typename B, typename R, typename F>
void BinaryLoop(const BroadcastPlan& p, const A* a, const B* b, R* y, F f) {
  const bool sa = p.inner_stride(0) != 0, sb = p.inner_stride(1) != 0;
  ParallelBroadcastRuns(p, [&](int64_t o, const std::array<int64_t, kMaxBroadcastInputs>& offs,
                               int64_t n) {
    const A* pa = a + offs[0];
    const B* pb = b + offs[1];
    R* py = y + o;
    if (sa && sb) {
      for (int64_t i = 0; i < n; ++i) py[i] = f(pa[i], pb[i]);
    } else if (sa) {
      const B bv = *pb;
      for (int64_t i = 0; i < n; ++i) py[i] = f(pa[i], bv);
    } else if (sb) {
      const A av = *pa;
      for (int64_t i = 0; i < n; ++i) py[i] = f(av, pb[i]);
    } else {
      const R v = f(*pa, *pb);
      for (int64_t i = 0; i < n; ++i) py[i] = v;
    }
  });
}

// Whole-tensor form: `y` is already allocated with the broadcast shape of a and b.
template <typename A, typename B, typename R, typename F>
void BinaryBroadcast(const Tensor& a, const Tensor& b, Tensor& y, F f) {
  BroadcastPlan p = MakeBroadcastPlan(y.shape(), {&a.shape(), &b.shape()});
  BinaryLoop<A, B, R>(p, a.data<A>(), b.data<B>(), y.data<R>(), f);
}

}  // namespace samq::backends
