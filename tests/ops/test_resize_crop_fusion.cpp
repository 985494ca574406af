// passes/fuse_resize_crop + com.samq ResizeCropResize / ResizeCropShape
// (backends/cpu/resize_crop_resize.cpp, resize_crop_rows.cpp) against the unfused chain on the
// reference kernels (ref.Resize, ref.Slice: the ORT-checked oracle of test_resize.cpp).
//
// The fused fast path claims the chain's numerics bit for bit for finite inputs (same taps,
// weights, accumulation and axis order; see resize_crop_rows.h), so every comparison is exact.
// The graphs mirror the end of SAM-1's decoder: Resize to a fixed size, two Slices whose ends
// are run-time values, a Shape of the crop feeding the second Resize's sizes.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>

#include "backends/cpu/resize_crop_rows.h"
#include "backends/registry.h"
#include "elementwise_test_util.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/session_run.h"

namespace samq::testing::elem {
namespace {

Tensor Random(Shape s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-20.0f, 20.0f);
  Tensor t = Tensor::Zeros(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

ir::ValueInfo Value(const std::string& name, DType dtype, std::vector<int64_t> dims) {
  ir::ValueInfo v;
  v.name = name;
  v.dtype = dtype;
  v.has_shape = true;
  for (int64_t d : dims) v.dims.push_back({d, ""});
  return v;
}

struct ChainCase {
  Shape in;                 // N x C x H x W
  int64_t rh, rw;           // first Resize's output size
  std::string coord1 = "half_pixel", coord2 = "half_pixel";
  int64_t start_h = 0, end_h = 0, start_w = 0, end_w = 0, step_w = 1;
  int64_t oh, ow;           // second Resize's output size
  std::string str() const {
    return fmt::format("{} -> {}x{} ({}) crop [{}:{}, {}:{}:{}] -> {}x{} ({})", shape_str(in), rh, rw, coord1,
                       start_h, end_h, start_w, end_w, step_w, oh, ow, coord2);
  }
};

// Resize(x, sizes1) -> Slice(axis 2, end_h fed) -> Slice(axis 3, end_w fed) -> Resize with
// sizes Concat(Shape(crop)[0:2], out_hw fed).
ir::Model ChainModel(const ChainCase& c) {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.name = "resize_crop_resize";
  m.graph.inputs = {Value("x", DType::kFloat32, c.in), Value("end_h", DType::kInt64, {1}),
                    Value("end_w", DType::kInt64, {1}), Value("out_hw", DType::kInt64, {2})};
  ir::ValueInfo y;
  y.name = "y";
  y.dtype = DType::kFloat32;
  m.graph.outputs = {y};
  auto& init = m.graph.initializers;
  init["sizes1"] = I64({4}, {c.in[0], c.in[1], c.rh, c.rw});
  init["start_h"] = I64({1}, {c.start_h});
  init["axis_h"] = I64({1}, {2});
  init["start_w"] = I64({1}, {c.start_w});
  init["axis_w"] = I64({1}, {-1});
  init["step_w"] = I64({1}, {c.step_w});
  init["zero"] = I64({1}, {0});
  init["two"] = I64({1}, {2});
  auto resize = [](const std::string& name, const std::string& in, const std::string& sizes,
                   const std::string& out, const std::string& coord) {
    return ir::Node{name, "Resize", "", {in, "", "", sizes}, {out},
                    {AttrS("mode", "linear"), AttrS("coordinate_transformation_mode", coord)}, ""};
  };
  m.graph.nodes = {
      resize("r1", "x", "sizes1", "big", c.coord1),
      ir::Node{"s1", "Slice", "", {"big", "start_h", "end_h", "axis_h"}, {"crop_a"}, {}, ""},
      ir::Node{"s2", "Slice", "", {"crop_a", "start_w", "end_w", "axis_w", "step_w"}, {"crop"}, {}, ""},
      ir::Node{"shape", "Shape", "", {"crop"}, {"crop_shape"}, {}, ""},
      ir::Node{"lead", "Slice", "", {"crop_shape", "zero", "two", "zero"}, {"lead_dims"}, {}, ""},
      ir::Node{"cat", "Concat", "", {"lead_dims", "out_hw"}, {"sizes2"}, {AttrI("axis", 0)}, ""},
      resize("r2", "crop", "sizes2", "y", c.coord2),
  };
  return m;
}

SessionRun RunChain(const ChainCase& c, const rt::SessionOptions& o, const Tensor& x) {
  return RunSession(ChainModel(c), {{"x", x}, {"end_h", I64({1}, {c.end_h})}, {"end_w", I64({1}, {c.end_w})},
                    {"out_hw", I64({2}, {c.oh, c.ow})}}, o);
}

std::string KernelOf(const std::vector<rt::NodeKernelChoice>& choices, const std::string& op) {
  for (const auto& k : choices)
    if (k.op_type == op) return k.kernel;
  return "";
}

void ExpectFusedMatchesChain(const ChainCase& c, uint32_t seed) {
  SCOPED_TRACE(c.str());
  const Tensor x = Random(c.in, seed);
  rt::SessionOptions oracle = FusionTestOptions(true);
  oracle.fuse_resize_crop = false;
  const SessionRun want = RunChain(c, oracle, x);
  ASSERT_TRUE(want.y.defined());
  ASSERT_EQ(KernelOf(want.choices, "ResizeCropResize"), "");

  const SessionRun got = RunChain(c, FusionTestOptions(false), x);
  ASSERT_TRUE(got.y.defined());
  EXPECT_EQ(KernelOf(got.choices, "ResizeCropResize"), "cpu.resize_crop_resize_f32");
  EXPECT_EQ(KernelOf(got.choices, "ResizeCropShape"), "ref.ResizeCropShape");
  EXPECT_EQ(KernelOf(got.choices, "Resize"), "") << "a Resize was left unfused";
  EXPECT_EQ(KernelOf(got.choices, "Shape"), "") << "the crop's Shape was not replaced";
  EXPECT_EQ(CountDiffering(want.y, got.y), 0) << "of " << want.y.numel();

  // The fused node on the reference kernels (the chain, node by node).
  rt::SessionOptions ref = oracle;
  ref.fuse_resize_crop = true;
  const SessionRun fused_ref = RunChain(c, ref, x);
  ASSERT_TRUE(fused_ref.y.defined());
  EXPECT_EQ(KernelOf(fused_ref.choices, "ResizeCropResize"), "ref.ResizeCropResize");
  EXPECT_EQ(CountDiffering(want.y, fused_ref.y), 0);
}

TEST(ResizeCropFusion, SamDecoderShapesMatchTheChain) {
  // SAM-1's decoder scaled down: 4 mask planes 64² -> 256², crop to the un-padded 171x256,
  // then the original image size 300x450 (the fixture's decoder_in_orig_im_size).
  ExpectFusedMatchesChain({{1, 4, 64, 64}, 256, 256, "half_pixel", "half_pixel", 0, 171, 0, 256, 1, 300, 450}, 1);
  // Portrait image: the crop keeps all rows and cuts columns.
  ExpectFusedMatchesChain({{1, 3, 32, 32}, 128, 128, "half_pixel", "half_pixel", 0, 128, 0, 85, 1, 200, 133}, 2);
}

TEST(ResizeCropFusion, OffsetsShrinkingAndCoordinateModesMatchTheChain) {
  // Crop not at the origin, negative start, ends past the end (clamped).
  ExpectFusedMatchesChain({{1, 2, 20, 24}, 50, 61, "half_pixel", "half_pixel", 3, 45, -40, 1000, 1, 77, 90}, 3);
  // Second stage shrinks (two-tap when not antialiased), different coordinate modes per stage.
  ExpectFusedMatchesChain({{2, 3, 16, 16}, 64, 64, "pytorch_half_pixel", "align_corners", 5, 60, 2, 63, 1, 23, 31}, 4);
  ExpectFusedMatchesChain({{1, 1, 17, 9}, 40, 33, "asymmetric", "half_pixel_symmetric", 0, 39, 1, 33, 1, 41, 12}, 5);
  // A stretched aspect in each stage puts the columns first (the smaller out/in ratio goes first).
  ExpectFusedMatchesChain({{1, 2, 10, 30}, 60, 45, "half_pixel", "half_pixel", 0, 50, 0, 45, 1, 70, 200}, 6);
  // Output rows of one plane on both threads, and a single-row/column crop (one-tap everywhere).
  ExpectFusedMatchesChain({{1, 1, 8, 8}, 16, 16, "half_pixel", "half_pixel", 7, 8, 0, 1, 1, 5, 9}, 7);
}

TEST(ResizeCropFusion, StridedCropFallsBackToTheChain) {
  // A step-2 Slice is not a crop the direct path computes: the kernel runs the chain instead.
  ExpectFusedMatchesChain({{1, 2, 12, 12}, 30, 30, "half_pixel", "half_pixel", 0, 25, 1, 29, 2, 40, 33}, 8);
}

TEST(ResizeCropFusion, ChainWithOtherReadersIsLeftAlone) {
  // The crop is also a graph output: it must be materialized, so nothing is fused.
  ChainCase c{{1, 1, 8, 8}, 16, 16, "half_pixel", "half_pixel", 0, 12, 0, 16, 1, 20, 30};
  ir::Model m = ChainModel(c);
  ir::ValueInfo crop;
  crop.name = "crop";
  crop.dtype = DType::kFloat32;
  m.graph.outputs.push_back(crop);
  auto s = rt::Session::Create(std::move(m), backends::DefaultRegistry());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(KernelOf((*s)->kernel_choices(), "ResizeCropResize"), "");
  EXPECT_EQ(KernelOf((*s)->kernel_choices(), "Resize"), "cpu.resize_linear_f32");
}

// The row engine directly (the session tests above cannot tell the direct path from the chain
// fallback, which gives the same values): planes 256² -> 1024² -> crop 683x1024 -> 1200x1800, the
// benchmark's geometry, on 2 planes.
TEST(ResizeCropFusion, RowEngineMatchesTheReferenceChainAtFullSize) {
  const Tensor x = Random({1, 2, 256, 256}, 9);
  auto run = [](const char* op, const std::vector<const Tensor*>& ins, std::vector<ir::Attribute> attrs) {
    auto r = RunNode(MakeNode(op, static_cast<int>(ins.size()), std::move(attrs)), ins);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value()[0] : Tensor();
  };
  const std::vector<ir::Attribute> linear{AttrS("mode", "linear"), AttrS("coordinate_transformation_mode", "half_pixel")};
  const Tensor sizes1 = I64({4}, {1, 2, 1024, 1024}), sizes2 = I64({4}, {1, 2, 1200, 1800});
  const Tensor big = run("Resize", {&x, nullptr, nullptr, &sizes1}, linear);
  const Tensor st = I64({2}, {0, 0}), en = I64({2}, {683, 1024}), ax = I64({2}, {2, 3});
  const Tensor crop = run("Slice", {&big, &st, &en, &ax}, {});
  const Tensor want = run("Resize", {&crop, nullptr, nullptr, &sizes2}, linear);
  ASSERT_TRUE(want.defined());

  ir::Node n = MakeNode("Resize", 4, linear);
  auto attrs = backends::ReadResizeAttrs(n, 17);
  ASSERT_TRUE(attrs.ok());
  auto g1 = backends::ComputeResizeGeometry(n, *attrs, x.shape(), nullptr, nullptr, &sizes1);
  auto g2 = backends::ComputeResizeGeometry(n, *attrs, crop.shape(), nullptr, nullptr, &sizes2);
  ASSERT_TRUE(g1.ok() && g2.ok());
  auto p1 = backends::cpu::PlanTwoTapResize(*attrs, *g1, DType::kFloat32, x.shape());
  auto p2 = backends::cpu::PlanTwoTapResize(*attrs, *g2, DType::kFloat32, crop.shape());
  ASSERT_TRUE(p1 && p2);
  Tensor got = Tensor::Zeros(DType::kFloat32, want.shape());
  backends::cpu::ResizeCropResizePlanes(x.data<float>(), 2, *p1, {0, 0, 683, 1024}, *p2, got.data<float>());
  EXPECT_EQ(CountDiffering(want, got), 0) << "of " << want.numel();
}

}  // namespace
}  // namespace samq::testing::elem
