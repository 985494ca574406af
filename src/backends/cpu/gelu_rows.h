// The erf GELU rows of the fast kernels and the quantizing epilogues built on it: each as the
// portable loop (fastmath::Erf, core/quantize_math.h; compiled with SAMQ_CLONES) and as AVX-512
// instructions written out (gelu_rows_avx512.cpp), behind one entry point that picks.
//
// Why both: GCC vectorizes the portable loops in their AVX-512 clones, but turns Erf's clamp into
// masked Horner steps and blends, and QuantizeToFloat's clamp / rounding trick / second clamp into
// nine operations: ~38 instructions per 16 values where ~27 do. The GELU epilogues of MobileSAM's
// MBConv blocks see 16.7 M values per pass, and the written-out form takes 0.23 ns per value on
// the expand epilogue against 0.39 ns.
//
// Both forms compute the same bits on an AVX-512 CPU (GCC contracts the Horner steps p * z + k into
// FMAs in the AVX-512 clone; the written-out form does the same): fused kernels keep equalling
// the unfused graph bit for bit, and tests/unit/test_gelu_rows.cpp compares the forms.
#pragma once

#include <cstdint>

namespace samq::backends::cpu {

// How an epilogue quantizes: codes clamp(rint(v / scale) + zero_point, qmin, qmax) (floats
// holding integers: the zero point and the limits of u8 or s8).
struct GeluQuant {
  float scale = 1, zero_point = 0, qmin = 0, qmax = 255;
};

// y[i] = 0.5 * x[i] * (1 + Erf(x[i] / sqrt 2)); y may be x.
void GeluErfRow(const float* x, float* y, int64_t n);

// In place over n int32 sums: v = GELU(acc * scale + bias), then QuantizeLinear with q and
// DequantizeLinear back: (code - zero_point) * q.scale, as float.
void GeluQuantDequantAcc(void* row, int64_t n, float scale, float bias, const GeluQuant& q);

// out[i] = code(GELU(x[i])) - shift as bytes (shift 128 turns u8 codes into int8 ones; with
// shift 0 the bytes are the u8 or s8 codes themselves).
void GeluQuantizeBytes(const float* x, int64_t n, const GeluQuant& q, int32_t shift, int8_t* out);

// In place over n int32 sums: v = acc * scale + bias [+ r[i]], then GELU when gelu is set.
void ScaleBiasGeluAcc(void* row, int64_t n, float scale, float bias, const float* r, bool gelu);

// The two forms, for the tests. The AVX-512 ones return false, writing nothing, on a CPU without
// AVX-512 F.
void GeluErfRowPortable(const float* x, float* y, int64_t n);
void GeluQuantDequantAccPortable(void* row, int64_t n, float scale, float bias, const GeluQuant& q);
void GeluQuantizeBytesPortable(const float* x, int64_t n, const GeluQuant& q, int32_t shift, int8_t* out);
void ScaleBiasGeluAccPortable(void* row, int64_t n, float scale, float bias, const float* r, bool gelu);
bool GeluErfRowAvx512(const float* x, float* y, int64_t n);
bool GeluQuantDequantAccAvx512(void* row, int64_t n, float scale, float bias, const GeluQuant& q);
bool GeluQuantizeBytesAvx512(const float* x, int64_t n, const GeluQuant& q, int32_t shift, int8_t* out);
bool ScaleBiasGeluAccAvx512(void* row, int64_t n, float scale, float bias, const float* r, bool gelu);

}  // namespace samq::backends::cpu
