// fast.Transpose, fast.Split, fast.Slice and fast.Pad (src/backends/cpu/fast_transpose.cpp,
// fast_split_slice.cpp, fast_pad.cpp) against ref.Transpose / ref.Split / ref.Slice / ref.Pad:
// the exact shapes of the SAM 2.1 Hiera-tiny, SAM ViT-B and MobileSAM encoders (the runtime
// shapes of their data-movement nodes at 1024x1024 input, listed by a value tap over a session
// run), seeded random shapes and permutations of rank 1-6 with size-1 and empty axes, every element
// size (uint8/int8/bool, float16, float32/int32, int64), negative axes, and the argument forms of
// each opset. These kernels only move bytes, so every comparison is bit-exact (memcmp, which also
// checks that NaN payloads in the random bit patterns pass through unchanged).
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Random bit patterns of every byte (so float inputs include NaNs and infinities).
Tensor RandomBits(DType dt, const Shape& s, uint32_t seed) {
  Tensor t = Tensor::Zeros(dt, s);
  std::mt19937 gen(seed);
  auto* p = static_cast<uint8_t*>(t.raw());
  const size_t n = t.nbytes();
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t v = gen();
    std::memcpy(p + i, &v, 4);
  }
  for (; i < n; ++i) p[i] = static_cast<uint8_t>(gen());
  if (dt == DType::kBool)  // bools hold 0 or 1
    for (size_t k = 0; k < n; ++k) p[k] &= 1;
  return t;
}

Tensor Ints(std::vector<int64_t> v) { return Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v); }

void ExpectSameBytes(const Tensor& want, const Tensor& got, const std::string& what) {
  ASSERT_TRUE(want.defined()) << what;
  ASSERT_TRUE(got.defined()) << what;
  EXPECT_EQ(want.dtype(), got.dtype()) << what;
  ASSERT_EQ(want.shape(), got.shape()) << what;
  if (want.nbytes() > 0) {
    EXPECT_EQ(std::memcmp(want.raw(), got.raw(), want.nbytes()), 0) << what << ": bytes differ";
  }
}

// Runs `node` on ref.<Op> and fast.<Op> (the fast candidate must accept it) and compares every
// output. `constant_inputs` = false gives the kernel factory no input values, as for inputs
// computed at run time.
void ExpectFastMatchesRef(const ir::Node& node, const std::vector<const Tensor*>& inputs, const std::string& what,
                          int64_t opset = 17, bool constant_inputs = true) {
  SCOPED_TRACE(what);
  auto want = Eval(node, inputs, "ref." + node.op_type, opset, constant_inputs);
  auto got = Eval(node, inputs, "fast." + node.op_type, opset, constant_inputs);
  ASSERT_TRUE(want.ok()) << want.status().message();
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(want.value().size(), got.value().size());
  for (size_t i = 0; i < want.value().size(); ++i) {
    if (node.outputs[i].empty()) continue;
    ExpectSameBytes(want.value()[i], got.value()[i], what + " output " + std::to_string(i));
  }
}

std::string Describe(const Shape& s, const std::vector<int64_t>& v, DType dt = DType::kFloat32) {
  std::string out = shape_str(s) + " [";
  for (int64_t x : v) out += std::to_string(x) + ",";
  return out + "] " + std::string(dtype_name(dt));
}

ir::Node TransposeNode(const std::vector<int64_t>& perm) { return MakeNode("Transpose", 1, {AttrInts("perm", perm)}); }

// ---- Transpose ----------------------------------------------------------------------------

TEST(FastTranspose, EncoderShapesMatchReference) {
  const std::vector<std::pair<Shape, std::vector<int64_t>>> cases = {
      // SAM 2.1 Hiera-tiny: NCHW <-> NHWC per stage, window partition / merge, head splits, K^T.
      {{1, 96, 256, 256}, {0, 2, 3, 1}},       {{1, 256, 256, 96}, {0, 3, 1, 2}},
      {{1, 256, 256, 192}, {0, 3, 1, 2}},      {{1, 192, 128, 128}, {0, 2, 3, 1}},
      {{1, 128, 128, 384}, {0, 3, 1, 2}},      {{1, 384, 64, 64}, {0, 2, 3, 1}},
      {{1, 64, 64, 768}, {0, 3, 1, 2}},        {{1, 768, 32, 32}, {0, 2, 3, 1}},
      {{1, 32, 8, 32, 8, 96}, {0, 1, 3, 2, 4, 5}}, {{1, 32, 32, 8, 8, 96}, {0, 1, 3, 2, 4, 5}},
      {{1, 32, 4, 32, 4, 192}, {0, 1, 3, 2, 4, 5}}, {{1, 32, 32, 2, 2, 384}, {0, 1, 3, 2, 4, 5}},
      {{1, 5, 14, 5, 14, 384}, {0, 1, 3, 2, 4, 5}}, {{1, 5, 7, 5, 7, 768}, {0, 1, 3, 2, 4, 5}},
      {{1024, 64, 1, 96}, {0, 2, 1, 3}},       {{1024, 64, 1, 96}, {0, 2, 3, 1}},
      {{1024, 64, 2, 96}, {0, 2, 1, 3}},       {{1024, 64, 2, 96}, {0, 2, 3, 1}},
      {{1024, 16, 4, 96}, {0, 2, 3, 1}},       {{1024, 4, 4, 96}, {0, 2, 1, 3}},
      {{1024, 8, 8, 192}, {0, 3, 1, 2}},       {{1024, 192, 4, 4}, {0, 2, 3, 1}},
      {{1024, 4, 4, 384}, {0, 3, 1, 2}},       {{1024, 384, 2, 2}, {0, 2, 3, 1}},
      {{1, 4096, 4, 96}, {0, 2, 1, 3}},        {{1, 4096, 4, 96}, {0, 2, 3, 1}},
      {{25, 196, 4, 96}, {0, 2, 3, 1}},        {{25, 196, 8, 96}, {0, 2, 1, 3}},
      {{25, 49, 8, 96}, {0, 2, 3, 1}},         {{25, 14, 14, 768}, {0, 3, 1, 2}},
      {{25, 768, 7, 7}, {0, 2, 3, 1}},
      // SAM ViT-B: qkv head split, window attention output, window partition.
      {{25, 196, 3, 12, 64}, {2, 0, 3, 1, 4}}, {{1, 4096, 3, 12, 64}, {2, 0, 3, 1, 4}},
      {{25, 12, 14, 14, 64}, {0, 2, 3, 1, 4}}, {{1, 12, 64, 64, 64}, {0, 2, 3, 1, 4}},
      {{1, 5, 5, 14, 14, 768}, {0, 1, 3, 2, 4, 5}}, {{1, 768, 64, 64}, {0, 2, 3, 1}},
      // MobileSAM (TinyViT): token <-> channel layouts, windows of 7 and 14.
      {{25, 196, 5, 32}, {0, 2, 1, 3}},        {{25, 196, 5, 32}, {0, 2, 3, 1}},
      {{1, 160, 4096}, {0, 2, 1}},             {{1, 4096, 160}, {0, 2, 1}},
      {{1, 128, 16384}, {0, 2, 1}},            {{1, 16384, 128}, {0, 2, 1}},
      {{361, 49, 4, 32}, {0, 2, 3, 1}},        {{100, 49, 10, 32}, {0, 2, 3, 1}},
      {{1, 19, 7, 19, 7, 128}, {0, 1, 3, 2, 4, 5}}, {{1, 10, 7, 10, 7, 320}, {0, 1, 3, 2, 4, 5}},
      {{1, 128, 128, 128}, {0, 3, 1, 2}},
  };
  uint32_t seed = 1;
  for (const auto& [shape, perm] : cases) {
    Tensor x = RandomBits(DType::kFloat32, shape, seed++);
    ExpectFastMatchesRef(TransposeNode(perm), {&x}, Describe(shape, perm));
  }
}

TEST(FastTranspose, RandomShapesPermutationsAndDtypes) {
  // Sizes around the 16-element tile: 1 (dropped), ragged edges, full tiles, and sizes that
  // leave a dim of the 2-D problem under 16 (the scalar loop).
  const std::vector<int64_t> sizes = {1, 1, 2, 3, 5, 7, 15, 16, 17, 33};
  const std::vector<DType> dtypes = {DType::kFloat32, DType::kUInt8, DType::kInt8, DType::kFloat16,
                                     DType::kInt64, DType::kBool, DType::kInt32, DType::kBFloat16};
  std::mt19937 gen(42);
  uint32_t seed = 100;
  for (int rank = 1; rank <= 6; ++rank) {
    for (int i = 0; i < 40; ++i) {
      Shape s(rank);
      int64_t numel = 1;
      for (auto& d : s) {
        d = sizes[gen() % sizes.size()];
        if (numel * d > (1 << 17)) d = 1;  // keep each case small
        numel *= d;
      }
      std::vector<int64_t> perm(rank);
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), gen);
      const DType dt = dtypes[(rank * 40 + i) % dtypes.size()];
      Tensor x = RandomBits(dt, s, seed++);
      ExpectFastMatchesRef(TransposeNode(perm), {&x}, Describe(s, perm, dt));
    }
  }
}

TEST(FastTranspose, EdgeCases) {
  Tensor m = RandomBits(DType::kFloat32, {5, 40, 3}, 7);
  // Default perm (reverse), negative perm entries, identity, scalar, empty tensors.
  ExpectFastMatchesRef(MakeNode("Transpose", 1), {&m}, "default perm");
  ExpectFastMatchesRef(TransposeNode({-1, 0, -2}), {&m}, "negative perm");
  ExpectFastMatchesRef(TransposeNode({0, 1, 2}), {&m}, "identity");
  Tensor s = RandomBits(DType::kFloat32, {}, 8);
  ExpectFastMatchesRef(MakeNode("Transpose", 1), {&s}, "scalar");
  for (const Shape& e : std::vector<Shape>{{0, 3}, {2, 0, 4}, {3, 1, 0}}) {
    Tensor x = Tensor::Zeros(DType::kFloat32, e);
    std::vector<int64_t> perm(e.size());
    std::iota(perm.rbegin(), perm.rend(), 0);
    ExpectFastMatchesRef(TransposeNode(perm), {&x}, "empty " + shape_str(e));
  }
  // Size-1 dims around a plain copy and around a transpose.
  Tensor o = RandomBits(DType::kUInt8, {1, 7, 1, 33, 1}, 9);
  ExpectFastMatchesRef(TransposeNode({2, 0, 1, 4, 3}), {&o}, "size-1 dims, copy");
  ExpectFastMatchesRef(TransposeNode({4, 3, 2, 1, 0}), {&o}, "size-1 dims, transpose");
}

TEST(FastTranspose, KeptMemoryOrderIsAViewOfTheInput) {
  // [B, N, 1, C] -> [B, 1, N, C] moves nothing: the output shares the input's buffer.
  Tensor x = RandomBits(DType::kFloat32, {8, 64, 1, 96}, 11);
  auto got = Eval(TransposeNode({0, 2, 1, 3}), {&x}, "fast.Transpose");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value()[0].buffer(), x.buffer());
  EXPECT_EQ(got.value()[0].shape(), (Shape{8, 1, 64, 96}));
}

// ---- Split --------------------------------------------------------------------------------

ir::Node SplitNode(int64_t axis, int outputs, std::vector<ir::Attribute> more = {}) {
  more.push_back(AttrI("axis", axis));
  return MakeNode("Split", 2, std::move(more), outputs);
}

TEST(FastSplit, EncoderShapesMatchReference) {
  // Hiera's qkv split along axis 2, ViT-B's along axis 0 (views), MobileSAM's along the last axis.
  const std::vector<std::pair<Shape, int64_t>> cases = {
      {{1024, 64, 3, 1, 96}, 2}, {{1024, 64, 3, 2, 96}, 2}, {{1024, 16, 3, 4, 96}, 2},
      {{1024, 16, 3, 2, 96}, 2}, {{1, 4096, 3, 4, 96}, 2},  {{25, 196, 3, 4, 96}, 2},
      {{25, 196, 3, 8, 96}, 2},  {{25, 49, 3, 8, 96}, 2},   {{3, 300, 196, 64}, 0},
      {{3, 12, 4096, 64}, 0},    {{25, 196, 5, 96}, 3},     {{361, 49, 4, 96}, 3},
      {{100, 49, 10, 96}, 3}};
  uint32_t seed = 200;
  for (const auto& [shape, axis] : cases) {
    Tensor x = RandomBits(DType::kFloat32, shape, seed++);
    const int64_t third = shape[axis] / 3;
    Tensor split = Ints({third, third, third});
    ExpectFastMatchesRef(SplitNode(axis, 3), {&x, &split}, Describe(shape, {axis}));
  }
}

TEST(FastSplit, AxesSizesOutputsAndDtypes) {
  const std::vector<DType> dtypes = {DType::kFloat32, DType::kUInt8, DType::kFloat16, DType::kInt64};
  uint32_t seed = 300;
  for (const Shape& shape : std::vector<Shape>{{12, 7, 5}, {1, 1, 12, 3}, {6, 1}, {2, 3, 4, 5, 6, 2}}) {
    const int64_t rank = static_cast<int64_t>(shape.size());
    for (int64_t axis = -rank; axis < rank; ++axis) {
      const int64_t n = shape[axis < 0 ? axis + rank : axis];
      const DType dt = dtypes[seed % dtypes.size()];
      Tensor x = RandomBits(dt, shape, seed++);
      // Uneven sizes with an empty piece, as an input (constant or computed at run time).
      Tensor split = Ints({n / 2, 0, n - n / 2});
      ExpectFastMatchesRef(SplitNode(axis, 3), {&x, &split}, Describe(shape, {axis}, dt) + " split");
      ExpectFastMatchesRef(SplitNode(axis, 3), {&x, &split}, Describe(shape, {axis}, dt) + " runtime split", 17, false);
      // Even split without the input, and opset 18's num_outputs with a smaller last piece.
      if (n % 2 == 0) ExpectFastMatchesRef(MakeNode("Split", 1, {AttrI("axis", axis)}, 2), {&x}, "even");
      if (n >= 3 && n - 2 * ((n + 2) / 3) > 0)  // ceil(n / 3) twice leaves a non-empty last piece
        ExpectFastMatchesRef(MakeNode("Split", 1, {AttrI("axis", axis), AttrI("num_outputs", 3)}, 3), {&x},
                             "num_outputs", 18);
    }
  }
}

TEST(FastSplit, UnusedOutputsEmptyInputsAndViews) {
  Tensor x = RandomBits(DType::kFloat32, {4, 9, 5}, 400);
  Tensor split = Ints({2, 3, 4});
  for (int64_t axis : {0, 1}) {
    Tensor s = axis == 0 ? Ints({1, 1, 2}) : split;
    ir::Node node = SplitNode(axis, 3);
    node.outputs[1].clear();  // an output nobody reads
    ExpectFastMatchesRef(node, {&x, &s}, "unused output, axis " + std::to_string(axis));
  }
  Tensor e = Tensor::Zeros(DType::kFloat32, {0, 6});
  Tensor halves = Ints({3, 3});
  ExpectFastMatchesRef(SplitNode(1, 2), {&e, &halves}, "empty outer");
  Tensor e2 = Tensor::Zeros(DType::kFloat32, {6, 0});
  ExpectFastMatchesRef(SplitNode(0, 2), {&e2, &halves}, "empty inner");
  // Along the first axis each output is a piece of the input's buffer.
  Tensor q = RandomBits(DType::kFloat32, {3, 4, 16}, 401);
  Tensor ones = Ints({1, 1, 1});
  auto got = Eval(SplitNode(0, 3), {&q, &ones}, "fast.Split");
  ASSERT_TRUE(got.ok());
  for (const Tensor& t : got.value()) EXPECT_EQ(t.buffer(), q.buffer());
}

// ---- Slice --------------------------------------------------------------------------------

ir::Node SliceNode() { return MakeNode("Slice", 5); }

TEST(FastSlice, EncoderShapesMatchReference) {
  // Window unpadding: H (a contiguous piece: a view), then W (rows).
  const std::vector<std::tuple<Shape, int64_t, int64_t>> cases = {
      {{1, 70, 70, 384}, 1, 64}, {{1, 64, 70, 384}, 2, 64}, {{1, 35, 35, 768}, 1, 32},
      {{1, 32, 35, 768}, 2, 32}, {{1, 70, 70, 768}, 1, 64}, {{1, 64, 70, 768}, 2, 64},
      {{1, 70, 70, 160}, 1, 64}, {{1, 64, 70, 160}, 2, 64}, {{1, 133, 133, 128}, 1, 128},
      {{1, 128, 133, 128}, 2, 128}};
  uint32_t seed = 500;
  for (const auto& [shape, axis, end] : cases) {
    Tensor x = RandomBits(DType::kFloat32, shape, seed++);
    Tensor st = Ints({0}), en = Ints({end}), ax = Ints({axis}), one = Ints({1});
    ExpectFastMatchesRef(SliceNode(), {&x, &st, &en, &ax, &one}, Describe(shape, {axis, end}));
    ExpectFastMatchesRef(SliceNode(), {&x, &st, &en, &ax, &one}, Describe(shape, {axis, end}) + " runtime", 17, false);
  }
  // Hiera's reversed pads list: int64 [6, 2] sliced with step -1 (runtime steps: the strided loop).
  Tensor pads = RandomBits(DType::kInt64, {4, 2}, 510);
  Tensor st = Ints({-1}), en = Ints({-kMax}), ax = Ints({0}), back = Ints({-1});
  ExpectFastMatchesRef(SliceNode(), {&pads, &st, &en, &ax, &back}, "reverse", 17, false);
}

TEST(FastSlice, RandomStartsEndsAxesAndDtypes) {
  std::mt19937 gen(7);
  const std::vector<int64_t> points = {-kMax, -100, -9, -3, -1, 0, 1, 2, 5, 8, 100, kMax};
  const std::vector<DType> dtypes = {DType::kFloat32, DType::kUInt8, DType::kFloat16, DType::kInt64};
  uint32_t seed = 600;
  for (int i = 0; i < 120; ++i) {
    const int rank = 1 + static_cast<int>(gen() % 5);
    Shape s(rank);
    for (auto& d : s) d = 1 + static_cast<int64_t>(gen() % 9);
    // Slice a random subset of the axes, in random order, with negative axis numbers sometimes.
    std::vector<int64_t> axes(rank);
    std::iota(axes.begin(), axes.end(), 0);
    std::shuffle(axes.begin(), axes.end(), gen);
    axes.resize(1 + gen() % rank);
    std::vector<int64_t> starts, ends;
    for (auto& a : axes) {
      starts.push_back(points[gen() % points.size()]);
      ends.push_back(points[gen() % points.size()]);
      if (gen() % 2) a -= rank;
    }
    const DType dt = dtypes[i % dtypes.size()];
    Tensor x = RandomBits(dt, s, seed++);
    Tensor st = Ints(starts), en = Ints(ends), ax = Ints(axes), one = Ints(std::vector<int64_t>(axes.size(), 1));
    const std::string what = Describe(s, starts, dt) + " ends " + Describe({}, ends) + " axes " + Describe({}, axes);
    ExpectFastMatchesRef(SliceNode(), {&x, &st, &en, &ax, &one}, what);
    ExpectFastMatchesRef(MakeNode("Slice", 4), {&x, &st, &en, &ax}, what + " no steps", 17, false);
    // Other steps are known only at run time here: the kernel copies through the strided loop.
    std::vector<int64_t> steps;
    for (size_t k = 0; k < axes.size(); ++k) steps.push_back(std::vector<int64_t>{-3, -1, 2, 3}[gen() % 4]);
    Tensor stp = Ints(steps);
    ExpectFastMatchesRef(SliceNode(), {&x, &st, &en, &ax, &stp}, what + " steps", 17, false);
  }
}

TEST(FastSlice, AttributeFormDefaultsEmptyAndViews) {
  Tensor m = RandomBits(DType::kFloat32, {6, 10, 3}, 700);
  // Opset 9: attributes; without axes they are the leading ones.
  ExpectFastMatchesRef(MakeNode("Slice", 1, {AttrInts("starts", {1, -4}), AttrInts("ends", {5, kMax})}), {&m},
                       "attributes", 9);
  ExpectFastMatchesRef(
      MakeNode("Slice", 1, {AttrInts("starts", {2}), AttrInts("ends", {100}), AttrInts("axes", {-1})}), {&m},
      "attributes, axes", 9);
  Tensor s = Ints({1}), e = Ints({4});
  ExpectFastMatchesRef(MakeNode("Slice", 3), {&m, &s, &e}, "default axes");
  Tensor e0 = Ints({1});
  ExpectFastMatchesRef(MakeNode("Slice", 3), {&m, &s, &e0}, "empty result");
  // A slice that keeps a contiguous half or more of the input is a view of it; a smaller one is a
  // copy (it would otherwise keep the whole buffer alive). Both match the reference.
  Tensor big = Ints({0}), bige = Ints({4}), small = Ints({2}), ax0 = Ints({0});
  auto view = Eval(MakeNode("Slice", 4), {&m, &big, &bige, &ax0}, "fast.Slice");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view.value()[0].buffer(), m.buffer());
  auto copy = Eval(MakeNode("Slice", 4), {&m, &big, &small, &ax0}, "fast.Slice");
  ASSERT_TRUE(copy.ok());
  EXPECT_NE(copy.value()[0].buffer(), m.buffer());
  ExpectFastMatchesRef(MakeNode("Slice", 4), {&m, &big, &small, &ax0}, "small contiguous piece");
  // Slicing a view (non-zero offset into its buffer), as Split -> Slice chains do in a session.
  Tensor end6 = Ints({6});
  const Tensor piece = view.value()[0];  // rows 0-3 of m, a view
  Tensor mid = Ints({1});
  auto inner = Eval(MakeNode("Slice", 4), {&piece, &mid, &end6, &ax0}, "fast.Slice");
  ASSERT_TRUE(inner.ok());
  auto want = Eval(MakeNode("Slice", 4), {&m, &mid, &bige, &ax0}, "ref.Slice");
  ASSERT_TRUE(want.ok());
  ExpectSameBytes(want.value()[0], inner.value()[0], "slice of a view");
}

TEST(FastSlice, DeclinesConstantStepsOtherThanOne) {
  Tensor x = RandomBits(DType::kFloat32, {8}, 800);
  Tensor s = Ints({0}), e = Ints({8}), ax = Ints({0}), two = Ints({2}), one = Ints({1});
  EXPECT_EQ(DeclineReason(SliceNode(), {&x, &s, &e, &ax, &two}, {false, true, true, true, true}, "fast.Slice"),
            "steps other than 1");
  EXPECT_EQ(DeclineReason(SliceNode(), {&x, &s, &e, &ax, &one}, {false, true, true, true, true}, "fast.Slice"), "");
}

// ---- Pad ----------------------------------------------------------------------------------

TEST(FastPad, EncoderShapesMatchReference) {
  // Window padding of the last two spatial dims of [1, H, W, C] up to a multiple of the window.
  const std::vector<std::pair<Shape, int64_t>> cases = {
      {{1, 64, 64, 384}, 6}, {{1, 32, 32, 768}, 3}, {{1, 64, 64, 768}, 6}, {{1, 64, 64, 160}, 6},
      {{1, 64, 64, 320}, 6}, {{1, 128, 128, 128}, 5}};
  uint32_t seed = 900;
  for (const auto& [shape, p] : cases) {
    Tensor x = RandomBits(DType::kFloat32, shape, seed++);
    Tensor pads = Ints({0, 0, 0, 0, 0, p, p, 0});
    Tensor value = Tensor::Scalar<float>(0.0f);
    ExpectFastMatchesRef(MakeNode("Pad", 3, {AttrS("mode", "constant")}), {&x, &pads, &value}, shape_str(shape));
    ExpectFastMatchesRef(MakeNode("Pad", 2), {&x, &pads}, shape_str(shape) + " runtime pads", 17, false);
  }
}

TEST(FastPad, RandomPadsCropsValuesAndDtypes) {
  std::mt19937 gen(11);
  const std::vector<DType> dtypes = {DType::kFloat32, DType::kUInt8, DType::kInt8, DType::kFloat16, DType::kInt64};
  const ir::Node with_value = MakeNode("Pad", 3), zero = MakeNode("Pad", 2);
  uint32_t seed = 1000;
  for (int i = 0; i < 120; ++i) {
    const int rank = 1 + static_cast<int>(gen() % 5);
    Shape s(rank);
    for (auto& d : s) d = 1 + static_cast<int64_t>(gen() % 6);
    // Pads in [-2, 3], but never cropping an axis below zero; some axes left unpadded.
    std::vector<int64_t> begin(rank), end(rank);
    for (int k = 0; k < rank; ++k) {
      if (gen() % 3 == 0) continue;
      begin[k] = static_cast<int64_t>(gen() % 6) - 2;
      end[k] = static_cast<int64_t>(gen() % 6) - 2;
      while (s[k] + std::min<int64_t>(begin[k], 0) + std::min<int64_t>(end[k], 0) < 0) ++begin[k], ++end[k];
    }
    std::vector<int64_t> pv = begin;
    pv.insert(pv.end(), end.begin(), end.end());
    const DType dt = dtypes[i % dtypes.size()];
    Tensor x = RandomBits(dt, s, seed++);
    Tensor pads = Ints(pv);
    Tensor value = RandomBits(dt, {}, seed++);
    const std::string what = Describe(s, pv, dt);
    ExpectFastMatchesRef(with_value, {&x, &pads, &value}, what + " value");
    ExpectFastMatchesRef(zero, {&x, &pads}, what + " zero", 17, false);
  }
}

TEST(FastPad, ArgumentFormsAndEdgeCases) {
  Tensor x = RandomBits(DType::kFloat32, {3, 4, 5}, 1100);
  // Opset 2-10: pads and value as attributes; opset 1: 'paddings'.
  ExpectFastMatchesRef(MakeNode("Pad", 1, {AttrInts("pads", {0, 1, 2, 1, 0, 3}), AttrF("value", 1.5f)}), {&x},
                       "attributes", 2);
  ExpectFastMatchesRef(MakeNode("Pad", 1, {AttrInts("paddings", {1, 0, 0, 0, 2, 1})}), {&x}, "paddings", 1);
  // Opset 18: the axes input (negative axes) pads only the listed axes.
  Tensor pads = Ints({2, -1, 1, 3}), axes = Ints({-1, 0}), value = Tensor::Scalar<float>(-7.0f);
  ExpectFastMatchesRef(MakeNode("Pad", 4), {&x, &pads, &value, &axes}, "axes", 18);
  // An empty input padded into a tensor of constants; an output cropped to nothing; a scalar.
  Tensor e = Tensor::Zeros(DType::kFloat32, {0, 3});
  Tensor pe = Ints({1, 0, 1, 2});
  ExpectFastMatchesRef(MakeNode("Pad", 3), {&e, &pe, &value}, "empty input");
  Tensor crop = Ints({0, -2, 0, -2});
  Tensor y = RandomBits(DType::kFloat32, {2, 4}, 1101);
  ExpectFastMatchesRef(MakeNode("Pad", 2), {&y, &crop}, "cropped to nothing");
  Tensor s = RandomBits(DType::kFloat32, {}, 1102);
  Tensor none = Tensor::Zeros(DType::kInt64, {0});
  ExpectFastMatchesRef(MakeNode("Pad", 2), {&s, &none}, "scalar");
  // Other modes decline to ref.Pad.
  Tensor p = Ints({1, 1, 1, 1, 1, 1});
  for (const char* mode : {"reflect", "edge", "wrap"})
    EXPECT_EQ(DeclineReason(MakeNode("Pad", 2, {AttrS("mode", mode)}), {&x, &p}, {false, true}, "fast.Pad"),
              std::string("mode '") + mode + "'; supported: constant");
}

}  // namespace
}  // namespace samq::testing::linalg

// ---- Expand and Concat that copy nothing (fast_identity_views.cpp) ---------------------------

namespace samq::testing::linalg {
namespace {

TEST(FastIdentityViews, ExpandAndConcatMatchReference) {
  uint32_t seed = 900;
  // Expand to as many elements (leading 1s, the input's own dims): a view; real broadcasts run
  // the reference. Run-time shape input (constant_inputs = false), as in the decoder export.
  const std::vector<std::pair<Shape, std::vector<int64_t>>> expands = {
      {{1, 256, 4, 4}, {1, 1, 256, 4, 4}}, {{2, 3}, {2, 3}}, {{3, 1}, {3, 4}}, {{1, 5}, {2, 1, 5}}};
  for (const auto& [in, target] : expands) {
    const Tensor x = RandomBits(DType::kFloat32, in, seed++);
    const Tensor shape = Ints(target);
    ExpectFastMatchesRef(MakeNode("Expand", 2), {&x, &shape}, "Expand " + Describe(in, target), 17, false);
  }
  const Tensor a = RandomBits(DType::kFloat32, {2, 3, 4}, seed++), b = RandomBits(DType::kFloat32, {2, 5, 4}, seed++);
  ExpectFastMatchesRef(MakeNode("Concat", 1, {AttrI("axis", 1)}), {&a}, "Concat of one input");
  ExpectFastMatchesRef(MakeNode("Concat", 2, {AttrI("axis", 1)}), {&a, &b}, "Concat of two inputs");
}

TEST(FastIdentityViews, SameSizeExpandAndOneInputConcatShareTheInputBuffer) {
  const Tensor x = RandomBits(DType::kFloat32, {1, 8, 2}, 7);
  const Tensor shape = Ints({1, 1, 8, 2});
  auto e = Eval(MakeNode("Expand", 2), {&x, &shape}, "fast.Expand", 17, false);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e.value()[0].raw(), x.raw());
  EXPECT_EQ(e.value()[0].shape(), (Shape{1, 1, 8, 2}));
  auto c = Eval(MakeNode("Concat", 1, {AttrI("axis", 0)}), {&x}, "fast.Concat");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c.value()[0].raw(), x.raw());
}

}  // namespace
}  // namespace samq::testing::linalg
