#include "cli_util.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace samq::cli {

Status EnsureWritableDir(const std::string& dir) {
  if (dir.empty()) return Status::User("output folder is empty");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::UserF("output folder '{}' cannot be created: {}", dir, ec.message());
  if (!std::filesystem::is_directory(dir)) return Status::UserF("output folder '{}' is not a folder", dir);
  std::string probe = (std::filesystem::path(dir) / ".samq_write_probe_XXXXXX").string();
  int fd = mkstemp(probe.data());
  if (fd < 0) return Status::UserF("output folder '{}' is not writable", dir);
  close(fd);
  std::filesystem::remove(probe, ec);
  return Status::Ok();
}

std::string SafeFileName(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

}  // namespace samq::cli
