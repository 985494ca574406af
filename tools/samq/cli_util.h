// Small helpers shared by the CLI commands.
#pragma once

#include <string>

#include "core/status.h"

namespace samq::cli {

// Creates the folder if needed and proves it is writable (a probe file is made and removed),
// so a command fails before its work rather than after it.
Status EnsureWritableDir(const std::string& dir);
// A graph value name as a file name: characters other than [A-Za-z0-9._-] become '_'.
std::string SafeFileName(const std::string& name);

}  // namespace samq::cli
