// Writing a CompareResult: the JSON report (SQNR of identical tensors is written as the string
// "inf", since JSON has no infinity) and the Markdown tables `samq compare` prints.
#pragma once

#include <filesystem>
#include <string>

#include "core/status.h"
#include "eval/compare.h"

namespace samq::eval {

std::string CompareReportJson(const CompareResult& r, const CompareOptions& options);
std::string CompareMarkdown(const CompareResult& r, const CompareOptions& options);
// Fails early (before any work) when `path` cannot be written: its folder is missing or not
// writable, or the path is a folder.
Status CheckReportPath(const std::filesystem::path& path);

}  // namespace samq::eval
