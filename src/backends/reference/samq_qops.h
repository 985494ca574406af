// The reference candidates of samq's internal quantized ops (samq_qops.cpp), which the oneDNN
// integer kernels fall back to for shapes oneDNN rejects.
#pragma once

#include "runtime/kernel.h"

namespace samq::backends {

rt::KernelCandidate RefQMatMulCandidate();
// ref.QMatMulGelu: ref.QMatMul with GELU in double with libm (the oracle of the fused kernels)
// before the optional output QuantizeLinear.
rt::KernelCandidate RefQMatMulGeluCandidate();
rt::KernelCandidate RefQConvCandidate();

}  // namespace samq::backends
