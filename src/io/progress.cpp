#include "io/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace samq::io {

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)), total_(std::max<int64_t>(total, 1)), enabled_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (enabled_ && done_ > 0) std::fputc('\n', stderr);
}

void Progress::Step(int64_t n) {
  done_ = std::min(total_, done_ + n);
  if (!enabled_) return;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done_ / total_);
  std::fprintf(stderr, "\r%s [%.*s%*s] %lld/%lld", label_.c_str(), filled,
               "##############################", kWidth - filled, "", static_cast<long long>(done_),
               static_cast<long long>(total_));
  std::fflush(stderr);
}

}  // namespace samq::io
