// Hands a com.samq QMatMul's result to the next QMatMul as 8-bit codes instead of float32.
//
// In a folded QDQ model (passes/fold_qdq_to_integer) every QMatMul takes a float32 activation
// and quantizes it itself. When that activation is another QMatMul's (or QMatMulGelu's) result,
// as between the two layers of every transformer MLP (fc1 -> GELU -> fc2), the producer writes
// float32 only for the consumer to read it back and quantize it: 4 bytes out and in per value
// plus a pass over memory, for a 1-byte code. This pass gives the producer the consumer's
// activation scale and zero point as inputs 6 and 7 (the output quantization of
// backends/reference/samq_qops.cpp), so it emits QuantizeLinear(y, s_x, zp_x) codes, and the
// consumer reads them as its quantized x. The arithmetic is unchanged: the consumer would have
// computed those very codes (the reference kernels give the same bits with and without it).
//
// Conditions: producer and consumer are com.samq QMatMul/QMatMulGelu; the producer's output has
// the consumer as its one reader (input 0 only) and is not a graph output; the consumer's
// activation scale and zero point are initializers (the integer kernels need them constant).
// Runs after every pass that matches QMatMul patterns (attention fusions).
#pragma once

#include "ir/graph.h"

namespace samq::passes {

int FuseRequantize(ir::Graph& graph);  // returns the number of producers that now emit codes

}  // namespace samq::passes
