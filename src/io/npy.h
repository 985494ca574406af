// NumPy .npy files (format 1.0-3.0, little endian, C order) for float32/float64/float16, ints,
// uint8, bool. Anything else is a user error naming the file and the problem.
#pragma once

#include <filesystem>
#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace samq::io {

Result<Tensor> ReadNpy(const std::filesystem::path& path);
Result<Tensor> ParseNpy(const std::string& bytes, const std::string& name_for_errors);
std::string SerializeNpy(const Tensor& t);
Status WriteNpy(const std::filesystem::path& path, const Tensor& t);  // atomic

}  // namespace samq::io
