// ir::Model -> ModelProto, inline or with one external data file.
//
// Determinism: nodes, attributes and graph I/O keep their IR order, initializers come from a
// std::map (sorted by name), and protobuf writes fields in number order, so the same model
// always gives the same bytes. Attributes that the IR keeps opaque (graphs, sparse tensors, ...;
// see import.h) are written back exactly as they were read.
#include "onnx/export.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "io/atomic_file.h"
#include "onnx.pb.h"
#include "onnx/tensor_proto.h"

namespace samq::onnx {
namespace {

// Offsets in the external data file are multiples of this: the importer (and ONNX Runtime)
// can then use tensors in place from a memory mapping.
constexpr uint64_t kExternalAlignment = 64;
// Beyond this much tensor data an inline model risks protobuf's 2 GiB message limit.
constexpr uint64_t kAutoExternalBytes = 1'900'000'000;

struct ExternalEntry {
  const Tensor* tensor;
  uint64_t offset;
  uint64_t length;
};

// Where large initializers go when exporting with external data.
struct ExternalPlan {
  bool enabled = false;
  uint64_t threshold = 0;
  std::string location;  // file name, relative to the model's folder
  std::vector<ExternalEntry> entries;
  uint64_t end = 0;  // size of the data file
};

void ExportValueInfo(const ir::ValueInfo& vi, onnxpb::ValueInfoProto* vp) {
  vp->set_name(vi.name);
  if (!vi.doc.empty()) vp->set_doc_string(vi.doc);
  if (vi.dtype == DType::kUndefined && !vi.has_shape) return;
  auto* tt = vp->mutable_type()->mutable_tensor_type();
  if (vi.dtype != DType::kUndefined) tt->set_elem_type(static_cast<int32_t>(vi.dtype));
  if (!vi.has_shape) return;
  auto* shape = tt->mutable_shape();
  for (const ir::Dim& d : vi.dims) {
    auto* dp = shape->add_dim();
    if (d.known())
      dp->set_dim_value(d.value);
    else if (!d.param.empty())
      dp->set_dim_param(d.param);
  }
}

Status CheckTensor(const Tensor& t, const std::string& what) {
  if (!t.defined() || !dtype_from_onnx(static_cast<int32_t>(t.dtype())))
    return Status::InternalF("{}: cannot export a tensor of type {}", what, dtype_name(t.dtype()));
  if (t.numel() > 0 && !t.raw()) return Status::InternalF("{}: tensor has no data", what);
  return Status::Ok();
}

Status ExportAttribute(const ir::Attribute& a, const ir::Node& n, onnxpb::AttributeProto* ap) {
  using A = onnxpb::AttributeProto;
  const std::string what = fmt::format("{}: attribute '{}'", n.describe(), a.name);
  switch (a.type) {
    case ir::AttrType::kFloat:
      ap->set_type(A::FLOAT);
      ap->set_f(a.f);
      break;
    case ir::AttrType::kInt:
      ap->set_type(A::INT);
      ap->set_i(a.i);
      break;
    case ir::AttrType::kString:
      ap->set_type(A::STRING);
      ap->set_s(a.s);
      break;
    case ir::AttrType::kTensor:
      SAMQ_RETURN_IF_ERROR(CheckTensor(a.t, what));
      ap->set_type(A::TENSOR);
      TensorToProto(a.t, "", ap->mutable_t());
      break;
    case ir::AttrType::kFloats:
      ap->set_type(A::FLOATS);
      ap->mutable_floats()->Add(a.floats.begin(), a.floats.end());
      break;
    case ir::AttrType::kInts:
      ap->set_type(A::INTS);
      ap->mutable_ints()->Add(a.ints.begin(), a.ints.end());
      break;
    case ir::AttrType::kStrings:
      ap->set_type(A::STRINGS);
      for (const auto& s : a.strings) ap->add_strings(s);
      break;
    case ir::AttrType::kGraph:
    case ir::AttrType::kUndefined:
      // Opaque attribute: `s` holds the serialized AttributeProto as read.
      if (a.s.empty() || !ap->ParseFromString(a.s))
        return Status::InternalF("{}: attribute of type {} carries no serialized value", what,
                                 attr_type_name(a.type));
      break;
  }
  ap->set_name(a.name);
  return Status::Ok();
}

Status ExportNode(const ir::Node& n, onnxpb::NodeProto* np) {
  for (const auto& in : n.inputs) np->add_input(in);
  for (const auto& out : n.outputs) np->add_output(out);
  if (!n.name.empty()) np->set_name(n.name);
  np->set_op_type(n.op_type);
  if (!n.domain.empty()) np->set_domain(n.domain);
  for (const auto& a : n.attributes)
    SAMQ_RETURN_IF_ERROR(ExportAttribute(a, n, np->add_attribute()));
  if (!n.doc.empty()) np->set_doc_string(n.doc);
  return Status::Ok();
}

Status ExportGraph(const ir::Graph& g, ExternalPlan& plan, onnxpb::GraphProto* gp) {
  for (const auto& n : g.nodes) SAMQ_RETURN_IF_ERROR(ExportNode(n, gp->add_node()));
  gp->set_name(g.name.empty() ? "samq" : g.name);
  for (const auto& [name, t] : g.initializers) {
    SAMQ_RETURN_IF_ERROR(CheckTensor(t, fmt::format("initializer '{}'", name)));
    auto* tp = gp->add_initializer();
    const uint64_t bytes = FileBytes(t.dtype(), t.numel());
    if (plan.enabled && bytes >= plan.threshold && bytes > 0) {
      // Dims and type stay in the model; the bytes go to the data file at an aligned offset.
      for (int64_t d : t.shape()) tp->add_dims(d);
      tp->set_data_type(static_cast<int32_t>(t.dtype()));
      tp->set_name(name);
      const uint64_t offset =
          (plan.end + kExternalAlignment - 1) / kExternalAlignment * kExternalAlignment;
      auto add = [&](const char* k, std::string v) {
        auto* e = tp->add_external_data();
        e->set_key(k);
        e->set_value(std::move(v));
      };
      add("location", plan.location);
      add("offset", std::to_string(offset));
      add("length", std::to_string(bytes));
      tp->set_data_location(onnxpb::TensorProto::EXTERNAL);
      plan.entries.push_back({&t, offset, bytes});
      plan.end = offset + bytes;
    } else {
      TensorToProto(t, name, tp);
    }
  }
  if (!g.doc.empty()) gp->set_doc_string(g.doc);
  for (const auto& vi : g.inputs) ExportValueInfo(vi, gp->add_input());
  for (const auto& vi : g.outputs) ExportValueInfo(vi, gp->add_output());
  for (const auto& vi : g.value_info) ExportValueInfo(vi, gp->add_value_info());
  return Status::Ok();
}

// The lowest IR version whose type system has every element type the model uses: FLOAT8 types
// came with IR 9, INT4/UINT4 with IR 10. A model declaring less would be rejected by checkers.
int64_t RequiredIrVersion(const ir::Model& m) {
  int64_t v = 3;
  auto need = [&](DType t) {
    if (t == DType::kInt4 || t == DType::kUInt4) v = std::max<int64_t>(v, 10);
    if (t == DType::kFloat8E4M3FN || t == DType::kFloat8E5M2) v = std::max<int64_t>(v, 9);
  };
  for (const auto& [name, t] : m.graph.initializers) need(t.dtype());
  for (const auto& n : m.graph.nodes)
    for (const auto& a : n.attributes)
      if (a.type == ir::AttrType::kTensor) need(a.t.dtype());
  for (const auto* list : {&m.graph.inputs, &m.graph.outputs, &m.graph.value_info})
    for (const auto& vi : *list) need(vi.dtype);
  return v;
}

uint64_t TotalTensorBytes(const ir::Model& m) {
  uint64_t total = 0;
  for (const auto& [name, t] : m.graph.initializers) total += FileBytes(t.dtype(), t.numel());
  for (const auto& n : m.graph.nodes)
    for (const auto& a : n.attributes)
      if (a.type == ir::AttrType::kTensor) total += FileBytes(a.t.dtype(), a.t.numel());
  return total;
}

Status BuildModelProto(const ir::Model& m, ExternalPlan& plan, onnxpb::ModelProto* mp) {
  mp->set_ir_version(std::max(m.ir_version, RequiredIrVersion(m)));
  for (const auto& op : m.opsets) {
    auto* o = mp->add_opset_import();
    o->set_domain(op.domain);
    o->set_version(op.version);
  }
  if (!m.producer_name.empty()) mp->set_producer_name(m.producer_name);
  if (!m.producer_version.empty()) mp->set_producer_version(m.producer_version);
  if (!m.domain.empty()) mp->set_domain(m.domain);
  if (m.model_version != 0) mp->set_model_version(m.model_version);
  if (!m.doc.empty()) mp->set_doc_string(m.doc);
  SAMQ_RETURN_IF_ERROR(ExportGraph(m.graph, plan, mp->mutable_graph()));
  for (const auto& [k, v] : m.metadata) {
    auto* e = mp->add_metadata_props();
    e->set_key(k);
    e->set_value(v);
  }
  if (mp->ByteSizeLong() > static_cast<size_t>(INT_MAX))
    return Status::User(
        "the model is larger than protobuf's 2 GiB limit even with its large "
        "tensors stored externally");
  return Status::Ok();
}

Status WriteProto(const onnxpb::ModelProto& mp, std::ostream& os) {
  google::protobuf::io::OstreamOutputStream zos(&os);
  google::protobuf::io::CodedOutputStream cos(&zos);
  cos.SetSerializationDeterministic(true);
  if (!mp.SerializeToCodedStream(&cos) || cos.HadError())
    return Status::User("writing the model failed");
  return Status::Ok();
}

// Streams the planned tensors into the data file, zero padding between them.
Status WriteExternalData(const ExternalPlan& plan, std::ostream& os) {
  static const char kZeros[kExternalAlignment] = {};
  uint64_t pos = 0;
  std::string packed;
  for (const auto& e : plan.entries) {
    os.write(kZeros, static_cast<std::streamsize>(e.offset - pos));
    const Tensor& t = *e.tensor;
    if (t.dtype() == DType::kInt4 || t.dtype() == DType::kUInt4) {
      packed.resize(static_cast<size_t>(e.length));
      EncodeFileBytes(t.dtype(), t.numel(), t.raw(), packed.data());
      os.write(packed.data(), static_cast<std::streamsize>(packed.size()));
    } else {
      os.write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(e.length));
    }
    pos = e.offset + e.length;
    if (!os) return Status::User("writing external data failed");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> SerializeModel(const ir::Model& model) {
  ExternalPlan inline_only;
  onnxpb::ModelProto mp;
  SAMQ_RETURN_IF_ERROR(BuildModelProto(model, inline_only, &mp));
  std::string out;
  out.reserve(mp.ByteSizeLong());  // one allocation instead of repeated doubling of a big string
  {
    google::protobuf::io::StringOutputStream zos(&out);
    google::protobuf::io::CodedOutputStream cos(&zos);
    cos.SetSerializationDeterministic(true);
    if (!mp.SerializeToCodedStream(&cos)) return Status::Internal("serializing the model failed");
  }
  return out;
}

Status SaveModel(const ir::Model& model, const std::filesystem::path& path,
                 const ExportOptions& opts) {
  ExternalPlan plan;
  plan.enabled = opts.external_data || TotalTensorBytes(model) > kAutoExternalBytes;
  plan.threshold = opts.external_threshold_bytes;
  plan.location = path.filename().string() + ".data";
  onnxpb::ModelProto mp;
  auto built = BuildModelProto(model, plan, &mp);
  if (!built.ok()) return built.WithContext("cannot write '" + path.string() + "'");

  // Data first: a model file must never point at a data file that is not there yet.
  if (!plan.entries.empty()) {
    const std::filesystem::path data_path = path.parent_path() / plan.location;
    SAMQ_RETURN_IF_ERROR(io::WriteFileAtomicStream(
        data_path, [&](std::ostream& os) { return WriteExternalData(plan, os); }));
  }
  return io::WriteFileAtomicStream(path, [&](std::ostream& os) { return WriteProto(mp, os); });
}

}  // namespace samq::onnx
