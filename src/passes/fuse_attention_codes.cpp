#include "passes/fuse_attention_codes.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>


namespace samq::passes {
namespace {

// One operand's quantization parameters, read from the attention's initializers.
struct OperandParams {
  float scale = 1.0f;
  Tensor zero_point;  // one uint8 or int8 value
  bool operator==(const OperandParams& o) const {
    return scale == o.scale && zero_point.dtype() == o.zero_point.dtype() &&
           std::memcmp(zero_point.raw(), o.zero_point.raw(), 1) == 0;
  }
};

std::optional<OperandParams> ReadParams(const ir::Graph& g, const ir::Node& att, int scale_input) {
  auto s = g.initializers.find(att.inputs[scale_input]);
  auto z = g.initializers.find(att.inputs[scale_input + 1]);
  if (s == g.initializers.end() || z == g.initializers.end()) return std::nullopt;
  if (s->second.dtype() != DType::kFloat32 || s->second.numel() != 1 || z->second.numel() != 1 ||
      (z->second.dtype() != DType::kUInt8 && z->second.dtype() != DType::kInt8))
    return std::nullopt;
  return OperandParams{s->second.data<float>()[0], z->second};
}

// The batch offsets of a *_view attribute ([offset, row_stride, col_stride, (size, stride)...],
// see backends/cpu/sam_attention.h) and its two strides; nullopt when malformed.
struct View {
  std::vector<int64_t> batch_offsets;
  int64_t row_stride = 0, col_stride = 0;
};
std::optional<View> ParseView(const std::vector<int64_t>& ints) {
  if (ints.size() < 3 || (ints.size() - 3) % 2 != 0) return std::nullopt;
  View v;
  v.row_stride = ints[1];
  v.col_stride = ints[2];
  v.batch_offsets = {ints[0]};
  for (size_t i = 3; i < ints.size(); i += 2) {
    if (ints[i] < 1 || ints[i] > (1 << 24)) return std::nullopt;
    std::vector<int64_t> next;
    next.reserve(v.batch_offsets.size() * static_cast<size_t>(ints[i]));
    for (int64_t b : v.batch_offsets)
      for (int64_t d = 0; d < ints[i]; ++d) next.push_back(b + d * ints[i + 1]);
    v.batch_offsets = std::move(next);
  }
  for (int64_t x : ints)
    if (x < 0) return std::nullopt;
  return v;
}

// Which operand (0 Q, 1 K, 2 V) reads each of the `columns` columns of the projection's output
// (-1: none), from the views: every element the view reaches, its column the address modulo the
// row length. nullopt when a column is read by two operands with different parameters.
std::optional<std::vector<int>> ColumnRoles(const ir::Node& att, int64_t columns,
                                            const std::vector<OperandParams>& params) {
  const std::vector<int64_t> layout = att.attr_ints("layout_dims");  // [Nq, Nk, D, Dv]
  if (layout.size() != 4 || columns <= 0) return std::nullopt;
  const char* names[3] = {"q_view", "k_view", "v_view"};
  const int64_t rows[3] = {layout[0], layout[1], layout[1]}, cols[3] = {layout[2], layout[2], layout[3]};
  std::vector<int> role(static_cast<size_t>(columns), -1);
  for (int o = 0; o < 3; ++o) {
    const auto view = ParseView(att.attr_ints(names[o]));
    if (!view) return std::nullopt;
    // Columns depend on addresses modulo `columns` only: collect the residues of each part.
    std::vector<bool> reached(static_cast<size_t>(columns), false);
    for (int64_t base : view->batch_offsets)
      for (int64_t i = 0; i < rows[o]; ++i)
        for (int64_t c = 0; c < cols[o]; ++c) reached[(base + i * view->row_stride + c * view->col_stride) % columns] = true;
    for (int64_t c = 0; c < columns; ++c) {
      if (!reached[c]) continue;
      int& r = role[c];
      if (r >= 0 && r != o && !(params[r] == params[o])) return std::nullopt;
      if (r < 0) r = o;
    }
  }
  return role;
}

}  // namespace

int FuseAttentionCodes(ir::Graph& g) {
  int fused = 0;
  for (size_t ai = 0; ai < g.nodes.size(); ++ai) {
    const ir::Node& att = g.nodes[ai];
    if (att.domain != "com.samq" || att.op_type != "Attention" || att.inputs.size() < 16 || !att.attr("layout_dims"))
      continue;
    if (att.inputs.size() > 7 && (!att.inputs[6].empty() || !att.inputs[7].empty())) continue;
    const std::string& qkv = att.inputs[0];
    if (qkv.empty() || att.inputs[1] != qkv || att.inputs[2] != qkv) continue;
    std::vector<OperandParams> params;
    for (int o = 0; o < 3; ++o) {
      auto p = ReadParams(g, att, 10 + 2 * o);
      if (!p) break;
      params.push_back(std::move(*p));
    }
    if (params.size() != 3 || params[1].zero_point.dtype() != params[0].zero_point.dtype() ||
        params[2].zero_point.dtype() != params[0].zero_point.dtype())
      continue;
    // The producer: a QMatMul with constant weights that does not requantize yet; the attention
    // its only reader.
    int producer = -1;
    bool others = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const auto& o : g.nodes[i].outputs)
        if (o == qkv) producer = static_cast<int>(i);
      if (i != ai)
        for (const auto& in : g.nodes[i].inputs) others |= in == qkv;
    }
    for (const auto& o : g.outputs) others |= o.name == qkv;
    if (producer < 0 || others) continue;
    ir::Node& proj = g.nodes[producer];
    if (proj.domain != "com.samq" || proj.op_type != "QMatMul" || proj.outputs.size() != 1 || proj.inputs.size() > 6 ||
        proj.inputs.size() < 5 || !g.is_initializer(proj.inputs[3]))
      continue;
    const Tensor& w = g.initializers.at(proj.inputs[3]);
    if (w.rank() != 2) continue;
    const int64_t n = w.dim(1);
    const auto roles = ColumnRoles(att, n, params);
    if (!roles) continue;
    bool uniform = true;
    for (int r : *roles) uniform &= r < 0 || params[r] == params[0];
    const DType zt = params[0].zero_point.dtype();
    const int64_t count = uniform ? 1 : n;
    Tensor scales = Tensor::Zeros(DType::kFloat32, {count});
    Tensor zps = Tensor::Zeros(zt, {count});
    for (int64_t c = 0; c < count; ++c) {
      const OperandParams& p = params[uniform ? 0 : std::max((*roles)[c], 0)];
      scales.data<float>()[c] = p.scale;
      std::memcpy(static_cast<uint8_t*>(zps.raw()) + c, p.zero_point.raw(), 1);
    }
    const std::string base = proj.outputs[0] + "/attention_codes";
    g.initializers[base + "_scale"] = std::move(scales);
    g.initializers[base + "_zero_point"] = std::move(zps);
    proj.inputs.resize(6);  // an absent bias stays "" (an omitted optional input)
    proj.inputs.push_back(base + "_scale");
    proj.inputs.push_back(base + "_zero_point");
    ++fused;
  }
  return fused;
}

}  // namespace samq::passes
