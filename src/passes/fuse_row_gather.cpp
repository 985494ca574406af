#include "passes/fuse_row_gather.h"

#include <vector>

#include "passes/node_readers.h"

namespace samq::passes {
namespace {

constexpr int64_t kMinRowElements = 16;
constexpr int64_t kMaxProbeElements = int64_t{1} << 24;  // float32 holds every integer below this

bool IsRowMoveCandidate(const ir::Graph& g, const ir::Node& n) {
  static const char* const kOps[] = {"Pad", "Reshape", "Transpose", "Slice", "Squeeze", "Unsqueeze"};
  if (!n.domain.empty() || n.inputs.empty() || n.outputs.size() != 1) return false;
  bool known = false;
  for (const char* op : kOps) known = known || n.op_type == op;
  if (!known) return false;
  for (size_t i = 1; i < n.inputs.size(); ++i)
    if (!n.inputs[i].empty() && !g.is_initializer(n.inputs[i])) return false;
  return true;
}

bool Copies(const ir::Node& n) { return n.op_type == "Pad" || n.op_type == "Transpose" || n.op_type == "Slice"; }

// Runs the chain on the probe; the row table, or empty when the result is not a row gather.
Result<std::vector<int64_t>> ProbeRowTable(const ir::Graph& g, const std::vector<const ir::Node*>& chain,
                                           const Shape& in_dims, const NodeEvaluator& eval) {
  const int64_t c = in_dims.back(), n = shape_numel(in_dims);
  Tensor cur = Tensor::Zeros(DType::kFloat32, in_dims);
  float* p = cur.data<float>();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(i + 1);
  for (const ir::Node* node : chain) {
    std::vector<const Tensor*> ins{&cur};
    for (size_t i = 1; i < node->inputs.size(); ++i)
      ins.push_back(node->inputs[i].empty() ? nullptr : &g.initializers.at(node->inputs[i]));
    SAMQ_ASSIGN_OR_RETURN(std::vector<Tensor> outs, eval(*node, ins));
    if (outs.empty() || !outs[0].defined() || outs[0].dtype() != DType::kFloat32) return std::vector<int64_t>{};
    cur = std::move(outs[0]);
  }
  if (cur.rank() == 0 || cur.dim(-1) != c) return std::vector<int64_t>{};
  const int64_t rows = cur.numel() / c;
  const float* q = cur.data<float>();
  std::vector<int64_t> table(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = q + r * c;
    if (row[0] == 0.0f) {
      for (int64_t k = 0; k < c; ++k)
        if (row[k] != 0.0f) return std::vector<int64_t>{};
      table[r] = -1;
      continue;
    }
    const int64_t first = static_cast<int64_t>(row[0]) - 1;
    if (first < 0 || first % c != 0) return std::vector<int64_t>{};
    for (int64_t k = 0; k < c; ++k)
      if (row[k] != static_cast<float>(first + k + 1)) return std::vector<int64_t>{};
    table[r] = first / c;
  }
  return table;
}

}  // namespace

Result<int> FuseRowGather(ir::Graph& g, const std::map<std::string, ir::TensorType>& types,
                          const NodeEvaluator& eval) {
  const NodeReaders readers(g);
  std::vector<bool> seen(g.nodes.size(), false), drop(g.nodes.size(), false);
  int fused = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (seen[i] || !IsRowMoveCandidate(g, g.nodes[i])) continue;
    // The chain from here: nodes are sorted, so an unseen candidate is the head of its chain.
    std::vector<size_t> chain{i};
    seen[i] = true;
    for (;;) {
      const int next = readers.OnlyReader(g.nodes[chain.back()].outputs[0]);
      if (next < 0 || seen[next] || !IsRowMoveCandidate(g, g.nodes[next])) break;
      chain.push_back(static_cast<size_t>(next));
      seen[next] = true;
    }
    int copies = 0;
    for (size_t k : chain) copies += Copies(g.nodes[k]) ? 1 : 0;
    if (copies < 2) continue;
    const Shape in_dims = KnownFloat32Dims(types, g.nodes[i].inputs[0]);
    const Shape out_dims = KnownFloat32Dims(types, g.nodes[chain.back()].outputs[0]);
    if (in_dims.empty() || out_dims.empty() || in_dims.back() < kMinRowElements ||
        out_dims.back() != in_dims.back() || shape_numel(in_dims) >= kMaxProbeElements)
      continue;
    std::vector<const ir::Node*> nodes;
    for (size_t k : chain) nodes.push_back(&g.nodes[k]);
    SAMQ_ASSIGN_OR_RETURN(const std::vector<int64_t> table, ProbeRowTable(g, nodes, in_dims, eval));
    if (table.empty() || static_cast<int64_t>(table.size()) * out_dims.back() != shape_numel(out_dims)) continue;

    ir::Node gather;
    gather.name = g.nodes[chain.back()].name + "/row_gather";
    gather.op_type = "RowGather";
    gather.domain = "com.samq";
    const std::string table_name = g.nodes[chain.back()].outputs[0] + "/row_table";  // value names are unique
    g.initializers[table_name] = Tensor::FromVector<int64_t>({static_cast<int64_t>(table.size())}, table);
    gather.inputs = {g.nodes[i].inputs[0], table_name};
    gather.outputs = {g.nodes[chain.back()].outputs[0]};
    gather.attributes = {ir::IntsAttr("shape", std::vector<int64_t>(out_dims.begin(), out_dims.end()))};
    g.nodes[chain.back()] = std::move(gather);
    for (size_t k = 0; k + 1 < chain.size(); ++k) drop[chain[k]] = true;
    ++fused;
  }
  if (fused > 0) EraseMarkedNodes(g, drop);
  return fused;
}

}  // namespace samq::passes
