#include "runtime/session.h"

#include <set>
#include <unordered_map>

#include "core/parallel.h"
#include "passes/eliminate_dead_nodes.h"
#include "passes/fold_constants.h"
#include "passes/fold_qdq_to_integer.h"
#include "passes/fuse_qconv_gelu.h"
#include "passes/fuse_attention_codes.h"
#include "passes/fuse_qconv_pair.h"
#include "passes/fuse_requantize.h"
#include "passes/fuse_conv_gelu.h"
#include "passes/fuse_gelu.h"
#include "passes/fuse_channels_last_depthwise.h"
#include "passes/fuse_channels_last_pool.h"
#include "passes/fuse_layer_norm_2d.h"
#include "passes/fold_attention_layouts.h"
#include "passes/fuse_attention_rel_pos.h"
#include "passes/fuse_matmul_bias.h"
#include "passes/fuse_mbconv.h"
#include "passes/fuse_projected_attention.h"
#include "passes/fuse_resize_crop.h"
#include "passes/fuse_residual_add.h"
#include "passes/fuse_row_gather.h"
#include "passes/fuse_sam_attention.h"
#include "passes/verify_and_sort.h"
#include "runtime/buffer_pool.h"
#include "runtime/evaluate_node.h"
#include "runtime/inplace.h"
#include "runtime/profiler.h"
#include "runtime/shape_inference.h"

namespace samq::rt {

std::vector<std::string> FindUnsupportedNodes(const ir::Model& model, const OpRegistry& registry) {
  std::vector<std::string> out;
  const int64_t opset = model.default_opset();
  for (const auto& n : model.graph.nodes) {
    if (registry.Find(n.domain, n.op_type)) continue;
    out.push_back(fmt::format("node '{}' ({}{}, opset {}): op is not supported", n.name,
                              n.domain.empty() ? "" : n.domain + ".", n.op_type, opset));
  }
  return out;
}

namespace {
constexpr int kNoSlot = -1;

struct CompiledNode {
  const ir::Node* node = nullptr;
  const OpSchema* schema = nullptr;
  std::unique_ptr<Kernel> kernel;
  std::vector<int> in_slots;   // kNoSlot for omitted optional inputs
  std::vector<int> out_slots;  // kNoSlot for omitted optional outputs
  std::vector<int> release_after;  // slots whose last reader is this node
  std::vector<int> inplace_from;   // dying input slots the output may take over (runtime/inplace.h)
};
}  // namespace

struct Session::Impl {
  ir::Model model;
  const OpRegistry* registry = nullptr;
  SessionOptions options;
  int64_t opset = 0;
  std::vector<ir::ValueInfo> inputs, outputs;
  std::vector<NodeKernelChoice> choices;
  passes::QdqFoldReport qdq_report;
  std::vector<CompiledNode> nodes;
  std::unordered_map<std::string, int> slot_of;
  std::vector<Tensor> constants;     // per slot: initializer value (undefined otherwise)
  std::vector<int> input_slots, output_slots;
  size_t num_slots = 0;
  std::shared_ptr<BufferPool> pool = BufferPool::Create();
  Profiler* profiler = nullptr;  // set_profiler(); null = no timing
  ValueTap value_tap;             // set_value_tap(); empty = no capture (quantization calibration)

  Status Compile();
  void ReleasePackedWeights(const std::set<int>& pinned, const std::set<std::string>& overridable);
  Status CheckFeed(const ir::ValueInfo& info, const Tensor& t) const;
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;
const ir::Model& Session::model() const { return impl_->model; }
const std::vector<ir::ValueInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<ir::ValueInfo>& Session::outputs() const { return impl_->outputs; }
const std::vector<NodeKernelChoice>& Session::kernel_choices() const { return impl_->choices; }
const passes::QdqFoldReport& Session::qdq_fold_report() const { return impl_->qdq_report; }
void Session::set_profiler(Profiler* profiler) { impl_->profiler = profiler; }
void Session::set_value_tap(ValueTap tap) { impl_->value_tap = std::move(tap); }

Result<std::unique_ptr<Session>> Session::Create(ir::Model model, const OpRegistry& registry,
                                                 SessionOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->model = std::move(model);
  impl->registry = &registry;
  impl->options = options;
  SAMQ_RETURN_IF_ERROR(impl->Compile());
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Status Session::Impl::Compile() {
  set_num_threads(options.threads);
  ir::Graph& g = model.graph;
  opset = model.default_opset();
  if (opset == 0) opset = 21;  // no default-domain import: treat as the newest samq supports
  for (const auto& o : model.opsets)
    if ((o.domain.empty() || o.domain == "ai.onnx") && (o.version < 1 || o.version > 23))
      return Status::UserF("opset {} of the default domain is not supported (1..23)", o.version);

  SAMQ_RETURN_IF_ERROR(passes::VerifyAndSort(g));
  auto unsupported = FindUnsupportedNodes(model, *registry);
  if (!unsupported.empty()) {
    std::string msg = fmt::format("{} unsupported node(s): {}", unsupported.size(), unsupported[0]);
    for (size_t i = 1; i < unsupported.size(); ++i) msg += "; " + unsupported[i];
    return Status::User(msg);
  }
  for (const auto& n : g.nodes)
    SAMQ_RETURN_IF_ERROR(CheckArity(*registry->Find(n.domain, n.op_type), n));

  // Before constant folding, which would turn the weights' DequantizeLinear into float weights.
  if (options.optimize && options.fold_qdq) qdq_report = passes::FoldQdqToInteger(g);

  if (options.optimize) {
    passes::NodeEvaluator eval = [this](const ir::Node& n, const std::vector<const Tensor*>& ins) {
      EvaluateOptions eo;
      eo.kernel = "ref." + n.op_type;
      auto r = EvaluateNode(*registry, n, opset, ins, eo);
      if (!r.ok() && r.status().message().find("no candidate named") != std::string::npos) {
        return EvaluateNode(*registry, n, opset, ins);
      }
      return r;
    };
    // Folding Shape nodes exposes more constants, which may fix more shapes: iterate to a fixpoint.
    // The cap only guards against a pass that never settles. Each SAM ViT block's Reshape targets
    // become constant only once the previous block's are, so the rounds grow with the depth: at
    // the former cap of 8, only the first 3 of ViT-B's 12 blocks got static shapes (ViT-H: 32).
    for (int round = 0; round < 256; ++round) {
      SAMQ_ASSIGN_OR_RETURN(int folded, passes::FoldConstants(g, eval));
      TypeMap types;
      SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, types));
      int shapes = passes::FoldKnownShapes(g, types);
      if (folded == 0 && shapes == 0) break;
    }
    passes::EliminateDeadNodes(g);
    // Fusions (after folding: their constants are initializers by now).
    if (registry->Find("com.samq", "Gelu")) passes::FuseGelu(g);
    // After FuseGelu, whose Gelu nodes it folds into the Conv before them.
    if (registry->Find("com.samq", "ConvGelu"))
      passes::FuseConvGelu(g, registry->Find("com.samq", "ConvTransposeGelu") != nullptr);
    // After FuseConvGelu: the pattern is made of ConvGelu nodes.
    if (options.fuse_mbconv && registry->Find("com.samq", "MBConv")) passes::FuseMBConv(g);
    // Same for the integer convolutions of a quantized model (passes/fuse_qconv_gelu).
    if (registry->Find("com.samq", "QConvGelu") && registry->Find("com.samq", "QMatMulGelu"))
      passes::FuseQConvGelu(g);
    // After FuseQConvGelu: the quantized MBConv is made of QConvGelu nodes.
    if (options.fuse_mbconv && registry->Find("com.samq", "QMBConv")) passes::FuseQMBConv(g);
    if (options.fuse_resize_crop && registry->Find("com.samq", "ResizeCropResize"))
      passes::FuseResizeCrop(g, opset);
    if (options.fuse_layer_norm_2d && registry->Find("com.samq", "LayerNorm2d")) {
      TypeMap ln_types;  // the pass needs x's rank and channel count
      SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, ln_types));
      passes::FuseLayerNorm2d(g, ln_types);
    }
    if (options.fuse_channels_last_pool && registry->Find("com.samq", "MaxPoolNhwc")) {
      TypeMap pool_types;  // the pass pools float32 only
      SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, pool_types));
      passes::FuseChannelsLastPool(g, pool_types);
    }
    if (options.fuse_channels_last_depthwise && registry->Find("com.samq", "DepthwiseConvNhwc")) {
      TypeMap dw_types;  // the pass matches the token and image shapes on these
      SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, dw_types));
      passes::FuseChannelsLastDepthwise(g, dw_types);
    }
    if (options.fuse_sam_attention && registry->Find("com.samq", "Attention")) {
      TypeMap attn_types;  // the pass checks the pattern's shapes on these
      SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, attn_types));
      const int fused = passes::FuseSamAttention(g, attn_types, options.integer_attention);
      // The rewrite only reads types of values the attention fusion left alone.
      if (fused > 0 && options.fuse_attention_rel_pos) passes::FuseAttentionRelPos(g, attn_types);
      if (fused > 0 && options.fold_attention_layouts) {
        TypeMap fold_types;  // the fold walks the layout chains around each Attention on these
        SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, fold_types));
        if (passes::FoldAttentionLayouts(g, fold_types) > 0) passes::EliminateDeadNodes(g);
      }
    }
    // Last: the attention pattern above must see its MatMuls unfused. Only at float32 precision,
    // so a bfloat16 session keeps its MatMuls on the bfloat16 kernel.
    if (options.fuse_matmul_bias && options.precision == ComputePrecision::kFloat32 &&
        registry->Find("com.samq", "MatMulBias") && passes::FuseMatMulBias(g) > 0 &&
        options.fuse_projected_attention && registry->Find("com.samq", "ProjectedAttention")) {
      TypeMap pa_types;  // the pass checks the head split and the reshapes' dims on these
      SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, pa_types));
      passes::FuseProjectedAttention(g, pa_types);
    }
    // After the attention fusions and layout folds, which match the layout chains they absorb.
    if (options.fuse_row_gather && registry->Find("com.samq", "RowGather")) {
      TypeMap gather_types;  // the pass probes chains of static float32 shapes
      SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, gather_types));
      SAMQ_ASSIGN_OR_RETURN(const int gathers, passes::FuseRowGather(g, gather_types, eval));
      if (gathers > 0) passes::EliminateDeadNodes(g);
    }
    // After the attention fusions, which match QMatMul patterns with float32 outputs.
    if (options.fuse_requantize) {
      passes::FuseRequantize(g);
      passes::FuseAttentionCodes(g);  // the qkv projection -> integer attention, likewise
      // Two dense integer convs in a row hand over NHWC codes (after FuseQMBConv took its convs).
      if (registry->Find("com.samq", "QConvPair")) passes::FuseQConvPair(g);
    }
    // After FuseRowGather, whose gathers take the addends.
    if (options.fuse_residual_add && registry->Find("com.samq", "RowGather")) {
      TypeMap add_types;  // the pass folds only Adds of two same-shape float32 operands
      SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, add_types));
      passes::FuseResidualAdd(g, add_types);
    }
  }

  TypeMap types;
  SAMQ_RETURN_IF_ERROR(InferGraphTypes(g, opset, *registry, types));

  // Slots: one per value. Graph inputs first, then initializers, then node outputs.
  auto slot = [this](const std::string& name) {
    auto [it, fresh] = slot_of.emplace(name, static_cast<int>(num_slots));
    if (fresh) ++num_slots;
    return it->second;
  };
  std::set<std::string> overridable;
  for (const auto& v : g.inputs) {
    int s = slot(v.name);
    if (g.is_initializer(v.name)) overridable.insert(v.name);
    inputs.push_back(v);
    input_slots.push_back(s);
  }
  for (const auto& [name, t] : g.initializers) slot(name);
  for (const auto& n : g.nodes)
    for (const auto& o : n.outputs)
      if (!o.empty()) slot(o);
  constants.resize(num_slots);
  for (const auto& [name, t] : g.initializers) constants[slot_of[name]] = t;
  for (const auto& o : g.outputs) {
    outputs.push_back(o);
    output_slots.push_back(slot_of.at(o.name));
  }
  // Keep only caller-facing inputs in inputs(): drop initializer defaults from the list.
  std::vector<ir::ValueInfo> runtime_inputs;
  std::vector<int> runtime_slots;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!overridable.count(inputs[i].name)) {
      runtime_inputs.push_back(inputs[i]);
      runtime_slots.push_back(input_slots[i]);
    }
  // Overridable initializer inputs are still accepted as feeds (ONNX semantics).
  for (size_t i = 0; i < inputs.size(); ++i)
    if (overridable.count(inputs[i].name)) {
      runtime_inputs.push_back(inputs[i]);
      runtime_slots.push_back(input_slots[i]);
    }
  inputs = std::move(runtime_inputs);
  input_slots = std::move(runtime_slots);

  // Last reader of every slot, so buffers return to the pool as early as possible.
  std::vector<int> last_use(num_slots, -1);
  for (size_t k = 0; k < g.nodes.size(); ++k)
    for (const auto& in : g.nodes[k].inputs)
      if (!in.empty()) last_use[slot_of[in]] = static_cast<int>(k);
  std::set<int> pinned(output_slots.begin(), output_slots.end());

  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const ir::Node& n = g.nodes[k];
    CompiledNode cn;
    cn.node = &n;
    cn.schema = registry->Find(n.domain, n.op_type);
    std::vector<TensorType> in_types;
    std::vector<const Tensor*> const_inputs;
    for (const auto& in : n.inputs) {
      if (in.empty()) {
        cn.in_slots.push_back(kNoSlot);
        in_types.emplace_back();
        const_inputs.push_back(nullptr);
        continue;
      }
      int s = slot_of[in];
      cn.in_slots.push_back(s);
      in_types.push_back(types.count(in) ? types[in] : TensorType{});
      const_inputs.push_back(constants[s].defined() && !overridable.count(in) ? &constants[s] : nullptr);
    }
    for (const auto& o : n.outputs) cn.out_slots.push_back(o.empty() ? kNoSlot : slot_of[o]);
    for (int s : std::set<int>(cn.in_slots.begin(), cn.in_slots.end()))
      if (s != kNoSlot && last_use[s] == static_cast<int>(k) && !pinned.count(s) &&
          !constants[s].defined())
        cn.release_after.push_back(s);
    if (OpMayRunInPlace(n)) cn.inplace_from = cn.release_after;

    KernelBuildInfo info{n, opset, in_types, const_inputs, options.precision};
    NodeKernelChoice choice{n.name, n.op_type, "", {}, ""};
    if (!in_types.empty() && !n.outputs.empty() && types.count(n.outputs[0]))
      choice.dtypes = fmt::format("{} -> {}", dtype_name(in_types[0].dtype), dtype_name(types[n.outputs[0]].dtype));
    for (const auto& cand : cn.schema->kernels) {
      bool is_ref = cand.name.rfind("ref.", 0) == 0;
      if (options.reference_kernels_only && !is_ref) continue;
      std::string why;
      cn.kernel = cand.make(info, &why);
      if (cn.kernel) {
        choice.kernel = cand.name;
        break;
      }
      choice.declined.push_back(cand.name + ": " + why);
    }
    if (!cn.kernel) {
      std::string reasons;
      for (const auto& d : choice.declined) reasons += (reasons.empty() ? "" : "; ") + d;
      return Status::UserF("{}: no kernel accepts it ({})", n.describe(), reasons);
    }
    choices.push_back(std::move(choice));
    nodes.push_back(std::move(cn));
  }
  if (options.release_packed_weights) ReleasePackedWeights(pinned, overridable);
  return Status::Ok();
}

void Session::Impl::ReleasePackedWeights(const std::set<int>& pinned, const std::set<std::string>& overridable) {
  std::vector<char> owned(num_slots, 1);  // every reader of the slot owns a packed copy
  for (const auto& cn : nodes)
    for (size_t i = 0; i < cn.in_slots.size(); ++i)
      if (cn.in_slots[i] != kNoSlot && !cn.kernel->OwnsPackedCopy(static_cast<int>(i))) owned[cn.in_slots[i]] = 0;
  for (auto& [name, t] : model.graph.initializers) {
    const int s = slot_of.at(name);
    if (!owned[s] || pinned.count(s) || overridable.count(name) || !t.defined()) continue;
    t = Tensor(t.dtype(), t.shape(), nullptr);  // dtype and shape stay for inference and tools
    constants[s] = t;
  }
}

Status Session::Impl::CheckFeed(const ir::ValueInfo& info, const Tensor& t) const {
  if (info.dtype != DType::kUndefined && t.dtype() != info.dtype)
    return Status::UserF("input '{}': dtype {} given, the model expects {}", info.name,
                         dtype_name(t.dtype()), dtype_name(info.dtype));
  if (!info.has_shape) return Status::Ok();
  if (t.rank() != static_cast<int64_t>(info.dims.size()))
    return Status::UserF("input '{}': rank {} given (shape {}), the model expects rank {} ({})",
                         info.name, t.rank(), shape_str(t.shape()), info.dims.size(),
                         info.shape_str());
  for (size_t i = 0; i < info.dims.size(); ++i)
    if (info.dims[i].known() && info.dims[i].value != t.shape()[i])
      return Status::UserF("input '{}': shape {} given, the model expects {} (dim {} differs)",
                           info.name, shape_str(t.shape()), info.shape_str(), i);
  return Status::Ok();
}

Result<std::map<std::string, Tensor>> Session::Run(const std::map<std::string, Tensor>& feeds) const {
  Impl& m = *impl_;
  set_num_threads(m.options.threads);
  const auto run_start = m.profiler ? Profiler::Clock::now() : Profiler::Clock::time_point{};
  std::vector<Tensor> slots = m.constants;
  std::set<std::string> fed;
  for (const auto& [name, t] : feeds) {
    bool known = false;
    for (size_t i = 0; i < m.inputs.size(); ++i) {
      if (m.inputs[i].name != name) continue;
      SAMQ_RETURN_IF_ERROR(m.CheckFeed(m.inputs[i], t));
      slots[m.input_slots[i]] = t;
      known = true;
    }
    if (!known) {
      std::string expected;
      for (const auto& v : m.inputs) expected += (expected.empty() ? "" : ", ") + v.name;
      return Status::UserF("unknown input '{}'; the model's inputs are: {}", name, expected);
    }
    fed.insert(name);
  }
  for (size_t i = 0; i < m.inputs.size(); ++i)
    if (!fed.count(m.inputs[i].name) && !slots[m.input_slots[i]].defined())
      return Status::UserF("input '{}' ({} {}) was not given", m.inputs[i].name,
                           dtype_name(m.inputs[i].dtype), m.inputs[i].shape_str());

  if (m.value_tap)  // calibration tap (quantization): graph inputs are activations too
    for (const auto& [name, t] : feeds) m.value_tap(name, t);
  for (auto& cn : m.nodes) {
    const auto node_start = m.profiler ? Profiler::Clock::now() : Profiler::Clock::time_point{};
    // An output may take over a dying input's buffer (in-place), else comes from the pool.
    std::vector<int> reusable = cn.inplace_from;
    auto alloc = [&](DType d, const Shape& s, bool zero_fill) {
      for (int& r : reusable)
        if (r != kNoSlot && CanReuseForOutput(slots[r], d, s)) {
          Tensor t = slots[r];
          r = kNoSlot;  // one output per buffer
          return t;
        }
      return m.pool->Allocate(d, s, zero_fill);
    };
    const ir::Node& n = *cn.node;
    std::vector<const Tensor*> ins;
    std::vector<TensorType> in_types;
    ins.reserve(cn.in_slots.size());
    for (int s : cn.in_slots) {
      ins.push_back(s == kNoSlot ? nullptr : &slots[s]);
      in_types.push_back(s == kNoSlot ? TensorType{} : TensorType::Of(slots[s]));
    }
    InferContext ictx(n, m.opset, std::move(in_types), ins);
    SAMQ_RETURN_IF_ERROR(cn.schema->infer(ictx));
    KernelContext kctx(n, m.opset, ins, ictx.output_types(), alloc);
    SAMQ_RETURN_IF_ERROR(cn.kernel->Run(kctx));
    auto& outs = kctx.outputs();
    for (size_t i = 0; i < cn.out_slots.size(); ++i) {
      if (cn.out_slots[i] == kNoSlot) continue;
      const TensorType& want = ictx.output_types()[i];
      if (!outs[i].defined()) outs[i] = m.pool->Allocate(want.dtype, want.dims);
      if (outs[i].dtype() != want.dtype || outs[i].shape() != want.dims)
        return Status::InternalF("{}: kernel produced {} {} for output {}, inference said {}",
                                 n.describe(), dtype_name(outs[i].dtype()),
                                 shape_str(outs[i].shape()), i, want.str());
      slots[cn.out_slots[i]] = std::move(outs[i]);
    }
    // Calibration tap (quantization): sees each output before any buffer is recycled.
    if (m.value_tap)
      for (size_t i = 0; i < cn.out_slots.size(); ++i)
        if (cn.out_slots[i] != kNoSlot) m.value_tap(n.outputs[i], slots[cn.out_slots[i]]);
    for (int s : cn.release_after) slots[s] = Tensor();
    if (m.profiler) m.profiler->Record(&cn - m.nodes.data(), Profiler::Clock::now() - node_start);
  }
  if (m.profiler) m.profiler->EndRun(Profiler::Clock::now() - run_start);
  std::map<std::string, Tensor> result;
  for (size_t i = 0; i < m.outputs.size(); ++i) result[m.outputs[i].name] = slots[m.output_slots[i]];
  return result;
}

int IntegerOpsRun(const NodeKernelChoice& c) {
  if (c.kernel.rfind("ref.", 0) == 0) return 0;
  if (c.op_type == "QMatMul" || c.op_type == "QConv" || c.op_type == "QConvGelu" || c.op_type == "QMatMulGelu") return 1;
  // A QConv made channels-last (passes/fuse_channels_last_depthwise) keeps its quantized input.
  if (c.op_type == "DepthwiseConvNhwc" && c.kernel.find("qdq") != std::string::npos) return 1;
  if (c.op_type == "QConvPair") return 2;
  return c.op_type == "QMBConv" ? 3 : 0;
}

}  // namespace samq::rt
