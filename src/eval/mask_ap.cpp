#include "eval/mask_ap.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

namespace samq::eval {
namespace {

constexpr int kThresholds = 10;    // 0.50:0.05:0.95
constexpr int kRecallPoints = 101;  // 0:0.01:1
constexpr size_t kMaxDets = 100;

// The exact doubles of numpy.linspace (COCOeval's iouThrs and recThrs): i * step + start, with
// the last value set to stop. A recall of exactly 0.03 must compare as it does there.
double Linspace(double start, double stop, int num, int i) {
  if (i == num - 1) return stop;
  return i * ((stop - start) / (num - 1)) + start;
}
double Threshold(int t) { return Linspace(0.5, 0.95, kThresholds, t); }

// Stable order of indices by descending score (numpy argsort(-score, kind="mergesort")).
std::vector<size_t> ByScore(const std::vector<double>& scores) {
  std::vector<size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return idx;
}

// One image and category after matching: per detection (in score order) its score, and per
// threshold whether it matched and whether it is ignored; the number of non-ignored GT.
struct ImageEval {
  std::vector<double> scores;
  std::vector<std::array<bool, kThresholds>> matched, ignored;
  int64_t gt_counted = 0;
};

ImageEval EvaluateImage(const std::vector<const CocoAnnotation*>& gts_in, const std::vector<const CocoDetection*>& dts_in) {
  // Non-crowd ground truth first (stable), as COCOeval sorts by its ignore flag.
  std::vector<const CocoAnnotation*> gts;
  for (auto* g : gts_in) if (!g->iscrowd) gts.push_back(g);
  for (auto* g : gts_in) if (g->iscrowd) gts.push_back(g);
  std::vector<double> raw_scores;
  for (auto* d : dts_in) raw_scores.push_back(d->score);
  std::vector<const CocoDetection*> dts;
  for (size_t i : ByScore(raw_scores)) {
    if (dts.size() == kMaxDets) break;
    dts.push_back(dts_in[i]);
  }
  ImageEval e;
  for (auto* g : gts) e.gt_counted += !g->iscrowd;
  std::vector<std::vector<double>> iou(dts.size(), std::vector<double>(gts.size()));
  for (size_t d = 0; d < dts.size(); ++d)
    for (size_t g = 0; g < gts.size(); ++g) iou[d][g] = RleIoU(dts[d]->rle, gts[g]->rle, gts[g]->iscrowd);

  e.scores.resize(dts.size());
  e.matched.assign(dts.size(), {});
  e.ignored.assign(dts.size(), {});
  for (size_t d = 0; d < dts.size(); ++d) e.scores[d] = dts[d]->score;
  for (int t = 0; t < kThresholds; ++t) {
    std::vector<bool> gt_taken(gts.size(), false);
    for (size_t d = 0; d < dts.size(); ++d) {
      double best = std::min(Threshold(t), 1 - 1e-10);
      int m = -1;
      for (size_t g = 0; g < gts.size(); ++g) {
        if (gt_taken[g] && !gts[g]->iscrowd) continue;  // crowd regions may absorb many detections
        // Once matched to real ground truth, never trade it for an ignore region.
        if (m > -1 && !gts[m]->iscrowd && gts[g]->iscrowd) break;
        if (iou[d][g] < best) continue;
        best = iou[d][g];
        m = static_cast<int>(g);
      }
      if (m == -1) continue;
      e.ignored[d][t] = gts[m]->iscrowd;
      e.matched[d][t] = true;
      gt_taken[m] = true;
    }
  }
  return e;
}

}  // namespace

double RleIoU(const sam::Rle& dt, const sam::Rle& gt, bool crowd) {
  const int64_t area_d = sam::RleArea(dt), area_g = sam::RleArea(gt);
  if (area_d == 0 || area_g == 0) return 0;
  // Walk both run lists at once, counting pixels that are inside both.
  int64_t inter = 0;
  size_t i = 0, j = 0;
  uint64_t left_i = dt.counts.empty() ? 0 : dt.counts[0], left_j = gt.counts.empty() ? 0 : gt.counts[0];
  bool on_i = false, on_j = false;
  while (i < dt.counts.size() && j < gt.counts.size()) {
    const uint64_t step = std::min(left_i, left_j);
    if (on_i && on_j) inter += static_cast<int64_t>(step);
    left_i -= step;
    left_j -= step;
    while (left_i == 0 && ++i < dt.counts.size()) { left_i = dt.counts[i]; on_i = !on_i; }
    while (left_j == 0 && ++j < gt.counts.size()) { left_j = gt.counts[j]; on_j = !on_j; }
  }
  const double denom = crowd ? static_cast<double>(area_d) : static_cast<double>(area_d + area_g - inter);
  return static_cast<double>(inter) / denom;
}

MaskApResult EvaluateMaskAp(const CocoDataset& gt, const std::vector<CocoDetection>& dets) {
  // COCOeval's loops: categories from the file (sorted), images sorted by id.
  std::set<int64_t> cats(gt.category_ids.begin(), gt.category_ids.end());
  for (const auto& a : gt.annotations) cats.insert(a.category_id);
  std::set<int64_t> image_ids;
  for (const auto& im : gt.images) image_ids.insert(im.id);
  std::map<std::pair<int64_t, int64_t>, std::vector<const CocoAnnotation*>> gt_by;
  std::map<std::pair<int64_t, int64_t>, std::vector<const CocoDetection*>> dt_by;
  for (const auto& a : gt.annotations) gt_by[{a.image_id, a.category_id}].push_back(&a);
  for (const auto& d : dets) dt_by[{d.image_id, d.category_id}].push_back(&d);

  MaskApResult res;
  double sum_all = 0, sum50 = 0, sum75 = 0;
  for (int64_t cat : cats) {
    std::vector<double> scores;
    std::vector<std::array<bool, kThresholds>> matched, ignored;
    int64_t npig = 0;
    for (int64_t img : image_ids) {
      auto g = gt_by.find({img, cat});
      auto d = dt_by.find({img, cat});
      if (g == gt_by.end() && d == dt_by.end()) continue;
      static const std::vector<const CocoAnnotation*> kNoGt;
      static const std::vector<const CocoDetection*> kNoDt;
      ImageEval e = EvaluateImage(g == gt_by.end() ? kNoGt : g->second, d == dt_by.end() ? kNoDt : d->second);
      npig += e.gt_counted;
      scores.insert(scores.end(), e.scores.begin(), e.scores.end());
      matched.insert(matched.end(), e.matched.begin(), e.matched.end());
      ignored.insert(ignored.end(), e.ignored.begin(), e.ignored.end());
    }
    if (npig == 0) continue;  // no real ground truth: the category does not count
    const std::vector<size_t> order = ByScore(scores);
    double cat_sum = 0;
    for (int t = 0; t < kThresholds; ++t) {
      std::vector<double> recall, precision;
      double tp = 0, fp = 0;
      for (size_t k : order) {
        if (ignored[k][t]) continue;  // COCOeval drops ignored detections from both counts...
        (matched[k][t] ? tp : fp) += 1;
        // ...but keeps a point for them in its cumulative arrays; skipping a point that repeats
        // the previous (tp, fp) pair changes neither the envelope nor the recall lookup.
        recall.push_back(tp / static_cast<double>(npig));
        precision.push_back(tp / (tp + fp));
      }
      for (size_t i = precision.size(); i-- > 1;) precision[i - 1] = std::max(precision[i - 1], precision[i]);
      double q_sum = 0;
      for (int r = 0; r < kRecallPoints; ++r) {
        const double thr = Linspace(0.0, 1.0, kRecallPoints, r);
        auto it = std::lower_bound(recall.begin(), recall.end(), thr);
        if (it != recall.end()) q_sum += precision[it - recall.begin()];
      }
      const double ap_t = q_sum / kRecallPoints;
      cat_sum += ap_t;
      if (t == 0) sum50 += ap_t;
      if (t == 5) sum75 += ap_t;
    }
    sum_all += cat_sum / kThresholds;
    ++res.categories;
  }
  if (res.categories == 0) return {-1, -1, -1, 0};
  res.ap = sum_all / res.categories;
  res.ap50 = sum50 / res.categories;
  res.ap75 = sum75 / res.categories;
  return res;
}

}  // namespace samq::eval
