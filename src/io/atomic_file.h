// Atomic writes: content goes to a temporary file in the destination folder, which is renamed
// over the destination only once it is complete, so a failure never leaves a partial file.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

#include "core/status.h"

namespace samq::io {

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes);
// Streams into the temporary file through `write`; renames only if it returns Ok.
Status WriteFileAtomicStream(const std::filesystem::path& path,
                             const std::function<Status(std::ostream&)>& write);
Result<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace samq::io
