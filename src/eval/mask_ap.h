// COCO mask AP (COCOeval, iouType "segm") for predicted masks against COCO ground truth.
//
// Follows COCOeval's definition so that the numbers agree with pycocotools on the same
// predictions: per category and image, detections sorted by score (stable) are matched greedily to
// the unmatched ground truth of highest IoU >= t, for t = 0.50, 0.55, ..., 0.95; crowd annotations
// are "ignore" regions (IoU with them is intersection / detection area, a detection matched to one
// counts neither way, and they may match several detections); precision is made monotone and read
// at 101 recall points; AP is the mean over thresholds, recall points and categories that have
// non-crowd ground truth. Area range "all", at most 100 detections per image and category.
// In samq's prompted setting there is one detection per ground-truth prompt, scored by the
// decoder's predicted IoU.
#pragma once

#include <cstdint>
#include <vector>

#include "eval/coco_dataset.h"
#include "sam/rle.h"

namespace samq::eval {

struct MaskApResult {
  double ap = 0;       // IoU 0.50:0.95 (COCO "AP"); -1 when no category has ground truth
  double ap50 = 0;     // IoU 0.50
  double ap75 = 0;     // IoU 0.75
  int64_t categories = 0;  // categories that count
};

// IoU of two RLEs of the same size, as pycocotools' maskUtils.iou computes it: 0 when either mask
// is empty; with `crowd`, intersection / area(detection).
double RleIoU(const sam::Rle& detection, const sam::Rle& ground_truth, bool crowd);

MaskApResult EvaluateMaskAp(const CocoDataset& ground_truth, const std::vector<CocoDetection>& detections);

}  // namespace samq::eval
