// samq::compare: the public face of eval::RunComparison.
#include "eval/compare.h"
#include "eval/compare_report.h"
#include "samq/samq.h"

namespace samq {

Result<CompareSummary> compare(const CompareOptions& options) {
  eval::CompareOptions o;
  o.reference = options.reference_encoder;
  o.candidate = options.candidate_encoder;
  o.decoder = options.decoder;
  o.candidate_decoder = options.candidate_decoder;
  o.images_dir = options.images_dir;
  o.prompts = options.prompts;
  o.annotations = options.annotations;
  o.grid = options.grid;
  o.threads = options.threads;
  o.max_images = options.max_images;
  o.family = options.family;
  SAMQ_ASSIGN_OR_RETURN(eval::CompareResult r, eval::RunComparison(o));
  CompareSummary s;
  s.images = static_cast<int64_t>(r.images.size());
  s.prompts = r.prompt_count;
  s.miou = r.miou;
  s.min_iou = r.min_iou;
  s.embedding_cosine_mean = r.embedding_cosine_mean;
  s.embedding_sqnr_db_mean = r.embedding_sqnr_db_mean;
  s.reference_bytes = r.reference_bytes;
  s.candidate_bytes = r.candidate_bytes;
  s.reference_encoder_ms = r.reference_encoder_ms_median;
  s.candidate_encoder_ms = r.candidate_encoder_ms_median;
  if (auto it = r.reference_gt.find("gt-box"); it != r.reference_gt.end()) {
    s.reference_gt_miou = it->second.miou;
    s.reference_gt_ap = it->second.ap.ap;
  }
  if (auto it = r.candidate_gt.find("gt-box"); it != r.candidate_gt.end()) {
    s.candidate_gt_miou = it->second.miou;
    s.candidate_gt_ap = it->second.ap.ap;
  }
  s.report_json = eval::CompareReportJson(r, o);
  return s;
}

}  // namespace samq
