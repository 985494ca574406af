// Shape-only and constant-making ops (Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze,
// Identity, Constant, ConstantOfShape, Range, EyeLike, Expand) and the gather/scatter family,
// on hand-derived values. Each expectation says how it follows from the ONNX definition.
#include <limits>

#include "elementwise_test_util.h"

namespace samq::testing::elem {
namespace {

ir::Attribute AttrT(const std::string& name, Tensor t) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kTensor;
  a.t = std::move(t);
  return a;
}

// Arange 0..n-1 as float32 in `shape`.
Tensor Iota(Shape shape) {
  Tensor t = Tensor::Zeros(DType::kFloat32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

std::vector<double> IotaD(int64_t n, double start = 0) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + i;
  return v;
}

TEST(ShapeOp, StartEndAndScalars) {
  Tensor x = Tensor::Zeros(DType::kFloat32, {2, 3, 4, 5});
  ExpectInt64(Run1("Shape", {&x}), DType::kInt64, {4}, {2, 3, 4, 5});
  // Shape-15: start=1, end=-1 -> dims [1, 3) = 3, 4.
  ExpectInt64(Run1("Shape", {&x}, {AttrI("start", 1), AttrI("end", -1)}, 15), DType::kInt64, {2}, {3, 4});
  // Out-of-range start/end clamp to [0, rank]; start > end gives an empty shape.
  ExpectInt64(Run1("Shape", {&x}, {AttrI("start", -10), AttrI("end", 100)}, 15), DType::kInt64, {4}, {2, 3, 4, 5});
  ExpectInt64(Run1("Shape", {&x}, {AttrI("start", 3), AttrI("end", 1)}, 15), DType::kInt64, {0}, {});
  Tensor s = Tensor::Scalar<float>(1);
  ExpectInt64(Run1("Shape", {&s}), DType::kInt64, {0}, {});
  ExpectInt64(Run1("Size", {&x}), DType::kInt64, {}, {120});
  Tensor e = Tensor::Zeros(DType::kInt64, {3, 0});
  ExpectInt64(Run1("Size", {&e}), DType::kInt64, {}, {0});
  ExpectInt64(Run1("Size", {&s}), DType::kInt64, {}, {1});
}

TEST(ReshapeOp, ZeroMinusOneAllowzeroAndView) {
  Tensor x = Iota({2, 3, 4});
  Tensor spec = I64({3}, {0, -1, 2});  // 0 copies 2; -1 = 24 / (2*2) = 6
  Tensor y = Run1("Reshape", {&x, &spec});
  ExpectTensor(y, DType::kFloat32, {2, 6, 2}, IotaD(24));
  EXPECT_EQ(y.raw(), x.raw()) << "Reshape returns a view sharing the input buffer";
  Tensor flat = I64({1}, {-1});
  ExpectTensor(Run1("Reshape", {&x, &flat}), DType::kFloat32, {24}, IotaD(24));
  // Scalar <-> [1].
  Tensor s = Tensor::Scalar<float>(7), one = I64({1}, {1}), none = I64({0}, {});
  ExpectTensor(Run1("Reshape", {&s, &one}), DType::kFloat32, {1}, {7});
  ExpectTensor(Run1("Reshape", {&one, &none}), DType::kInt64, {}, {1});
  // allowzero=1: a 0 in the shape is a real 0 (empty input only).
  Tensor e = Tensor::Zeros(DType::kFloat32, {0, 4}), z = I64({2}, {4, 0});
  ExpectTensor(Run1("Reshape", {&e, &z}, {AttrI("allowzero", 1)}), DType::kFloat32, {4, 0}, {});
  // allowzero=0: the same 0 copies input dim 1 (4) -> [4, 4] != 0 elements: error.
  EXPECT_NE(RunError("Reshape", {&e, &z}).find("cannot reshape"), std::string::npos);
  Tensor two_neg = I64({2}, {-1, -1}), bad = I64({2}, {5, -1});
  EXPECT_NE(RunError("Reshape", {&x, &two_neg}).find("more than one -1"), std::string::npos);
  EXPECT_NE(RunError("Reshape", {&x, &bad}).find("cannot reshape"), std::string::npos);
  Tensor zm = I64({2}, {0, -1});
  EXPECT_NE(RunError("Reshape", {&x, &zm}, {AttrI("allowzero", 1)}).find("both 0 and -1"), std::string::npos);
  // Opset 1-4: shape as an attribute.
  ExpectTensor(Run1("Reshape", {&x}, {AttrInts("shape", {4, 6})}, 4), DType::kFloat32, {4, 6}, IotaD(24));
}

TEST(FlattenOp, Axes) {
  Tensor x = Iota({2, 3, 4});
  ExpectTensor(Run1("Flatten", {&x}), DType::kFloat32, {2, 12}, IotaD(24));  // default axis 1
  ExpectTensor(Run1("Flatten", {&x}, {AttrI("axis", 0)}), DType::kFloat32, {1, 24}, IotaD(24));
  ExpectTensor(Run1("Flatten", {&x}, {AttrI("axis", 3)}), DType::kFloat32, {24, 1}, IotaD(24));
  ExpectTensor(Run1("Flatten", {&x}, {AttrI("axis", -1)}), DType::kFloat32, {6, 4}, IotaD(24));
  EXPECT_NE(RunError("Flatten", {&x}, {AttrI("axis", 4)}).find("out of range"), std::string::npos);
}

TEST(SqueezeUnsqueeze, AttributeAndInputForms) {
  Tensor x = Iota({1, 3, 1, 2});
  // Opset 13: axes as input, negative allowed (-2 = axis 2).
  Tensor ax = I64({2}, {0, -2});
  ExpectTensor(Run1("Squeeze", {&x, &ax}, {}, 13), DType::kFloat32, {3, 2}, IotaD(6));
  // Opset 11: axes attribute.
  ExpectTensor(Run1("Squeeze", {&x}, {AttrInts("axes", {2})}, 11), DType::kFloat32, {1, 3, 2}, IotaD(6));
  // No axes: every size-1 dim goes; [1] -> scalar.
  ExpectTensor(Run1("Squeeze", {&x}, {}, 13), DType::kFloat32, {3, 2}, IotaD(6));
  Tensor o = F({1}, {5});
  ExpectTensor(Run1("Squeeze", {&o}, {}, 13), DType::kFloat32, {}, {5});
  Tensor bad = I64({1}, {1});
  EXPECT_NE(RunError("Squeeze", {&x, &bad}, {}, 13).find("not 1"), std::string::npos);

  // Unsqueeze a scalar (the shape-chain pattern Gather -> Unsqueeze -> Concat): [] -> [1].
  Tensor s = Tensor::Scalar<int64_t>(9), a0 = I64({1}, {0});
  ExpectInt64(Run1("Unsqueeze", {&s, &a0}, {}, 13), DType::kInt64, {1}, {9});
  // Axes index the output rank: [3,2] with axes {0, -1} -> [1,3,2,1]; {1, 3} -> [3,1,2,1].
  Tensor y = Iota({3, 2}), a1 = I64({2}, {0, -1});
  ExpectTensor(Run1("Unsqueeze", {&y, &a1}, {}, 13), DType::kFloat32, {1, 3, 2, 1}, IotaD(6));
  ExpectTensor(Run1("Unsqueeze", {&y}, {AttrInts("axes", {3, 1})}, 11), DType::kFloat32, {3, 1, 2, 1}, IotaD(6));
  Tensor dup = I64({2}, {1, 1}), far = I64({1}, {3});
  EXPECT_NE(RunError("Unsqueeze", {&y, &dup}, {}, 13).find("repeated"), std::string::npos);
  EXPECT_NE(RunError("Unsqueeze", {&y, &far}, {}, 13).find("out of range"), std::string::npos);
}

TEST(IdentityOp, SharesBuffer) {
  Tensor x = I32({2}, {1, 2});
  Tensor y = Run1("Identity", {&x});
  ExpectInt64(y, DType::kInt32, {2}, {1, 2});
  EXPECT_EQ(y.raw(), x.raw());
}

TEST(ConstantOp, EveryValueAttribute) {
  ExpectTensor(Run1("Constant", {}, {AttrT("value", F({2}, {1.5f, 2}))}), DType::kFloat32, {2}, {1.5, 2});
  ExpectTensor(Run1("Constant", {}, {AttrF("value_float", 0.25f)}), DType::kFloat32, {}, {0.25});
  ir::Attribute fs;
  fs.name = "value_floats";
  fs.type = ir::AttrType::kFloats;
  fs.floats = {1, 2, 3};
  ExpectTensor(Run1("Constant", {}, {fs}), DType::kFloat32, {3}, {1, 2, 3});
  ExpectInt64(Run1("Constant", {}, {AttrI("value_int", -4)}), DType::kInt64, {}, {-4});
  ExpectInt64(Run1("Constant", {}, {AttrInts("value_ints", {7, 8})}), DType::kInt64, {2}, {7, 8});
  EXPECT_NE(RunError("Constant", {}, {AttrS("value_string", "hi")}).find("string constants are not supported"),
            std::string::npos);
  EXPECT_NE(RunError("Constant", {}, {}).find("has none of the attributes"), std::string::npos);
}

TEST(ConstantOfShapeOp, DefaultValueDtypeAndScalar) {
  Tensor shape = I64({2}, {2, 3});
  ExpectTensor(Run1("ConstantOfShape", {&shape}), DType::kFloat32, {2, 3}, std::vector<double>(6, 0));
  ExpectInt64(Run1("ConstantOfShape", {&shape}, {AttrT("value", I64({1}, {7}))}), DType::kInt64, {2, 3},
              std::vector<int64_t>(6, 7));
  // An empty shape gives a scalar; a 0 dim an empty tensor.
  Tensor none = I64({0}, {}), zero = I64({2}, {0, 5});
  ExpectTensor(Run1("ConstantOfShape", {&none}, {AttrT("value", F({1}, {2.5f}))}), DType::kFloat32, {}, {2.5});
  ExpectTensor(Run1("ConstantOfShape", {&zero}), DType::kFloat32, {0, 5}, {});
  Tensor neg = I64({1}, {-1});
  EXPECT_NE(RunError("ConstantOfShape", {&neg}).find("negative"), std::string::npos);
}

TEST(RangeOp, IntFloatNegativeAndEmpty) {
  auto i64 = [](int64_t v) { return Tensor::Scalar<int64_t>(v); };
  Tensor a = i64(0), b = i64(10), c = i64(3);
  // ceil((10 - 0) / 3) = 4 elements: 0, 3, 6, 9.
  ExpectInt64(Run1("Range", {&a, &b, &c}), DType::kInt64, {4}, {0, 3, 6, 9});
  Tensor d = i64(10), e = i64(4), f = i64(-2);  // ceil(-6 / -2) = 3: 10, 8, 6
  ExpectInt64(Run1("Range", {&d, &e, &f}), DType::kInt64, {3}, {10, 8, 6});
  ExpectInt64(Run1("Range", {&b, &a, &c}), DType::kInt64, {0}, {});  // wrong direction: empty
  Tensor fs = Tensor::Scalar<float>(1), fl = Tensor::Scalar<float>(2), fd = Tensor::Scalar<float>(0.25f);
  ExpectTensor(Run1("Range", {&fs, &fl, &fd}), DType::kFloat32, {4}, {1, 1.25, 1.5, 1.75});
  Tensor z = i64(0);
  EXPECT_NE(RunError("Range", {&a, &b, &z}).find("delta is 0"), std::string::npos);
  Tensor mixed = Tensor::Scalar<int32_t>(1);
  EXPECT_NE(RunError("Range", {&a, &mixed, &c}).find("one dtype"), std::string::npos);
}

TEST(EyeLikeOp, DiagonalOffsetAndDtype) {
  Tensor x = Tensor::Zeros(DType::kFloat32, {3, 4});
  // k = 1: ones at (0,1), (1,2), (2,3).
  ExpectTensor(Run1("EyeLike", {&x}, {AttrI("k", 1)}), DType::kFloat32, {3, 4}, {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
  ExpectInt64(Run1("EyeLike", {&x}, {AttrI("dtype", 7), AttrI("k", -2)}), DType::kInt64, {3, 4},
              {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0});
}

TEST(ExpandOp, BidirectionalBroadcast) {
  Tensor x = F({3, 1}, {1, 2, 3}), shape = I64({3}, {2, 1, 2});
  // [3,1] against [2,1,2] -> [2,3,2]: the shape's 1 keeps x's 3 (bidirectional).
  ExpectTensor(Run1("Expand", {&x, &shape}), DType::kFloat32, {2, 3, 2}, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  Tensor s = Tensor::Scalar<int64_t>(4), sh = I64({2}, {2, 2});
  ExpectInt64(Run1("Expand", {&s, &sh}), DType::kInt64, {2, 2}, {4, 4, 4, 4});
  // [3,1] against [2,1]: 3 vs 2 cannot broadcast.
  Tensor bad = I64({2}, {2, 1});
  EXPECT_NE(RunError("Expand", {&x, &bad}).find("cannot expand"), std::string::npos);
  // A 0 in the shape against a 1 in the input gives an empty output: [1,3] x [0,1] -> [0,3].
  Tensor row = F({1, 3}, {1, 2, 3}), empty = I64({2}, {0, 1});
  ExpectTensor(Run1("Expand", {&row, &empty}), DType::kFloat32, {0, 3}, {});
}

TEST(GatherOp, NegativeIndicesAxesAndScalarIndex) {
  Tensor x = Iota({3, 4});
  // Scalar index on axis 0 removes the axis: row 2.
  Tensor s = Tensor::Scalar<int64_t>(2);
  ExpectTensor(Run1("Gather", {&x, &s}), DType::kFloat32, {4}, {8, 9, 10, 11});
  // Negative index -1 = last row; indices [2,1] on axis 1 -> shape [3,2,1].
  Tensor neg = I64({1}, {-1});
  ExpectTensor(Run1("Gather", {&x, &neg}), DType::kFloat32, {1, 4}, {8, 9, 10, 11});
  Tensor cols = I32({2, 1}, {3, -4});  // columns 3 and 0
  ExpectTensor(Run1("Gather", {&x, &cols}, {AttrI("axis", -1)}), DType::kFloat32, {3, 2, 1}, {3, 0, 7, 4, 11, 8});
  // The shape-chain pattern: int64 dims vector, index 0.
  Tensor dims = I64({4}, {1, 256, 64, 64}), z = Tensor::Scalar<int64_t>(0);
  ExpectInt64(Run1("Gather", {&dims, &z}), DType::kInt64, {}, {1});
  Tensor empty = I64({0}, {});
  ExpectTensor(Run1("Gather", {&x, &empty}), DType::kFloat32, {0, 4}, {});
  Tensor oob = I64({1}, {3});
  EXPECT_NE(RunError("Gather", {&x, &oob}).find("out of range"), std::string::npos);
}

TEST(GatherElementsOp, PicksAlongAxis) {
  Tensor x = F({2, 2}, {1, 2, 3, 4});
  // ONNX example: axis 1, indices [[0,0],[1,0]] -> [[1,1],[4,3]].
  Tensor idx = I64({2, 2}, {0, 0, 1, 0});
  ExpectTensor(Run1("GatherElements", {&x, &idx}, {AttrI("axis", 1)}), DType::kFloat32, {2, 2}, {1, 1, 4, 3});
  // axis 0 with a negative index: out[0][j] = x[idx][j]; -1 = row 1.
  Tensor idx0 = I64({1, 2}, {-1, 0});
  ExpectTensor(Run1("GatherElements", {&x, &idx0}), DType::kFloat32, {1, 2}, {3, 2});
}

TEST(GatherNDOp, TuplesAndBatchDims) {
  Tensor x = Iota({2, 2, 2});
  // Tuples of length 2 pick rows: (0,1) -> [2,3], (1,0) -> [4,5].
  Tensor idx = I64({2, 2}, {0, 1, 1, 0});
  ExpectTensor(Run1("GatherND", {&x, &idx}), DType::kFloat32, {2, 2}, {2, 3, 4, 5});
  // batch_dims=1: batch b picks x[b][i]: b0 -> x[0][1] = [2,3], b1 -> x[1][0] = [4,5].
  Tensor bidx = I64({2, 1}, {1, 0});
  ExpectTensor(Run1("GatherND", {&x, &bidx}, {AttrI("batch_dims", 1)}), DType::kFloat32, {2, 2}, {2, 3, 4, 5});
}

TEST(ScatterOps, NDAndElementsWithReductions) {
  Tensor x = F({4}, {1, 2, 3, 4}), idx = I64({2, 1}, {3, -4}), upd = F({2}, {10, 20});
  // Positions 3 and 0 are replaced; with add they accumulate.
  ExpectTensor(Run1("ScatterND", {&x, &idx, &upd}), DType::kFloat32, {4}, {20, 2, 3, 10});
  ExpectTensor(Run1("ScatterND", {&x, &idx, &upd}, {AttrS("reduction", "add")}, 16), DType::kFloat32, {4},
               {21, 2, 3, 14});
  Tensor m = F({2, 2}, {1, 2, 3, 4}), ei = I64({1, 2}, {1, 0}), eu = F({1, 2}, {7, 8});
  // axis 0: out[ei[0][j]][j] = eu[0][j] -> (1,0)=7, (0,1)=8.
  ExpectTensor(Run1("ScatterElements", {&m, &ei, &eu}), DType::kFloat32, {2, 2}, {1, 8, 7, 4});
  ExpectTensor(Run1("ScatterElements", {&m, &ei, &eu}, {AttrS("reduction", "max")}, 18), DType::kFloat32, {2, 2},
               {1, 8, 7, 4});
  ExpectTensor(Run1("ScatterElements", {&m, &ei, &eu}, {AttrS("reduction", "mul")}, 18), DType::kFloat32, {2, 2},
               {1, 16, 21, 4});
}

}  // namespace
}  // namespace samq::testing::elem
