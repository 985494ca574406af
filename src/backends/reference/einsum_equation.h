// Parsing of Einsum equations ("bhwc,hkc->bhwk", "...ij,...jk", "ii->i") into labelled axes.
//
// Letters a-z and A-Z are labels; "..." stands for the broadcast dims, right-aligned across the
// operands as in numpy. Without "->" the output is every label used exactly once, in alphabetical
// (ASCII) order, after the ellipsis dims. A label repeated within one operand takes its diagonal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace samq::backends {

// One term of the equation as written: labels before and after the ellipsis (if any).
struct EinsumTerm {
  std::vector<int> head;  // label ids (0..51) before "..." (all of them when no ellipsis)
  std::vector<int> tail;  // label ids after "..."
  bool ellipsis = false;
};

struct EinsumEquation {
  std::vector<EinsumTerm> inputs;
  EinsumTerm output;  // resolved even when implicit
};

// Parses `equation` for `num_inputs` operands. Errors are user errors without the node prefix.
Result<EinsumEquation> ParseEinsum(const std::string& equation, int num_inputs);

// Label ids: letters take 0..51; the ellipsis dims take kEllipsisBase + j, where j counts the
// right-aligned broadcast dims (0 = outermost of the widest ellipsis).
constexpr int kEllipsisBase = 52;
constexpr int kMaxEllipsisDims = 16;  // more is a user error
constexpr int kMaxEinsumLabels = kEllipsisBase + kMaxEllipsisDims;

// The equation expanded for operands of known ranks: one label per axis.
struct EinsumAxes {
  std::vector<std::vector<int>> inputs;
  std::vector<int> output;
  int ellipsis_rank = 0;
};
Result<EinsumAxes> ExpandEinsum(const EinsumEquation& eq, const std::vector<int64_t>& ranks);

}  // namespace samq::backends
