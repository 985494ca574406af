// Static (compile-time) shape inference of the shape / data-movement ops and Resize: unknown
// dims (-1), unknown ranks and inputs whose values are not known yet must give the most precise
// partial answer and never crash or fail. EvaluateNode only exercises the run-time case (all
// values known), so these call the schemas' infer functions directly.
#include <gtest/gtest.h>

#include "backends/registry.h"
#include "runtime/kernel.h"
#include "runtime/op_registry.h"

namespace samq::testing {
namespace {

using rt::TensorType;

TensorType Known(DType d, Shape dims) { return {d, true, std::move(dims)}; }
TensorType NoRank(DType d) { return {d, false, {}}; }

struct InferResult {
  Status status;
  std::vector<TensorType> outputs;
};

// Runs op's infer with these input types; `values[i]` non-null where the value is known.
InferResult Infer(const std::string& op, std::vector<TensorType> types, std::vector<const Tensor*> values,
                  std::vector<ir::Attribute> attrs = {}, int num_outputs = 1, int64_t opset = 17) {
  ir::Node n;
  n.name = "n";
  n.op_type = op;
  for (size_t i = 0; i < types.size(); ++i) n.inputs.push_back(types[i].dtype == DType::kUndefined && !types[i].rank_known ? "" : "i" + std::to_string(i));
  for (int i = 0; i < num_outputs; ++i) n.outputs.push_back("o" + std::to_string(i));
  n.attributes = std::move(attrs);
  values.resize(types.size(), nullptr);
  const rt::OpSchema* s = backends::DefaultRegistry().Find("", op);
  EXPECT_NE(s, nullptr) << op;
  rt::InferContext ctx(n, opset, types, values);
  InferResult r;
  r.status = s->infer(ctx);
  r.outputs = ctx.output_types();
  return r;
}

ir::Attribute Ints(const std::string& name, std::vector<int64_t> v) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kInts;
  a.ints = std::move(v);
  return a;
}
ir::Attribute Str(const std::string& name, const std::string& v) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kString;
  a.s = v;
  return a;
}
ir::Attribute Int(const std::string& name, int64_t v) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kInt;
  a.i = v;
  return a;
}

void ExpectDims(const InferResult& r, const Shape& dims, int out = 0) {
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_TRUE(r.outputs[out].rank_known);
  EXPECT_EQ(r.outputs[out].dims, dims) << shape_str(r.outputs[out].dims);
}
void ExpectNoRank(const InferResult& r, int out = 0) {
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_FALSE(r.outputs[out].rank_known);
}

const TensorType kI64Vec3 = Known(DType::kInt64, {3});
const TensorType kI64Vec1 = Known(DType::kInt64, {1});

TEST(ShapeInference, SliceWithUnknownEndsKeepsOtherDims) {
  // SAM's un-pad: Slice(x, [0], ends (from a Shape chain), axes [-2], steps [1]).
  Tensor starts = Tensor::FromVector<int64_t>({1}, {0}), axes = Tensor::FromVector<int64_t>({1}, {-2});
  Tensor steps = Tensor::FromVector<int64_t>({1}, {1});
  auto r = Infer("Slice", {Known(DType::kFloat32, {1, 70, 70, 768}), kI64Vec1, kI64Vec1, kI64Vec1, kI64Vec1},
                 {nullptr, &starts, nullptr, &axes, &steps});
  ExpectDims(r, {1, 70, -1, 768});
  // Unknown axes: any dim may change.
  r = Infer("Slice", {Known(DType::kFloat32, {2, 3}), kI64Vec1, kI64Vec1, kI64Vec1}, {nullptr, &starts, &starts});
  ExpectDims(r, {-1, -1});
  // All known but an unknown input dim on the sliced axis.
  Tensor e = Tensor::FromVector<int64_t>({1}, {5}), ax0 = Tensor::FromVector<int64_t>({1}, {0});
  r = Infer("Slice", {Known(DType::kFloat32, {-1, 8}), kI64Vec1, kI64Vec1, kI64Vec1}, {nullptr, &starts, &e, &ax0});
  ExpectDims(r, {-1, 8});
}

TEST(ShapeInference, ReshapeAndViews) {
  Tensor spec = Tensor::FromVector<int64_t>({2}, {0, -1});
  ExpectDims(Infer("Reshape", {Known(DType::kFloat32, {2, -1, 4}), Known(DType::kInt64, {2})}, {nullptr, &spec}),
             {2, -1});
  ExpectDims(Infer("Reshape", {Known(DType::kFloat32, {2, 3, 4}), Known(DType::kInt64, {2})}, {nullptr, &spec}),
             {2, 12});
  // Shape value unknown, its length known: rank 3, dims unknown.
  ExpectDims(Infer("Reshape", {Known(DType::kFloat32, {2, 3, 4}), kI64Vec3}, {}), {-1, -1, -1});
  ExpectNoRank(Infer("Reshape", {Known(DType::kFloat32, {2}), Known(DType::kInt64, {-1})}, {}));
  // Input rank unknown: dims the spec states outright survive.
  Tensor spec2 = Tensor::FromVector<int64_t>({3}, {-1, 14, 0});
  ExpectDims(Infer("Reshape", {NoRank(DType::kFloat32), kI64Vec3}, {nullptr, &spec2}), {-1, 14, -1});
  ExpectDims(Infer("Shape", {NoRank(DType::kFloat32)}, {}), {-1});
  ExpectDims(Infer("Flatten", {Known(DType::kFloat32, {2, -1, 4})}, {}), {2, -1});
  ExpectNoRank(Infer("Squeeze", {Known(DType::kFloat32, {1, -1, 3})}, {}, {}, 1, 13));
  Tensor ax = Tensor::FromVector<int64_t>({1}, {0});
  ExpectDims(Infer("Squeeze", {Known(DType::kFloat32, {1, -1, 3}), kI64Vec1}, {nullptr, &ax}, {}, 1, 13), {-1, 3});
  ExpectNoRank(Infer("Unsqueeze", {Known(DType::kFloat32, {2}), kI64Vec1}, {}, {}, 1, 13));
  ExpectDims(Infer("Unsqueeze", {Known(DType::kInt64, {}), kI64Vec1}, {nullptr, &ax}, {}, 1, 13), {1});
}

TEST(ShapeInference, ConcatSplitPadExpand) {
  auto r = Infer("Concat", {Known(DType::kFloat32, {2, -1}), Known(DType::kFloat32, {-1, 3})}, {}, {Int("axis", 1)});
  ExpectDims(r, {2, -1});
  r = Infer("Concat", {Known(DType::kInt64, {1}), Known(DType::kInt64, {2}), NoRank(DType::kInt64)}, {}, {Int("axis", 0)});
  ExpectDims(r, {-1});
  r = Infer("Concat", {Known(DType::kFloat32, {2, 4}), Known(DType::kFloat32, {3, 4})}, {}, {Int("axis", 1)});
  EXPECT_FALSE(r.status.ok());
  // Split with a non-constant split input: the axis dim is unknown in every output.
  r = Infer("Split", {Known(DType::kFloat32, {6, 4}), Known(DType::kInt64, {2})}, {}, {Int("axis", 0)}, 2, 13);
  ExpectDims(r, {-1, 4}, 0);
  ExpectDims(r, {-1, 4}, 1);
  // Equal split of a known dim even when others are unknown.
  r = Infer("Split", {Known(DType::kFloat32, {-1, 9})}, {}, {Int("axis", -1)}, 3, 13);
  ExpectDims(r, {-1, 3}, 2);
  // Pad with pads computed at run time (SAM window padding): rank known, dims not.
  ExpectDims(Infer("Pad", {Known(DType::kFloat32, {1, 64, 64, 768}), Known(DType::kInt64, {8})}, {}),
             {-1, -1, -1, -1});
  Tensor pads = Tensor::FromVector<int64_t>({4}, {0, 1, 0, 2});
  ExpectDims(Infer("Pad", {Known(DType::kFloat32, {-1, 5}), Known(DType::kInt64, {4})}, {nullptr, &pads}), {-1, 8});
  ExpectDims(Infer("Expand", {Known(DType::kFloat32, {3, 1}), kI64Vec3}, {}), {-1, -1, -1});
  Tensor es = Tensor::FromVector<int64_t>({2}, {-1, 2});
  EXPECT_FALSE(Infer("Expand", {Known(DType::kFloat32, {3, 1}), Known(DType::kInt64, {2})}, {nullptr, &es}).status.ok());
  ExpectDims(Infer("ConstantOfShape", {kI64Vec3}, {}), {-1, -1, -1});
  ExpectDims(Infer("Range", {Known(DType::kInt64, {}), Known(DType::kInt64, {}), Known(DType::kInt64, {})}, {}), {-1});
  ExpectDims(Infer("Transpose", {NoRank(DType::kFloat32)}, {}, {Ints("perm", {0, 2, 1})}), {-1, -1, -1});
  ExpectDims(Infer("Gather", {Known(DType::kInt64, {4}), Known(DType::kInt64, {})}, {}), {});
}

TEST(ShapeInference, ResizeWithUnknownSizesOrDims) {
  const TensorType x = Known(DType::kFloat32, {1, 256, -1, 32});
  const TensorType none{};  // omitted optional input
  // EfficientViT: sizes from a Concat -> unknown values: every dim unknown, rank kept.
  ExpectDims(Infer("Resize", {x, none, none, Known(DType::kInt64, {4})}, {}, {Str("mode", "cubic")}), {-1, -1, -1, -1});
  // Known scales on partly unknown input dims.
  Tensor sc = Tensor::FromVector<float>({4}, {1, 1, 2, 2});
  ExpectDims(Infer("Resize", {x, none, Known(DType::kFloat32, {4})}, {nullptr, nullptr, &sc}), {1, 256, -1, 64});
  // Known sizes fix the output whatever the input dims.
  Tensor sz = Tensor::FromVector<int64_t>({4}, {1, 256, 64, 64});
  ExpectDims(Infer("Resize", {x, none, none, Known(DType::kInt64, {4})}, {nullptr, nullptr, nullptr, &sz}),
             {1, 256, 64, 64});
  // Opset 11: an empty scales tensor (type [0]) means "absent" even before values are known.
  ExpectDims(Infer("Resize", {x, Known(DType::kFloat32, {0}), Known(DType::kFloat32, {0}), Known(DType::kInt64, {4})},
                   {nullptr, nullptr, nullptr, &sz}, {}, 1, 11),
             {1, 256, 64, 64});
  EXPECT_FALSE(Infer("Resize", {x, none, Known(DType::kFloat32, {4})}, {nullptr, nullptr, &sc},
                     {Str("mode", "bicubic")}).status.ok());
  ExpectNoRank(Infer("Resize", {NoRank(DType::kFloat32), none, Known(DType::kFloat32, {4})}, {}));
}

}  // namespace
}  // namespace samq::testing
