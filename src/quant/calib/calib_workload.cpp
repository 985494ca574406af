// Encoder and random-tensor workloads (the decoder's is in decoder_workload.cpp).
#include <random>

#include "quant/calib/calib_workload.h"
#include "sam/preprocess.h"

namespace samq::quant {

Result<int64_t> EncoderSide(const rt::Session& encoder, const std::string& name) {
  const auto& ins = encoder.inputs();
  if (ins.size() != 1 || ins[0].dims.size() != 4 || !ins[0].dims[2].known() || !ins[0].dims[3].known() ||
      ins[0].dims[2].value != ins[0].dims[3].value || ins[0].dims[2].value <= 0)
    return Status::UserF("{}: not a SAM image encoder (expected one 1x3xSxS image input)", name);
  return ins[0].dims[3].value;
}

namespace {

class EncoderWorkload : public CalibWorkload {
 public:
  EncoderWorkload(const rt::Session& s, const CalibImages& images, sam::Family family, int64_t side)
      : session_(s), images_(images), family_(family), side_(side) {}
  int64_t size() const override { return images_.size(); }
  Status Run(int64_t i) override {
    SAMQ_ASSIGN_OR_RETURN(io::Image image, images_.Get(i));
    SAMQ_ASSIGN_OR_RETURN(sam::Preprocessed pre, sam::PreprocessImage(image, family_, side_));
    auto out = session_.Run({{session_.inputs()[0].name, pre.image}});
    return out.ok() ? Status::Ok() : out.status().WithContext("calibration image " + images_.name(i));
  }

 private:
  const rt::Session& session_;
  const CalibImages& images_;
  sam::Family family_;
  int64_t side_;
};

class RandomTensorWorkload : public CalibWorkload {
 public:
  RandomTensorWorkload(const rt::Session& s, int64_t count, uint64_t seed) : session_(s), count_(count), seed_(seed) {}
  int64_t size() const override { return count_; }
  Status Run(int64_t i) override {
    std::mt19937_64 rng(seed_ * 1000003ULL + static_cast<uint64_t>(i));
    std::normal_distribution<float> normal(0.f, 1.f);
    std::map<std::string, Tensor> feeds;
    for (const auto& in : session_.inputs()) {
      Shape shape;
      for (const auto& d : in.dims) shape.push_back(d.known() ? d.value : 1);
      Tensor t = Tensor::Zeros(in.dtype, shape);
      if (in.dtype == DType::kFloat32)
        for (int64_t k = 0; k < t.numel(); ++k) t.data<float>()[k] = normal(rng);
      feeds[in.name] = t;
    }
    auto out = session_.Run(feeds);
    return out.ok() ? Status::Ok() : out.status().WithContext(fmt::format("random calibration sample {}", i));
  }

 private:
  const rt::Session& session_;
  int64_t count_;
  uint64_t seed_;
};

}  // namespace

Result<std::unique_ptr<CalibWorkload>> MakeEncoderWorkload(const rt::Session& encoder, const CalibImages& images,
                                                           sam::Family family) {
  SAMQ_ASSIGN_OR_RETURN(int64_t side, EncoderSide(encoder, "the model"));
  return std::unique_ptr<CalibWorkload>(new EncoderWorkload(encoder, images, family, side));
}

Result<std::unique_ptr<CalibWorkload>> MakeRandomTensorWorkload(const rt::Session& model, int64_t count, uint64_t seed) {
  for (const auto& in : model.inputs())
    if (in.dtype == DType::kUndefined)
      return Status::UserF("input '{}' has no declared type: cannot make random calibration data", in.name);
  return std::unique_ptr<CalibWorkload>(new RandomTensorWorkload(model, count, seed));
}

}  // namespace samq::quant
