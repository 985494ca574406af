// ModelProto -> ir::Model.
//
// Conversion is one pass over the proto; tensors go through tensor_proto.cpp (inline data) or
// external_data.cpp (files beside the model). Every error is a user error prefixed with the
// file name, since anything wrong here is wrong in the file.
#include "onnx/import.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>
#include <set>

#include "io/atomic_file.h"
#include "onnx.pb.h"
#include "onnx/external_data.h"
#include "onnx/tensor_proto.h"

namespace samq::onnx {
namespace {

// Newest IR version whose files this schema describes completely.
constexpr int64_t kMaxIrVersion = 10;

class Importer {
 public:
  Importer(const std::filesystem::path& base_dir, const ImportOptions& opts)
      : reader_(base_dir), opts_(opts) {}

  Result<ImportResult> Run(onnxpb::ModelProto& mp);

 private:
  Result<Tensor> LoadTensor(const onnxpb::TensorProto& tp, const std::string& what,
                            const std::string& placeholder_name);
  Status ImportGraph(onnxpb::GraphProto& gp, ir::Graph& g);
  Status ImportNode(onnxpb::NodeProto& np, ir::Node& n);
  Result<ir::Attribute> ImportAttribute(onnxpb::AttributeProto& ap, const ir::Node& owner);

  ExternalDataReader reader_;
  ImportOptions opts_;
  std::vector<std::string> missing_;
};

// samq's DType for an elem_type in a type annotation. Annotations only describe values, so an
// unsupported type is recorded (string) or left undefined rather than refused here; the runtime
// reports it if such a value is ever used.
DType ElemDType(int32_t code) {
  if (auto dt = dtype_from_onnx(code)) return *dt;
  if (code == static_cast<int32_t>(DType::kString)) return DType::kString;
  return DType::kUndefined;
}

ir::ValueInfo ImportValueInfo(const onnxpb::ValueInfoProto& vp) {
  ir::ValueInfo vi;
  vi.name = vp.name();
  vi.doc = vp.doc_string();
  if (!vp.has_type() || !vp.type().has_tensor_type()) return vi;  // sequences/maps: not modelled
  const auto& tt = vp.type().tensor_type();
  vi.dtype = ElemDType(tt.elem_type());
  if (!tt.has_shape()) return vi;
  vi.has_shape = true;
  for (const auto& d : tt.shape().dim()) {
    ir::Dim dim;
    if (d.has_dim_value() && d.dim_value() >= 0) dim.value = d.dim_value();
    if (d.has_dim_param()) dim.param = d.dim_param();
    vi.dims.push_back(std::move(dim));
  }
  return vi;
}

// Files written before IR 4 may omit AttributeProto.type; infer it from the field that is set.
onnxpb::AttributeProto::AttributeType InferAttributeType(const onnxpb::AttributeProto& ap) {
  using A = onnxpb::AttributeProto;
  if (ap.has_f()) return A::FLOAT;
  if (ap.has_i()) return A::INT;
  if (ap.has_s()) return A::STRING;
  if (ap.has_t()) return A::TENSOR;
  if (ap.has_g()) return A::GRAPH;
  if (ap.has_sparse_tensor()) return A::SPARSE_TENSOR;
  if (ap.has_tp()) return A::TYPE_PROTO;
  if (ap.floats_size()) return A::FLOATS;
  if (ap.ints_size()) return A::INTS;
  if (ap.strings_size()) return A::STRINGS;
  if (ap.tensors_size()) return A::TENSORS;
  if (ap.graphs_size()) return A::GRAPHS;
  if (ap.sparse_tensors_size()) return A::SPARSE_TENSORS;
  if (ap.type_protos_size()) return A::TYPE_PROTOS;
  return A::UNDEFINED;
}

Result<Tensor> Importer::LoadTensor(const onnxpb::TensorProto& tp, const std::string& what,
                                    const std::string& placeholder_name) {
  SAMQ_ASSIGN_OR_RETURN(DType dtype, TensorDType(tp, what));
  SAMQ_ASSIGN_OR_RETURN(Shape shape, ShapeFromDims(tp.dims(), what));
  if (tp.data_location() != onnxpb::TensorProto::EXTERNAL)
    return TensorFromInlineProto(tp, dtype, std::move(shape), what);
  if (opts_.load_external_data) return reader_.Read(tp, dtype, shape, what);
  SAMQ_RETURN_IF_ERROR(ParseExternalRef(tp, what).status());
  missing_.push_back(placeholder_name);
  return ZeroPlaceholder(dtype, shape, what);
}

Result<ir::Attribute> Importer::ImportAttribute(onnxpb::AttributeProto& ap, const ir::Node& owner) {
  using A = onnxpb::AttributeProto;
  ir::Attribute a;
  a.name = ap.name();
  const std::string what = fmt::format("{}: attribute '{}'", owner.describe(), a.name);
  if (a.name.empty()) return Status::UserF("{}: an attribute has no name", owner.describe());
  const A::AttributeType type =
      ap.has_type() && ap.type() != A::UNDEFINED ? ap.type() : InferAttributeType(ap);
  switch (type) {
    case A::FLOAT:
      a.type = ir::AttrType::kFloat;
      a.f = ap.f();
      break;
    case A::INT:
      a.type = ir::AttrType::kInt;
      a.i = ap.i();
      break;
    case A::STRING:
      a.type = ir::AttrType::kString;
      a.s = ap.s();
      break;
    case A::TENSOR: {
      a.type = ir::AttrType::kTensor;
      SAMQ_ASSIGN_OR_RETURN(a.t, LoadTensor(ap.t(), what, owner.name + "/" + a.name));
      ap.mutable_t()->clear_raw_data();  // the bytes now live in the Tensor
      break;
    }
    case A::FLOATS:
      a.type = ir::AttrType::kFloats;
      a.floats.assign(ap.floats().begin(), ap.floats().end());
      break;
    case A::INTS:
      a.type = ir::AttrType::kInts;
      a.ints.assign(ap.ints().begin(), ap.ints().end());
      break;
    case A::STRINGS:
      a.type = ir::AttrType::kStrings;
      a.strings.assign(ap.strings().begin(), ap.strings().end());
      break;
    case A::GRAPH:
    case A::GRAPHS:
    case A::TENSORS:
    case A::SPARSE_TENSOR:
    case A::SPARSE_TENSORS:
    case A::TYPE_PROTO:
    case A::TYPE_PROTOS:
      // Not modelled by the IR: kept opaque (see import.h) so that export writes them back.
      a.type =
          (type == A::GRAPH || type == A::GRAPHS) ? ir::AttrType::kGraph : ir::AttrType::kUndefined;
      ap.set_type(type);
      a.s = ap.SerializeAsString();
      break;
    default: return Status::UserF("{}: attribute type is missing or unknown", what);
  }
  return a;
}

Status Importer::ImportNode(onnxpb::NodeProto& np, ir::Node& n) {
  n.name = np.name();
  n.op_type = np.op_type();
  // "ai.onnx" is the default domain's long name; the IR uses "" for it.
  n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
  n.doc = np.doc_string();
  n.inputs.assign(np.input().begin(), np.input().end());
  n.outputs.assign(np.output().begin(), np.output().end());
  if (n.op_type.empty()) return Status::UserF("{}: node has no op_type", n.describe());
  std::set<std::string> seen;
  for (auto& ap : *np.mutable_attribute()) {
    SAMQ_ASSIGN_OR_RETURN(ir::Attribute a, ImportAttribute(ap, n));
    if (!seen.insert(a.name).second)
      return Status::UserF("{}: attribute '{}' appears twice", n.describe(), a.name);
    n.attributes.push_back(std::move(a));
  }
  return Status::Ok();
}

Status Importer::ImportGraph(onnxpb::GraphProto& gp, ir::Graph& g) {
  g.name = gp.name();
  g.doc = gp.doc_string();
  if (gp.sparse_initializer_size() > 0)
    return Status::UserF("graph '{}': sparse initializers are not supported (first: '{}')", g.name,
                         gp.sparse_initializer(0).values().name());
  for (auto& tp : *gp.mutable_initializer()) {
    const std::string what = fmt::format("initializer '{}'", tp.name());
    if (tp.name().empty()) return Status::User("an initializer has no name");
    if (g.initializers.count(tp.name()))
      return Status::UserF("{}: the name is used by two initializers", what);
    SAMQ_ASSIGN_OR_RETURN(Tensor t, LoadTensor(tp, what, tp.name()));
    g.initializers.emplace(tp.name(), std::move(t));
    tp.clear_raw_data();  // keep peak memory at one copy of the weights
  }
  for (const auto& vp : gp.input()) g.inputs.push_back(ImportValueInfo(vp));
  for (const auto& vp : gp.output()) g.outputs.push_back(ImportValueInfo(vp));
  for (const auto& vp : gp.value_info()) g.value_info.push_back(ImportValueInfo(vp));
  g.nodes.resize(static_cast<size_t>(gp.node_size()));
  for (int i = 0; i < gp.node_size(); ++i)
    SAMQ_RETURN_IF_ERROR(ImportNode(*gp.mutable_node(i), g.nodes[static_cast<size_t>(i)]));
  return Status::Ok();
}

Result<ImportResult> Importer::Run(onnxpb::ModelProto& mp) {
  if (!mp.has_ir_version() || !mp.has_graph())
    return Status::User("not an ONNX model (no ir_version or no graph)");
  if (mp.ir_version() < 1) return Status::UserF("invalid IR version {}", mp.ir_version());
  if (mp.ir_version() > kMaxIrVersion)
    return Status::UserF(
        "IR version {} is newer than samq supports (up to {}); convert it with an "
        "older onnx package",
        mp.ir_version(), kMaxIrVersion);
  ImportResult r;
  ir::Model& m = r.model;
  m.ir_version = mp.ir_version();
  m.producer_name = mp.producer_name();
  m.producer_version = mp.producer_version();
  m.domain = mp.domain();
  m.model_version = mp.model_version();
  m.doc = mp.doc_string();
  for (const auto& op : mp.opset_import()) m.opsets.push_back({op.domain(), op.version()});
  for (const auto& kv : mp.metadata_props()) m.metadata.emplace_back(kv.key(), kv.value());
  SAMQ_RETURN_IF_ERROR(ImportGraph(*mp.mutable_graph(), m.graph));
  r.missing_external = std::move(missing_);
  return r;
}

Status InFile(const Status& s, const std::string& label) {
  return s.WithContext("'" + label + "'");
}

Status ParseModelProto(const std::string& bytes, const std::string& label, onnxpb::ModelProto& mp) {
  if (bytes.empty()) return InFile(Status::User("the file is empty, not an ONNX model"), label);
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return InFile(Status::User("larger than 2 GiB, which protobuf cannot parse; store the weights "
                               "as external data"),
                  label);
  // An explicit stream so that the total-size limit is ours (2 GiB), not a library default.
  google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream in(&raw);
  in.SetTotalBytesLimit(INT_MAX);
  if (!mp.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
    return InFile(Status::User("not a valid ONNX model (protobuf parsing failed: truncated or "
                               "corrupt file, or not ONNX)"),
                  label);
  return Status::Ok();
}

Result<ImportResult> Import(onnxpb::ModelProto& mp, const std::filesystem::path& base_dir,
                            const ImportOptions& opts, const std::string& label) {
  Importer importer(base_dir, opts);
  auto r = importer.Run(mp);
  if (!r.ok()) return InFile(r.status(), label);
  return r;
}

}  // namespace

Result<ImportResult> LoadModel(const std::filesystem::path& path, const ImportOptions& opts) {
  // Refuse before reading gigabytes: protobuf cannot parse a message over 2 GiB.
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > static_cast<uintmax_t>(INT_MAX))
    return InFile(Status::User("larger than 2 GiB, which protobuf cannot parse; store the weights "
                               "as external data"),
                  path.string());
  auto bytes = io::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  std::filesystem::path base = path.parent_path();
  if (base.empty()) base = ".";
  onnxpb::ModelProto mp;
  {
    // Drop the file bytes once parsed: the proto holds the weights now (peak = 2 copies).
    std::string data = std::move(bytes).value();
    SAMQ_RETURN_IF_ERROR(ParseModelProto(data, path.string(), mp));
  }
  return Import(mp, base, opts, path.string());
}

Result<ImportResult> ParseModel(const std::string& bytes, const std::filesystem::path& base_dir,
                                const ImportOptions& opts) {
  const std::string label = "<in-memory model>";
  onnxpb::ModelProto mp;
  SAMQ_RETURN_IF_ERROR(ParseModelProto(bytes, label, mp));
  return Import(mp, base_dir, opts, label);
}

Result<Tensor> ParseTensorProto(const std::string& bytes) {
  onnxpb::TensorProto tp;
  if (bytes.size() > static_cast<size_t>(INT_MAX) ||
      !tp.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return Status::User("not a valid serialized TensorProto (protobuf parsing failed)");
  const std::string what = fmt::format("tensor '{}'", tp.name());
  SAMQ_ASSIGN_OR_RETURN(DType dtype, TensorDType(tp, what));
  SAMQ_ASSIGN_OR_RETURN(Shape shape, ShapeFromDims(tp.dims(), what));
  if (tp.data_location() == onnxpb::TensorProto::EXTERNAL)
    return Status::UserF("{}: external data is not supported for a standalone TensorProto", what);
  return TensorFromInlineProto(tp, dtype, std::move(shape), what);
}

}  // namespace samq::onnx
