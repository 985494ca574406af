#include "quant/quantize.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <system_error>

#include "backends/registry.h"
#include "io/progress.h"
#include "onnx/export.h"
#include "onnx/import.h"
#include "quant/calib/activation_recorder.h"
#include "quant/calib/calib_workload.h"
#include "quant/insert_qdq.h"
#include "quant/opset_upgrade.h"
#include "quant/prepare_graph.h"

namespace samq::quant {
namespace fs = std::filesystem;

namespace {

// Fail before the (long) calibration if the result could not be written anyway.
Status CheckOutputPath(const QuantizeConfig& c) {
  if (c.out_path.empty()) return Status::User("--out is required");
  fs::path out(c.out_path);
  fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::UserF("--out '{}': folder '{}' does not exist", c.out_path, dir.string());
  if (fs::is_directory(out, ec)) return Status::UserF("--out '{}' is a folder, not a file", c.out_path);
  if (::access(dir.c_str(), W_OK) != 0) return Status::UserF("--out '{}': folder '{}' is not writable", c.out_path, dir.string());
  if (fs::exists(c.model_path, ec) && fs::exists(out, ec) && fs::equivalent(c.model_path, out, ec))
    return Status::UserF("--out '{}' is the input model; choose another file", c.out_path);
  if (!c.report_path.empty()) {
    fs::path rdir = fs::path(c.report_path).parent_path().empty() ? fs::path(".") : fs::path(c.report_path).parent_path();
    if (!fs::is_directory(rdir, ec) || ::access(rdir.c_str(), W_OK) != 0)
      return Status::UserF("--report '{}': folder '{}' does not exist or is not writable", c.report_path, rdir.string());
  }
  return Status::Ok();
}

// `unfused_attention`: keep the attention subgraphs as they are, so calibration sees the
// activations the attention MatMuls read (--quantize-attention); the fused Attention op never
// materializes Q, Kᵀ, V or the probabilities. The decoders' projected attentions always stay
// unfused here: the fused node never materializes the output projection's input, a MatMul input
// that calibration must observe (nor does MBConv the inputs of its depthwise and project convs).
Result<std::unique_ptr<rt::Session>> MakeSession(ir::Model model, int threads, const std::string& path,
                                                 bool unfused_attention = false) {
  rt::SessionOptions so;
  so.threads = threads;
  so.fuse_sam_attention = !unfused_attention;
  so.fuse_projected_attention = false;
  so.fuse_mbconv = false;  // calibration observes the depthwise and project convs' inputs
  // Nor may a depthwise conv read its tokens through a channels-last view: TinyViT's local_conv
  // input (the NCHW Reshape of the attention's output) would never exist, and all ten of
  // MobileSAM's were left unquantized as "never computed during calibration".
  so.fuse_channels_last_depthwise = false;
  auto s = rt::Session::Create(std::move(model), backends::DefaultRegistry(), so);
  if (!s.ok()) return s.status().WithContext(path);
  return s;
}

Result<std::unique_ptr<rt::Session>> LoadSession(const std::string& path, int threads) {
  SAMQ_ASSIGN_OR_RETURN(auto imported, onnx::LoadModel(path));
  return MakeSession(std::move(imported.model), threads, path);
}

Status RunPass(CalibWorkload& w, const char* label) {
  io::Progress bar(label, w.size());
  for (int64_t i = 0; i < w.size(); ++i) {
    SAMQ_RETURN_IF_ERROR(w.Run(i));
    bar.Step();
  }
  return Status::Ok();
}

}  // namespace

Result<QuantizeSummary> Quantize(const QuantizeConfig& c) {
  const auto t0 = std::chrono::steady_clock::now();
  QuantizeSummary sum;
  sum.model = c.model_path;
  sum.out = c.out_path;
  sum.mode = c.mode == QuantMode::kFp8 ? "fp8" : "int8";
  sum.weights_form = c.weights == WeightsForm::kDq ? "dq" : "qdq";
  sum.activation_type = c.mode == QuantMode::kFp8 ? "float8e4m3fn"
                        : c.activation_type == ActivationType::kInt8Symmetric ? "int8-symmetric" : "uint8-asymmetric";

  // 1. Everything the user gave that can be checked cheaply.
  if (c.random_calib && !c.calib_dir.empty()) return Status::User("--calib-dir and --random-calib exclude each other");
  if (!c.random_calib && c.calib_dir.empty())
    return Status::User("calibration data needed: give --calib-dir DIR (images) or --random-calib");
  if (c.method == CalibMethod::kPercentile && !(c.percentile > 0 && c.percentile <= 100))
    return Status::UserF("--percentile {} must be in (0, 100]", c.percentile);
  SAMQ_RETURN_IF_ERROR(CheckOutputPath(c));
  CalibImages images;
  if (c.random_calib) {
    SAMQ_ASSIGN_OR_RETURN(images, CalibImages::Random(c.calib_size, c.seed));
    sum.calib_source = fmt::format("random (seed {})", c.seed);
  } else {
    SAMQ_ASSIGN_OR_RETURN(images, CalibImages::FromDir(c.calib_dir, c.calib_ext, c.calib_size, &sum.warnings));
    sum.calib_source = c.calib_dir;
  }
  for (int64_t i = 0; i < images.size(); ++i) sum.calib_items.push_back(images.name(i));

  // 2. The model, prepared (constant folding turns computed weights into initializers), and the
  //    scheme decided on that graph, which is also the graph that gets the QDQ nodes.
  std::error_code ec;
  sum.in_bytes = fs::file_size(c.model_path, ec);
  SAMQ_ASSIGN_OR_RETURN(auto imported, onnx::LoadModel(c.model_path));
  ir::Model model = std::move(imported.model);
  if (auto unsupported = rt::FindUnsupportedNodes(model, backends::DefaultRegistry()); !unsupported.empty())
    return Status::UserF("{}: {} unsupported node(s), first: {}", c.model_path, unsupported.size(), unsupported[0]);
  {
    Status prepared = PrepareFloatGraph(model, backends::DefaultRegistry());
    if (!prepared.ok()) return prepared.WithContext(c.model_path);
  }
  // Calibration runs the prepared graph; the session may fuse ops internally, which only hides
  // values inside fused groups: never inputs of MatMul/Conv/Gemm with weights, but those of the
  // attention MatMuls, so attention stays unfused when they are to be quantized.
  SAMQ_ASSIGN_OR_RETURN(auto session, MakeSession(model, c.threads, c.model_path, c.quantize_attention));
  const int64_t opset = model.default_opset();
  if (c.mode == QuantMode::kInt8 && opset != 0 && opset < 13)
    return Status::UserF("{}: opset {} is too old for per-channel QDQ (needs 13); re-export the model with opset >= 13",
                         c.model_path, opset);
  SAMQ_ASSIGN_OR_RETURN(QuantPlan plan, PlanQuantization(model.graph, opset ? opset : 21, backends::DefaultRegistry(), c));

  sam::FamilyGuess guess = sam::DetectFamily(model.graph);
  sam::Family family = c.family.value_or(guess.family);
  sum.role = std::string(sam::role_name(guess.role));

  // 3. Calibration workload.
  std::unique_ptr<rt::Session> encoder;
  std::unique_ptr<CalibWorkload> work;
  if (guess.role == sam::Role::kDecoder) {
    if (c.encoder_path.empty())
      return Status::UserF("{} is a SAM decoder: calibrating it needs its image encoder, give --encoder ENCODER.onnx",
                           c.model_path);
    SAMQ_ASSIGN_OR_RETURN(encoder, LoadSession(c.encoder_path, c.threads));
    if (!c.family) family = sam::DetectFamily(encoder->model().graph).family;
    if (family == sam::Family::kUnknown)
      return Status::UserF("cannot tell the SAM family of --encoder {}; pass --family", c.encoder_path);
    SAMQ_ASSIGN_OR_RETURN(work, MakeDecoderWorkload(*session, c.model_path, *encoder, images, family, c.decoder_grid));
  } else if (family != sam::Family::kUnknown) {
    SAMQ_ASSIGN_OR_RETURN(work, MakeEncoderWorkload(*session, images, family));
  } else if (c.random_calib) {
    SAMQ_ASSIGN_OR_RETURN(work, MakeRandomTensorWorkload(*session, c.calib_size, c.seed));
    sum.calib_items.clear();
  } else {
    return Status::UserF("{} is not a recognized SAM encoder or decoder, so its calibration images cannot be "
                         "preprocessed: pass --family or use --random-calib", c.model_path);
  }
  sum.family = std::string(sam::family_name(family));
  sum.calib_samples = work->size();

  // 4. Calibrate: ranges, then histograms (histogram methods), then the chosen parameters' error.
  ActivationRecorder rec(plan.activations);
  session->set_value_tap(rec.Tap());
  SAMQ_RETURN_IF_ERROR(RunPass(*work, "calibration (ranges)"));
  if (needs_histogram(c.method)) {
    rec.BeginPhase(ActivationRecorder::Phase::kHistogram);
    SAMQ_RETURN_IF_ERROR(RunPass(*work, "calibration (histograms)"));
  }
  // Values calibration never saw (a branch the data did not reach) cannot be quantized.
  std::set<std::string> unseen = rec.Unseen();
  if (!unseen.empty()) {
    std::vector<NodePlan> kept;
    for (auto& np : plan.nodes) {
      std::string missing;
      for (int i : np.activation_inputs) {
        const ir::Node* n = nullptr;
        for (const auto& node : model.graph.nodes)
          if (node.name == np.name) n = &node;
        if (n && unseen.count(n->inputs[i])) missing = n->inputs[i];
      }
      if (missing.empty()) kept.push_back(std::move(np));
      else plan.excluded.push_back({np.name, np.op_type, "not quantizable: input '" + missing + "' was never computed during calibration"});
    }
    plan.nodes = std::move(kept);
    if (plan.nodes.empty()) return Status::User("nothing to quantize: calibration computed none of the quantizable nodes' inputs");
  }
  std::map<std::string, const ir::Node*> node_by_name;
  for (const auto& n : model.graph.nodes) node_by_name[n.name] = &n;

  QdqTensors q;
  std::map<std::string, std::vector<std::string>> consumers;
  for (const auto& np : plan.nodes) {
    const ir::Node& n = *node_by_name.at(np.name);
    for (int i : np.activation_inputs) {
      const std::string& v = n.inputs[i];
      consumers[v].push_back(np.name);
      if (!q.activations.count(v))
        q.activations[v] = ChooseActivationQParams(rec.stats().at(v), c.mode, c.activation_type, c.method, c.percentile);
    }
    for (const auto& wi : np.weights) {
      const std::string& v = n.inputs[wi.input];
      consumers[v].push_back(np.name);
      if (!q.weights.count(v)) q.weights[v] = QuantizeWeight(model.graph.initializers.at(v), wi.axis, c.mode);
    }
  }
  const bool want_error = !c.report_path.empty();
  if (want_error) {
    rec.BeginPhase(ActivationRecorder::Phase::kError, &q.activations);
    SAMQ_RETURN_IF_ERROR(RunPass(*work, "calibration (error)"));
  }
  session->set_value_tap({});

  // 5. Rewrite and write.
  if (c.mode == QuantMode::kFp8) SAMQ_RETURN_IF_ERROR(UpgradeOpsetForFp8(model));
  SAMQ_RETURN_IF_ERROR(InsertQdq(model, plan, q, c.mode, c.weights));
  SAMQ_RETURN_IF_ERROR(onnx::SaveModel(model, c.out_path));
  sum.out_bytes = fs::file_size(c.out_path, ec);

  for (const auto& [v, p] : q.activations) {
    TensorReport t;
    t.name = v;
    t.type = p.type;
    t.scales = {p.scale};
    t.zero_point = p.zero_point;
    const auto& st = rec.stats().at(v);
    t.observed_min = st.range.min;
    t.observed_max = st.range.max;
    t.lo = p.lo;
    t.hi = p.hi;
    t.observer = std::string(calib_method_name(c.method));
    t.has_sqnr = want_error;
    t.sqnr_db = want_error ? rec.SqnrDb(v) : 0.0;
    t.consumers = consumers[v];
    sum.tensors.push_back(std::move(t));
  }
  for (const auto& [v, w] : q.weights) {
    TensorReport t;
    t.name = v;
    t.is_weight = true;
    t.type = w.quantized.dtype();
    t.axis = w.axis;
    t.scales = w.scales;
    t.observer = "weight-absmax";
    t.has_sqnr = true;
    t.sqnr_db = w.sqnr_db;
    t.consumers = consumers[v];
    sum.tensors.push_back(std::move(t));
  }
  sum.quantized = plan.nodes;
  sum.excluded = plan.excluded;
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!c.report_path.empty()) SAMQ_RETURN_IF_ERROR(WriteQuantizeReport(c.report_path, sum));
  return sum;
}

}  // namespace samq::quant
