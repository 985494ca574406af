// One com.samq QConv (2-D) as oneDNN's integer convolution on NHWC codes, the layout its int8
// convolutions run in: u8/s8 codes x s8 weights with exact int32 sums, per-output-channel scale
// and bias, float32 NHWC out. Weights are reordered once into oneDNN's layout (shapes that want
// the same layout share the copy); primitives are cached per input shape. Groups, strides,
// dilations and explicit or auto padding come from the same geometry code as the reference Conv.
// Shared by onednn.qconv (onednn_int8_conv.cpp) and onednn.qconv_pair (onednn_qconv_pair.cpp).
#pragma once

#include <memory>
#include <string>

#include "backends/cpu/onednn_int8_util.h"
#include "backends/cpu/onednn_util.h"
#include "ir/graph.h"

namespace samq::backends::onednn {

class Int8ConvNhwc {
 public:
  // `node` gives the attributes (a QConv / QConvGelu node or a stage of a fused one).
  Int8ConvNhwc(const ir::Node& node, QuantParams p);
  ~Int8ConvNhwc();

  // Whether oneDNN takes input shape x (NCHW dims); false: the caller falls back. Callers hold
  // mutex() around Supports and Run (the per-shape cache is shared).
  bool Supports(const Shape& x);
  // src: x's codes, NHWC, u8 or s8 as params().u8; dst: the float32 result, NHWC [N, OH, OW, M].
  // Only for shapes Supports() accepted.
  void Run(const Shape& x, const void* src_nhwc, float* dst_nhwc);

  const QuantParams& params() const { return p_; }
  std::mutex& mutex() { return cache_.mu; }

 private:
  struct Entry;
  std::unique_ptr<Entry> Create(const Shape& x);

  ir::Node node_;
  QuantParams p_;
  dnnl::memory zp_mem_;
  dnnl::memory packed_;
  ShapeCache<Entry> cache_;
};

// y[b][c][p] = nhwc[b][p][c] (then the erf GELU when gelu), in bands of pixels that stay in L2.
void NhwcToNchw(const float* nhwc, int64_t n, int64_t hw, int64_t c, bool gelu, float* y);

}  // namespace samq::backends::onednn
