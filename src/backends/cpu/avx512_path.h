// The prelude of the files that write AVX-512 kernels in intrinsics: <immintrin.h> where GCC or
// Clang targets x86-64 (SAMQ_HAVE_AVX512_PATH is then defined; each kernel carries its own
// target attribute, the file is not built with -mavx512*), and the run-time CPU checks that pick
// them over the portable loops.
#pragma once

#if defined(__GNUC__) && defined(__x86_64__)
// GCC 12 warns inside its own AVX-512 headers (their _mm512_undefined_* operands) at -O3.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define SAMQ_HAVE_AVX512_PATH 1

namespace samq::backends::cpu {

inline bool CpuHasAvx512F() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
inline bool CpuHasAvx512Bw() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return has;
}

}  // namespace samq::backends::cpu
#endif
