#include "backends/reference/einsum_equation.h"

#include <algorithm>
#include <cctype>

namespace samq::backends {
namespace {

// 'A'..'Z' -> 0..25 and 'a'..'z' -> 26..51, so sorting ids sorts labels in ASCII order, which
// is the order numpy gives an implicit output.
int LabelId(char c) { return c >= 'a' ? 26 + (c - 'a') : c - 'A'; }
char LabelChar(int id) { return id >= 26 ? static_cast<char>('a' + id - 26) : static_cast<char>('A' + id); }

Result<EinsumTerm> ParseTerm(const std::string& s, const std::string& equation) {
  EinsumTerm t;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isalpha(static_cast<unsigned char>(c))) {
      (t.ellipsis ? t.tail : t.head).push_back(LabelId(c));
    } else if (c == '.') {
      if (t.ellipsis || s.compare(i, 3, "...") != 0)
        return Status::UserF("equation '{}': '.' must appear only as one '...' per term", equation);
      t.ellipsis = true;
      i += 2;
    } else {
      return Status::UserF("equation '{}': unexpected character '{}' (labels are letters a-z, A-Z)",
                           equation, c);
    }
  }
  return t;
}

}  // namespace

Result<EinsumEquation> ParseEinsum(const std::string& equation, int num_inputs) {
  std::string eq;
  for (char c : equation)
    if (!std::isspace(static_cast<unsigned char>(c))) eq += c;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  if (arrow != std::string::npos && eq.find("->", arrow + 2) != std::string::npos)
    return Status::UserF("equation '{}' has more than one '->'", equation);

  EinsumEquation out;
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    SAMQ_ASSIGN_OR_RETURN(EinsumTerm t, ParseTerm(lhs.substr(start, comma - start), equation));
    out.inputs.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (static_cast<int>(out.inputs.size()) != num_inputs)
    return Status::UserF("equation '{}' has {} input terms but the node has {} inputs", equation,
                         out.inputs.size(), num_inputs);

  int count[kEllipsisBase] = {};
  bool any_ellipsis = false;
  for (const auto& t : out.inputs) {
    for (int id : t.head) ++count[id];
    for (int id : t.tail) ++count[id];
    any_ellipsis |= t.ellipsis;
  }

  if (arrow == std::string::npos) {
    // Implicit output: the ellipsis dims, then each label used once, alphabetically.
    out.output.ellipsis = any_ellipsis;
    for (int id = 0; id < kEllipsisBase; ++id)
      if (count[id] == 1) out.output.tail.push_back(id);
    return out;
  }

  SAMQ_ASSIGN_OR_RETURN(out.output, ParseTerm(eq.substr(arrow + 2), equation));
  bool seen[kEllipsisBase] = {};
  for (const auto* part : {&out.output.head, &out.output.tail}) {
    for (int id : *part) {
      if (seen[id])
        return Status::UserF("equation '{}': output label '{}' appears twice", equation,
                             LabelChar(id));
      if (count[id] == 0)
        return Status::UserF("equation '{}': output label '{}' is not in any input", equation,
                             LabelChar(id));
      seen[id] = true;
    }
  }
  return out;
}

Result<EinsumAxes> ExpandEinsum(const EinsumEquation& eq, const std::vector<int64_t>& ranks) {
  EinsumAxes ax;
  std::vector<int64_t> ell(eq.inputs.size(), 0);
  for (size_t i = 0; i < eq.inputs.size(); ++i) {
    const auto& t = eq.inputs[i];
    const int64_t named = static_cast<int64_t>(t.head.size() + t.tail.size());
    if (t.ellipsis) {
      ell[i] = ranks[i] - named;
      if (ell[i] < 0)
        return Status::UserF("input {} has rank {} but its term names {} dims", i, ranks[i], named);
    } else if (named != ranks[i]) {
      return Status::UserF("input {} has rank {} but its term names {} dims", i, ranks[i], named);
    }
    ax.ellipsis_rank = std::max<int>(ax.ellipsis_rank, static_cast<int>(ell[i]));
  }
  if (ax.ellipsis_rank > kMaxEllipsisDims)
    return Status::UserF("'...' covers {} dims; at most {} are supported", ax.ellipsis_rank,
                         kMaxEllipsisDims);
  for (size_t i = 0; i < eq.inputs.size(); ++i) {
    const auto& t = eq.inputs[i];
    std::vector<int> axes = t.head;
    // Right-aligned: a narrower ellipsis takes the innermost broadcast labels.
    for (int64_t j = 0; j < ell[i]; ++j)
      axes.push_back(kEllipsisBase + static_cast<int>(ax.ellipsis_rank - ell[i] + j));
    axes.insert(axes.end(), t.tail.begin(), t.tail.end());
    ax.inputs.push_back(std::move(axes));
  }
  if (ax.ellipsis_rank > 0 && !eq.output.ellipsis)
    return Status::User("inputs have '...' dims but the output term has no '...'");
  ax.output = eq.output.head;
  if (eq.output.ellipsis)
    for (int j = 0; j < ax.ellipsis_rank; ++j) ax.output.push_back(kEllipsisBase + j);
  ax.output.insert(ax.output.end(), eq.output.tail.begin(), eq.output.tail.end());
  return ax;
}

}  // namespace samq::backends
