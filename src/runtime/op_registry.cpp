#include "runtime/op_registry.h"

namespace samq::rt {
namespace {
std::string key(std::string_view domain, std::string_view op) {
  if (domain.empty() || domain == "ai.onnx") return std::string(op);
  return std::string(domain) + "." + std::string(op);
}

class StatelessKernel final : public Kernel {
 public:
  explicit StatelessKernel(RunFn fn) : fn_(std::move(fn)) {}
  Status Run(KernelContext& ctx) override { return fn_(ctx); }

 private:
  RunFn fn_;
};
}  // namespace

KernelCandidate MakeStatelessKernel(std::string name, RunFn fn) {
  return {std::move(name), [fn](const KernelBuildInfo&, std::string*) -> std::unique_ptr<Kernel> {
            return std::make_unique<StatelessKernel>(fn);
          }};
}

bool OpRegistry::Register(OpSchema schema) {
  std::string k = key(schema.domain, schema.op_type);
  return ops_.emplace(std::move(k), std::move(schema)).second;
}

bool OpRegistry::AddFastKernel(std::string_view domain, std::string_view op_type,
                               KernelCandidate k) {
  auto it = ops_.find(key(domain, op_type));
  if (it == ops_.end()) return false;
  it->second.kernels.insert(it->second.kernels.begin(), std::move(k));
  return true;
}

const OpSchema* OpRegistry::Find(std::string_view domain, std::string_view op_type) const {
  auto it = ops_.find(key(domain, op_type));
  return it == ops_.end() ? nullptr : &it->second;
}

std::vector<std::string> OpRegistry::OpTypes() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : ops_) out.push_back(k);
  return out;
}

}  // namespace samq::rt
