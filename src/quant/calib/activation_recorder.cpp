#include "quant/calib/activation_recorder.h"

namespace samq::quant {

ActivationRecorder::ActivationRecorder(const std::set<std::string>& values) {
  for (const auto& v : values) stats_[v];
}

void ActivationRecorder::BeginPhase(Phase phase, const std::map<std::string, ActivationQParams>* qparams) {
  phase_ = phase;
  qparams_ = qparams;
  if (phase == Phase::kHistogram)
    for (auto& [name, s] : stats_) s.hist.range = s.range.amax();
}

rt::Session::ValueTap ActivationRecorder::Tap() {
  return [this](const std::string& name, const Tensor& t) { Observe(name, t); };
}

void ActivationRecorder::Observe(const std::string& name, const Tensor& t) {
  auto it = stats_.find(name);
  if (it == stats_.end() || t.dtype() != DType::kFloat32) return;
  const float* x = t.data<float>();
  const int64_t n = t.numel();
  switch (phase_) {
    case Phase::kRange: it->second.range.Add(x, n); break;
    case Phase::kHistogram: it->second.hist.Add(x, n); break;
    case Phase::kError: {
      if (!qparams_) return;
      auto q = qparams_->find(name);
      if (q == qparams_->end()) return;
      auto& [signal, noise] = error_[name];
      for (int64_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(x[i]) - FakeQuantize(x[i], q->second);
        signal += static_cast<double>(x[i]) * x[i];
        noise += d * d;
      }
      break;
    }
  }
}

double ActivationRecorder::SqnrDb(const std::string& value) const {
  auto it = error_.find(value);
  return it == error_.end() ? 0.0 : quant::SqnrDb(it->second.first, it->second.second);
}

std::set<std::string> ActivationRecorder::Unseen() const {
  std::set<std::string> out;
  for (const auto& [name, s] : stats_)
    if (!s.range.seen) out.insert(name);
  return out;
}

}  // namespace samq::quant
