// Which SAM-family model a graph is, from its signature (input/output names and shapes) and a
// few structural tells. `--family` overrides the guess.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ir/graph.h"

namespace samq::sam {

enum class Family { kUnknown, kSam, kMobileSam, kEfficientVitSam, kSam2 };
enum class Role { kUnknown, kEncoder, kDecoder };

struct FamilyGuess {
  Family family = Family::kUnknown;
  Role role = Role::kUnknown;
  std::string reason;  // the tell that decided it, for `samq inspect`
};

std::string_view family_name(Family f);  // "sam", "mobilesam", "efficientvit-sam", "sam2", "unknown"
std::optional<Family> family_from_name(std::string_view name);
std::string_view role_name(Role r);
FamilyGuess DetectFamily(const ir::Graph& graph);

}  // namespace samq::sam
