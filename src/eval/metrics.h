// Accuracy metrics for comparing a candidate model with a reference: binary mask IoU, tensor
// similarity (cosine, SQNR, absolute error). Pure functions on plain arrays.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace samq::eval {

// IoU of two binary masks of the same size (any non-zero byte is inside). Convention: two empty
// masks agree perfectly, IoU = 1 (the candidate reproduced "no object"); one empty and one not
// gives 0.
double MaskIoU(std::span<const uint8_t> a, std::span<const uint8_t> b);
// Intersection and union pixel counts, for callers that need them (COCO crowd IoU).
struct Overlap {
  int64_t intersection = 0, union_ = 0, area_a = 0, area_b = 0;
};
Overlap MaskOverlap(std::span<const uint8_t> a, std::span<const uint8_t> b);

// Arithmetic mean; 0 for an empty list (callers report the count next to it).
double Mean(std::span<const double> values);
double Median(std::vector<double> values);

// Tensor similarity of a candidate against a reference of the same length. All sums in double.
struct Similarity {
  double cosine = 0;        // <ref, cand> / (|ref| |cand|); 1 when both are all zeros, 0 when one is
  double sqnr_db = 0;       // 10 log10(sum ref^2 / sum (ref - cand)^2); +inf when identical
  double max_abs_error = 0;
  double mean_abs_error = 0;
};
Similarity CompareArrays(std::span<const float> reference, std::span<const float> candidate);
// Same for float32 tensors; user error when the shapes or dtypes differ.
Result<Similarity> CompareTensors(const Tensor& reference, const Tensor& candidate);

double CosineSimilarity(std::span<const float> a, std::span<const float> b);
double SqnrDb(std::span<const float> reference, std::span<const float> candidate);

}  // namespace samq::eval
