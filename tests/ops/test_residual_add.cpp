// The addend inputs passes/fuse_residual_add gives a producer: com.samq QMatMul input 8 and
// com.samq RowGather input 2, y = f(x) + r. The oracle is the unfused pair: the same kernel
// without the addend, then y + r in float32 (fast.Add's arithmetic, which commutes exactly). Both
// the reference and the fast kernels must give those bits exactly (the fused graph equals the
// unfused one); bad addends (other shape, other type, with GELU or requantized output) are errors.
#include "backends/registry.h"
#include "linalg_test_util.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/graph_builders.h"
#include "support/session_run.h"

namespace samq::testing::linalg {
namespace {

// want + r elementwise, as the unfused Add computes it.
Tensor Plus(const Tensor& want, const Tensor& r) {
  Tensor y = Tensor::Zeros(DType::kFloat32, want.shape());
  for (int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = want.data<float>()[i] + r.data<float>()[i];
  return y;
}

// An addend with exact zeros of both signs, so 0 + (-0) = +0 is exercised too.
Tensor Addend(const Shape& shape, uint32_t seed) {
  Tensor r = Random(shape, seed, 3.0f);
  for (int64_t i = 0; i < r.numel(); i += 7) r.data<float>()[i] = (i / 7) % 2 ? -0.0f : 0.0f;
  return r;
}

struct QMatMulCase {
  Shape x;
  int64_t n;
  bool u8, bias;
};

TEST(ResidualAdd, QMatMulAddendEqualsTheUnfusedAdd) {
  uint32_t seed = 7;
  for (const QMatMulCase& c : {QMatMulCase{{64, 128}, 96, true, true}, QMatMulCase{{3, 37, 40}, 33, false, true},
                               QMatMulCase{{1, 1}, 1, true, false}, QMatMulCase{{130, 64}, 160, false, false}}) {
    SCOPED_TRACE(shape_str(c.x) + " N " + std::to_string(c.n));
    const int64_t k = c.x.back();
    const Tensor x = Random(c.x, seed += 10, 1.5f);
    const Tensor xs = Tensor::Scalar<float>(c.u8 ? 7.0f / 255 : 3.5f / 127);
    const Tensor xz = c.u8 ? Tensor::Scalar<uint8_t>(131) : Tensor::Scalar<int8_t>(-5);
    const Tensor w = RandomInt8({k, c.n}, seed + 1);
    Tensor ws = Random({c.n}, seed + 2, 0.002f);
    for (int64_t i = 0; i < c.n; ++i) ws.data<float>()[i] = std::fabs(ws.data<float>()[i]) + 0.004f;
    const Tensor b = Random({c.n}, seed + 3);
    Shape out = c.x;
    out.back() = c.n;
    const Tensor r = Addend(out, seed + 4);
    const std::vector<const Tensor*> plain{&x, &xs, &xz, &w, &ws, c.bias ? &b : nullptr};
    std::vector<const Tensor*> fused = plain;
    fused.insert(fused.end(), {nullptr, nullptr, &r});  // no output quantization (6, 7)
    const std::string fast = CandidateName("QMatMul", c.u8 ? "onednn.qmatmul_u8s8_" : "onednn.qmatmul_s8s8_");
    ASSERT_FALSE(fast.empty());
    for (const std::string& kernel : {std::string("ref.QMatMul"), fast}) {
      const Tensor want = Plus(Eval1(SamqOpNode("QMatMul", 6), plain, kernel), r);
      const Tensor got = Eval1(SamqOpNode("QMatMul", 9), fused, kernel);
      ASSERT_EQ(got.shape(), want.shape()) << kernel;
      EXPECT_EQ(CountDiffering(want, got), 0) << kernel;
    }
  }
}

TEST(ResidualAdd, QMatMulAddendErrors) {
  const Tensor x = Random({4, 16}, 1), xs = Tensor::Scalar<float>(0.03f), xz = Tensor::Scalar<uint8_t>(128);
  const Tensor w = RandomInt8({16, 8}, 2), ws = Tensor::Scalar<float>(0.01f);
  const Tensor ys = Tensor::Scalar<float>(0.1f), yz = Tensor::Scalar<uint8_t>(3);
  const Tensor r = Random({4, 8}, 3), wrong = Random({4, 9}, 4);
  const Tensor ints = Tensor::Zeros(DType::kInt32, {4, 8});
  auto error = [&](const std::string& op, std::vector<const Tensor*> ins) {
    auto out = Eval(SamqOpNode(op, 9), ins, "ref." + op);
    return out.ok() ? std::string("no error") : out.status().message();
  };
  EXPECT_NE(error("QMatMul", {&x, &xs, &xz, &w, &ws, nullptr, nullptr, nullptr, &wrong}).find("differ in shape"),
            std::string::npos);
  EXPECT_NE(error("QMatMul", {&x, &xs, &xz, &w, &ws, nullptr, nullptr, nullptr, &ints}).find("float32 expected"),
            std::string::npos);
  EXPECT_NE(error("QMatMul", {&x, &xs, &xz, &w, &ws, nullptr, &ys, &yz, &r}).find("float32 output"),
            std::string::npos);
  EXPECT_NE(error("QMatMulGelu", {&x, &xs, &xz, &w, &ws, nullptr, nullptr, nullptr, &r}).find("QMatMul's only"),
            std::string::npos);
  // The oneDNN candidates decline what they cannot fuse rather than compute something else.
  const std::string fast = CandidateName("QMatMul", "onednn.qmatmul_u8s8_");
  EXPECT_NE(DeclineReason(SamqOpNode("QMatMul", 9), {&x, &xs, &xz, &w, &ws, nullptr, &ys, &yz, &r},
                          {false, true, true, true, true, true, true, true, false}, fast),
            "");
}

ir::Node Gather(const std::vector<std::string>& in, const Shape& shape) {
  ir::Node n = GraphNode("RowGather", in, "y", {AttrInts("shape", shape)});
  n.domain = "com.samq";
  return n;
}

TEST(ResidualAdd, RowGatherAddendEqualsTheUnfusedAdd) {
  const Tensor x = Random({5, 24}, 11);
  const Tensor rows = Tensor::FromVector<int64_t>({7}, {4, -1, 0, 0, 2, -1, 3});
  Tensor r = Addend({7, 24}, 12);
  r.data<float>()[1 * 24 + 3] = -0.0f;  // on the zero row
  for (const char* kernel : {"ref.RowGather", "fast.RowGather"}) {
    SCOPED_TRACE(kernel);
    const Tensor want = Plus(Eval1(Gather({"x", "rows"}, {7, 24}), {&x, &rows}, kernel), r);
    const Tensor got = Eval1(Gather({"x", "rows", "r"}, {7, 24}), {&x, &rows, &r}, kernel);
    ASSERT_EQ(got.shape(), want.shape());
    EXPECT_EQ(CountDiffering(want, got), 0);
    // A zero row plus -0 is +0, as the unfused Add gives, not the addend's -0 copied.
    EXPECT_EQ(got.data<float>()[1 * 24 + 3], 0.0f);
    EXPECT_FALSE(std::signbit(got.data<float>()[1 * 24 + 3]));
  }
  // Errors: an addend of another shape or type, a non-float gather.
  const Tensor wrong = Random({7, 23}, 13);
  const Tensor ints = Tensor::Zeros(DType::kInt32, {5, 24});
  for (const char* kernel : {"ref.RowGather", "fast.RowGather"}) {
    auto bad_shape = Eval(Gather({"x", "rows", "r"}, {7, 24}), {&x, &rows, &wrong}, kernel);
    ASSERT_FALSE(bad_shape.ok());
    EXPECT_NE(bad_shape.status().message().find("differ in shape"), std::string::npos) << bad_shape.status().message();
    auto bad_type = Eval(Gather({"x", "rows", "r"}, {7, 24}), {&ints, &rows, &r}, kernel);
    ASSERT_FALSE(bad_type.ok());
    EXPECT_NE(bad_type.status().message().find("float32"), std::string::npos) << bad_type.status().message();
  }
}

// x [1, 6, 6, C] -> window partition (padded to 8 x 8, 4 x 4 windows) -> Relu -> unpartition
// and crop -> + x: the attention half of a windowed block with Relu for the attention.
ir::Model WindowedResidualModel(int64_t c) {
  auto i64 = [](std::vector<int64_t> v) { return Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v); };
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.inputs = {FloatValue("x", {1, 6, 6, c})};
  m.graph.outputs = {FloatValueAnyShape("y")};
  auto& init = m.graph.initializers;
  init["pads"] = i64({0, 0, 0, 0, 0, 2, 2, 0});
  init["split"] = i64({1, 2, 4, 2, 4, c});
  init["windows"] = i64({-1, 4, 4, c});
  init["back"] = i64({1, 2, 2, 4, 4, c});
  init["grid"] = i64({1, 8, 8, c});
  init["zero"] = i64({0});
  init["six"] = i64({6});
  init["ax1"] = i64({1});
  init["ax2"] = i64({2});
  const std::vector<int64_t> swap{0, 1, 3, 2, 4, 5};
  m.graph.nodes = {GraphNode("Pad", {"x", "pads"}, "p"),
                   GraphNode("Reshape", {"p", "split"}, "s"),
                   GraphNode("Transpose", {"s"}, "t", {AttrInts("perm", swap)}),
                   GraphNode("Reshape", {"t", "windows"}, "win"),
                   GraphNode("Relu", {"win"}, "act"),
                   GraphNode("Reshape", {"act", "back"}, "b"),
                   GraphNode("Transpose", {"b"}, "u", {AttrInts("perm", swap)}),
                   GraphNode("Reshape", {"u", "grid"}, "g"),
                   GraphNode("Slice", {"g", "zero", "six", "ax1"}, "c1"),
                   GraphNode("Slice", {"c1", "zero", "six", "ax2"}, "c2"),
                   GraphNode("Add", {"x", "c2"}, "y")};
  return m;
}

TEST(ResidualAdd, WindowUnpartitionAndAddFuseWithTheSameBits) {
  const Tensor x = Random({1, 6, 6, 32}, 21);
  rt::SessionOptions off = FusionTestOptions(true);
  off.fuse_residual_add = false;
  const SessionRun want = RunSession(WindowedResidualModel(32), {{"x", x}}, off);
  ASSERT_TRUE(want.y.defined());
  EXPECT_EQ(want.Count("Add"), 1);
  for (bool ref_only : {false, true}) {
    const SessionRun got = RunSession(WindowedResidualModel(32), {{"x", x}}, FusionTestOptions(ref_only));
    ASSERT_TRUE(got.y.defined());
    EXPECT_EQ(got.Count("Add"), 0) << "the Add folds into the unpartition gather";
    EXPECT_EQ(got.Count("RowGather"), 2);
    EXPECT_EQ(CountDiffering(want.y, got.y), 0) << (ref_only ? "ref" : "fast");
  }
}

}  // namespace
}  // namespace samq::testing::linalg
