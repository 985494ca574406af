// fast.Einsum (src/backends/cpu/fast_einsum.cpp) against ref.Einsum on many equations: plain and
// batched products, transposed operands and outputs, several labels per group, broadcast batch
// dims, labels summed in one operand only, empty sizes, tile tails; SAM's two relative-position
// equations also against ONNX Runtime. And the cases it must decline.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "linalg_test_util.h"
#include "onnx/export.h"
#include "support/fixtures.h"
#include "support/oracle_tools.h"

namespace samq::testing::linalg {
namespace {

ir::Node EinsumNode(const std::string& eq) { return MakeNode("Einsum", 2, {AttrS("equation", eq)}); }

// fast.Einsum and ref.Einsum (double accumulation) agree to float32 summation error.
void ExpectFastMatchesRef(const std::string& eq, const Shape& sa, const Shape& sb, uint32_t seed) {
  SCOPED_TRACE(eq + " " + shape_str(sa) + " , " + shape_str(sb));
  Tensor a = Random(sa, seed), b = Random(sb, seed + 1);
  const Tensor want = Eval1(EinsumNode(eq), {&a, &b}, "ref.Einsum");
  const Tensor got = Eval1(EinsumNode(eq), {&a, &b}, "fast.Einsum");
  ASSERT_TRUE(want.defined() && got.defined());
  ExpectClose(want, got, 1e-5, eq);
}

TEST(FastEinsum, SamRelativePositionEquationsMatchReference) {
  // Windowed (14x14) and global (64x64 at a reduced batch) attention of SAM ViT blocks.
  for (int64_t s : {14, 64}) {
    const int64_t b = s == 14 ? 6 : 2;
    ExpectFastMatchesRef("bhwc,hkc->bhwk", {b, s, s, 64}, {s, s, 64}, 1);
    ExpectFastMatchesRef("bhwc,wkc->bhwk", {b, s, s, 64}, {s, s, 64}, 3);
  }
  // Odd sizes: row tails (M not a multiple of 4 / 8) and column tails (N not a multiple of 16).
  ExpectFastMatchesRef("bhwc,hkc->bhwk", {3, 5, 7, 9}, {5, 13, 9}, 5);
  ExpectFastMatchesRef("bhwc,wkc->bhwk", {3, 5, 7, 9}, {7, 37, 9}, 7);
  ExpectFastMatchesRef("bhwc,wkc->bhwk", {1, 3, 2, 5}, {2, 70, 5}, 9);  // 64 + 6 columns
}

TEST(FastEinsum, GemmLayoutsMatchReference) {
  const std::vector<std::tuple<std::string, Shape, Shape>> cases = {
      {"ij,jk->ik", {17, 33}, {33, 19}},          // plain
      {"ij,kj->ik", {17, 33}, {19, 33}},          // B transposed
      {"ji,jk->ik", {33, 17}, {33, 19}},          // A transposed: K strided in A (gathered)
      {"ij,jk->ki", {17, 33}, {33, 19}},          // transposed output: N strided in Y
      {"ij,jk", {5, 6}, {6, 7}},                  // implicit output
      {"bij,bjk->bik", {3, 9, 10}, {3, 10, 65}},  // batched
      {"bij,bjk->kbi", {3, 9, 10}, {3, 10, 11}},  // batched, permuted output
      {"ibj,jbk->bki", {9, 3, 10}, {10, 3, 11}},  // batch in the middle of both operands
      {"abcd,cde->abe", {2, 3, 4, 5}, {4, 5, 6}}, // two summed labels
      {"abcd,ced->abe", {2, 3, 4, 5}, {4, 6, 5}}, // two summed labels, swapped in B
      {"ab,cd->abcd", {3, 4}, {5, 6}},            // outer product (K empty)
      {"i,i->", {100}, {100}},                    // dot product (M, N empty)
      {"ij,j->i", {7, 40}, {40}},                 // matrix-vector
      {"ij,jk->i", {7, 8}, {8, 9}},               // k summed in B only
      {"ij,k->i", {7, 8}, {9}},                   // j in A only, k in B only
      {"...ij,...jk->...ik", {2, 1, 4, 5}, {3, 5, 6}},  // broadcast batch dims
      {"bij,bjk->bik", {1, 4, 5}, {3, 5, 6}},     // size-1 batch in A broadcast
      {"bij,bjk->bik", {3, 4, 5}, {1, 5, 6}},     // size-1 batch in B: one packed panel
      {"bij,bjk->bik", {3, 9, 10}, {3, 10, 32}},  // B read in place (N a multiple of 16)
      {"bij,bjk->bik", {3, 4, 5}, {1, 5, 16}},    // in place, broadcast batch
      {"ij,jk->ik", {70, 7}, {7, 48}},            // in place, 2-D
      {"ij,jk->ik", {0, 5}, {5, 6}},              // empty output
      {"ij,jk->ik", {4, 0}, {0, 6}},              // empty sum: zeros
  };
  uint32_t seed = 11;
  for (const auto& [eq, sa, sb] : cases) ExpectFastMatchesRef(eq, sa, sb, seed += 2);
}

TEST(FastEinsum, DeclinesWhatItDoesNotHandle) {
  Tensor a = Random({3, 3}, 1), b = Random({3, 3}, 2), c = Random({3, 3}, 3);
  // A diagonal, one operand, three operands: declined, the default choice (ref) still runs.
  const std::vector<std::pair<ir::Node, std::vector<const Tensor*>>> cases = {
      {EinsumNode("ii,ij->ij"), {&a, &b}},
      {MakeNode("Einsum", 1, {AttrS("equation", "ij->ji")}), {&a}},
      {MakeNode("Einsum", 3, {AttrS("equation", "ij,jk,kl->il")}), {&a, &b, &c}}};
  for (const auto& [node, ins] : cases) {
    SCOPED_TRACE(node.attr_string("equation", ""));
    EXPECT_FALSE(Eval(node, ins, "fast.Einsum").ok());
    const Tensor want = Eval1(node, ins, "ref.Einsum");
    ExpectClose(want, Eval1(node, ins), 0, "default choice");
  }
  Tensor ai = elem::I64({2, 2}, {1, 2, 3, 4});
  EXPECT_FALSE(Eval(EinsumNode("ij,jk->ik"), {&ai, &ai}, "fast.Einsum").ok());
}

// ONNX Runtime on a one-node Einsum model: the oracle for SAM's shapes.
TEST(FastEinsum, SamEquationsMatchOnnxRuntime) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("samq_fast_einsum_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* eq : {"bhwc,hkc->bhwk", "bhwc,wkc->bhwk"}) {
    SCOPED_TRACE(eq);
    const int64_t b = 3, s = 14, c = 64;
    ir::Model m;
    m.opsets = {{"", 17}};
    m.producer_name = "samq-tests";
    m.graph.name = "einsum";
    auto value = [](const std::string& name, const Shape& dims) {
      ir::ValueInfo v;
      v.name = name;
      v.dtype = DType::kFloat32;
      v.has_shape = true;
      for (int64_t d : dims) v.dims.push_back({d, ""});
      return v;
    };
    m.graph.inputs = {value("q", {b, s, s, c}), value("r", {s, s, c})};
    m.graph.outputs = {value("y", {b, s, s, s})};
    ir::Node n = EinsumNode(eq);
    n.inputs = {"q", "r"};
    n.outputs = {"y"};
    m.graph.nodes = {n};
    const fs::path path = dir / "einsum.onnx";
    ASSERT_TRUE(onnx::SaveModel(m, path).ok());
    Tensor q = Random({b, s, s, c}, 21), r = Random({s, s, c}, 22);
    auto ort = RunOrt(path.string(), {{"q", q}, {"r", r}});
    if (!ort.available) {
      if (InCi()) FAIL() << "python3/onnxruntime missing: " << ort.err;
      GTEST_SKIP() << "onnxruntime not available";
    }
    ASSERT_EQ(ort.exit_code, 0) << ort.err;
    ASSERT_EQ(ort.outputs.count("y"), 1u);
    ExpectClose(ort.outputs.at("y"), Eval1(n, {&q, &r}, "fast.Einsum"), 1e-5, "vs ORT");
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace samq::testing::linalg
