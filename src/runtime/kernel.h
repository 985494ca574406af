// The contract between the engine and an op implementation.
//
// Every op has one schema: input/output counts and an `infer` function that computes output
// dtypes and shapes. `infer` is the single source of truth for shapes: it runs statically at
// compile time (unknown dims are -1, input values known only for constants) and again at run time
// with concrete shapes and every input value, right before the kernel, which then receives outputs
// already typed. Kernels are chosen per node from an ordered candidate list; a candidate that
// cannot handle the node declines with a reason (shown by `samq inspect --kernels`). The plain
// reference kernel ("ref.<Op>") is always last and accepts everything its op supports.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::rt {

using ir::TensorType;

class InferContext {
 public:
  InferContext(const ir::Node& node, int64_t opset, std::vector<TensorType> input_types,
               std::vector<const Tensor*> input_values)
      : node_(node), opset_(opset), in_types_(std::move(input_types)),
        in_values_(std::move(input_values)), out_types_(node.outputs.size()) {}

  const ir::Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  int num_inputs() const { return static_cast<int>(in_types_.size()); }
  int num_outputs() const { return static_cast<int>(out_types_.size()); }
  bool has_input(int i) const { return node_.has_input(i); }
  const TensorType& input_type(int i) const { return in_types_[i]; }
  // The input's value when it is known now (a constant at compile time; always at run time).
  const Tensor* input_value(int i) const { return i < num_inputs() ? in_values_[i] : nullptr; }
  void set_output(int i, DType dtype, Shape dims) {
    if (i < num_outputs()) out_types_[i] = {dtype, true, std::move(dims)};
  }
  void set_output_unknown_rank(int i, DType dtype) {
    if (i < num_outputs()) out_types_[i] = {dtype, false, {}};
  }
  const std::vector<TensorType>& output_types() const { return out_types_; }
  // "node 'x' (Op): " + message, as a user error.
  template <typename... Args>
  Status Error(fmt::format_string<Args...> f, Args&&... args) const {
    return Status::User(node_.describe() + ": " + fmt::format(f, std::forward<Args>(args)...));
  }

 private:
  const ir::Node& node_;
  int64_t opset_;
  std::vector<TensorType> in_types_;
  std::vector<const Tensor*> in_values_;
  std::vector<TensorType> out_types_;
};

// What a kernel sees when it runs. Outputs are allocated lazily with the inferred dtype/shape
// on the first call to output(i); ops that return a view (Reshape, Identity) call set_output.
//
// output(i) is zero-filled when it is allocated. A kernel that writes every element of an output
// asks for it with output_for_overwrite(i) instead, which skips the fill: on the encoders the fill
// was a whole extra pass over every activation (5% of MobileSAM's run time in memset). Once
// allocated, either call returns the same tensor (a wrapper kernel reads what its inner kernel
// wrote). A fast kernel that took output_for_overwrite(i) and then hands over to a fallback that
// may rely on zeros drops it first with discard_output(i).
class KernelContext {
 public:
  // (dtype, shape, zero_fill) -> tensor; without zero_fill the contents are unspecified. The
  // session may hand an output the buffer of an input that dies at this node (in-place) whatever
  // zero_fill says: ops allowed in-place overwrite their outputs anyway.
  using Allocator = std::function<Tensor(DType, const Shape&, bool)>;
  KernelContext(const ir::Node& node, int64_t opset, std::vector<const Tensor*> inputs,
                std::vector<TensorType> output_types, Allocator alloc)
      : node_(node), opset_(opset), inputs_(std::move(inputs)), out_types_(std::move(output_types)),
        outputs_(out_types_.size()), alloc_(std::move(alloc)) {}

  const ir::Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  bool has_input(int i) const { return i < num_inputs() && inputs_[i] != nullptr; }
  const Tensor& input(int i) const { return *inputs_[i]; }
  const TensorType& output_type(int i) const { return out_types_[i]; }
  Tensor& output(int i) {
    if (!outputs_[i].defined()) outputs_[i] = alloc_(out_types_[i].dtype, out_types_[i].dims, true);
    return outputs_[i];
  }
  // The output with unspecified contents when this call allocates it: the kernel must write every
  // element.
  Tensor& output_for_overwrite(int i) {
    if (!outputs_[i].defined()) outputs_[i] = alloc_(out_types_[i].dtype, out_types_[i].dims, false);
    return outputs_[i];
  }
  // Forgets output i, so the next output(i) allocates a zero-filled one.
  void discard_output(int i) { outputs_[i] = Tensor(); }
  void set_output(int i, Tensor t) { outputs_[i] = std::move(t); }
  std::vector<Tensor>& outputs() { return outputs_; }
  template <typename... Args>
  Status Error(fmt::format_string<Args...> f, Args&&... args) const {
    return Status::User(node_.describe() + ": " + fmt::format(f, std::forward<Args>(args)...));
  }

 private:
  const ir::Node& node_;
  int64_t opset_;
  std::vector<const Tensor*> inputs_;
  std::vector<TensorType> out_types_;
  std::vector<Tensor> outputs_;
  Allocator alloc_;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Status Run(KernelContext& ctx) = 0;
  // True when the kernel made its own (prepacked) copy of constant input `i` at creation and
  // never reads that input's data at run time (only its dtype and shape). A session with
  // SessionOptions::release_packed_weights then frees the original, so a weight is held once.
  virtual bool OwnsPackedCopy(int i) const { return false; }
};

// Arithmetic a session lets fast kernels use (SessionOptions::precision). kBFloat16: products
// (MatMul) may round their float32 operands to bfloat16 and accumulate in float32; every other
// op, and every output, stays float32.
enum class ComputePrecision { kFloat32, kBFloat16 };

// What a kernel factory knows when a session compiles a node: static input types and the values
// of constant inputs (weights), so it can prepack them.
struct KernelBuildInfo {
  const ir::Node& node;
  int64_t opset;
  std::vector<TensorType> input_types;
  std::vector<const Tensor*> const_inputs;  // null where the input is not constant
  ComputePrecision precision = ComputePrecision::kFloat32;
};

struct KernelCandidate {
  std::string name;  // encodes op, dtype and ISA: "ref.Conv", "onednn.conv_f32"
  // Returns a kernel, or nullptr after writing the reason it declines into *why.
  std::function<std::unique_ptr<Kernel>(const KernelBuildInfo&, std::string* why)> make;
};

using InferFn = std::function<Status(InferContext&)>;
using RunFn = std::function<Status(KernelContext&)>;

// A kernel with no per-node state: wraps a plain function.
KernelCandidate MakeStatelessKernel(std::string name, RunFn fn);

}  // namespace samq::rt
