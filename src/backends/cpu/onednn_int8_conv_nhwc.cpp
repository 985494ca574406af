#include "backends/cpu/onednn_int8_conv_nhwc.h"

#include <algorithm>
#include <unordered_map>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/reference/conv_geometry.h"
#include "core/parallel.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

// Plain weights [M, C/g, kh, kw], or [g, M/g, C/g, kh, kw] for grouped convolutions.
memory::desc PlainWeights(const Shape& w, int64_t g, memory::data_type dt, bool any) {
  memory::dims d = g == 1 ? memory::dims{w[0], w[1], w[2], w[3]} : memory::dims{g, w[0] / g, w[1], w[2], w[3]};
  if (any) return memory::desc(d, dt, tag::any);
  return memory::desc(d, dt, g == 1 ? tag::oihw : tag::goihw);
}

}  // namespace

struct Int8ConvNhwc::Entry {
  bool fallback = false;
  dnnl::convolution_forward prim;
  memory::desc src, dst_nhwc;
  memory weights;
  int64_t out_channels = 0;
};

Int8ConvNhwc::Int8ConvNhwc(const ir::Node& node, QuantParams p)
    : node_(node), p_(std::move(p)), zp_mem_(memory::desc({1}, memory::data_type::s32, memory::dims{1}), Engine()) {
  *static_cast<int32_t*>(zp_mem_.get_data_handle()) = p_.x_zero_point;
}

Int8ConvNhwc::~Int8ConvNhwc() = default;

bool Int8ConvNhwc::Supports(const Shape& x) {
  Entry* e = cache_.Find(x);
  if (!e) e = cache_.Insert(x, Create(x));
  return !e->fallback;
}

void Int8ConvNhwc::Run(const Shape& x, const void* src_nhwc, float* dst_nhwc) {
  Entry* e = cache_.Find(x);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(e->src, Engine(), const_cast<void*>(src_nhwc))},
                                       {DNNL_ARG_WEIGHTS, e->weights},
                                       {DNNL_ARG_DST, memory(e->dst_nhwc, Engine(), dst_nhwc)}};
  if (p_.x_zero_point != 0) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = zp_mem_;
  if (NativeBias(p_))
    args[DNNL_ARG_BIAS] =
        memory(memory::desc({e->out_channels}, memory::data_type::f32, tag::a), Engine(), p_.bias_over_scale.data());
  else if (!p_.bias.empty())
    args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] =
        memory(memory::desc({1, e->out_channels, 1, 1}, memory::data_type::f32, tag::nchw), Engine(), p_.bias.data());
  dnnl::stream& s = ThreadStream();
  e->prim.execute(s, args);
  s.wait();
}

std::unique_ptr<Int8ConvNhwc::Entry> Int8ConvNhwc::Create(const Shape& x) {
  auto e = std::make_unique<Entry>();
  auto problem = MakeConvProblem(node_, x, p_.weights.shape(), /*transpose=*/false);
  if (!problem.ok() || problem.value().attrs.spatial != 2) {
    e->fallback = true;
    return e;
  }
  const ConvProblem& cp = problem.value();
  try {
    const Shape& os = cp.out_shape;
    e->out_channels = os[1];
    e->src = memory::desc(ToDims(x), ActType(p_.u8), tag::nhwc);
    e->dst_nhwc = memory::desc(ToDims(os), memory::data_type::f32, tag::nhwc);
    memory::dims strides, dil, pl, pr;
    for (int i = 0; i < 2; ++i) {
      strides.push_back(cp.attrs.strides[i]);
      dil.push_back(cp.attrs.dilations[i] - 1);  // oneDNN counts the gaps
      pl.push_back(cp.window.pad_begin[i]);
      pr.push_back(cp.window.pad_end[i]);
    }
    const memory::desc bias({1, os[1], 1, 1}, memory::data_type::f32, tag::nchw);
    const memory::desc wei = PlainWeights(p_.weights.shape(), cp.group, memory::data_type::s8, true);
    using conv = dnnl::convolution_forward;
    const conv::desc d =
        NativeBias(p_) ? conv::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, e->src, wei,
                                    memory::desc({os[1]}, memory::data_type::f32, tag::a), e->dst_nhwc, strides, dil,
                                    pl, pr)
                       : conv::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, e->src, wei,
                                    e->dst_nhwc, strides, dil, pl, pr);
    conv::primitive_desc pd(d, MakeQuantAttr(p_, bias), Engine());
    e->prim = dnnl::convolution_forward(pd);
    if (!(packed_ && packed_.get_desc() == pd.weights_desc()))
      packed_ = ReorderToNew(PlainWeights(p_.weights.shape(), cp.group, memory::data_type::s8, false),
                             p_.weights.raw(), pd.weights_desc());
    e->weights = packed_;
  } catch (const dnnl::error&) {
    e->fallback = true;
  }
  return e;
}

void NhwcToNchw(const float* nhwc, int64_t n, int64_t hw, int64_t c, bool gelu, float* y) {
  constexpr int64_t kBand = 256;  // a band's kBand x C floats (64 KB at C = 64) stay in L2
  const int64_t bands = (hw + kBand - 1) / kBand;
  parallel_for(n * bands, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = t / bands, p0 = (t % bands) * kBand, rows = std::min(kBand, hw - p0);
      float* out = y + b * c * hw + p0;
      fast::TransposeFloatMatrix(nhwc + (b * hw + p0) * c, c, rows, c, out, hw);
      if (gelu)
        for (int64_t ch = 0; ch < c; ++ch) GeluErfInPlace(out + ch * hw, rows);
    }
  });
}

}  // namespace samq::backends::onednn
