// Session: a compiled model, ready to run many times.
//
// Create() verifies the graph, runs the pass pipeline (constant folding, shape folding, dead-node
// elimination), infers static types, and picks a kernel per node. Run() checks the feeds against
// the graph's inputs (name, dtype, rank, known dims), executes the nodes in order, and returns
// every graph output. Intermediate buffers are recycled as soon as their last reader has run.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "passes/fold_qdq_to_integer.h"
#include "runtime/op_registry.h"

namespace samq::rt {

class Profiler;  // runtime/profiler.h

struct SessionOptions {
  int threads = 0;                      // 0 = all cores
  bool reference_kernels_only = false;  // run every node on its plain reference kernel (oracle)
  bool optimize = true;                 // constant/shape folding and dead-node elimination
  // With optimize: QDQ groups around MatMul/Gemm/Conv become integer ops (com.samq QMatMul/QConv)
  // and remaining Q->DQ pairs QuantDequant (passes/fold_qdq_to_integer.h). Off: run Q/DQ as written.
  bool fold_qdq = true;
  // kBFloat16: MatMuls run on oneDNN with bfloat16 operands, float32 accumulation and output
  // (runtime/kernel.h); everything else float32. Ignored with reference_kernels_only.
  ComputePrecision precision = ComputePrecision::kFloat32;
  // Free each initializer whose every reader keeps its own prepacked copy (Kernel::OwnsPackedCopy):
  // peak memory drops by about the weights' size. model() then holds those initializers as
  // dtype+shape without data, so leave it off where the compiled model is read back (quantize).
  bool release_packed_weights = false;
  // With optimize: SAM ViT attention subgraphs (with decomposed relative positions) become one
  // com.samq Attention node that never builds the full score tensor (passes/fuse_sam_attention.h).
  bool fuse_sam_attention = true;
  // With fuse_sam_attention: each Attention reads Q/K/V out of the qkv projection and writes Y
  // into the output projection's input through strided views, so the Transpose/Split/Reshape
  // chains between them disappear (passes/fold_attention_layouts.h).
  bool fold_attention_layouts = true;
  // With fuse_sam_attention: SAM ViT's rel-pos Einsums (and the q scaling) move into the
  // Attention, which computes them from its own Q rows (passes/fuse_attention_rel_pos.h).
  bool fuse_attention_rel_pos = true;
  // With optimize: Resize -> Slice(s) -> Resize chains (the end of SAM-1's decoder) become one
  // com.samq ResizeCropResize node that never writes the first resize or the crop
  // (passes/fuse_resize_crop.h).
  bool fuse_resize_crop = true;
  // With optimize: SAM's LayerNorm2d (nine nodes: channel mean, variance, scale, shift) becomes one
  // com.samq LayerNorm2d node (passes/fuse_layer_norm_2d.h).
  bool fuse_layer_norm_2d = true;
  // With optimize: Transpose(NHWC -> NCHW) -> MaxPool -> Transpose back (Hiera's q-pool) becomes
  // one com.samq MaxPoolNhwc node that pools channels-last (passes/fuse_channels_last_pool.h).
  bool fuse_channels_last_pool = true;
  // With optimize: Transpose([B, L, C] -> [B, C, L]) -> Reshape -> depthwise Conv/QConv -> Reshape ->
  // Transpose back (TinyViT's local conv) becomes one com.samq DepthwiseConvNhwc on the tokens
  // (passes/fuse_channels_last_depthwise.h).
  bool fuse_channels_last_depthwise = true;
  // With fuse_sam_attention: in a quantized attention (QDQ file with quantized attention MatMuls)
  // Q's, K's and V's QuantDequants move into the Attention, which then multiplies integer codes
  // (u8 x s8 VNNI tiles) instead of dequantized floats (passes/fuse_sam_attention.h).
  bool integer_attention = true;
  // With optimize, at float32 precision: MatMul(X, const W) -> bias Add [-> Gelu] becomes one
  // com.samq MatMulBias node (passes/fuse_matmul_bias.h): bias and GELU are applied to each
  // output tile while it is in cache instead of in two more passes over the activations
  // (measured, 2 threads: ViT-B 2492 -> 2425 ms, hiera-tiny 937 -> 889, MobileSAM 321 -> 309).
  bool fuse_matmul_bias = true;
  // With fuse_matmul_bias: an attention with its four projections (SAM's and SAM 2's decoders)
  // becomes one com.samq ProjectedAttention node, whose kernel sends the few prompt tokens
  // through the weights instead of the 4096 image tokens (passes/fuse_projected_attention.h).
  bool fuse_projected_attention = true;
  // With optimize: 1x1 expand -> depthwise -> 1x1 project chains (TinyViT's MBConv, EfficientViT's)
  // become one com.samq MBConv node that computes them in bands of rows, so the expanded tensors
  // (64 MiB each on MobileSAM's first stage) are never written out (passes/fuse_mbconv.h); the same
  // for the quantized block (com.samq QMBConv).
  bool fuse_mbconv = true;
  // With optimize: a QMatMul whose one reader is another QMatMul (MLP fc1 -> fc2) hands it 8-bit
  // codes instead of float32 (passes/fuse_requantize.h): same arithmetic, a quarter of the bytes;
  // likewise a qkv projection hands the integer attention Q's, K's and V's codes
  // (passes/fuse_attention_codes.h), and two dense QConvs in a row become one com.samq QConvPair
  // that hands over NHWC codes (passes/fuse_qconv_pair.h).
  bool fuse_requantize = true;
  // Chains of Pad / Reshape / Transpose / Slice that only move whole rows (SAM ViT's window
  // partition and unpartition) become one com.samq RowGather (passes/fuse_row_gather.h).
  bool fuse_row_gather = true;
  // With optimize: a residual Add (x + unpartition(f(x))) folds into the RowGather computing the
  // unpartition, which adds x as it writes (passes/fuse_residual_add.h): one pass less per block.
  bool fuse_residual_add = true;
};

struct NodeKernelChoice {
  std::string node;
  std::string op_type;
  std::string kernel;                 // the candidate that accepted
  std::vector<std::string> declined;  // "candidate: reason" for each that declined first
  std::string dtypes;                 // "float32 -> uint8": element types of input 0 and output 0
};

// How many of the model's quantized MatMul/Gemm/Conv nodes the choice runs on an integer kernel
// (not a reference one): 1 for QMatMul, QConv and their GELU forms and a quantized
// DepthwiseConvNhwc (a depthwise QConv made channels-last), 2 for a QConvPair, 3 for a QMBConv (three convs), else 0.
int IntegerOpsRun(const NodeKernelChoice& c);

// Every node whose op the registry lacks, all at once, in one message per node:
// "node 'x' (Foo, opset 17): op is not supported". Empty when all are supported.
std::vector<std::string> FindUnsupportedNodes(const ir::Model& model, const OpRegistry& registry);

class Session {
 public:
  static Result<std::unique_ptr<Session>> Create(ir::Model model, const OpRegistry& registry,
                                                 SessionOptions options = {});
  ~Session();

  // Feeds by input name; returns every graph output by name.
  // Const: a run changes nothing observable. Not for concurrent calls on one session (kernels
  // keep per-shape caches); use one session per thread.
  Result<std::map<std::string, Tensor>> Run(const std::map<std::string, Tensor>& feeds) const;

  const ir::Model& model() const;  // after optimization passes
  const std::vector<ir::ValueInfo>& inputs() const;   // runtime inputs (not initializers)
  const std::vector<ir::ValueInfo>& outputs() const;
  const std::vector<NodeKernelChoice>& kernel_choices() const;
  // What the QDQ folding pass did (all zero when it did not run or the model has no QDQ).
  const passes::QdqFoldReport& qdq_fold_report() const;

  // Per-node timing (`samq bench --profile`): while a profiler is attached, every Run records
  // each node's wall time into it (node i = kernel_choices()[i]). Not owned; null detaches.
  void set_profiler(Profiler* profiler);

  // Activation capture for quantization calibration (src/quant): while a tap is set, Run calls it
  // with every output of every node right after that node ran (before buffers are recycled, so
  // the tensor is only valid during the call); the feeds are reported first. Empty detaches.
  using ValueTap = std::function<void(const std::string& value_name, const Tensor& value)>;
  void set_value_tap(ValueTap tap);

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace samq::rt
