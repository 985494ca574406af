// A one-line progress bar on stderr, drawn only when stderr is a terminal (so logs, pipes and
// tests see nothing of it).
#pragma once

#include <cstdint>
#include <string>

namespace samq::io {

class Progress {
 public:
  Progress(std::string label, int64_t total);
  ~Progress();  // ends the line if anything was drawn
  void Step(int64_t n = 1);

 private:
  std::string label_;
  int64_t total_ = 0, done_ = 0;
  bool enabled_ = false;
};

}  // namespace samq::io
