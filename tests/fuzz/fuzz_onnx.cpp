// libFuzzer target: ONNX model and TensorProto parsing from arbitrary bytes.
//
// Invariants checked beyond "no crash, no sanitizer report": an input that imports must export,
// and the export must import again to the same IR (a model samq accepts is one it can write).
// External data resolves against a scratch folder holding a few small files, so the fuzzer can
// reach the external-data paths (offsets, lengths, subfolders, a symlink pointing outside).
#include <google/protobuf/stubs/logging.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "onnx/export.h"
#include "onnx/import.h"

namespace {

std::filesystem::path g_base;

void WriteFile(const std::filesystem::path& p, size_t n) {
  std::string bytes(n, '\0');
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>(i * 31 + 7);
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(n));
}

bool SameTensor(const samq::Tensor& a, const samq::Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_onnx invariant broken: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // protobuf's own parse complaints are noise here
  const char* tmp = std::getenv("TMPDIR");
  g_base =
      std::filesystem::path(tmp ? tmp : "/tmp") / ("samq_fuzz_onnx_" + std::to_string(::getpid()));
  std::filesystem::create_directories(g_base / "sub");
  WriteFile(g_base / "w.bin", 4096);
  WriteFile(g_base / "sub" / "x.bin", 100);
  std::error_code ec;
  std::filesystem::create_symlink("/etc/hostname", g_base / "out.bin", ec);
  std::atexit([] {
    std::error_code e;
    std::filesystem::remove_all(g_base, e);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)samq::onnx::ParseTensorProto(bytes);

  auto r = samq::onnx::ParseModel(bytes, g_base);
  if (!r.ok()) {
    if (r.status().kind() != samq::ErrorKind::kUser) Fail("import", r.status().message());
    return 0;
  }
  auto out = samq::onnx::SerializeModel(r->model);
  if (!out.ok()) Fail("export of an imported model", out.status().message());
  auto again = samq::onnx::ParseModel(*out, g_base);
  if (!again.ok()) Fail("re-import of an exported model", again.status().message());
  const auto& g1 = r->model.graph;
  const auto& g2 = again->model.graph;
  if (g1.nodes.size() != g2.nodes.size() || g1.initializers.size() != g2.initializers.size())
    Fail("round trip", "node or initializer count changed");
  for (auto a = g1.initializers.begin(), b = g2.initializers.begin(); a != g1.initializers.end();
       ++a, ++b)
    if (a->first != b->first || !SameTensor(a->second, b->second)) Fail("round trip", a->first);
  return 0;
}
