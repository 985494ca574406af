// libFuzzer target: .npy parsing from arbitrary bytes. An array that parses must serialize and
// parse back to the same dtype, shape and bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto t = samq::io::ParseNpy(bytes, "fuzz.npy");
  if (!t.ok()) {
    if (t.status().kind() != samq::ErrorKind::kUser) std::abort();
    return 0;
  }
  auto back = samq::io::ParseNpy(samq::io::SerializeNpy(*t), "round-trip.npy");
  if (!back.ok() || back->dtype() != t->dtype() || back->shape() != t->shape() ||
      (t->nbytes() && std::memcmp(back->raw(), t->raw(), t->nbytes()) != 0)) {
    std::fprintf(stderr, "fuzz_npy: round trip changed the array\n");
    std::abort();
  }
  return 0;
}
