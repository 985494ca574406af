// Writes seed inputs for the fuzzers: small ONNX models that exercise every dtype, typed data
// field, attribute kind and external-data form, and .npy arrays of every dtype and version.
// Seeds are generated, never copied from fixtures into the repository.
// Usage: fuzz_make_seeds ONNX_DIR NPY_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "io/npy.h"
#include "onnx.pb.h"
#include "onnx/export.h"

namespace {

namespace fs = std::filesystem;
using namespace samq;

void Write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

ir::Model AllDTypes() {
  ir::Model m;
  m.ir_version = 10;
  m.opsets.push_back({"", 17});
  m.graph.name = "g";
  const DType all[] = {DType::kFloat32,  DType::kUInt8,        DType::kInt8,       DType::kUInt16,
                       DType::kInt16,    DType::kInt32,        DType::kInt64,      DType::kBool,
                       DType::kFloat16,  DType::kFloat64,      DType::kUInt32,     DType::kUInt64,
                       DType::kBFloat16, DType::kFloat8E4M3FN, DType::kFloat8E5M2, DType::kUInt4,
                       DType::kInt4};
  for (DType dt : all) {
    Tensor t = Tensor::Zeros(dt, {3});
    m.graph.initializers[std::string(dtype_name(dt))] = t;
  }
  m.graph.inputs.push_back({"x", DType::kFloat32, true, {ir::Dim{1, ""}, ir::Dim{-1, "N"}}, ""});
  m.graph.outputs.push_back({"y", DType::kFloat32, false, {}, ""});
  ir::Node n;
  n.name = "n";
  n.op_type = "Add";
  n.inputs = {"x", "float32"};
  n.outputs = {"y"};
  ir::Attribute a;
  a.name = "value";
  a.type = ir::AttrType::kTensor;
  a.t = Tensor::Scalar<float>(1.f);
  n.attributes.push_back(a);
  a = {};
  a.name = "ints";
  a.type = ir::AttrType::kInts;
  a.ints = {1, -1};
  n.attributes.push_back(a);
  m.graph.nodes.push_back(n);
  return m;
}

onnxpb::TensorProto* Init(onnxpb::GraphProto* g, const std::string& name, int type,
                          std::vector<int64_t> dims) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (auto d : dims) t->add_dims(d);
  return t;
}

void External(onnxpb::TensorProto* t, const std::string& loc, const std::string& off,
              const std::string& len) {
  t->set_data_location(onnxpb::TensorProto::EXTERNAL);
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  add("location", loc);
  add("offset", off);
  add("length", len);
}

std::string HandMadeModel() {
  onnxpb::ModelProto mp;
  mp.set_ir_version(9);
  mp.add_opset_import()->set_version(18);
  auto* g = mp.mutable_graph();
  g->set_name("hand");
  Init(g, "f", 1, {2})->add_float_data(1);
  g->mutable_initializer(0)->add_float_data(2);
  Init(g, "h", 10, {1})->add_int32_data(0x3c00);
  Init(g, "q", 22, {3})->add_int32_data(0x8f);
  g->mutable_initializer(2)->add_int32_data(0x07);
  Init(g, "l", 7, {1})->add_int64_data(5);
  Init(g, "d", 11, {1})->add_double_data(0.5);
  Init(g, "u", 12, {1})->add_uint64_data(7);
  External(Init(g, "e1", 1, {4}), "w.bin", "64", "16");
  External(Init(g, "e2", 2, {10}), "sub/x.bin", "", "");
  External(Init(g, "e3", 1, {1024}), "w.bin", "0", "4096");
  auto* n = g->add_node();
  n->set_op_type("If");
  n->add_input("c");
  n->add_output("y");
  auto* a = n->add_attribute();
  a->set_name("then_branch");
  a->set_type(onnxpb::AttributeProto::GRAPH);
  a->mutable_g()->add_node()->set_op_type("Identity");
  a = n->add_attribute();
  a->set_name("f");
  a->set_type(onnxpb::AttributeProto::FLOAT);
  a->set_f(0.5f);
  a = n->add_attribute();
  a->set_name("s");
  a->set_type(onnxpb::AttributeProto::STRINGS);
  a->add_strings("x");
  auto* in = g->add_input();
  in->set_name("c");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(9);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  return mp.SerializeAsString();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ONNX_DIR NPY_DIR\n", argv[0]);
    return 2;
  }
  const fs::path onnx_dir = argv[1], npy_dir = argv[2];
  fs::create_directories(onnx_dir);
  fs::create_directories(npy_dir);
  Write(onnx_dir / "all_dtypes.onnx", onnx::SerializeModel(AllDTypes()).value());
  Write(onnx_dir / "hand_made.onnx", HandMadeModel());

  const DType npy_types[] = {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kUInt8,
                             DType::kInt8,    DType::kInt16,   DType::kUInt16,  DType::kInt32,
                             DType::kUInt32,  DType::kInt64,   DType::kUInt64,  DType::kBool};
  for (DType dt : npy_types) {
    Write(npy_dir / (std::string(dtype_name(dt)) + ".npy"),
          io::SerializeNpy(Tensor::Zeros(dt, {2, 3})));
  }
  Write(npy_dir / "scalar.npy", io::SerializeNpy(Tensor::Scalar<float>(1.f)));
  Write(npy_dir / "empty.npy", io::SerializeNpy(Tensor::Zeros(DType::kInt64, {0, 5})));
  std::string v3 = io::SerializeNpy(Tensor::Zeros(DType::kUInt8, {4}));
  // Version 3.0 variant: same dict behind a 4-byte header length.
  const std::string header =
      v3.substr(10, static_cast<uint8_t>(v3[8]) | (static_cast<uint8_t>(v3[9]) << 8));
  std::string out("\x93NUMPY\x03\x00", 8);
  const uint32_t hl = static_cast<uint32_t>(header.size());
  for (int i = 0; i < 4; ++i) out += static_cast<char>((hl >> (8 * i)) & 0xff);
  Write(npy_dir / "v3.npy", out + header + std::string(4, '\1'));
  return 0;
}
