// Data-movement ops (Transpose, Concat, Split, Slice, Pad, Tile, Trilu, DepthToSpace,
// SpaceToDepth) on hand-derived values, plus Transpose/Slice against a naive index-arithmetic
// implementation (the definition itself) on SAM-sized shapes and several dtypes.
#include <limits>
#include <numeric>
#include <random>

#include "elementwise_test_util.h"

namespace samq::testing::elem {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

Tensor Iota(Shape shape, DType dt = DType::kFloat32) {
  Tensor t = Tensor::Zeros(dt, shape);
  for (int64_t i = 0; i < t.numel(); ++i) element_from_double(dt, t.raw(), i, static_cast<double>(i % 251));
  return t;
}

// out[j...] = in[i...] with out dim k = in dim perm[k], by explicit multi-index arithmetic.
std::vector<double> NaiveTranspose(const Tensor& in, const std::vector<int64_t>& perm) {
  const Shape& d = in.shape();
  const size_t r = d.size();
  Shape od(r), is(r, 1);
  for (size_t k = 0; k < r; ++k) od[k] = d[perm[k]];
  for (int k = static_cast<int>(r) - 2; k >= 0; --k) is[k] = is[k + 1] * d[k + 1];
  std::vector<double> v = in.AsDoubleVector(), out(v.size());
  std::vector<int64_t> idx(r, 0);
  for (size_t o = 0; o < out.size(); ++o) {
    int64_t off = 0;
    for (size_t k = 0; k < r; ++k) off += idx[k] * is[perm[k]];
    out[o] = v[off];
    for (int k = static_cast<int>(r) - 1; k >= 0; --k) {
      if (++idx[k] < od[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

TEST(TransposeOp, DefaultPermAndSmallCases) {
  Tensor x = Iota({2, 3});
  // Default perm reverses the dims: [[0,1,2],[3,4,5]] -> [[0,3],[1,4],[2,5]].
  ExpectTensor(Run1("Transpose", {&x}), DType::kFloat32, {3, 2}, {0, 3, 1, 4, 2, 5});
  Tensor s = Tensor::Scalar<float>(3);
  ExpectTensor(Run1("Transpose", {&s}), DType::kFloat32, {}, {3});
  Tensor e = Tensor::Zeros(DType::kFloat32, {0, 3});
  ExpectTensor(Run1("Transpose", {&e}), DType::kFloat32, {3, 0}, {});
  EXPECT_NE(RunError("Transpose", {&x}, {AttrInts("perm", {0, 0})}).find("repeated"), std::string::npos);
  EXPECT_NE(RunError("Transpose", {&x}, {AttrInts("perm", {0})}).find("rank"), std::string::npos);
}

TEST(TransposeOp, MatchesNaiveOnSamShapesAndDtypes) {
  struct Case {
    Shape dims;
    std::vector<int64_t> perm;
  };
  // Window partition / merge (SAM ViT, Hiera), NCHW<->NHWC, head split, odd sizes for the
  // blocked path's tile edges.
  const std::vector<Case> cases = {
      {{1, 4, 14, 4, 14, 32}, {0, 1, 3, 2, 4, 5}},
      {{1, 3, 4, 2, 5, 6}, {0, 1, 3, 2, 4, 5}},
      {{2, 37, 3, 4, 16}, {2, 0, 3, 1, 4}},
      {{1, 33, 47, 5}, {0, 3, 1, 2}},
      {{1, 70, 33, 65}, {0, 2, 3, 1}},
      {{3, 45, 67}, {0, 2, 1}},
      {{2, 3, 4, 5}, {3, 1, 0, 2}},
      {{1, 1, 9, 1}, {3, 2, 1, 0}},
  };
  for (DType dt : {DType::kFloat32, DType::kUInt8, DType::kFloat16, DType::kInt64}) {
    for (const auto& c : cases) {
      Tensor x = Iota(c.dims, dt);
      Tensor y = Run1("Transpose", {&x}, {AttrInts("perm", c.perm)});
      Shape od;
      for (int64_t p : c.perm) od.push_back(c.dims[p]);
      SCOPED_TRACE(shape_str(c.dims) + " " + std::string(dtype_name(dt)));
      ExpectTensor(y, dt, od, NaiveTranspose(x, c.perm));
    }
  }
}

TEST(ConcatOp, NegativeAxisEmptyInputsAndInt64) {
  Tensor a = Iota({2, 2}), b = F({2, 1}, {9, 8});
  // axis -1 = 1: rows [0,1,9] and [2,3,8].
  ExpectTensor(Run1("Concat", {&a, &b}, {AttrI("axis", -1)}), DType::kFloat32, {2, 3}, {0, 1, 9, 2, 3, 8});
  Tensor e = Tensor::Zeros(DType::kFloat32, {0, 2});
  ExpectTensor(Run1("Concat", {&e, &a, &e}, {AttrI("axis", 0)}), DType::kFloat32, {2, 2}, {0, 1, 2, 3});
  // The shape-chain pattern: four [1] int64 pieces -> a 4-element shape.
  Tensor p = I64({1}, {1}), q = I64({1}, {-1}), r2 = I64({2}, {14, 14});
  ExpectInt64(Run1("Concat", {&p, &r2, &q}, {AttrI("axis", 0)}), DType::kInt64, {4}, {1, 14, 14, -1});
  EXPECT_NE(RunError("Concat", {&a, &b}, {AttrI("axis", 0)}).find("differs"), std::string::npos);
  EXPECT_NE(RunError("Concat", {&a, &p}, {AttrI("axis", 0)}).find("dtype"), std::string::npos);
  EXPECT_NE(RunError("Concat", {&a, &b}).find("'axis' is required"), std::string::npos);
}

TEST(SplitOp, AttributeInputNumOutputsAndEqual) {
  Tensor x = Iota({2, 5});
  auto run = [&](std::vector<const Tensor*> ins, std::vector<ir::Attribute> attrs, int outs, int64_t opset) {
    auto r = RunNode(MakeNode("Split", static_cast<int>(ins.size()), std::move(attrs), outs), ins, opset);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : std::vector<Tensor>{};
  };
  // Opset 13: split input [2,3] on axis -1.
  Tensor sp = I64({2}, {2, 3});
  auto o = run({&x, &sp}, {AttrI("axis", -1)}, 2, 13);
  ASSERT_EQ(o.size(), 2u);
  ExpectTensor(o[0], DType::kFloat32, {2, 2}, {0, 1, 5, 6});
  ExpectTensor(o[1], DType::kFloat32, {2, 3}, {2, 3, 4, 7, 8, 9});
  // Opset 11: split attribute.
  o = run({&x}, {AttrI("axis", 1), AttrInts("split", {4, 1})}, 2, 11);
  ASSERT_EQ(o.size(), 2u);
  ExpectTensor(o[1], DType::kFloat32, {2, 1}, {4, 9});
  // Opset 18 num_outputs=3 on 5: ceil(5/3) = 2, 2, then the smaller last chunk 1.
  o = run({&x}, {AttrI("axis", 1), AttrI("num_outputs", 3)}, 3, 18);
  ASSERT_EQ(o.size(), 3u);
  ExpectTensor(o[2], DType::kFloat32, {2, 1}, {4, 9});
  ExpectTensor(o[1], DType::kFloat32, {2, 2}, {2, 3, 7, 8});
  // No split: equal parts along axis 0.
  o = run({&x}, {}, 2, 13);
  ASSERT_EQ(o.size(), 2u);
  ExpectTensor(o[1], DType::kFloat32, {1, 5}, {5, 6, 7, 8, 9});
  // The SAM qkv pattern: split [1,1,1] on axis 0 of [3, ...].
  Tensor qkv = Iota({3, 2}), ones = I64({3}, {1, 1, 1});
  o = run({&qkv, &ones}, {}, 3, 13);
  ASSERT_EQ(o.size(), 3u);
  ExpectTensor(o[2], DType::kFloat32, {1, 2}, {4, 5});
  auto bad = RunNode(MakeNode("Split", 1, {AttrI("axis", 1)}, 2), {&x}, 13);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("does not split evenly"), std::string::npos);
  Tensor wrong = I64({2}, {2, 2});
  bad = RunNode(MakeNode("Split", 2, {AttrI("axis", 1)}, 2), {&x, &wrong}, 13);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sums to 4"), std::string::npos);
}

TEST(SliceOp, StepsClampingAndAttributes) {
  Tensor x = Iota({10});
  auto i64 = [](std::vector<int64_t> v) { return I64({static_cast<int64_t>(v.size())}, v); };
  Tensor s = i64({-1}), e = i64({-kMax}), ax = i64({0}), st = i64({-1});
  // torch's x.flip(0): start -1 -> 9, end -INT64_MAX -> clamps to -1, step -1: all ten reversed.
  ExpectTensor(Run1("Slice", {&x, &s, &e, &ax, &st}), DType::kFloat32, {10}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  // start 1, end INT64_MAX -> 10, step 3: 1, 4, 7.
  Tensor s1 = i64({1}), eM = i64({kMax}), st3 = i64({3});
  ExpectTensor(Run1("Slice", {&x, &s1, &eM, &ax, &st3}), DType::kFloat32, {3}, {1, 4, 7});
  // Negative step 2 from 8 down to (excluding) 1: 8, 6, 4, 2.
  Tensor s8 = i64({8}), e1 = i64({1}), stm2 = i64({-2});
  ExpectTensor(Run1("Slice", {&x, &s8, &e1, &ax, &stm2}), DType::kFloat32, {4}, {8, 6, 4, 2});
  // Empty result when start >= end with a positive step.
  ExpectTensor(Run1("Slice", {&x, &s8, &e1}), DType::kFloat32, {0}, {});

  Tensor m = Iota({3, 4});
  // axes [-1, 0] given out of order: columns 1..3 of rows 0..1.
  Tensor ms = i64({1, 0}), me = i64({3, 2}), maxes = i64({-1, 0});
  ExpectTensor(Run1("Slice", {&m, &ms, &me, &maxes}), DType::kFloat32, {2, 2}, {1, 2, 5, 6});
  // Opset 9: attributes (no steps); ends past the dim clamp.
  ExpectTensor(Run1("Slice", {&m}, {AttrInts("starts", {1}), AttrInts("ends", {100}), AttrInts("axes", {1})}, 9),
               DType::kFloat32, {3, 3}, {1, 2, 3, 5, 6, 7, 9, 10, 11});
  Tensor z = i64({0});
  EXPECT_NE(RunError("Slice", {&x, &s1, &eM, &ax, &z}).find("steps must not be 0"), std::string::npos);
  Tensor dupax = i64({0, 0}), two = i64({0, 1});
  EXPECT_NE(RunError("Slice", {&m, &two, &two, &dupax}).find("repeated"), std::string::npos);
}

TEST(SliceOp, MatchesNaiveOn4D) {
  Tensor x = Iota({2, 5, 6, 7}, DType::kInt32);
  auto i64 = [](std::vector<int64_t> v) { return I64({static_cast<int64_t>(v.size())}, v); };
  Tensor s = i64({4, -2, 1}), e = i64({-kMax, 0, 7}), ax = i64({1, 3, 2}), st = i64({-2, -3, 2});
  Tensor y = Run1("Slice", {&x, &s, &e, &ax, &st});
  // axis1: 4,2,0; axis3: start 5 down to >0 by 3 -> 5,2; axis2: 1,3,5.
  const std::vector<int64_t> i1 = {4, 2, 0}, i2 = {1, 3, 5}, i3 = {5, 2};
  std::vector<double> want;
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b : i1)
      for (int64_t c : i2)
        for (int64_t d : i3) want.push_back(static_cast<double>((((a * 5 + b) * 6 + c) * 7 + d) % 251));
  ExpectTensor(y, DType::kInt32, {2, 3, 3, 2}, want);
}

TEST(PadOp, ModesAndForms) {
  Tensor x = F({1, 3}, {1, 2, 3});
  Tensor pads = I64({4}, {0, 2, 0, 1});  // two before and one after on axis 1
  ExpectTensor(Run1("Pad", {&x, &pads}), DType::kFloat32, {1, 6}, {0, 0, 1, 2, 3, 0});
  Tensor cv = Tensor::Scalar<float>(-1);
  ExpectTensor(Run1("Pad", {&x, &pads, &cv}), DType::kFloat32, {1, 6}, {-1, -1, 1, 2, 3, -1});
  // reflect mirrors without the edge: [3,2 | 1,2,3 | 2]; edge repeats it; wrap cycles.
  ExpectTensor(Run1("Pad", {&x, &pads}, {AttrS("mode", "reflect")}), DType::kFloat32, {1, 6}, {3, 2, 1, 2, 3, 2});
  ExpectTensor(Run1("Pad", {&x, &pads}, {AttrS("mode", "edge")}), DType::kFloat32, {1, 6}, {1, 1, 1, 2, 3, 3});
  ExpectTensor(Run1("Pad", {&x, &pads}, {AttrS("mode", "wrap")}, 19), DType::kFloat32, {1, 6}, {2, 3, 1, 2, 3, 1});
  // Negative pads crop: -1 before, +1 after on axis 1 -> [2, 3, 0].
  Tensor crop = I64({4}, {0, -1, 0, 1});
  ExpectTensor(Run1("Pad", {&x, &crop}), DType::kFloat32, {1, 3}, {2, 3, 0});
  // Opset 18 axes input: pads only axis -2 (rows), one row before.
  Tensor p2 = I64({2}, {1, 0}), axes = I64({1}, {-2});
  ExpectTensor(Run1("Pad", {&x, &p2, nullptr, &axes}, {}, 18), DType::kFloat32, {2, 3}, {0, 0, 0, 1, 2, 3});
  // Opset 2: pads and value as attributes.
  ExpectTensor(Run1("Pad", {&x}, {AttrInts("pads", {0, 1, 0, 0}), AttrF("value", 5)}, 2), DType::kFloat32, {1, 4},
               {5, 1, 2, 3});
  // int64 data, 2-D reflect on both axes.
  Tensor m = I64({2, 2}, {1, 2, 3, 4}), p = I64({4}, {1, 1, 1, 1});
  ExpectInt64(Run1("Pad", {&m, &p}, {AttrS("mode", "edge")}), DType::kInt64, {4, 4},
              {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  EXPECT_NE(RunError("Pad", {&x, &pads}, {AttrS("mode", "circular")}).find("not supported"), std::string::npos);
  Tensor short_pads = I64({2}, {1, 1});
  EXPECT_NE(RunError("Pad", {&x, &short_pads}).find("expected 2 x 2"), std::string::npos);
  Tensor e = Tensor::Zeros(DType::kFloat32, {1, 0}), pe = I64({4}, {0, 1, 0, 0});
  EXPECT_NE(RunError("Pad", {&e, &pe}, {AttrS("mode", "edge")}).find("empty axis"), std::string::npos);
  ExpectTensor(Run1("Pad", {&e, &pe}), DType::kFloat32, {1, 1}, {0});
}

TEST(PadOp, WindowPaddingLikeSam) {
  // SAM ViT pads NHWC [1, H, W, C] at the bottom/right to a multiple of the window.
  Tensor x = Iota({1, 3, 2, 4});
  Tensor pads = I64({8}, {0, 0, 0, 0, 0, 1, 2, 0});
  Tensor y = Run1("Pad", {&x, &pads});
  ASSERT_EQ(y.shape(), (Shape{1, 4, 4, 4}));
  const auto v = y.AsDoubleVector();
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t w = 0; w < 4; ++w)
      for (int64_t c = 0; c < 4; ++c) {
        const double want = (h < 3 && w < 2) ? static_cast<double>((h * 2 + w) * 4 + c) : 0.0;
        EXPECT_EQ(v[(h * 4 + w) * 4 + c], want) << h << "," << w << "," << c;
      }
}

TEST(CenterCropPadOp, CropsAndPadsAroundTheCentre) {
  // Axis 0: 5 -> 3 crops floor(2/2) = 1 row in front (rows 1..3); axis 1: 2 -> 5 pads
  // floor(3/2) = 1 zero column in front and 2 behind.
  Tensor x = F({5, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), shape = I64({2}, {3, 5});
  ExpectTensor(Run1("CenterCropPad", {&x, &shape}, {}, 18), DType::kFloat32, {3, 5},
               {0, 2, 3, 0, 0, 0, 4, 5, 0, 0, 0, 6, 7, 0, 0});
  // axes [-1] only: 2 -> 1 crops floor(1/2) = 0 in front, keeping column 0.
  Tensor one = I64({1}, {1});
  ExpectTensor(Run1("CenterCropPad", {&x, &one}, {AttrInts("axes", {-1})}, 18), DType::kFloat32, {5, 1},
               {0, 2, 4, 6, 8});
}

TEST(TileTriluSpaceDepth, Values) {
  Tensor x = F({2, 2}, {1, 2, 3, 4}), rep = I64({2}, {2, 3});
  Tensor t = Run1("Tile", {&x, &rep});
  ASSERT_EQ(t.shape(), (Shape{4, 6}));
  // Row r, column c of the tiled matrix is x[r % 2][c % 2].
  const auto tv = t.AsDoubleVector();
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 6; ++c) EXPECT_EQ(tv[r * 6 + c], 1 + (r % 2) * 2 + (c % 2));
  Tensor zero = I64({2}, {0, 1});
  ExpectTensor(Run1("Tile", {&x, &zero}), DType::kFloat32, {0, 2}, {});

  Tensor m = Iota({3, 3});
  // upper (default) keeps j >= i; lower with k = -1 keeps j <= i - 1.
  ExpectTensor(Run1("Trilu", {&m}), DType::kFloat32, {3, 3}, {0, 1, 2, 0, 4, 5, 0, 0, 8});
  Tensor km1 = Tensor::Scalar<int64_t>(-1);
  ExpectTensor(Run1("Trilu", {&m, &km1}, {AttrI("upper", 0)}), DType::kFloat32, {3, 3}, {0, 0, 0, 3, 0, 0, 6, 7, 0});

  // DepthToSpace DCR on [1,4,1,1] with blocksize 2: channel c = (by*2 + bx) -> pixel (by, bx).
  Tensor d = F({1, 4, 1, 1}, {1, 2, 3, 4});
  ExpectTensor(Run1("DepthToSpace", {&d}, {AttrI("blocksize", 2)}), DType::kFloat32, {1, 1, 2, 2}, {1, 2, 3, 4});
  // SpaceToDepth inverts it; a round trip on a bigger tensor returns the input (CRD and DCR).
  Tensor big = Iota({2, 8, 3, 5});
  for (const char* mode : {"DCR", "CRD"}) {
    Tensor up = Run1("DepthToSpace", {&big}, {AttrI("blocksize", 2), AttrS("mode", mode)});
    ASSERT_EQ(up.shape(), (Shape{2, 2, 6, 10}));
    if (std::string(mode) == "DCR") {
      Tensor back = Run1("SpaceToDepth", {&up}, {AttrI("blocksize", 2)});
      ExpectTensor(back, DType::kFloat32, big.shape(), big.AsDoubleVector());
    }
  }
}

}  // namespace
}  // namespace samq::testing::elem
