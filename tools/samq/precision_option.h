// `--precision fp32|bf16` of run, bench and segment (rt::ComputePrecision).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "runtime/kernel.h"

namespace samq::cli {

inline void AddPrecisionOption(CLI::App* cmd, std::string* precision) {
  cmd->add_option("--precision", *precision,
                  "fp32 (default) or bf16: MatMuls with bfloat16 operands, float32 accumulation")
      ->check(CLI::IsMember({"fp32", "bf16"}));
}

inline rt::ComputePrecision ToComputePrecision(const std::string& precision) {
  return precision == "bf16" ? rt::ComputePrecision::kBFloat16 : rt::ComputePrecision::kFloat32;
}

}  // namespace samq::cli
