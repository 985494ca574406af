// A gtest assertion over support/compare.h: same shape, max |want - got| <= tol, NaN where NaN.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "support/compare.h"

namespace samq::testing {

inline void ExpectMaxAbsDiff(const Tensor& want, const Tensor& got, double tol, const std::string& what) {
  ASSERT_TRUE(want.defined() && got.defined()) << what;
  const Diff d = CompareTensors(want, got);
  ASSERT_TRUE(d.same_shape) << what;
  EXPECT_LE(d.max_abs, tol) << what << ": " << d.str();
  EXPECT_EQ(d.nan_mismatch, 0) << what;
}

}  // namespace samq::testing
