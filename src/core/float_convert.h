// Conversions between float32 and the narrow float formats ONNX uses (IEEE half, bfloat16,
// float8 e4m3fn and e5m2), with round-to-nearest-even and ONNX's saturation rules.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace samq {

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bf16_to_float(uint16_t b);
uint16_t float_to_bf16(float f);  // round to nearest even; NaN stays NaN
float fp8e4m3fn_to_float(uint8_t v);
uint8_t float_to_fp8e4m3fn(float f, bool saturate = true);
float fp8e5m2_to_float(uint8_t v);
uint8_t float_to_fp8e5m2(float f, bool saturate = true);

// Element i of a dense buffer of type t, as double (any numeric type; bool as 0/1).
double element_as_double(DType t, const void* data, int64_t i);
// Store v (converted with ONNX Cast semantics: round-to-nearest-even for floats, C truncation
// for float->int) into element i.
void element_from_double(DType t, void* data, int64_t i, double v);

}  // namespace samq
