#include "samq/version.h"

namespace samq {
const char* version() { return "0.1.0"; }
}  // namespace samq
