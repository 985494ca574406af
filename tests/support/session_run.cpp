#include "support/session_run.h"

#include <gtest/gtest.h>

#include "backends/registry.h"

namespace samq::testing {

int SessionRun::Count(const std::string& op_type) const {
  int n = 0;
  for (const auto& c : choices) n += c.op_type == op_type;
  return n;
}

SessionRun RunSession(ir::Model model, const std::map<std::string, Tensor>& feeds, const rt::SessionOptions& options,
                      const std::string& output) {
  SessionRun r;
  auto s = rt::Session::Create(std::move(model), backends::DefaultRegistry(), options);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return r;
  r.choices = (*s)->kernel_choices();
  for (const auto& c : r.choices) r.kernel_of_op[c.op_type] = c.kernel;
  auto out = (*s)->Run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok()) return r;
  auto it = out->find(output);
  EXPECT_NE(it, out->end()) << "no output " << output;
  if (it != out->end()) r.y = it->second;
  return r;
}

rt::SessionOptions FusionTestOptions(bool reference_kernels_only) {
  rt::SessionOptions o;
  o.threads = 2;
  o.reference_kernels_only = reference_kernels_only;
  return o;
}

}  // namespace samq::testing
