// com.samq MBConv: schema, shape inference, the geometry and the reference kernel (see mbconv.h).
#include <cmath>
#include <vector>

#include "backends/cpu/mbconv.h"
#include "backends/reference/conv_geometry.h"

namespace samq::backends::fast {
namespace {

constexpr int kX = 0, kW1 = 1, kB1 = 2, kWd = 3, kBd = 4, kW3 = 5, kB3 = 6, kR = 7;

Shape DimsOf(const rt::TensorType& t, int rank) {
  if (t.rank_known) return t.dims;
  return Shape(static_cast<size_t>(rank), -1);
}

Status InferMBConv(rt::InferContext& ctx) {
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const DType t = ctx.input_type(i).dtype;
    if (ctx.node().has_input(i) && t != DType::kUndefined && t != DType::kFloat32)
      return ctx.Error("input {} has type {}; supported: float32", i, dtype_name(t));
  }
  for (int i : {kX, kW1, kWd, kW3})
    if (ctx.input_type(i).rank_known && ctx.input_type(i).rank() != 4)
      return ctx.Error("input {} has rank {}; expected 4", i, ctx.input_type(i).rank());
  auto dims = GetMBConvDims(ctx.node(), DimsOf(ctx.input_type(kX), 4), DimsOf(ctx.input_type(kW1), 4),
                            DimsOf(ctx.input_type(kWd), 4), DimsOf(ctx.input_type(kW3), 4));
  if (!dims.ok()) return ctx.Error("{}", dims.status().message());
  return SetMBConvOutput(ctx, *dims, kR);
}

// Plain convolutions in double, stage by stage (each stage's output rounded to float, as three
// separate float32 nodes would store it).
Status RefMBConv(rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(kX);
  SAMQ_ASSIGN_OR_RETURN(MBConvDims d, GetMBConvDims(ctx.node(), x.shape(), ctx.input(kW1).shape(),
                                                     ctx.input(kWd).shape(), ctx.input(kW3).shape()));
  const bool has_r = ctx.num_inputs() > kR && ctx.has_input(kR);
  if (has_r && ctx.input(kR).shape() != Shape{d.n, d.m, d.oh, d.ow})
    return ctx.Error("residual {} does not match the output [{}, {}, {}, {}]", shape_str(ctx.input(kR).shape()),
                     d.n, d.m, d.oh, d.ow);
  for (int i : {kB1, kBd, kB3}) {
    const int64_t want = i == kB3 ? d.m : d.e;
    if (ctx.input(i).numel() != want) return ctx.Error("bias input {} has {} values; expected {}", i, ctx.input(i).numel(), want);
  }
  const bool tanh_form = ctx.node().attr_string("approximate", "none") == "tanh";
  const bool out_gelu = ctx.node().attr_string("activation", "none") == "gelu";
  auto gelu = [tanh_form](double v) {
    if (tanh_form) return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  };
  auto f = [&](int i) { return ctx.input(i).data<float>(); };
  const int64_t hw = d.h * d.w, ohw = d.oh * d.ow;
  std::vector<float> t(static_cast<size_t>(d.e * hw)), dw(static_cast<size_t>(d.e * ohw));
  float* y = ctx.output_for_overwrite(0).data<float>();
  for (int64_t n = 0; n < d.n; ++n) {
    const float* xn = f(kX) + n * d.c * hw;
    for (int64_t e = 0; e < d.e; ++e)
      for (int64_t p = 0; p < hw; ++p) {
        double acc = f(kB1)[e];
        for (int64_t c = 0; c < d.c; ++c) acc += static_cast<double>(f(kW1)[e * d.c + c]) * xn[c * hw + p];
        t[e * hw + p] = static_cast<float>(gelu(acc));
      }
    for (int64_t e = 0; e < d.e; ++e)
      for (int64_t oy = 0; oy < d.oh; ++oy)
        for (int64_t ox = 0; ox < d.ow; ++ox) {
          double acc = f(kBd)[e];
          for (int64_t ky = 0; ky < d.k; ++ky)
            for (int64_t kx = 0; kx < d.k; ++kx) {
              const int64_t iy = oy * d.stride - d.pad_top + ky, ix = ox * d.stride - d.pad_left + kx;
              if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;
              acc += static_cast<double>(f(kWd)[(e * d.k + ky) * d.k + kx]) * t[e * hw + iy * d.w + ix];
            }
          dw[e * ohw + oy * d.ow + ox] = static_cast<float>(gelu(acc));
        }
    for (int64_t m = 0; m < d.m; ++m)
      for (int64_t p = 0; p < ohw; ++p) {
        double acc = f(kB3)[m];
        for (int64_t e = 0; e < d.e; ++e) acc += static_cast<double>(f(kW3)[m * d.e + e]) * dw[e * ohw + p];
        const int64_t at = (n * d.m + m) * ohw + p;
        if (has_r) acc = static_cast<double>(static_cast<float>(acc)) + f(kR)[at];
        y[at] = static_cast<float>(out_gelu ? gelu(static_cast<double>(static_cast<float>(acc))) : acc);
      }
  }
  return Status::Ok();
}

}  // namespace

Status SetMBConvOutput(rt::InferContext& ctx, const MBConvDims& d, int residual_input) {
  const Shape out{d.n, d.m, d.oh, d.ow};
  if (ctx.num_inputs() > residual_input && ctx.node().has_input(residual_input) &&
      ctx.input_type(residual_input).rank_known) {
    const Shape& r = ctx.input_type(residual_input).dims;
    if (r.size() != 4) return ctx.Error("residual has rank {}; expected 4", r.size());
    for (size_t i = 0; i < 4; ++i)
      if (r[i] >= 0 && out[i] >= 0 && r[i] != out[i])
        return ctx.Error("residual {} does not match the output {}", shape_str(r), shape_str(out));
  }
  ctx.set_output(0, DType::kFloat32, out);
  return Status::Ok();
}

Result<MBConvDims> GetMBConvDims(const ir::Node& node, const Shape& x, const Shape& w1, const Shape& wd,
                                 const Shape& w3) {
  if (x.size() != 4 || w1.size() != 4 || wd.size() != 4 || w3.size() != 4)
    return Status::UserF("{}: X and the three weights must be 4-D", node.describe());
  auto known = [](int64_t a, int64_t b) { return a >= 0 && b >= 0; };
  MBConvDims d;
  d.n = x[0];
  d.c = x[1];
  d.h = x[2];
  d.w = x[3];
  d.e = w1[0];
  d.k = wd[2];
  d.m = w3[0];
  if ((w1[2] >= 0 && w1[2] != 1) || (w1[3] >= 0 && w1[3] != 1) || (w3[2] >= 0 && w3[2] != 1) ||
      (w3[3] >= 0 && w3[3] != 1))
    return Status::UserF("{}: the expand and project weights must be 1x1", node.describe());
  if (known(d.c, w1[1]) && d.c != w1[1])
    return Status::UserF("{}: X has {} channels; the expand weight takes {}", node.describe(), d.c, w1[1]);
  if ((known(wd[0], d.e) && wd[0] != d.e) || (wd[1] >= 0 && wd[1] != 1))
    return Status::UserF("{}: the depthwise weight {} does not match {} expanded channels", node.describe(),
                         shape_str(wd), d.e);
  if (known(wd[2], wd[3]) && wd[2] != wd[3]) return Status::UserF("{}: the depthwise kernel is not square", node.describe());
  if (known(w3[1], d.e) && w3[1] != d.e)
    return Status::UserF("{}: the project weight takes {} channels; {} are expanded", node.describe(), w3[1], d.e);
  SAMQ_ASSIGN_OR_RETURN(auto attrs, ReadWindowAttrs(node, 2, {wd[2], wd[3]}));
  if (attrs.auto_pad != AutoPad::kNotSet) return Status::UserF("{}: auto_pad is not supported", node.describe());
  if (attrs.dilations[0] != 1 || attrs.dilations[1] != 1)
    return Status::UserF("{}: dilated depthwise convs are not supported", node.describe());
  if (attrs.strides[0] != attrs.strides[1])
    return Status::UserF("{}: unequal strides are not supported", node.describe());
  d.stride = attrs.strides[0];
  d.pad_top = attrs.pads[0];
  d.pad_left = attrs.pads[1];
  d.pad_bottom = attrs.pads[2];
  d.pad_right = attrs.pads[3];
  auto out = [&](int64_t in, int64_t pb, int64_t pe) -> int64_t {
    if (in < 0 || d.k < 0) return -1;
    return (in + pb + pe - d.k) / d.stride + 1;
  };
  d.oh = out(d.h, d.pad_top, d.pad_bottom);
  d.ow = out(d.w, d.pad_left, d.pad_right);
  if ((d.h >= 0 && d.k >= 0 && d.h + d.pad_top + d.pad_bottom < d.k) ||
      (d.w >= 0 && d.k >= 0 && d.w + d.pad_left + d.pad_right < d.k))
    return Status::UserF("{}: the {}x{} input is smaller than the padded kernel", node.describe(), d.h, d.w);
  return d;
}

rt::KernelCandidate RefMBConvCandidate() { return rt::MakeStatelessKernel("ref.MBConv", RefMBConv); }

void AddMBConvOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "MBConv";
  s.domain = "com.samq";
  s.min_inputs = 7;
  s.max_inputs = 8;
  s.infer = InferMBConv;
  s.kernels.push_back({"fast.MBConv", MakeFastMBConv});
  s.kernels.push_back(RefMBConvCandidate());
  r.Register(std::move(s));
}

}  // namespace samq::backends::fast
