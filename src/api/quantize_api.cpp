// samq::quantize(): the public options mapped onto src/quant's QuantizeConfig.
#include "quant/quantize.h"
#include "samq/samq.h"

namespace samq {

Result<QuantizeResult> quantize(const QuantizeOptions& o) {
  quant::QuantizeConfig c;
  c.model_path = o.model;
  c.out_path = o.out;
  if (o.mode == "w4a8" || o.mode == "w4a16") return Status::UserF("mode {} is not supported yet; use int8 or fp8", o.mode);
  if (o.mode == "int8") c.mode = quant::QuantMode::kInt8;
  else if (o.mode == "fp8") c.mode = quant::QuantMode::kFp8;
  else return Status::UserF("mode '{}': expected int8 or fp8", o.mode);
  c.calib_dir = o.calib_dir;
  c.random_calib = o.random_calib;
  c.seed = o.seed;
  c.calib_ext = o.calib_ext;
  c.calib_size = o.calib_size;
  auto method = quant::calib_method_from_name(o.calib_method);
  if (!method) return Status::UserF("calib_method '{}': expected max, entropy, percentile or mse", o.calib_method);
  c.method = *method;
  c.percentile = o.percentile;
  c.op_types = o.op_types;
  c.exclude = o.exclude;
  c.quantize_attention = o.quantize_attention;
  c.per_channel = o.per_channel;
  if (o.weights != "qdq" && o.weights != "dq") return Status::UserF("weights '{}': expected qdq or dq", o.weights);
  c.weights = o.weights == "dq" ? quant::WeightsForm::kDq : quant::WeightsForm::kQdq;
  if (o.activation_type != "u8" && o.activation_type != "s8")
    return Status::UserF("activation_type '{}': expected u8 or s8", o.activation_type);
  c.activation_type = o.activation_type == "s8" ? quant::ActivationType::kInt8Symmetric
                                                : quant::ActivationType::kUInt8Asymmetric;
  if (o.family != "auto") {
    auto f = sam::family_from_name(o.family);
    if (!f) return Status::UserF("family '{}': expected auto, sam, mobilesam, efficientvit-sam or sam2", o.family);
    c.family = *f;
  }
  c.encoder_path = o.encoder;
  c.report_path = o.report;
  c.threads = o.threads;
  SAMQ_ASSIGN_OR_RETURN(quant::QuantizeSummary s, quant::Quantize(c));
  QuantizeResult r;
  r.quantized_nodes = static_cast<int64_t>(s.quantized.size());
  r.excluded_nodes = static_cast<int64_t>(s.excluded.size());
  r.warnings = s.warnings;
  r.summary = quant::HumanSummary(s);
  return r;
}

}  // namespace samq
