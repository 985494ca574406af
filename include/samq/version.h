#pragma once

namespace samq {
// The samq library version ("MAJOR.MINOR.PATCH").
const char* version();
}  // namespace samq
