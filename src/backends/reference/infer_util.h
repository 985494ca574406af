// Shape helpers shared by the op schemas' infer functions.
#pragma once

#include <optional>
#include <string>

#include "runtime/kernel.h"

namespace samq::backends {

// Multidirectional (NumPy) broadcasting of two shapes; -1 dims stay unknown unless the other side
// fixes them. Returns nullopt (and writes why) if the shapes cannot broadcast.
std::optional<Shape> BroadcastShapes(const Shape& a, const Shape& b, std::string* why);
// Normalizes a possibly negative axis into [0, rank); nullopt if out of range.
std::optional<int64_t> NormalizeAxis(int64_t axis, int64_t rank);
// Output i gets input j's dtype and shape.
Status InferSameAsInput(rt::InferContext& ctx);

}  // namespace samq::backends
